// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_utf8.c - Characters for a byte DFA: in a UTF-8 locale, '.', bracket expressions,
 * [:alpha:] and friends, \\w \\s and -i's non-ASCII letters become sets of
 * code points (simple case folding by towupper/towlower), emitted as
 * alternations of UTF-8 byte sequences the daemon's ERE compiles.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "vyrectl_grep.h"

/* A set of Unicode code points, as sorted, disjoint, non-adjacent ranges. */
struct cp_set {
	uint32_t (*r)[2];
	size_t n, cap;
};

static int cp_add(struct cp_set *s, uint32_t lo, uint32_t hi)
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

static int cp_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static void cp_norm(struct cp_set *s)
{
	size_t o = 0;

	if (!s->n)
		return;
	qsort(s->r, s->n, sizeof(*s->r), cp_cmp);
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

/* Every valid code point not in s (no surrogates), normalized. */
static int cp_invert(struct cp_set *s)
{
	struct cp_set o = {0};
	uint32_t next = 0;
	int ret = 0;

	cp_norm(s);
	for (size_t i = 0; i <= s->n && !ret; i++) {
		uint32_t end = i < s->n ? s->r[i][0] : 0x110000;

		if (end > next)
			ret = cp_add(&o, next, end - 1);
		if (i < s->n)
			next = s->r[i][1] + 1;
	}
	free(s->r);
	*s = o;
	if (!ret) { /* the surrogates are no characters */
		struct cp_set t = {0};

		for (size_t i = 0; i < s->n && !ret; i++) {
			uint32_t lo = s->r[i][0], hi = s->r[i][1];

			if (hi < 0xd800 || lo > 0xdfff) {
				ret = cp_add(&t, lo, hi);
				continue;
			}
			if (lo < 0xd800)
				ret = cp_add(&t, lo, 0xd7ff);
			if (!ret && hi > 0xdfff)
				ret = cp_add(&t, 0xe000, hi);
		}
		free(s->r);
		*s = t;
	}
	return ret;
}

/* Adds each member's other cases, as grep -i folds in a UTF-8 locale. */
static int cp_fold(struct cp_set *s)
{
	size_t n = s->n;
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++)
		for (uint32_t c = s->r[i][0]; c <= s->r[i][1] && !ret; c++) {
			uint32_t u = (uint32_t)towupper((wint_t)c),
				 l = (uint32_t)towlower((wint_t)c);

			if (u != c)
				ret = cp_add(s, u, u);
			if (!ret && l != c)
				ret = cp_add(s, l, l);
		}
	cp_norm(s);
	return ret;
}

/* A [:name:] class in the locale (iswctype over every code point). */
static int cp_class(struct cp_set *s, const char *name)
{
	wctype_t t = wctype(name);
	uint32_t start = 0;
	bool in = false;
	int ret = 0;

	if (!t)
		return -EINVAL;
	for (uint32_t c = 0; c <= 0x110000 && !ret; c++) {
		bool m = c < 0x110000 && (c < 0xd800 || c > 0xdfff) && iswctype((wint_t)c, t);

		if (m && !in)
			start = c;
		else if (!m && in)
			ret = cp_add(s, start, c - 1);
		in = m;
	}
	return ret;
}

static size_t u8_encode(uint32_t c, uint8_t out[4])
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
	if (c < 0x10000) {
		out[0] = (uint8_t)(0xe0 | c >> 12);
		out[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | c >> 18);
	out[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (c & 0x3f));
	return 4;
}

/* Decodes one valid UTF-8 character at p; 0 if there is none. */
size_t u8_decode(const uint8_t *p, size_t n, uint32_t *c)
{
	mbstate_t st = {0};
	wchar_t w;
	size_t k = mbrtowc(&w, (const char *)p, n, &st);

	if (k == (size_t)-1 || k == (size_t)-2 || k == 0)
		return 0;
	*c = (uint32_t)w;
	return k;
}

/* A byte inside brackets: [.c.] for the bytes brackets give a meaning. */
static int br_byte(struct buf *b, uint8_t c)
{
	char t[6] = {'[', '.', (char)c, '.', ']', 0};

	if (strchr("]^-[", c))
		return buf_put(b, t, 5);
	return buf_put(b, (const char *)&c, 1);
}

static int br_range(struct buf *b, uint8_t lo, uint8_t hi)
{
	int ret = br_byte(b, lo);

	if (!ret && hi != lo) {
		if (hi > lo + 1)
			ret = buf_put(b, "-", 1);
		if (!ret)
			ret = br_byte(b, hi);
	}
	return ret;
}

/*
 * The UTF-8 encodings of lo..hi (one encoded length, no surrogates) as
 * byte-range sequences, "|"-separated: utf8-ranges' split, so that each
 * sequence is a product of byte ranges.
 */
static int u8_seq(struct buf *b, uint32_t lo, uint32_t hi, bool *first)
{
	uint8_t a[4], z[4];
	size_t n;
	int ret = 0;

	n = u8_encode(hi, z);
	for (size_t i = 1; i < n; i++) {
		uint32_t m = (1u << (6 * i)) - 1;

		if ((lo & ~m) != (hi & ~m)) {
			if (lo & m) {
				ret = u8_seq(b, lo, lo | m, first);
				return ret ? ret : u8_seq(b, (lo | m) + 1, hi, first);
			}
			if ((hi & m) != m) {
				ret = u8_seq(b, lo, (hi & ~m) - 1, first);
				return ret ? ret : u8_seq(b, hi & ~m, hi, first);
			}
		}
	}
	u8_encode(lo, a);
	if (!*first)
		ret = buf_put(b, "|", 1);
	*first = false;
	for (size_t i = 0; i < n && !ret; i++) {
		if (a[i] == z[i]) {
			ret = buf_put(b, (const char *)&a[i], 1);
		} else {
			ret = buf_put(b, "[", 1);
			if (!ret)
				ret = br_range(b, a[i], z[i]);
			if (!ret)
				ret = buf_put(b, "]", 1);
		}
	}
	return ret;
}

/*
 * A set of characters as an ERE atom over bytes: a bracket for its ASCII
 * members, an alternation of UTF-8 sequences for the others, "(...|...)"
 * around both. NUL is written as the complement of what is not in the set,
 * since a pattern cannot hold it; '\n' ends lines, so is never matched.
 */
static int cp_emit(struct buf *b, struct cp_set *s)
{
	static const uint32_t split[] = {0x80, 0x800, 0x10000, 0x110000};
	bool ascii[128] = {0}, any = false, first = true;
	size_t multi = 0;
	int ret = 0;

	cp_norm(s);
	for (size_t i = 0; i < s->n; i++) {
		for (uint32_t c = s->r[i][0]; c <= s->r[i][1] && c < 128; c++)
			ascii[c] = any = true;
		if (s->r[i][1] >= 0x80)
			multi++;
	}
	ascii['\n'] = false;
	if (!any && !multi)
		return buf_puts(b, "[^\x01-\xff]"); /* only NUL matches, as for an empty set */
	if (multi)
		ret = buf_put(b, "(", 1);
	if (!ret && any) {
		bool neg = ascii[0];

		ret = buf_puts(b, neg ? "[^" : "[");
		for (int c = neg ? 1 : 0; c < 256 && !ret;) {
			bool in = c < 128 && (neg ? (!ascii[c] && c != '\n') : ascii[c]);
			int e = c;

			if (neg && c >= 128)
				in = true;
			if (!in) {
				c++;
				continue;
			}
			while (e + 1 < 256 && (e + 1 < 128 ? (neg ? (!ascii[e + 1] && e + 1 != '\n')
								  : ascii[e + 1])
							   : neg))
				e++;
			ret = br_range(b, (uint8_t)c, (uint8_t)e);
			c = e + 1;
		}
		if (!ret)
			ret = buf_put(b, "]", 1);
		first = false;
	}
	for (size_t i = 0; i < s->n && !ret; i++) {
		uint32_t lo = s->r[i][0] < 0x80 ? 0x80 : s->r[i][0], hi = s->r[i][1];

		for (size_t k = 0; k + 1 < sizeof(split) / sizeof(split[0]) && !ret; k++) {
			uint32_t a = lo > split[k] ? lo : split[k];
			uint32_t z = hi < split[k + 1] - 1 ? hi : split[k + 1] - 1;

			if (a <= z && hi >= 0x80)
				ret = u8_seq(b, a, z, &first);
		}
	}
	if (!ret && multi)
		ret = buf_put(b, ")", 1);
	return ret;
}

/* '.' in a UTF-8 locale: one valid character. */
int u8_dot(struct buf *b)
{
	struct cp_set s = {0};
	int ret = cp_add(&s, 0, 0x10ffff);

	if (!ret)
		ret = cp_invert(&s); /* nothing */
	if (!ret)
		ret = cp_invert(&s); /* everything but the surrogates */
	if (!ret)
		ret = cp_emit(b, &s);
	free(s.r);
	return ret;
}

/* \w \W \s \S in a UTF-8 locale (case does not change what they hold). */
int u8_escape_class(struct buf *b, char e)
{
	struct cp_set s = {0};
	int ret;

	if (e == 'w' || e == 'W') {
		ret = cp_class(&s, "alnum");
		if (!ret)
			ret = cp_add(&s, '_', '_');
	} else {
		ret = cp_class(&s, "space");
	}
	if (!ret && (e == 'W' || e == 'S'))
		ret = cp_invert(&s);
	if (!ret)
		ret = cp_emit(b, &s);
	free(s.r);
	return ret;
}

/*
 * End of the bracket expression starting at p[i] == '['; n when it has no
 * ']' (the daemon then says it is unterminated).
 */
size_t bracket_end(const char *p, size_t n, size_t i)
{
	size_t j = i + 1;

	if (j < n && p[j] == '^')
		j++;
	if (j < n && p[j] == ']')
		j++;
	while (j < n && p[j] != ']') {
		if (p[j] == '[' && j + 1 < n && strchr(":.=", p[j + 1])) {
			char d = p[j + 1];
			size_t k = j + 2;

			while (k + 1 < n && !(p[k] == d && p[k + 1] == ']'))
				k++;
			if (k + 1 >= n)
				return n;
			j = k + 2;
			continue;
		}
		j++;
	}
	return j < n ? j : n;
}

/* One element of a bracket in a UTF-8 locale: a character, or a class. */
static size_t br_elem(const char *p, size_t end, size_t j, uint32_t *c, char cls[32], bool *bad)
{
	if (p[j] == '[' && j + 1 < end && strchr(":.=", p[j + 1])) {
		char d = p[j + 1];
		size_t k = j + 2;

		while (k + 1 < end && !(p[k] == d && p[k + 1] == ']'))
			k++;
		if (d == ':') {
			snprintf(cls, 32, "%.*s", (int)(k - j - 2 < 31 ? k - j - 2 : 31),
				 p + j + 2);
			return k + 2 - j;
		}
		if (!u8_decode((const uint8_t *)p + j + 2, k - j - 2, c))
			*bad = true;
		return k + 2 - j;
	}
	size_t len = u8_decode((const uint8_t *)p + j, end - j, c);

	if (!len) {
		*bad = true;
		return 1;
	}
	return len;
}

/*
 * A bracket in a UTF-8 locale, p[i] == '[' to p[end] == ']': its set of
 * characters (ranges by code point, as glibc's C.UTF-8 collates), as an
 * atom. A bracket of plain ASCII, not negated, with no class, is copied.
 */
int u8_bracket(struct buf *b, const char *p, size_t i, size_t end, bool icase)
{
	struct cp_set s = {0};
	size_t j = i + 1;
	bool neg = false, bad = false, plain = true, range = false;
	int ret = 0;

	for (size_t k = i + 1; k < end; k++)
		if ((uint8_t)p[k] >= 0x80 || (p[k] == '[' && k + 1 < end && p[k + 1] == ':'))
			plain = false;
	if (p[j] == '^') {
		neg = true;
		plain = false;
		j++;
	}
	if (plain)
		return buf_put(b, p + i, end + 1 - i);
	while (j < end && !ret) {
		char cls[32] = "";
		uint32_t lo = 0, hi;
		size_t k = br_elem(p, end, j, &lo, cls, &bad);

		j += k;
		if (cls[0]) {
			ret = cp_class(&s, cls);
			if (ret == -EINVAL)
				bad = true, ret = 0;
			continue;
		}
		hi = lo;
		if (j + 1 < end && p[j] == '-' && p[j + 1] != ']') {
			j += 1 + br_elem(p, end, j + 1, &hi, cls, &bad);
			if (cls[0])
				bad = true;
		}
		if (hi != lo && (lo >= 0x80 || hi >= 0x80))
			range = true;
		else if (hi < lo)
			bad = true;
		else if (!ret)
			ret = cp_add(&s, lo, hi);
	}
	if (range && !ret) {
		free(s.r);
		return grep_pattern_error(p,
					  "Invalid collation character (as glibc's C.UTF-8 has "
					  "it, a range's ends must be ASCII: list the characters)");
	}
	if (bad) {
		free(s.r);
		/* let the daemon say what is wrong with it */
		return buf_put(b, p + i, end + 1 - i);
	}
	if (!ret && icase)
		ret = cp_fold(&s);
	if (!ret && neg)
		ret = cp_invert(&s);
	if (!ret)
		ret = cp_emit(b, &s);
	free(s.r);
	return ret;
}

/* A non-ASCII character under -i in a UTF-8 locale: (é|É). */
int u8_fold_char(struct buf *b, const char *p, size_t len, uint32_t c)
{
	struct cp_set s = {0};
	int ret = cp_add(&s, c, c);

	if (!ret)
		ret = cp_fold(&s);
	if (!ret && s.n == 1 && s.r[0][0] == s.r[0][1])
		ret = buf_put(b, p, len);
	else if (!ret)
		ret = cp_emit(b, &s);
	free(s.r);
	return ret;
}
