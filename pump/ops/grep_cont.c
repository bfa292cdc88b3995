// SPDX-License-Identifier: MIT
/*
 * Open lines continued: a line that crosses its chunk's tail is read on
 * into a free slot, a hop at a time, and one lane runs the DFA on from the
 * state reached until the line's '\n' or the end of the scan.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grep_priv.h"

/* The hash a vector's words must have (grep_shift_hash) before it is taken. */
struct grep_shift_want {
	uint32_t seq, hash;
};

static bool grep_shift_landed(const uint32_t *v, uint32_t n, const void *ctx)
{
	const struct grep_shift_want *want = ctx;

	return grep_shift_hash(want->seq, v, n) == want->hash;
}

/*
 * The bit-parallel engine's vector a continuation left in its slot's
 * record area (vyre_abi.h VYRE_SHIFT_ST_VECTOR), once its words hash to
 * what the state word says: the GPU's stores may land after its done word
 * (issue 20), and a stale vector would be a wrong answer. false past
 * GREP_LAND_NS.
 */
static bool grep_shift_take(const struct pump_job *j, const struct ring_done *d,
			    struct grep_cont *c)
{
	uint32_t nw = grep_shift_nwords(j);
	struct grep_shift_want want = {.seq = d->seq, .hash = c->state >> VYRE_SHIFT_ST_BITS};

	if (!nw)
		return true;
	if (nw > (uint64_t)d->rec_max * VYRE_REC_WORDS)
		return false;
	if (!c->vec)
		c->vec = malloc(nw * sizeof(*c->vec));
	if (!c->vec)
		return false;
	return grep_wait_landed(d->rec + (size_t)VYRE_SHIFT_VEC_REC(d->rec_max, nw) * VYRE_REC_WORDS,
				nw, c->vec, grep_shift_landed, &want);
}

/*
 * An open line the file ended without its last hop seeing the end (that
 * hop stopped on the last byte): what ac_eol or sh_eol would have recorded
 * there (shaders/ops/grep_ac.glsl, grep_shift.glsl), from its state or its
 * vector (vec: the shift engine's, NULL for none), filed under its start
 * pos. Returns the state, MATCHED and ACCEPT added when the end matched.
 * -ENOMEM leaves *state as it was.
 */
static int grep_cont_eol(struct pump_job *j, struct pump_part *part, uint64_t pos,
			 uint32_t *state, const uint32_t *vec)
{
	const uint32_t *w = (const uint32_t *)j->data;
	uint32_t nw = grep_shift_nwords(j), st = *state;

	if (!(grep_flags(j) & PUMP_GREP_PSET))
		return 0;
	if (nw) {
		const uint32_t *leol = w + w[VYRE_SHIFT_LAST_EOL], *owner = w + w[VYRE_SHIFT_OWNER];

		if (!vec || !(st & VYRE_SHIFT_ST_VECTOR))
			return 0;
		for (uint32_t i = 0; i < nw; i++)
			for (uint32_t x = vec[i] & leol[i]; x; x &= x - 1) {
				uint32_t p = i * 32 + (uint32_t)__builtin_ctz(x);

				if (p >= w[VYRE_SHIFT_NPOS] || grep_part_add_set(part, pos, owner[p] + 1))
					return p >= w[VYRE_SHIFT_NPOS] ? -EINVAL : -ENOMEM;
				st |= VYRE_SHIFT_ST_MATCHED | VYRE_SHIFT_ST_ACCEPT;
			}
	} else if (w[VYRE_PSET_EOL] && st != VYRE_AC_FRESH) {
		uint32_t s = st & (VYRE_AC_MATCHED - 1), k;

		if (s >= w[VYRE_PSET_NSTATES])
			return -EINVAL;
		k = w[w[VYRE_PSET_EOL] + s];
		if (k && grep_part_add_set(part, pos, k))
			return -ENOMEM;
		st |= k ? VYRE_AC_MATCHED : 0;
	}
	*state = st;
	return 0;
}

/* An open line is done (ended, failed or dropped). */
void grep_cont_end(struct pump *p, struct pump_job *j, struct grep_cont *c, bool sel)
{
	struct grep_chunk *gc = c->gc;

	if (sel) {
		gc->part->count++;
		if ((grep_flags(j) & PUMP_GREP_LINES) && grep_part_add_line(gc->part, c->pos, c->nl))
			gc->failed = true;
	}
	gc->pending--;
	free(c->vec);
	free(c);
	grep_chunk_check(p, j, gc);
}

int grep_cont_done(struct pump *p, uint32_t slot, const struct ring_done *d)
{
	struct pump_slot *s = pump_slot_at(p, slot);
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
	if (!grep_landed(d->out + VYRE_GO_CONT_KIND, 4, VYRE_GO_TAG(d->seq), grep_tag_cont, v)) {
		vlog_err("grep: slot %u: the GPU's continuation words never showed the slot's tag "
			 "(%llu ms); chunk %llu fails",
			 slot, GREP_LAND_NS / 1000000, (unsigned long long)c->gc->part->index);
		goto out_failed;
	}
	kind = grep_low_bits(v[0], VYRE_GO_CONT_KIND_BITS);
	/* per_pattern: the sets the hop entered, their number above SEL's bit */
	if ((grep_flags(j) & PUMP_GREP_PSET) &&
	    grep_cont_sets(d, v[VYRE_GO_CONT_SEL - VYRE_GO_CONT_KIND] >> 1, c->gc->part, c->pos))
		goto out_failed;
	if (kind == 1) {
		grep_cont_end(p, j, c, (v[VYRE_GO_CONT_SEL - VYRE_GO_CONT_KIND] & 1) != 0);
		return 0;
	}
	at = s->file_off + v[VYRE_GO_CONT_POS - VYRE_GO_CONT_KIND];
	if (kind != 2 || at <= c->at)
		goto out_failed;
	c->at = at;
	c->state = v[VYRE_GO_CONT_STATE - VYRE_GO_CONT_KIND];
	if (grep_shift_live(j, c->state) && !grep_shift_take(j, d, c)) {
		vlog_err("grep: slot %u: the bit-parallel engine's vector never matched its hash "
			 "(%llu ms); chunk %llu fails",
			 slot, GREP_LAND_NS / 1000000, (unsigned long long)c->gc->part->index);
		goto out_failed;
	}
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
int grep_cont_read(struct pump *p, struct pump_job *j, struct grep_cont *c)
{
	struct grep_job *gj = j->opstate;
	uint64_t region = pump_region_bytes(p), off = c->at, hop;
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
	hop = (1ull << gj->cont_budget) * (grep_dfa_bit(j, true, c->state) ? 16 : 1);
	if (j->direct)
		off &= ~4095ull;
	else if (j->cached) /* 16-aligned: the file cache may answer it (read.c, pump_op_read) */
		off &= ~15ull;
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
	pump_slot_at(p, (uint32_t)slot)->op_ctx = c;
	if (pump_op_read(p, (uint32_t)slot, off, want)) {
		pump_slot_free(p, (uint32_t)slot);
		return -EBUSY;
	}
	return 1;
}

void grep_read_done(struct pump *p, uint32_t slot, int got)
{
	struct pump_slot *s = pump_slot_at(p, slot);
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
		/* the file ended at c->at: per_pattern=1 records the line's end here */
		bool run = c->at > c->gc->part->file_off + c->pos;
		int err = run ? grep_cont_eol(j, c->gc->part, c->pos, &c->state,
					      grep_shift_live(j, c->state) ? c->vec : NULL)
			      : 0;

		pump_slot_free(p, slot);
		if (err) {
			job_chunk_failed(p, j, c->gc->part->index, c->at, -err);
			c->gc->failed = true;
			run = false;
		}
		grep_cont_end(p, j, c, run && grep_selected(j, c->state));
		return;
	}
	grep_work(p, slot, &w);
	w.arg0 = c->state;
	if (c->vec && grep_shift_live(j, c->state)) {
		/* read by the GPU after the publish's release (ring.c) */
		uint32_t room, *rec = pump_slot_rec(p, slot, &room), nw = grep_shift_nwords(j);

		if (nw > room) {
			pump_slot_free(p, slot);
			job_chunk_failed(p, j, c->gc->part->index, c->at, E2BIG);
			c->gc->failed = true;
			grep_cont_end(p, j, c, false);
			return;
		}
		rec += (size_t)VYRE_SHIFT_VEC_REC(room / VYRE_REC_WORDS, nw) * VYRE_REC_WORDS;
		memcpy(rec, c->vec, nw * sizeof(*rec));
	}
	w.arg1 = VYRE_GREP_F_CONT | gj->cont_budget << VYRE_GREP_BUDGET_POS |
		 c->skip << VYRE_GREP_START_POS | gj->coop;
	if (grep_flags(j) & PUMP_GREP_INVERT)
		w.arg1 |= VYRE_GREP_F_INVERT;
	if (grep_flags(j) & PUMP_GREP_PSET)
		w.arg1 |= VYRE_GREP_F_PSET;
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
