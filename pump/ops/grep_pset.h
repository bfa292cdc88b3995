/* SPDX-License-Identifier: MIT */
/*
 * A pattern set's Aho-Corasick tables as the pump takes them (the
 * compiler's struct regex_ac and accept sets, regex/regex.h, without the
 * pump depending on regex/), and their layout in a job's data region as
 * VYRE_PSET_* words (abi/vyre_abi.h). The caller owns every array; the
 * layout is a new allocation the caller frees.
 */
#ifndef VYRE_PUMP_OPS_GREP_PSET_H
#define VYRE_PUMP_OPS_GREP_PSET_H

#include <stdint.h>

struct grep_pset_ac {
	uint32_t npatterns;
	uint32_t nstates, nclasses, ndense;
	const uint8_t *classes; /* 256 */
	const uint32_t *dense;	/* ndense * nclasses */
	const uint32_t *child;	/* nstates + 1 */
	const uint8_t *label;	/* nstates */
	const uint32_t *fail;	/* nstates */
	const uint32_t *acc;	/* nstates */
	uint32_t nsets;
	const uint32_t *setoff; /* nsets + 1 */
	const uint32_t *ids;	/* setoff[nsets] */
	const uint32_t *parent; /* nsets; UINT32_MAX: none */
	const uint32_t *first;	/* nsets; UINT32_MAX: the empty set */
};

/*
 * Checks the tables (every index in range, children after their parent
 * and labels ascending, failure links shallower, set parents earlier) and
 * lays them out: 0, -EINVAL, -ENOMEM, or -E2BIG past VYRE_JOB_DATA_MAX.
 */
int grep_pset_layout(const struct grep_pset_ac *a, uint32_t **words, uint32_t *nwords);

#endif
