// SPDX-License-Identifier: MIT
/*
 * regex_parse.c - POSIX ERE, as GNU grep -E reads it, into an AST.
 *
 * grep checks a pattern with two parsers: gnulib's dfa.c, which matches,
 * and glibc's regcomp, which only has to accept it. We follow dfa.c for
 * what a pattern means and refuse what either refuses, so the interval
 * rules below are dfa.c's reading with regcomp's complaints added.
 *
 * Grammar (dfa.c's): alt := branch ('|' branch)*; branch := closure*;
 * closure := atom dup*. An atom is empty where a dup operator, '|', ')'
 * or the end comes first, so "*a" is ()*a.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

static int rp_set(struct rparse *ps, struct rset *s, uint32_t *idx)
{
	uint32_t set;
	int ret;

	if (ps->icase)
		rset_fold(s);
	ret = rset_intern(ps->sets, s, &set);
	if (ret)
		return ret;
	return rast_new(ps->ast, RAST_SET, set, idx);
}

static int rp_byte(struct rparse *ps, uint8_t c, uint32_t *idx)
{
	struct rset s = {0};

	rset_add(&s, c);
	return rp_set(ps, &s, idx);
}

/* A list of sibling nodes under construction. */
struct rp_list {
	uint32_t first, last, n, height;
};

static void rp_append(struct rparse *ps, struct rp_list *l, uint32_t node, uint32_t height)
{
	if (l->n++)
		ps->ast->v[l->last].next = node;
	else
		l->first = node;
	l->last = node;
	if (height > l->height)
		l->height = height;
}

/* One node for the list: the only child itself, or a CAT/ALT over all of them. */
static int rp_close_list(struct rparse *ps, struct rp_list *l, uint32_t kind, uint32_t *out,
			 uint32_t *height)
{
	int ret;

	if (l->n == 0) {
		*height = 1;
		return rast_new(ps->ast, RAST_EMPTY, 0, out);
	}
	if (l->n == 1) {
		*height = l->height;
		*out = l->first;
		return 0;
	}
	ret = rast_new(ps->ast, kind, l->first, out);
	*height = l->height + 1;
	return ret;
}

static int rp_too_deep(struct rparse *ps)
{
	return rerr_at(ps->err, -E2BIG, ps->i,
		       "groups and repetitions nested more than %u deep (use a simpler pattern)",
		       REGEX_DEPTH_MAX);
}

enum rp_tok {
	RP_END,
	RP_CLOSE, /* an unescaped '}' */
	RP_COMMA, /* ',' or "\," : regcomp reads both as the comma */
	RP_DIGIT, /* an unescaped digit */
	RP_OTHER,
};

static enum rp_tok rp_tok_at(const struct rparse *ps, size_t *k, unsigned *digit)
{
	if (*k >= ps->len)
		return RP_END;
	uint8_t c = ps->p[*k];
	if (c == '\\') {
		if (*k + 1 >= ps->len) {
			(*k)++;
			return RP_OTHER;
		}
		c = ps->p[*k + 1];
		*k += 2;
		return c == ',' ? RP_COMMA : RP_OTHER;
	}
	(*k)++;
	if (c == '}')
		return RP_CLOSE;
	if (c == ',')
		return RP_COMMA;
	if (c >= '0' && c <= '9') {
		*digit = c - '0';
		return RP_DIGIT;
	}
	return RP_OTHER;
}

/*
 * glibc's fetch_number: -1 no digits, -2 not a number, else capped at
 * DUP_MAX + 1. glibc reads on to the '}' or ',' after a non-digit, but
 * the answer is -2 by then and no caller looks at the token: stopping
 * there keeps "a{{{{..." linear.
 */
static long rp_fetch_number(const struct rparse *ps, size_t *k, enum rp_tok *tok)
{
	long num = -1;
	unsigned d = 0;

	for (;;) {
		*tok = rp_tok_at(ps, k, &d);
		if (*tok == RP_END)
			return -2;
		if (*tok == RP_CLOSE || *tok == RP_COMMA)
			return num;
		if (*tok != RP_DIGIT)
			return -2;
		if (num == -1)
			num = d;
		else
			num = num * 10 + d > REGEX_DUP_MAX ? REGEX_DUP_MAX + 1 : num * 10 + d;
	}
}

/* regcomp's verdict on the interval at ps->i: 0 (fine or a literal '{') or -EINVAL. */
static int rp_interval_regcomp(struct rparse *ps)
{
	size_t k = ps->i + 1;
	enum rp_tok tok;
	long lo, hi;

	lo = rp_fetch_number(ps, &k, &tok);
	if (lo == -1) {
		if (tok != RP_COMMA)
			return rerr_at(
			    ps->err, -EINVAL, ps->i,
			    "empty repetition count {} (write {1}, or escape it as \\{)");
		lo = 0;
	}
	if (lo == -2)
		return 0;
	hi = tok == RP_CLOSE ? lo : tok == RP_COMMA ? rp_fetch_number(ps, &k, &tok) : -2;
	if (hi == -2)
		return 0;
	if (hi != -1 && lo > hi)
		return rerr_at(ps->err, -EINVAL, ps->i,
			       "invalid repetition {%ld,%ld}: the minimum exceeds the maximum "
			       "(write {%ld,%ld})",
			       lo, hi, hi, lo);
	if (tok != RP_CLOSE)
		return rerr_at(ps->err, -EINVAL, ps->i,
			       "invalid repetition count (write {m}, {m,}, {,n} or {m,n})");
	if ((hi == -1 ? lo : hi) > REGEX_DUP_MAX)
		return rerr_at(ps->err, -EINVAL, ps->i,
			       "repetition count over %u (RE_DUP_MAX): use a smaller count",
			       REGEX_DUP_MAX);
	return 0;
}

static long rp_digits(const struct rparse *ps, size_t *j)
{
	long v = -1;

	for (; *j < ps->len && ps->p[*j] >= '0' && ps->p[*j] <= '9'; (*j)++) {
		long d = ps->p[*j] - '0';

		v = v < 0 ? d : v * 10 + d > REGEX_DUP_MAX ? REGEX_DUP_MAX + 1 : v * 10 + d;
	}
	return v;
}

/*
 * At a '{': *rep is set when it is an interval (ps->i then moves past the
 * '}'), left clear when the '{' is a literal, as grep takes "a{", "a{x"
 * and "a{1". A '{' opening a branch is skipped by regcomp, so it cannot
 * complain there: leading is set then.
 */
static int rp_interval(struct rparse *ps, bool leading, bool *rep, uint32_t *min, uint32_t *max)
{
	size_t j = ps->i + 1;
	long lo, hi = -1;
	int ret;

	*rep = false;
	if (!leading) {
		ret = rp_interval_regcomp(ps);
		if (ret)
			return ret;
	}
	lo = rp_digits(ps, &j);
	if (j < ps->len) {
		if (ps->p[j] != ',') {
			hi = lo;
		} else {
			if (lo < 0)
				lo = 0;
			j++;
			hi = rp_digits(ps, &j);
		}
	}
	if (j >= ps->len || ps->p[j] != '}' || lo < 0 || (hi >= 0 && lo > hi))
		return 0;
	if (lo > REGEX_DUP_MAX || hi > REGEX_DUP_MAX)
		return rerr_at(ps->err, -EINVAL, ps->i,
			       "repetition count over %u (RE_DUP_MAX): use a smaller count",
			       REGEX_DUP_MAX);
	*rep = true;
	*min = (uint32_t)lo;
	*max = hi < 0 ? RAST_INF : (uint32_t)hi;
	ps->i = j + 1;
	return 0;
}

static bool rp_is_dup(uint8_t c)
{
	return c == '*' || c == '+' || c == '?';
}

static int rp_alt(struct rparse *ps, uint32_t *out, uint32_t *height);

static int rp_escape(struct rparse *ps, uint32_t *out, uint32_t *height)
{
	size_t at = ps->i;
	struct rset s = {0};
	int ret;

	if (at + 1 >= ps->len)
		return rerr_at(ps->err, -EINVAL, at, "trailing backslash (escape it as \\\\)");
	uint8_t c = ps->p[at + 1];
	ps->i += 2;
	if (c >= '1' && c <= '9')
		return rerr_at(ps->err, -EINVAL, at,
			       "back-references (\\%c) are not supported by a DFA (repeat the "
			       "group's text instead, or use grep)",
			       c);
	if (strchr("bB<>`'", c))
		return rerr_at(ps->err, -EINVAL, at,
			       "\\%c (a word or buffer boundary) is not supported by the line DFA "
			       "(match the neighbour instead, e.g. (^|\\W)word(\\W|$))",
			       c);
	if (ps->utf8 && c && strchr("wWsS", c))
		return ru8_escape_class(ps, c, out, height);
	if (ps->utf8 && (c >= 0x80 || ps->icase)) {
		ps->i = at + 1; /* the escaped character, one atom, folded */
		return ru8_char(ps, out, height);
	}
	switch (c) {
	case 'w':
	case 'W':
		ret = rset_class("alnum", 5, false, &s);
		if (ret)
			return ret;
		rset_add(&s, '_');
		if (c == 'W')
			rset_invert(&s);
		break;
	case 's':
	case 'S':
		ret = rset_class("space", 5, false, &s);
		if (ret)
			return ret;
		if (c == 'S')
			rset_invert(&s);
		break;
	default:
		rset_add(&s, c);
		break;
	}
	return rp_set(ps, &s, out);
}

static int rp_group(struct rparse *ps, uint32_t *out, uint32_t *height)
{
	size_t open = ps->i;
	int ret;

	if (++ps->depth > REGEX_DEPTH_MAX)
		return rp_too_deep(ps);
	ps->i++;
	ret = rp_alt(ps, out, height);
	if (ret)
		return ret;
	if (ps->i >= ps->len)
		return rerr_at(ps->err, -EINVAL, open,
			       "unbalanced '(' (add a ')' or escape it as \\()");
	ps->i++; /* the ')' */
	ps->depth--;
	return 0;
}

static int rp_atom(struct rparse *ps, uint32_t *out, uint32_t *height)
{
	struct rset s = {0};
	uint8_t c = ps->p[ps->i];
	int ret;

	*height = 1;
	switch (c) {
	case '(':
		return rp_group(ps, out, height);
	case '\\':
		return rp_escape(ps, out, height);
	case '[':
		ps->i++;
		if (ps->utf8)
			return ru8_bracket(ps, out, height);
		ret = rbracket_parse(ps, &s);
		if (ret)
			return ret;
		return rp_set(ps, &s, out);
	case '.':
		ps->i++;
		if (ps->utf8)
			return ru8_dot(ps, out, height);
		rset_invert(&s);
		return rp_set(ps, &s, out);
	case '^':
		ps->i++;
		return rast_new(ps->ast, RAST_BOL, 0, out);
	case '$':
		ps->i++;
		return rast_new(ps->ast, RAST_EOL, 0, out);
	default:
		if (ps->utf8 && (c >= 0x80 || ps->icase))
			return ru8_char(ps, out, height);
		ps->i++;
		return rp_byte(ps, c, out);
	}
}

/*
 * regcomp skips a dup operator with nothing to repeat and then reads the
 * ')' after it as a literal (grep sets RE_UNMATCHED_RIGHT_PAREN_ORD), so
 * the group stays open: "(*)" is refused, "(*)x)" taken, its last ')'
 * closing the group. dfa.c closes the group at the first ')' and finds
 * the last one unmatched, which we refuse. So this refusal waits for the
 * end of the pattern: an unmatched ')' found meanwhile is the reason to
 * give, the one grep's answer hinges on (and the test allows).
 */
static void rp_dup_before_paren(struct rparse *ps, size_t at)
{
	if (ps->dup_at == SIZE_MAX)
		ps->dup_at = at;
}

/*
 * An atom and its dup operators. At a branch's start a dup operator
 * repeats the empty string, and after '^' or '$' it repeats the anchor
 * (dfa.c). regcomp skips dup operators there instead (`skip`), so it
 * cannot complain about an interval there, but refuses "(*)" and "(^+)",
 * where a skipped operator is all that comes before ')': so do we.
 */
static int rp_closure(struct rparse *ps, bool branch_start, uint32_t *out, uint32_t *height)
{
	uint32_t node = 0, r = 0, min = 0, max = 0, reps = 0;
	bool rep = false, leading = false, skip = branch_start;
	uint8_t c = ps->p[ps->i];
	size_t start = ps->i;
	int ret;

	if (rp_is_dup(c)) {
		leading = true;
	} else if (c == '{' && ps->i != ps->brace_literal) {
		ret = rp_interval(ps, skip, &rep, &min, &max);
		if (ret)
			return ret;
		if (!rep && skip && ps->depth && ps->i + 1 < ps->len && ps->p[ps->i + 1] == ')')
			rp_dup_before_paren(ps, ps->i);
		leading = rep;
	}
	if (leading) {
		*height = 1;
		ret = rast_new(ps->ast, RAST_EMPTY, 0, &node);
	} else {
		ret = rp_atom(ps, &node, height);
		skip = c == '^' || c == '$'; /* a bare anchor, not "(^)" */
	}
	if (ret)
		return ret;
	for (;;) {
		if (rep) {
			rep = false; /* the leading interval, already read */
			c = '{';
			skip = false;
		} else if (ps->i >= ps->len) {
			break;
		} else if (rp_is_dup(c = ps->p[ps->i])) {
			min = c == '+' ? 1 : 0;
			max = c == '?' ? 1 : RAST_INF;
			ps->i++;
		} else if (c == '{') {
			ret = rp_interval(ps, skip, &rep, &min, &max);
			if (ret)
				return ret;
			if (!rep) {
				if (skip && ps->depth && ps->i + 1 < ps->len &&
				    ps->p[ps->i + 1] == ')')
					rp_dup_before_paren(ps, ps->i);
				ps->brace_literal = ps->i;
				break;
			}
			rep = false;
			skip = false; /* regcomp took "{m,n}" as literal bytes */
		} else {
			break;
		}
		if (*height + ++reps > REGEX_DEPTH_MAX)
			return rp_too_deep(ps);
		ret = rast_new(ps->ast, RAST_REP, node, &r);
		if (ret)
			return ret;
		ps->ast->v[r].min = min;
		ps->ast->v[r].max = max;
		ps->ast->v[r].pos = (uint32_t)start;
		ps->ast->v[r].end = (uint32_t)ps->i;
		node = r;
	}
	if (skip && reps && ps->depth && ps->i < ps->len && ps->p[ps->i] == ')')
		rp_dup_before_paren(ps, ps->i - 1);
	*height += reps;
	*out = node;
	return 0;
}

static int rp_branch(struct rparse *ps, uint32_t *out, uint32_t *height)
{
	struct rp_list l = {0};
	uint32_t node = 0, h = 0;
	int ret;

	while (ps->i < ps->len && ps->p[ps->i] != '|') {
		if (ps->p[ps->i] == ')') {
			if (ps->depth)
				break;
			return rerr_at(ps->err, -EINVAL, ps->i,
				       "unbalanced ')' (escape it as \\) or add a '(')");
		}
		ret = rp_closure(ps, l.n == 0, &node, &h);
		if (ret)
			return ret;
		rp_append(ps, &l, node, h);
	}
	ret = rp_close_list(ps, &l, RAST_CAT, out, height);
	if (!ret && *height > REGEX_DEPTH_MAX)
		return rp_too_deep(ps);
	return ret;
}

static int rp_alt(struct rparse *ps, uint32_t *out, uint32_t *height)
{
	struct rp_list l = {0};
	uint32_t node = 0, h = 0;
	int ret;

	for (;;) {
		ret = rp_branch(ps, &node, &h);
		if (ret)
			return ret;
		rp_append(ps, &l, node, h);
		if (ps->i >= ps->len || ps->p[ps->i] != '|')
			break;
		ps->i++;
	}
	ret = rp_close_list(ps, &l, RAST_ALT, out, height);
	if (!ret && *height > REGEX_DEPTH_MAX)
		return rp_too_deep(ps);
	return ret;
}

/*
 * Children are made before their parent, so one pass in index order sees
 * a node's children simplified before the node. empty[i]: node i matches
 * only the empty string. The NFA of "(|){1000}" would otherwise be 1000
 * epsilon-only states, and of (((){1000}){1000}){1000} a billion calls
 * building nothing.
 */
static int rast_simplify(struct rast *a)
{
	uint8_t *empty = malloc(a->n ? a->n : 1);

	if (!empty)
		return -ENOMEM;
	for (uint32_t i = 0; i < a->n; i++) {
		struct rast_node *n = &a->v[i];
		uint32_t *link = &n->arg;
		bool all = true, seen = false;

		switch (n->kind) {
		case RAST_EMPTY:
			empty[i] = 1;
			continue;
		case RAST_SET:
		case RAST_BOL:
		case RAST_EOL:
			empty[i] = 0;
			continue;
		case RAST_REP:
			empty[i] = n->max == 0 || empty[n->arg];
			break;
		case RAST_CAT:
		case RAST_ALT:
			/* unlink empty children: all of them from a CAT, all but one from an ALT */
			while (*link != RAST_NONE) {
				uint32_t c = *link;

				if (empty[c] && (n->kind == RAST_CAT || seen)) {
					*link = a->v[c].next;
					continue;
				}
				seen |= empty[c];
				all &= empty[c];
				link = &a->v[c].next;
			}
			empty[i] = all;
			break;
		}
		if (empty[i]) {
			n->kind = RAST_EMPTY;
			n->arg = 0;
		}
	}
	free(empty);
	return 0;
}

int rast_parse(struct rast *a, struct rset_tab *sets, const uint8_t *p, size_t len, bool icase,
	       bool utf8, struct rerr *e, uint32_t *root)
{
	struct rparse ps = {.p = p,
			    .len = len,
			    .icase = icase,
			    .utf8 = utf8,
			    .ast = a,
			    .sets = sets,
			    .err = e,
			    .brace_literal = SIZE_MAX,
			    .dup_at = SIZE_MAX};
	uint32_t height;
	int ret = rp_alt(&ps, root, &height);

	ret = rast_full(a, ret, e, ps.i);
	if (!ret && ps.dup_at != SIZE_MAX)
		return rerr_at(e, -EINVAL, ps.dup_at,
			       "'%c' repeats nothing before ')' (escape it as \\%c)", p[ps.dup_at],
			       p[ps.dup_at]);
	return ret ? ret : rast_simplify(a);
}

int rast_parse_piece(struct rast *a, struct rset_tab *sets, const uint8_t *p, size_t len,
		     bool fixed, bool icase, bool utf8, struct rerr *e, uint32_t *root)
{
	if (fixed)
		return ru8_literal(a, sets, p, len, icase, e, root);
	return rast_parse(a, sets, p, len, icase, utf8, e, root);
}
