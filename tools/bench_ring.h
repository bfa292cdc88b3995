/* SPDX-License-Identifier: MIT */
/*
 * bench_ring.h - bench_ring.c's grep pieces (bench_ring_grep.c): the
 * text it scans, the job data region, a slot's arguments and the CPU
 * reference.
 */
#ifndef VYRE_TOOLS_BENCH_RING_H
#define VYRE_TOOLS_BENCH_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* n bytes of log-like lines of 60-100 bytes, the last byte '\n'. */
void bench_text_fill(uint8_t *p, size_t n, uint64_t seed);
/* pat (an ERE) as a DFA job's data region: *words malloc'd (the caller
 * frees), *nwords long; err says why not (-EINVAL, -E2BIG, ...). */
int bench_grep_dfa(const char *pat, uint32_t **words, uint32_t *nwords, uint32_t *nstates,
		   char *err, size_t errlen);
/* The tail window a real grep job reads past a chunk of this size. */
uint32_t bench_grep_tail(uint32_t chunk, size_t room);
/* arg1 of a real grep job's middle chunk (budget, lines=1). */
uint32_t bench_grep_flags(bool cpu, bool lines);
/* Lines owned by a middle chunk, and those regexec selects. */
int bench_grep_ref(const char *pat, const uint8_t *p, uint32_t chunk, uint32_t tail, uint64_t *sel,
		   uint64_t *lines);

#endif
