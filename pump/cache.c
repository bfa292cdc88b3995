// SPDX-License-Identifier: MIT
/*
 * cache.c - the file cache's bookkeeping (ARCHITECTURE.md "The file
 * cache"): fixed-size cache slots in device memory, an arena region
 * each (in blocks: cache_block.c), holding chunks of files by (dev, ino, offset) under the
 * file's identity when they were read; LRU by chunk. The GPU fills a
 * cache slot as it scans the chunk (VYRE_W_TEE); read.c and slot.c call
 * this file on the pump thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <time.h>

#include "cache.h"
#include "log.h"
#include "vyre_abi.h"

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif
#ifndef F2FS_SUPER_MAGIC
#define F2FS_SUPER_MAGIC 0xF2F52010
#endif

/*
 * Filesystems whose ctime is the kernel's clock at each change of the
 * inode, data or metadata, made on this host: a local disk or memory
 * filesystem. A network filesystem's timestamps are the server's (another
 * client's writes, another clock), FUSE's are whatever the daemon says,
 * overlayfs's come from a layer that can change underneath: none of them
 * proves anything, so their files are read from disk every time.
 */
static bool cache_fs_proves(long magic)
{
	switch (magic) {
	case EXT4_SUPER_MAGIC: /* ext2 and ext3 too */
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
	case F2FS_SUPER_MAGIC:
		return true;
	}
	return false;
}

static int64_t cache_ns(const struct statx_timestamp *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/*
 * Why an unchanged identity proves unchanged bytes. Every write, truncate,
 * rename onto, link change or attribute change sets the inode's ctime to
 * the kernel's clock, and nobody can set ctime (touch -d sets mtime and
 * atime; ctime moves to now). That clock (current_time: the coarse clock,
 * at most a tick behind) only moves forward, so a change made after we
 * looked gives a ctime later than what we saw, as long as what we saw is
 * older than the clock's tick: hence CACHE_SETTLED_NS (a file changed
 * within the last 100 ms, or 2 s on a filesystem with whole-second
 * timestamps, is read from disk and not cached). A new file at the same
 * inode number (delete, recreate) has a new ctime too, and a new
 * generation or birth time where the filesystem gives them. Size and mtime
 * are kept as well: they cost nothing. Not seen: writes through a shared
 * writable mmap between two of the kernel's timestamp updates (it updates
 * them at the first write fault after writeback, as make and rsync know),
 * and a clock set back by root.
 */
#define CACHE_SETTLED_NS	(100ll * 1000000)
#define CACHE_SETTLED_COARSE_NS (2000ll * 1000000)

/* Whether fd's filesystem proves a change by ctime (cache_fs_proves): 0 or -EXDEV. */
static int cache_fs_check(int fd)
{
	struct statfs sf;
	/*
	 * A FUSE file (fuse_sources=1) fails a non-blocking read EOPNOTSUPP
	 * without asking its daemon; fstatfs would ask it (STATFS), and one
	 * that never answers would hold this thread. Such files are not cached.
	 */
	char c;
	struct iovec iov = {&c, 1};
	if (preadv2(fd, &iov, 1, 0, RWF_NOWAIT) < 0 && errno == EOPNOTSUPP)
		return -EXDEV;
	if (fstatfs(fd, &sf) < 0)
		return -errno;
	return cache_fs_proves((long)sf.f_type) ? 0 : -EXDEV;
}

int cache_ident_of_memo(int fd, struct cache_ident *id, struct cache_fs_memo *memo)
{
	struct statx stx;
	struct timespec now;
	long gen = 0;
	int64_t settled;
	int ret;

	memset(id, 0, sizeof(*id));
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS | STATX_BTIME,
		  &stx) < 0)
		return -errno;
	if (!S_ISREG(stx.stx_mode) || !(stx.stx_mask & STATX_CTIME) || !(stx.stx_mask & STATX_INO))
		return -EXDEV;
	id->dev = (uint64_t)stx.stx_dev_major << 32 | stx.stx_dev_minor;
	/* a device is one filesystem: its verdict holds for its every file */
	if (memo && memo->set && memo->dev == id->dev) {
		ret = memo->verdict;
	} else {
		ret = cache_fs_check(fd);
		if (memo && (ret == 0 || ret == -EXDEV))
			*memo = (struct cache_fs_memo){.dev = id->dev, .verdict = ret, .set = true};
	}
	if (ret)
		return ret;
	id->ino = stx.stx_ino;
	id->size = stx.stx_size;
	id->mtime_ns = cache_ns(&stx.stx_mtime);
	id->ctime_ns = cache_ns(&stx.stx_ctime);
	if (stx.stx_mask & STATX_BTIME)
		id->btime_ns = cache_ns(&stx.stx_btime);
	if (ioctl(fd, FS_IOC_GETVERSION, &gen) == 0) /* not on every filesystem: then 0 */
		id->gen = (uint64_t)(unsigned long)gen & 0xFFFFFFFFu;
	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return -errno;
	settled = stx.stx_ctime.tv_nsec || stx.stx_mtime.tv_nsec ? CACHE_SETTLED_NS
								 : CACHE_SETTLED_COARSE_NS;
	if (id->ctime_ns > (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - settled)
		return -EAGAIN;
	return 0;
}

int cache_ident_of(int fd, struct cache_ident *id)
{
	return cache_ident_of_memo(fd, id, NULL);
}

bool cache_ident_eq(const struct cache_ident *a, const struct cache_ident *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
	       a->btime_ns == b->btime_ns && a->gen == b->gen;
}

static uint64_t cache_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static uint32_t cache_file_bucket(const struct cache *c, uint64_t dev, uint64_t ino)
{
	return (uint32_t)(cache_mix(dev * 0x9e3779b97f4a7c15ull ^ ino) & (c->file_buckets - 1));
}

static uint32_t cache_ent_bucket(const struct cache *c, const struct cache_file *f, uint64_t off)
{
	return (uint32_t)(cache_mix((uint64_t)(uintptr_t)f ^ off * 0x9e3779b97f4a7c15ull) &
			  (c->ent_buckets - 1));
}

static struct cache_file *cache_file_find(struct cache *c, uint64_t dev, uint64_t ino)
{
	struct cache_file *f = c->file_hash[cache_file_bucket(c, dev, ino)];

	while (f && (f->id.dev != dev || f->id.ino != ino))
		f = f->hnext;
	return f;
}

static void cache_lru_unlink(struct cache *c, uint32_t i)
{
	struct cache_ent *e = &c->ents[i];

	if (e->prev != CACHE_NONE)
		c->ents[e->prev].next = e->next;
	else
		c->lru_head = e->next;
	if (e->next != CACHE_NONE)
		c->ents[e->next].prev = e->prev;
	else
		c->lru_tail = e->prev;
	e->prev = e->next = CACHE_NONE;
}

static void cache_lru_push(struct cache *c, uint32_t i)
{
	struct cache_ent *e = &c->ents[i];

	e->prev = CACHE_NONE;
	e->next = c->lru_head;
	if (c->lru_head != CACHE_NONE)
		c->ents[c->lru_head].prev = i;
	else
		c->lru_tail = i;
	c->lru_head = i;
}

/* A file's record goes once nothing of it is held. */
static void cache_file_put(struct cache *c, struct cache_file *f)
{
	struct cache_file **fp;

	if (f->nents || f->pslot != CACHE_NONE)
		return;
	fp = &c->file_hash[cache_file_bucket(c, f->id.dev, f->id.ino)];
	while (*fp != f)
		fp = &(*fp)->hnext;
	*fp = f->hnext;
	free(f);
}

/* A packed entry's file f leaves it (the entry's bytes stay until it goes). */
static void cache_pack_unlink(struct cache *c, struct cache_file *f)
{
	struct cache_ent *e = &c->ents[f->pslot];
	struct cache_file **pp = &e->pfiles;

	while (*pp != f)
		pp = &(*pp)->pnext;
	*pp = f->pnext;
	f->pnext = NULL;
	e->data_len -= f->plen;
	if (e->state == CE_VALID)
		atomic_fetch_sub_explicit(&c->bytes, f->plen, memory_order_relaxed);
	f->pslot = CACHE_NONE;
}

/*
 * Entry i leaves its file's list and the hash (a chunk), or its files
 * leave it (packed); a file left with nothing goes.
 */
static void cache_unlink(struct cache *c, uint32_t i)
{
	struct cache_ent *e = &c->ents[i];
	struct cache_file *f = e->f;
	uint32_t *pp;

	if (e->packed) {
		while (e->pfiles) {
			f = e->pfiles;
			cache_pack_unlink(c, f);
			cache_file_put(c, f);
		}
		return;
	}
	pp = &c->ent_hash[cache_ent_bucket(c, f, e->off)];
	while (*pp != i)
		pp = &c->ents[*pp].hnext;
	*pp = e->hnext;
	e->hnext = CACHE_NONE;
	if (e->fprev != CACHE_NONE)
		c->ents[e->fprev].fnext = e->fnext;
	else
		f->first = e->fnext;
	if (e->fnext != CACHE_NONE)
		c->ents[e->fnext].fprev = e->fprev;
	e->fprev = e->fnext = CACHE_NONE;
	e->f = NULL;
	f->nents--;
	cache_file_put(c, f);
}

static void cache_free_ent(struct cache *c, uint32_t i)
{
	struct cache_ent *e = &c->ents[i];

	e->state = CE_FREE;
	e->packed = false;
	e->pfiles = NULL;
	e->prev = CACHE_NONE;
	if (i >= c->live_slots) { /* its block drains: it takes no new bytes */
		e->next = CACHE_NONE;
		return;
	}
	e->next = c->free_head;
	c->free_head = i;
}

void cache_kill(struct cache *c, uint32_t i)
{
	struct cache_ent *e = &c->ents[i];

	if (e->state == CE_VALID && !e->pins)
		cache_lru_unlink(c, i);
	cache_unlink(c, i); /* a packed entry's files take their bytes off cache_bytes */
	if (e->state == CE_VALID)
		atomic_fetch_sub_explicit(&c->bytes, e->data_len, memory_order_relaxed);
	if (e->pins) {
		e->state = CE_DEAD;
		return;
	}
	cache_free_ent(c, i);
}

/*
 * Everything of file f goes: its chunks, its place in a packed entry (the
 * entry goes too once it holds no file and no slot reads it). f is freed
 * with the last.
 */
static void cache_drop_file(struct cache *c, struct cache_file *f)
{
	uint32_t n = f->nents + (f->pslot != CACHE_NONE);

	while (n--) {
		if (f->pslot != CACHE_NONE) {
			uint32_t i = f->pslot;
			cache_pack_unlink(c, f);
			if (!c->ents[i].pfiles && c->ents[i].state == CE_VALID && !c->ents[i].pins)
				cache_kill(c, i);
			cache_file_put(c, f);
		} else {
			cache_kill(c, f->first);
		}
	}
}

void cache_job_start(struct cache *c, const struct cache_ident *id)
{
	struct cache_file *f = cache_file_find(c, id->dev, id->ino);

	if (f && !cache_ident_eq(&f->id, id))
		cache_drop_file(c, f);
}

static uint32_t cache_find(struct cache *c, const struct cache_file *f, uint64_t off)
{
	uint32_t i = c->ent_hash[cache_ent_bucket(c, f, off)];

	while (i != CACHE_NONE && (c->ents[i].f != f || c->ents[i].off != off))
		i = c->ents[i].hnext;
	return i;
}

static void cache_pin(struct cache *c, uint32_t i)
{
	if (!c->ents[i].pins++)
		cache_lru_unlink(c, i);
}

uint32_t cache_lookup(struct cache *c, const struct cache_ident *id, uint64_t off, uint64_t need)
{
	struct cache_file *f = cache_file_find(c, id->dev, id->ino);
	uint32_t i;

	if (!f || !cache_ident_eq(&f->id, id))
		return CACHE_NONE;
	i = cache_find(c, f, off);
	if (i == CACHE_NONE || c->ents[i].state != CE_VALID || c->ents[i].len < need)
		return CACHE_NONE;
	cache_pin(c, i);
	return i;
}

bool cache_holds(struct cache *c, const struct cache_ident *id, uint64_t off)
{
	struct cache_file *f = cache_file_find(c, id->dev, id->ino);
	uint32_t i;

	if (!f || !cache_ident_eq(&f->id, id))
		return false;
	i = cache_find(c, f, off);
	return i != CACHE_NONE && c->ents[i].state == CE_VALID;
}

/*
 * A cache slot for new bytes: a free one, else the least recently used
 * entry of another file (dev, ino; any packed entry is another file's:
 * keep NULL takes any). A file's own chunks are not evicted for its later
 * ones: plain LRU under a scan of a file larger than the cache evicts every
 * chunk before it is read again, and every pass misses; this way the file
 * keeps the chunks that fit, and later passes read those from the cache.
 * Looks at CACHE_EVICT_LOOK entries at most.
 */
#define CACHE_EVICT_LOOK 64

static uint32_t cache_take(struct cache *c, const struct cache_ident *keep)
{
	uint32_t i = c->free_head, n = 0;

	if (i != CACHE_NONE) {
		c->free_head = c->ents[i].next;
		c->ents[i].next = CACHE_NONE;
		return i;
	}
	for (i = c->lru_tail; i != CACHE_NONE && n < CACHE_EVICT_LOOK; i = c->ents[i].prev, n++)
		if (!keep || c->ents[i].packed || c->ents[i].f->id.dev != keep->dev ||
		    c->ents[i].f->id.ino != keep->ino)
			break;
	if (i == CACHE_NONE || n == CACHE_EVICT_LOOK)
		return CACHE_NONE; /* every entry is being read or filled, or this file's */
	cache_kill(c, i);
	atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
	i = c->free_head;
	c->free_head = c->ents[i].next;
	c->ents[i].next = CACHE_NONE;
	return i;
}

/* The record of the file with identity id, made if there is none. */
static struct cache_file *cache_file_get(struct cache *c, const struct cache_ident *id)
{
	struct cache_file *f = cache_file_find(c, id->dev, id->ino);
	uint32_t b;

	if (f)
		return f;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->id = *id;
	f->first = CACHE_NONE;
	f->pslot = CACHE_NONE;
	b = cache_file_bucket(c, id->dev, id->ino);
	f->hnext = c->file_hash[b];
	c->file_hash[b] = f;
	return f;
}

uint32_t cache_reserve(struct cache *c, const struct cache_ident *id, uint64_t off, uint32_t len,
		       uint32_t data_len)
{
	struct cache_file *f = cache_file_find(c, id->dev, id->ino);
	struct cache_ent *e;
	uint32_t i, b;

	if (len > c->region)
		return CACHE_NONE;
	if (f && !cache_ident_eq(&f->id, id))
		return CACHE_NONE; /* another job saw another identity since: its record stands */
	if (f) {
		i = cache_find(c, f, off);
		if (i != CACHE_NONE && c->ents[i].pins)
			return CACHE_NONE; /* being read or filled: keep it */
		if (i != CACHE_NONE)
			cache_kill(c, i); /* held fewer bytes than this read needed (f may go) */
	}
	i = cache_take(c, id);
	if (i == CACHE_NONE)
		return CACHE_NONE;
	f = cache_file_get(c, id); /* the eviction may have taken the file's last entry */
	if (!f) {
		cache_free_ent(c, i);
		return CACHE_NONE;
	}
	e = &c->ents[i];
	*e = (struct cache_ent){.f = f,
				.off = off,
				.len = len,
				.data_len = data_len,
				.pins = 1,
				.state = CE_FILLING,
				.prev = CACHE_NONE,
				.next = CACHE_NONE,
				.fprev = CACHE_NONE,
				.fnext = f->first};
	if (f->first != CACHE_NONE)
		c->ents[f->first].fprev = i;
	f->first = i;
	f->nents++;
	b = cache_ent_bucket(c, f, off);
	e->hnext = c->ent_hash[b];
	c->ent_hash[b] = i;
	return i;
}

uint32_t cache_pack_lookup(struct cache *c, const struct cache_ident *id, uint32_t *start)
{
	struct cache_file *f = cache_file_find(c, id->dev, id->ino);

	if (f && !cache_ident_eq(&f->id, id)) {
		/* the caller just opened the file and saw another identity */
		cache_drop_file(c, f);
		return CACHE_NONE;
	}
	if (!f || f->pslot == CACHE_NONE || c->ents[f->pslot].state != CE_VALID ||
	    f->plen != id->size)
		return CACHE_NONE;
	cache_pin(c, f->pslot);
	*start = f->pstart;
	return f->pslot;
}

uint32_t cache_pack_reserve(struct cache *c)
{
	uint32_t i = cache_take(c, NULL);

	if (i == CACHE_NONE)
		return CACHE_NONE;
	c->ents[i] = (struct cache_ent){.packed = true,
					.len = (uint32_t)c->region,
					.pins = 1,
					.state = CE_FILLING,
					.prev = CACHE_NONE,
					.next = CACHE_NONE,
					.fprev = CACHE_NONE,
					.fnext = CACHE_NONE,
					.hnext = CACHE_NONE};
	return i;
}

void cache_pack_add(struct cache *c, uint32_t i, const struct cache_ident *id, uint32_t start)
{
	struct cache_ent *e = &c->ents[i];
	struct cache_file *f = cache_file_find(c, id->dev, id->ino);

	if (e->state != CE_FILLING || !e->packed)
		return;
	if (f && !cache_ident_eq(&f->id, id))
		return; /* another job saw another identity since: its record stands */
	if (f && f->pslot != CACHE_NONE)
		return; /* another slot packed it too: one copy is enough */
	f = cache_file_get(c, id);
	if (!f)
		return;
	f->pslot = i;
	f->pstart = start;
	f->plen = (uint32_t)id->size;
	f->pnext = e->pfiles;
	e->pfiles = f;
	e->data_len += f->plen;
}

bool cache_ident_same(int fd, const struct cache_ident *id)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT,
		  STATX_SIZE | STATX_MTIME | STATX_CTIME, &stx) < 0)
		return false;
	return stx.stx_size == id->size && cache_ns(&stx.stx_mtime) == id->mtime_ns &&
	       cache_ns(&stx.stx_ctime) == id->ctime_ns;
}

void cache_commit(struct cache *c, uint32_t i, int how)
{
	struct cache_ent *e = &c->ents[i];

	if (e->state == CE_FILLING && e->packed && (how || !e->pfiles)) {
		cache_kill(c, i); /* nothing of it proven, or nothing in it */
	} else if (e->state == CE_FILLING && how == 0) {
		e->state = CE_VALID;
		atomic_fetch_add_explicit(&c->bytes, e->data_len, memory_order_relaxed);
	} else if (e->state == CE_FILLING && how == -ESTALE) {
		/* the file changed while its chunks were read: none of them is proven */
		cache_drop_file(c, e->f);
	} else if (e->state == CE_FILLING) {
		cache_kill(c, i);
	}
	cache_unpin(c, i);
}

void cache_unpin(struct cache *c, uint32_t i)
{
	struct cache_ent *e = &c->ents[i];

	if (!e->pins || --e->pins)
		return;
	if (e->state == CE_VALID && e->packed && !e->pfiles) /* its files changed meanwhile */
		cache_free_ent(c, i); /* holds nothing, counts nothing, in no list */
	else if (e->state == CE_VALID)
		cache_lru_push(c, i);
	else if (e->state == CE_DEAD)
		cache_free_ent(c, i);
	else if (e->state == CE_FILLING) { /* never published: nothing was copied */
		cache_unlink(c, i);
		cache_free_ent(c, i);
	}
}

void cache_drop_all(struct cache *c)
{
	for (uint32_t i = 0; i < c->nslots; i++)
		if (c->ents[i].state == CE_VALID || c->ents[i].state == CE_FILLING)
			cache_kill(c, i);
}
