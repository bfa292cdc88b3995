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

/* ---- regex_compile_prog (issue 26): its tables' shape, and its lines against the DFA's ---- */

static bool fuzz_dfa_line(const struct regex_dfa *d, const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = d->next[(size_t)s * d->nclasses + d->classes[p[i]]];
	return d->accept[s];
}

static bool fuzz_ac_line(const struct regex_prog *g, const uint8_t *p, size_t n)
{
	const struct regex_ac *a = &g->ac;
	uint32_t s = 0;
	bool hit = a->acc[0] != 0;

	for (size_t i = 0; i < n && !hit; i++) {
		uint8_t c = a->classes[p[i]];

		for (;;) {
			if (s < a->ndense) {
				s = a->dense[(size_t)s * a->nclasses + c];
				break;
			}
			uint32_t k = a->child[s];
			while (k < a->child[s + 1] && a->label[k] != c)
				k++;
			if (k < a->child[s + 1]) {
				s = k;
				break;
			}
			s = a->fail[s];
		}
		hit = a->acc[s] != 0;
	}
	if (!hit && a->eol) /* the line ends in s: its '$' patterns (a DFA with accept sets) */
		hit = a->eol[s] != 0;
	return hit;
}

static void fuzz_shift_step(const struct regex_shift *x, uint32_t *d, uint32_t *t, bool bol,
			    uint8_t b)
{
	uint32_t nw = x->nwords;

	memset(t, 0, nw * 4);
	for (uint32_t k = 0; k < x->ndist; k++) {
		const uint32_t *m = x->mask + (size_t)k * nw;

		for (uint32_t p = 0; p < x->npos; p++) {
			if (!(d[p / 32] & m[p / 32] & 1u << (p % 32)))
				continue;
			int64_t q = (int64_t)p + x->dist[k];
			if (q < 0 || q >= x->npos)
				abort(); /* an edge out of the positions */
			t[q / 32] |= 1u << (q % 32);
		}
	}
	for (uint32_t q = 0; q < x->npos; q++) {
		if (!(d[q / 32] & x->exc_src[q / 32] & 1u << (q % 32)))
			continue;
		for (uint32_t k = x->exc_off[q]; k < x->exc_off[q + 1]; k++) {
			if (x->exc_to[k] >= x->npos)
				abort();
			t[x->exc_to[k] / 32] |= 1u << (x->exc_to[k] % 32);
		}
	}
	const uint32_t *bc = x->byclass + (size_t)x->classes[b] * nw;
	for (uint32_t w = 0; w < nw; w++)
		d[w] = (t[w] | x->first[w] | (bol ? x->first_bol[w] : 0)) & bc[w];
}

static bool fuzz_shift_line(const struct regex_prog *g, const uint8_t *p, size_t n)
{
	const struct regex_shift *x = &g->shift;
	uint32_t *d = calloc(x->nwords + 1, 4), *t = calloc(x->nwords + 1, 4);
	bool hit = false;

	if (!d || !t)
		abort();
	for (uint32_t i = 0; i < x->npatterns; i++)
		hit |= x->flags[i] & REGEX_SHIFT_ALWAYS || (x->flags[i] & REGEX_SHIFT_EMPTY_LINE && !n);
	for (size_t i = 0; i < n && !hit; i++) {
		fuzz_shift_step(x, d, t, i == 0, p[i]);
		for (uint32_t w = 0; w < x->nwords; w++)
			hit |= (d[w] & x->last[w]) != 0 || (i + 1 == n && (d[w] & x->last_eol[w]));
	}
	free(d);
	free(t);
	return hit;
}

static void fuzz_check_prog(const struct regex_prog *g, size_t n)
{
	if (g->npatterns != n)
		abort();
	if (g->engine == REGEX_ENGINE_AC) {
		const struct regex_ac *a = &g->ac;

		if (!a->nstates || a->ndense > a->nstates || a->child[0] != 1 ||
		    a->child[a->nstates] != a->nstates || !g->sets.n ||
		    (g->sets_dfa && a->ndense != a->nstates) || (a->eol && !g->sets_dfa))
			abort();
		for (uint32_t s = 0; a->eol && s < a->nstates; s++)
			if (a->eol[s] >= g->sets.n)
				abort();
		for (uint32_t s = 0; s < a->nstates; s++) {
			if ((s && a->fail[s] >= s) || a->acc[s] >= g->sets.n ||
			    a->child[s] > a->child[s + 1])
				abort();
			for (uint32_t k = a->child[s] + 1; k < a->child[s + 1]; k++)
				if (a->label[k - 1] >= a->label[k])
					abort();
		}
		for (uint32_t k = 1; k < g->sets.n; k++)
			for (uint32_t i = g->sets.off[k]; i < g->sets.off[k + 1]; i++)
				if (g->sets.ids[i] >= n || g->sets.first[k] > g->sets.ids[i] ||
				    (g->sets.parent[k] != REGEX_ACC_NONE && g->sets.parent[k] >= k))
					abort();
	} else if (g->engine == REGEX_ENGINE_SHIFT) {
		const struct regex_shift *x = &g->shift;

		if (x->npos > REGEX_SHIFT_POS_MAX || x->ndist > REGEX_SHIFT_DIST_MAX ||
		    x->nwords != (x->npos + 31) / 32 || x->npatterns != n)
			abort();
		for (uint32_t p = 0; p < x->npos; p++)
			if (x->owner[p] >= n)
				abort();
	} else {
		abort(); /* per_pattern never gives the DFA */
	}
}

/* Each line of the input (and a few more) selected by prog iff by the DFA. */
static void fuzz_diff(const struct regex_dfa *d, const struct regex_prog *g, const uint8_t *data,
		      size_t size)
{
	static const char *const extra[] = {"", "a", "ab", "abcabc", "aaaaaaaa", "x\\y", "A", "0"};
	const uint8_t *p = data, *end = data + size;

	for (size_t i = 0; i < sizeof(extra) / sizeof(*extra) + 64 && p <= end; i++) {
		const uint8_t *l;
		size_t n;

		if (i < sizeof(extra) / sizeof(*extra)) {
			l = (const uint8_t *)extra[i];
			n = strlen(extra[i]);
		} else {
			const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
			l = p;
			n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			p += n + 1;
		}
		bool want = fuzz_dfa_line(d, l, n);
		bool got = g->engine == REGEX_ENGINE_AC ? fuzz_ac_line(g, l, n) : fuzz_shift_line(g, l, n);
		if (want != got) {
			fprintf(stderr, "fuzz_regex: %s selects line %zu (%.*s): %d, the DFA %d\n",
				regex_engine_name(g->engine), i, (int)n, l, got, want);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *pats[FUZZ_PATS_MAX];
	size_t lens[FUZZ_PATS_MAX], n = 0;

	if (size < 1)
		return 0;
	struct regex_opts o = {.fixed = data[0] & 1, .icase = data[0] & 2, .utf8 = data[0] & 4};
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
	/* bit 3: EREs try the DFA with accept sets first (regex_pdfa.c) */
	struct regex_prog_opts po = {.fixed = o.fixed,
				     .icase = o.icase,
				     .utf8 = o.utf8,
				     .per_pattern = true,
				     .sets_dfa = data[0] & 8};
	struct regex_prog g;
	t0 = fuzz_cpu_s();
	int pret = regex_compile_prog((const char *const *)pats, lens, n, &po, &g, NULL, 0);
	cpu = fuzz_cpu_s() - t0;
	if (cpu > FUZZ_CPU_CHEAP_S && cpu > FUZZ_BUDGETS_MAX * fuzz_budget_s()) {
		fprintf(stderr, "fuzz_regex: regex_compile_prog took %.1f s of CPU: %d\n", cpu, pret);
		abort();
	}
	if (pret != 0 && pret != -EINVAL && pret != -E2BIG && pret != -ETIMEDOUT)
		abort();
	if ((ret == -EINVAL) != (pret == -EINVAL)) /* one parser: the same syntax errors */
		abort();
	if (pret == 0)
		fuzz_check_prog(&g, n);
	if (ret == 0) {
		fuzz_check_dfa(&d);
		if (pret == 0 && g.shift.npos <= 4096)
			fuzz_diff(&d, &g, data + 1, size - 1);
		regex_dfa_free(&d);
	} else {
		size_t l = strnlen(err, errlen);

		if (ret != -EINVAL && ret != -E2BIG && ret != -ETIMEDOUT)
			abort();
		if (l >= errlen || (errlen > 1 && l == 0) || memchr(err, '\n', l) || d.next)
			abort();
	}
	regex_prog_free(&g);
	free(err);
	for (size_t i = 0; i < n; i++)
		free(pats[i]);
	return 0;
}
