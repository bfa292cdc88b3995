// SPDX-License-Identifier: MIT
/*
 * bench_patterns - compile time and memory of pattern sets (issue 26), on
 * the engine regex_compile_prog picks, beside what regex_compile (the DFA
 * alone) does with the same set.
 *
 *   build/tools/bench_patterns [TOKENS_FILE]
 *   BENCH_ONLY="dfa sets" build/tools/bench_patterns    (the cases whose name has it)
 *   BENCH_IOC_OUT=/tmp/ioc.pats BENCH_ONLY=x build/tools/bench_patterns  (writes the 10,000
 *     indicator EREs, one a line, for tools/bench-pset.sh E=1: head -1000 for the 1,000)
 *
 * Literals come from real data: the distinct tokens (letters, digits,
 * '.', '_', '-': words, identifiers, versions, IPs) of TOKENS_FILE, by
 * default of the C headers (/usr/include and its subfolders, one level) concatenated; the
 * 20-40-byte literals are slices of those files' lines. Each case runs in
 * a child process, so its peak RSS (ru_maxrss, less the child's before
 * compiling) is the compile's own. Prints one row per case: patterns,
 * engine, states or positions, table bytes, CPU ms, peak MiB, and the
 * DFA's result for the same set.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "regex.h"
#include "tokens.h"

struct bcase {
	const char *name;
	char **pats;
	size_t n;
	bool fixed, per_pattern;
	bool sets_dfa; /* per_pattern on a DFA with accept sets where one holds them (regex_pdfa.c) */
};

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long maxrss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;
}

/* What the DFA alone does: its time, or its refusal. */
static void bench_dfa(const struct bcase *c, const size_t *lens, char *out, size_t len)
{
	struct regex_opts o = {.fixed = c->fixed};
	struct regex_dfa d;
	char err[256];
	double t0 = cpu_ms();
	int ret = regex_compile((const char *const *)c->pats, lens, c->n, &o, &d, err, sizeof(err));
	double ms = cpu_ms() - t0;

	if (ret)
		snprintf(out, len, "%s in %.0f ms (%.60s)",
			 ret == -E2BIG ? "E2BIG" : strerror(-ret), ms, err);
	else
		snprintf(out, len, "%u states, %.0f ms", d.nstates, ms);
	regex_dfa_free(&d);
}

/*
 * What sparse rows would hold of a DFA with accept sets (issue 26's 3,000+
 * EREs): the (state, class) entries that differ from the start state's
 * row, the one template an unanchored set's states mostly repeat (a byte
 * that advances none of a state's patterns goes where it goes from the
 * line's start).
 */
static uint64_t bench_row_exceptions(const struct regex_ac *a)
{
	uint64_t exc = 0;

	for (uint32_t s = 1; s < a->ndense; s++)
		for (uint32_t k = 0; k < a->nclasses; k++)
			exc += a->dense[(size_t)s * a->nclasses + k] != a->dense[k];
	return exc;
}

static void bench_child(const struct bcase *c)
{
	size_t *lens = malloc((c->n + 1) * sizeof(*lens));
	struct regex_prog_opts o = {
	    .fixed = c->fixed, .per_pattern = c->per_pattern, .sets_dfa = c->sets_dfa};
	struct regex_prog p;
	char err[256], dfa[160];

	if (!lens)
		_exit(1);
	for (size_t i = 0; i < c->n; i++)
		lens[i] = strlen(c->pats[i]);
	long rss0 = maxrss_kb();
	double t0 = cpu_ms();
	int ret =
	    regex_compile_prog((const char *const *)c->pats, lens, c->n, &o, &p, err, sizeof(err));
	double ms = cpu_ms() - t0;
	long rss = maxrss_kb() - rss0;
	if (ret) {
		printf("%-28s %7zu  error %d: %s\n", c->name, c->n, ret, err);
		fflush(stdout);
		_exit(1);
	}
	uint32_t size = p.engine == REGEX_ENGINE_AC	 ? p.ac.nstates
			: p.engine == REGEX_ENGINE_SHIFT ? p.shift.npos
							 : p.dfa.nstates;
	uint32_t engine = p.engine;
	if (c->sets_dfa && p.sets_dfa)
		snprintf(dfa, sizeof(dfa),
			 "the DFA with accept sets: %u classes, %u accept sets, %.1f entries a "
			 "row differ from the start's",
			 p.ac.nclasses, p.sets.n,
			 (double)bench_row_exceptions(&p.ac) / (p.ac.nstates ? p.ac.nstates : 1));
	else if (c->sets_dfa)
		snprintf(dfa, sizeof(dfa), "no DFA with accept sets: %.100s", p.sets_dfa_why);
	double mib = (double)p.bytes / (1 << 20);
	regex_prog_free(&p);
	if (c->sets_dfa)
		; /* dfa says which engine and why */
	else if (c->n <= REGEX_PATTERNS_MAX)
		bench_dfa(c, lens, dfa, sizeof(dfa));
	else
		snprintf(dfa, sizeof(dfa), "over REGEX_PATTERNS_MAX");
	printf("%-28s %7zu  %-12s %9u %10.1f %8.1f %8.1f  %s\n", c->name, c->n,
	       regex_engine_name(engine), size, mib, ms, rss / 1024.0, dfa);
	fflush(stdout);
	_exit(0);
}

static void bench_run(const struct bcase *c)
{
	fflush(stdout); /* or the child prints the parent's buffer again */
	pid_t pid = fork();
	int st;

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (!pid)
		bench_child(c);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		fprintf(stderr, "bench_patterns: %s failed\n", c->name);
}

int main(int argc, char **argv)
{
	const char *cmd = TOKENS_HEADERS_CMD;
	char popen_cmd[512];
	size_t n = 0, ntok = 0;
	static char *tok[2000000], *slices[3000], *bytes[10000];

	if (argc > 1) {
		snprintf(popen_cmd, sizeof(popen_cmd), "cat '%s'", argv[1]);
		cmd = popen_cmd;
	}
	char *data = tokens_load(cmd, 256 << 20, &n);
	if (!data) {
		perror("bench_patterns");
		return 1;
	}
	if (tokens_split((const uint8_t *)data, n, &(size_t){0}, tok, &ntok,
			 sizeof(tok) / sizeof(*tok), 1, 64))
		return 1;
	size_t m = tokens_dedup(tok, ntok);
	/* a spread, not the alphabet's first: every k-th distinct token */
	static char *tok10k[10000], *tok100k[100000];
	for (size_t i = 0; i < 100000 && m; i++)
		tok100k[i] = tok[i * m / 100000];
	for (size_t i = 0; i < 10000 && m; i++)
		tok10k[i] = tok[i * m / 10000];
	/* 3,000 slices of 20-40 bytes of the data's lines; 10,000 literals of every byte value */
	size_t ns = 0;
	for (size_t i = 0, k = 0; i + 64 < n && ns < 3000; k++) {
		char *nl = memchr(data + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - data) : n, len = 20 + k % 21;

		if (e - i > len && (slices[ns] = strndup(data + i, len)) &&
		    strlen(slices[ns]) == len)
			ns++;
		i = e + 1;
	}
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < 10000; i++) {
		size_t len = 3 + i % 6;

		bytes[i] = malloc(len + 1);
		if (!bytes[i])
			return 1;
		for (size_t k = 0; k < len; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint8_t b = (uint8_t)(x >> 24);
			bytes[i][k] = (char)(b == '\n' || b == 0 ? 'e' : b);
		}
		bytes[i][len] = 0;
	}
	/* 10,000 EREs, each with a literal of the data, alternatives of varied lengths */
	static char *ere[10000];
	for (size_t i = 0; i < 10000 && m; i++) {
		const char *w = tok[(i * 7919) % m], *v = tok[(i * 104729 + 13) % m];
		char buf[192];

		tokens_ere(buf, sizeof(buf), i, w, v, "^[A-Z]%s: .*[0-9]{1,3}$", w);
		if (!(ere[i] = strdup(buf)))
			return 1;
	}
	/* 10,000 indicator-like EREs: literals of the data with a class or an alternation */
	static char *ioc[10000], *ioc6[1000];
	for (size_t i = 0; i < 10000 && m; i++) {
		const char *w = tok[(i * 7919) % m], *v = tok[(i * 104729 + 13) % m];
		char buf[400];

		tokens_ioc(buf, sizeof(buf), i, 5, w, v);
		if (!(ioc[i] = strdup(buf)))
			return 1;
		if (i >= 1000)
			continue;
		tokens_ioc(buf, sizeof(buf), i, 6, w, v);
		if (!(ioc6[i] = strdup(buf)))
			return 1;
	}
	/* BENCH_IOC_OUT=FILE: the 10,000 indicator EREs into FILE too, for a mount's job */
	const char *iout = getenv("BENCH_IOC_OUT");
	FILE *fo = iout && m ? fopen(iout, "w") : NULL;
	for (size_t i = 0; fo && i < 10000; i++)
		fprintf(fo, "%s\n", ioc[i]);
	if (fo && fclose(fo))
		perror(iout);
	static char *a3000[] = {"a{3000}"}, *dot[] = {".{20000}"}, *abcd[] = {"(ab|cd){3000}"};
	const struct bcase cases[] = {
	    {"10,000 tokens -F", tok10k, m < 10000 ? m : 10000, true, true, false},
	    {"100,000 tokens -F", tok100k, m < 100000 ? m : 100000, true, true, false},
	    {"3,000 slices of 20-40 B -F", slices, ns, true, true, false},
	    {"10,000 all-byte literals -F", bytes, 10000, true, true, false},
	    {"1,000 EREs", ere, m ? 1000 : 0, false, false, false},
	    {"1,000 EREs, per pattern", ere, m ? 1000 : 0, false, true, false},
	    {"300 EREs, dfa sets", ere, m ? 300 : 0, false, true, true},
	    {"1,000 EREs, dfa sets", ere, m ? 1000 : 0, false, true, true},
	    {"1,000 indicator EREs, dfa sets", ioc, m ? 1000 : 0, false, true, true},
	    {"3,000 indicator EREs, dfa sets", ioc, m ? 3000 : 0, false, true, true},
	    {"10,000 indicator EREs, dfa sets", ioc, m ? 10000 : 0, false, true, true},
	    {"1,000 ind. EREs, loops, dfa sets", ioc6, m ? 1000 : 0, false, true, true},
	    {"a{3000}", a3000, 1, false, false, false},
	    {".{20000}", dot, 1, false, false, false},
	    {"(ab|cd){3000}", abcd, 1, false, false, false},
	};
	printf("%zu distinct tokens in %zu bytes of data\n", m, n);
	printf("%-28s %7s  %-12s %9s %10s %8s %8s  %s\n", "set", "pats", "engine", "states",
	       "table MiB", "cpu ms", "peak MiB", "regex_compile (DFA alone)");
	const char *only = getenv("BENCH_ONLY"); /* the cases whose name has it, e.g. "dfa sets" */
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (!only || strstr(cases[i].name, only))
			bench_run(&cases[i]);
	return 0;
}
