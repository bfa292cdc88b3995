// SPDX-License-Identifier: MIT
/*
 * A pass's out words (vyre_abi.h, VYRE_GO_TAG): each word the host reads
 * besides the done record carries the slot's tag, and is read once it does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grep_priv.h"

static uint32_t grep_ld(const uint32_t *w)
{
	return atomic_load_explicit((_Atomic uint32_t *)w, memory_order_acquire);
}

/*
 * The n words at w, copied into v once landed(v, n, ctx) holds: the GPU's
 * stores may land after its done word (issue 20), and a word read before
 * its store lands would be a wrong answer. false past GREP_LAND_NS.
 */
bool grep_wait_landed(const uint32_t *w, uint32_t n, uint32_t *v,
		      bool (*landed)(const uint32_t *v, uint32_t n, const void *ctx), const void *ctx)
{
	uint64_t t0 = 0;

	for (;;) {
		for (uint32_t i = 0; i < n; i++)
			v[i] = grep_ld(w + i);
		if (landed(v, n, ctx))
			return true;
		if (!t0)
			t0 = pump_now_ns();
		else if (pump_now_ns() - t0 > GREP_LAND_NS)
			return false;
		__builtin_ia32_pause();
	}
}

struct grep_tagged {
	uint32_t tag;
	uint32_t (*tag_of)(const uint32_t *v);
};

static bool grep_tag_is(const uint32_t *v, uint32_t n, const void *ctx)
{
	const struct grep_tagged *t = ctx;

	(void)n;
	return t->tag_of(v) == t->tag;
}

/* The words at w (n of them, one store on the GPU) once tag_of(w) is tag; false past the bound. */
bool grep_landed(const uint32_t *w, uint32_t n, uint32_t tag, uint32_t (*tag_of)(const uint32_t *v),
		 uint32_t *v)
{
	struct grep_tagged t = {.tag = tag, .tag_of = tag_of};

	return grep_wait_landed(w, n, v, grep_tag_is, &t);
}

static uint32_t tag_rec(const uint32_t *v)
{
	return (v[VYRE_REC_START] >> VYRE_REC_START_BITS) | (v[VYRE_REC_NL] >> VYRE_REC_NL_BITS)
								<< (32 - VYRE_REC_START_BITS);
}

static void grep_rec_decode(const uint32_t v[VYRE_REC_WORDS], struct grep_rec *rec)
{
	rec->start = grep_low_bits(v[VYRE_REC_START], VYRE_REC_START_BITS);
	rec->nl = grep_low_bits(v[VYRE_REC_NL], VYRE_REC_NL_BITS);
	rec->set = UINT32_MAX;
	if (rec->nl >= VYRE_REC_SET) { /* per_pattern: an accept set the line entered */
		rec->set = rec->nl - VYRE_REC_SET;
		rec->nl = 0;
	}
}

/*
 * Record i of the slot's line records (vyre_abi.h VYRE_REC_*), once it
 * carries the slot's tag: the layout's one reader (the shader's
 * grep_rec_store is its one writer). false past GREP_LAND_NS.
 *
 * A record is one 8-byte store, so one 8-byte acquire load reads both
 * its words, and both words' tag bits are checked as grep_landed checks
 * them: a record that lands later is not taken early. Only a record that
 * has not landed yet goes through grep_landed's wait. Two 4-byte loads
 * and grep_landed's calls a record were most of the cost of reading one
 * on the pump thread (issue 23, lines=1 on a dense grep).
 */
static bool grep_rec_read(const struct ring_done *d, uint32_t i, struct grep_rec *rec)
{
	const uint32_t *w = d->rec + (size_t)i * VYRE_REC_WORDS;
	uint32_t v[VYRE_REC_WORDS];
	uint64_t x = atomic_load_explicit((_Atomic uint64_t *)w, memory_order_acquire);

	memcpy(v, &x, sizeof(v));
	if (tag_rec(v) != VYRE_GO_TAG(d->seq) &&
	    !grep_landed(w, VYRE_REC_WORDS, VYRE_GO_TAG(d->seq), tag_rec, v))
		return false;
	grep_rec_decode(v, rec);
	return true;
}

/*
 * File k of a slot of nfiles: its share of the slot's records (vyre_abi.h,
 * after VYRE_PACK_OVER), a count record, then *n records from *first.
 * -EOVERFLOW: the share leaves it no room (it runs alone instead); -EIO
 * as grep_collect.
 */
static int grep_packed_area(const struct ring_done *d, uint32_t k, uint32_t nfiles,
			    uint32_t *first, uint32_t *n)
{
	/* the shader's share: its tiles' files, VYRE_PACK_FILES_PER_TILE a tile */
	uint32_t tiles = (nfiles + VYRE_PACK_FILES_PER_TILE - 1) / VYRE_PACK_FILES_PER_TILE;
	uint32_t per = tiles ? d->rec_max / (tiles * VYRE_PACK_FILES_PER_TILE) : 0;
	struct grep_rec rec;

	*n = 0;
	if (per < 2 || k >= nfiles || nfiles > VYRE_PACK_FILES_MAX)
		return -EOVERFLOW;
	if (!grep_rec_read(d, k * per, &rec))
		return -EIO;
	if (rec.set != UINT32_MAX || rec.nl != 0)
		return -EIO;
	if (rec.start > per - 1)
		return -EOVERFLOW; /* the GPU marked it VYRE_PACK_OVER too */
	*first = k * per + 1;
	*n = rec.start;
	return 0;
}

/*
 * File k's records (a packed slot's file of size bytes: per_pattern=1's
 * set records and lines=1's line records {start in the file, '\n' before
 * it in the file}, in any order: shaders/ops/grep_packed.glsl) into a new
 * array (*recs, *n; NULL when none) the caller frees. -EIO also for a
 * line record past the file; -ENOMEM; else as grep_packed_area.
 */
int grep_packed_recs(const struct ring_done *d, uint32_t k, uint32_t nfiles, uint64_t size,
		     struct grep_rec **recs, size_t *n)
{
	uint32_t first, cnt;
	int ret = grep_packed_area(d, k, nfiles, &first, &cnt);
	struct grep_rec *v;

	*recs = NULL;
	*n = 0;
	if (ret || !cnt)
		return ret;
	v = calloc(cnt, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < cnt; i++) {
		struct grep_rec *r = &v[i];
		if (!grep_rec_read(d, first + i, r) ||
		    (r->set == UINT32_MAX && (r->start >= size || r->nl > r->start))) {
			free(v);
			return -EIO;
		}
	}
	*recs = v;
	*n = cnt;
	return 0;
}

/*
 * A continuation's n set records (per_pattern=1): the sets its line
 * entered in that hop, filed under the line's start. -EIO as grep_collect.
 */
int grep_cont_sets(const struct ring_done *d, uint32_t n, struct pump_part *part, uint64_t pos)
{
	struct grep_rec rec;

	for (uint32_t i = 0; i < n && i < d->rec_max; i++) {
		if (!grep_rec_read(d, i, &rec))
			return -EIO;
		if (rec.set != UINT32_MAX && grep_part_add_set(part, pos, rec.set))
			return -ENOMEM;
	}
	return 0;
}

static uint32_t tag_open(const uint32_t *v)
{
	return (v[VYRE_GO_OPEN_NL] >> VYRE_GO_NL_BITS) |
	       (v[VYRE_GO_OPEN_STATE] >> VYRE_GO_STATE_BITS) << (32 - VYRE_GO_NL_BITS);
}

uint32_t grep_tag_nl(const uint32_t *v)
{
	return v[0] >> VYRE_GO_NL_BITS;
}

static uint32_t tag_tile_recs(const uint32_t *v)
{
	return (v[VYRE_GO_TILE_BASE] >> VYRE_GO_COUNT_BITS) |
	       (v[VYRE_GO_TILE_N] >> VYRE_GO_COUNT_BITS) << (32 - VYRE_GO_COUNT_BITS);
}

uint32_t grep_tag_cont(const uint32_t *v)
{
	return v[0] >> VYRE_GO_CONT_KIND_BITS;
}

uint32_t grep_low_bits(uint32_t v, uint32_t bits)
{
	return v & ((1u << bits) - 1);
}

/* A line start kept as ~p under atomicMax (0: none), as VYRE_NONE or p. */
static uint32_t grep_min(uint32_t v)
{
	return v ? ~v : VYRE_GO_NONE;
}

/* The lowest line a pass could not keep: the next pass starts there. */
uint32_t grep_low(const struct pump_job *j, const struct ring_done *d)
{
	uint32_t low = grep_min(d->op[VYRE_GC_OPEN_MIN]);
	uint32_t rec = grep_min(d->op[VYRE_GC_REC_MIN]);

	return (grep_flags(j) & (PUMP_GREP_LINES | PUMP_GREP_PSET)) && rec < low ? rec : low;
}

uint32_t grep_owner_tile(const struct grep_chunk *gc, uint64_t pos)
{
	return pos == 0 ? 0 : (uint32_t)((pos - 1) >> gc->shift);
}

/*
 * The lists a pass left in out: open lines to continue, records to keep.
 * -ENOMEM, or -EIO: a word never showed the slot's tag (grep_landed).
 */
int grep_collect(struct pump_job *j, struct grep_chunk *gc, const struct ring_done *d)
{
	struct grep_job *gj = j->opstate;
	bool lines = grep_flags(j) & (PUMP_GREP_LINES | PUMP_GREP_PSET);
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
			  grep_low_bits(v[VYRE_GO_OPEN_NL], VYRE_GO_NL_BITS),
		    .at = gc->part->file_off + v[VYRE_GO_OPEN_POS],
		    .state = grep_low_bits(v[VYRE_GO_OPEN_STATE], VYRE_GO_STATE_BITS),
		    .cap = GREP_CONT_FIRST,
		};
		gc->pending++;
		grep_queue(gj, c);
	}
	if (!lines)
		return 0;
	/*
	 * The tiles' record counts first, each word read once: the part's
	 * list grows once a pass. grep_shift keeps ntiles within the table.
	 */
	uint32_t tbase[VYRE_GREP_MAX_TILES], tn[VYRE_GREP_MAX_TILES];
	uint32_t first = grep_owner_tile(gc, gc->resume);
	size_t total = 0;
	if (gc->ntiles > VYRE_GREP_MAX_TILES)
		return -EINVAL;
	for (uint32_t t = first; t < gc->ntiles; t++) {
		if (!grep_landed(out + VYRE_GO_TILE_RECS + 2 * t, 2, tag, tag_tile_recs, v))
			return -EIO;
		tbase[t] = grep_low_bits(v[VYRE_GO_TILE_BASE], VYRE_GO_COUNT_BITS);
		tn[t] = grep_low_bits(v[VYRE_GO_TILE_N], VYRE_GO_COUNT_BITS);
		total += tn[t];
	}
	if (grep_part_reserve(gc->part, total < d->rec_max ? total : d->rec_max))
		return -ENOMEM;
	for (uint32_t t = first; t < gc->ntiles; t++) {
		uint32_t base = tbase[t], n = tn[t];
		struct grep_rec rec;

		for (uint32_t k = 0; k < n && base + k < d->rec_max; k++) {
			if (!grep_rec_read(d, base + k, &rec))
				return -EIO;
			if (rec.start < gc->resume || rec.start >= low)
				continue;
			if (rec.set != UINT32_MAX) {
				if (grep_part_add_set(gc->part, rec.start, rec.set))
					return -ENOMEM;
				continue;
			}
			if (grep_part_add_line(gc->part, rec.start, gc->tile_pre[t] + rec.nl))
				return -ENOMEM;
		}
	}
	return 0;
}
