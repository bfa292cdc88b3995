// SPDX-License-Identifier: MIT
/*
 * pack.c - packed jobs' reads (their files: pfiles.c): many small files in one pump job, several files
 * to a slot (vyre-runtime's PACKED_SLOT idea; vyre_abi.h VYRE_TILE_PACKED).
 *
 * At submit the files are planned into chunks: each file starts 16-byte
 * aligned in the slot's region, at most VYRE_PACK_FILES_MAX files and the
 * chunk's bytes less the boundary table to a slot. Admission takes a slot
 * for the next chunk and queues one io_uring read per file (its tag holds
 * slot and file); when the last lands, the table of (start, end) pairs
 * goes after the data and the slot is published with one tile per file.
 * The GPU writes each tile's result to the slot's op output; harvest gives
 * each file its own. A file that reads short (it shrank) is ESTALE and
 * scans as empty; one that fails, its errno.
 *
 * The ops with VYRE_OPF_PACKS in the table pack (pump_op_packs: count,
 * match, nop, grep): a histogram's bins are per slot. grep's files get
 * each its own count (its harvest hook hands them out, pump/ops/grep.c);
 * its lines=1 records are not packed (fs/ packs grep only without them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pump_priv.h"

/*
 * A file's first read asks whether its reads block (RWF_NOWAIT: uring.c
 * uring_read_at), where a one-byte preadv2 probe a file (uring_reads_block)
 * was 2.5-3.8 us of the pump thread's 9.6-18 a file of a 100,000 x 4 KiB
 * tree (BENCHMARKS.md "The walk"). pack_read_done reads again on the
 * answer: EOPNOTSUPP, through io-wq; EAGAIN (not cached), as any read.
 */
/*
 * A pack's reads are copied inline, in the pump thread's io_uring_enter:
 * a job of a few small files would wait ~225 us more on io-wq (uring.c).
 * With VYRE_PACK_ASYNC=1 (on a machine where IOSQE_ASYNC pays) a job of
 * PACK_ASYNC_FILES or more sends them to io-wq's workers, which copy in
 * parallel, so the pump thread only submits (an experiment for trees of
 * small files on many cores: BENCHMARKS.md).
 */
#define PACK_ASYNC_FILES 64

static int pack_read(struct pump *p, uint32_t slot, uint32_t i)
{
	struct pump_job *j = p->slots[slot].job;
	struct pump_pfile *f = &j->pfiles[i];
	bool ask = f->rb == PF_RB_UNKNOWN;
	bool wq = f->rb == PF_RB_YES || (p->pack_async && j->npfiles >= PACK_ASYNC_FILES);

	if (ask)
		f->rb = PF_RB_ASKING;
	return uring_read_at(p, slot, f->fd, f->off + f->got, f->size - f->got, f->got,
			     uring_tag(slot, i + 1), wq, ask);
}

static void pack_publish(struct pump *p, uint32_t slot)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	uint32_t first = j->pack_first[s->index], last = j->pack_first[s->index + 1];
	uint32_t tbl[3 * VYRE_PACK_FILES_MAX], table, bytes = 0, cached = 0, fresh = 0, ent;
	uint32_t *where = tbl + VYRE_PACK_WHERE_OFF / 4;
	int ret;

	uint32_t n = last - first;
	uint32_t padded = (n + VYRE_PACK_FILES_PER_TILE - 1) / VYRE_PACK_FILES_PER_TILE *
			  VYRE_PACK_FILES_PER_TILE;

	table = pack_round(j->pfiles[last - 1].off + j->pfiles[last - 1].size);
	memset(tbl, 0, sizeof(tbl)); /* (0, 0): no file; place 0: the slot */
	for (uint32_t i = first; i < last; i++) {
		struct pump_pfile *f = &j->pfiles[i];
		uint32_t at = f->off;
		if (f->cache_ent != CACHE_NONE && !f->err) { /* its bytes in a cache slot */
			at = f->cache_at;
			where[i - first] =
				(uint32_t)(cache_offset(p->cache, f->cache_ent) / VYRE_TEE_UNIT) + 1;
			cached += f->got;
		} else if (f->cid_ok && !f->err && f->got == f->size) {
			fresh++;
		}
		tbl[2 * (i - first)] = at;
		tbl[2 * (i - first) + 1] = f->err ? at : at + f->got;
		bytes += f->err ? 0 : f->got;
	}
	memcpy(arena_region(&p->arena, slot) + table, tbl, (size_t)padded * 8);
	memcpy(arena_region(&p->arena, slot) + table + VYRE_PACK_WHERE_OFF, where,
	       (size_t)padded * 4);
	s->data_len = bytes;
	struct ring_work w = {
		.opcode = j->op->code,
		.tenant = j->batch,
		.arg2 = j->data_off,
		.jd_len = j->data_len,
		.data_off = arena_offset(&p->arena, slot),
		.data_len = table,
		.tail_len = table,
		.batch = j->batch,
		.packed = last - first,
	};
	/* the files read from disk are copied into a cache slot as they are scanned */
	if (j->cached && fresh && (ent = cache_pack_reserve(p->cache)) != CACHE_NONE) {
		s->cache_fill = ent + 1;
		w.tee = (uint32_t)(cache_offset(p->cache, ent) / VYRE_TEE_UNIT) + 1;
	}
	ret = pump_publish_read(p, j, slot, &w);
	if (ret) {
		if (ret != -ETIMEDOUT) /* a dead unit: logged once when it died */
			vlog_err("pump: packed chunk %llu of slot %u not published (%d)",
				 (unsigned long long)s->index, slot, ret);
		pthread_mutex_lock(&p->lock);
		for (uint32_t i = first; i < last; i++)
			if (!j->pfiles[i].err)
				j->pfiles[i].err = -ret;
		pthread_mutex_unlock(&p->lock);
		job_chunk_failed(p, j, s->index, 0, -ret);
		pump_slot_free(p, slot);
		return;
	}
	s->state = PSLOT_PUBLISHED;
	j->published++;
	j->published_total++;
	if (cached) {
		pthread_mutex_lock(&p->lock);
		j->cached_bytes += cached;
		pthread_mutex_unlock(&p->lock);
	}
}

/* The packed chunk admitted next: one to read again first (pack_abandon). */
uint32_t pack_next_chunk(struct pump_job *j)
{
	if (j->npack_redo)
		return j->pack_redo[--j->npack_redo];
	return (uint32_t)j->next_index++;
}

/*
 * File i's bytes in the file cache (cache.c: its identity at submit is the
 * one they were read under), pinned for the slot: no read, as if one had
 * returned the whole file. A caller gets them only for a file it opened
 * itself: the identity is taken from the job's own fd. True if hit.
 */
static bool pack_cache_hit(struct pump *p, struct pump_job *j, uint32_t slot, uint32_t i)
{
	struct pump_pfile *f = &j->pfiles[i];
	uint32_t at = 0, e;

	f->cache_ent = CACHE_NONE;
	f->pin_slot = 0;
	if (!j->cached || !f->cid_ok)
		return false;
	e = cache_pack_lookup(p->cache, &f->cid, &at);
	if (e == CACHE_NONE) {
		j->cache_misses++;
		atomic_fetch_add_explicit(&p->cache->misses, 1, memory_order_relaxed);
		return false;
	}
	f->cache_ent = e;
	f->cache_at = at;
	f->pin_slot = slot + 1;
	f->got = f->size;
	j->cache_hits++;
	atomic_fetch_add_explicit(&p->cache->hits, 1, memory_order_relaxed);
	return true;
}

/* A free slot (already taken for j) gets the job's next packed chunk. */
int pack_admit(struct pump *p, struct pump_job *j, uint32_t slot)
{
	struct pump_slot *s = &p->slots[slot];
	uint32_t first, last;

	s->state = PSLOT_READING;
	s->kind = PSLOT_PACKED;
	s->read_ns = pump_now_ns(); /* the deadline of all its files' reads */
	s->index = pack_next_chunk(j);
	first = j->pack_first[s->index];
	last = j->pack_first[s->index + 1];
	s->pack_pending = 1; /* held until every read is queued */
	j->reads++;
	pthread_mutex_lock(&p->lock);
	p->slots_reading++;
	pthread_mutex_unlock(&p->lock);
	for (uint32_t i = first; i < last; i++) {
		if (!j->pfiles[i].size || j->pfiles[i].err) /* failed in an abandoned read */
			continue;
		if (pack_cache_hit(p, j, slot, i))
			continue;
		if (pack_read(p, slot, i) == 0) {
			s->pack_pending++;
		} else {
			pthread_mutex_lock(&p->lock);
			j->pfiles[i].err = EIO;
			pthread_mutex_unlock(&p->lock);
		}
	}
	if (--s->pack_pending == 0)
		pack_publish(p, slot);
	return 0;
}

/* One file's read of a packed chunk is in: the rest is asked again, or it is done. */
void pack_read_done(struct pump *p, uint32_t slot, uint32_t i, int res)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	struct pump_pfile *f = &j->pfiles[i];
	int err = 0;

	if (s->abandoned) { /* its chunk failed at the deadline (pack_abandon) */
		if (--s->pack_pending == 0) {
			s->abandoned = false;
			pump_slot_free(p, slot);
		}
		return;
	}
	if (f->rb == PF_RB_ASKING) {
		f->rb = res == -EOPNOTSUPP ? PF_RB_YES : PF_RB_NO;
		if (res == -EOPNOTSUPP || res == -EAGAIN) {
			if (j->cancel)
				res = -ECANCELED;
			else if (pack_read(p, slot, i) == 0)
				return;
			else
				res = -EIO;
		}
	}
	if (res < 0) {
		err = -res;
	} else if (res == 0) {
		if (f->got < f->size)
			err = ESTALE; /* it shrank since it was planned */
	} else {
		f->got += (uint32_t)res;
		if (f->got < f->size && !j->cancel) {
			if (pack_read(p, slot, i) == 0)
				return;
			err = EIO;
		}
	}
	pthread_mutex_lock(&p->lock);
	if (err)
		f->err = err;
	if (!j->t_read_ns)
		j->t_read_ns = pump_now_ns();
	pthread_mutex_unlock(&p->lock);
	if (--s->pack_pending == 0)
		pack_publish(p, slot);
}

/*
 * The chunk's reads are out past their deadline (pump_read_deadlines, which
 * has marked the slot abandoned and stopped the job waiting for it). The
 * region is shared with reads the kernel still owns, so the chunk is not
 * published from it, and the slot is freed when its last read returns
 * (pack_read_done). The files whose reads are out fail ETIMEDOUT; the
 * others are read again into another slot (pack_next_chunk), so a file
 * packed beside a hung one is still counted (issue 21: it failed with it).
 * Each time round at least one file drops out. A cancelled job's files
 * are cancelled; without memory for the redo list, all fail as before.
 */
void pack_abandon(struct pump *p, uint32_t slot)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	uint32_t first = j->pack_first[s->index], last = j->pack_first[s->index + 1];
	bool redo = false;

	if (p->cache) /* never published: the GPU read none of its cache slots */
		pack_cache_unpin(p, j, slot, s->index);
	if (!j->cancel && !j->pack_redo)
		j->pack_redo = calloc(j->chunks, sizeof(*j->pack_redo));
	pthread_mutex_lock(&p->lock);
	for (uint32_t i = first; i < last; i++) {
		struct pump_pfile *f = &j->pfiles[i];
		if (f->err)
			continue;
		if (j->cancel)
			f->err = ECANCELED;
		else if (f->got < f->size || !j->pack_redo)
			f->err = ETIMEDOUT; /* its read is out (or nowhere to note the redo) */
		else {
			f->got = 0; /* read in full: again, in the chunk's next slot */
			redo = true;
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (redo)
		j->pack_redo[j->npack_redo++] = (uint32_t)s->index;
	else if (!j->cancel)
		job_chunk_failed(p, j, s->index, 0, ETIMEDOUT);
}

#define PACK_END_MASK (STATX_SIZE | STATX_MTIME | STATX_NLINK)

static void pack_end_stat_set(struct pump *p, struct pump_pfile *f, int res,
			      const struct statx *stx)
{
	pthread_mutex_lock(&p->lock);
	f->end_ok = res == 0 && (stx->stx_mask & PACK_END_MASK) == PACK_END_MASK;
	if (f->end_ok) {
		f->end_nlink = stx->stx_nlink;
		f->end_size = stx->stx_size;
		f->end_mtime_sec = stx->stx_mtime.tv_sec;
		f->end_mtime_nsec = stx->stx_mtime.tv_nsec;
	}
	pthread_mutex_unlock(&p->lock);
}

/*
 * The job's files as it ends (pump_file_result.end_*): once every slot of
 * the job is in, one IORING_OP_STATX a file, which the kernel runs on
 * io-wq, where fs/many.c's fstat of each in on_end was 2.1-2.9 us of the
 * pump thread's time a file (BENCHMARKS.md "The walk"). pump_retire ends
 * the job once none is out (pack_end_stat_done), so each is taken after
 * the file's last read and before its close, as that fstat was. One that
 * cannot be queued (no memory, no SQE, a dead unit) is a statx(2) here.
 * Returns how many are out.
 */
uint32_t pack_end_stats(struct pump *p, struct pump_job *j)
{
	if (j->end_asked)
		return j->end_out;
	j->end_asked = true;
	j->end_stx = calloc(j->npfiles ? j->npfiles : 1, sizeof(*j->end_stx));
	for (uint32_t i = 0; i < j->npfiles; i++) {
		struct pump_pfile *f = &j->pfiles[i];
		struct statx stx;
		if (f->fd < 0)
			continue;
		if (j->end_stx && !pump_is_dead(p) &&
		    uring_statx(p, f->fd, &j->end_stx[i], uring_tag_stat(j->batch, i)) == 0) {
			j->end_out++;
			continue;
		}
		int ret = statx(f->fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, PACK_END_MASK,
				&stx);
		pack_end_stat_set(p, f, ret < 0 ? -errno : 0, &stx);
	}
	return j->end_out;
}

/* File i's end stat of the active job with this batch id is in (pump_reap). */
void pack_end_stat_done(struct pump *p, uint32_t batch, uint32_t i, int res)
{
	p->stats_out--;
	for (struct pump_job *j = p->active; j; j = j->next) {
		if (j->batch != batch || !j->end_out || i >= j->npfiles)
			continue;
		pack_end_stat_set(p, &j->pfiles[i], res, &j->end_stx[i]);
		j->end_out--;
		return;
	}
	vlog_err("pump: an end stat of batch %u came for no job", batch);
}
