// SPDX-License-Identifier: MIT
/*
 * read.c - a job's file read into the slots: the next chunk's read
 * (inline when cached, else io_uring), completions, short reads, EOF,
 * rereads without the tail window, op reads, the read deadlines, and the
 * CQE reaper. A completed chunk goes on the ring (slot.c); a packed
 * chunk's reads are pack.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "pump_priv.h"
#include "trace.h"

static void pump_chunk_read_failed(struct pump *p, uint32_t slot, int err);
static void pump_read_done(struct pump *p, uint32_t slot, int res);

/*
 * A small buffered read whose pages are cached is copied right here with
 * preadv2(RWF_NOWAIT), in a few microseconds: through io_uring the same
 * read went to an io-wq worker and came back ~220 us later on the H200
 * (taken_us 11 -> read_us 234 for a 4 KiB job). Pages that are not cached,
 * go through io_uring as before (EAGAIN), and so does a filesystem without
 * non-blocking reads (EOPNOTSUPP: FUSE, virtiofs, 9p): a plain pread there
 * once saved its io-wq round trip, but a read that never answers (a user's
 * FUSE source, fuse_sources=1) held the pump thread, and every user's job
 * on the unit with it (issue 21 item 3). True if the read is done.
 */
static bool pump_read_inline(struct pump *p, uint32_t slot)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	uint8_t *region = arena_region(&p->arena, slot);
	/* into BAR through host memory: a non-blocking read straight into a
	 * BAR mapping came back short on ext4 (read_us stayed 213 on the H200) */
	struct iovec iov = {p->bounce ? p->bounce : region, s->want};
	ssize_t n;

	if (j->direct || j->reads_block || s->want > PUMP_INLINE_READ_MAX || s->got)
		return false;
	n = preadv2(j->fd, &iov, 1, (off_t)s->file_off, RWF_NOWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINVAL || errno == EOPNOTSUPP))
		return false;
	if (n > 0 && p->bounce)
		memcpy(region, p->bounce, (size_t)n);
	pump_read_done(p, slot, n < 0 ? -errno : (int)n);
	return true;
}

static void pump_publish_chunk(struct pump *p, uint32_t slot);

/*
 * The chunk in the file cache (cache.c): the slot reads the cache slot
 * instead of the file, as if a read had returned what the file holds now.
 * The file's identity is unchanged since the entry's bytes were read
 * (the entry is its identity's), so they are its bytes, and its size is
 * what it was: need, the bytes a read would give, is exact. True if hit.
 */
static bool pump_cache_hit(struct pump *p, uint32_t slot, uint64_t want)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	uint64_t left = j->cache_id.size > s->file_off ? j->cache_id.size - s->file_off : 0;
	uint64_t need = want < left ? want : left;
	uint32_t i;

	if (!need)
		return false;
	i = cache_lookup(p->cache, &j->cache_id, s->file_off, need);
	if (i == CACHE_NONE)
		return false;
	s->cache_read = i + 1;
	s->got = (uint32_t)need;
	if (!j->t_read_ns) {
		pthread_mutex_lock(&p->lock);
		j->t_read_ns = pump_now_ns();
		pthread_mutex_unlock(&p->lock);
	}
	pump_publish_chunk(p, slot);
	return true;
}

/* Starts reading the job's next chunk into a free slot. */
int pump_admit_chunk(struct pump *p, struct pump_job *j)
{
	int slot = pump_slot_take(p, j);
	struct pump_slot *s;
	uint64_t left;

	if (slot < 0)
		return slot;
	if (j->pfiles)
		return pack_admit(p, j, (uint32_t)slot);
	s = &p->slots[slot];
	s->state = PSLOT_READING;
	s->read_ns = pump_now_ns();
	s->index = j->next_index++;
	s->file_off = j->next_off;
	left = j->scan_end - j->next_off;
	s->want = (uint32_t)(left < (uint64_t)j->chunk + j->tail ? left : j->chunk + j->tail);
	if (j->replay)
		trace_replay_chunk(j, s);
	uint64_t want = s->want;
	if (j->direct) /* O_DIRECT reads whole pages; the region has room */
		s->want = (s->want + 4095u) & ~4095u;
	j->next_off += j->chunk;
	j->reads++;
	pthread_mutex_lock(&p->lock);
	p->slots_reading++;
	pthread_mutex_unlock(&p->lock);
	if (j->cached && pump_cache_hit(p, (uint32_t)slot, want))
		return 0;
	if (pump_read_inline(p, (uint32_t)slot))
		return 0;
	int ret = uring_read(p, (uint32_t)slot);
	if (ret) { /* no read in flight: the chunk fails now, its slot comes back */
		vlog_err("pump: queueing a chunk's read failed (%d)", ret);
		pump_chunk_read_failed(p, (uint32_t)slot, -ret);
	}
	return ret;
}

/*
 * A chunk read from the file by a job that may use the cache: the GPU
 * copies it into a cache slot as it scans it (VYRE_W_TEE), committed at
 * harvest (pump_cache_fill_done). Without room the chunk is only scanned.
 */
static void pump_cache_fill(struct pump *p, uint32_t slot, struct ring_work *w)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	uint32_t i;

	j->cache_misses++;
	atomic_fetch_add_explicit(&p->cache->misses, 1, memory_order_relaxed);
	i = cache_reserve(p->cache, &j->cache_id, s->file_off, w->data_len + w->tail_len,
			  w->data_len);
	if (i == CACHE_NONE)
		return;
	s->cache_fill = i + 1;
	w->tee = (uint32_t)(cache_offset(p->cache, i) / VYRE_TEE_UNIT) + 1;
}

static void pump_publish_chunk(struct pump *p, uint32_t slot)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	uint32_t avail = s->got;
	int ret;

	if (s->file_off + avail > j->scan_end)
		avail = (uint32_t)(j->scan_end - s->file_off);
	s->data_len = avail < j->chunk ? avail : j->chunk;
	if (s->data_len > j->end - s->file_off) /* a span's last chunk: the rest is tail */
		s->data_len = (uint32_t)(j->end - s->file_off);
	struct ring_work w = {
		.opcode = j->op->code,
		.tenant = j->batch,
		.arg2 = j->data_off,
		.jd_len = j->data_len,
		.data_off = pump_slot_data(p, slot),
		.data_len = s->data_len,
		.tail_len = avail - s->data_len,
		.batch = j->batch,
	};
	if (w.tail_len > j->tail)
		w.tail_len = j->tail;
	ret = j->replay ? trace_replay_work(p, slot, &w) : 0;
	if (ret) { /* pump_publish_read's accounting of a read slot, unpublished */
		j->reads--;
		pthread_mutex_lock(&p->lock);
		p->slots_reading--;
		pthread_mutex_unlock(&p->lock);
	} else {
		if (j->cached && !s->cache_read)
			pump_cache_fill(p, slot, &w);
		ret = pump_publish_read(p, j, slot, &w);
	}
	if (ret) {
		/* -EBUSY cannot happen (the slot was ours since admission); -ENOMEM can;
		 * -ETIMEDOUT (a dead unit) was logged once when it died */
		if (ret != -ETIMEDOUT)
			vlog_err("pump: chunk %llu of slot %u not published (%d)",
				 (unsigned long long)s->index, slot, ret);
		job_chunk_failed(p, j, s->index, s->file_off, -ret);
		if (j->op->result == PUMP_RESULT_FOLD)
			fold_skip(p, j, s->index);
		pump_slot_free(p, slot);
		return;
	}
	s->state = PSLOT_PUBLISHED;
	j->published++;
	j->published_total++;
	if (s->cache_read) {
		j->cache_hits++;
		atomic_fetch_add_explicit(&p->cache->hits, 1, memory_order_relaxed);
		pthread_mutex_lock(&p->lock);
		j->cached_bytes += s->data_len;
		pthread_mutex_unlock(&p->lock);
	}
}

/*
 * An op's read (grep's continuation of a line) inside a chunk the cache
 * holds for the job's file: the slot reads the cache slot from the read's
 * first byte (16-aligned there, as the GPU reads a chunk: grep_cont.c
 * aligns its reads down when the job may use the cache) to the entry's
 * end at most; the op is told that many bytes were asked and read, so a
 * line that runs on past the entry asks for the rest in its next hop.
 * The identity argument is pump_cache_hit's. Measured on lavapipe, a
 * 4.6 MB log with 30 lines of 70-150 KB: its second grep read 3.3 MB in
 * 202 continuation reads from the file before, none now.
 */
static bool pump_op_cache_hit(struct pump *p, uint32_t slot)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	uint64_t off = s->file_off, base, left, need, n;
	uint32_t i;

	if (!j->cached || j->pfiles || off < j->offset)
		return false;
	base = off - (off - j->offset) % j->chunk; /* the job's chunk that holds off */
	left = j->cache_id.size > off ? j->cache_id.size - off : 0;
	need = s->want < left ? s->want : left;
	if (!need || ((off - base) & 15))
		return false;
	i = cache_lookup(p->cache, &j->cache_id, base, off - base + (need < 16 ? need : 16));
	if (i == CACHE_NONE)
		return false;
	n = p->cache->ents[i].len - (off - base);
	if (n > need)
		n = need;
	s->cache_read = i + 1;
	s->cache_skip = (uint32_t)(off - base);
	s->want = s->got = (uint32_t)n;
	return true;
}

int pump_op_read(struct pump *p, uint32_t slot, uint64_t off, uint32_t want)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	int ret;

	s->state = PSLOT_READING;
	s->kind = PSLOT_OPREAD;
	s->read_ns = pump_now_ns();
	s->file_off = off;
	s->want = want;
	s->got = 0;
	if (pump_op_cache_hit(p, slot)) {
		ret = uring_nop(p, slot); /* its completion hands the op s->got bytes */
		if (ret) {
			cache_unpin(p->cache, s->cache_read - 1);
			s->cache_read = s->cache_skip = 0;
			s->want = want;
			s->got = 0;
		}
	}
	ret = s->cache_read ? 0 : uring_read(p, slot);
	if (ret)
		return ret;
	j->reads++;
	pthread_mutex_lock(&p->lock);
	p->slots_reading++;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/* A file that ends early ends the job's range there (files shrink). */
static void pump_job_eof(struct pump *p, struct pump_job *j, uint64_t at)
{
	if (at < j->scan_end)
		j->scan_end = at;
	if (at >= j->end)
		return;
	j->end = at;
	pthread_mutex_lock(&p->lock);
	j->length = at > j->offset ? at - j->offset : 0;
	j->chunks = (j->length + j->chunk - 1) / j->chunk;
	pthread_mutex_unlock(&p->lock);
}

/* An op's read: the rest is asked again after a short read, then the op has it. */
static void pump_op_read_done(struct pump *p, uint32_t slot, int res)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;

	if (res > 0) {
		s->got += (uint32_t)res;
		if (s->got < s->want && !j->cancel && !(j->direct && (res & 4095)) &&
		    uring_read(p, slot) == 0)
			return;
	}
	j->reads--;
	pthread_mutex_lock(&p->lock);
	p->slots_reading--;
	pthread_mutex_unlock(&p->lock);
	j->op->read_done(p, slot, res < 0 ? res : (int)s->got);
}

/* A chunk's read failed (err, positive): it is recorded and its slot freed. */
static void pump_chunk_read_failed(struct pump *p, uint32_t slot, int err)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;

	j->reads--;
	pthread_mutex_lock(&p->lock);
	p->slots_reading--;
	pthread_mutex_unlock(&p->lock);
	job_chunk_failed_once(p, j, s->index, s->file_off, err);
	if (j->op->result == PUMP_RESULT_FOLD)
		fold_skip(p, j, s->index);
	pump_slot_free(p, slot);
}

/*
 * A chunk's read failed. If it asked for a tail window too (bytes the next
 * chunk owns), the fault may lie there: the chunk is read once more alone,
 * and if its own bytes read, it is published without the tail (grep runs
 * its last line on with reads of its own, ops/grep.c; match does not count
 * occurrences across the edge). The tail's bytes fail in the chunk that
 * owns them, whose own read covers them: one bad sector fails one chunk
 * (issue 20: EIO in chunk 2 failed chunk 1 too, and dropped its lines).
 * 0 if the reread is queued.
 */
static int pump_chunk_reread(struct pump *p, uint32_t slot, int err)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	uint64_t own = j->end > s->file_off ? j->end - s->file_off : 0;

	if (own > j->chunk)
		own = j->chunk;
	if (j->direct)
		own = (own + 4095) & ~4095ull;
	if (s->tail_err || j->cancel || !own || s->want <= own)
		return -1;
	s->tail_err = err;
	s->want = (uint32_t)own;
	s->got = 0;
	return uring_read(p, slot);
}

static void pump_read_done(struct pump *p, uint32_t slot, int res)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;

	if (s->abandoned) { /* its chunk failed long ago (pump_read_deadlines) */
		s->abandoned = false;
		pump_slot_free(p, slot);
		return;
	}
	if (s->kind == PSLOT_OPREAD) {
		pump_op_read_done(p, slot, res);
		return;
	}
	if (res < 0) {
		if (pump_chunk_reread(p, slot, -res))
			pump_chunk_read_failed(p, slot, -res);
		return;
	}
	if (!j->t_read_ns) {
		pthread_mutex_lock(&p->lock);
		j->t_read_ns = pump_now_ns();
		pthread_mutex_unlock(&p->lock);
	}
	s->got += (uint32_t)res;
	uint64_t need = j->scan_end > s->file_off ? j->scan_end - s->file_off : 0;
	if (need > s->want)
		need = s->want;
	/* A short read is asked again for the rest; an O_DIRECT read that
	 * stops mid-page has hit EOF (a retry would be unaligned). */
	if (res > 0 && s->got < need && !j->cancel && !(j->direct && (res & 4095))) {
		int ret = uring_read(p, slot);
		if (ret == 0)
			return;
		/* the rest could not be asked for: the chunk fails, the result
		 * is never silently cut short */
		vlog_err("pump: re-reading the rest of a chunk failed (%d)", ret);
		pump_chunk_read_failed(p, slot, -ret);
		return;
	}
	if (s->got < need)
		pump_job_eof(p, j, s->file_off + s->got);
	if (s->got == 0 || s->file_off >= j->end) {
		/* nothing of this chunk exists any more */
		j->reads--;
		pthread_mutex_lock(&p->lock);
		p->slots_reading--;
		pthread_mutex_unlock(&p->lock);
		if (j->op->result == PUMP_RESULT_FOLD)
			fold_skip(p, j, s->index);
		pump_slot_free(p, slot);
		return;
	}
	pump_publish_chunk(p, slot);
}

/*
 * A read out past the deadline (read_timeout_ns), or out for a second of a
 * cancelled job, is abandoned: a chunk's fails its chunk ETIMEDOUT (a
 * cancelled job's is only skipped), an op's (grep's continuation of a line)
 * goes to the op as failed ETIMEDOUT, a packed chunk's fails its files
 * (pack_abandon); the job no longer waits for it and can end, be cancelled
 * and removed. The kernel still owns the read, so the slot (its arena
 * region) stays taken, and counted against its owner, until the read comes
 * back (pump_read_done, pack_read_done): pump_slot_free leaves an abandoned
 * slot alone, so an op may free it as after any failed read.
 */
#define PUMP_CANCEL_GRACE_NS 1000000000ull /* a cancelled job's reads get 1 s */

int pump_read_deadlines(struct pump *p, uint64_t now)
{
	int n = 0;

	if (!p->slots_reading || now - p->t_reads_checked_ns < PUMP_READ_CHECK_NS)
		return 0;
	p->t_reads_checked_ns = now;
	for (uint32_t i = 0; i < p->cfg.slots; i++) {
		struct pump_slot *s = &p->slots[i];
		struct pump_job *j = s->job;
		uint64_t out = now - s->read_ns;

		if (s->state != PSLOT_READING || s->abandoned || !s->read_ns ||
		    (out < p->read_timeout_ns && !(j->cancel && out > PUMP_CANCEL_GRACE_NS)))
			continue;
		s->abandoned = true;
		j->reads--;
		pthread_mutex_lock(&p->lock);
		p->slots_reading--;
		pthread_mutex_unlock(&p->lock);
		n++;
		if (!j->cancel)
			vlog_err("pump: a read %s %llu at offset %llu is out after %llu ms: it fails "
				 "ETIMEDOUT (its file's filesystem does not answer?)",
				 s->kind == PSLOT_OPREAD ? "of a line's continuation, slot" :
				 s->kind == PSLOT_PACKED ? "of packed chunk" : "of chunk",
				 (unsigned long long)(s->kind == PSLOT_OPREAD ? i : s->index),
				 (unsigned long long)s->file_off,
				 (unsigned long long)(out / 1000000));
		if (s->kind == PSLOT_OPREAD) {
			j->op->read_done(p, i, -ETIMEDOUT);
			continue;
		}
		if (s->kind == PSLOT_PACKED) {
			pack_abandon(p, i);
			continue;
		}
		if (!j->cancel)
			job_chunk_failed_once(p, j, s->index, s->file_off, ETIMEDOUT);
		if (j->op->result == PUMP_RESULT_FOLD)
			fold_skip(p, j, s->index);
	}
	return n;
}

int pump_reap(struct pump *p)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	bool rearm = false;

	io_uring_for_each_cqe(&p->uring, head, cqe) {
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		uint32_t file = uring_tag_file_plus_one(tag);
		if (tag == URING_WAKEUP_TAG)
			rearm = true;
		else if (tag == URING_CLOSE_TAG)
			p->closes_out--; /* uring_close_fd's: the fd is gone either way */
		else if (uring_tag_is_stat(tag))
			pack_end_stat_done(p, uring_tag_slot(tag) & ~URING_TAG_STAT, file - 1,
					   cqe->res);
		else if (file) /* a packed chunk's file (pack.c) */
			pack_read_done(p, uring_tag_slot(tag), file - 1, cqe->res);
		else
			pump_read_done(p, uring_tag_slot(tag), cqe->res);
		n++;
	}
	io_uring_cq_advance(&p->uring, n);
	if (rearm)
		p->wakeup_unarmed = true;
	if (p->wakeup_unarmed && uring_arm_wakeup(p) == 0)
		p->wakeup_unarmed = false;
	return (int)n;
}
