// SPDX-License-Identifier: MIT
/*
 * regex_utf8_bracket.c - a bracket expression under utf8=1: its members
 * are characters, [:name:] is the class in C.UTF-8, -i folds every member
 * (then '^' inverts, over valid characters only), as GNU grep 3.8 in a
 * UTF-8 locale.
 *
 * The syntax is regex_bracket.c's, which checks it first (same messages
 * as in the C locale); before that, what glibc's regcomp refuses only in
 * a UTF-8 locale: a range with a non-ASCII end ([é-ê], [a-é]) and a
 * non-ASCII [.c.] or [=c=] ("Invalid collation character": glibc's
 * C.UTF-8 has no collation table for them). A bracket holding a byte that
 * is no valid UTF-8 is read as bytes, as in the C locale.
 */
#include <errno.h>
#include <string.h>

#include "regex_priv.h"

/* One element at p[j] (j < end): a character, a class, or malformed. */
struct ru8_elem {
	size_t next;
	uint32_t c;
	const char *cls; /* [:name:] */
	size_t clen;
	bool invalid;	/* a byte that starts no character */
	bool malformed; /* left for rbracket_parse to name */
	bool collation; /* a non-ASCII [.c.] or [=c=] */
};

static struct ru8_elem ru8_elem_at(const uint8_t *p, size_t len, size_t j)
{
	struct ru8_elem el = {0};

	if (p[j] == '[' && j + 1 < len && p[j + 1] && strchr(":.=", p[j + 1])) {
		uint8_t d = p[j + 1];
		size_t k = j + 2;

		while (k + 1 < len && !(p[k] == d && p[k + 1] == ']'))
			k++;
		if (k + 1 >= len) {
			el.malformed = true;
			return el;
		}
		el.next = k + 2;
		if (d == ':') {
			el.cls = (const char *)p + j + 2;
			el.clen = k - j - 2;
			return el;
		}
		size_t n = ru8_decode(p + j + 2, k - j - 2, &el.c);
		if (n && n == k - j - 2 && el.c >= 0x80)
			el.collation = true;
		else if (n != 1 || k - j - 2 != 1)
			el.malformed = true;
		return el;
	}
	size_t n = ru8_decode(p + j, len - j, &el.c);
	if (!n) {
		el.invalid = true;
		el.c = p[j];
		n = 1;
	}
	el.next = j + n;
	return el;
}

static int ru8_collation(struct rparse *ps, size_t at)
{
	return rerr_at(ps->err, -EINVAL, at,
		       "invalid collation character: in a UTF-8 locale a range's ends, [.c.] and "
		       "[=c=] must be ASCII, as glibc's regcomp has it for grep (list the "
		       "characters instead, e.g. [éêè])");
}

/*
 * Reads the members into s, its classes (folded under -i) into cls;
 * *bytes when one is an invalid byte. Stops quietly at anything
 * malformed, which rbracket_parse then names.
 */
static int ru8_members(struct rparse *ps, struct ru8_set *s, struct ru8_set *cls, bool *neg,
		       bool *bytes)
{
	const uint8_t *p = ps->p;
	size_t len = ps->len, j = ps->i;
	int ret = 0;

	if (j < len && p[j] == '^') {
		*neg = true;
		j++;
	}
	for (bool first = true; j < len && !ret; first = false) {
		size_t at = j;

		if (p[j] == ']' && !first)
			return 0;
		struct ru8_elem lo = ru8_elem_at(p, len, j), hi;
		if (lo.malformed)
			return 0;
		if (lo.collation)
			return ru8_collation(ps, at);
		*bytes |= lo.invalid;
		j = lo.next;
		if (lo.cls) {
			ret = ru8_class(cls, lo.cls, lo.clen, ps->icase, ps->err);
			if (ret == -ENOENT)
				return 0;
			continue;
		}
		hi = lo;
		if (j + 1 < len && p[j] == '-' && p[j + 1] != ']') {
			hi = ru8_elem_at(p, len, j + 1);
			if (hi.malformed || hi.cls)
				return 0;
			if (hi.collation || lo.c >= 0x80 || hi.c >= 0x80)
				return ru8_collation(ps, j);
			j = hi.next;
		}
		/* lo above hi passed rbracket_parse only under -i ([a-Z]): it holds nothing */
		if (lo.c <= hi.c)
			ret = ru8_add(s, lo.c, hi.c);
	}
	return ret;
}

/* ps->i is just past the '['. */
int ru8_bracket(struct rparse *ps, uint32_t *out, uint32_t *height)
{
	struct ru8_set s = {0}, cls = {0};
	struct rset bset;
	struct rparse check = *ps;
	bool neg = false, bytes = false;
	int ret = ru8_members(ps, &s, &cls, &neg, &bytes);

	if (!ret)
		ret = rbracket_parse(&check, &bset);
	if (ret)
		goto out;
	ps->i = check.i;
	if (bytes) {
		uint32_t set;

		*height = 1;
		ret = rset_intern(ps->sets, &bset, &set);
		if (!ret)
			ret = rast_new(ps->ast, RAST_SET, set, out);
		goto out;
	}
	if (ps->icase)
		ret = ru8_fold(&s, ps->err);
	for (size_t i = 0; i < cls.n && !ret; i++)
		ret = ru8_add(&s, cls.r[i][0], cls.r[i][1]);
	if (!ret && neg)
		ret = ru8_invert(&s);
	if (!ret)
		ret = ru8_emit(ps, &s, out, height);
out:
	ru8_free(&cls);
	ru8_free(&s);
	return ret;
}
