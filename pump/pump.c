// SPDX-License-Identifier: MIT
/*
 * pump.c - the pump unit: its thread, chunk admission, read completion,
 * harvest.
 *
 * One thread owns the io_uring, the ring and every slot. It admits chunks
 * only into free slots, round-robin across active jobs; a read's
 * completion publishes its slot; a harvested slot is summed into its job
 * and freed. It sleeps in io_uring (reads or the wakeup eventfd) and polls
 * the ring only while GPU work is outstanding.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pump_priv.h"
#include "units.h"

uint64_t pump_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void pump_owner_drop(struct pump *p, struct pump_owner *o);
void pack_abandon(struct pump *p, uint32_t slot); /* pack.c, beside pack_read_done */

void pump_slot_free(struct pump *p, uint32_t slot)
{
	struct pump_slot *s = &p->slots[slot];

	/* the kernel still reads into its region: freed when that read returns */
	if (s->abandoned)
		return;
	if (s->po) {
		s->po->slots--;
		pump_owner_drop(p, s->po);
	}
	pump_job_put(&s->job);
	memset(s, 0, sizeof(*s));
	p->slots_free++;
}

/*
 * The last PUMP_SLOTS_RESERVE free slots go only to an owner holding fewer
 * than that many: work that keeps its slots for long (grep lines=1 over a
 * chunk where every line matches reruns it for minutes on lavapipe; a read
 * from a file that never answers) never holds the whole ring, so another
 * owner's job gets its chunk and its fence slot at once. Issue 21 item 8:
 * another user's tiny job waited 70-120 s for a slot to come free. An
 * owner over the line waits for its own slots, which its work frees.
 */
static uint32_t pump_slots_reserve(const struct pump *p)
{
	return p->cfg.slots >= 8 ? PUMP_SLOTS_RESERVE : p->cfg.slots / 4;
}

static bool pump_slot_may(const struct pump *p, const struct pump_job *j)
{
	uint32_t reserve = pump_slots_reserve(p);

	return !j->po || p->slots_free > reserve || j->po->slots < reserve;
}

int pump_slot_take(struct pump *p, struct pump_job *j)
{
	if (!pump_slot_may(p, j))
		return -EBUSY;
	for (uint32_t i = 0; i < p->cfg.slots; i++) {
		if (p->slots[i].state != PSLOT_FREE)
			continue;
		p->slots_free--;
		pump_job_get(j);
		p->slots[i].job = j;
		p->slots[i].po = j->po;
		if (j->po)
			j->po->slots++;
		return (int)i;
	}
	return -EBUSY;
}

/* The owner record of a newly active job; NULL only without memory (then unfair, not wrong). */
static struct pump_owner *pump_owner_get(struct pump *p, uint32_t id)
{
	struct pump_owner *o;

	for (o = p->owners; o; o = o->next)
		if (o->id == id)
			break;
	if (!o) {
		o = calloc(1, sizeof(*o));
		if (!o)
			return NULL;
		o->id = id;
		o->next = p->owners;
		p->owners = o;
	}
	o->jobs++;
	return o;
}

/* An owner goes once it has no active job and holds no slot (an abandoned read's). */
static void pump_owner_drop(struct pump *p, struct pump_owner *o)
{
	struct pump_owner **pp;

	if (o->jobs || o->slots)
		return;
	for (pp = &p->owners; *pp != o; pp = &(*pp)->next)
		;
	*pp = o->next;
	free(o);
}

static void pump_owner_put(struct pump *p, struct pump_job *j)
{
	struct pump_owner *o = j->po;

	j->po = NULL;
	if (!o)
		return;
	o->jobs--;
	pump_owner_drop(p, o);
}

/*
 * A file without non-blocking reads (FUSE, virtiofs, 9p: RWF_NOWAIT fails
 * EOPNOTSUPP) is read only by io-wq workers (IOSQE_ASYNC, uring.c): on
 * kernel 6.18 io_uring_submit issued a FUSE direct_io read inline and
 * blocked the pump thread until the filesystem answered (3 s for 16 reads
 * of a hangfs file; forever for one that never answers). A one-byte
 * RWF_NOWAIT read never blocks: it fails, or copies a cached byte.
 */
static bool pump_reads_block(int fd)
{
	char c;
	struct iovec iov = {&c, 1};

	return preadv2(fd, &iov, 1, 0, RWF_NOWAIT) < 0 && errno == EOPNOTSUPP;
}

/* New jobs: give each a batch id (its fence, pattern and GPU tenant id). */
static int pump_take_submitted(struct pump *p)
{
	struct pump_job *list, *j;
	int n = 0;

	pthread_mutex_lock(&p->lock);
	list = p->submitted;
	while (list && p->nbatch_free) {
		j = list;
		list = j->next;
		j->batch = p->batch_free[--p->nbatch_free];
		atomic_fetch_sub_explicit(&p->queued, 1, memory_order_relaxed);
		j->state = PUMP_JOB_RUNNING;
		j->t_taken_ns = pump_now_ns();
		j->next = p->active;
		p->active = j;
		n++;
	}
	p->submitted = list;
	if (!list)
		p->submitted_tail = &p->submitted;
	if (p->stopping) /* shutting down: what runs is cancelled, not drained */
		for (j = p->active; j; j = j->next)
			atomic_store(&j->cancel, true);
	pthread_mutex_unlock(&p->lock);

	for (j = p->active; j && n; j = j->next, n--) {
		j->po = pump_owner_get(p, j->owner);
		j->reads_block = j->fd >= 0 && pump_reads_block(j->fd);
		ring_mask_tenant(p->ring, j->batch, false);
	}
	return n;
}

static bool job_has_chunks(const struct pump_job *j)
{
	if (j->pfiles)
		return !j->cancel && j->next_index < j->chunks;
	return !j->cancel && !j->stop_admit && j->next_off < j->end;
}

static bool job_op_busy(const struct pump_job *j)
{
	return j->op->busy && j->op->busy(j);
}

/*
 * The job's data region goes into the pool before its first chunk; while
 * the pool is full the job waits (its chunks are not admitted) until a job
 * ending frees a region.
 */
static bool pump_job_place(struct pump *p, struct pump_job *j)
{
	if (!j->data_len || j->data_placed)
		return true;
	if (ring_data_alloc(p->ring, j->data_len, &j->data_off))
		return false;
	ring_data_write(p->ring, j->data_off, j->data, j->data_len);
	j->data_placed = true;
	return true;
}

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
#define PUMP_INLINE_READ_MAX (64u << 10)

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

/* Starts reading the job's next chunk into a free slot. */
static int pump_admit_chunk(struct pump *p, struct pump_job *j)
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
	if (j->direct) /* O_DIRECT reads whole pages; the region has room */
		s->want = (s->want + 4095u) & ~4095u;
	j->next_off += j->chunk;
	j->reads++;
	pthread_mutex_lock(&p->lock);
	p->slots_reading++;
	pthread_mutex_unlock(&p->lock);
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
 * The fence goes in once every chunk of the job is published or failed; it
 * completes on the GPU only after those slots are done.
 */
static int pump_admit_fence(struct pump *p, struct pump_job *j)
{
	int slot = pump_slot_take(p, j);
	int ret;

	if (slot < 0)
		return slot;
	struct ring_work w = {
		.opcode = VYRE_OP_BATCH_FENCE,
		.tenant = VYRE_TENANT_BITS, /* never masked: a cancelled job still fences */
		.arg0 = j->batch,
		.arg1 = (uint32_t)j->published_total,
		.batch = VYRE_NO_BATCH,
	};
	ret = ring_publish(p->ring, (uint32_t)slot, &w);
	if (ret) {
		pump_slot_free(p, (uint32_t)slot);
		return ret;
	}
	p->slots[slot].state = PSLOT_PUBLISHED;
	p->slots[slot].fence = true;
	j->fence_published = true;
	pthread_mutex_lock(&p->lock);
	j->t_fence_ns = pump_now_ns();
	p->slots_published++;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/*
 * A level passed over this many times while it had chunks ready gets the
 * next slot: vyre-runtime's starvation counter. At 8, an idle scan beside
 * a stream of normal jobs still gets one slot in nine.
 */
#define PUMP_STARVE_TURNS 8

/*
 * The job that gets the next free slot. By priority level first, unless a
 * lower level has starved PUMP_STARVE_TURNS times; within a level, a job
 * of the owner holding the fewest slots, the first such in round-robin
 * order from p->rr. So a user with 200 jobs gets as many slots as a user
 * with one, then one owner's jobs take turns.
 */
static struct pump_job *pump_next_chunk_job(struct pump *p)
{
	struct pump_job *start = p->rr ? p->rr : p->active, *j = start;
	struct pump_job *best[PUMP_PRIO_LEVELS] = {0};
	uint32_t held_best[PUMP_PRIO_LEVELS];
	int level = -1;

	if (!j)
		return NULL;
	do {
		/* a job whose data region finds no room yet waits its turn, as
		 * does one whose owner holds all but the reserve */
		if (job_has_chunks(j) && pump_slot_may(p, j) && pump_job_place(p, j)) {
			int l = (int)j->priority - PUMP_PRIO_CRITICAL;
			uint32_t held = j->po ? j->po->slots : 0;
			if (!best[l] || held < held_best[l]) {
				best[l] = j;
				held_best[l] = held;
			}
		}
		j = j->next ? j->next : p->active;
	} while (j != start);
	for (int l = 0; l < PUMP_PRIO_LEVELS; l++) {
		if (!best[l])
			continue;
		if (level < 0)
			level = l; /* the most urgent level with work */
		else if (p->starved[l] >= PUMP_STARVE_TURNS) {
			level = l; /* a starved lower level takes this one */
			break;
		}
	}
	if (level < 0)
		return NULL;
	for (int l = level + 1; l < PUMP_PRIO_LEVELS; l++)
		if (best[l])
			p->starved[l]++;
	p->starved[level] = 0;
	return best[level];
}

/*
 * A dead unit scans nothing more: the job's chunks not yet admitted fail
 * ETIMEDOUT too (a packed chunk's files with it), so chunks_done plus
 * chunks_failed still add up to chunks. The failed list names the first
 * PUMP_DEAD_LISTED of them, then they are only counted: a 1 TiB scan of
 * 64 KiB chunks would otherwise list 16 M records (400 MB). A cancelled
 * job's rest is not a failure, nor what max= no longer needs. The rest
 * are the job's last chunks, so the ordered fold needs no skips for them
 * (pump_retire flushes it).
 */
#define PUMP_DEAD_LISTED 4096u

static void pump_job_fail_rest(struct pump *p, struct pump_job *j)
{
	uint64_t rest;

	for (uint32_t n = 0; job_has_chunks(j) && n < PUMP_DEAD_LISTED; n++) {
		if (j->pfiles) {
			uint32_t first = j->pack_first[j->next_index];
			uint32_t last = j->pack_first[j->next_index + 1];

			pthread_mutex_lock(&p->lock);
			for (uint32_t i = first; i < last; i++)
				if (!j->pfiles[i].err)
					j->pfiles[i].err = ETIMEDOUT;
			pthread_mutex_unlock(&p->lock);
			job_chunk_failed(p, j, j->next_index++, 0, ETIMEDOUT);
			continue;
		}
		job_chunk_failed(p, j, j->next_index++, j->next_off, ETIMEDOUT);
		j->next_off += j->chunk;
	}
	if (!job_has_chunks(j) || j->pfiles) /* a packed job has at most 4096 chunks */
		return;
	rest = (j->end - j->next_off + j->chunk - 1) / j->chunk;
	j->next_index += rest;
	j->next_off = j->end;
	pthread_mutex_lock(&p->lock);
	j->chunks_failed += rest;
	p->chunks_failed += rest;
	pthread_mutex_unlock(&p->lock);
}

/*
 * Admission on a dead unit: nothing is published again (the GPU may still
 * touch its slots). The op drops what it keeps (grep's reruns and open
 * lines), the rest of every job fails, and each job counts as fenced, so
 * it ends once its reads in flight are back.
 */
static int pump_admit_dead(struct pump *p)
{
	for (struct pump_job *j = p->active; j; j = j->next) {
		if (j->op->admit)
			j->op->admit(p, j);
		pump_job_fail_rest(p, j);
		j->fence_published = true;
		j->fence_done = true;
	}
	return 0;
}

/* Fences first (they finish jobs), then one chunk per job in turn. */
static int pump_admit(struct pump *p)
{
	int n = 0;

	if (pump_dead(p))
		return pump_admit_dead(p);
	for (struct pump_job *j = p->active; j; j = j->next) {
		if (j->cancel) /* cancel reaches the GPU through the tenant mask */
			ring_mask_tenant(p->ring, j->batch, true);
		if (j->op->admit) /* an op's reruns and reads come before new chunks */
			n += j->op->admit(p, j);
		if (p->slots_free && !j->fence_published && !job_has_chunks(j) && j->reads == 0 &&
		    !job_op_busy(j) && pump_admit_fence(p, j) == 0)
			n++;
	}
	while (p->slots_free) {
		struct pump_job *j = pump_next_chunk_job(p);
		if (!j)
			break;
		p->rr = j->next ? j->next : p->active;
		if (pump_admit_chunk(p, j) < 0)
			return n;
		n++;
	}
	return n;
}

/*
 * A read slot's work goes on the ring (the op's pack hook first): the
 * read is over either way, the slot is published unless ret says not.
 */
int pump_publish_read(struct pump *p, struct pump_job *j, uint32_t slot, struct ring_work *w)
{
	int ret = pump_dead(p) ? -ETIMEDOUT : j->op->pack ? j->op->pack(p, slot, w) : 0;

	if (!ret)
		ret = ring_publish(p->ring, slot, w);
	j->reads--;
	pthread_mutex_lock(&p->lock);
	p->slots_reading--;
	if (!ret)
		p->slots_published++;
	if (!j->t_published_ns)
		j->t_published_ns = pump_now_ns();
	pthread_mutex_unlock(&p->lock);
	return ret;
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
		.data_off = arena_offset(&p->arena, slot),
		.data_len = s->data_len,
		.tail_len = avail - s->data_len,
		.batch = j->batch,
	};
	if (w.tail_len > j->tail)
		w.tail_len = j->tail;
	ret = pump_publish_read(p, j, slot, &w);
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
}

int pump_slot_publish(struct pump *p, uint32_t slot, const struct ring_work *w)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	int ret = pump_dead(p) ? -ETIMEDOUT : ring_publish(p->ring, slot, w);

	if (ret)
		return ret;
	s->state = PSLOT_PUBLISHED;
	j->published++;
	if (w->batch != VYRE_NO_BATCH)
		j->published_total++; /* the fence counts it */
	pthread_mutex_lock(&p->lock);
	p->slots_published++;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int pump_op_read(struct pump *p, uint32_t slot, uint64_t off, uint32_t want)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	int ret;

	s->state = PSLOT_READING;
	s->opread = true;
	s->read_ns = pump_now_ns();
	s->file_off = off;
	s->want = want;
	s->got = 0;
	ret = uring_read(p, slot);
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
	if (s->opread) {
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
#define PUMP_READ_CHECK_NS  100000000ull  /* deadlines are looked at every 100 ms */
#define PUMP_CANCEL_GRACE_NS 1000000000ull /* a cancelled job's reads get 1 s */

static int pump_read_deadlines(struct pump *p, uint64_t now)
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
				 s->opread ? "of a line's continuation, slot" :
				 j->pfiles ? "of packed chunk" : "of chunk",
				 (unsigned long long)(s->opread ? i : s->index),
				 (unsigned long long)s->file_off,
				 (unsigned long long)(out / 1000000));
		if (s->opread) {
			j->op->read_done(p, i, -ETIMEDOUT);
			continue;
		}
		if (j->pfiles) {
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

static int pump_reap(struct pump *p)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	bool rearm = false;

	io_uring_for_each_cqe(&p->uring, head, cqe) {
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		if (tag == URING_WAKEUP_TAG)
			rearm = true;
		else if (tag >> 32) /* a packed chunk's file (pack.c) */
			pack_read_done(p, (uint32_t)tag, (uint32_t)(tag >> 32) - 1, cqe->res);
		else
			pump_read_done(p, (uint32_t)tag, cqe->res);
		n++;
	}
	io_uring_cq_advance(&p->uring, n);
	if (rearm)
		p->wakeup_unarmed = true;
	if (p->wakeup_unarmed && uring_arm_wakeup(p) == 0)
		p->wakeup_unarmed = false;
	return (int)n;
}

static void pump_harvest_one(void *ctx, const struct ring_done *d)
{
	struct pump *p = ctx;
	struct pump_slot *s = &p->slots[d->slot];
	struct pump_job *j = s->job;

	if (!s->fence && j->op->harvest) {
		pthread_mutex_lock(&p->lock);
		p->slots_published--;
		j->published--;
		j->t_harvested_ns = pump_now_ns();
		pthread_mutex_unlock(&p->lock);
		if (j->op->harvest(p, d->slot, d) > 0)
			s->state = PSLOT_HELD;
		else
			pump_slot_free(p, d->slot);
		return;
	}
	/* the bins beside the slot's sequence, before the lock: a late store spins here */
	bool hist = !s->fence && d->status == VYRE_SLOT_DONE && j->op->result == PUMP_RESULT_HIST;
	uint32_t bins[VYRE_HIST_BINS];
	int lost = hist ? ring_done_bins(d, bins) : 0;

	pthread_mutex_lock(&p->lock);
	p->slots_published--;
	if (s->fence) {
		j->epoch = d->epoch;
		j->fence_done = true;
		j->t_fence_done_ns = pump_now_ns();
	} else {
		j->published--;
		j->t_harvested_ns = pump_now_ns();
		if (d->status == VYRE_SLOT_DONE && !lost) {
			j->chunks_done++;
			j->bytes_done += s->data_len;
			p->chunks_done++;
			p->bytes_scanned += s->data_len;
			if (hist)
				for (int b = 0; b < VYRE_HIST_BINS; b++)
					j->hist[b] += bins[b];
			else
				j->result += d->result;
		}
		if (j->pfiles)
			pack_harvest_locked(j, s, d);
	}
	pthread_mutex_unlock(&p->lock);
	if (lost) {
		vlog_err("pump: slot %u: the GPU's bins never showed the slot's sequence (%llu ms); "
			 "chunk %llu fails", d->slot, RING_TAGGED_WAIT_NS / 1000000,
			 (unsigned long long)s->index);
		job_chunk_failed(p, j, s->index, s->file_off, EIO);
	}
	if (!s->fence && d->status != VYRE_SLOT_DONE && d->error != VYRE_ERR_MASKED)
		job_chunk_failed(p, j, s->index, s->file_off, pump_done_err(d));
	pump_slot_free(p, d->slot);
}

/* Jobs whose fence and every slot are harvested leave the active list. */
static void pump_tally_job(struct pump *p, const struct pump_job *j);

static void pump_retire(struct pump *p)
{
	struct pump_job **pp = &p->active;

	while (*pp) {
		struct pump_job *j = *pp;
		if (!j->fence_done || j->published || j->reads) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		if (p->rr == j)
			p->rr = j->next;
		ring_mask_tenant(p->ring, j->batch, false);
		p->batch_free[p->nbatch_free++] = j->batch;
		pump_owner_put(p, j);
		if (j->data_placed)
			ring_data_free(p->ring, j->data_off, j->data_len);
		if (j->op->result == PUMP_RESULT_FOLD)
			fold_flush(p, j);
		j->data_placed = false;
		pump_tally_job(p, j);
		job_end(p, j);
		pump_job_put(&j);
	}
}

/* the watchdog samples the ring's signs of life at most this often */
#define PUMP_WD_EVERY_NS (50ull * 1000000ull)

bool pump_dead(struct pump *p)
{
	/* pairs with pump_die's release store */
	return atomic_load_explicit(&p->dead, memory_order_acquire);
}

/*
 * The GPU made no progress for gpu_timeout with work out. Every slot out
 * is ended by the host as failed ETIMEDOUT (through the harvest path, so
 * ops, folds and fences see an ordinary failed slot) and the unit is dead
 * for good: its slots may still be read or written by a GPU that wakes,
 * so none is published again (pump_admit_dead, pump_publish_read), and
 * pump_queue refuses new jobs.
 */
static int pump_die(struct pump *p, uint64_t quiet_ns)
{
	uint32_t out = ring_outstanding(p->ring);

	pthread_mutex_lock(&p->lock); /* pump_queue checks it under the lock */
	atomic_store_explicit(&p->dead, true, memory_order_release);
	pthread_mutex_unlock(&p->lock);
	vlog_err("pump: %s: no GPU progress for %llu ms with %u slots out (gpu_timeout=%u); "
		 "this unit is dead: its jobs fail with ETIMEDOUT and new jobs are refused. Check "
		 "the device (dmesg, its driver), then remount; if it is only slow, mount with a "
		 "larger gpu_timeout=MS",
		 p->gpu->name, (unsigned long long)(quiet_ns / 1000000), out, p->cfg.gpu_timeout);
	return ring_abandon(p->ring, ETIMEDOUT, pump_harvest_one, p);
}

/*
 * Runs every pass of the pump thread. Progress is a harvested slot, or
 * any sign of life the ring shows (ring_life: a relaunch, a tile claimed,
 * a slot done, a persistent kernel's heartbeat): so a dispatch that runs
 * for seconds on lavapipe, its tiles being claimed one after another, is
 * alive. The signs cost device reads, so they are sampled only after
 * wd_every_ns without a harvest; with no work out the clock does not run
 * (an idle persistent kernel is never dead). Returns the slots it ended:
 * progress, so the thread makes another pass (their jobs end in it).
 */
static int pump_watchdog(struct pump *p, uint64_t now, int harvested)
{
	struct ring_life life;

	if (harvested || !ring_outstanding(p->ring)) {
		p->wd_since_ns = 0;
		return 0;
	}
	if (!p->wd_since_ns) {
		p->wd_since_ns = p->wd_sample_ns = now;
		ring_life(p->ring, &p->wd_life);
		return 0;
	}
	if (now - p->wd_sample_ns < p->wd_every_ns)
		return 0;
	p->wd_sample_ns = now;
	ring_life(p->ring, &life);
	if (life.launches != p->wd_life.launches || life.heartbeat != p->wd_life.heartbeat ||
	    life.done != p->wd_life.done || life.claims != p->wd_life.claims) {
		p->wd_life = life;
		p->wd_since_ns = now;
		return 0;
	}
	if (now - p->wd_since_ns < p->wd_timeout_ns)
		return 0;
	return pump_die(p, now - p->wd_since_ns);
}

/*
 * VYRE_FAULT_GPU_STALL_AFTER=N (tests only): after N launches the pump
 * launches nothing more, so the published work is simply never done, as
 * on a GPU that stopped answering. One branch when unset.
 */
static bool pump_fault_stalled(struct pump *p)
{
	if (!p->fault_stall || ring_launches(p->ring) < p->fault_stall_after)
		return false;
	if (!p->fault_stalled) {
		vlog_info("pump: fault injection: %llu launches made, no more",
			  (unsigned long long)p->fault_stall_after);
		p->fault_stalled = true;
	}
	return true;
}

/*
 * Stopping: what runs is cancelled, and its slots come back within a
 * launch or two. A device that stops answering must not hang unmount, so
 * after PUMP_STOP_GRACE_NS the thread leaves whatever is still out.
 */
#define PUMP_STOP_GRACE_NS (5ull * 1000000000ull)

static bool pump_should_exit(struct pump *p)
{
	bool stop;
	uint64_t since;

	pthread_mutex_lock(&p->lock);
	stop = p->stopping && !p->submitted;
	since = p->t_stop_ns;
	pthread_mutex_unlock(&p->lock);
	if (!stop)
		return false;
	if (!p->active)
		return true;
	if (pump_now_ns() - since < PUMP_STOP_GRACE_NS)
		return false;
	vlog_err("pump: %u slots still out %llu s after stop; leaving them (device hung?)",
		 ring_outstanding(p->ring), PUMP_STOP_GRACE_NS / 1000000000ull);
	return true;
}

/*
 * Spins up to PUMP_IDLE_SPIN_NS for a submitted job or a completion;
 * true if one came. Measured on the H200: a 4 KiB job's eventfd wakeup of
 * the sleeping pump thread was a visible part of taken_us.
 */
#define PUMP_IDLE_SPIN_NS 50000ull

static bool pump_spin_for_work(struct pump *p)
{
	uint64_t until = pump_now_ns() + PUMP_IDLE_SPIN_NS;

	do {
		if (atomic_load_explicit(&p->queued, memory_order_acquire) ||
		    io_uring_cq_ready(&p->uring))
			return true;
		for (int i = 0; i < 64; i++)
			__builtin_ia32_pause();
	} while (pump_now_ns() < until);
	return false;
}

/*
 * The GPU counts executions per opclass in 32-bit words, which wrap in
 * minutes at ring speed (4.8 M slots/s); the host adds each word's change
 * (mod 2^32) into 64-bit counters every PUMP_COUNT_OPS_NS, far more often
 * than once per wrap (15 minutes at that rate), and whenever pump_info
 * asks. Not at every harvest: the words live in device memory, and reading
 * them cost a 4 KiB job ~56 us of PCIe round trips on the H200.
 */
#define PUMP_COUNT_OPS_NS (100ull * 1000000ull)
static void pump_count_ops_locked(struct pump *p)
{
	p->t_ops_counted_ns = pump_now_ns();
	for (uint32_t c = 0; c < VYRE_OPCLASSES; c++) {
		uint32_t now = ring_op_count(p->ring, c);
		p->op_exec[c] += (uint32_t)(now - p->op_seen[c]);
		p->op_seen[c] = now;
	}
}

static void pump_count_ops(struct pump *p)
{
	pthread_mutex_lock(&p->lock); /* pump_info adds too: one adder at a time */
	pump_count_ops_locked(p);
	pthread_mutex_unlock(&p->lock);
}

static void *pump_thread(void *arg)
{
	struct pump *p = arg;
	int idle_polls = 0;

	p->wakeup_unarmed = uring_arm_wakeup(p) != 0;
	for (;;) {
		int progress = pump_take_submitted(p);
		progress += pump_admit(p);
		if (p->pending_sqes) {
			int ret = io_uring_submit(&p->uring);
			if (ret >= 0)
				p->pending_sqes = 0;
			else if (ret != -EAGAIN && ret != -EBUSY && ret != -EINTR)
				vlog_err("pump: io_uring_submit failed (%d)", ret);
			/* else the SQEs stay queued: reaping frees room, the next pass submits */
		}
		progress += pump_reap(p);
		progress += pump_read_deadlines(p, pump_now_ns());
		int harvested = ring_harvest(p->ring, pump_harvest_one, p);
		progress += harvested;
		uint64_t now = pump_now_ns();
		if (now - p->t_ops_counted_ns > PUMP_COUNT_OPS_NS)
			pump_count_ops(p);
		progress += pump_watchdog(p, now, harvested);
		pump_retire(p);
		if (!pump_fault_stalled(p) && ring_kick(p->ring) < 0)
			vlog_err("pump: launching the megakernel failed");
		if (pump_should_exit(p))
			break;
		if (progress || p->pending_sqes) {
			idle_polls = 0;
			continue;
		}
		if (ring_outstanding(p->ring)) {
			/*
			 * GPU work is out: poll its done words. On a CPU device
			 * the polling would take a core from the "GPU" itself, so
			 * sleep on the launch instead (1 ms at most, so a new job
			 * waits no longer than that).
			 */
			if (p->fault_stalled) { /* nothing runs to wait on */
				struct timespec ms = {.tv_nsec = 1000000};
				nanosleep(&ms, NULL);
			} else if (p->gpu->is_cpu)
				ring_wait_launch(p->ring, 1000000);
			else if (++idle_polls > 64)
				sched_yield();
			continue;
		}
		/*
		 * Nothing on the GPU. On a GPU device, spin a little first: a
		 * shell's next job usually comes within microseconds, and an
		 * eventfd wakeup of a sleeping thread costs more than that.
		 */
		if (!p->gpu->is_cpu && pump_spin_for_work(p))
			continue;
		/* Sleep until a read completes or a job comes (the eventfd read). */
		struct io_uring_cqe *cqe;
		int ret;
		if (p->wakeup_unarmed || p->slots_reading) {
			/* no eventfd read in flight: do not sleep long; reads out:
			 * wake for their deadlines */
			struct __kernel_timespec ts = {
			    .tv_nsec = p->wakeup_unarmed ? 1000000 : (long long)PUMP_READ_CHECK_NS};
			ret = io_uring_wait_cqe_timeout(&p->uring, &cqe, &ts);
		} else {
			ret = io_uring_wait_cqe(&p->uring, &cqe);
		}
		if (ret < 0 && ret != -EINTR && ret != -ETIME && ret != -EAGAIN) {
			vlog_err("pump: waiting on io_uring failed (%d)", ret);
			struct timespec pause = {.tv_nsec = 1000000};
			nanosleep(&pause, NULL);
		}
	}
	return NULL;
}

static int pump_pick_mode(struct pump *p)
{
	struct gpu *g = p->gpu;
	uint64_t need = (uint64_t)p->cfg.slots * ((uint64_t)p->cfg.chunk + arena_tail(p->cfg.chunk));

	switch (p->cfg.kernel) {
	case PUMP_KERNEL_PERSISTENT:
		if (g->is_cpu) {
			vlog_err("kernel=persistent: %s is a CPU device, where a spinning kernel "
				 "cannot run (lavapipe caps loops); use kernel=relaunch",
				 g->name);
			return -ENOTSUP;
		}
		if (g->bar_bytes < need) {
			vlog_err("kernel=persistent: %s has no DEVICE_LOCAL|HOST_VISIBLE heap of "
				 "%llu MiB; use kernel=relaunch or fewer slots",
				 g->name, (unsigned long long)(need >> 20));
			return -ENOTSUP;
		}
		p->mode = RING_PERSISTENT;
		break;
	case PUMP_KERNEL_RELAUNCH:
		p->mode = RING_RELAUNCH;
		break;
	default:
		/*
		 * Relaunch, by measurement: on both GPUs measured (H100, H200)
		 * it scans faster, 37 vs 30 and 42 vs 33 GB/s, with the same
		 * small-job latency (H200 p50 161 vs 175 us). The persistent
		 * kernel's arena is in BAR, and CPU writes into BAR cap at
		 * ~34 GB/s while the GPU reads host memory at ~48
		 * (ARCHITECTURE.md, platform fact 9). Persistent stays for
		 * kernel=persistent.
		 */
		p->mode = RING_RELAUNCH;
		break;
	}
	return 0;
}

/*
 * VYRE_FAULT_GPU_STALL_AFTER=N, read once: a number, or the pump does not
 * start. VYRE_FAULT_GPU_STALL_UNIT=K stalls unit K alone (units.bats).
 */
static int pump_fault_config(struct pump *p)
{
	const char *s = getenv("VYRE_FAULT_GPU_STALL_AFTER");
	const char *unit = getenv("VYRE_FAULT_GPU_STALL_UNIT");
	const char *rt = getenv("VYRE_READ_TIMEOUT_MS"); /* tests only */
	char *end;

	p->read_timeout_ns = PUMP_READ_TIMEOUT_NS;
	if (rt) {
		errno = 0;
		unsigned long long ms = strtoull(rt, &end, 10);
		if (errno || end == rt || *end || *rt == '-' || !ms) {
			vlog_err("pump: VYRE_READ_TIMEOUT_MS=%s: must be a number of ms", rt);
			return -EINVAL;
		}
		p->read_timeout_ns = ms * 1000000ull;
	}

	if (!s || (unit && strtoul(unit, NULL, 10) != p->cfg.unit))
		return 0;
	errno = 0;
	p->fault_stall_after = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		vlog_err("pump: VYRE_FAULT_GPU_STALL_AFTER=%s: must be a number of launches", s);
		return -EINVAL;
	}
	p->fault_stall = true;
	vlog_info("pump: fault injection (tests only): no launch after %llu",
		  (unsigned long long)p->fault_stall_after);
	return 0;
}

int pump_create(const struct pump_config *cfg, struct pump **out)
{
	struct pump *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	p->efd = -1;
	p->submitted_tail = &p->submitted;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* pump_job_wait's clock */
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	p->t_start_ns = pump_now_ns();
	if (!p->cfg.gpu_timeout)
		p->cfg.gpu_timeout = PUMP_GPU_TIMEOUT_DEFAULT;
	p->wd_timeout_ns = (uint64_t)p->cfg.gpu_timeout * 1000000u;
	/* a sample costs a device read per slot out: a few per timeout suffice */
	p->wd_every_ns = p->wd_timeout_ns / 8;
	if (p->wd_every_ns > PUMP_WD_EVERY_NS)
		p->wd_every_ns = PUMP_WD_EVERY_NS;
	ret = pump_fault_config(p);
	if (ret)
		goto out_destroy;
	if (!cfg->slots || cfg->slots > PUMP_SLOTS_MAX || cfg->chunk < PUMP_CHUNK_MIN ||
	    cfg->chunk > PUMP_CHUNK_MAX || (cfg->chunk & (cfg->chunk - 1))) {
		vlog_err("pump: slots=%u chunk=%u out of range (slots 1-%u, chunk a power of two "
			 "4K-64M)",
			 cfg->slots, cfg->chunk, PUMP_SLOTS_MAX);
		ret = -EINVAL;
		goto out_destroy;
	}
	ret = gpu_open(cfg->device, &p->gpu);
	if (ret)
		goto out_destroy;
	ret = pump_pick_mode(p);
	if (ret)
		goto out_destroy;
	ret = arena_create(p->gpu, cfg->slots, cfg->chunk, p->mode == RING_PERSISTENT, &p->arena);
	if (ret)
		goto out_destroy;
	ret = ring_create(p->gpu, cfg->slots, p->mode, p->arena.buf.addr, &p->ring);
	if (ret)
		goto out_destroy;
	ret = uring_open(p);
	if (ret)
		goto out_destroy;
	/* measured: IOSQE_ASYNC pays on 16 cores, not on 2 (ARCHITECTURE.md, fact 5) */
	p->async = cfg->async < 0 ? sysconf(_SC_NPROCESSORS_ONLN) > 4 : cfg->async;
	if (p->registered)
		p->ingest = p->async ? "read_fixed_async+host_import" : "read_fixed+host_import";
	else
		p->ingest = p->async ? "read_async+bar" : "read+bar";
	p->efd = eventfd(0, EFD_CLOEXEC);
	p->slots = calloc(cfg->slots, sizeof(*p->slots));
	p->batch_free = calloc(VYRE_MAX_BATCHES, sizeof(*p->batch_free));
	if (!p->arena.host) {
		p->bounce = malloc(PUMP_INLINE_READ_MAX);
		/* touched now: a RWF_NOWAIT read into pages not yet faulted in
		 * failed EAGAIN on tmpfs every time (read_us 213 on the H200) */
		if (p->bounce)
			memset(p->bounce, 0, PUMP_INLINE_READ_MAX);
	}
	if (p->efd < 0 || !p->slots || !p->batch_free || (!p->arena.host && !p->bounce)) {
		ret = -ENOMEM;
		goto out_destroy;
	}
	p->slots_free = cfg->slots;
	for (uint32_t i = 0; i < VYRE_MAX_BATCHES; i++)
		p->batch_free[p->nbatch_free++] = VYRE_MAX_BATCHES - 1 - i;
	ret = -pthread_create(&p->thread, NULL, pump_thread, p);
	if (ret)
		goto out_destroy;
	p->thread_started = true;
	vlog_info("pump: %s (%s), kernel=%s, ingest=%s, slots=%u chunk=%u KiB", p->gpu->name,
		  p->gpu->driver, p->mode == RING_PERSISTENT ? "persistent" : "relaunch", p->ingest,
		  cfg->slots, cfg->chunk >> 10);
	*out = p;
	return 0;
out_destroy:
	pump_destroy(&p);
	return ret;
}

static void pump_wake(struct pump *p)
{
	uint64_t one = 1;

	if (write(p->efd, &one, sizeof(one)) < 0)
		vlog_err("pump: eventfd write failed");
}

/*
 * Stops admission, cancels what is queued or running (their fences still
 * complete, so every slot comes back), then releases the GPU.
 */
void pump_destroy(struct pump **pp)
{
	struct pump *p = *pp;
	bool hung = false;

	if (!p)
		return;
	if (p->thread_started) {
		pthread_mutex_lock(&p->lock);
		p->stopping = true;
		p->t_stop_ns = pump_now_ns();
		for (struct pump_job *j = p->submitted; j; j = j->next)
			j->cancel = true;
		pthread_mutex_unlock(&p->lock);
		pump_wake(p);
		pthread_join(p->thread, NULL);
	}
	if (p->ring && ring_destroy(&p->ring) == -ETIMEDOUT)
		hung = true;
	uring_close(p);
	if (p->gpu && hung) {
		/* the hung kernel may still read the arena; the process is ending */
		vlog_err("pump: leaving the arena and the device of a hung GPU");
	} else if (p->gpu) {
		arena_destroy(p->gpu, &p->arena);
		gpu_close(&p->gpu);
	}
	if (p->efd >= 0)
		close(p->efd);
	while (p->tallies) {
		struct pump_tally *t = p->tallies;
		p->tallies = t->next;
		free(t);
	}
	while (p->owners) { /* left only when a hung device made the thread give up */
		struct pump_owner *o = p->owners;
		p->owners = o->next;
		free(o);
	}
	free(p->slots);
	free(p->batch_free);
	free(p->bounce);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
	*pp = NULL;
}

int pump_queue(struct pump *p, struct pump_job *j)
{
	pthread_mutex_lock(&p->lock);
	if (p->stopping || pump_dead(p)) {
		int ret = p->stopping ? -ESHUTDOWN : -ETIMEDOUT;
		pthread_mutex_unlock(&p->lock);
		return ret;
	}
	j->next = NULL;
	*p->submitted_tail = j;
	p->submitted_tail = &j->next;
	p->jobs_active++;
	atomic_fetch_add_explicit(&p->queued, 1, memory_order_release);
	pthread_mutex_unlock(&p->lock);
	pump_wake(p);
	return 0;
}

void pump_kick(struct pump *p)
{
	pump_wake(p);
}

static __thread int64_t pump_viewer = -1;

void pump_info_viewer(int64_t owner)
{
	pump_viewer = owner;
}

/* An ended job's counts go to its owner's tally (pump thread). */
static void pump_tally_job(struct pump *p, const struct pump_job *j)
{
	struct pump_tally *t;

	pthread_mutex_lock(&p->lock);
	for (t = p->tallies; t && t->owner != j->owner; t = t->next)
		;
	if (!t && (t = calloc(1, sizeof(*t)))) {
		t->owner = j->owner;
		t->next = p->tallies;
		p->tallies = t;
	}
	if (t) { /* without memory the owner's view stays short, never another's */
		t->chunks_done += j->chunks_done;
		t->chunks_failed += j->chunks_failed;
		t->bytes += j->bytes_done;
	}
	pthread_mutex_unlock(&p->lock);
}

void pump_info(struct pump *p, struct pump_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->device, sizeof(info->device), "%s", p->gpu->name);
	snprintf(info->driver, sizeof(info->driver), "%s", p->gpu->driver);
	info->ingest = p->ingest;
	info->kernel_mode = p->mode == RING_PERSISTENT ? "persistent" : "relaunch";
	info->slots = p->cfg.slots;
	info->chunk = p->cfg.chunk;
	info->epoch = ring_epoch(p->ring);

	pthread_mutex_lock(&p->lock);
	info->slots_reading = p->slots_reading;
	info->slots_published = p->slots_published;
	info->slots_free = p->cfg.slots - p->slots_reading - p->slots_published;
	info->jobs_active = p->jobs_active;
	info->jobs_done = p->jobs_done;
	info->jobs_failed = p->jobs_failed;
	info->chunks_done = p->chunks_done;
	info->chunks_failed = p->chunks_failed;
	info->bytes_scanned = p->bytes_scanned;
	if (pump_viewer >= 0) {
		const struct pump_tally *t = p->tallies;
		while (t && t->owner != (uint32_t)pump_viewer)
			t = t->next;
		info->chunks_done = t ? t->chunks_done : 0;
		info->chunks_failed = t ? t->chunks_failed : 0;
		info->bytes_scanned = t ? t->bytes : 0;
	}
	pump_count_ops_locked(p); /* up to the GPU's latest counts */
	memcpy(info->op_exec, p->op_exec, sizeof(info->op_exec));
	pthread_mutex_unlock(&p->lock);
	info->launches = ring_launches(p->ring);
	info->dead = pump_dead(p);
	/* the GPU moves slots PUBLISHED -> CLAIMED; read its word */
	for (uint32_t s = 0; s < p->cfg.slots; s++)
		if (ring_status_word(p->ring, s) == VYRE_SLOT_CLAIMED)
			info->slots_claimed++;
	if (info->slots_claimed > info->slots_published)
		info->slots_claimed = info->slots_published;
	info->slots_published -= info->slots_claimed;
}

/*
 * A job no unit runs yet (fs/: a grep job whose patterns are compiling on
 * a worker). Its accessors read it as queued until
 * pump_job_placeholder_end gives it its final state; nothing is ever read
 * or published for it. It lives on unit 0 only for that unit's lock.
 */
int pump_job_placeholder(struct pump_units *u, const struct pump_scan *scan,
			 struct pump_job **out)
{
	struct pump_job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	atomic_init(&j->refs, 1);
	atomic_init(&j->cancel, false);
	j->p = u->unit[0];
	j->fd = -1;
	j->offset = scan->offset;
	j->chunk = scan->chunk ? scan->chunk : j->p->cfg.chunk;
	j->owner = scan->owner;
	j->priority = scan->priority == PUMP_PRIO_DEFAULT ? PUMP_PRIO_NORMAL : scan->priority;
	j->state = PUMP_JOB_QUEUED;
	j->t_submit_ns = pump_now_ns();
	*out = j;
	return 0;
}

void pump_job_placeholder_end(struct pump_job *j, enum pump_job_state state)
{
	pthread_mutex_lock(&j->p->lock);
	j->state = state;
	j->t_end_ns = pump_now_ns();
	pthread_cond_broadcast(&j->p->cond);
	pthread_mutex_unlock(&j->p->lock);
}
