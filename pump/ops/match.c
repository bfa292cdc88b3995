// SPDX-License-Identifier: MIT
/*
 * match: overlapping occurrences of 1-256 bytes (shaders/ops/match.glsl).
 * The pattern is the job's data region; each chunk is read with a tail
 * window of pattern length - 1 bytes so an occurrence that starts in the
 * chunk is seen whole.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

static int match_prep(struct pump_job *j, const struct pump_scan *scan)
{
	const struct pump_match_args *a = &scan->args.match;

	if (!a->len || a->len > VYRE_PATTERN_MAX || !a->pattern || scan->data_len)
		return -EINVAL;
	j->data = malloc(a->len);
	if (!j->data)
		return -ENOMEM;
	memcpy(j->data, a->pattern, a->len);
	j->data_len = a->len;
	j->tail = a->len - 1;
	return 0;
}

/* A spread job's copy of the pattern, which every span's args point into. */
static int match_share(const struct pump_scan *scan, uint32_t **words, uint32_t *nwords,
		       union pump_op_args *span)
{
	const struct pump_match_args *a = &scan->args.match;

	*words = NULL;
	*nwords = 0;
	if (!a->len || !a->pattern)
		return 0; /* match_prep refuses it in the first span */
	*words = malloc(a->len);
	if (!*words)
		return -ENOMEM;
	memcpy(*words, a->pattern, a->len);
	span->match.pattern = (const uint8_t *)*words;
	return 0;
}

static int match_pack(struct pump *p, uint32_t slot, struct ring_work *w)
{
	w->arg0 = pump_slot_at(p, slot)->job->data_len;
	return 0;
}

/*
 * A tile of 2^s bytes gives each of 256 lanes 2^s/256 positions; match
 * tries up to m bytes at each, so keep (2^s/256)*m <= 4096 iterations, far
 * below lavapipe's 65,535 (ARCHITECTURE.md, "Platform facts", fact 6).
 */
static uint32_t match_tile_shift(const struct gpu *g, const struct ring_work *w)
{
	uint32_t s = 20;

	(void)g;
	while (s > 12 && w->arg0 && (1u << (s - 8)) * w->arg0 > 4096)
		s--;
	return s;
}

const struct pump_op pump_op_match = {
    .name = "match",
    .code = VYRE_OP_MATCH,
    .opclass = VYRE_OPCLASS_MATCH,
    .result = PUMP_RESULT_SCALAR,
    .usage = "pattern=BYTES result: overlapping occurrences of 1-256 bytes",
    .summary = "overlapping occurrences of pattern= (1-256 bytes)",
    .prep = match_prep,
    .share = match_share,
    .pack = match_pack,
    .tile_shift = match_tile_shift,
};
