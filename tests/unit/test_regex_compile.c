// SPDX-License-Identifier: MIT
/*
 * test_regex_compile - regex_compile against GNU grep, the reference.
 *
 * 1. Refusals: each syntax error is -EINVAL with a message naming the
 *    position and a fix; blow-ups and oversized sets are -E2BIG.
 * 2. Compile times of 10,000 fixed words (printed: patterns, states, ms).
 * 3. Bombs: patterns whose NFA or determinization explodes (issue 21)
 *    compile to the DFA of their bomb-free equivalent, or fail -E2BIG or
 *    -ETIMEDOUT with a message naming the fix, each within seconds.
 * 4. Hints: a refused range's suggested fix is itself accepted, by us
 *    and by grep, and means what grep says it means.
 * 5. Differential (regex_diff.c): random patterns over 8 random texts,
 *    the DFA simulator's (dfa_sim.c) matching lines against exactly those
 *    `LC_ALL=C grep -a -n` prints. REGEX_SEED=N replays a run,
 *    REGEX_DIFF_N=N sets the number of pattern sets (default 3000).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dfa_sim.h"
#include "grep_ref.h"
#include "regex.h"
#include "regex_diff.h"
#include "regex_test.h"

static char tmpdir[] = "/tmp/test_regex_XXXXXX";

static void rm_tmpdir(void)
{
	test_rmtree(tmpdir);
}

/* ---- 1. refusals ---- */

struct err_case {
	const char *pat;
	bool icase;
	int err;
	const char *want; /* substrings of the message, '|'-separated */
};

static const struct err_case err_cases[] = {
    {"ab)", false, EINVAL, "at 3:|unbalanced ')'|escape it as \\)"},
    {"(ab", false, EINVAL, "at 1:|unbalanced '('|add a ')'"},
    {"x((a)", false, EINVAL, "at 2:|unbalanced '('"},
    {"[z-a]", false, EINVAL, "at 3:|invalid range end|write a-z"},
    {"[Z-a]", true, EINVAL, "at 3:|invalid range end|checked upper-cased|write Z-`a,"},
    {"[z-a]", true, EINVAL, "at 3:|invalid range end|write a-z)"},
    {"[C-b]", true, EINVAL, "at 3:|write C-`a-b,"},
    {"[a-c-e]", false, EINVAL, "at 5:|'-'|first or last"},
    {"[[:alpha:]-z]", false, EINVAL, "invalid range end"},
    {"[a-[:digit:]]", false, EINVAL, "a class cannot end a range"},
    {"a{3,1}", false, EINVAL, "at 2:|minimum exceeds the maximum|{1,3}"},
    {"a{1,2,3}", false, EINVAL, "at 2:|invalid repetition count|{m,n}"},
    {"a{}", false, EINVAL, "at 2:|empty repetition|\\{"},
    {"a{32768}", false, EINVAL, "at 2:|over 32767"},
    {"a{1,99999}", false, EINVAL, "over 32767"},
    {"[[:foo:]]", false, EINVAL, "at 2:|unknown character class [:foo:]|alpha"},
    {"[[:alpha:]", false, EINVAL, "at 1:|unterminated '['|add a ']'"},
    {"ab[cd", false, EINVAL, "at 3:|unterminated '['"},
    {"[]", false, EINVAL, "unterminated '['"},
    {"[:alpha:]", false, EINVAL, "at 1:|[[:space:]]|outer brackets"},
    {"[[.ab.]]", false, EINVAL, "at 2:|collating element"},
    {"ab\\", false, EINVAL, "at 3:|trailing backslash|\\\\"},
    {"(a)\\1", false, EINVAL, "at 4:|back-references|not supported by a DFA"},
    {"\\9", false, EINVAL, "back-references"},
    {"\\bword", false, EINVAL, "at 1:|\\b|not supported"},
    {"a\\B", false, EINVAL, "\\B|not supported"},
    {"\\<a", false, EINVAL, "\\<|not supported"},
    {"a\\>", false, EINVAL, "\\>|not supported"},
    {"\\`a", false, EINVAL, "\\`|not supported"},
    {"a\\'", false, EINVAL, "\\'|not supported"},
    {"(*)", false, EINVAL, "at 2:|repeats nothing|\\*"},
    {"(a|+)", false, EINVAL, "repeats nothing"},
    /* regcomp reads the ')' after "*" as a literal, closed by the last ')'; dfa.c finds it
       unmatched */
    {"(*)x)", false, EINVAL, "at 5:|unbalanced ')'"},
    {"(^{)x)", false, EINVAL, "at 6:|unbalanced ')'"},
    {"(^{)", false, EINVAL, "at 3:|'{' repeats nothing before ')'"},
};

static void check_message(const char *err, const char *want, const char *pat)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", want);
	for (char *tok = strtok(buf, "|"); tok; tok = strtok(NULL, "|"))
		CHECK(strstr(err, tok), "pattern '%s': message '%s' lacks '%s'", pat, err, tok);
	size_t l = strlen(err);
	CHECK(l > 0 && err[l - 1] != '\n', "pattern '%s': message ends badly", pat);
}

static void test_errors(void)
{
	char err[256];

	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		const char *pats[1] = {c->pat};
		size_t lens[1] = {strlen(c->pat)};
		struct regex_opts o = {.icase = c->icase};
		struct regex_dfa d;
		int ret = regex_compile(pats, lens, 1, &o, &d, err, sizeof(err));

		CHECK(ret == -c->err, "pattern '%s': %d, want %d (%s)", c->pat, ret, -c->err, err);
		CHECK(!d.next && !d.accept && !d.sink, "pattern '%s': output not cleared", c->pat);
		check_message(err, c->want, c->pat);
	}

	/* with several patterns the message names the pattern */
	const char *pats[3] = {"a", "b", "c(d"};
	size_t lens[3] = {1, 1, 3};
	struct regex_dfa d;
	int ret = regex_compile(pats, lens, 3, NULL, &d, err, sizeof(err));
	CHECK(ret == -EINVAL, "set: %d", ret);
	check_message(err, "pattern 3 at 2:|unbalanced '('", "set");
	printf("errors: %zu refusals, e.g. \"%s\"\n", sizeof(err_cases) / sizeof(err_cases[0]) + 1,
	       err);
}

/* The API's corners: no patterns, a '\n' inside a pattern, no err buffer, no opts. */
static void test_api(void)
{
	static const uint8_t text[] = "x\ny\nxy\nz\n\nab";
	struct regex_dfa d;
	uint64_t lines;
	int ret;

	ret = regex_compile(NULL, NULL, 0, NULL, &d, NULL, 0);
	CHECK(ret == 0, "no patterns: %d", ret);
	dfa_check_shape(&d);
	CHECK(dfa_run(&d, text, sizeof(text) - 1, false, NULL, 0, &lines) == 0 && lines == 6,
	      "no patterns match no line");
	regex_dfa_free(&d);
	CHECK(!d.next && !d.accept && !d.sink && !d.nstates, "free zeroes");

	const char *two[1] = {"^x$\nz"};
	size_t len[1] = {strlen(two[0])};
	ret = regex_compile(two, len, 1, NULL, &d, NULL, 0);
	CHECK(ret == 0, "newline-separated: %d", ret);
	dfa_check_shape(&d);
	CHECK(dfa_run(&d, text, sizeof(text) - 1, false, NULL, 0, &lines) == 2,
	      "^x$ or z: 2 lines");
	regex_dfa_free(&d);

	const char *bad[1] = {"a("};
	len[0] = 2;
	ret = regex_compile(bad, len, 1, NULL, &d, NULL, 0);
	CHECK(ret == -EINVAL && !d.next, "no err buffer: %d", ret);
	char small[8];
	ret = regex_compile(bad, len, 1, NULL, &d, small, sizeof(small));
	CHECK(ret == -EINVAL && strlen(small) == sizeof(small) - 1, "short err buffer: '%s'",
	      small);
	printf("api: no patterns, '\\n'-separated patterns, NULL and short err buffers ok\n");
}

/* ---- 2. caps and compile times ---- */

static int compile1(const char *p, bool icase, struct regex_dfa *d, char *err)
{
	const char *pats[1] = {p};
	size_t lens[1] = {strlen(p)};
	struct regex_opts o = {.icase = icase};

	return regex_compile(pats, lens, 1, &o, d, err, 256);
}

/* English-like words, since the machine has no /usr/share/dict. */
static size_t make_word(char *w)
{
	static const char *on[] = {"b",	 "c",  "d",  "f",  "g",	 "h",  "l", "m",
				   "n",	 "p",  "r",  "s",  "t",	 "v",  "w", "st",
				   "tr", "ch", "sh", "pl", "gr", "br", ""};
	static const char *nu[] = {"a", "e", "i", "o", "u", "ea", "ou", "io", "y"};
	static const char *co[] = {"", "n", "r", "s", "t", "l", "nd", "st", "ng", "ck", "m"};
	size_t n = 0;
	int syl = 1 + rnd(3);

	for (int k = 0; k < syl || n < 4; k++)
		n += sprintf(w + n, "%s%s%s", on[rnd(k ? 23 : 22)], nu[rnd(9)], co[rnd(11)]);
	if (rnd(4) == 0)
		n += sprintf(w + n, "%s", (const char *[]){"s", "ed", "ing", "er"}[rnd(4)]);
	return n;
}

static void time_set(const char *what, char **words, size_t *lens, size_t n, bool fixed, bool icase)
{
	struct regex_opts o = {.fixed = fixed, .icase = icase};
	struct regex_dfa d;
	char err[256];
	double t0 = now_ms(), c0 = cpu_ms();
	int ret = regex_compile((const char *const *)words, lens, n, &o, &d, err, sizeof(err));
	double ms = now_ms() - t0, cpu = cpu_ms() - c0;

	CHECK(ret == 0, "%s: %d %s", what, ret, err);
	dfa_check_shape(&d);
	printf("compile: %-28s %5zu patterns %6u states %3u classes %7.1f ms (%.1f ms CPU)\n", what,
	       n, d.nstates, d.nclasses, ms, cpu);
	CHECK(cpu < COMPILE_MS_MAX, "%s took %.0f ms of CPU", what, cpu);
	regex_dfa_free(&d);
}

static void test_caps(void)
{
	struct regex_dfa d;
	char err[256];
	int ret;

	ret = compile1("(a|b)*a(a|b){20}", false, &d, err);
	CHECK(ret == -E2BIG, "(a|b)*a(a|b){20}: %d", ret);
	check_message(err, "more than 65536 states|simpler pattern", "blow-up");
	ret = compile1("x{32767}y{32767}", false, &d, err);
	CHECK(ret == -E2BIG, "x{32767}y{32767}: %d (%s)", ret, err);
	check_message(err, "simpler pattern", "x{32767}y{32767}");
	ret = compile1("((a{1000}){1000}){1000}", false, &d, err);
	CHECK(ret == -E2BIG, "nested counts: %d", ret);
	check_message(err, "at 1:|((a{1000}){1000}){1000} needs more than|NFA states|try smaller",
		      "nested counts");
	/* a{1000} counts 0..999 and then has matched: 1001 states */
	/* the 13th byte from the end is an 'a': a DFA needs 2^13 states to remember */
	double t0 = now_ms();
	ret = compile1("(a|b)*a(a|b){12}$", false, &d, err);
	CHECK(ret == 0, "(a|b)*a(a|b){12}$: %d %s", ret, err);
	printf("compile: %-28s %5d patterns %6u states %3u classes %7.1f ms\n", "(a|b)*a(a|b){12}$",
	       1, d.nstates, d.nclasses, now_ms() - t0);
	CHECK(d.nstates >= 8192, "states %u", d.nstates);
	dfa_check_shape(&d);
	regex_dfa_free(&d);
	/* one NFA copy per x+, not two: 40 nested '+' must not double 40 times */
	t0 = now_ms();
	ret = compile1("((x+y)+++++++++++++++++++++++++++++++++++++++z)+", false, &d, err);
	CHECK(ret == 0 && now_ms() - t0 < COMPILE_MS_MAX, "nested +: %d %s", ret, err);
	regex_dfa_free(&d);
	ret = compile1("a{1000}", false, &d, err);
	CHECK(ret == 0 && d.nstates == 1001, "a{1000}: %d, %u states", ret, d.nstates);
	regex_dfa_free(&d);

	/* sets: 10,000 words; too many patterns; too many random literals */
	size_t n = 10000;
	char **w = malloc((n + 1) * sizeof(*w));
	size_t *l = malloc((n + 1) * sizeof(*l));
	for (size_t i = 0; i <= n; i++) {
		w[i] = malloc(64);
		l[i] = make_word(w[i]);
	}
	time_set("10000 words -F", w, l, n, true, false);
	time_set("10000 words -F -i", w, l, n, true, true);
	time_set("10000 words -E", w, l, n, false, false);
	for (size_t i = 0; i < n; i++) { /* the trie's worst case: no shared suffixes */
		l[i] = 8;
		for (int k = 0; k < 8; k++)
			w[i][k] = (char)('a' + rnd(26));
	}
	time_set("10000 random 8-letter -F", w, l, n, true, false);
	ret = regex_compile((const char *const *)w, l, n + 1, &(struct regex_opts){.fixed = true},
			    &d, err, sizeof(err));
	CHECK(ret == -E2BIG, "10001 patterns: %d", ret);
	check_message(err, "10001 patterns|fewer patterns", "10001");
	for (size_t i = 0; i < n; i++) {
		l[i] = 24;
		for (int k = 0; k < 24; k++)
			w[i][k] = (char)(0x21 + rnd(90));
	}
	ret = regex_compile((const char *const *)w, l, n, &(struct regex_opts){.fixed = true}, &d,
			    err, sizeof(err));
	CHECK(ret == -E2BIG, "10000 random 24-byte literals: %d", ret);
	check_message(err, "simpler pattern or fewer patterns", "random literals");
	printf("caps: -E2BIG as expected (%s)\n", err);
	for (size_t i = 0; i <= n; i++)
		free(w[i]);
	free(w);
	free(l);
}

/* ---- 3. bombs (issue 21) ---- */

/* A bomb's bound, CPU time: loose, so a machine at a load of 8 (or a sanitizer) passes. */
#define BOMB_MS_MAX (5 * COMPILE_MS_MAX)

static const struct bomb {
	const char *pat;
	const char *plain; /* 0: compiles to the DFA of plain */
	int err;	   /* else fails with -err, the message holding `want` */
	const char *want;
} bombs[] = {
    /* took 10-24 s, 143 s and ~10 min: now nothing is built for the empty part */
    {"((|){1000}){1000}a[ab]{9}$", "a[ab]{9}$", 0, NULL},
    {"((|){1000}){1000}a[ab]{12}$", "a[ab]{12}$", 0, NULL},
    {"((|){1000}){1000}a[ab]{14}$", "a[ab]{14}$", 0, NULL},
    {"(a|b)*a((|){1000}){1000}[ab]{8}$", "(a|b)*a[ab]{8}$", 0, NULL},
    /* 200,000 states of '^' edges the parser keeps, walked once, not per transition */
    {"((^|){100}){1000}a[ab]{12}$", "a[ab]{12}$", 0, NULL},
    /* 10^12 empty copies: not one is made */
    {"((((){1000}){1000}){1000}){1000}x(y{0}){32767}", "x", 0, NULL},
    /* '^', '$' or a byte in the loop: not empty, so every copy counts */
    {"((^|){1000}){1000}a[ab]{12}$", NULL, E2BIG,
     "at 1:|((^|){1000}){1000} needs more than 262144 NFA states|try smaller"},
    {"a(($|){1000}){1000}", NULL, E2BIG, "at 2:|(($|){1000}){1000} needs more than|try"},
    {"((x?|){1000}){1000}a[ab]{14}$", NULL, E2BIG, "at 1:|((x?|){1000}){1000}|try"},
    /* within every cap, but 300-state sets walked for every transition */
    {"(x.*(.?){300}(d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t|u|v|w|x|y|z)Y|a[ab]{11}$)", NULL, ETIMEDOUT,
     "REGEX_WORK_MAX|try a simpler pattern"},
};

static bool dfa_equal(const struct regex_dfa *a, const struct regex_dfa *b)
{
	size_t cells = (size_t)a->nstates * a->nclasses;

	return a->nstates == b->nstates && a->nclasses == b->nclasses &&
	       !memcmp(a->classes, b->classes, sizeof(a->classes)) &&
	       !memcmp(a->next, b->next, cells * sizeof(*a->next)) &&
	       !memcmp(a->accept, b->accept, a->nstates) && !memcmp(a->sink, b->sink, a->nstates);
}

static void test_bombs(void)
{
	char err[256], err2[256], big[4097], last[256] = "";
	struct regex_dfa d, plain;
	int ret;

	for (size_t i = 0; i < sizeof(bombs) / sizeof(bombs[0]); i++) {
		const struct bomb *b = &bombs[i];
		double t0 = now_ms(), c0 = cpu_ms();

		ret = compile1(b->pat, false, &d, err);
		double ms = now_ms() - t0, cpu = cpu_ms() - c0;
		printf("bomb: %-40.40s %-10s %7.1f ms (%.1f ms CPU)\n", b->pat,
		       ret == 0		   ? "compiles"
		       : ret == -E2BIG	   ? "-E2BIG"
		       : ret == -ETIMEDOUT ? "-ETIMEDOUT"
					   : "?",
		       ms, cpu);
		CHECK(cpu < BOMB_MS_MAX, "%s took %.0f ms of CPU", b->pat, cpu);
		if (b->plain) {
			CHECK(ret == 0, "%s: %d (%s)", b->pat, ret, err);
			dfa_check_shape(&d);
			CHECK(compile1(b->plain, false, &plain, err) == 0, "%s: %s", b->plain, err);
			CHECK(dfa_equal(&d, &plain), "%s: not the DFA of %s (%u and %u states)",
			      b->pat, b->plain, d.nstates, plain.nstates);
			regex_dfa_free(&plain);
			regex_dfa_free(&d);
			continue;
		}
		CHECK(ret == -b->err, "%s: %d, want %d (%s)", b->pat, ret, -b->err, err);
		CHECK(!d.next && !d.accept && !d.sink, "%s: output not cleared", b->pat);
		check_message(err, b->want, b->pat);
		/* the budget counts steps, not time: the same answer every run */
		ret = compile1(b->pat, false, &d, err2);
		CHECK(ret == -b->err && !strcmp(err, err2), "%s: '%s' then '%s'", b->pat, err,
		      err2);
		snprintf(last, sizeof(last), "%s", err);
	}
	/* 4 KiB of "a{{{{": each '{' opens no interval, read once (was quadratic) */
	memset(big, '{', sizeof(big) - 1);
	big[0] = 'a';
	big[sizeof(big) - 1] = 0;
	double c0 = cpu_ms();
	ret = compile1(big, false, &d, err);
	CHECK(ret == 0 && cpu_ms() - c0 < BOMB_MS_MAX, "a{{{...: %d (%s), %.0f ms", ret, err,
	      cpu_ms() - c0);
	regex_dfa_free(&d);
	printf("bombs: %zu patterns bounded, e.g. \"%s\"\n", sizeof(bombs) / sizeof(bombs[0]),
	       last);
}

/* ---- 4. hints ---- */

/* The other case of an ASCII letter, else c. */
static uint8_t other_case(uint8_t c)
{
	if (c >= 'a' && c <= 'z')
		return c - 32;
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	return c;
}

/*
 * A refused range's "(write FIX...)": the pattern with FIX in its place
 * must compile, grep must take it too, and both must select exactly the
 * bytes lo..hi (each with its other case under -i), read from the
 * refused range: the fix is the same bytes, not merely valid.
 */
static void test_hints(void)
{
	static const struct {
		const char *pat;
		bool icase;
	} cases[] = {
	    {"[z-a]", false}, {"[Z-A]", false}, {"[z-a]", true},  {"[Z-a]", true}, {"[B-a]", true},
	    {"[_-b]", true},  {"[`-a]", true},	{"x[Z-c]", true}, {"[z-A]", true},
	};
	uint8_t bytes[768];
	char bpath[64], ppath[64];
	struct gout o = {0};

	snprintf(bpath, sizeof(bpath), "%s/bytes", tmpdir);
	snprintf(ppath, sizeof(ppath), "%s/hint", tmpdir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *pat = cases[i].pat;
		bool icase = cases[i].icase;
		struct regex_dfa d;
		char err[256], fixed[64];
		int ret = compile1(pat, icase, &d, err);

		CHECK(ret == -EINVAL, "%s: %d", pat, ret);
		const char *at = strstr(err, "at "), *w = strstr(err, "(write ");
		CHECK(at && w, "%s: '%s' has no position or no fix", pat, err);
		size_t dash = strtoul(at + 3, NULL, 10) - 1; /* the range's '-' */
		size_t flen = strcspn(w + 7, ",)");
		uint8_t lo = (uint8_t)pat[dash - 1], hi = (uint8_t)pat[dash + 1];
		snprintf(fixed, sizeof(fixed), "%.*s%.*s%s", (int)(dash - 1), pat, (int)flen, w + 7,
			 pat + dash + 2);
		ret = compile1(fixed, icase, &d, err);
		CHECK(ret == 0, "%s%s: the fix %s is refused: %s", pat, icase ? " -i" : "", fixed,
		      err);
		/* one line per byte but '\n', after what comes before the bracket ("x") */
		size_t nb = 0, pre = (size_t)(strchr(pat, '[') - pat);
		uint8_t a = lo < hi ? lo : hi, b = lo < hi ? hi : lo; /* swapped back if reversed */
		uint64_t lines, want = 0, got = 0;
		for (int c = 0; c < 256; c++) {
			if (c == '\n')
				continue;
			bool in = (c >= a && c <= b) || (icase && other_case((uint8_t)c) >= a &&
							 other_case((uint8_t)c) <= b);
			uint8_t *line = bytes + nb;
			memcpy(line, pat, pre);
			line[pre] = (uint8_t)c;
			line[pre + 1] = '\n';
			nb += pre + 2;
			uint64_t m = dfa_run(&d, line, pre + 2, false, NULL, 0, &lines);
			CHECK(m == in, "%s%s: fix %s on byte %d: %" PRIu64 ", want %d", pat,
			      icase ? " -i" : "", fixed, c, m, in);
			want += in;
		}
		grep_ref_write(bpath, bytes, nb);
		got = dfa_run(&d, bytes, nb, false, NULL, 0, &lines);
		grep_ref_write(ppath, fixed, strlen(fixed));
		char *argv[] = {"grep", "-a",  "-c",  "-E", icase ? "-i" : "-E",
				"-f",	ppath, bpath, NULL};
		CHECK(grep_ref_run(argv, &o) <= 1, "grep refuses the fix %s", fixed);
		CHECK(strtoul(o.p, NULL, 10) == got && got == want,
		      "%s: fix %s: grep %s lines, ours %" PRIu64 ", want %" PRIu64, pat, fixed, o.p,
		      got, want);
		/* and grep refuses the original, as we do */
		grep_ref_write(ppath, pat, strlen(pat));
		CHECK(grep_ref_run(argv, &o) == 2, "grep takes %s%s", pat, icase ? " -i" : "");
		printf("hint: %-7s%s -> %s\n", pat, icase ? " -i" : "   ", fixed);
		regex_dfa_free(&d);
	}
	free(o.p);
}

int main(void)
{
	const char *s = getenv("REGEX_SEED"), *n = getenv("REGEX_DIFF_N");
	uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;
	unsigned npat = n ? (unsigned)strtoul(n, NULL, 0) : 3000;

	if (!seed)
		seed = 1;
	rng_state = seed;
	printf("seed %" PRIu64 " (REGEX_SEED=%" PRIu64 " replays it)\n", seed, seed);
	if (access("/usr/bin/grep", X_OK) && access("/bin/grep", X_OK)) {
		printf("no grep to compare with\n");
		return T_EXIT_SKIP;
	}
	CHECK(mkdtemp(tmpdir), "mkdtemp");
	atexit(rm_tmpdir);
	check_on_fail(rm_tmpdir); /* a failed CHECK runs no atexit handler */
	test_errors();
	test_api();
	test_caps();
	test_bombs();
	test_hints();
	regex_diff_run(tmpdir, seed, npat);
	return 0;
}
