// SPDX-License-Identifier: MIT
/*
 * regex_utf8.c - characters for the byte DFA (opts.utf8, the descriptor's
 * utf8=1): '.', \w \W \s \S, a character under -i and a bracket's set
 * (regex_utf8_bracket.c) become sets of code points, built into the AST
 * as alternations of UTF-8 byte-sequence products, as GNU grep 3.8 reads
 * them in a UTF-8 locale:
 *  - '.' holds valid characters only (no surrogates, no overlong forms,
 *    nothing past U+10FFFF), so an invalid byte matches no '.', as in
 *    grep; negated sets ([^a], \W, \S) hold, beside those, what glibc's
 *    mbrtowc still decodes, as grep's regex fallback does for them: the
 *    old 4- to 6-byte forms of U+110000..U+7FFFFFFF (RFC 2279);
 *  - -i folds each character as gnulib's dfa.c case_folded_counterparts
 *    does (towupper, towlower of that, and its lonesome_lower table):
 *    s matches ſ, k does not match the Kelvin sign. Checked against
 *    grep 3.8 -i -x over all 2,880 characters of C.UTF-8 with a case
 *    mapping, one pattern each (2026-12-06, 0 differences; a closure over
 *    towupper/towlower differs on 37); a sample stays in
 *    tests/bats/vyrectl_grep_binary_utf8.bats;
 *  - classes are glibc's iswctype.
 * Case and classes come from glibc's C.UTF-8 (newlocale, towupper_l,
 * iswctype_l), whatever the process's own locale: the daemon never calls
 * setlocale. The class sets are computed once per process, on first use
 * (1.1M iswctype_l calls each, 0.04 s of CPU for all twelve on the dev
 * VM), and shared read-only.
 */
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "regex_priv.h"

#define RU8_MAX	    0x110000u	/* past the last character */
#define RU8_EXT_MAX 0x80000000u /* past the last of glibc's RFC 2279 forms */

/* ---- code point sets ---- */

int ru8_add(struct ru8_set *s, uint32_t lo, uint32_t hi)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *r = realloc(s->r, cap * sizeof(*s->r));

		if (!r)
			return -ENOMEM;
		s->r = r;
		s->cap = cap;
	}
	s->r[s->n][0] = lo;
	s->r[s->n][1] = hi;
	s->n++;
	return 0;
}

void ru8_free(struct ru8_set *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

static int ru8_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Sorted, disjoint, non-adjacent ranges. */
static void ru8_norm(struct ru8_set *s)
{
	size_t o = 0;

	if (!s->n)
		return;
	qsort(s->r, s->n, sizeof(*s->r), ru8_cmp);
	for (size_t i = 1; i < s->n; i++) {
		if (s->r[i][0] <= s->r[o][1] + 1) {
			if (s->r[i][1] > s->r[o][1])
				s->r[o][1] = s->r[i][1];
		} else {
			o++;
			s->r[o][0] = s->r[i][0];
			s->r[o][1] = s->r[i][1];
		}
	}
	s->n = o + 1;
}

/*
 * Every character not in s: code points up to U+10FFFF, the surrogates
 * left out, and glibc's RFC 2279 forms above.
 */
int ru8_invert(struct ru8_set *s)
{
	struct ru8_set o = {0};
	uint32_t next = 0;
	int ret = 0;

	ret = ru8_add(s, 0xd800, 0xdfff);
	if (ret)
		return ret;
	ru8_norm(s);
	for (size_t i = 0; i <= s->n && !ret; i++) {
		uint32_t end = i < s->n ? s->r[i][0] : RU8_EXT_MAX;

		if (end > next)
			ret = ru8_add(&o, next, end - 1);
		if (i < s->n)
			next = s->r[i][1] + 1;
	}
	free(s->r);
	*s = o;
	return ret;
}

/* ---- glibc's C.UTF-8 ---- */

static const char *const ru8_class_names[] = {"alpha", "digit", "alnum", "upper",
					      "lower", "space", "blank", "punct",
					      "print", "graph", "cntrl", "xdigit"};
#define RU8_NCLASS (sizeof(ru8_class_names) / sizeof(ru8_class_names[0]))

static struct {
	pthread_once_t once;
	locale_t loc;
	int err;
	struct ru8_set cls[RU8_NCLASS];
	struct ru8_set fold[RU8_NCLASS]; /* cls[k] with every member's counterparts (-i) */
} ru8_tab = {.once = PTHREAD_ONCE_INIT};

static int ru8_fold_set(struct ru8_set *s);

/*
 * Every class, plain and folded, once: folding [[:alpha:]] on each use
 * would cost about 2.5M steps a bracket, outside the compile's work
 * budget, on the FUSE thread that checks a pattern's syntax.
 */
static void ru8_tab_init(void)
{
	ru8_tab.loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (!ru8_tab.loc) {
		ru8_tab.err = -ENOTSUP;
		return;
	}
	for (size_t k = 0; k < RU8_NCLASS && !ru8_tab.err; k++) {
		wctype_t t = wctype_l(ru8_class_names[k], ru8_tab.loc);
		struct ru8_set *s = &ru8_tab.cls[k];
		uint32_t start = 0;
		bool in = false;

		for (uint32_t c = 0; c <= RU8_MAX && !ru8_tab.err; c++) {
			bool m = c < RU8_MAX && (c < 0xd800 || c > 0xdfff) && t &&
				 iswctype_l((wint_t)c, t, ru8_tab.loc);

			if (m && !in)
				start = c;
			else if (!m && in)
				ru8_tab.err = ru8_add(s, start, c - 1);
			in = m;
		}
		for (size_t i = 0; i < s->n && !ru8_tab.err; i++)
			ru8_tab.err = ru8_add(&ru8_tab.fold[k], s->r[i][0], s->r[i][1]);
		if (!ru8_tab.err)
			ru8_tab.err = ru8_fold_set(&ru8_tab.fold[k]);
	}
}

/* The tables, once; -ENOTSUP (with e's message) where C.UTF-8 is missing. */
static int ru8_ready(struct rerr *e)
{
	pthread_once(&ru8_tab.once, ru8_tab_init);
	if (ru8_tab.err == -ENOTSUP)
		return rerr_msg(e, -ENOTSUP,
				"utf8=1 needs glibc's C.UTF-8 locale, which this system lacks "
				"(install locales, or leave utf8= off for bytes)");
	return ru8_tab.err;
}

/*
 * Adds [:name:] (len bytes); -i: upper and lower are alpha, and the set
 * comes folded. -ENOENT for an unknown name.
 */
int ru8_class(struct ru8_set *s, const char *name, size_t len, bool icase, struct rerr *e)
{
	int ret = ru8_ready(e);

	for (size_t k = 0; k < RU8_NCLASS && !ret; k++) {
		const char *cn = ru8_class_names[k];

		if (strlen(cn) != len || memcmp(cn, name, len))
			continue;
		if (icase && (!strcmp(cn, "upper") || !strcmp(cn, "lower")))
			k = 0; /* alpha */
		const struct ru8_set *c = icase ? &ru8_tab.fold[k] : &ru8_tab.cls[k];

		for (size_t i = 0; i < c->n && !ret; i++)
			ret = ru8_add(s, c->r[i][0], c->r[i][1]);
		return ret;
	}
	return ret ? ret : -ENOENT;
}

/*
 * gnulib dfa.c's lonesome_lower: characters C with C != towupper(C) and
 * C != towlower(towupper(C)), which folding through the upper case alone
 * would miss (ſ for s, ı for i, ς for σ).
 */
static const uint32_t ru8_lonesome[] = {0x00b5, 0x0131, 0x017f, 0x01c5, 0x01c8, 0x01cb, 0x01f2,
					0x0345, 0x03c2, 0x03d0, 0x03d1, 0x03d5, 0x03d6, 0x03f0,
					0x03f1, 0x03f2, 0x03f5, 0x1e9b, 0x1fbe};

/* dfa.c's case_folded_counterparts(c), added to s. */
static int ru8_fold_one(struct ru8_set *s, uint32_t c)
{
	locale_t l = ru8_tab.loc;
	uint32_t uc = (uint32_t)towupper_l((wint_t)c, l);
	uint32_t lc = (uint32_t)towlower_l((wint_t)uc, l);
	int ret = 0;

	if (uc != c)
		ret = ru8_add(s, uc, uc);
	if (!ret && lc != uc && lc != c && (uint32_t)towupper_l((wint_t)lc, l) == uc)
		ret = ru8_add(s, lc, lc);
	for (size_t i = 0; i < sizeof(ru8_lonesome) / sizeof(ru8_lonesome[0]) && !ret; i++) {
		uint32_t li = ru8_lonesome[i];

		if (li != lc && li != uc && li != c && (uint32_t)towupper_l((wint_t)li, l) == uc)
			ret = ru8_add(s, li, li);
	}
	return ret;
}

static int ru8_fold_set(struct ru8_set *s)
{
	size_t n;
	int ret = 0;

	ru8_norm(s);
	n = s->n;
	for (size_t i = 0; i < n && !ret; i++)
		for (uint32_t c = s->r[i][0]; c <= s->r[i][1] && !ret; c++)
			ret = ru8_fold_one(s, c);
	ru8_norm(s);
	return ret;
}

/*
 * Adds every member's case counterparts (grep -i). Costs a step per
 * member: callers pass what a pattern lists, ASCII ranges at most, and
 * take classes folded from ru8_class.
 */
int ru8_fold(struct ru8_set *s, struct rerr *e)
{
	int ret = ru8_ready(e);

	return ret ? ret : ru8_fold_set(s);
}

/* ---- UTF-8 ---- */

size_t ru8_decode(const uint8_t *p, size_t n, uint32_t *c)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t k;
	uint32_t v;

	if (!n)
		return 0;
	if (p[0] < 0x80) {
		*c = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		k = 2, v = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		k = 3, v = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		k = 4, v = p[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min[k] || v >= RU8_MAX || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*c = v;
	return k;
}

static size_t ru8_encode(uint32_t c, uint8_t out[6])
{
	if (c < 0x80) {
		out[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (uint8_t)(0xc0 | c >> 6);
		out[1] = (uint8_t)(0x80 | (c & 0x3f));
		return 2;
	}
	static const uint8_t lead[] = {0, 0, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc};
	size_t n = c < 0x10000 ? 3 : c < 0x200000 ? 4 : c < 0x4000000 ? 5 : 6;

	for (size_t i = n - 1; i > 0; i--, c >>= 6)
		out[i] = (uint8_t)(0x80 | (c & 0x3f));
	out[0] = (uint8_t)(lead[n] | c);
	return n;
}

/* ---- into the AST ---- */

/* Siblings linked as the parser links them, closed into one node. */
struct ru8_list {
	uint32_t first, last, n;
};

static void ru8_link(struct rast *a, struct ru8_list *l, uint32_t node)
{
	if (l->n++)
		a->v[l->last].next = node;
	else
		l->first = node;
	l->last = node;
}

static int ru8_close(struct rast *a, struct ru8_list *l, uint32_t kind, uint32_t *out)
{
	if (l->n == 1) {
		*out = l->first;
		return 0;
	}
	return rast_new(a, kind, l->first, out);
}

static int ru8_set_node(struct rparse *ps, const struct rset *s, uint32_t *out)
{
	uint32_t set;
	int ret = rset_intern(ps->sets, s, &set);

	return ret ? ret : rast_new(ps->ast, RAST_SET, set, out);
}

static int ru8_byte_range(struct rparse *ps, uint8_t lo, uint8_t hi, uint32_t *out)
{
	struct rset s = {0};

	rset_range(&s, lo, hi);
	return ru8_set_node(ps, &s, out);
}

/*
 * The encodings of lo..hi (one encoded length, no surrogate inside) as
 * products of byte ranges, each a CAT linked into alt: the split of Rust's
 * utf8-ranges, so that every product is exact.
 */
static int ru8_seq(struct rparse *ps, struct ru8_list *alt, uint32_t lo, uint32_t hi)
{
	struct ru8_list cat = {0};
	uint8_t a[6], z[6];
	uint32_t node;
	size_t n = ru8_encode(hi, z);
	int ret = 0;

	for (size_t i = 1; i < n; i++) {
		uint32_t m = (1u << (6 * i)) - 1;

		if ((lo & ~m) == (hi & ~m))
			continue;
		if (lo & m) {
			ret = ru8_seq(ps, alt, lo, lo | m);
			return ret ? ret : ru8_seq(ps, alt, (lo | m) + 1, hi);
		}
		if ((hi & m) != m) {
			ret = ru8_seq(ps, alt, lo, (hi & ~m) - 1);
			return ret ? ret : ru8_seq(ps, alt, hi & ~m, hi);
		}
	}
	ru8_encode(lo, a);
	for (size_t i = 0; i < n && !ret; i++) {
		ret = ru8_byte_range(ps, a[i], z[i], &node);
		if (!ret)
			ru8_link(ps->ast, &cat, node);
	}
	if (!ret)
		ret = ru8_close(ps->ast, &cat, RAST_CAT, &node);
	if (!ret)
		ru8_link(ps->ast, alt, node);
	return ret;
}

/*
 * s as one atom: a set of its ASCII members, then one product per exact
 * run of encodings, all alternatives (an empty s: an empty byte set, which
 * matches nothing). Height 3 at most: ALT, CAT, SET. The NFA builds such
 * an alternation with its shared prefixes and suffixes merged
 * (regex_dawg.c), so the many products of \W cost its few hundred states.
 */
int ru8_emit(struct rparse *ps, struct ru8_set *s, uint32_t *out, uint32_t *height)
{
	static const uint32_t split[] = {0x80,	  0x800,    0xd800,    0xe000,
					 0x10000, 0x200000, 0x4000000, RU8_EXT_MAX};
	struct ru8_list alt = {0};
	struct rset ascii = {0};
	bool any = false, multi = false;
	uint32_t node;
	int ret = 0;

	ru8_norm(s);
	for (size_t i = 0; i < s->n; i++) {
		for (uint32_t c = s->r[i][0]; c <= s->r[i][1] && c < 0x80; c++) {
			rset_add(&ascii, c);
			any = true;
		}
		multi |= s->r[i][1] >= 0x80;
	}
	if (any || !multi) {
		ret = ru8_set_node(ps, &ascii, &node);
		if (!ret)
			ru8_link(ps->ast, &alt, node);
	}
	for (size_t i = 0; i < s->n && !ret; i++) {
		uint32_t lo = s->r[i][0], hi = s->r[i][1];

		for (size_t k = 0; k + 1 < sizeof(split) / sizeof(split[0]) && !ret; k++) {
			uint32_t a = lo > split[k] ? lo : split[k];
			uint32_t z = hi < split[k + 1] - 1 ? hi : split[k + 1] - 1;

			if (a <= z && split[k] != 0xd800)
				ret = ru8_seq(ps, &alt, a, z);
		}
	}
	if (!ret)
		ret = ru8_close(ps->ast, &alt, RAST_ALT, out);
	*height = alt.n > 1 ? 3 : 2;
	return ret;
}

/* '.': one valid character (dfa.c's, so none of the RFC 2279 forms). */
int ru8_dot(struct rparse *ps, uint32_t *out, uint32_t *height)
{
	struct ru8_set s = {0};
	int ret = ru8_add(&s, 0, 0xd7ff);

	if (!ret)
		ret = ru8_add(&s, 0xe000, RU8_MAX - 1);

	if (!ret)
		ret = ru8_emit(ps, &s, out, height);
	ru8_free(&s);
	return ret;
}

/* \w \W \s \S: alnum and '_', or space, in C.UTF-8; -i changes neither. */
int ru8_escape_class(struct rparse *ps, uint8_t c, uint32_t *out, uint32_t *height)
{
	struct ru8_set s = {0};
	int ret;

	if (c == 'w' || c == 'W') {
		ret = ru8_class(&s, "alnum", 5, false, ps->err);
		if (!ret)
			ret = ru8_add(&s, '_', '_');
	} else {
		ret = ru8_class(&s, "space", 5, false, ps->err);
	}
	if (!ret && (c == 'W' || c == 'S'))
		ret = ru8_invert(&s);
	if (!ret)
		ret = ru8_emit(ps, &s, out, height);
	ru8_free(&s);
	return ret;
}

/*
 * The character at ps->p[ps->i] as one atom (so "é*" repeats é, not its
 * last byte), folded under -i when it is a letter (dfa.c: iswalpha). A
 * byte that starts no valid character is that byte alone.
 */
int ru8_char(struct rparse *ps, uint32_t *out, uint32_t *height)
{
	struct ru8_set s = {0};
	uint32_t c;
	size_t k = ru8_decode(ps->p + ps->i, ps->len - ps->i, &c);
	int ret;

	if (!k) {
		struct rset b = {0};

		rset_add(&b, ps->p[ps->i++]);
		*height = 1;
		return ru8_set_node(ps, &b, out);
	}
	ps->i += k;
	ret = ru8_ready(ps->err);
	if (!ret)
		ret = ru8_add(&s, c, c);
	if (!ret && ps->icase && iswalpha_l((wint_t)c, ru8_tab.loc))
		ret = ru8_fold(&s, ps->err);
	if (!ret)
		ret = ru8_emit(ps, &s, out, height);
	ru8_free(&s);
	return ret;
}

/*
 * A fixed string (grep -F -i) as a CAT of its characters, folded: what
 * Aho-Corasick's ASCII folding cannot hold.
 */
int ru8_literal(struct rast *a, struct rset_tab *sets, const uint8_t *p, size_t len, bool icase,
		struct rerr *e, uint32_t *root)
{
	struct rparse ps = {
	    .p = p, .len = len, .icase = icase, .utf8 = true, .ast = a, .sets = sets, .err = e};
	struct ru8_list cat = {0};
	uint32_t node, h;
	int ret = 0;

	if (!len)
		return rast_new(a, RAST_EMPTY, 0, root);
	while (ps.i < len && !ret) {
		ret = ru8_char(&ps, &node, &h);
		if (!ret)
			ru8_link(a, &cat, node);
	}
	ret = rast_full(a, ret, e, ps.i);
	return ret ? ret : ru8_close(a, &cat, RAST_CAT, root);
}
