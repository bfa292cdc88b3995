// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_match.c - Where in a selected line the matches are, for -o and --color: the GPU
 * says which lines are selected, glibc's regex finds the matches in them.
 */
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "vyrectl_grep.h"

/*
 * The daemon says which lines are selected, not where in them the matches
 * are. For -o, each selected line (already chosen by the GPU) is searched
 * here for its matches with glibc's regex, compiled from the patterns as
 * grep 3.8 compiles them for the same job (re_compile_pattern with
 * RE_SYNTAX_GREP or RE_SYNTAX_EGREP, RE_ICASE for -i, in the locale), and
 * each match is taken as grep's EGexecute takes it: leftmost, then
 * longest over the patterns; under -w the longest at that start with a
 * non-word character or the line's edge on both sides, else the next
 * start; under -x the whole line. Empty matches are not printed.
 */
struct grep_only {
	struct re_pattern_buffer *re;
	size_t n;
};

static struct grep_only grep_only_res;

void only_free(void)
{
	for (size_t i = 0; i < grep_only_res.n; i++)
		regfree(&grep_only_res.re[i]);
	free(grep_only_res.re);
	grep_only_res = (struct grep_only){0};
}

int only_compile(const struct grep_opts *o, const char *p, size_t n)
{
	reg_syntax_t syn = o->dialect == GREP_ERE ? RE_SYNTAX_EGREP : RE_SYNTAX_GREP;
	struct re_pattern_buffer *re, *v;
	struct buf esc = {0};
	const char *err;
	int ret = 0;

	if (o->dialect == GREP_FIXED) {
		for (size_t i = 0; i < n && !ret; i++) {
			if (strchr(".[]*^$\\", p[i]) && p[i])
				ret = buf_put(&esc, "\\", 1);
			if (!ret)
				ret = buf_put(&esc, p + i, 1);
		}
		if (ret)
			return ret;
		p = esc.data ? esc.data : "";
		n = esc.len;
	}
	v = realloc(grep_only_res.re, (grep_only_res.n + 1) * sizeof(*v));
	if (!v) {
		buf_free(&esc);
		return -ENOMEM;
	}
	grep_only_res.re = v;
	re = &v[grep_only_res.n];
	memset(re, 0, sizeof(*re));
	re_set_syntax(syn | (o->icase ? RE_ICASE : 0));
	err = re_compile_pattern(p, n, re);
	buf_free(&esc);
	if (err) {
		fprintf(stderr, "vyrectl grep: -o: %s\n", err);
		return -EINVAL;
	}
	re->regs_allocated = REGS_UNALLOCATED;
	grep_only_res.n++;
	return 0;
}

/* Is the character ending just before p[at] (or starting at p[at]) a word character? */
static bool only_wordchar(const struct grep_opts *o, const char *p, size_t n, size_t at,
			  bool before)
{
	if (before ? at == 0 : at >= n)
		return false;
	if (o->utf8) {
		for (size_t k = 1; k <= 4; k++) {
			mbstate_t st = {0};
			wchar_t w;
			size_t start = before ? at - k : at, got;

			if (before && k > at)
				break;
			got = mbrtowc(&w, p + start, k, &st);
			if (got == k)
				return w == L'_' || iswalnum((wint_t)w);
			if (!before && got != (size_t)-2)
				break;
		}
		return false;
	}
	unsigned char c = (unsigned char)p[before ? at - 1 : at];

	return c == '_' || (unsigned)((c | 32) - 'a') < 26 || (unsigned)(c - '0') < 10;
}

/* Pattern re's first acceptable match in line[0..n) from pos: *ms, *ml; false if none. */
static bool only_find(const struct grep_opts *o, struct re_pattern_buffer *re, const char *p,
		      size_t n, size_t pos, size_t *ms, size_t *ml)
{
	struct re_registers regs = {0};
	bool found = false;

	while (pos <= n) {
		regoff_t s =
		    re_search(re, p, (regoff_t)n, (regoff_t)pos, (regoff_t)(n - pos), &regs);
		size_t len;

		if (s < 0)
			break;
		len = (size_t)(regs.end[0] - s);
		if (!o->word) {
			*ms = (size_t)s;
			*ml = len;
			found = true;
			break;
		}
		for (;;) {
			regoff_t shorter;

			if (!only_wordchar(o, p, n, (size_t)s, true) &&
			    !only_wordchar(o, p, n, (size_t)s + len, false)) {
				*ms = (size_t)s;
				*ml = len;
				found = true;
				break;
			}
			if (!len)
				break;
			/* a shorter match at the same start, the line's end not its end */
			re->not_eol = 1;
			shorter = re_match(re, p, (regoff_t)((size_t)s + len - 1), s, &regs);
			re->not_eol = 0;
			if (shorter <= 0)
				break;
			len = (size_t)shorter;
		}
		if (found)
			break;
		pos = (size_t)s + 1;
	}
	free(regs.start);
	free(regs.end);
	return found;
}

/* The next match in line[0..n) from pos, grep's way: *ms, *ml; false if none. */
bool match_next(const struct grep_opts *o, const char *p, size_t n, size_t pos, size_t *ms,
		size_t *ml)
{
	size_t bs = SIZE_MAX, bl = 0;

	if (o->xline) { /* the daemon selected the line: it is the match */
		*ms = 0;
		*ml = n;
		return pos == 0;
	}
	for (size_t i = 0; i < grep_only_res.n; i++) {
		size_t s, l;

		if (only_find(o, &grep_only_res.re[i], p, n, pos, &s, &l) &&
		    (s < bs || (s == bs && l > bl))) {
			bs = s;
			bl = l;
		}
	}
	*ms = bs;
	*ml = bl;
	return bs != SIZE_MAX;
}
