/* SPDX-License-Identifier: MIT */
/* regex_diff.h - regex_compile against GNU grep on random patterns and texts (regex_diff.c). */
#ifndef VYRE_TEST_REGEX_DIFF_H
#define VYRE_TEST_REGEX_DIFF_H

#include <stdint.h>

/*
 * npat random pattern sets, their texts and pattern files written in dir;
 * fails the test on any difference from grep (seed: what replays it,
 * named in the failure). rnd() must be seeded.
 */
void regex_diff_run(const char *dir, uint64_t seed, unsigned npat);

#endif
