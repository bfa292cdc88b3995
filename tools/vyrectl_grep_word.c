// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_word.c - -w's edges in a UTF-8 locale, as the daemon's ERE.
 *
 * grep 3.8 selects a line under -w when a match of p has a non-word
 * character or the line's edge on each side, and it reads the characters
 * around a match with mbrtowc (searchutils.c: wordchar_prev looks back
 * at most 3 continuation bytes for a lead, wordchar_next decodes forward):
 * a byte that is no part of a valid character is a non-word character
 * there, as are glibc's RFC 2279 forms past U+10FFFF. \W (regex_utf8.c)
 * holds valid characters only, so (^|\W)(p)(\W|$) missed every edge made
 * of such bytes. The edges below are byte strings whose presence next to
 * p says grep would find a non-word character there:
 *  - before p (the line's text ends with one): \W; a byte that starts no
 *    character (c0 c1 fe ff), alone or with continuation bytes after it;
 *    continuation bytes after a whole character or at the line's start;
 *    a lead with a continuation that cannot follow it (an overlong or a
 *    surrogate: e0 80..9f, ed a0..bf, f0 80..8f, f8 80..87, fc 80..83) and
 *    what follows; these all end where a character ends, whatever comes
 *    next. Besides, edge_inc: a lead with fewer continuation bytes than
 *    its character needs, or four continuation bytes in a row: those are
 *    a non-word character only because p's first byte is no continuation,
 *    true of every non-empty match of a pattern of characters;
 *  - after p (the text from there starts with one): \W, the line's end,
 *    a continuation byte, a byte that starts no character, a lead whose
 *    continuation bytes stop (another byte, or the line's end) before its
 *    character is whole.
 * A pattern that matches the empty string gets no edge_inc before it:
 * its empty match could sit between a lead and its continuation bytes,
 * where grep never looks; edge_empty stands for its empty match after an
 * invalid lead instead (what is lost: an invalid lead, then a non-empty
 * match, then a continuation byte). The daemon's parser reads a bracket holding a byte that is
 * no valid UTF-8 as bytes (regex/regex_utf8_bracket.c), which is how each
 * class of bytes below is written.
 */
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vyrectl_grep.h"

/*
 * The alternatives, written with <lo-hi,lo-hi> for a bracket listing
 * those bytes (<^lo-hi> for its complement); the rest is ERE text.
 */
static const char *const edge_before[] = {
    "^",
    "\\W",
    "<c0-c1,fe-ff><80-bf>{0,3}",
    "^<80-bf>{1,3}",
    "(.|\\W)<80-bf>{1,3}",
    "<e0-e0><80-9f><80-bf>{0,2}",
    "<ed-ed><a0-bf><80-bf>{0,2}",
    "<f0-f0><80-8f><80-bf>{0,2}",
    "<f8-f8><80-87><80-bf>{0,2}",
    "<fc-fc><80-83><80-bf>{0,2}",
};

static const char *const edge_inc[] = {
    "<c2-fd>",
    "<e0-e0><a0-bf>",
    "<e1-ec,ee-ef><80-bf>",
    "<ed-ed><80-9f>",
    "<f0-f0><90-bf><80-bf>?",
    "<f1-f7><80-bf>{1,2}",
    "<f8-f8><88-bf><80-bf>{0,2}",
    "<f9-fb><80-bf>{1,3}",
    "<fc-fc><84-bf><80-bf>{0,2}",
    "<fd-fd><80-bf>{1,3}",
    "<80-bf>{4}",
};

static const char *const edge_after[] = {
    "$",
    "\\W",
    "<c0-c1,fe-ff>",
    "<c2-df>(<^80-bf>|$)",
    "<e0-e0>(<^a0-bf>|$)",
    "<e0-e0><a0-bf>(<^80-bf>|$)",
    "<e1-ec,ee-ef><80-bf>?(<^80-bf>|$)",
    "<ed-ed>(<^80-9f>|$)",
    "<ed-ed><80-9f>(<^80-bf>|$)",
    "<f0-f0>(<^90-bf>|$)",
    "<f0-f0><90-bf><80-bf>?(<^80-bf>|$)",
    "<f1-f7><80-bf>{0,2}(<^80-bf>|$)",
    "<f8-f8>(<^88-bf>|$)",
    "<f8-f8><88-bf><80-bf>{0,2}(<^80-bf>|$)",
    "<f9-fb><80-bf>{0,3}(<^80-bf>|$)",
    "<fc-fc>(<^84-bf>|$)",
    "<fc-fc><84-bf><80-bf>{0,3}(<^80-bf>|$)",
    "<fd-fd><80-bf>{0,4}(<^80-bf>|$)",
    "<80-bf>", /* last: after edge_inc, a pattern matching the empty string takes the others */
};

/*
 * For a pattern that matches the empty string: its empty match just after
 * an invalid lead, where the next character is a non-word one. With a
 * non-continuation byte next, edge_inc then edge_after but its last; with
 * a continuation byte next (a lone one then, as grep reads it), a lead
 * and what proves it invalid: a continuation it cannot take, or one it
 * can followed by a byte that stops it short or the line's end.
 */
static const char *const edge_empty[] = {
    "<e0-e0><80-9f>",
    "<e0-e0><a0-bf>(<^80-bf>|$)",
    "<e1-ec,ee-ef><80-bf>(<^80-bf>|$)",
    "<ed-ed><a0-bf>",
    "<ed-ed><80-9f>(<^80-bf>|$)",
    "<f0-f0><80-8f>",
    "<f0-f0><90-bf><80-bf>?(<^80-bf>|$)",
    "<f1-f7><80-bf>{1,2}(<^80-bf>|$)",
    "<f8-f8><80-87>",
    "<f8-f8><88-bf><80-bf>{0,2}(<^80-bf>|$)",
    "<f9-fb><80-bf>{1,3}(<^80-bf>|$)",
    "<fc-fc><80-83>",
    "<fc-fc><84-bf><80-bf>{0,3}(<^80-bf>|$)",
    "<fd-fd><80-bf>{1,4}(<^80-bf>|$)",
};

#define EDGE_N(v) (sizeof(v) / sizeof(*(v)))

/* One alternative: its <..> brackets spelled out byte by byte. */
static int edge_put(struct buf *b, const char *s)
{
	int ret = 0;

	while (*s && !ret) {
		if (*s != '<') {
			ret = buf_put(b, s++, 1);
			continue;
		}
		bool neg = *++s == '^';

		ret = buf_puts(b, neg ? "[^" : "[");
		s += neg;
		while (!ret && *s != '>') {
			char *e;
			unsigned long lo = strtoul(s, &e, 16), hi = strtoul(e + 1, &e, 16);

			for (unsigned long c = lo; c <= hi && !ret; c++) {
				char byte = (char)c;

				ret = buf_put(b, &byte, 1);
			}
			s = *e == ',' ? e + 1 : e;
		}
		if (!ret)
			ret = buf_puts(b, "]");
		s++;
	}
	return ret;
}

static int edge_list(struct buf *b, const char *const *v, size_t n, bool *first)
{
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		if (!*first)
			ret = buf_puts(b, "|");
		*first = false;
		if (!ret)
			ret = edge_put(b, v[i]);
	}
	return ret;
}

/*
 * Whether the daemon's ERE core can match the empty string, by glibc's
 * regex in the locale; a core glibc cannot read counts as one that can
 * (it then only loses edge_inc).
 */
static bool word_nullable(const char *core, size_t n)
{
	struct re_pattern_buffer re;
	bool nullable = true;

	memset(&re, 0, sizeof(re));
	re_set_syntax(RE_SYNTAX_POSIX_EGREP);
	if (!re_compile_pattern(core, n, &re))
		nullable = re_match(&re, "", 0, 0, NULL) >= 0;
	regfree(&re);
	return nullable;
}

int word_wrap_utf8(struct buf *b, const char *core, size_t n)
{
	bool nullable = word_nullable(core, n), first = true;
	int ret = buf_puts(b, "((");

	if (!ret)
		ret = edge_list(b, edge_before, EDGE_N(edge_before), &first);
	if (!ret && !nullable)
		ret = edge_list(b, edge_inc, EDGE_N(edge_inc), &first);
	if (!ret)
		ret = buf_puts(b, ")(");
	if (!ret)
		ret = buf_put(b, core, n);
	if (!ret)
		ret = buf_puts(b, ")(");
	first = true;
	if (!ret)
		ret = edge_list(b, edge_after, EDGE_N(edge_after), &first);
	if (!ret)
		ret = buf_puts(b, "))");
	if (ret || !nullable)
		return ret;
	first = true;
	ret = buf_puts(b, "|((");
	if (!ret)
		ret = edge_list(b, edge_inc, EDGE_N(edge_inc), &first);
	first = true;
	if (!ret)
		ret = buf_puts(b, ")(");
	if (!ret)
		ret = edge_list(b, edge_after, EDGE_N(edge_after) - 1, &first);
	first = true;
	if (!ret)
		ret = buf_puts(b, "))|");
	if (!ret)
		ret = edge_list(b, edge_empty, EDGE_N(edge_empty), &first);
	return ret;
}
