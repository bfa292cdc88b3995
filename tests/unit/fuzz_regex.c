// SPDX-License-Identifier: MIT
/*
 * fuzz_regex - libFuzzer target for regex_compile.
 *
 * Input: byte 0 holds the flags (bit 0 fixed, bit 1 icase, bits 2-7 pick
 * the size of err), the rest is the patterns, one per '\n'-separated
 * piece, each its own heap block of exactly its length (ASan sees a read
 * past it). Whatever the input: no crash, leak or undefined behaviour; a
 * result of 0, -EINVAL, -E2BIG or -ETIMEDOUT only; a failure's message is one line
 * within errlen; a DFA stays within the caps and keeps its promises
 * (newline class alone and back to start, sink flags true); and no
 * compile takes much longer than the work budget allows. REGEX_WORK_MAX
 * stops every compile after a fixed number of steps (about 0.3 s at -O2,
 * ~40 times that in this ASan, UBSan and coverage build), so an input far
 * slower than a compile that spends the whole budget is a stage whose
 * work goes uncounted (issue 21: a 30-byte pattern compiled for 24 s).
 * The unit is measured on this build and machine, once, and only when an
 * input takes over FUZZ_CPU_CHEAP_S; CPU time, so load does not trip it.
 * libFuzzer's -timeout stays the backstop for a hang.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "regex.h"

#define FUZZ_PATS_MAX	 64
#define FUZZ_CPU_CHEAP_S 1.0
/* steps differ in cost (a cache miss, a closure's push): 1.3-6 ns at -O2 */
#define FUZZ_BUDGETS_MAX 5.0

static double fuzz_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of a compile that spends the whole budget (-ETIMEDOUT), measured once. */
static double fuzz_budget_s(void)
{
	static double once;
	static const char *ref = "(x.*(.?){300}(d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t|u|v|w|x|y|z)Y|"
				 "a[ab]{11}$)";
	size_t len = strlen(ref);
	struct regex_dfa d;

	if (once)
		return once;
	double t0 = fuzz_cpu_s();
	int ret = regex_compile(&ref, &len, 1, NULL, &d, NULL, 0);
	once = fuzz_cpu_s() - t0;
	if (ret != -ETIMEDOUT) { /* the reference no longer spends the budget: fix it */
		fprintf(stderr, "fuzz_regex: the reference pattern gave %d, not -ETIMEDOUT\n", ret);
		abort();
	}
	return once;
}

static void fuzz_check_dfa(const struct regex_dfa *d)
{
	uint32_t nl = d->classes['\n'];

	if (d->nstates < 1 || d->nstates > REGEX_STATES_MAX || d->nclasses < 1 ||
	    d->nclasses > 256 || (uint64_t)d->nstates * d->nclasses * 4 > REGEX_TABLE_MAX ||
	    d->start != 0)
		abort();
	for (int b = 0; b < 256; b++)
		if (d->classes[b] >= d->nclasses || (b != '\n' && d->classes[b] == nl))
			abort();
	for (uint32_t s = 0; s < d->nstates; s++) {
		bool sink = true;

		for (uint32_t c = 0; c < d->nclasses; c++) {
			uint32_t t = d->next[(size_t)s * d->nclasses + c];

			if (t >= d->nstates || (c == nl && t != 0))
				abort();
			if (c != nl && t != s)
				sink = false;
		}
		if (d->sink[s] != sink || d->accept[s] > 1)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *pats[FUZZ_PATS_MAX];
	size_t lens[FUZZ_PATS_MAX], n = 0;

	if (size < 1)
		return 0;
	struct regex_opts o = {.fixed = data[0] & 1, .icase = data[0] & 2};
	size_t errlen = 1 + (data[0] >> 2) * 4;
	const uint8_t *p = data + 1, *end = data + size;
	while (n < FUZZ_PATS_MAX) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		pats[n] = malloc(l ? l : 1);
		memcpy(pats[n], p, l);
		lens[n++] = l;
		if (!nl)
			break;
		p = nl + 1;
	}
	char *err = malloc(errlen);
	struct regex_dfa d;
	double t0 = fuzz_cpu_s();
	int ret = regex_compile((const char *const *)pats, lens, n, &o, &d, err, errlen);
	double cpu = fuzz_cpu_s() - t0;
	if (cpu > FUZZ_CPU_CHEAP_S && cpu > FUZZ_BUDGETS_MAX * fuzz_budget_s()) {
		fprintf(stderr,
			"fuzz_regex: regex_compile took %.1f s of CPU, %.1f times what the whole "
			"work budget takes here: %d\n",
			cpu, cpu / fuzz_budget_s(), ret);
		abort();
	}
	if (ret == 0) {
		fuzz_check_dfa(&d);
		regex_dfa_free(&d);
	} else {
		size_t l = strnlen(err, errlen);

		if (ret != -EINVAL && ret != -E2BIG && ret != -ETIMEDOUT)
			abort();
		if (l >= errlen || (errlen > 1 && l == 0) || memchr(err, '\n', l) || d.next)
			abort();
	}
	free(err);
	for (size_t i = 0; i < n; i++)
		free(pats[i]);
	return 0;
}
