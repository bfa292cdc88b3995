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
 * per file in one pass (grep_packed in the shader): no records, no open
 * lines, no fold. A file whose lines a lane's budget did not finish comes
 * back VYRE_PACK_OVER and is scanned again alone, as a job of its own with
 * the same DFA (grep_child_*): only on a CPU device, for long lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../log.h"
#include "../pump_priv.h"

/*
 * log2 of the steps one lane may spend on its lines per pass, and a
 * continuation's lane per hop. On lavapipe an invocation that loops 65,535
 * times in all is silently stopped (ARCHITECTURE.md, "Platform facts",
 * fact 6), and a DFA step costs about three of those: measured, a lane's
 * lines broke past ~21,800 steps in one invocation (lines=1 runs them
 * twice: count, then record). 2 x 8192 steps per pass, 16384 per hop, stay
 * clear. A GPU has no cap; the budget there only bounds one lane's share.
 */
#define GREP_BUDGET_CPU	     13
#define GREP_BUDGET_GPU	     20
#define GREP_CONT_BUDGET_CPU 14
#define GREP_CONT_BUDGET_GPU 22
/*
 * The tail window read past a chunk, for the line that crosses its end:
 * chunk/16, 256 bytes to 64 KiB. A line longer than that is run on by
 * continuation reads. A fixed 64 KiB read every byte of 64K chunks twice,
 * and a fault in the next chunk failed this one (issue 20 item 3).
 */
#define GREP_TAIL_MAX	     65536u
#define GREP_TAIL_MIN	     256u
#define GREP_TAIL_SHIFT	     4
/* A continuation's first read: a line longer than the tail is often not
 * much longer; the reads double from here to the lane's budget. */
#define GREP_CONT_FIRST	     65536u
#define GREP_TILE_MIN_SHIFT  16	    /* 64 KiB tiles: 256 bytes per lane */
#define GREP_CONT_SHIFT	     27	    /* a continuation is one tile */
/*
 * log2 of the steps one lane may spend on a whole packed tile (16 files of
 * up to 64 KiB, one pass, no records; a lane runs one file's lines): on a
 * CPU device one count pass's worth, below the ~21,800 measured to break
 * lavapipe's cap; on a GPU more than a packed file's bytes, so no packed
 * file there is ever run again (grep_pack_may_over).
 */
#define GREP_PACK_BUDGET_CPU 14
#define GREP_PACK_BUDGET_GPU 22

enum grep_kind { GREP_CHUNK = 1, GREP_CONT };

/* A chunk until its part is folded. Pump thread only. */
struct grep_chunk {
	enum grep_kind kind; /* first: slot op_ctx tells chunks and continuations apart */
	struct pump_part *part;
	uint32_t slot;	 /* its slot, while a rerun waits (on grep_job.held) */
	uint32_t resume; /* where the next pass starts */
	uint32_t flags;	 /* arg1 of its passes */
	uint32_t shift, ntiles;
	uint32_t data_len, tail_len;
	uint32_t *tile_pre; /* '\n' in the chunk before each tile */
	uint32_t pending;   /* open lines still running */
	bool first_done;
	bool passes_done;
	bool failed;
	struct grep_chunk *next;
};

/* One open line being continued. */
struct grep_cont {
	enum grep_kind kind;
	struct grep_chunk *gc;
	uint64_t pos, nl; /* the line: chunk-relative start, '\n' before it in the chunk */
	uint64_t at;	  /* file offset reached */
	uint32_t state;	  /* DFA state there */
	uint32_t skip;	  /* bytes of the read before at (O_DIRECT alignment) */
	uint64_t cap;	  /* most bytes past at the next read asks: doubles each hop */
	bool retry;	  /* after a failed read: reads stay within the chunk holding at */
	struct grep_cont *next;
};

/*
 * A packed file whose lines did not fit its tile's budget, scanned again
 * as a job of its own (unpacked: open lines, continuations). Allocated by
 * grep_child_start, freed by grep_child_ended; pump thread only.
 */
struct grep_child {
	struct pump_job *parent; /* the packed job: holds a reference */
	struct pump_job *job;	 /* the file's own job: holds the submitter's reference */
	uint32_t file;		 /* its index in parent->pfiles */
	bool cancelled;
	struct grep_child *next;
};

struct grep_job {
	struct grep_chunk *held;	  /* chunks waiting to rerun */
	struct grep_cont *queue, **qtail; /* open lines waiting for a read */
	uint32_t open_chunks;		  /* chunks not yet folded */
	uint32_t budget, cont_budget;	  /* log2 */
	uint32_t pack_budget;		  /* log2, a packed tile's */
	struct grep_child *children;	  /* a packed job's files running alone */
};

/* ---- the DFA in the data region ------------------------------------------ */

static uint32_t dfa_bits_words(uint32_t nstates)
{
	return (nstates + 31) / 32;
}

static bool dfa_bit(const struct pump_job *j, bool sink, uint32_t s)
{
	const uint32_t *w = (const uint32_t *)j->data;
	uint32_t base = VYRE_DFA_HDR_WORDS + (sink ? dfa_bits_words(w[VYRE_DFA_NSTATES]) : 0);

	return (w[base + s / 32] >> (s % 32)) & 1;
}

static bool grep_selected(const struct pump_job *j, uint32_t state)
{
	return dfa_bit(j, false, state) != !!(j->grep & PUMP_GREP_INVERT);
}

/* Checks the compiler's DFA and lays it out as VYRE_DFA_* words. */
static int grep_layout(struct pump_job *j, const struct pump_dfa *d)
{
	uint32_t bits, words;
	uint64_t total;
	uint32_t *w;

	if (!d || !d->nstates || d->nstates > 65536 || !d->nclasses || d->nclasses > 256 ||
	    d->start >= d->nstates || !d->classes || !d->next || !d->accept || !d->sink)
		return -EINVAL;
	bits = dfa_bits_words(d->nstates);
	total = VYRE_DFA_HDR_WORDS + 2ull * bits + (uint64_t)d->nstates * d->nclasses;
	if (total * 4 > VYRE_JOB_DATA_MAX)
		return -E2BIG;
	words = (uint32_t)total;
	w = calloc(words, 4);
	if (!w)
		return -ENOMEM;
	w[VYRE_DFA_NSTATES] = d->nstates;
	w[VYRE_DFA_NCLASSES] = d->nclasses;
	w[VYRE_DFA_START] = d->start;
	for (uint32_t b = 0; b < 256; b++) {
		if (d->classes[b] >= d->nclasses)
			goto out_inval;
		w[VYRE_DFA_CLASSES + b / 4] |= (uint32_t)d->classes[b] << (b % 4 * 8);
	}
	for (uint32_t s = 0; s < d->nstates; s++) {
		if (d->accept[s])
			w[VYRE_DFA_HDR_WORDS + s / 32] |= 1u << (s % 32);
		if (d->sink[s])
			w[VYRE_DFA_HDR_WORDS + bits + s / 32] |= 1u << (s % 32);
	}
	uint32_t *next = w + VYRE_DFA_HDR_WORDS + 2 * bits;
	for (uint64_t i = 0; i < (uint64_t)d->nstates * d->nclasses; i++) {
		if (d->next[i] >= d->nstates)
			goto out_inval;
		next[i] = d->next[i];
	}
	j->data = (uint8_t *)w;
	j->data_len = words * 4;
	return 0;
out_inval:
	free(w);
	return -EINVAL;
}

/*
 * A DFA already laid out (a packed job's, for one of its files run alone):
 * copied after a check of its header against its length.
 */
static int grep_copy(struct pump_job *j, const void *data, uint32_t len)
{
	const uint32_t *w = data;
	uint64_t words;

	if (len < VYRE_DFA_HDR_WORDS * 4 || (len & 3))
		return -EINVAL;
	if (!w[VYRE_DFA_NSTATES] || w[VYRE_DFA_NSTATES] > 65536 || !w[VYRE_DFA_NCLASSES] ||
	    w[VYRE_DFA_NCLASSES] > 256 || w[VYRE_DFA_START] >= w[VYRE_DFA_NSTATES])
		return -EINVAL;
	words = VYRE_DFA_HDR_WORDS + 2ull * dfa_bits_words(w[VYRE_DFA_NSTATES]) +
		(uint64_t)w[VYRE_DFA_NSTATES] * w[VYRE_DFA_NCLASSES];
	if (words * 4 != len)
		return -EINVAL;
	j->data = malloc(len);
	if (!j->data)
		return -ENOMEM;
	memcpy(j->data, data, len);
	j->data_len = len;
	return 0;
}

static int grep_prep(struct pump_job *j, const struct pump_scan *scan)
{
	struct grep_job *gj;
	bool cpu = j->p->gpu->is_cpu;
	size_t room = j->p->arena.region - j->chunk;
	int ret;

	if (scan->pattern_len || (scan->dfa && scan->data_len))
		return -EINVAL;
	/* a packed job counts per file: its lines=1 records are not packed */
	if (scan->nfiles && (scan->grep & PUMP_GREP_LINES))
		return -EINVAL;
	ret = scan->dfa ? grep_layout(j, scan->dfa) : grep_copy(j, scan->data, scan->data_len);
	if (ret)
		return ret;
	gj = calloc(1, sizeof(*gj));
	if (!gj)
		return -ENOMEM; /* job.c frees j->data */
	gj->qtail = &gj->queue;
	gj->budget = cpu ? GREP_BUDGET_CPU : GREP_BUDGET_GPU;
	gj->cont_budget = cpu ? GREP_CONT_BUDGET_CPU : GREP_CONT_BUDGET_GPU;
	gj->pack_budget = cpu ? GREP_PACK_BUDGET_CPU : GREP_PACK_BUDGET_GPU;
	j->opstate = gj;
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

/* ---- tagged out words (vyre_abi.h, VYRE_GO_TAG) ---------------------------- */

/*
 * How long the host waits for a word whose tag is not yet the slot's: a
 * lane's store lands in microseconds; past this the chunk fails (EIO) with
 * a line in the log rather than a wrong answer.
 */
#define GREP_LAND_NS (1000ull * 1000000ull)

static uint32_t grep_ld(const uint32_t *w)
{
	return atomic_load_explicit((_Atomic uint32_t *)w, memory_order_acquire);
}

/* The words at w (n of them, one store on the GPU) once tag_of(w) is tag; false past the bound. */
static bool grep_landed(const uint32_t *w, uint32_t n, uint32_t tag,
			uint32_t (*tag_of)(const uint32_t *v), uint32_t *v)
{
	uint64_t t0 = 0;

	for (;;) {
		for (uint32_t i = 0; i < n; i++)
			v[i] = grep_ld(w + i);
		if (tag_of(v) == tag)
			return true;
		if (!t0)
			t0 = pump_now_ns();
		else if (pump_now_ns() - t0 > GREP_LAND_NS)
			return false;
		__builtin_ia32_pause();
	}
}

static uint32_t tag_rec(const uint32_t *v)
{
	return (v[0] >> VYRE_GO_REC_START_BITS) |
	       (v[1] >> VYRE_GO_NL_BITS) << (32 - VYRE_GO_REC_START_BITS);
}

static uint32_t tag_open(const uint32_t *v)
{
	return (v[VYRE_GO_OPEN_NL] >> VYRE_GO_NL_BITS) |
	       (v[VYRE_GO_OPEN_STATE] >> VYRE_GO_STATE_BITS) << (32 - VYRE_GO_NL_BITS);
}

static uint32_t tag_nl(const uint32_t *v)
{
	return v[0] >> VYRE_GO_NL_BITS;
}

static uint32_t tag_count(const uint32_t *v)
{
	return v[0] >> VYRE_GO_COUNT_BITS;
}

static uint32_t tag_cont(const uint32_t *v)
{
	return v[0] >> VYRE_GO_CONT_KIND_BITS;
}

static uint32_t low_bits(uint32_t v, uint32_t bits)
{
	return v & ((1u << bits) - 1);
}

/* A line start kept as ~p under atomicMax (0: none), as VYRE_NONE or p. */
static uint32_t grep_min(uint32_t v)
{
	return v ? ~v : VYRE_GO_NONE;
}

/* The lowest line a pass could not keep: the next pass starts there. */
static uint32_t grep_low(const struct pump_job *j, const struct ring_done *d)
{
	uint32_t low = grep_min(d->op[VYRE_GC_OPEN_MIN]);
	uint32_t rec = grep_min(d->op[VYRE_GC_REC_MIN]);

	return (j->grep & PUMP_GREP_LINES) && rec < low ? rec : low;
}

static uint32_t grep_owner_tile(const struct grep_chunk *gc, uint64_t pos)
{
	return pos == 0 ? 0 : (uint32_t)((pos - 1) >> gc->shift);
}

/* The row's hook, for slots published without a tile size (ring tests). */
static uint32_t grep_tile_shift(const struct gpu *g, const struct ring_work *w)
{
	(void)g;
	return (w->arg1 & VYRE_GREP_F_CONT) ? GREP_CONT_SHIFT : grep_shift(w->data_len);
}

static void grep_work(struct pump *p, uint32_t slot, struct ring_work *w)
{
	struct pump_job *j = p->slots[slot].job;

	w->opcode = VYRE_OP_GREP;
	w->tenant = j->batch;
	w->arg2 = j->data_off;
	w->jd_len = j->data_len;
	w->data_off = arena_offset(&p->arena, slot);
	w->batch = j->batch;
}

static int grep_pack(struct pump *p, uint32_t slot, struct ring_work *w)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	struct grep_job *gj = j->opstate;
	struct grep_chunk *gc;

	if (j->pfiles) { /* a packed slot: one pass, a count per file */
		w->arg0 = 0;
		w->arg1 = gj->pack_budget << VYRE_GREP_BUDGET_POS | VYRE_GREP_F_FIRST |
			  VYRE_GREP_F_EOF;
		if (j->grep & PUMP_GREP_INVERT)
			w->arg1 |= VYRE_GREP_F_INVERT;
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
	gc->flags = gj->budget << VYRE_GREP_BUDGET_POS;
	if (s->file_off == j->scan_start)
		gc->flags |= VYRE_GREP_F_FIRST;
	if (s->file_off + w->data_len + w->tail_len >= j->scan_end)
		gc->flags |= VYRE_GREP_F_EOF;
	if (j->grep & PUMP_GREP_INVERT)
		gc->flags |= VYRE_GREP_F_INVERT;
	if (j->grep & PUMP_GREP_LINES)
		gc->flags |= VYRE_GREP_F_LINES;
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
	struct pump_slot *s = &p->slots[slot];
	struct grep_job *gj = s->job->opstate;
	struct grep_chunk *gc = s->op_ctx;

	if (!gc)
		return;
	s->op_ctx = NULL;
	part_free(gc->part);
	free(gc->tile_pre);
	free(gc);
	gj->open_chunks--;
}

/* A chunk whose passes and open lines are all done goes to the fold. */
static void grep_chunk_check(struct pump *p, struct pump_job *j, struct grep_chunk *gc)
{
	struct grep_job *gj = j->opstate;

	if (!gc->passes_done || gc->pending)
		return;
	gc->part->skip = gc->failed;
	fold_part(p, j, gc->part);
	free(gc->tile_pre);
	free(gc);
	gj->open_chunks--;
}

static void grep_queue(struct grep_job *gj, struct grep_cont *c)
{
	c->next = NULL;
	*gj->qtail = c;
	gj->qtail = &c->next;
}

static struct grep_cont *grep_dequeue(struct grep_job *gj)
{
	struct grep_cont *c = gj->queue;

	if (c) {
		gj->queue = c->next;
		if (!gj->queue)
			gj->qtail = &gj->queue;
	}
	return c;
}

/* An open line is done (ended, failed or dropped). */
static void grep_cont_end(struct pump *p, struct pump_job *j, struct grep_cont *c, bool sel)
{
	struct grep_chunk *gc = c->gc;

	if (sel) {
		gc->part->count++;
		if ((j->grep & PUMP_GREP_LINES) && part_add_line(gc->part, c->pos, c->nl))
			gc->failed = true;
	}
	gc->pending--;
	free(c);
	grep_chunk_check(p, j, gc);
}

/*
 * The lists a pass left in out: open lines to continue, records to keep.
 * -ENOMEM, or -EIO: a word never showed the slot's tag (grep_landed).
 */
static int grep_collect(struct pump_job *j, struct grep_chunk *gc, const struct ring_done *d)
{
	struct grep_job *gj = j->opstate;
	bool lines = j->grep & PUMP_GREP_LINES;
	const uint32_t *out = d->out;
	uint32_t tag = VYRE_GO_TAG(d->seq);
	uint32_t low = grep_low(j, d);
	uint32_t nopen = 1 + (d->op[VYRE_GC_OPEN] >> 1); /* entry 0, then those claimed */
	uint32_t v[4];

	if (nopen > VYRE_GREP_OPEN_MAX)
		nopen = VYRE_GREP_OPEN_MAX;
	for (uint32_t i = 0; i < nopen; i++) {
		struct grep_cont *c;

		if (i == 0 && !(d->op[VYRE_GC_OPEN] & 1))
			continue;
		if (!grep_landed(out + VYRE_GO_OPEN + 4 * i, 4, tag, tag_open, v))
			return -EIO;
		uint32_t start = v[VYRE_GO_OPEN_START];
		if (start < gc->resume || start >= low)
			continue;
		c = calloc(1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		*c = (struct grep_cont){
		    .kind = GREP_CONT,
		    .gc = gc,
		    .pos = start,
		    .nl = gc->tile_pre[grep_owner_tile(gc, start)] +
			  low_bits(v[VYRE_GO_OPEN_NL], VYRE_GO_NL_BITS),
		    .at = gc->part->file_off + v[VYRE_GO_OPEN_POS],
		    .state = low_bits(v[VYRE_GO_OPEN_STATE], VYRE_GO_STATE_BITS),
		    .cap = GREP_CONT_FIRST,
		};
		gc->pending++;
		grep_queue(gj, c);
	}
	if (!lines)
		return 0;
	for (uint32_t t = grep_owner_tile(gc, gc->resume); t < gc->ntiles; t++) {
		uint32_t base, n;

		if (!grep_landed(out + VYRE_GO_TILE_BASE + t, 1, tag, tag_count, &base) ||
		    !grep_landed(out + VYRE_GO_TILE_REC + t, 1, tag, tag_count, &n))
			return -EIO;
		base = low_bits(base, VYRE_GO_COUNT_BITS);
		n = low_bits(n, VYRE_GO_COUNT_BITS);
		for (uint32_t k = 0; k < n && base + k < VYRE_GREP_REC_MAX; k++) {
			if (!grep_landed(out + VYRE_GO_REC + 2 * (base + k), 2, tag, tag_rec, v))
				return -EIO;
			uint32_t start = low_bits(v[0], VYRE_GO_REC_START_BITS);
			if (start < gc->resume || start >= low)
				continue;
			if (part_add_line(gc->part, start,
					  gc->tile_pre[t] + low_bits(v[1], VYRE_GO_NL_BITS)))
				return -ENOMEM;
		}
	}
	return 0;
}

static int grep_chunk_done(struct pump *p, uint32_t slot, const struct ring_done *d)
{
	struct pump_slot *s = &p->slots[slot];
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
			if (!grep_landed(out + VYRE_GO_TILE_NL + t, 1, VYRE_GO_TAG(d->seq) &
					 ((1u << (32 - VYRE_GO_NL_BITS)) - 1), tag_nl, &tnl)) {
				ret = -EIO;
				goto out_lost;
			}
			gc->tile_pre[t] = nl;
			nl += low_bits(tnl, VYRE_GO_NL_BITS);
		}
		gc->first_done = true;
		gc->part->count = d->result;
		gc->part->nl = nl;
		pthread_mutex_lock(&p->lock);
		j->chunks_done++;
		j->bytes_done += gc->data_len;
		p->chunks_done++;
		p->bytes_scanned += gc->data_len;
		pthread_mutex_unlock(&p->lock);
	}
	ret = grep_collect(j, gc, d);
	if (ret) {
out_lost:
		if (ret == -EIO)
			vlog_err("grep: slot %u: the GPU's output words never showed the slot's tag "
				 "(%llu ms); chunk %llu fails", slot, GREP_LAND_NS / 1000000,
				 (unsigned long long)gc->part->index);
		job_chunk_failed(p, j, gc->part->index, gc->part->file_off, -ret);
		gc->failed = true;
		goto out_done;
	}
	low = grep_low(j, d);
	if (low != VYRE_GO_NONE && low > gc->resume) {
		/* what did not fit: run the resident chunk again from there */
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

static int grep_cont_done(struct pump *p, uint32_t slot, const struct ring_done *d)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	struct grep_cont *c = s->op_ctx;
	uint32_t v[4], kind;
	uint64_t at;

	s->op_ctx = NULL;
	if (d->status != VYRE_SLOT_DONE || j->cancel || j->stop_admit) {
		if (d->status != VYRE_SLOT_DONE && d->error != VYRE_ERR_MASKED)
			job_chunk_failed(p, j, c->gc->part->index, c->at, pump_done_err(d));
		c->gc->failed = d->status != VYRE_SLOT_DONE || j->cancel;
		grep_cont_end(p, j, c, false);
		return 0;
	}
	/* v[k]: word VYRE_GO_CONT_KIND + k, one store on the GPU, the kind tagged */
	if (!grep_landed(d->out + VYRE_GO_CONT_KIND, 4, VYRE_GO_TAG(d->seq), tag_cont, v)) {
		vlog_err("grep: slot %u: the GPU's continuation words never showed the slot's tag "
			 "(%llu ms); chunk %llu fails", slot, GREP_LAND_NS / 1000000,
			 (unsigned long long)c->gc->part->index);
		goto out_failed;
	}
	kind = low_bits(v[0], VYRE_GO_CONT_KIND_BITS);
	if (kind == 1) {
		grep_cont_end(p, j, c, v[VYRE_GO_CONT_SEL - VYRE_GO_CONT_KIND] != 0);
		return 0;
	}
	at = s->file_off + v[VYRE_GO_CONT_POS - VYRE_GO_CONT_KIND];
	if (kind != 2 || at <= c->at)
		goto out_failed;
	c->at = at;
	c->state = v[VYRE_GO_CONT_STATE - VYRE_GO_CONT_KIND];
	if (c->cap < (1ull << GREP_CONT_SHIFT))
		c->cap *= 2;
	grep_queue(j->opstate, c);
	return 0;
out_failed:
	job_chunk_failed(p, j, c->gc->part->index, c->at, EIO);
	c->gc->failed = true;
	grep_cont_end(p, j, c, false);
	return 0;
}

/* ---- packed jobs ------------------------------------------------------------ */

/*
 * A lane of a packed tile runs lines of one file only (GREP_PACK_LANES
 * lanes a file), so a budget of more steps than a packed file's bytes is
 * never spent: on a GPU no file comes back VYRE_PACK_OVER, and the job's
 * fence goes out beside its slots as count's does instead of after their
 * harvest (a launch less for each pack: 4 packs of a tree job are in
 * flight at most, so their latency is the tree's rate).
 */
static bool grep_pack_may_over(const struct grep_job *gj)
{
	return (1ull << gj->pack_budget) <= PUMP_PACK_FILE_MAX;
}

extern const struct pump_op pump_op_grep;

static void grep_child_unlink(struct grep_job *gj, struct grep_child *c)
{
	for (struct grep_child **pp = &gj->children; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			return;
		}
	}
}

/*
 * A packed file's own job ended (pump thread, no pump lock held): its
 * count, or why it has none, becomes the file's. It read the file again,
 * so a size other than the packed read's is ESTALE, as a short read is.
 */
static void grep_child_ended(void *arg)
{
	struct grep_child *c = arg;
	struct pump_job *j = c->parent;
	struct pump *p = j->p;
	struct pump_job_info in;
	struct pump_chunk_error e;
	int err = 0;

	pump_job_info(c->job, &in);
	if (in.state == PUMP_JOB_CANCELLED)
		err = ECANCELED;
	else if (in.chunks_failed)
		err = pump_job_errors(c->job, &e, 1) ? e.err : EIO;
	pthread_mutex_lock(&p->lock);
	struct pump_pfile *f = &j->pfiles[c->file];
	if (!err && in.bytes_done != f->got)
		err = ESTALE;
	if (err) {
		f->err = err;
	} else {
		f->result = in.result;
		f->scanned = true;
		j->result += in.result;
	}
	pthread_mutex_unlock(&p->lock);
	grep_child_unlink(j->opstate, c);
	pump_job_put(&c->job); /* ours; the pump drops its own after this */
	pump_job_put(&c->parent);
	free(c);
}

/* File i of packed job j runs again alone (VYRE_PACK_OVER). */
static void grep_child_start(struct pump *p, struct pump_job *j, uint32_t i)
{
	struct grep_job *gj = j->opstate;
	struct pump_pfile *f = &j->pfiles[i];
	struct grep_child *c = calloc(1, sizeof(*c));
	int fd = -1, ret = -ENOMEM;

	if (c)
		fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	if (c && fd < 0)
		ret = -errno;
	if (fd >= 0) {
		struct pump_scan sc = {
		    .fd = fd,
		    .op = &pump_op_grep,
		    .data = j->data, /* the DFA as laid out: grep_copy */
		    .data_len = j->data_len,
		    .grep = j->grep & PUMP_GREP_INVERT,
		    .max = j->max,
		    .length = UINT64_MAX,
		    .chunk = j->chunk,
		    .direct = 0,
		    .owner = j->owner,
		    .priority = j->priority,
		    .on_end = grep_child_ended,
		    .on_end_arg = c,
		};
		c->parent = j;
		c->file = i;
		pump_job_get(j);
		c->next = gj->children;
		gj->children = c;
		/* this thread runs the pump: the child cannot end before this returns */
		ret = pump_submit(p, &sc, &c->job);
		if (ret) {
			gj->children = c->next;
			pump_job_put(&c->parent);
			close(fd);
		}
	}
	if (ret) {
		vlog_debug("grep: packed file %u of a job not run alone (%d)", i, ret);
		pthread_mutex_lock(&p->lock);
		f->err = -ret;
		pthread_mutex_unlock(&p->lock);
		free(c);
	}
}

/*
 * A packed slot is harvested: each file takes its word (pack.c), cut at
 * max=; a file marked VYRE_PACK_OVER runs again alone. The accounting
 * slot.c does for other packed ops is done here (grep's harvest hook).
 */
static int grep_packed_done(struct pump *p, uint32_t slot, const struct ring_done *d)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	uint32_t first = j->pack_first[s->index], last = j->pack_first[s->index + 1];
	uint32_t over[VYRE_PACK_FILES_MAX], nover = 0;

	pthread_mutex_lock(&p->lock);
	if (d->status == VYRE_SLOT_DONE) {
		j->chunks_done++;
		j->bytes_done += s->data_len;
		p->chunks_done++;
		p->bytes_scanned += s->data_len;
	}
	pack_harvest_locked(j, s, d);
	for (uint32_t i = first; i < last; i++) {
		struct pump_pfile *f = &j->pfiles[i];
		if (f->err || !f->scanned)
			continue;
		if (f->result & VYRE_PACK_OVER) {
			f->scanned = false;
			f->result = 0;
			over[nover++] = i;
			continue;
		}
		if (j->max && f->result > j->max)
			f->result = j->max;
		j->result += f->result;
	}
	pthread_mutex_unlock(&p->lock);
	if (d->status != VYRE_SLOT_DONE && d->error != VYRE_ERR_MASKED)
		job_chunk_failed(p, j, s->index, 0, pump_done_err(d));
	for (uint32_t k = 0; k < nover && !j->cancel; k++)
		grep_child_start(p, j, over[k]);
	return 0;
}

static int grep_harvest(struct pump *p, uint32_t slot, const struct ring_done *d)
{
	enum grep_kind *kind = p->slots[slot].op_ctx;

	if (p->slots[slot].job->pfiles)
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
	p->slots[gc->slot].op_ctx = gc;
	ret = pump_slot_publish(p, gc->slot, &w);
	if (ret) {
		p->slots[gc->slot].op_ctx = NULL;
		job_chunk_failed(p, j, gc->part->index, gc->part->file_off, -ret);
		gc->failed = true;
		gc->passes_done = true;
		pump_slot_free(p, gc->slot);
		grep_chunk_check(p, j, gc);
		return 0;
	}
	return 1;
}

/* The end of the chunk of j that holds file offset at (chunks are j's, from j->offset). */
static uint64_t grep_owner_end(const struct pump_job *j, uint64_t at)
{
	return j->offset + ((at - j->offset) / j->chunk + 1) * j->chunk;
}

/*
 * A continuation's read failed. It may have failed on bytes past the
 * line's '\n': the read is asked again, half as long and within the chunk
 * that holds c->at, down to one byte (a page with O_DIRECT), so a line
 * whose bytes read is still decided, whatever fails after it. When even
 * that read fails, the bytes at c->at cannot be read and the line is
 * lost. The failure is then the chunk's that owns those bytes: the line's
 * own chunk (it read them before: a transient fault) fails, else the
 * owner is listed once (its own read of them fails it too), and the
 * line's chunk keeps its other lines. A span's owner past its end belongs
 * to the next span, which reads those bytes itself. True if requeued.
 */
static bool grep_cont_failed(struct pump *p, struct pump_job *j, struct grep_cont *c,
			     uint32_t asked, int err)
{
	struct grep_chunk *gc = c->gc;
	uint64_t next = asked / 2, owner;

	if (j->cancel) {
		gc->failed = true;
		grep_cont_end(p, j, c, false);
		return false;
	}
	if (j->direct)
		next &= ~4095ull;
	/* a read past its deadline (read.c): a smaller one would wait as long */
	if (next > c->skip && err != ETIMEDOUT) {
		c->cap = next - c->skip;
		c->retry = true;
		grep_queue(j->opstate, c);
		return true;
	}
	owner = (c->at - j->offset) / j->chunk;
	if (owner == gc->part->index) {
		job_chunk_failed(p, j, gc->part->index, c->at, err);
		gc->failed = true;
	} else if (owner < j->chunks) {
		job_chunk_failed_once(p, j, owner, j->offset + owner * j->chunk, err);
	}
	grep_cont_end(p, j, c, false);
	return false;
}

/* Reads the next hop of an open line into a free slot. */
static int grep_cont_read(struct pump *p, struct pump_job *j, struct grep_cont *c)
{
	struct grep_job *gj = j->opstate;
	uint64_t region = p->arena.region, off = c->at, hop;
	uint32_t want;
	int slot;

	if (c->at >= j->scan_end) {
		/* the scan ends here: a line that has bytes ends with it */
		grep_cont_end(p, j, c,
			      c->at > c->gc->part->file_off + c->pos && grep_selected(j, c->state));
		return 0;
	}
	slot = pump_slot_take(p, j);
	if (slot < 0)
		return slot;
	/* a sink state only looks for the '\n', 16 bytes a step */
	hop = (1ull << gj->cont_budget) * (dfa_bit(j, true, c->state) ? 16 : 1);
	if (j->direct)
		off &= ~4095ull;
	c->skip = (uint32_t)(c->at - off);
	if (hop > j->scan_end - c->at)
		hop = j->scan_end - c->at;
	if (hop > c->cap)
		hop = c->cap;
	if (c->retry && hop > grep_owner_end(j, c->at) - c->at)
		hop = grep_owner_end(j, c->at) - c->at;
	hop += c->skip;
	if (j->direct)
		hop = (hop + 4095) & ~4095ull;
	if (hop > region)
		hop = region;
	if (hop > (1ull << GREP_CONT_SHIFT))
		hop = 1ull << GREP_CONT_SHIFT;
	want = (uint32_t)hop;
	p->slots[slot].op_ctx = c;
	if (pump_op_read(p, (uint32_t)slot, off, want)) {
		pump_slot_free(p, (uint32_t)slot);
		return -EBUSY;
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
	while (p->slots_free && (c = grep_dequeue(gj))) {
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

static void grep_read_done(struct pump *p, uint32_t slot, int got)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	struct grep_job *gj = j->opstate;
	struct grep_cont *c = s->op_ctx;
	uint64_t avail;
	struct ring_work w = {0};
	int ret;

	s->op_ctx = NULL;
	if (got < 0 && !j->stop_admit) {
		uint32_t asked = s->want;
		pump_slot_free(p, slot);
		grep_cont_failed(p, j, c, asked, -got);
		return;
	}
	if (got < 0 || j->cancel || j->stop_admit) {
		c->gc->failed = j->cancel;
		pump_slot_free(p, slot);
		grep_cont_end(p, j, c, false);
		return;
	}
	avail = (uint64_t)got;
	if (s->file_off + avail > j->scan_end)
		avail = j->scan_end > s->file_off ? j->scan_end - s->file_off : 0;
	if (avail <= c->skip) {
		/* the file ended at c->at */
		pump_slot_free(p, slot);
		grep_cont_end(p, j, c,
			      c->at > c->gc->part->file_off + c->pos && grep_selected(j, c->state));
		return;
	}
	grep_work(p, slot, &w);
	w.arg0 = c->state;
	w.arg1 = VYRE_GREP_F_CONT | gj->cont_budget << VYRE_GREP_BUDGET_POS |
		 c->skip << VYRE_GREP_START_POS;
	if (j->grep & PUMP_GREP_INVERT)
		w.arg1 |= VYRE_GREP_F_INVERT;
	if (s->file_off + avail >= j->scan_end || (uint32_t)got < s->want)
		w.arg1 |= VYRE_GREP_F_EOF;
	w.data_len = (uint32_t)avail;
	w.tile_shift = GREP_CONT_SHIFT;
	s->op_ctx = c;
	ret = pump_slot_publish(p, slot, &w);
	if (ret) {
		s->op_ctx = NULL;
		job_chunk_failed(p, j, c->gc->part->index, c->at, -ret);
		c->gc->failed = true;
		pump_slot_free(p, slot);
		grep_cont_end(p, j, c, false);
	}
}

static bool grep_busy(const struct pump_job *j)
{
	const struct grep_job *gj = j->opstate;

	/* a packed job's fence waits for its slots' harvest where a file may
	 * come back VYRE_PACK_OVER, to run alone (grep_child_start) */
	return gj && (gj->open_chunks || gj->children ||
		      (j->pfiles && j->published && grep_pack_may_over(gj)));
}

static void grep_job_free(struct pump_job *j)
{
	struct grep_job *gj = j->opstate;
	struct grep_cont *c;

	if (!gj)
		return;
	while ((c = grep_dequeue(gj)))
		free(c);
	free(gj);
	j->opstate = NULL;
}

const struct pump_op pump_op_grep = {
    .name = "grep",
    .code = VYRE_OP_GREP,
    .opclass = VYRE_OPCLASS_GREP,
    .args = PUMP_OP_ARG_PATTERN | PUMP_OP_ARG_GREP,
    .result = PUMP_RESULT_FOLD,
    .usage = "pattern=ERE|patterns=FILE [fixed=1] [icase=1] [invert=1] [lines=1] [max=N] "
	     "result: selected lines, like LC_ALL=C grep -a -c",
    .summary = "lines matching pattern= (an ERE), like grep -c; lines=1: jobs/N/lines",
    .prep = grep_prep,
    .pack = grep_pack,
    .tile_shift = grep_tile_shift,
    .fail = grep_fail,
    .harvest = grep_harvest,
    .admit = grep_admit,
    .read_done = grep_read_done,
    .busy = grep_busy,
    .fold = fold_lines,
    .job_free = grep_job_free,
};
