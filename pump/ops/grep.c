// SPDX-License-Identifier: MIT
/*
 * grep: selected lines (shaders/ops/grep.glsl), like LC_ALL=C grep -a.
 *
 * The job's data region is its DFA (laid out by grep_prep). A chunk runs
 * on the GPU in one pass or more; the pass reports:
 *   - its count of complete selected lines (the first pass's is the
 *     chunk's, reruns only collect what did not fit);
 *   - '\n' per tile, so records can be numbered;
 *   - records of selected lines (lines=1) and open lines (start, position
 *     reached, DFA state), each list bounded: past what fits it reports the
 *     lowest line it could not keep, and the chunk, still resident in its
 *     slot, runs again from that line (grep_admit republishes it);
 *   - an open line is continued in continuation slots: the pump reads the
 *     file from the position reached into a free slot and one lane runs
 *     the DFA on from the state reached, a bounded hop at a time, until the
 *     line's '\n' or the end of the scan.
 * When a chunk's passes and open lines are all done, its part goes to the
 * ordered fold (fold.c): line numbers need the '\n's of every chunk before.
 *
 * A packed job (pack.c: many small files, several to a slot) is counted
 * per file in one pass (grep_packed in the shader): no open lines, no
 * fold, and no records but per_pattern=1's sets, each file's own. A
 * file whose lines a lane's budget did not finish comes back
 * VYRE_PACK_OVER and is scanned again alone, as a job of its own with the
 * same DFA (grep_child_*): on a CPU device, for long lines, and with
 * per_pattern=1 for a file whose sets pass its share of the records.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grep_priv.h"
#include "grep_pset.h"

/*
 * Whether a bit-parallel job's costly lines go to continuations that run
 * them on every lane of a workgroup (VYRE_GREP_F_COOP,
 * shaders/ops/grep_shift.glsl). Built for a GPU, where the lanes run side
 * by side; but its barriers and shared-memory ORs have not run on one yet
 * (BENCHMARKS.md, "The bit-parallel engine on every lane": the GPU command
 * is there), and races show on a GPU that lavapipe hides, so it is off
 * until that run says it is right and faster. A CPU device runs a
 * workgroup's lanes one group after another on one thread, so there a
 * byte costs the same work plus a barrier's switch through every group:
 * on lavapipe (ab|cd){3000} ran 2x faster (fewer hops), a{3000} 2-3x
 * slower. VYRE_SHIFT_COOP=1 turns it on (grep_shift_coop.bats runs the
 * path on lavapipe; a GPU run times both in one call).
 */
static uint32_t grep_coop(void)
{
	const char *s = getenv("VYRE_SHIFT_COOP"); /* tests and benchmarks only */
	bool on = s && !strcmp(s, "1");

	return on ? VYRE_GREP_F_COOP : 0;
}

static int grep_prep(struct pump_job *j, const struct pump_scan *scan)
{
	struct grep_job *gj;
	bool cpu = pump_is_cpu(j->p);
	size_t room = pump_region_bytes(j->p) - j->chunk;
	int ret;

	const struct pump_grep_args *a = &scan->args.grep;

	if ((a->dfa && scan->data_len) || (a->ac && scan->data_len) ||
	    (a->shift && scan->data_len) || (!!a->dfa + !!a->ac + !!a->shift > 1))
		return -EINVAL;
	/* the bit-parallel engine runs a line per lane with its vector in shared memory: not packed */
	if (scan->nfiles && a->shift)
		return -EINVAL;
	/* per_pattern: every selected line (no max=, no invert=); packed, each
	 * file's own (grep_packed.c); Aho-Corasick's sets (grep_pcount_prep
	 * checks the region) */
	if ((a->flags & PUMP_GREP_PSET) && (a->max || (a->flags & PUMP_GREP_INVERT)))
		return -EINVAL;
	gj = calloc(1, sizeof(*gj));
	if (!gj)
		return -ENOMEM;
	j->opstate = gj; /* from here on the row's cleanup hook frees it (job.c) */
	gj->flags = a->flags;
	gj->max = a->max;
	gj->qtail = &gj->queue;
	gj->budget = cpu ? GREP_BUDGET_CPU : GREP_BUDGET_GPU;
	gj->cont_budget = cpu ? GREP_CONT_BUDGET_CPU : GREP_CONT_BUDGET_GPU;
	gj->pack_budget = cpu ? GREP_PACK_BUDGET_CPU : GREP_PACK_BUDGET_GPU;
	/* per_pattern's records are one lane's (grep_ac.glsl): no cooperative run */
	gj->coop = (a->flags & PUMP_GREP_PSET) ? 0 : grep_coop();
	if (a->ac)
		ret = grep_layout_ac(j, a->ac);
	else if (a->shift)
		ret = grep_layout_shift(j, a->shift);
	else
		ret = a->dfa ? grep_layout(j, a->dfa) : grep_copy(j, scan->data, scan->data_len);
	if (ret)
		return ret; /* job.c frees j->data */
	if (a->flags & PUMP_GREP_PSET) {
		ret = grep_pcount_prep(j);
		if (ret)
			return ret;
	}
	j->tail = j->chunk >> GREP_TAIL_SHIFT;
	if (j->tail < GREP_TAIL_MIN)
		j->tail = GREP_TAIL_MIN;
	if (j->tail > GREP_TAIL_MAX)
		j->tail = GREP_TAIL_MAX;
	if (j->tail > room)
		j->tail = (uint32_t)room;
	return 0;
}

/* ---- passes --------------------------------------------------------------- */

/* Tiles of 64 KiB or more, at most VYRE_GREP_MAX_TILES per chunk. */
static uint32_t grep_shift(uint32_t len)
{
	uint32_t s = GREP_TILE_MIN_SHIFT;

	while ((((uint64_t)len + (1ull << s) - 1) >> s) > VYRE_GREP_MAX_TILES)
		s++;
	return s;
}

/* The row's hook, for slots published without a tile size (ring tests). */
static uint32_t grep_tile_shift(const struct gpu *g, const struct ring_work *w)
{
	(void)g;
	return (w->arg1 & VYRE_GREP_F_CONT) ? GREP_CONT_SHIFT : grep_shift(w->data_len);
}

static int grep_pack(struct pump *p, uint32_t slot, struct ring_work *w)
{
	struct pump_slot *s = pump_slot_at(p, slot);
	struct pump_job *j = s->job;
	struct grep_job *gj = j->opstate;
	struct grep_chunk *gc;

	if (j->pfiles) { /* a packed slot: one pass, a count per file */
		w->arg0 = 0;
		w->arg1 =
		    gj->pack_budget << VYRE_GREP_BUDGET_POS | VYRE_GREP_F_FIRST | VYRE_GREP_F_EOF;
		if (gj->flags & PUMP_GREP_INVERT)
			w->arg1 |= VYRE_GREP_F_INVERT;
		if (gj->flags & PUMP_GREP_PSET) /* each file's set records (vyre_abi.h) */
			w->arg1 |= VYRE_GREP_F_PSET;
		if (gj->flags & PUMP_GREP_LINES) /* each file's line records (grep_packed.glsl) */
			w->arg1 |= VYRE_GREP_F_LINES;
		return 0;
	}
	gc = calloc(1, sizeof(*gc));
	if (!gc)
		return -ENOMEM;
	gc->kind = GREP_CHUNK;
	gc->part = calloc(1, sizeof(*gc->part));
	gc->shift = grep_shift(w->data_len);
	gc->ntiles = (uint32_t)(((uint64_t)w->data_len + (1ull << gc->shift) - 1) >> gc->shift);
	gc->tile_pre = calloc(gc->ntiles ? gc->ntiles : 1, sizeof(*gc->tile_pre));
	if (!gc->part || !gc->tile_pre) {
		free(gc->part);
		free(gc->tile_pre);
		free(gc);
		return -ENOMEM;
	}
	gc->part->index = s->index;
	gc->part->file_off = s->file_off;
	gc->data_len = w->data_len;
	gc->tail_len = w->tail_len;
	gc->flags = gj->budget << VYRE_GREP_BUDGET_POS | gj->coop;
	if (s->file_off == j->scan_start)
		gc->flags |= VYRE_GREP_F_FIRST;
	if (s->file_off + w->data_len + w->tail_len >= j->scan_end)
		gc->flags |= VYRE_GREP_F_EOF;
	if (gj->flags & PUMP_GREP_INVERT)
		gc->flags |= VYRE_GREP_F_INVERT;
	if (gj->flags & PUMP_GREP_LINES)
		gc->flags |= VYRE_GREP_F_LINES;
	if (gj->flags & PUMP_GREP_PSET)
		gc->flags |= VYRE_GREP_F_PSET;
	w->arg0 = 0;
	w->arg1 = gc->flags;
	w->tile_shift = gc->shift;
	s->op_ctx = gc;
	gj->open_chunks++;
	return 0;
}

/*
 * The ring refused a chunk grep_pack prepared: pump_publish_read's caller
 * fails the chunk and skips its place in the fold, so its record goes
 * unfolded, and the job no longer waits for it (open_chunks: grep_busy
 * holds the fence). A packed slot keeps nothing.
 */
static void grep_fail(struct pump *p, uint32_t slot)
{
	struct pump_slot *s = pump_slot_at(p, slot);
	struct grep_job *gj = s->job->opstate;
	struct grep_chunk *gc = s->op_ctx;

	if (!gc)
		return;
	s->op_ctx = NULL;
	part_free(s->job, gc->part);
	free(gc->tile_pre);
	free(gc);
	gj->open_chunks--;
}

static int grep_chunk_done(struct pump *p, uint32_t slot, const struct ring_done *d)
{
	struct pump_slot *s = pump_slot_at(p, slot);
	struct pump_job *j = s->job;
	struct grep_job *gj = j->opstate;
	struct grep_chunk *gc = s->op_ctx;
	const uint32_t *out = d->out;
	uint32_t low;
	int ret;

	s->op_ctx = NULL;
	if (d->status != VYRE_SLOT_DONE || j->cancel || j->stop_admit) {
		if (d->status != VYRE_SLOT_DONE && d->error != VYRE_ERR_MASKED)
			job_chunk_failed(p, j, gc->part->index, gc->part->file_off,
					 pump_done_err(d));
		gc->failed = d->status != VYRE_SLOT_DONE || j->cancel;
		goto out_done;
	}
	if (!gc->first_done) {
		uint32_t nl = 0, tnl;

		for (uint32_t t = 0; t < gc->ntiles; t++) {
			if (!grep_landed(out + VYRE_GO_TILE_NL + t, 1,
					 VYRE_GO_TAG(d->seq) & ((1u << (32 - VYRE_GO_NL_BITS)) - 1),
					 grep_tag_nl, &tnl)) {
				ret = -EIO;
				goto out_lost;
			}
			gc->tile_pre[t] = nl;
			nl += grep_low_bits(tnl, VYRE_GO_NL_BITS);
		}
		gc->first_done = true;
		gc->part->count = d->result;
		gc->part->nl = nl;
		pump_account_chunk(p, j, gc->data_len);
	}
	ret = grep_collect(j, gc, d);
	if (ret) {
	out_lost:
		if (ret == -EIO)
			vlog_err(
			    "grep: slot %u: the GPU's output words never showed the slot's tag "
			    "(%llu ms); chunk %llu fails",
			    slot, GREP_LAND_NS / 1000000, (unsigned long long)gc->part->index);
		job_chunk_failed(p, j, gc->part->index, gc->part->file_off, -ret);
		gc->failed = true;
		goto out_done;
	}
	low = grep_low(j, d);
	if (low != VYRE_GO_NONE && low > gc->resume) {
		/* what did not fit: run the resident chunk again from there */
		pump_account_rerun(p, j);
		gc->resume = low;
		gc->slot = slot;
		gc->next = gj->held;
		gj->held = gc;
		return 1;
	}
	if (low != VYRE_GO_NONE) { /* no progress: cannot happen (entry 0, record 0) */
		job_chunk_failed(p, j, gc->part->index, gc->part->file_off, EIO);
		gc->failed = true;
	}
out_done:
	gc->passes_done = true;
	grep_chunk_check(p, j, gc);
	return 0;
}

static int grep_harvest(struct pump *p, uint32_t slot, const struct ring_done *d)
{
	enum grep_kind *kind = pump_slot_at(p, slot)->op_ctx;

	if (pump_slot_at(p, slot)->job->pfiles)
		return grep_packed_done(p, slot, d);
	if (kind && *kind == GREP_CONT)
		return grep_cont_done(p, slot, d);
	return grep_chunk_done(p, slot, d);
}

/*
 * Cancelled, or max= is certain: what waits is dropped. On a dead unit
 * (pump_dead) it fails: it will never run.
 */
static void grep_drop(struct pump *p, struct pump_job *j)
{
	struct grep_job *gj = j->opstate;
	struct grep_cont *c;
	bool dead = pump_dead(p);

	for (struct grep_child *ch = gj->children; ch; ch = ch->next) {
		if (!ch->cancelled)
			pump_job_cancel(ch->job);
		ch->cancelled = true;
	}
	while (gj->held) {
		struct grep_chunk *gc = gj->held;
		gj->held = gc->next;
		pump_slot_free(p, gc->slot);
		if (dead)
			job_chunk_failed(p, j, gc->part->index, gc->part->file_off, ETIMEDOUT);
		gc->failed = j->cancel || dead;
		gc->passes_done = true;
		grep_chunk_check(p, j, gc);
	}
	while ((c = grep_dequeue(gj))) {
		if (dead)
			job_chunk_failed(p, j, c->gc->part->index, c->at, ETIMEDOUT);
		c->gc->failed = j->cancel || dead;
		grep_cont_end(p, j, c, false);
	}
}

static int grep_rerun(struct pump *p, struct pump_job *j, struct grep_chunk *gc)
{
	struct ring_work w = {0};
	int ret;

	grep_work(p, gc->slot, &w);
	w.arg0 = gc->resume;
	w.arg1 = gc->flags;
	w.data_len = gc->data_len;
	w.tail_len = gc->tail_len;
	w.tile_shift = gc->shift;
	pump_slot_at(p, gc->slot)->op_ctx = gc;
	ret = pump_slot_publish(p, gc->slot, &w);
	if (ret) {
		pump_slot_at(p, gc->slot)->op_ctx = NULL;
		job_chunk_failed(p, j, gc->part->index, gc->part->file_off, -ret);
		gc->failed = true;
		gc->passes_done = true;
		pump_slot_free(p, gc->slot);
		grep_chunk_check(p, j, gc);
		return 0;
	}
	return 1;
}

static int grep_admit(struct pump *p, struct pump_job *j)
{
	struct grep_job *gj = j->opstate;
	struct grep_cont *c;
	int n = 0, ret;

	if (j->cancel || j->stop_admit || pump_dead(p)) {
		grep_drop(p, j);
		return 0;
	}
	while (gj->held) {
		struct grep_chunk *gc = gj->held;
		gj->held = gc->next;
		n += grep_rerun(p, j, gc);
	}
	while (pump_slots_free(p) && (c = grep_dequeue(gj))) {
		ret = grep_cont_read(p, j, c);
		if (ret < 0) { /* no slot after all: try again next time */
			c->next = gj->queue;
			gj->queue = c;
			if (!c->next)
				gj->qtail = &c->next;
			break;
		}
		n += ret;
	}
	return n;
}

static bool grep_busy(const struct pump_job *j)
{
	const struct grep_job *gj = j->opstate;

	/* a packed job's fence waits for its slots' harvest where a file may
	 * come back VYRE_PACK_OVER, to run alone (grep_child_start) */
	return gj && (gj->open_chunks || gj->children ||
		      (j->pfiles && j->published && grep_pack_may_over(gj)));
}

static void grep_cleanup(struct pump_job *j)
{
	struct grep_job *gj = j->opstate;
	struct grep_cont *c;

	if (!gj)
		return;
	while ((c = grep_dequeue(gj))) {
		free(c->vec);
		free(c);
	}
	free(gj->pstamp);
	free(gj->sstamp);
	grep_lines_free(gj);
	free(gj->pcounts);
	for (uint32_t i = 0; gj->fpcounts && i < j->npfiles; i++)
		free(gj->fpcounts[i]);
	free(gj->fpcounts);
	for (uint32_t i = 0; gj->flines && i < j->npfiles; i++)
		free(gj->flines[i].v);
	free(gj->flines);
	free(gj);
	j->opstate = NULL;
}

/*
 * A spread job's one layout of its DFA, Aho-Corasick or bit-parallel set,
 * copied by every span (grep_copy). A scan that carries its words as data
 * already (a packed file's child) shares them as they are.
 */
static int grep_share(const struct pump_scan *scan, uint32_t **words, uint32_t *nwords,
		      union pump_op_args *span)
{
	const struct pump_grep_args *a = &scan->args.grep;

	*words = NULL;
	*nwords = 0;
	if (!!a->dfa + !!a->ac + !!a->shift > 1 || ((a->dfa || a->ac || a->shift) && scan->data_len))
		return -EINVAL;
	span->grep.dfa = NULL;
	span->grep.ac = NULL;
	span->grep.shift = NULL;
	span->grep.pattern = NULL; /* fs/'s source text: no span reads it */
	span->grep.pattern_len = 0;
	span->grep.patterns = NULL;
	if (a->shift)
		return grep_shift_layout(a->shift, words, nwords);
	if (a->ac)
		return grep_pset_layout(a->ac, words, nwords);
	if (a->dfa)
		return grep_dfa_layout(a->dfa, words, nwords);
	return 0;
}

/* max=: a spread job stops its spans and cuts its result and lines there. */
static uint64_t grep_limit(const struct pump_scan *scan)
{
	return scan->args.grep.max;
}

const struct pump_op pump_op_grep = {
    .name = "grep",
    .code = VYRE_OP_GREP,
    .opclass = VYRE_OPCLASS_GREP,
    .args = PUMP_OP_ARG_GREP,
    .result = PUMP_RESULT_FOLD,
    .usage = "pattern=ERE|patterns=FILE [fixed=1] [icase=1] [utf8=1] [invert=1] [lines=1] [max=N] "
	     "result: selected lines, like LC_ALL=C grep -a -c",
    .summary = "lines matching pattern= (an ERE), like grep -c; lines=1: jobs/N/lines",
    .prep = grep_prep,
    .pack = grep_pack,
    .tile_shift = grep_tile_shift,
    .share = grep_share,
    .limit = grep_limit,
    .fail = grep_fail,
    .harvest = grep_harvest,
    .admit = grep_admit,
    .read_done = grep_read_done,
    .busy = grep_busy,
    .fold = grep_fold,
    .part_cleanup = grep_part_free,
    .lines = grep_lines,
    .patterns = grep_patterns,
    .file_patterns = grep_file_patterns,
    .file_lines = grep_file_lines,
    .cleanup = grep_cleanup,
};
