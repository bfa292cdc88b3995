// SPDX-License-Identifier: MIT
/*
 * bench_ring_grep.c - bench_ring's grep: the pattern compiled into a job
 * data region as a real grep job has it, and a slot's arguments as a real
 * job's middle chunk has them.
 *
 * The region's words come from the project's regex compiler (regex.h
 * regex_compile, what fs/grep.c fs_grep_compile takes first for one
 * pattern) laid out by pump/ops/grep_dfa.c grep_dfa_layout, the function
 * every DFA job's region goes through. The reference that checks it is in
 * bench_ring_text.c, built apart (POSIX <regex.h> and the project's
 * regex/regex.h share a name).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_ring.h"
#include "ops/grep_priv.h"
#include "regex/regex.h"

int bench_grep_dfa(const char *pat, uint32_t **words_out, uint32_t *nwords, uint32_t *nstates,
		   char *err, size_t errlen)
{
	const char *pats[1] = {pat};
	size_t lens[1] = {strlen(pat)};
	struct regex_opts o = {0};
	struct regex_dfa rd;
	int ret;

	ret = regex_compile(pats, lens, 1, &o, &rd, err, errlen);
	if (ret) {
		if (ret == -E2BIG || ret == -ETIMEDOUT)
			snprintf(err + strlen(err), errlen - strlen(err),
				 " (bench_ring runs the DFA engine only)");
		return ret;
	}
	struct pump_dfa d = {
	    .nstates = rd.nstates,
	    .nclasses = rd.nclasses,
	    .start = rd.start,
	    .classes = rd.classes,
	    .next = rd.next,
	    .accept = rd.accept,
	    .sink = rd.sink,
	};
	ret = grep_dfa_layout(&d, words_out, nwords);
	if (ret)
		snprintf(err, errlen, "grep_dfa_layout: %s", strerror(-ret));
	*nstates = rd.nstates;
	regex_dfa_free(&rd);
	return ret;
}

/*
 * The tail window a real job of this chunk reads past each chunk, as
 * pump/ops/grep.c grep_prep sizes it (chunk/16, GREP_TAIL_MIN to
 * GREP_TAIL_MAX), within the room the region has.
 */
uint32_t bench_grep_tail(uint32_t chunk, size_t room)
{
	uint32_t t = chunk >> GREP_TAIL_SHIFT;

	if (t < GREP_TAIL_MIN)
		t = GREP_TAIL_MIN;
	if (t > GREP_TAIL_MAX)
		t = GREP_TAIL_MAX;
	return t > room ? (uint32_t)room : t;
}

uint32_t bench_grep_flags(bool cpu, bool lines)
{
	/* a middle chunk of a scan (grep.c grep_pack): neither first nor last */
	return (cpu ? GREP_BUDGET_CPU : GREP_BUDGET_GPU) << VYRE_GREP_BUDGET_POS |
	       (lines ? VYRE_GREP_F_LINES : 0);
}
