/* SPDX-License-Identifier: MIT */
/* check.h - the one assertion every C test uses, and CPU references. */
#ifndef VYRE_TEST_CHECK_H
#define VYRE_TEST_CHECK_H

#include <ftw.h>
#include <signal.h>
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

/*
 * A failed CHECK ends the test without exit(): exit() runs atexit handlers
 * and library destructors (lavapipe's, LLVM's, LeakSanitizer's leak check)
 * while the pump thread and lavapipe's threads are still running, which
 * crashed lavapipe (SEGV from gpu_kernel_idle via ring_kick) and left ASan's
 * report deadlocked against LSan's exit-time check for an hour (issue 20,
 * item 9). check_fail() prints, runs the hooks a test registered with
 * check_on_fail() (last registered first: stop the pump, remove a scratch
 * folder; each must be safe at any CHECK, including one on the pump's own
 * thread), and leaves with _exit(1). A hook that does not return within
 * CHECK_HOOK_TIMEOUT_S seconds is cut off by SIGALRM's default action, so a
 * failed check can never hang. atexit() handlers do not run on a failure:
 * a test that removes its scratch folder at exit registers it here as well.
 */
#define CHECK_HOOKS_MAX 8
#ifndef CHECK_HOOK_TIMEOUT_S
#define CHECK_HOOK_TIMEOUT_S 30
#endif

typedef void (*check_hook_fn)(void);

/* weak: one copy however many of a test's objects include this header */
__attribute__((weak)) check_hook_fn check_hooks[CHECK_HOOKS_MAX];
__attribute__((weak)) int check_hooks_n;
__attribute__((weak)) volatile int check_failing;

/* Runs fn when a CHECK fails, before the process ends; returns 0 or -ENOSPC. */
static inline int check_on_fail(check_hook_fn fn)
{
	if (check_hooks_n >= CHECK_HOOKS_MAX)
		return -28; /* ENOSPC, without <errno.h> in every test */
	check_hooks[check_hooks_n++] = fn;
	return 0;
}

static inline _Noreturn void check_fail(void)
{
	/* a second thread failing meanwhile waits for the first to finish */
	if (__atomic_exchange_n(&check_failing, 1, __ATOMIC_SEQ_CST)) {
		sleep(2 * CHECK_HOOK_TIMEOUT_S);
		_exit(1);
	}
	fflush(stdout);
	fflush(stderr);
	if (check_hooks_n) {
		signal(SIGALRM, SIG_DFL);
		alarm(CHECK_HOOK_TIMEOUT_S);
		for (int i = check_hooks_n; i-- > 0;)
			check_hooks[i]();
		alarm(0);
	}
	fflush(NULL);
	_exit(1);
}

#define CHECK(cond, ...)                                                               \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, \
				#cond);                                                \
			fprintf(stderr, __VA_ARGS__);                                  \
			fputc('\n', stderr);                                           \
			check_fail();                                                  \
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

/*
 * The lines of d[0..size) holding pat (memmem), less those lost(ctx, owner,
 * st, e) says a failed chunk took: the line is d[st..e), and owner the chunk
 * of chunk bytes it belongs to, the one holding the '\n' before it (the
 * first line: chunk 0), as the pump counts a grep chunk's lines. lost NULL:
 * every line counts.
 */
typedef int (*ref_lost_fn)(const void *ctx, uint64_t owner, uint64_t st, uint64_t e);

static inline uint64_t ref_grep_lines(const uint8_t *d, uint64_t size, uint32_t chunk,
				      const char *pat, ref_lost_fn lost, const void *ctx)
{
	uint64_t count = 0;

	for (uint64_t st = 0; st < size;) {
		const uint8_t *nl = memchr(d + st, '\n', size - st);
		uint64_t e = nl ? (uint64_t)(nl - d) : size;
		uint64_t owner = st ? (st - 1) / chunk : 0;

		if (!(lost && lost(ctx, owner, st, e)) && memmem(d + st, e - st, pat, strlen(pat)))
			count++;
		st = e + 1;
	}
	return count;
}

/* LC_ALL=C grep -c -a -e PAT PATH: GNU grep's count (pat and path hold no '\'') */
static inline uint64_t ref_grep_c(const char *path, const char *pat)
{
	char cmd[4600], out[64];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "LC_ALL=C grep -c -a -e '%s' '%s'", pat, path);
	p = popen(cmd, "r");
	CHECK(p && fgets(out, sizeof(out), p), "%s", cmd);
	pclose(p);
	return strtoull(out, NULL, 10);
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
