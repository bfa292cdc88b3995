// SPDX-License-Identifier: MIT
/*
 * regex_diff.c - test_regex_compile's differential (section 5): random
 * patterns (alternation, classes, ranges, bounds, anchors, groups, -i, -F
 * sets, multi-pattern sets) over 8 random texts (empty and 3,000-byte
 * lines, NUL, bytes over 0x7f, a last line without '\n'). The DFA
 * simulator (dfa_sim.c) marks the matching lines of every text; they must
 * be exactly the lines `LC_ALL=C grep -a -n` prints for the 8 texts in one
 * run (one grep per pattern set: spawning grep is most of the test's time),
 * whose line count `grep -c ''` checks; a pattern grep refuses must be
 * refused.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dfa_sim.h"
#include "grep_ref.h"
#include "regex.h"
#include "regex_diff.h"
#include "regex_test.h"

#define NTEXTS	  8   /* texts of the differential */
#define LINES_MAX 128 /* lines a text has at most (make_text writes 30-80) */

static char tpath[NTEXTS][64];

static int text_of(const char *path, size_t len)
{
	for (int i = 0; i < NTEXTS; i++)
		if (strlen(tpath[i]) == len && !memcmp(tpath[i], path, len))
			return i;
	return -1;
}

/*
 * The lines grep -a -n selects in the 8 texts: hit[t][l] for line l
 * (from 0) of text t. Returns 0, or -1 when grep refuses the patterns
 * (exit 2). Its output is "PATH:LINE:TEXT\n" per line, TEXT free of '\n'.
 */
static int grep_lines(const char *patfile, bool fixed, bool icase, struct gout *o,
		      uint8_t hit[NTEXTS][LINES_MAX])
{
	char *argv[8 + NTEXTS];
	int argc = 0;

	argv[argc++] = "grep";
	argv[argc++] = "-a";
	argv[argc++] = "-n";
	argv[argc++] = fixed ? "-F" : "-E";
	if (icase)
		argv[argc++] = "-i";
	argv[argc++] = "-f";
	argv[argc++] = (char *)patfile;
	for (int i = 0; i < NTEXTS; i++)
		argv[argc++] = tpath[i];
	argv[argc] = NULL;
	int st = grep_ref_run(argv, o);
	if (st == 2)
		return -1;
	CHECK(st <= 1, "grep exit %d", st);
	memset(hit, 0, NTEXTS * LINES_MAX);
	for (char *p = o->p, *end = o->p + o->n; p < end;) {
		char *colon = memchr(p, ':', (size_t)(end - p));
		CHECK(colon, "grep output without a file name");
		int t = text_of(p, (size_t)(colon - p));
		char *num_end;
		long line = strtol(colon + 1, &num_end, 10);
		CHECK(t >= 0 && *num_end == ':' && line >= 1 && line <= LINES_MAX,
		      "grep output line '%.40s'", p);
		hit[t][line - 1] = 1;
		char *nl = memchr(num_end, '\n', (size_t)(end - num_end));
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* Lines grep counts in each text (grep -c ''), to check ours once. */
static void grep_line_counts(struct gout *o, long counts[NTEXTS])
{
	char *argv[5 + NTEXTS];
	int argc = 0;

	argv[argc++] = "grep";
	argv[argc++] = "-a";
	argv[argc++] = "-c";
	argv[argc++] = "";
	for (int i = 0; i < NTEXTS; i++)
		argv[argc++] = tpath[i];
	argv[argc] = NULL;
	CHECK(grep_ref_run(argv, o) == 0, "grep -c ''");
	for (char *p = o->p, *end = o->p + o->n; p < end;) {
		char *colon = memchr(p, ':', (size_t)(end - p));
		CHECK(colon, "grep -c output");
		int t = text_of(p, (size_t)(colon - p));
		CHECK(t >= 0, "grep -c output '%.40s'", p);
		counts[t] = strtol(colon + 1, &p, 10);
		p++; /* '\n' */
	}
}

struct gen {
	uint8_t p[512];
	size_t n;
	bool nul; /* holds a NUL: grep reads it from -f fine */
};

static void g_put(struct gen *g, uint8_t c)
{
	if (g->n < sizeof(g->p) - 1)
		g->p[g->n++] = c;
}

static void g_str(struct gen *g, const char *s)
{
	while (*s)
		g_put(g, (uint8_t)*s++);
}

static const char lit_chars[] = "abcabcABxy01 _-:,";

static void g_bracket(struct gen *g)
{
	static const char bchars[] = "abcxyzABC019.*^$()|{}\\+?";
	static const char *classes[] = {"alpha", "digit", "alnum", "upper", "lower", "space",
					"blank", "punct", "print", "graph", "cntrl", "xdigit"};
	static const char rchars[] = "aAbBcCmMzZ09._^";

	g_put(g, '[');
	if (rnd(3) == 0)
		g_put(g, '^');
	if (rnd(8) == 0)
		g_put(g, ']');
	int k = 1 + rnd(3);
	for (int i = 0; i < k; i++) {
		uint32_t r = rnd(10);
		if (r < 4) {
			g_put(g, (uint8_t)bchars[rnd(sizeof(bchars) - 1)]);
		} else if (r < 7) {
			uint8_t a = (uint8_t)rchars[rnd(sizeof(rchars) - 1)];
			uint8_t b = (uint8_t)rchars[rnd(sizeof(rchars) - 1)];
			if (a > b &&
			    rnd(6)) { /* mostly valid; some invalid, which both must refuse */
				uint8_t t = a;
				a = b;
				b = t;
			}
			g_put(g, a);
			g_put(g, '-');
			g_put(g, b);
		} else if (r < 9) {
			g_str(g, "[:");
			g_str(g, classes[rnd(12)]);
			g_str(g, ":]");
		} else {
			g_put(g, (uint8_t)(0x80 + rnd(128)));
		}
	}
	if (rnd(6) == 0)
		g_put(g, '-');
	g_put(g, ']');
}

static void g_alt(struct gen *g, int depth);

static void g_atom(struct gen *g, int depth)
{
	static const char *esc[] = {"\\w", "\\W",  "\\s", "\\S", "\\.", "\\*", "\\+",
				    "\\?", "\\(",  "\\)", "\\[", "\\]", "\\{", "\\}",
				    "\\|", "\\\\", "\\^", "\\$", "\\a", "\\-"};
	uint32_t r = rnd(100);

	if (r < 38) {
		g_put(g, (uint8_t)lit_chars[rnd(sizeof(lit_chars) - 1)]);
	} else if (r < 46) {
		g_put(g, '.');
	} else if (r < 58) {
		g_bracket(g);
	} else if (r < 68 && depth > 0) {
		g_put(g, '(');
		g_alt(g, depth - 1);
		g_put(g, ')');
	} else if (r < 72) {
		g_put(g, '^');
	} else if (r < 76) {
		g_put(g, '$');
	} else if (r < 84) {
		g_str(g, esc[rnd(20)]);
	} else if (r < 87) {
		uint8_t hi[] = {0x80, 0xe9, 0xff, 0xc9};
		g_put(g, hi[rnd(4)]);
	} else if (r < 88) {
		g_put(g, 0);
		g->nul = true;
	} else if (r < 90) {
		g_str(g, "{x"); /* a '{' that opens no interval is literal */
	} else {
		g_put(g, (uint8_t) "abc"[rnd(3)]);
	}
}

static void g_dup(struct gen *g)
{
	char b[24];
	uint32_t m = rnd(4), n = m + rnd(3);

	switch (rnd(8)) {
	case 0:
	case 1:
		g_put(g, '*');
		return;
	case 2:
		g_put(g, '+');
		return;
	case 3:
		g_put(g, '?');
		return;
	case 4:
		snprintf(b, sizeof(b), "{%u}", m);
		break;
	case 5:
		snprintf(b, sizeof(b), "{%u,}", m);
		break;
	case 6:
		snprintf(b, sizeof(b), "{,%u}", n);
		break;
	default:
		snprintf(b, sizeof(b), "{%u,%u}", m, n);
		break;
	}
	g_str(g, b);
}

static void g_branch(struct gen *g, int depth)
{
	int k = rnd(10) == 0 ? 0 : 1 + rnd(4);

	for (int i = 0; i < k; i++) {
		g_atom(g, depth);
		if (rnd(10) < 3)
			g_dup(g);
		if (rnd(30) == 0)
			g_dup(g);
	}
}

static void g_alt(struct gen *g, int depth)
{
	int k = 1 + (rnd(3) == 0) + (rnd(6) == 0);

	for (int i = 0; i < k; i++) {
		if (i)
			g_put(g, '|');
		g_branch(g, depth);
	}
}

/* A whole ERE: sometimes opening with a dup operator, sometimes broken on purpose. */
static void g_pattern(struct gen *g)
{
	static const char *broken[] = {"(",	   "[z-a]",   "a{3,1}",	    "[[:foo:]]", "[ab",
				       "a{1,2,3}", "a{}",     "[[:alpha:]", "[:alpha:]", "[[.ab.]]",
				       "a{99999}", "[a-c-e]", "\\"};

	g->n = 0;
	g->nul = false;
	if (rnd(20) == 0)
		g_str(g, (const char *[]){"*", "+", "?", "{2}"}[rnd(4)]);
	g_alt(g, 3);
	if (rnd(25) == 0)
		g_str(g, broken[rnd(13)]);
}

static void g_literal(struct gen *g)
{
	static const char fchars[] = "abcabcAB.*()[]{}\\^$|+? ";
	int k = rnd(12) == 0 ? 0 : 1 + rnd(5);

	g->n = 0;
	g->nul = false;
	for (int i = 0; i < k; i++) {
		if (rnd(30) == 0) {
			g_put(g, (uint8_t)(0x80 + rnd(128)));
			continue;
		}
		g_put(g, (uint8_t)fchars[rnd(sizeof(fchars) - 1)]);
	}
}

static size_t make_text(uint8_t *t, size_t cap)
{
	static const char tchars[] = "aaabbbcccABC01 ._-*{}[]()\\^$:x,\t|+?";
	int lines = 30 + rnd(50);
	size_t n = 0;

	for (int l = 0; l < lines && n + 3100 < cap; l++) {
		uint32_t r = rnd(100), len;

		len = r < 10 ? 0 : r < 70 ? 1 + rnd(8) : r < 95 ? 9 + rnd(32) : 500 + rnd(2500);
		for (uint32_t i = 0; i < len; i++) {
			uint32_t q = rnd(60);

			t[n++] = q == 0	  ? 0
				 : q == 1 ? 0x80 + rnd(128)
				 : q == 2 ? 0xe9
				 : q == 3 ? 0xc9
					  : (uint8_t)tchars[rnd(sizeof(tchars) - 1)];
		}
		t[n++] = '\n';
	}
	if (rnd(3) == 0)
		n--; /* a last line without '\n' */
	return n;
}

static void show(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < cap; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			out[o++] = (char)p[i];
		else if (p[i] == '\n')
			o += (size_t)snprintf(out + o, cap - o, "\\n");
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i]);
	}
	out[o] = 0;
}

/* GNU grep's corners, checked first, on every text: what they mean is grep's answer. */
static const struct {
	const char *pat;
	bool icase;
} edge_cases[] = {
    {"*a", false},	{"a|*b", false},   {"a{", false},	  {"a{,", false},
    {"a{x", false},	{"a{1", false},	   {"a{1,2", false},	  {"{1}a", false},
    {"{3,1}a", false},	{"^{3,1}", false}, {"(^{1})", false},	  {"a{1\\,2}", false},
    {"^*", false},	{"^+", false},	   {"a^b", false},	  {"(^|x)a", false},
    {"x$y", false},	{"$^", false},	   {"^$", false},	  {"a$|b", false},
    {"(a|)+b", false},	{"()", false},	   {"", false},		  {"a||b", false},
    {"[]a]", false},	{"[^]a]", false},  {"[a-]", false},	  {"[\\]", false},
    {"[[.a.]]", false}, {"[[=a=]]", true}, {"[[.-.]]", false},	  {"[a-Z]", true},
    {"[A-z]", true},	{"[a-_]", true},   {"[Z-a]", false},	  {"[Z-a]", true},
    {"\\w+", false},	{"\\W", false},	   {"\\s\\S", false},	  {"a{,2}", false},
    {"a{,}b", false},	{"a{0}", false},   {"x{1}{2}", false},	  {"(^)*a", false},
    {"a$*", false},	{"(*a)", false},   {".", false},	  {"[^a]", true},
    {"[:a-b:]", false}, {"[::]", false},   {"[[:upper:]]", true}, {"[^[:lower:]]", true},
    {"A", true},	{"[B-a]", false},  {"[B-a]", true},	  {"\\A", true},
};
#define NEDGE (sizeof(edge_cases) / sizeof(edge_cases[0]))

void regex_diff_run(const char *dir, uint64_t seed, unsigned npat)
{
	static uint8_t text[NTEXTS][64 << 10];
	static uint8_t want[NTEXTS][LINES_MAX], got[NTEXTS][LINES_MAX], got_skip[NTEXTS][LINES_MAX];
	size_t tlen[NTEXTS];
	uint64_t tlines[NTEXTS];
	long glines[NTEXTS];
	char ppath[64];
	unsigned mismatches = 0, refused = 0, toobig = 0, sets = 0, fixeds = 0, icases = 0;
	unsigned paren = 0, quirk = 0, spawns = 0, nuls = 0;
	uint64_t matched_lines = 0, total_lines = 0;
	struct gout o = {0};
	double t0 = now_ms();

	for (int i = 0; i < NTEXTS; i++) {
		tlen[i] = make_text(text[i], sizeof(text[i]));
		snprintf(tpath[i], sizeof(tpath[i]), "%s/text%d", dir, i);
		grep_ref_write(tpath[i], text[i], tlen[i]);
		tlines[i] = tlen[i] && text[i][tlen[i] - 1] != '\n';
		for (size_t k = 0; k < tlen[i]; k++)
			tlines[i] += text[i][k] == '\n';
		CHECK(tlines[i] <= LINES_MAX, "text %d: %" PRIu64 " lines", i, tlines[i]);
	}
	/* our line count, against grep's: the exact line numbers below rest on it */
	grep_line_counts(&o, glines);
	spawns++;
	snprintf(ppath, sizeof(ppath), "%s/patterns", dir);
	for (unsigned it = 0; it < npat; it++) {
		struct gen g[6];
		const char *pats[6];
		size_t lens[6], np = 1;
		uint8_t file[6 * 520];
		size_t fl = 0;
		bool fixed = rnd(7) == 0, icase = rnd(4) == 0, nul = false;

		if (fixed)
			np = 1 + rnd(6);
		else if (rnd(6) == 0)
			np = 2 + rnd(4);
		if (it < NEDGE) {
			fixed = false;
			np = 1;
			icase = edge_cases[it].icase;
		}
		for (size_t k = 0; k < np; k++) {
			if (it < NEDGE) {
				g[k].n = strlen(edge_cases[it].pat);
				g[k].nul = false;
				memcpy(g[k].p, edge_cases[it].pat, g[k].n);
			} else if (fixed)
				g_literal(&g[k]);
			else
				g_pattern(&g[k]);
			pats[k] = (const char *)g[k].p;
			lens[k] = g[k].n;
			nul |= g[k].nul;
			memcpy(file + fl, g[k].p, g[k].n);
			fl += g[k].n;
			file[fl++] = '\n';
		}
		sets += np > 1;
		nuls += nul;
		fixeds += fixed;
		icases += icase;
		grep_ref_write(ppath, file, fl);

		struct regex_opts opt = {.fixed = fixed, .icase = icase};
		struct regex_dfa d;
		char err[256];
		int ret = regex_compile(pats, lens, np, &opt, &d, err, sizeof(err));
		int gret = grep_lines(ppath, fixed, icase, &o, want);
		char shown[2048];

		spawns++;
		show(file, fl, shown, sizeof(shown));
		if (ret == -E2BIG || ret == -ETIMEDOUT) {
			toobig++;
			continue;
		}
		if (ret == -EINVAL && gret == 0 && np > 1 && strstr(err, "trailing backslash")) {
			quirk++; /* grep 3.8 takes it as a literal '\\' in the last of several */
			continue;
		}
		if (ret == -EINVAL && gret == 0 && strstr(err, "unbalanced ')'")) {
			paren++; /* grep takes an unmatched ')' as a literal; we refuse it */
			continue;
		}
		if (ret || gret < 0) {
			refused += ret != 0;
			if ((ret == -EINVAL) != (gret < 0)) {
				if (mismatches++ < 20)
					fprintf(stderr,
						"MISMATCH %s%s%s [%s]: ours %d (%s), grep %s\n",
						fixed ? "-F" : "-E", icase ? " -i" : "",
						np > 1 ? " set" : "", shown, ret, err,
						gret < 0 ? "refuses" : "accepts");
			}
			if (!ret)
				regex_dfa_free(&d);
			continue;
		}
		dfa_check_shape(&d);
		for (int t = 0; t < NTEXTS; t++) {
			uint64_t nl;

			memset(got[t], 0, sizeof(got[t]));
			memset(got_skip[t], 0, sizeof(got_skip[t]));
			dfa_run(&d, text[t], tlen[t], false, got[t], LINES_MAX, &nl);
			dfa_run(&d, text[t], tlen[t], true, got_skip[t], LINES_MAX, &nl);
			for (uint64_t l = 0; l < tlines[t]; l++)
				matched_lines += got[t][l];
			total_lines += tlines[t];
			if (!memcmp(got[t], want[t], sizeof(want[t])) &&
			    !memcmp(got_skip[t], got[t], sizeof(got[t])))
				continue;
			uint64_t l = 0;
			while (got[t][l] == want[t][l] && got_skip[t][l] == got[t][l])
				l++;
			if (mismatches++ < 20)
				fprintf(stderr,
					"MISMATCH %s%s%s [%s] text %d line %" PRIu64 ": ours %u "
					"(with sink skip %u), grep %u; %u states\n",
					fixed ? "-F" : "-E", icase ? " -i" : "",
					np > 1 ? " set" : "", shown, t, l + 1, got[t][l],
					got_skip[t][l], want[t][l], d.nstates);
		}
		regex_dfa_free(&d);
	}
	free(o.p);
	double ms = now_ms() - t0;
	for (int t = 0; t < NTEXTS; t++)
		CHECK((long)tlines[t] == glines[t], "text %d: %" PRIu64 " lines, grep counts %ld",
		      t, tlines[t], glines[t]);
	printf("differential: %u pattern sets (%u multi-pattern, %u -F, %u -i, %u with a NUL) over "
	       "%d texts, %u refused by both, %u unmatched ')' and %u last-pattern trailing '\\' "
	       "refused by us only, %u -E2BIG/-ETIMEDOUT skipped, %" PRIu64 " of %" PRIu64
	       " lines matched, %u mismatches, %u grep runs, %.1f s\n",
	       npat, sets, fixeds, icases, nuls, NTEXTS, refused, paren, quirk, toobig,
	       matched_lines, total_lines, mismatches, spawns, ms / 1e3);
	CHECK(mismatches == 0, "%u mismatches against grep (seed %" PRIu64 ")", mismatches, seed);
	CHECK(toobig < npat / 100 + 1, "%u patterns hit -E2BIG or -ETIMEDOUT", toobig);
	CHECK(paren < npat / 100 + 1, "%u unmatched ')'", paren);
}
