/* SPDX-License-Identifier: MIT */
/*
 * cache.h - the file cache: chunks of scanned files kept in device memory
 * (-o cache=SIZE; ARCHITECTURE.md "The file cache"). Private to pump/.
 *
 * One per unit, owned by its pump. Every function but the counters'
 * readers (atomics) runs on the pump thread: no lock.
 */
#ifndef VYRE_CACHE_H
#define VYRE_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gpu.h"
#include "vyre_abi.h"

/*
 * A file as a job opened it: the key (dev, ino) and what must not have
 * changed for cached bytes to be its bytes (cache_ident_of says why each).
 */
struct cache_ident {
	uint64_t dev, ino;
	uint64_t size;
	int64_t mtime_ns, ctime_ns, btime_ns; /* btime 0: not given */
	uint64_t gen;			      /* FS_IOC_GETVERSION, 0: not given */
};

#define CACHE_NONE UINT32_MAX

enum cache_ent_state {
	CE_FREE,    /* on the free list */
	CE_FILLING, /* a published chunk's tiles copy into it (pinned by that slot) */
	CE_VALID,   /* the file's bytes [off, off + len) under its file's identity */
	CE_DEAD,    /* dropped while pinned: freed at the last unpin */
};

struct cache_file;

/*
 * A cache slot holds one chunk of one file, or (packed) the small files of
 * one packed slot, each at the (start, end) it had there: a file's record
 * names where (cache_file.pslot), the entry lists its files (pfiles).
 */
struct cache_ent {
	struct cache_file *f; /* NULL unless FILLING or VALID, and always when packed */
	bool packed;
	struct cache_file *pfiles; /* packed: its files, by cache_file.pnext */
	uint64_t off;
	uint32_t len;	   /* bytes held: the chunk proper and its tail window */
	uint32_t data_len; /* of them the chunk proper (what cache_bytes counts) */
	uint32_t pins;	   /* slots reading it, or the one filling it */
	enum cache_ent_state state;
	uint32_t prev, next;   /* LRU (VALID and unpinned; head most recent) or the free list */
	uint32_t fprev, fnext; /* its file's entries */
	uint32_t hnext;	       /* hash chain by (file, off) */
};

struct cache_file {
	struct cache_ident id;
	uint32_t first; /* its entries (CACHE_NONE: none) */
	uint32_t nents;
	/* the whole file in a packed entry (CACHE_NONE: none), its bytes there */
	uint32_t pslot, pstart, plen;
	struct cache_file *pnext; /* the next file of that entry */
	struct cache_file *hnext;
};

/*
 * The cache's device memory, in blocks (cache_block.c): block b is one
 * buffer holding cache slots [first, first + n), at the cache offsets from
 * b << shift. Blocks [0, live) take new bytes; block live, when draining,
 * waits for its last pinned entry to go before its memory is freed; blocks
 * past that are freed (buf.buf VK_NULL_HANDLE). Shrinking takes the last.
 */
struct cache_block {
	struct gpu_buf buf; /* GPU_PLACE_DEVICE, never mapped */
	uint32_t first, n;
};

struct cache {
	struct cache_block blocks[VYRE_CACHE_BLOCKS_MAX];
	uint32_t nblocks, live;
	bool draining;	    /* block live gives its memory back once nothing pins it */
	uint32_t per_block; /* cache slots a block (the last may hold fewer) */
	uint32_t shift;	    /* log2 of a block's span of cache offsets (vyre_push.cache_shift) */
	uint32_t live_slots; /* slots of the live blocks: only these take new bytes */
	uint64_t region;    /* bytes a cache slot: an arena region's */
	uint32_t nslots;
	struct cache_ent *ents;
	uint32_t free_head;
	uint32_t lru_head, lru_tail;
	uint32_t *ent_hash; /* ent_buckets chains by (file, off) */
	uint32_t ent_buckets;
	struct cache_file **file_hash; /* file_buckets chains by (dev, ino) */
	uint32_t file_buckets;
	/* read by pump_info from any thread; capacity: the live blocks' bytes */
	atomic_uint_least64_t bytes, hits, misses, evictions, capacity, shrinks;
};

/*
 * The identity of an open file, on the submitter's thread. 0: cacheable;
 * -EAGAIN: changed too recently to prove a later change from its ctime;
 * -EXDEV: not a regular file on a filesystem the proof holds on;
 * another -errno: statx failed.
 */
int cache_ident_of(int fd, struct cache_ident *id);

/*
 * nslots cache slots of region bytes, in up to VYRE_CACHE_BLOCKS_MAX
 * blocks (cache_block.c); -ENOSPC or -ENOMEM: the device has not that much.
 */
int cache_create(struct gpu *g, uint32_t nslots, uint64_t region, struct cache **out);
void cache_destroy(struct gpu *g, struct cache **c);
/* Cache slot i's first byte as a cache offset (vyre_abi.h VYRE_CI_CACHE_BLOCK). */
static inline uint64_t cache_offset(const struct cache *c, uint32_t i)
{
	return ((uint64_t)(i / c->per_block) << c->shift) + (uint64_t)(i % c->per_block) * c->region;
}
/*
 * Shrinking (cache_block.c): cache_shrink_begin drops the last live
 * block's entries (a pinned one at its last unpin) and takes no new bytes
 * into it; -EBUSY while one drains, -ENOENT with no live block.
 * cache_shrink_idle: the draining block's number, once nothing pins it
 * (then no slot out names it: pins last until a slot is freed after its
 * harvest), else -EBUSY (or -ENOENT: none drains). cache_shrink_end frees
 * it.
 */
int cache_shrink_begin(struct cache *c);
int cache_shrink_idle(const struct cache *c);
void cache_shrink_end(struct gpu *g, struct cache *c);
/*
 * The first freed block made again: its number (the caller writes its
 * address into the ring before any slot can name it), -EBUSY while one
 * drains, -ENOENT with none freed, or the allocation's -errno.
 */
int cache_grow(struct gpu *g, struct cache *c);
/* Entry i's bytes are no longer the file's: now, or at its last unpin (cache.c). */
void cache_kill(struct cache *c, uint32_t i);

/* A job opened the file with identity id: another identity's chunks go. */
void cache_job_start(struct cache *c, const struct cache_ident *id);
/*
 * A chunk of the file at off whose read would give need bytes: a VALID
 * entry holding at least those bytes, pinned for the caller, or CACHE_NONE.
 */
uint32_t cache_lookup(struct cache *c, const struct cache_ident *id, uint64_t off, uint64_t need);
/*
 * Room to copy the chunk at off into (len bytes, data_len of them its
 * own): a FILLING entry pinned for the publishing slot, or CACHE_NONE
 * (no room that is not pinned, or the file's record is another identity's).
 */
uint32_t cache_reserve(struct cache *c, const struct cache_ident *id, uint64_t off, uint32_t len,
		       uint32_t data_len);
/*
 * The file's size, mtime and ctime now are still id's (what can change
 * under an open fd: its dev, ino, generation and birth time cannot).
 */
bool cache_ident_same(int fd, const struct cache_ident *id);
/*
 * The slot filling entry i was harvested. how: 0, every tile ran and the
 * file is unchanged (cache_ident_same): the entry is VALID; -ESTALE, the
 * file changed while the job read it: every entry of the file goes;
 * another -errno, the chunk failed: this entry goes. The slot's pin goes.
 */
void cache_commit(struct cache *c, uint32_t i, int how);
/* Whether the chunk at off of the file with identity id is held (VALID). */
bool cache_holds(struct cache *c, const struct cache_ident *id, uint64_t off);
/* A slot that read entry i (or filled it and never published) lets go. */
void cache_unpin(struct cache *c, uint32_t i);
/*
 * Packed small files (pfiles.c). cache_pack_lookup: the cache slot that
 * holds the whole file with identity id, pinned for the caller, its start
 * there in *start; or CACHE_NONE (a record of another identity goes).
 * cache_pack_reserve: a FILLING packed entry, pinned for the publishing
 * slot, or CACHE_NONE. cache_pack_add: the file with identity id was
 * copied into FILLING entry i at start, and its identity is unchanged since
 * (cache_ident_same); cache_commit then makes the entry VALID (one with no
 * file goes).
 */
uint32_t cache_pack_lookup(struct cache *c, const struct cache_ident *id, uint32_t *start);
uint32_t cache_pack_reserve(struct cache *c);
void cache_pack_add(struct cache *c, uint32_t i, const struct cache_ident *id, uint32_t start);
/* A cheaper cache_ident_of for many files: memo remembers the last device's verdict. */
struct cache_fs_memo {
	uint64_t dev;
	int verdict; /* 0: proves; -EXDEV: does not */
	bool set;
};
int cache_ident_of_memo(int fd, struct cache_ident *id, struct cache_fs_memo *memo);
/* Everything goes (drop-cache); pinned entries when their slots let go. */
void cache_drop_all(struct cache *c);
bool cache_ident_eq(const struct cache_ident *a, const struct cache_ident *b);

#endif
