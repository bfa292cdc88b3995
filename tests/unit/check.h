/* SPDX-License-Identifier: MIT */
/* check.h - the one assertion every C test uses, and CPU references. */
#ifndef VYRE_TEST_CHECK_H
#define VYRE_TEST_CHECK_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T_EXIT_SKIP 77

/* An input a test reads that is not there: the test skips (exit 77). */
#define SKIP_UNLESS_READABLE(path)                                                     \
	do {                                                                           \
		if (access(path, R_OK) != 0) {                                         \
			printf("skip: %s is missing\n", path);                          \
			exit(T_EXIT_SKIP);                                             \
		}                                                                      \
	} while (0)

/* The pump tests' kernel mode: VYRE_TEST_KERNEL=persistent|relaunch, else auto. */
#define CHECK_TEST_KERNEL()                                                            \
	(getenv("VYRE_TEST_KERNEL") && !strcmp(getenv("VYRE_TEST_KERNEL"), "persistent")   \
		 ? PUMP_KERNEL_PERSISTENT                                              \
	 : getenv("VYRE_TEST_KERNEL") && !strcmp(getenv("VYRE_TEST_KERNEL"), "relaunch") \
		 ? PUMP_KERNEL_RELAUNCH                                                \
		 : PUMP_KERNEL_AUTO)

#define CHECK(cond, ...)                                                               \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, \
				#cond);                                                \
			fprintf(stderr, __VA_ARGS__);                                  \
			fputc('\n', stderr);                                           \
			exit(1);                                                       \
		}                                                                      \
	} while (0)

/* The CPU references the shader's results are checked against. */
static inline uint64_t ref_count(const uint8_t *d, size_t n, uint8_t b)
{
	uint64_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += d[i] == b;
	return c;
}

static inline uint32_t ref_count32(const uint8_t *d, size_t n, uint8_t b)
{
	return (uint32_t)ref_count(d, n, b);
}

/* Python's find loop advancing by 1: overlapping occurrences. */
static inline uint64_t ref_match(const uint8_t *d, size_t n, const uint8_t *pat, size_t plen)
{
	uint64_t c = 0;

	for (size_t i = 0; i + plen <= n; i++)
		c += d[i] == pat[0] && !memcmp(d + i, pat, plen);
	return c;
}

static inline int test_rm_one(const char *path, const struct stat *st, int flag,
			      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a test's scratch folder and everything in it. */
static inline void test_rmtree(const char *dir)
{
	if (dir && dir[0])
		nftw(dir, test_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Seconds on CLOCK_MONOTONIC, the pump's clock: for a test's own timings. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
