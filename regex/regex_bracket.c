// SPDX-License-Identifier: MIT
/*
 * regex_bracket.c - bracket expressions: [abc] [^a-z] []a] [[:alpha:]]
 * [[.-.]] [[=a=]], in the C locale.
 *
 * The element rules are glibc's parse_bracket_exp (a '-' stands for itself
 * only first or last; a class cannot end a range); what a range holds is
 * dfa.c's: the bytes lo..hi, each with its other case under grep -i. With
 * -i, regcomp checks the range on the upper-cased pattern, so [a-Z] is
 * valid there and, lo being above hi, holds nothing in dfa.c: grep -i
 * '[a-Z]' matches no line, and neither do we.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "regex_priv.h"

enum rb_kind {
	RB_CHAR,  /* a byte, or [.c.] and [=c=], which in the C locale are the byte c */
	RB_CLASS, /* [:name:] */
};

struct rb_elem {
	enum rb_kind kind;
	uint8_t c;
	struct rset set;
};

/* "[:name:]" at ps->i: ps->i moves past it. */
static int rb_symbol(struct rparse *ps, size_t open, struct rb_elem *el)
{
	size_t at = ps->i;
	uint8_t delim = ps->p[at + 1];
	size_t j = at + 2;

	for (; j + 1 < ps->len; j++)
		if (ps->p[j] == delim && ps->p[j + 1] == ']')
			break;
	if (j + 1 >= ps->len)
		return rerr_at(ps->err, -EINVAL, open,
			       "unterminated '[' (add a ']', or escape it as \\[)");
	const char *name = (const char *)ps->p + at + 2;
	size_t nlen = j - (at + 2);
	ps->i = j + 2;
	if (delim == ':') {
		el->kind = RB_CLASS;
		if (rset_class(name, nlen, ps->icase, &el->set))
			return rerr_at(ps->err, -EINVAL, at,
				       "unknown character class [:%.*s:] (use alpha, digit, alnum, "
				       "upper, lower, space, blank, punct, print, graph, cntrl or "
				       "xdigit)",
				       (int)(nlen > 32 ? 32 : nlen), name);
		return 0;
	}
	if (nlen != 1)
		return rerr_at(ps->err, -EINVAL, at,
			       "invalid collating element [%c%.*s%c] (the C locale has only single "
			       "bytes: write [%ca%c])",
			       delim, (int)(nlen > 32 ? 32 : nlen), name, delim, delim, delim);
	el->kind = RB_CHAR;
	el->c = (uint8_t)name[0];
	return 0;
}

/* A byte for a message: itself when printable, else \xHH. */
static void rb_show(uint8_t c, char buf[8])
{
	if (c > ' ' && c < 0x7f) {
		buf[0] = (char)c;
		buf[1] = 0;
		return;
	}
	static const char hex[] = "0123456789abcdef";
	buf[0] = '\\';
	buf[1] = 'x';
	buf[2] = hex[c >> 4];
	buf[3] = hex[c & 15];
	buf[4] = 0;
}

static bool rb_at_symbol(const struct rparse *ps)
{
	return ps->p[ps->i] == '[' && ps->i + 1 < ps->len &&
	       (ps->p[ps->i + 1] == ':' || ps->p[ps->i + 1] == '.' || ps->p[ps->i + 1] == '=');
}

/*
 * A range whose start is above its end. Swapped, it is valid and holds
 * the bytes between, unless only -i reversed it: regcomp checks the
 * upper-cased range, so under -i [Z-a] is Z-A and refused, while its
 * swap a-Z passes regcomp and holds nothing (a is above Z). Then the end
 * is a lowercase letter and the start a byte below 'a', so Z-` and a-z's
 * part, both in order upper-cased, hold the same bytes: [Z-`a].
 */
static int rb_range_error(struct rparse *ps, size_t at, uint8_t lo, uint8_t hi)
{
	char a[8], b[8], fix[40];

	rb_show(lo, a);
	rb_show(hi, b);
	if (lo > hi) {
		snprintf(fix, sizeof(fix), "%s-%s", b, a);
	} else {
		char tick[8], la[8];

		rb_show('`', tick);
		rb_show('a', la);
		snprintf(fix, sizeof(fix), "%s%s%s%s%s", a, lo < '`' ? "-" : "",
			 lo < '`' ? tick : "", la, hi > 'a' ? "-" : "");
		if (hi > 'a')
			snprintf(fix + strlen(fix), sizeof(fix) - strlen(fix), "%s", b);
		return rerr_at(ps->err, -EINVAL, at,
			       "invalid range end %s-%s: with -i the range is checked upper-cased, "
			       "and there the start is above the end (write %s, the same bytes)",
			       a, b, fix);
	}
	return rerr_at(ps->err, -EINVAL, at,
		       "invalid range end %s-%s: the start is above the end (write %s)", a, b, fix);
}

static int rb_range(struct rparse *ps, size_t open, uint8_t lo, struct rset *s)
{
	size_t at = ps->i - 1; /* the '-' */
	struct rb_elem hi = {.kind = RB_CHAR};
	int ret;

	if (rb_at_symbol(ps)) {
		bool equiv = ps->p[ps->i + 1] == '=';

		ret = rb_symbol(ps, open, &hi);
		if (ret)
			return ret;
		if (hi.kind == RB_CLASS || equiv)
			return rerr_at(ps->err, -EINVAL, at,
				       "invalid range end: a class cannot end a range (list it "
				       "apart, e.g. [a[:digit:]])");
	} else {
		hi.c = ps->p[ps->i++];
	}
	uint8_t l = ps->icase ? rset_upper(lo) : lo;
	uint8_t h = ps->icase ? rset_upper(hi.c) : hi.c;
	if (l > h)
		return rb_range_error(ps, at, lo, hi.c);
	if (lo <= hi.c)
		rset_range(s, lo, hi.c);
	return 0;
}

int rbracket_parse(struct rparse *ps, struct rset *out)
{
	size_t open = ps->i - 1;
	struct rset s = {0};
	bool neg = false, first = true;
	/* dfa.c's test for [:alpha:] written without the outer brackets */
	unsigned colon;
	int ret;

	if (ps->i < ps->len && ps->p[ps->i] == '^') {
		neg = true;
		ps->i++;
	}
	colon = ps->i < ps->len && ps->p[ps->i] == ':';
	for (;; first = false) {
		struct rb_elem el = {.kind = RB_CHAR};

		if (ps->i >= ps->len)
			return rerr_at(ps->err, -EINVAL, open,
				       "unterminated '[' (add a ']', or escape it as \\[)");
		if (ps->p[ps->i] == ']' && !first) {
			ps->i++;
			break;
		}
		colon &= ~2u;
		bool equiv = false, symbol = rb_at_symbol(ps);
		if (symbol) {
			equiv = ps->p[ps->i + 1] == '=';
			ret = rb_symbol(ps, open, &el);
			if (ret)
				return ret;
			colon |= 8;
		} else {
			el.c = ps->p[ps->i];
			if (el.c == '-' && !first && ps->i + 1 < ps->len && ps->p[ps->i + 1] != ']')
				return rerr_at(ps->err, -EINVAL, ps->i,
					       "invalid range end: '-' inside the brackets (put it "
					       "first or last, e.g. [a-c-] or [-a-c])");
			ps->i++;
		}
		if (el.kind == RB_CHAR && !equiv && ps->i + 1 < ps->len && ps->p[ps->i] == '-' &&
		    ps->p[ps->i + 1] != ']') {
			ps->i++;
			ret = rb_range(ps, open, el.c, &s);
			if (ret)
				return ret;
			colon |= 8;
			continue;
		}
		if (el.kind == RB_CLASS) {
			rset_union(&s, &el.set);
			continue;
		}
		if (!symbol)
			colon |= el.c == ':' ? 2 : 4;
		rset_add(&s, el.c);
	}
	if (colon == 7)
		return rerr_at(
		    ps->err, -EINVAL, open,
		    "character class syntax is [[:space:]], not [:space:] (add the outer "
		    "brackets)");
	if (ps->icase)
		rset_fold(&s);
	if (neg)
		rset_invert(&s);
	*out = s;
	return 0;
}
