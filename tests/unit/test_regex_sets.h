/* SPDX-License-Identifier: MIT */
/*
 * test_regex_sets.h - what test_regex_sets.c and test_regex_sets_ere.c
 * share: a set under test, its compile and its checks against grep and
 * against the bit-parallel engine.
 */
#ifndef VYRE_TEST_REGEX_SETS_H
#define VYRE_TEST_REGEX_SETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "regex.h"
#include "regex_walk.h"

/*
 * A reference other than grep, for .{20000}: GNU grep 3.8 takes 47 s and
 * 3 GB of memory to count it on a 3-line file (2026-12-06, this VM), so
 * its lines are those of 20,000 bytes or more, counted here.
 */
typedef uint32_t (*ref_fn)(const struct text *t, uint8_t *hit);

struct set {
	const ref_fn *refs; /* per pattern, NULL: grep */
	const char *name;
	const char *const *pats;
	size_t n;
	bool fixed, icase, per_pattern;
	uint32_t engine; /* the engine it must get, 0: any */
	bool sets_dfa;	 /* regex_prog_opts.sets_dfa, and with engine AC: it must be that DFA */
};

/* c compiled into p, its engine and pattern count checked */
void compile(const struct set *c, const size_t *lens, struct regex_prog *p);
/* c's counts (every pattern's, or 20) and lines against grep */
void check_set(const struct set *c, const struct text *t, bool every);
/* c's counts and first patterns against the bit-parallel engine */
void check_sets_as_shift(const struct set *cp, const size_t *lens, const struct text *t);

/* test_regex_sets_ere.c: generated ERE sets over the data's words */
void sets_check_varied_eres(const struct text *tp, char **words);
void sets_check_ioc_eres(const struct text *tp, char **words);

#endif
