// SPDX-License-Identifier: MIT
/*
 * test_regex_sets_ere - test_regex_sets' generated ERE sets: 300 varied
 * EREs (exception edges on the bit-parallel engine, and a DFA with accept
 * sets), and indicator-like EREs on one DFA with accept sets against
 * grep and the bit-parallel engine, 3,000 of them refused at the caps.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "test_regex_sets.h"
#include "tokens.h"

/*
 * 300 EREs from the data's words whose alternatives differ in length:
 * more follow distances than shifts, so exception edges too.
 */
void sets_check_varied_eres(const struct text *tp, char **words)
{
	struct text real = *tp;

	static char *ere[300];
	size_t nwd = 0;

	CHECK(tokens_split(real.p, real.n, &(size_t){0}, words, &nwd, 20000, 3, 12) == 0,
	      "strndup");
	nwd = tokens_dedup(words, nwd);
	CHECK(nwd > 50, "%zu words", nwd);
	for (size_t i = 0; i < 300; i++) {
		const char *w = words[(i * 7919) % nwd],
			   *v = words[(i * 104729 + 13) % nwd];
		char buf[128];

		tokens_ere(buf, sizeof(buf), i, w, v, "[A-Z]%s: [0-9]{1,3}", w + 1);
		ere[i] = strdup(buf);
		CHECK(ere[i], "strdup");
	}
	for (size_t i = 0; i < nwd; i++)
		free(words[i]);
	struct set c = {
	    NULL, "300 varied EREs", (const char *const *)ere, 300, false, false,
	    true, REGEX_ENGINE_SHIFT, false};
	check_set(&c, &real, true);
	/* the same on a DFA with accept sets, where one holds them */
	struct set cd = c;
	cd.name = "300 varied EREs, dfa sets";
	cd.engine = 0;
	cd.sets_dfa = true;
	check_set(&cd, &real, false);
	struct regex_prog p;
	size_t lens3[300];
	for (size_t i = 0; i < 300; i++)
		lens3[i] = strlen(ere[i]);
	compile(&c, lens3, &p);
	printf("300 varied EREs: %u positions, %u shifts, %u exception edges\n",
	       p.shift.npos, p.shift.ndist, p.shift.nexc);
	CHECK(p.shift.nexc > 0, "no exception edges: the set does not test them");
	regex_prog_free(&p);
	for (size_t i = 0; i < 300; i++)
		free(ere[i]);
}

/*
 * 1,000 indicator-like EREs (tokens_ioc) on one DFA with accept sets
 * (regex_pdfa.c's sparse product): 20 patterns and the whole set
 * against grep (a grep a pattern is ~40 ms here), and every pattern's
 * count and every line's first pattern against the bit-parallel
 * engine, which shares no code with the product.
 */
void sets_check_ioc_eres(const struct text *tp, char **words)
{
	struct text real = *tp;

	static char *ioc[3000];
	size_t nwd = 0, lens[3000];

	CHECK(tokens_split(real.p, real.n, &(size_t){0}, words, &nwd, 20000, 3, 12) == 0,
	      "strndup");
	nwd = tokens_dedup(words, nwd);
	for (size_t i = 0; i < 3000; i++) {
		char buf[400];

		tokens_ioc(buf, sizeof(buf), i, 5, words[(i * 7919) % nwd],
			   words[(i * 104729 + 13) % nwd]);
		ioc[i] = strdup(buf);
		CHECK(ioc[i], "strdup");
		lens[i] = strlen(ioc[i]);
	}
	for (size_t i = 0; i < nwd; i++)
		free(words[i]);
	struct set c = {NULL, "1,000 indicator EREs, dfa sets", (const char *const *)ioc,
			1000, false, false, true, REGEX_ENGINE_AC, true};
	check_set(&c, &real, false);
	check_sets_as_shift(&c, lens, &real);
	struct regex_prog pd;
	/*
	 * 3,000 of them: the product passes its caps, a refusal naming
	 * them (on Shift-And, or in the error where that refuses too)
	 */
	struct regex_prog_opts o3 = {.per_pattern = true, .sets_dfa = true};
	char err3[512];
	int r3 = regex_compile_prog((const char *const *)ioc, lens, 3000, &o3, &pd, err3,
				    sizeof(err3));
	const char *why = r3 ? err3 : pd.sets_dfa_why;
	CHECK(r3 == 0 || r3 == -E2BIG, "3,000 indicator EREs: %d %s", r3, err3);
	if (!r3 && pd.sets_dfa) {
		/*
		 * The tokens come from this machine's files: on other
		 * inputs (the GPU machine's) 3,000 can fit the caps.
		 * Then the product's answers are checked instead.
		 */
		regex_prog_free(&pd);
		c.n = 3000;
		check_sets_as_shift(&c, lens, &real);
	} else {
		CHECK(strstr(why, "REGEX_TABLE_MAX") && strstr(why, "REGEX_STATES_MAX"),
		      "3,000 indicator EREs: the refusal names no cap: %s", why);
		printf("3,000 indicator EREs: %s\n", why);
		if (!r3)
			regex_prog_free(&pd);
	}
	for (size_t i = 0; i < 3000; i++)
		free(ioc[i]);
}
