/* SPDX-License-Identifier: MIT */
/*
 * regex_test.h - what the regex compiler's tests share: the compile-time
 * bound, the clocks it is measured on, and one random stream
 * (test_regex_compile.c with regex_diff.c, test_regex_sets.c).
 */
#ifndef VYRE_TEST_REGEX_TEST_H
#define VYRE_TEST_REGEX_TEST_H

#include <stdint.h>
#include <time.h>

/* The compile-time bound is for an optimized build; a sanitized one is allowed 10x. */
#if defined(__SANITIZE_ADDRESS__)
#define COMPILE_MS_MAX 10000
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COMPILE_MS_MAX 10000
#endif
#endif
#ifndef COMPILE_MS_MAX
#define COMPILE_MS_MAX 1000
#endif

/* xorshift64, seeded once by main (REGEX_SEED): weak, one state for every
 * file of a test, so a seed replays the whole run */
__attribute__((weak)) uint64_t rng_state;

static inline uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time: the compile-time bounds hold on a machine shared with other jobs. */
static inline double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#endif
