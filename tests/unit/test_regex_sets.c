// SPDX-License-Identifier: MIT
/*
 * test_regex_sets - regex_compile_prog's tables, walked on real files,
 * against GNU grep (LC_ALL=C grep -a), pattern by pattern.
 *
 A small walker per engine (regex_walk.c) follows regex.h's description
 * of the tables and gives, per pattern, the lines it selects (a line
 * counts once per pattern) and, per line, the first pattern that selects
 * it. The walker checks the compiler, not a shader. References:
 *  - per pattern P: `grep -c -a -F|-E [-i] -f FILE_HOLDING_P`, the count;
 *  - per line: the smallest P whose `grep -n` lists the line.
 * Sets: duplicates, prefixes of each other, the empty pattern, case
 * folding, overlapping matches on one line (fixed and ERE); EREs a DFA
 * cannot hold (a{3000}, .{20000}, (ab|cd){3000}), which must run on the
 * second engine; 10,000 literals of all byte values and 3,000 of 20-40
 * bytes from the data (the whole set line by line against grep -f, 20
 * patterns one by one); and 100,000 literals from the data, compiled
 * within COMPILE_MS_MAX of CPU.
 * Inputs: /usr/share/common-licenses and /var/log files that exist; none
 * readable: skip (77).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "grep_ref.h"
#include "regex.h"
#include "regex_test.h"
#include "regex_walk.h"
#include "test_regex_sets.h"
#include "tokens.h"

static const char *const inputs[] = {
    "/usr/share/common-licenses/GPL-3",	   "/usr/share/common-licenses/Apache-2.0",
    "/usr/share/common-licenses/Artistic", "/var/log/dpkg.log",
    "/var/log/alternatives.log",
};

static char tmpdir[] = "/tmp/test_regex_sets_XXXXXX";

static void rm_tmpdir(void)
{
	test_rmtree(tmpdir);
}

static void text_index(struct text *t, const char *name)
{
	snprintf(t->path, sizeof(t->path), "%s/%s", tmpdir, name);
	grep_ref_write(t->path, t->p, t->n);
	t->nlines = 0;
	for (size_t i = 0; i < t->n; i++)
		t->nlines += t->p[i] == '\n';
	if (t->n && t->p[t->n - 1] != '\n')
		t->nlines++;
	t->start = malloc(((size_t)t->nlines + 1) * sizeof(*t->start));
	CHECK(t->start, "malloc");
	uint32_t l = 0;
	t->start[0] = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i] == '\n')
			t->start[++l] = i + 1;
	if (l < t->nlines)
		t->start[++l] = t->n + 1; /* a last line without '\n' */
}

/*
 * grep -n with the patterns in pats[0..n) (one file, one a line): the
 * selected lines' numbers, from 0, marked in hit[]; returns their count.
 */
static uint32_t grep_lines(const struct text *t, const char *const *pats, const size_t *lens,
			   size_t n, bool fixed, bool icase, uint8_t *hit)
{
	static struct gout o;
	char pf[128];
	char *argv[10];
	int argc = 0;
	FILE *f;

	snprintf(pf, sizeof(pf), "%s/pats", tmpdir);
	f = fopen(pf, "wb");
	CHECK(f, "fopen %s", pf);
	for (size_t i = 0; i < n; i++) {
		CHECK(fwrite(pats[i], 1, lens[i], f) == lens[i], "fwrite");
		CHECK(fputc('\n', f) == '\n', "fputc");
	}
	CHECK(fclose(f) == 0, "fclose");
	argv[argc++] = "grep";
	argv[argc++] = "-a";
	argv[argc++] = "-n";
	argv[argc++] = fixed ? "-F" : "-E";
	if (icase)
		argv[argc++] = "-i";
	argv[argc++] = "-f";
	argv[argc++] = pf;
	argv[argc++] = (char *)t->path;
	argv[argc] = NULL;
	int st = grep_ref_run(argv, &o);
	CHECK(st == 0 || st == 1, "grep exit %d on pattern set of %zu", st, n);
	memset(hit, 0, t->nlines);
	uint32_t cnt = 0;
	for (char *q = o.p; q < o.p + o.n;) {
		char *end;
		unsigned long l = strtoul(q, &end, 10);

		CHECK(end > q && *end == ':' && l >= 1 && l <= t->nlines, "grep -n output");
		hit[l - 1] = 1;
		cnt++;
		q = memchr(end, '\n', (size_t)(o.p + o.n - end));
		CHECK(q, "grep -n line without newline");
		q++;
	}
	return cnt;
}

/* ---- the checks ---- */

/*
 * A reference other than grep, for .{20000}: GNU grep 3.8 takes 47 s and
 * 3 GB of memory to count it on a 3-line file (2026-12-06, this VM), so
 * its lines are those of 20,000 bytes or more, counted here.
 */

static uint32_t ref_20000(const struct text *t, uint8_t *hit)
{
	uint32_t n = 0;

	for (uint32_t l = 0; l < t->nlines; l++) {
		hit[l] = t->start[l + 1] - 1 - t->start[l] >= 20000;
		n += hit[l];
	}
	return n;
}


void compile(const struct set *c, const size_t *lens, struct regex_prog *p)
{
	struct regex_prog_opts o = {
	    .fixed = c->fixed, .icase = c->icase, .per_pattern = c->per_pattern,
	    .sets_dfa = c->sets_dfa};
	char err[512];
	double t0 = cpu_ms();
	int ret = regex_compile_prog(c->pats, lens, c->n, &o, p, err, sizeof(err));

	CHECK(ret == 0, "%s: regex_compile_prog %d: %s", c->name, ret, err);
	printf("%s: %zu patterns on %s, %llu table bytes, %.1f ms\n", c->name, c->n,
	       regex_engine_name(p->engine), (unsigned long long)p->bytes, cpu_ms() - t0);
	if (c->sets_dfa && p->engine == REGEX_ENGINE_SHIFT)
		printf("%s: no DFA with accept sets: %s\n", c->name, p->sets_dfa_why);
	CHECK(!c->engine || p->engine == c->engine, "%s: engine %s", c->name,
	      regex_engine_name(p->engine));
	CHECK(p->npatterns == c->n, "npatterns");
	if (c->sets_dfa && c->engine == REGEX_ENGINE_AC && !c->fixed)
		CHECK(p->sets_dfa && p->ac.ndense == p->ac.nstates, "%s: not a DFA with accept sets",
		      c->name);
	if (c->sets_dfa && p->engine == REGEX_ENGINE_AC)
		printf("%s: %u states of %u classes, %u accept sets\n", c->name, p->ac.nstates,
		       p->ac.nclasses, p->sets.n);
}

/*
 * Every pattern's count against grep -c (grep -n's lines, counted), and
 * (with per_pattern) each line's first pattern; `every` of them, or 20
 * spread over the set when every is false, and then the whole set's
 * lines against grep -f of all of it.
 */
void check_set(const struct set *c, const struct text *t, bool every)
{
	size_t *lens = malloc((c->n + 1) * sizeof(*lens));
	uint8_t *hit = malloc(t->nlines + 1);
	uint32_t *ref_first = malloc(((size_t)t->nlines + 1) * sizeof(*ref_first));
	struct regex_prog p;
	struct tally y;

	CHECK(lens && hit && ref_first, "malloc");
	for (size_t i = 0; i < c->n; i++)
		lens[i] = strlen(c->pats[i]);
	compile(c, lens, &p);
	walk_tally_init(&y, c->n, t, p.sets.n);
	walk(&p, t, &y);
	if (p.engine != REGEX_ENGINE_DFA) {
		size_t step = every || c->n <= 20 ? 1 : c->n / 20;

		for (uint32_t l = 0; l < t->nlines; l++)
			ref_first[l] = WALK_NONE;
		for (size_t i = 0; i < c->n; i += step) {
			uint32_t want =
			    c->refs && c->refs[i]
				? c->refs[i](t, hit)
				: grep_lines(t, &c->pats[i], &lens[i], 1, c->fixed, c->icase, hit);

			CHECK(y.count[i] == want,
			      "%s: pattern %zu '%.60s' on %s: %llu lines, grep -c %u", c->name, i,
			      c->pats[i], t->path, (unsigned long long)y.count[i], want);
			for (uint32_t l = 0; l < t->nlines; l++)
				if (hit[l] && ref_first[l] == WALK_NONE)
					ref_first[l] = (uint32_t)i;
		}
		if (step == 1)
			for (uint32_t l = 0; l < t->nlines; l++)
				CHECK(y.first[l] == ref_first[l],
				      "%s: line %u's first pattern %d, grep's %d", c->name, l + 1,
				      (int)y.first[l], (int)ref_first[l]);
	}
	/* the whole set, line by line: grep -f, or the union of the patterns' lines above */
	uint32_t want = 0, got = 0;
	if (c->refs) {
		for (uint32_t l = 0; l < t->nlines; l++) {
			hit[l] = ref_first[l] != WALK_NONE;
			want += hit[l];
		}
	} else {
		want = grep_lines(t, c->pats, lens, c->n, c->fixed, c->icase, hit);
	}
	for (uint32_t l = 0; l < t->nlines; l++) {
		CHECK((y.first[l] != WALK_NONE) == hit[l],
		      "%s: line %u of %s: selected %d, grep %d", c->name, l + 1, t->path,
		      y.first[l] != WALK_NONE, hit[l]);
		got += hit[l];
	}
	CHECK(got == want, "count");
	printf("%s on %s: %u of %u lines, as the reference\n", c->name, t->path, want, t->nlines);
	walk_tally_free(&y);
	regex_prog_free(&p);
	free(lens);
	free(hit);
	free(ref_first);
}

/* ---- sets ---- */

static const char *const fixed_mix[] = {
    "the",
    "the",
    "th",
    "t",
    "",
    "License",
    "license",
    "LICENSE",
    "General Public License",
    "General",
    "ion",
    "tion",
    "ation",
    "on",
    "o",
    "status installed",
    "installed",
    "2026-",
    "\t",
    "no such words in there",
    "GNU",
    "(",
    "a.b",
    "[",
    "*",
    "zzz\nGNU\nGNU", /* one pattern of three pieces, as grep -e $'zzz\nGNU\nGNU' */
};

static const char *const ere_mix[] = {
    "the",
    "Free [A-Z][a-z]+",
    "^ *[0-9]+\\.",
    "ware$",
    "(GPL|LGPL)-[23]",
    "s{2}",
    "(ab|cd){2}",
    "",
    "^$",
    "^",
    "$",
    "x*",
    "[[:digit:]]{4}-[[:digit:]]{2}",
    "status (installed|half-configured)",
    ".{70}",
    "^.{0,5}$",
    "(^|[^a-z])the([^a-z]|$)",
    "Licen[cs]e",
    "a^b",
    "b$c",
    "(^a|b)+c",
    "(x|$)",
    "(^|x)y",
    "^(a|)$",
    "L.*L.*L",
    "zzz\n^GNU|Free$\n[0-9]{3}$", /* one pattern of three pieces */
};

/*
 * per_pattern=1 on a DFA with accept sets (regex_pdfa.c), beside ere_mix
 * (whose '$' patterns use the end-of-line sets): no '$' but where it
 * matches every line or none ("$", "(x|$)", "b$c"). Duplicates, prefixes,
 * the empty pattern, '^', a pattern of three pieces.
 */
static const char *const ere_sets[] = {
    "the",
    "Free [A-Z][a-z]+",
    "^ *[0-9]+\\.",
    "(GPL|LGPL)-[23]",
    "s{2}",
    "(ab|cd){2}",
    "",
    "^",
    "$",
    "x*",
    "[[:digit:]]{4}-[[:digit:]]{2}",
    "status (installed|half-configured)",
    "Licen[cs]e",
    "a^b",
    "b$c",
    "(^a|b)+c",
    "(x|$)",
    "(^|x)y",
    "L.*L.*L",
    "the",
    "th",
    "e t",
    "[Tt]he [a-z]+ware",
    "zzz\n^GNU|Free\n[0-9]{3}", /* one pattern of three pieces */
};

/* For the DFA, whose lines are the set's: none that selects every line */
static const char *const ere_dfa[] = {
    "Free [A-Z][a-z]+",
    "ware$",
    "(GPL|LGPL)-[23]",
    "^ *[0-9]+\\.",
    "L.*L.*L",
    "status (installed|half-configured)",
    "zzz\n^GNU|Free$\n[0-9]{3}$",
    "a^b",
    "b$c",
};

/* The patterns issue 26 names, which no DFA of REGEX_STATES_MAX holds. */
static const char *const dfa_breakers[] = {"a{3000}", ".{20000}", "(ab|cd){3000}"};

/* Long lines for them, made of the data: runs of its lines joined, and runs of a, ab, cd. */
static void long_text(struct text *out, const struct text *in)
{
	size_t cap = 4 << 20, n = 0;
	uint8_t *p = malloc(cap);

	CHECK(p, "malloc");
	for (uint32_t l = 0; l < in->nlines && n + 30000 < cap / 2; l++) {
		size_t a = in->start[l], e = in->start[l + 1] - 1;

		memcpy(p + n, in->p + a, e - a);
		n += e - a;
		if (l % 400 == 399 || l % 97 == 0)
			p[n++] = '\n';
	}
	p[n++] = '\n';
	for (int k = 2998; k <= 3001; k++) { /* a{3000} at its edge */
		memset(p + n, 'a', k);
		n += k;
		p[n++] = '\n';
	}
	for (int k = 2999; k <= 3000; k++) { /* (ab|cd){3000} at its edge, the pairs mixed */
		for (int j = 0; j < k; j++) {
			memcpy(p + n, j % 3 ? "ab" : "cd", 2);
			n += 2;
		}
		p[n++] = '\n';
	}
	for (int k = 19999; k <= 20000; k++) { /* .{20000} at its edge */
		memset(p + n, 'x', k);
		n += k;
		p[n++] = '\n';
	}
	out->p = p;
	out->n = n;
	text_index(out, "long");
}

static void load_inputs(struct text *t)
{
	size_t cap = 1 << 20;

	t->p = malloc(cap);
	CHECK(t->p, "malloc");
	t->n = 0;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		FILE *f = fopen(inputs[i], "rb");

		if (!f)
			continue;
		t->n += fread(t->p + t->n, 1, cap / 2 - t->n, f);
		fclose(f);
		if (t->n && t->p[t->n - 1] != '\n')
			t->p[t->n++] = '\n';
	}
	if (!t->n) {
		printf("skip: none of the input files is readable\n");
		exit(T_EXIT_SKIP);
	}
	t->p[t->n++] = 'x'; /* a last line without '\n' */
	text_index(t, "real");
}

/*
 * Every pattern's count and every line's first pattern of the set c on
 * the product DFA (c's engine) against the bit-parallel engine, which
 * shares no code with it.
 */
void check_sets_as_shift(const struct set *cp, const size_t *lens, const struct text *t)
{
	struct set c = *cp;
	size_t n = c.n;
	char *const *ioc = (char *const *)c.pats;
	struct text real = *t;
	struct regex_prog pd, ps;
	struct tally yd, ys;
	struct set cs = c;

	cs.name = "indicator EREs, shift";
	cs.engine = REGEX_ENGINE_SHIFT;
	cs.sets_dfa = false;
	compile(&c, lens, &pd);
	compile(&cs, lens, &ps);
	walk_tally_init(&yd, n, &real, pd.sets.n);
	walk_tally_init(&ys, n, &real, ps.sets.n);
	walk(&pd, &real, &yd);
	walk(&ps, &real, &ys);
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		CHECK(yd.count[i] == ys.count[i], "pattern %zu '%s': %llu lines, shift %llu", i,
		      ioc[i], (unsigned long long)yd.count[i],
		      (unsigned long long)ys.count[i]);
		sum += yd.count[i];
	}
	for (uint32_t l = 0; l < real.nlines; l++)
		CHECK(yd.first[l] == ys.first[l], "line %u: first pattern %d, shift %d", l + 1,
		      (int)yd.first[l], (int)ys.first[l]);
	CHECK(sum > 100, "%llu matches: the set does not test much", (unsigned long long)sum);
	printf("%zu indicator EREs: every count (%llu in all) and first pattern as shift's\n",
	       n, (unsigned long long)sum);
	walk_tally_free(&yd);
	walk_tally_free(&ys);
	regex_prog_free(&pd);
	regex_prog_free(&ps);
}

int main(void)
{
	struct text real = {0}, longt = {0};
	static char *words[300000];
	size_t nt = 0;

	CHECK(mkdtemp(tmpdir), "mkdtemp");
	atexit(rm_tmpdir);
	check_on_fail(rm_tmpdir);
	load_inputs(&real);

	struct set sets[] = {
	    {NULL, "fixed mix", fixed_mix, sizeof(fixed_mix) / sizeof(*fixed_mix), true, false,
	     true, REGEX_ENGINE_AC, false},
	    {NULL, "fixed mix -i", fixed_mix, sizeof(fixed_mix) / sizeof(*fixed_mix), true, true,
	     true, REGEX_ENGINE_AC, false},
	    {NULL, "ere mix", ere_mix, sizeof(ere_mix) / sizeof(*ere_mix), false, false, true,
	     REGEX_ENGINE_SHIFT, false},
	    {NULL, "ere mix -i", ere_mix, sizeof(ere_mix) / sizeof(*ere_mix), false, true, true,
	     REGEX_ENGINE_SHIFT, false},
	    {NULL, "ere set, dfa", ere_dfa, sizeof(ere_dfa) / sizeof(*ere_dfa), false, false, false,
	     REGEX_ENGINE_DFA, false},
	    {NULL, "ere set, dfa -i", ere_dfa, sizeof(ere_dfa) / sizeof(*ere_dfa), false, true,
	     false, REGEX_ENGINE_DFA, false},
	    {NULL, "ere set, shift", ere_dfa, sizeof(ere_dfa) / sizeof(*ere_dfa), false, false,
	     true, REGEX_ENGINE_SHIFT, false},
	    /* EREs that are literals: Aho-Corasick, per pattern */
	    {NULL, "ere literals", fixed_mix, 21, false, false, true, REGEX_ENGINE_AC, false},
	    /* per pattern on a DFA with accept sets, and where '$' sends it on */
	    {NULL, "ere sets, dfa sets", ere_sets, sizeof(ere_sets) / sizeof(*ere_sets), false,
	     false, true, REGEX_ENGINE_AC, true},
	    {NULL, "ere sets, dfa sets -i", ere_sets, sizeof(ere_sets) / sizeof(*ere_sets), false,
	     true, true, REGEX_ENGINE_AC, true},
	    {NULL, "ere mix, dfa sets ('$')", ere_mix, sizeof(ere_mix) / sizeof(*ere_mix), false,
	     false, true, REGEX_ENGINE_AC, true},
	    {NULL, "ere mix, dfa sets ('$') -i", ere_mix, sizeof(ere_mix) / sizeof(*ere_mix),
	     false, true, true, REGEX_ENGINE_AC, true},
	    {NULL, "fixed mix, dfa sets", fixed_mix, sizeof(fixed_mix) / sizeof(*fixed_mix), true,
	     false, true, REGEX_ENGINE_AC, true},
	};
	for (size_t i = 0; i < sizeof(sets) / sizeof(*sets); i++)
		check_set(&sets[i], &real, true);

	/* the DFA-breakers, each alone and all three together, on the second engine */
	long_text(&longt, &real);
	static const ref_fn brk_refs[] = {NULL, ref_20000, NULL};
	for (size_t i = 0; i < 3; i++) {
		struct set c = {&brk_refs[i], dfa_breakers[i], &dfa_breakers[i],  1, false,
				false,	      false,	       REGEX_ENGINE_SHIFT, false};
		check_set(&c, &longt, true);
	}
	struct set brk = {brk_refs, "dfa breakers", dfa_breakers, 3,
			  false,    false,	    true,	  REGEX_ENGINE_SHIFT, false};
	check_set(&brk, &longt, true);

	sets_check_varied_eres(&real, words);
	sets_check_ioc_eres(&real, words);

	/* 3,000 literals of 20-40 bytes taken from the data's lines (DFA: too complex) */
	size_t nw = 0;
	for (uint32_t l = 0; l < real.nlines && nw < 3000; l += 2) {
		size_t a = real.start[l], e = real.start[l + 1] - 1, len = 20 + l % 21;

		if (e - a < len + 2)
			continue;
		words[nw] = strndup((const char *)real.p + a + l % (e - a - len), len);
		CHECK(words[nw], "strndup");
		CHECK(!memchr(words[nw], 0, len), "NUL in the data");
		nw++;
	}
	struct set mid = {NULL,
			  "20-40 byte literals",
			  (const char *const *)words,
			  nw < 3000 ? nw : 3000,
			  true,
			  false,
			  true,
			  REGEX_ENGINE_AC, false};
	check_set(&mid, &real, false);
	/* as EREs, escaped, with a '.' for their first byte: not literals, so the second engine */
	for (size_t i = 0; i < 200 && i < nw; i++) {
		char *q = malloc(2 * strlen(words[i]) + 2), *o = q;

		CHECK(q, "malloc");
		*o++ = '.';
		for (const char *c = words[i] + 1; *c; c++) {
			if (strchr("\\.[](){}*+?|^$", *c))
				*o++ = '\\';
			*o++ = *c;
		}
		*o = 0;
		free(words[i]);
		words[i] = q;
	}
	mid.fixed = false;
	mid.engine = REGEX_ENGINE_SHIFT;
	mid.name = "20-40 byte EREs";
	mid.n = nw < 200 ? nw : 200;
	check_set(&mid, &real, false);
	for (size_t i = 0; i < nw; i++)
		free(words[i]);

	/* 10,000 literals of every byte value but '\n' */
	static char *rnd[10000];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < 10000; i++) {
		size_t len = 3 + i % 6;

		rnd[i] = malloc(len + 1);
		CHECK(rnd[i], "malloc");
		for (size_t k = 0; k < len; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint8_t b = (uint8_t)(x >> 24);
			rnd[i][k] = (char)(b == '\n' || b == 0 ? 'e' : b);
		}
		rnd[i][len] = 0;
		if (i % 10 == 0) /* some from the data, so some lines match */
			memcpy(rnd[i], real.p + (x >> 8) % (real.n - 16), len);
		for (size_t k = 0; k < len; k++)
			if (rnd[i][k] == '\n' || rnd[i][k] == 0)
				rnd[i][k] = 'e';
	}
	struct set allb = {NULL,
			   "10,000 all-byte literals",
			   (const char *const *)rnd,
			   10000,
			   true,
			   false,
			   true,
			   REGEX_ENGINE_AC, false};
	check_set(&allb, &real, false);
	for (size_t i = 0; i < 10000; i++)
		free(rnd[i]);

	/* 100,000 literals from the C headers' tokens: compile time and size */
	size_t hn;
	uint8_t *hdr = (uint8_t *)tokens_load(TOKENS_HEADERS_CMD, 64 << 20, &hn);
	CHECK(hdr, "popen, malloc");
	for (size_t at = 0; at < hn && nt < REGEX_SET_PATTERNS_MAX;) {
		CHECK(tokens_split(hdr, hn, &at, words, &nt, 300000, 1, 64) == 0, "strndup");
		nt = tokens_dedup(words, nt);
	}
	free(hdr);
	for (size_t i = REGEX_SET_PATTERNS_MAX; i < nt; i++)
		free(words[i]);
	nt = nt > REGEX_SET_PATTERNS_MAX ? REGEX_SET_PATTERNS_MAX : nt;
	printf("%zu distinct tokens in /usr/include\n", nt);
	if (nt < REGEX_SET_PATTERNS_MAX)
		printf("skip: the 100,000-literal compile (too few tokens)\n");
	else {
		size_t *lens = malloc(nt * sizeof(*lens));
		struct regex_prog p;
		struct regex_prog_opts o = {.fixed = true, .per_pattern = true};
		char err[256];

		CHECK(lens, "malloc");
		for (size_t i = 0; i < nt; i++)
			lens[i] = strlen(words[i]);
		double t0 = cpu_ms();
		int ret = regex_compile_prog((const char *const *)words, lens, nt, &o, &p, err,
					     sizeof(err));
		double ms = cpu_ms() - t0;
		CHECK(ret == 0, "%zu tokens: %d %s", nt, ret, err);
		printf("%zu tokens: %.1f ms, %u states (%u dense), %llu bytes\n", nt, ms,
		       p.ac.nstates, p.ac.ndense, (unsigned long long)p.bytes);
		CHECK(ms < COMPILE_MS_MAX, "%zu literals compiled in %.0f ms", nt, ms);
		regex_prog_free(&p);
		free(lens);
	}
	for (size_t i = 0; i < nt; i++)
		free(words[i]);
	/* past the second engine's bounds: E2BIG naming the pattern and the bound */
	{
		static const struct {
			const char *pat, *msg;
		} big[] = {
		    {"a{30000}b{30000}c{10000}", "pattern 2 needs more than 65536 positions"},
		    {"(.?){20000}", "pattern 2 needs more than 4194304 follow edges"},
		};
		for (size_t i = 0; i < sizeof(big) / sizeof(*big); i++) {
			const char *two[] = {"x", big[i].pat};
			size_t lens2[] = {1, strlen(big[i].pat)};
			struct regex_prog p;
			struct regex_prog_opts o = {.per_pattern = true};
			char err[256];
			int ret = regex_compile_prog(two, lens2, 2, &o, &p, err, sizeof(err));

			CHECK(ret == -E2BIG && strstr(err, big[i].msg), "%s: %d %s", big[i].pat,
			      ret, err);
			printf("%s: %s\n", big[i].pat, err);
		}
	}
	/* the cap: one pattern more than REGEX_SET_PATTERNS_MAX is E2BIG */
	{
		static const char *one[REGEX_SET_PATTERNS_MAX + 1];
		static size_t ones[REGEX_SET_PATTERNS_MAX + 1];
		struct regex_prog p;
		struct regex_prog_opts o = {.fixed = true};
		char err[256];

		for (size_t i = 0; i <= REGEX_SET_PATTERNS_MAX; i++) {
			one[i] = "x";
			ones[i] = 1;
		}
		int ret = regex_compile_prog(one, ones, REGEX_SET_PATTERNS_MAX + 1, &o, &p, err,
					     sizeof(err));
		CHECK(ret == -E2BIG && strstr(err, "use fewer patterns"), "cap: %d %s", ret, err);
	}
	free(real.p);
	free(real.start);
	free(longt.p);
	free(longt.start);
	printf("ok\n");
	return 0;
}
