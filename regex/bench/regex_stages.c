// SPDX-License-Identifier: MIT
/*
 * regex_stages - what each stage of regex_compile (regex_priv.h) builds for
 * one pattern: AST nodes, NFA states and edges, DFA states before and
 * after minimization, byte classes, steps of REGEX_WORK_MAX spent, CPU
 * time. The numbers of BENCHMARKS.md's "UTF-8 classes" section.
 *
 *   build/regex/regex_stages [-u] [-i] PATTERN...
 *
 * -u: utf8=1 (characters of C.UTF-8), -i: icase=1. Each pattern is one
 * ERE; a failed stage prints its message.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "regex_priv.h"

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int stages(const char *p, bool utf8, bool icase)
{
	char msg[512] = "";
	struct rerr e = {.buf = msg, .len = sizeof(msg)};
	struct rset_tab sets = {0};
	struct rast ast = {0};
	struct rwork work = {.max = REGEX_WORK_MAX};
	struct regex_dfa d = {0};
	struct rnfa m;
	uint32_t root, nast = 0, nfa = 0, nedge = 0, dfa = 0;
	double t0 = cpu_ms();
	int ret;

	rnfa_init(&m, &sets, icase, &e, &work);
	ret = rast_parse_piece(&ast, &sets, (const uint8_t *)p, strlen(p), false, icase, utf8, &e,
			       &root);
	nast = ast.n;
	if (!ret)
		ret = rnfa_add_ast(&m, &ast, root, (const uint8_t *)p, strlen(p));
	nfa = m.nstates;
	nedge = m.ne;
	if (!ret)
		ret = regex_nfa_dfa(&m, &d, &dfa);
	printf("%-24s ast %6u  nfa %6u states %6u edges  dfa %6u -> %6u states, %3u classes  "
	       "%10llu steps  %7.1f ms%s%s\n",
	       p, nast, nfa, nedge, dfa, ret ? 0 : d.nstates, ret ? 0 : d.nclasses,
	       (unsigned long long)work.used, cpu_ms() - t0, ret ? "  " : "", ret ? msg : "");
	regex_dfa_free(&d);
	rnfa_free(&m);
	rast_free(&ast);
	rset_tab_free(&sets);
	return ret;
}

int main(int argc, char **argv)
{
	bool utf8 = false, icase = false;
	int i = 1, bad = 0;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "-u")) {
			utf8 = true;
		} else if (!strcmp(argv[i], "-i")) {
			icase = true;
		} else {
			fprintf(stderr, "usage: regex_stages [-u] [-i] PATTERN...\n");
			return 2;
		}
	}
	/* the first utf8 compile reads C.UTF-8's class tables: not any pattern's cost */
	if (utf8) {
		struct ru8_set warm = {0};
		char msg[256];
		struct rerr e = {.buf = msg, .len = sizeof(msg)};

		if (ru8_class(&warm, "alpha", 5, false, &e))
			fprintf(stderr, "regex_stages: %s\n", msg);
		ru8_free(&warm);
	}
	for (; i < argc; i++)
		bad |= stages(argv[i], utf8, icase) != 0;
	return bad;
}
