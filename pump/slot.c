// SPDX-License-Identifier: MIT
/*
 * slot.c - the ring's slots as the pump thread sees them: take, free,
 * publish, harvest; each owner's share of them; and the pump-thread half
 * of a job (a chunk failed, the job ended, freed), and the rest of what
 * ops/op.h offers the ops. Below admit.c and read.c: calls only down
 * (ring.c, pfiles.c, arena.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pump_priv.h"
#include "trace.h"


void pump_slot_free(struct pump *p, uint32_t slot)
{
	struct pump_slot *s = &p->slots[slot];

	/* the kernel still reads into its region: freed when that read returns */
	if (s->abandoned)
		return;
	if (s->cache_read)
		cache_unpin(p->cache, s->cache_read - 1);
	if (s->kind == PSLOT_PACKED && p->cache) /* its files read from the cache */
		pack_cache_unpin(p, s->job, slot, s->index);
	if (s->cache_fill) /* never published, or never harvested: nothing proven */
		cache_commit(p->cache, s->cache_fill - 1, -ECANCELED);
	pump_share_slot_free(&p->owners, s->po);
	pump_share_slot_free(&p->flows, s->pf);
	if (s->job)
		s->job->slots--;
	job_drop(&s->job);
	memset(s, 0, sizeof(*s));
	p->slots_free++;
}

struct pump_slot *pump_slot_at(struct pump *p, uint32_t slot)
{
	return &p->slots[slot];
}

uint32_t pump_slots_free(const struct pump *p)
{
	return p->slots_free;
}

/*
 * Where a slot's chunk is for the GPU (ring_work.data_off): its arena
 * region, or the cache slot it is read from.
 */
uint64_t pump_slot_data(const struct pump *p, uint32_t slot)
{
	uint32_t c = p->slots[slot].cache_read;

	return c ? RING_DATA_CACHED | (cache_offset(p->cache, c - 1) + p->slots[slot].cache_skip)
		 : arena_offset(&p->arena, slot);
}

uint32_t *pump_slot_rec(struct pump *p, uint32_t slot, uint32_t *words)
{
	return ring_rec(p->ring, slot, words);
}

uint64_t pump_region_bytes(const struct pump *p)
{
	return p->arena.region;
}

bool pump_is_cpu(const struct pump *p)
{
	return p->gpu->is_cpu;
}

void pump_job_lock(struct pump_job *j)
{
	pthread_mutex_lock(&j->p->lock);
}

void pump_job_unlock(struct pump_job *j)
{
	pthread_mutex_unlock(&j->p->lock);
}

void pump_account_chunk_locked(struct pump *p, struct pump_job *j, uint32_t bytes)
{
	j->chunks_done++;
	j->bytes_done += bytes;
	p->chunks_done++;
	p->bytes_scanned += bytes;
}

void pump_account_chunk(struct pump *p, struct pump_job *j, uint32_t bytes)
{
	pthread_mutex_lock(&p->lock);
	pump_account_chunk_locked(p, j, bytes);
	pthread_mutex_unlock(&p->lock);
}

void pump_account_rerun(struct pump *p, struct pump_job *j)
{
	pthread_mutex_lock(&p->lock);
	j->reruns++;
	p->reruns++;
	pthread_mutex_unlock(&p->lock);
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

bool pump_slot_may(const struct pump *p, const struct pump_job *j)
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
		job_hold(j);
		p->slots[i].job = j;
		p->slots[i].po = j->po;
		if (j->po)
			j->po->slots++;
		p->slots[i].pf = j->pf;
		if (j->pf)
			j->pf->slots++;
		j->slots++;
		return (int)i;
	}
	return -EBUSY;
}

struct pump_share *pump_share_get(struct pump_share **list, uint64_t id)
{
	struct pump_share *s;

	for (s = *list; s; s = s->next)
		if (s->id == id)
			break;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		s->id = id;
		s->next = *list;
		*list = s;
	}
	s->jobs++;
	return s;
}

/* s goes once it has no active job and holds no slot (an abandoned read's). */
static void pump_share_drop(struct pump_share **list, struct pump_share *s)
{
	struct pump_share **pp;

	if (s->jobs || s->slots)
		return;
	for (pp = list; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	free(s);
}

void pump_share_put(struct pump_share **list, struct pump_share **sp)
{
	struct pump_share *s = *sp;

	*sp = NULL;
	if (!s)
		return;
	s->jobs--;
	pump_share_drop(list, s);
}

void pump_share_slot_free(struct pump_share **list, struct pump_share *s)
{
	if (!s)
		return;
	s->slots--;
	pump_share_drop(list, s);
}

/* The slots of the job's flow: its own when it has none. */
uint32_t pump_flow_slots(const struct pump_job *j)
{
	return j->pf ? j->pf->slots : j->slots;
}

/*
 * A read slot's work goes on the ring (the op's pack hook first): the
 * read is over either way, the slot is published unless ret says not.
 */
int pump_publish_read(struct pump *p, struct pump_job *j, uint32_t slot, struct ring_work *w)
{
	/* a replay's slot is published with the trace's words (trace.c) */
	bool pack = j->op->pack && !j->replay;
	int ret = pump_is_dead(p) ? -ETIMEDOUT : pack ? j->op->pack(p, slot, w) : 0;

	if (!ret) {
		bool fault = p->fault_publish_fail && ++p->fault_publishes == p->fault_publish_fail;
		if (!w->tile_shift) /* the ring takes the op's tile size from the work */
			w->tile_shift = pump_op_tile_shift(p->gpu, w);
		ret = fault ? -EIO : ring_publish(p->ring, slot, w);
		if (ret && pack && j->op->fail) /* what pack kept for the chunk goes with it */
			j->op->fail(p, slot);
		if (!ret)
			trace_publish(p, slot, w);
	}
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

int pump_slot_publish(struct pump *p, uint32_t slot, const struct ring_work *work)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	struct ring_work w = *work;
	int ret;

	if (!w.tile_shift)
		w.tile_shift = pump_op_tile_shift(p->gpu, &w);
	ret = pump_is_dead(p) ? -ETIMEDOUT : ring_publish(p->ring, slot, &w);
	if (ret)
		return ret;
	trace_publish(p, slot, &w);
	s->state = PSLOT_PUBLISHED;
	j->published++;
	if (w.batch != VYRE_NO_BATCH)
		j->published_total++; /* the fence counts it */
	pthread_mutex_lock(&p->lock);
	p->slots_published++;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

/*
 * A slot that copied its chunk into a cache slot is harvested: the copy is
 * complete (every tile's copies came before its tile count, the done word
 * after all of them: megakernel.comp's tee_tile), and the entry is the
 * file's if the file is still what the job opened (cache.c says why that
 * proves its bytes). Only at the first harvest: grep's reruns of a kept
 * slot copy nothing.
 */
static void pump_cache_fill_done(struct pump *p, struct pump_slot *s, const struct ring_done *d)
{
	if (s->kind == PSLOT_PACKED) { /* each file's identity checked (pfiles.c) */
		pack_cache_commit(p, s, s->cache_fill - 1, d->status == VYRE_SLOT_DONE);
		s->cache_fill = 0;
		return;
	}
	int how = d->status != VYRE_SLOT_DONE                   ? -EIO
		  : cache_ident_same(s->job->fd, &s->job->cache_id) ? 0
								    : -ESTALE;

	cache_commit(p->cache, s->cache_fill - 1, how);
	s->cache_fill = 0;
}

void pump_harvest_one(void *ctx, const struct ring_done *d)
{
	struct pump *p = ctx;
	struct pump_slot *s = &p->slots[d->slot];
	struct pump_job *j = s->job;

	if (s->cache_fill)
		pump_cache_fill_done(p, s, d);

	if (s->kind != PSLOT_FENCE && j->op->harvest && !j->replay) {
		pthread_mutex_lock(&p->lock);
		p->slots_published--;
		j->published--;
		j->t_harvested_ns = pump_now_ns();
		pthread_mutex_unlock(&p->lock);
		job_hold(j); /* the trace reads the op's words once the op has waited for them */
		if (j->op->harvest(p, d->slot, d) > 0)
			s->state = PSLOT_HELD;
		else
			pump_slot_free(p, d->slot);
		trace_done(p, j, d);
		job_drop(&j);
		return;
	}
	trace_done(p, j, d);
	/* the bins beside the slot's sequence, before the lock: a late store spins here */
	bool hist = s->kind != PSLOT_FENCE && d->status == VYRE_SLOT_DONE &&
		    j->op->result == PUMP_RESULT_HIST;
	uint32_t bins[VYRE_HIST_BINS];
	int lost = hist ? ring_done_bins(d, bins) : 0;

	pthread_mutex_lock(&p->lock);
	p->slots_published--;
	if (s->kind == PSLOT_FENCE) {
		j->epoch = d->epoch;
		j->fence_done = true;
		j->t_fence_done_ns = pump_now_ns();
	} else {
		j->published--;
		j->t_harvested_ns = pump_now_ns();
		if (d->status == VYRE_SLOT_DONE && !lost) {
			pump_account_chunk_locked(p, j, s->data_len);
			if (hist)
				for (int b = 0; b < VYRE_HIST_BINS; b++)
					j->hist[b] += bins[b];
			else
				j->result += d->result;
		}
		if (s->kind == PSLOT_PACKED)
			pack_harvest_locked(j, s, d);
	}
	pthread_mutex_unlock(&p->lock);
	if (lost) {
		vlog_err("pump: slot %u: the GPU's bins never showed the slot's sequence (%llu ms); "
			 "chunk %llu fails", d->slot, RING_TAGGED_WAIT_NS / 1000000,
			 (unsigned long long)s->index);
		job_chunk_failed(p, j, s->index, s->file_off, EIO);
	}
	if (s->kind != PSLOT_FENCE && d->status != VYRE_SLOT_DONE && d->error != VYRE_ERR_MASKED)
		job_chunk_failed(p, j, s->index, s->file_off, pump_done_err(d));
	pump_slot_free(p, d->slot);
}

void job_chunk_failed(struct pump *p, struct pump_job *j, uint64_t index, uint64_t off, int err)
{
	pthread_mutex_lock(&p->lock);
	j->chunks_failed++;
	p->chunks_failed++;
	if (j->nerrors == j->errors_cap) {
		size_t cap = j->errors_cap ? 2 * j->errors_cap : 8;
		struct pump_chunk_error *e = realloc(j->errors, cap * sizeof(*e));
		if (e) {
			j->errors = e;
			j->errors_cap = cap;
		}
	}
	if (j->nerrors < j->errors_cap)
		j->errors[j->nerrors++] = (struct pump_chunk_error){index, off, err};
	pthread_mutex_unlock(&p->lock);
}

/*
 * A read of bytes another chunk owns (grep's continuation of a line into
 * the next chunk) fails that chunk, which its own read of them usually
 * does too: one entry either way. Failures are few: a scan is enough.
 */
void job_chunk_failed_once(struct pump *p, struct pump_job *j, uint64_t index, uint64_t off,
			   int err)
{
	bool listed = false;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < j->nerrors && !listed; i++)
		listed = j->errors[i].index == index;
	pthread_mutex_unlock(&p->lock);
	if (!listed)
		job_chunk_failed(p, j, index, off, err);
}

/*
 * Pump thread: the job's fence and every slot are harvested. The file is
 * closed after the job is reported ended: a close can be a round trip to
 * the filesystem (a FLUSH on FUSE or virtiofs, ~230 us on the H200 VM)
 * that no reader of the job should wait for. The caller holds a reference.
 */
void job_end(struct pump *p, struct pump_job *j)
{
	pthread_mutex_lock(&p->lock);
	if (j->cancel)
		j->state = PUMP_JOB_CANCELLED;
	else
		j->state = j->chunks_failed ? PUMP_JOB_FAILED : PUMP_JOB_DONE;
	j->t_end_ns = pump_now_ns();
	p->jobs_taken--;
	if (j->state == PUMP_JOB_FAILED)
		p->jobs_failed++;
	else
		p->jobs_done++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (j->on_end)
		j->on_end(j->on_end_arg);
	if (j->fd >= 0 && !(j->reads_block && uring_close_fd(p, j->fd) == 0))
		close(j->fd);
	j->fd = -1;
	/* a packed job's files through the ring (uring_close_fd); a close that
	 * could not be queued is pack_close's, likewise after the end is reported */
	for (uint32_t i = 0; i < j->npfiles; i++) {
		struct pump_pfile *f = &j->pfiles[i];
		if (f->fd >= 0 && uring_close_fd(p, f->fd) == 0)
			f->fd = -1;
	}
	pack_close(j);
}

void job_free(struct pump_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	/* before pack_forget: grep's per-file results are j->npfiles long */
	if (j->op && j->op->cleanup)
		j->op->cleanup(j);
	pack_close(j);
	pack_forget(j);
	if (j->end_out) /* the kernel may write them yet (pump_drain_closes gave up) */
		vlog_err("pump: a job freed with %u end stats out; their buffer is left",
			 j->end_out);
	else
		free(j->end_stx);
	trace_free(j);
	free(j->errors);
	free(j->data);
	free(j);
}

void job_hold(struct pump_job *j)
{
	atomic_fetch_add_explicit(&j->refs, 1, memory_order_relaxed);
}

/* As pump_job_put, for a unit job, without going up to the handle (job.c). */
void job_drop(struct pump_job **jp)
{
	struct pump_job *j = *jp;

	*jp = NULL;
	if (j && atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) == 1)
		job_free(j);
}
