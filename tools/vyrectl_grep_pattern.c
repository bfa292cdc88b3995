// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_pattern.c - Pattern translation: -e and -f's patterns, BRE (-G), ERE (-E) or
 * strings (-F), into the one dialect the daemon compiles (grep -E's), with
 * -x and -w's wrapping; back-references refused with why. Characters are
 * the daemon's business: in a UTF-8 locale the job says utf8=1 and the
 * compiler (regex/regex_utf8.c) reads '.', brackets, classes and -i as
 * grep does there; bytes pass through this translation unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vyrectl_grep.h"

int grep_pattern_error(const char *pat, const char *what)
{
	fprintf(stderr, "vyrectl grep: %s: %s\n", pat, what);
	return -EINVAL;
}

/* How the translation reads a pattern. */
struct xlate {
	const struct grep_opts *o;
	const char *p; /* the pattern, for messages (NUL-terminated copy) */
	size_t n;
	struct buf *out;
};

/* Emits the literal byte c, escaped when it means something in an ERE. */
static int x_literal(struct buf *b, char c)
{
	if (strchr(".[]()*+?{}|^$\\", c) && c) {
		char e[2] = {'\\', c};

		return buf_put(b, e, 2);
	}
	return buf_put(b, &c, 1);
}

/*
 * End of the bracket expression starting at p[i] == '['; n when it has no
 * ']' (the daemon then says it is unterminated). Inside brackets BRE and
 * ERE agree, so a bracket is copied whole.
 */
static size_t bracket_end(const char *p, size_t n, size_t i)
{
	size_t j = i + 1;

	if (j < n && p[j] == '^')
		j++;
	if (j < n && p[j] == ']')
		j++;
	while (j < n && p[j] != ']') {
		if (p[j] == '[' && j + 1 < n && p[j + 1] && strchr(":.=", p[j + 1])) {
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

static int x_backref(struct xlate *x, char d)
{
	char msg[160];

	snprintf(msg, sizeof(msg),
		 "back-references (\\%c) are not supported: the GPU runs a DFA, which cannot "
		 "match them (use GNU grep for this pattern)",
		 d);
	return grep_pattern_error(x->p, msg);
}

/* \w \W \s \S and escapes the daemon reads as they are. */
static int x_escape(struct xlate *x, char d)
{
	char e[2] = {'\\', d};

	if (d >= '1' && d <= '9')
		return x_backref(x, d);
	return buf_put(x->out, e, 2);
}

static int x_bracket(struct xlate *x, size_t *i)
{
	size_t end = bracket_end(x->p, x->n, *i);
	int ret;

	if (end >= x->n) { /* unterminated: the daemon's message names it */
		ret = buf_put(x->out, x->p + *i, x->n - *i);
		*i = x->n;
		return ret;
	}
	ret = buf_put(x->out, x->p + *i, end + 1 - *i);
	*i = end + 1;
	return ret;
}

/*
 * GNU BRE into ERE, as gnulib's dfa.c lexes grep's BRE: \( \) \| \{ \} \+
 * \? are the operators and ( ) | { } + ? literals; '*', \{, \+ and \? are
 * literal where an expression starts (the pattern's start, after \( or \|,
 * after a leading ^); '^' is an anchor only there, '$' only at the end or
 * before \) or \|.
 */
static int x_bre(struct xlate *x)
{
	const char *p = x->p;
	size_t n = x->n, i = 0;
	bool start = true; /* dfa.c's laststart */
	int ret = 0, depth = 0;

	while (i < n && !ret) {
		char c = p[i];
		bool was_start = start;

		start = false;
		if (c == '\\') {
			char d;

			if (i + 1 >= n)
				return grep_pattern_error(p, "trailing backslash (write \\\\)");
			d = p[i + 1];
			i += 2;
			switch (d) {
			case '(':
				depth++;
				start = true;
				ret = buf_put(x->out, "(", 1);
				break;
			case ')':
				if (!depth)
					return grep_pattern_error(p, "Unmatched ) or \\)");
				depth--;
				ret = buf_put(x->out, ")", 1);
				break;
			case '|':
				start = true;
				ret = buf_put(x->out, "|", 1);
				break;
			case '+':
			case '?':
				ret = was_start ? x_literal(x->out, d) : buf_put(x->out, &d, 1);
				break;
			case '{': {
				size_t j = i;

				if (was_start) {
					ret = x_literal(x->out, '{');
					break;
				}
				while (j < n && ((p[j] >= '0' && p[j] <= '9') || p[j] == ','))
					j++;
				if (j + 1 >= n || p[j] != '\\' || p[j + 1] != '}')
					return grep_pattern_error(p, "Unmatched \\{");
				ret = buf_put(x->out, "{", 1);
				if (!ret)
					ret = buf_put(x->out, p + i, j - i);
				if (!ret)
					ret = buf_put(x->out, "}", 1);
				i = j + 2;
				break;
			}
			case '}':
				ret = x_literal(x->out, '}');
				break;
			default:
				ret = x_escape(x, d);
				break;
			}
			continue;
		}
		switch (c) {
		case '[':
			ret = x_bracket(x, &i);
			continue;
		case '.':
			ret = buf_put(x->out, ".", 1);
			break;
		case '*':
			if (was_start)
				ret = x_literal(x->out, '*');
			else {
				ret = buf_put(x->out, "*", 1);
			}
			break;
		case '^':
			if (was_start) {
				ret = buf_put(x->out, "^", 1);
				start = true;
			} else {
				ret = x_literal(x->out, '^');
			}
			break;
		case '$':
			if (i + 1 == n || (i + 2 < n + 1 && p[i + 1] == '\\' && i + 2 < n &&
					   (p[i + 2] == ')' || p[i + 2] == '|')))
				ret = buf_put(x->out, "$", 1);
			else
				ret = x_literal(x->out, '$');
			break;
		default:
			ret = x_literal(x->out, c);
			break;
		}
		i++;
	}
	if (!ret && depth)
		return grep_pattern_error(p, "Unmatched ( or \\(");
	return ret;
}

/*
 * An ERE as grep -E reads it, into the daemon's: back-references refused
 * here with a message that says why, a ')' with no '(' a literal (as
 * grep).
 */
static int x_ere(struct xlate *x)
{
	const char *p = x->p;
	size_t n = x->n, i = 0;
	int ret = 0, depth = 0;

	while (i < n && !ret) {
		char c = p[i];

		if (c == '\\') {
			if (i + 1 >= n)
				return grep_pattern_error(p, "trailing backslash (write \\\\)");
			ret = x_escape(x, p[i + 1]);
			i += 2;
			continue;
		}
		switch (c) {
		case '[':
			ret = x_bracket(x, &i);
			continue;
		case '.':
			ret = buf_put(x->out, ".", 1);
			break;
		case '(':
			depth++;
			ret = buf_put(x->out, "(", 1);
			break;
		case ')':
			if (depth) {
				depth--;
				ret = buf_put(x->out, ")", 1);
			} else {
				ret = x_literal(x->out, ')');
			}
			break;
		case '*':
		case '+':
		case '?':
		case '{':
		case '}':
		case '|':
		case '^':
		case '$':
			ret = buf_put(x->out, &c, 1);
			break;
		default:
			ret = x_literal(x->out, c);
			break;
		}
		i++;
	}
	return ret;
}

/* -F's string as an ERE (for -x or -w). */
static int x_fixed(struct xlate *x)
{
	int ret = 0;

	for (size_t i = 0; i < x->n && !ret; i++)
		ret = x_literal(x->out, x->p[i]);
	return ret;
}

/*
 * -w's edges: a non-word character or the line's edge (in a UTF-8 locale
 * also bytes that are no valid character, as grep's: vyrectl_grep_word.c).
 */
static int x_wrap_word(struct buf *b, bool before)
{
	/* \W, not [^[:alnum:]_]: -i folds a bracket, and in C.UTF-8 that is not the same set */
	return buf_puts(b, before ? "(^|\\W)" : "(\\W|$)");
}

/* One pattern in the daemon's ERE (or as is, for fixed=1) into core. */
static int pat_core(const struct grep_opts *o, const struct grep_pats *pats, const char *p,
		    size_t n, struct buf *core)
{
	struct buf one = {0};
	struct xlate x = {.o = o, .n = n, .out = core};
	int ret = buf_put(&one, p, n); /* a NUL-terminated copy, for messages */

	x.p = one.data ? one.data : "";
	if (!ret && pats->fixed)
		ret = buf_put(core, p, n);
	else if (!ret && o->dialect == GREP_FIXED)
		ret = x_fixed(&x);
	else if (!ret && o->dialect == GREP_BRE)
		ret = x_bre(&x);
	else if (!ret)
		ret = x_ere(&x);
	buf_free(&one);
	return ret;
}

/*
 * One pattern, as the daemon gets it, appended to pats with its newline;
 * under -w in a UTF-8 locale, to `joined` as one more alternative,
 * "(p1)|(p2)", which pats_build wraps once: the edges' byte classes
 * (vyrectl_grep_word.c) wrapped around each of 20 patterns took the
 * compile past its work bound, around all 979 words of a list 0.1 s.
 */
static int pat_add(const struct grep_opts *o, struct grep_pats *pats, const char *p, size_t n,
		   struct buf *joined)
{
	struct buf core = {0};
	int ret = pat_core(o, pats, p, n, &core);

	if (!ret && !pats->fixed && o->xline) {
		ret = buf_puts(&pats->text, "^(");
		if (!ret)
			ret = buf_put(&pats->text, core.data ? core.data : "", core.len);
		if (!ret)
			ret = buf_puts(&pats->text, ")$");
	} else if (!ret && !pats->fixed && o->word && o->utf8) {
		ret = buf_puts(joined, joined->len ? "|(" : "(");
		if (!ret)
			ret = buf_put(joined, core.data ? core.data : "", core.len);
		if (!ret)
			ret = buf_puts(joined, ")");
		goto out; /* pats_build adds it */
	} else if (!ret && !pats->fixed && o->word) {
		ret = x_wrap_word(&pats->text, true);
		if (!ret)
			ret = buf_puts(&pats->text, "(");
		if (!ret)
			ret = buf_put(&pats->text, core.data ? core.data : "", core.len);
		if (!ret)
			ret = buf_puts(&pats->text, ")");
		if (!ret)
			ret = x_wrap_word(&pats->text, false);
	} else if (!ret) {
		ret = buf_put(&pats->text, core.data ? core.data : "", core.len);
	}
	if (!ret)
		ret = buf_put(&pats->text, "\n", 1);
	if (!ret)
		pats->n++;
out:
	if (ret == -ENOMEM)
		fprintf(stderr, "vyrectl grep: %s\n", strerror(ENOMEM));
	buf_free(&core);
	return ret;
}

/* The text of -e and -f, in order; each of its lines is a pattern. */
static int pat_sources(const struct grep_opts *o, struct buf *all, bool *any)
{
	int ret = 0;

	*any = false;
	for (size_t i = 0; i < o->nsrcs && !ret; i++) {
		const struct grep_src *src = &o->srcs[i];

		if (!src->file) {
			/* "a\n" is two patterns, "a" and the empty one, as grep reads -e */
			ret = buf_puts(all, src->arg);
			if (!ret)
				ret = buf_put(all, "\n", 1);
			*any = true;
			continue;
		}
		int fd =
		    strcmp(src->arg, "-") ? open(src->arg, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
		size_t before = all->len;

		if (fd < 0) {
			ret = -errno;
			fprintf(stderr, "vyrectl grep: %s: %s\n", src->arg, strerror(-ret));
			break;
		}
		ret = buf_read_fd(all, fd);
		if (fd != STDIN_FILENO)
			close(fd);
		if (ret) {
			fprintf(stderr, "vyrectl grep: %s: %s\n", src->arg, strerror(-ret));
			break;
		}
		/* a -f file's last line needs no newline; an empty file holds no pattern */
		if (all->len > before) {
			*any = true;
			if (all->data[all->len - 1] != '\n')
				ret = buf_put(all, "\n", 1);
		}
	}
	return ret;
}

/*
 * Every pattern, translated. -F goes literally (fixed=1) unless -x or -w
 * need an ERE. No pattern at all (-f /dev/null) selects no line; with -v, a
 * pattern that matches nothing ("a^") selects every line.
 */
int pats_build(const struct grep_opts *o, struct grep_pats *pats)
{
	struct buf all = {0}, joined = {0};
	bool any, joining = o->word && o->utf8 && !o->xline;
	int ret = pat_sources(o, &all, &any);

	if (ret)
		goto out;
	pats->fixed = o->dialect == GREP_FIXED && !o->xline && !o->word;
	if (!ret && o->count_per_pattern)
		ret = buf_put(&pats->orig, all.data ? all.data : "", all.len);
	for (size_t pos = 0; pos < all.len && !ret;) {
		char *nl = memchr(all.data + pos, '\n', all.len - pos);
		size_t end = nl ? (size_t)(nl - all.data) : all.len;

		ret = pat_add(o, pats, all.data + pos, end - pos, &joined);
		pos = end + 1;
	}
	if (!ret && joining && any) {
		ret = word_wrap_utf8(&pats->text, joined.data ? joined.data : "", joined.len);
		if (!ret)
			ret = buf_put(&pats->text, "\n", 1);
		pats->n = 1;
	}
	/* -o finds the matches in the lines the GPU selected: the same patterns, glibc's regex */
	for (size_t pos = 0;
	     ((o->only && !o->invert) || grep_color || o->json || o->count_matches) &&
	     pos < all.len && !ret;) {
		char *nl = memchr(all.data + pos, '\n', all.len - pos);
		size_t end = nl ? (size_t)(nl - all.data) : all.len;

		ret = only_compile(o, all.data + pos, end - pos);
		pos = end + 1;
	}
	/*
	 * grep.c: no pattern at all (-f /dev/null) is the empty pattern,
	 * inverted, -x and -w dropped; and when the patterns are that one
	 * empty pattern inverted, no line can be selected: grep exits 1
	 * reading nothing, but for -L, which lists every file then (here:
	 * a pattern that selects nothing, "a^", is scanned).
	 */
	pats->invert = o->invert;
	if (!ret && !any) {
		pats->fixed = false;
		pats->text.len = 0;
		ret = buf_puts(&pats->text, "a^\n"); /* matches no line */
		pats->n = 1;
		pats->nothing = !o->invert;
	} else if (!ret && o->invert && !o->xline && !o->word &&
		   strspn(all.data, "\n") == all.len) {
		pats->nothing = true; /* grep drops repeated patterns: "" "" is "" */
	}
	if (o->list == GREP_LIST_OTHERS)
		pats->nothing = false;
out:
	buf_free(&joined);
	buf_free(&all);
	return ret;
}
