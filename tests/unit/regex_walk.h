/* SPDX-License-Identifier: MIT */
/*
 * regex_walk.h - a small walker per engine of regex_compile_prog's tables
 * (Aho-Corasick with its dense and sparse states, the bit-parallel
 * Glushkov NFA, the DFA), following regex.h's description of them: per
 * pattern, the lines it selects (a line counts once per pattern), and per
 * line, the first pattern that selects it. It checks the compiler, not a
 * shader (test_regex_sets.c compares what it gives with GNU grep).
 */
#ifndef VYRE_TEST_REGEX_WALK_H
#define VYRE_TEST_REGEX_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "regex.h"

#define WALK_NONE UINT32_MAX /* no pattern */

/* a text and its lines */
struct text {
	char path[96];
	uint8_t *p;
	size_t n;
	uint32_t nlines;
	size_t *start; /* nlines + 1: line l is p[start[l]..start[l+1]-1) ('\n' dropped) */
};

/* What a walk found: walk_tally_init sizes it, walk_tally_free frees it. */
struct tally {
	uint64_t *count;   /* per pattern */
	uint32_t *seen;	   /* per pattern: line + 1 it was last counted on */
	uint32_t *first;   /* per line */
	uint32_t *setseen; /* per accept set: line + 1 */
};

void walk_tally_init(struct tally *y, size_t npat, const struct text *t, uint32_t nsets);
void walk_tally_free(struct tally *y);
/* Walks p's tables over every line of t, into y (from walk_tally_init). */
void walk(const struct regex_prog *p, const struct text *t, struct tally *y);

#endif
