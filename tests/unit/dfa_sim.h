/* SPDX-License-Identifier: MIT */
/*
 * dfa_sim.h - a tiny simulator of regex_compile's DFA, as a scanner runs
 * it, and the promises of the DFA's shape (test_regex_compile.c,
 * regex_diff.c).
 */
#ifndef VYRE_TEST_DFA_SIM_H
#define VYRE_TEST_DFA_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "regex.h"

/* The table's bounds, the newline's own class back to state 0, sink[] true. */
void dfa_check_shape(const struct regex_dfa *d);

/*
 * The matching lines of t[0..n); *lines, the lines in all (a last one
 * without '\n' counts). With skip, a sink state jumps to the next '\n' as a
 * scanner may. hit (or NULL) marks each of the first hit_max lines 1 if it
 * matches, 0 if not.
 */
uint64_t dfa_run(const struct regex_dfa *d, const uint8_t *t, size_t n, bool skip, uint8_t *hit,
		 size_t hit_max, uint64_t *lines);

#endif
