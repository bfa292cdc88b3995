// SPDX-License-Identifier: MIT
/*
 * admit.c - admission on the pump thread: new jobs taken from the
 * queue (batch ids), their data regions placed, the next chunk's job
 * picked (priority levels with starvation turns, then the owner holding
 * the fewest slots, round-robin), fences, a dead unit's rest, and retire.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pump_priv.h"
#include "trace.h"

/* Active jobs of an owner (the batch ids it holds); pump thread. */
static uint32_t pump_owner_jobs(const struct pump *p, uint32_t id)
{
	for (const struct pump_share *o = p->owners; o; o = o->next)
		if (o->id == id)
			return o->jobs;
	return 0;
}

/*
 * The link to the submitted job that gets the next batch id. While there
 * are ids for every job queued, the first; else the first job of the
 * owner holding the fewest ids. Issue 21 item 7: ids went first come,
 * first served, so one user's thousands of queued jobs held all 4096 and
 * root's 13-byte job queued 232 s behind them; now it takes the next id
 * that comes free. The scan is of the queue, once per id, and ids are
 * scarce exactly when this runs. Under p->qlock, on the pump thread;
 * taken: jobs this pass took already (still counted in queued).
 */
static struct pump_job **pump_fairest_submitted(struct pump *p, uint32_t taken)
{
	struct pump_job **best = &p->submitted;
	uint32_t held_best = UINT32_MAX;

	if (atomic_load_explicit(&p->queued, memory_order_relaxed) - taken <= p->nbatch_free)
		return best;
	for (struct pump_job **pp = &p->submitted; *pp; pp = &(*pp)->next) {
		uint32_t held = pump_owner_jobs(p, (*pp)->owner);
		if (held < held_best) {
			best = pp;
			held_best = held;
			if (!held)
				break;
		}
	}
	return best;
}

/*
 * New jobs: give each a batch id (its fence, pattern and GPU tenant id).
 * Off the queue under p->qlock, then RUNNING under p->lock: the two are
 * never held together. Until the second step a reader sees the job
 * queued, which it still is to the ring (queued keeps counting it).
 */
int pump_take_submitted(struct pump *p)
{
	struct pump_job *j;
	uint64_t drop, now;
	uint32_t n = 0, k;

	pthread_mutex_lock(&p->qlock);
	while (p->submitted && p->nbatch_free) {
		struct pump_job **pp = pump_fairest_submitted(p, n);
		j = *pp;
		*pp = j->next;
		if (!*pp)
			p->submitted_tail = pp;
		j->batch = p->batch_free[--p->nbatch_free];
		j->po = pump_share_get(&p->owners, j->owner); /* counted now: the next pick sees it */
		j->pf = j->flow ? pump_share_get(&p->flows, j->flow) : NULL;
		j->seq = j->rank_seq ? j->rank_seq : ++p->taken_seq;
		j->next = p->active; /* the active list is the pump thread's own */
		p->active = j;
		n++;
	}
	pthread_mutex_unlock(&p->qlock);

	pthread_mutex_lock(&p->lock);
	/*
	 * drop-cache before the jobs queued behind it are taken: a job
	 * submitted after the drop was asked never reads what it dropped.
	 * Read after the queue: the ask happened before such a job's
	 * pump_queue, which happened before this pass took it.
	 */
	drop = p->cache_drop_req;
	now = pump_now_ns();
	for (j = p->active, k = 0; k < n; j = j->next, k++) {
		j->state = PUMP_JOB_RUNNING;
		j->t_taken_ns = now;
	}
	p->jobs_taken += n;
	atomic_fetch_sub_explicit(&p->queued, n, memory_order_relaxed);
	if (pump_is_stopping(p)) /* shutting down: what runs is cancelled, not drained */
		for (j = p->active; j; j = j->next)
			atomic_store(&j->cancel, true);
	pthread_mutex_unlock(&p->lock);

	if (drop != p->cache_drop_done) {
		if (p->cache)
			cache_drop_all(p->cache);
		pthread_mutex_lock(&p->lock);
		p->cache_drop_done = drop;
		pthread_cond_broadcast(&p->cond); /* pump_cache_drop waits on it */
		pthread_mutex_unlock(&p->lock);
	}
	for (j = p->active, k = 0; j && k < n; j = j->next, k++) {
		j->reads_block = j->fd >= 0 && uring_reads_block(j->fd);
		ring_mask_tenant(p->ring, j->batch, false);
		if (j->cached && !j->pfiles) /* chunks of another identity of its file go */
			cache_job_start(p->cache, &j->cache_id);
	}
	return n; /* the jobs taken: progress for the pump thread's idle policy */
}

static bool job_has_chunks(const struct pump_job *j)
{
	if (j->pfiles)
		return !j->cancel && (j->npack_redo || j->next_index < j->chunks);
	if (j->replay)
		return !j->cancel && trace_replay_left(j);
	return !j->cancel && !j->stop_admit && j->next_off < j->end;
}

static bool job_op_busy(const struct pump_job *j)
{
	return j->op->busy && !j->replay && j->op->busy(j);
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
	p->slots[slot].kind = PSLOT_FENCE;
	trace_publish(p, (uint32_t)slot, &w);
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
 * Whether j goes before best, a job of its level: the owner holding fewer
 * slots, then the flow holding fewer (pump_scan.flow; a job without one
 * is its own), then within one flow the job taken first; else best, the
 * first in round-robin order.
 */
static bool pump_job_before(const struct pump_job *j, const struct pump_job *best)
{
	uint32_t held = j->po ? j->po->slots : 0;
	uint32_t held_best = best->po ? best->po->slots : 0;
	uint32_t fheld = pump_flow_slots(j), fheld_best = pump_flow_slots(best);

	if (held != held_best)
		return held < held_best;
	if (fheld != fheld_best)
		return fheld < fheld_best;
	return j->pf && j->pf == best->pf && j->seq < best->seq;
}

/*
 * The job that gets the next free slot. By priority level first, unless a
 * lower level has starved PUMP_STARVE_TURNS times; within a level, a job
 * of the owner holding the fewest slots, of that owner's flows the one
 * holding the fewest, the first such in round-robin order from p->rr. So
 * a user with 200 jobs gets as many slots as a user with one, then one
 * owner's jobs take turns. A flow's jobs go oldest first: fs/many.c's
 * tree job submits its files in walk order as jobs of one flow, and
 * order=walk shows a file only once all before it have ended; when the
 * active list (newest first) decided, the first file of a tree job
 * submitted beside another's leftovers waited for the ~1,000 files
 * submitted after it (4.5 s on lavapipe: issue 23, "first line").
 */
static struct pump_job *pump_next_chunk_job(struct pump *p)
{
	struct pump_job *start = p->rr ? p->rr : p->active, *j = start;
	struct pump_job *best[PUMP_PRIO_LEVELS] = {0};
	int level = -1;

	if (!j)
		return NULL;
	do {
		/* a job whose data region finds no room yet waits its turn, as
		 * does one whose owner holds all but the reserve */
		if (job_has_chunks(j) && pump_slot_may(p, j) && pump_job_place(p, j)) {
			int l = (int)j->priority - PUMP_PRIO_CRITICAL;
			if (!best[l] || pump_job_before(j, best[l]))
				best[l] = j;
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

	while (j->replay && job_has_chunks(j)) { /* a replay's slots are listed in its trace */
		struct pump_slot s;
		trace_replay_chunk(j, &s);
		job_chunk_failed(p, j, s.index, s.file_off, ETIMEDOUT);
	}
	for (uint32_t n = 0; job_has_chunks(j) && n < PUMP_DEAD_LISTED; n++) {
		if (j->pfiles) {
			uint32_t k = pack_next_chunk(j);
			uint32_t first = j->pack_first[k], last = j->pack_first[k + 1];

			pthread_mutex_lock(&p->lock);
			for (uint32_t i = first; i < last; i++)
				if (!j->pfiles[i].err)
					j->pfiles[i].err = ETIMEDOUT;
			pthread_mutex_unlock(&p->lock);
			job_chunk_failed(p, j, k, 0, ETIMEDOUT);
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
		if (j->op->admit && !j->replay)
			j->op->admit(p, j);
		pump_job_fail_rest(p, j);
		j->fence_published = true;
		j->fence_done = true;
	}
	return 0;
}

/*
 * A cancelled job that never published a chunk has nothing on the GPU to
 * wait for (its batch count is 0, which is what its fence would leave):
 * it needs no fence. A tree job cancelled with ~1,000 files taken and not
 * yet admitted fenced each of them, a slot apiece through the GPU, and
 * the next job of its owner waited ~0.6 s for them on lavapipe (issue 23).
 */
static bool pump_job_fenceless(const struct pump_job *j)
{
	return j->cancel && !j->published_total && !j->published && !j->reads && !job_op_busy(j);
}

/* Fences first (they finish jobs), then one chunk per job in turn. */
int pump_admit(struct pump *p)
{
	int n = 0;

	if (pump_is_dead(p))
		return pump_admit_dead(p);
	for (struct pump_job *j = p->active; j; j = j->next) {
		if (j->cancel) /* cancel reaches the GPU through the tenant mask */
			ring_mask_tenant(p->ring, j->batch, true);
		if (j->op->admit && !j->replay) /* an op's reruns and reads come before new chunks */
			n += j->op->admit(p, j);
		if (!j->fence_published && pump_job_fenceless(j)) {
			j->fence_published = true; /* pump_retire ends it */
			j->fence_done = true;
			n++;
		} else if (p->slots_free && !j->fence_published && !job_has_chunks(j) &&
			   j->reads == 0 && !job_op_busy(j) && pump_admit_fence(p, j) == 0) {
			n++;
		}
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

/* Jobs whose fence and every slot are harvested leave the active list. */
static void pump_tally_job(struct pump *p, const struct pump_job *j);

void pump_retire(struct pump *p)
{
	struct pump_job **pp = &p->active;

	while (*pp) {
		struct pump_job *j = *pp;
		if (!j->fence_done || j->published || j->reads ||
		    (j->pfiles && pack_end_stats(p, j))) { /* its files' end stats are out */
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		if (p->rr == j)
			p->rr = j->next;
		ring_mask_tenant(p->ring, j->batch, false);
		p->batch_free[p->nbatch_free++] = j->batch;
		pump_share_put(&p->owners, &j->po);
		pump_share_put(&p->flows, &j->pf);
		if (j->data_placed)
			ring_data_free(p->ring, j->data_off, j->data_len);
		if (j->op->result == PUMP_RESULT_FOLD)
			fold_flush(p, j);
		j->data_placed = false;
		pump_tally_job(p, j);
		job_end(p, j);
		job_drop(&j);
	}
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
		t->cache_hits += j->cache_hits;
		t->cache_misses += j->cache_misses;
		t->reruns += j->reruns;
		t->op_exec[j->op->opclass] += j->published_total;
		/* a fence that ran: a fenceless job's, or a dead unit's, never did */
		t->op_exec[VYRE_OPCLASS_FENCE] += j->t_fence_ns != 0;
	}
	pthread_mutex_unlock(&p->lock);
}
