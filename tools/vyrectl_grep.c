// SPDX-License-Identifier: MIT
/*
 * vyrectl grep - GNU grep 3.8 on the command line, vyrefs doing the search.
 *
 *   vyrectl [-m MOUNT] grep [OPTIONS] PATTERNS [FILE...]
 *   vyrectl [-m MOUNT] grep [OPTIONS] (-e PATTERNS | -f FILE)... [FILE...]
 *
 * The daemon compiles one dialect, grep -E's, over bytes (README.md "Job
 * descriptors"). Everything else grep offers is made here, around it:
 *
 *   - patterns: BRE (-G, the default) is rewritten into the ERE it means,
 *     -F is escaped into one where -x or -w need an ERE, -x and -w wrap each
 *     pattern as grep's own dfasearch.c does ("^(P)$",
 *     "(^|[^[:alnum:]_])(P)([^[:alnum:]_]|$)"), and in a UTF-8 locale '.',
 *     brackets, \w \s and -i's non-ASCII letters become alternations of
 *     UTF-8 byte sequences, so the byte DFA matches characters.
 *     Back-references and -P are refused: no DFA runs them.
 *   - inputs: each FILE is one "scan op=grep" job; a directory under -r one
 *     job over its tree. Standard input, /proc, /sys and other inputs the
 *     daemon refuses (pseudo files, pipes, character devices) are first
 *     copied into a private 0600 file, which is what the GPU then scans.
 *   - output: with lines=1 the daemon lists "LINE:OFFSET" per selected line
 *     in file order; the bytes of each line, and of the context lines
 *     around it (-A -B -C), are pread from FILE here. -c, -l, -L and -q ask
 *     for counts only (max=1 for -l, -L, -q).
 *   - binary files: as grep 3.8 decides them: a NUL in the first 96 KiB
 *     (grep's first read; measured with grep 3.8: a NUL at byte 97,007 made
 *     the file binary, at 98,407 not), a NUL in a line to be printed, or,
 *     in a UTF-8 locale, a line to be printed that is not valid UTF-8.
 *     Its lines are not printed; "binary file matches" goes to stderr.
 *
 *   - -o: the GPU selects the lines; where in each the matches are is
 *     found here by glibc's regex, compiled as grep compiles it.
 *
 * Up to GREP_INFLIGHT jobs run at once, submitted ahead of the one being
 * printed, printed in command line order. Exit status as grep's: 0 a line
 * was selected, 1 none, 2 an error (unless -q selected a line).
 *
 * Inside grep, -m is grep's --max-count and -h its --no-filename: the mount
 * is given before the command (vyrectl -m MOUNT grep ...), with --mount, or
 * in $VYRE_MOUNT.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "vyrectl.h"

// clang-format off
#define GREP_INFLIGHT	  64  /* jobs submitted ahead of the one printing */
#define GREP_PATTERN_MAX  256 /* longest pattern= value (README.md "Job descriptors"); longer ones go by file */
#define GREP_WINDOW_START (256 << 10) /* first pread window; grows for longer lines */
#define GREP_LINES_STEP	  (64 << 10)  /* reads of jobs/N/lines */
#define GREP_BINARY_PEEK  (96 << 10)  /* grep 3.8's first read: a NUL in it makes a binary file */
#define GREP_BACK_STEP	  (16 << 10)  /* reads backwards for -B context */
// clang-format on

/* grep's exit statuses. */
enum grep_exit {
	GREP_SELECTED = 0,
	GREP_NONE = 1,
	GREP_ERROR = 2,
};

enum grep_dialect {
	GREP_BRE,   /* -G, the default */
	GREP_ERE,   /* -E */
	GREP_FIXED, /* -F */
};

enum grep_binary {
	GREP_BIN_BINARY, /* the default: "binary file matches" instead of lines */
	GREP_BIN_TEXT,	 /* -a */
	GREP_BIN_SKIP,	 /* -I: a binary file matches nothing */
};

enum grep_list {
	GREP_LIST_NONE,
	GREP_LIST_MATCHING, /* -l */
	GREP_LIST_OTHERS,   /* -L */
};

/* A -e PATTERNS or -f FILE, in command line order. */
struct grep_src {
	const char *arg;
	bool file;
};

/* The command line, parsed; strings point into argv. */
struct grep_opts {
	enum grep_dialect dialect;
	enum grep_binary binary;
	enum grep_list list;
	bool count, lineno, byteoff, icase, invert, word, xline, quiet, silent, null;
	bool only;		 /* -o */
	bool tab;		 /* -T */
	bool recursive, follow;	 /* -r, -R: a directory FILE is one job over its tree */
	bool utf8;		 /* LC_CTYPE is UTF-8: match characters, not bytes */
	bool dir_skip;		 /* -d skip */
	bool dev_skip;		 /* -D skip: devices, FIFOs and sockets named as FILE */
	int names;		 /* -1: -h, 1: -H, 0: when there are several files */
	long long max;		 /* -m N; negative: no limit (grep's -1) */
	long long after, before; /* -A, -B (-C sets both); 0: none */
	bool context;		 /* -A, -B or -C given, even 0: groups get separators */
	const char *label;	 /* --label: standard input's name */
	struct grep_src *srcs;
	size_t nsrcs;
	const char **include, **exclude, **exclude_dir;
	size_t ninclude, nexclude, nexclude_dir;
	char **files;
	int nfiles;
	bool no_operand; /* -r without FILE: ".", printed without "./" */
};

/* --group-separator; NULL for --no-group-separator. */
static const char *grep_group_sep = "--";
static bool grep_line_buffered;

/*
 * --color: GREP_COLORS's capabilities with grep 3.8's defaults (selected
 * and context lines, selected and context matches, file names, line
 * numbers, byte offsets, separators; rv, ne).
 */
struct grep_colors {
	const char *sl, *cx, *ms, *mc, *fn, *ln, *bn, *se;
	bool rv, ne;
};

static struct grep_colors grep_col = {
    .sl = "",
    .cx = "",
    .ms = "01;31",
    .mc = "01;31",
    .fn = "35",
    .ln = "32",
    .bn = "32",
    .se = "36",
};
static bool grep_color;

static void sgr_start(const char *c)
{
	if (grep_color && *c)
		printf("\33[%sm%s", c, grep_col.ne ? "" : "\33[K");
}

static void sgr_end(const char *c)
{
	if (grep_color && *c)
		printf("\33[m%s", grep_col.ne ? "" : "\33[K");
}

/* GREP_COLORS="ms=01;31:ln=32:ne": unknown names are ignored, as grep does. */
static void colors_parse(const char *env)
{
	static char *copy;
	char *save = NULL;

	if (!env || !*env)
		return;
	free(copy);
	copy = strdup(env);
	for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t;
	     t = strtok_r(NULL, ":", &save)) {
		char *eq = strchr(t, '=');
		const char *v = eq ? eq + 1 : NULL;

		if (eq)
			*eq = '\0';
		if (!strcmp(t, "rv"))
			grep_col.rv = true;
		else if (!strcmp(t, "ne"))
			grep_col.ne = true;
		else if (!v)
			continue;
		else if (!strcmp(t, "mt"))
			grep_col.ms = grep_col.mc = v;
		else if (!strcmp(t, "ms"))
			grep_col.ms = v;
		else if (!strcmp(t, "mc"))
			grep_col.mc = v;
		else if (!strcmp(t, "sl"))
			grep_col.sl = v;
		else if (!strcmp(t, "cx"))
			grep_col.cx = v;
		else if (!strcmp(t, "fn"))
			grep_col.fn = v;
		else if (!strcmp(t, "ln"))
			grep_col.ln = v;
		else if (!strcmp(t, "bn"))
			grep_col.bn = v;
		else if (!strcmp(t, "se"))
			grep_col.se = v;
	}
}

static void sep_put(char sep)
{
	sgr_start(grep_col.se);
	putchar(sep);
	sgr_end(grep_col.se);
}

/* ---- patterns: grep's dialects into the daemon's ERE ---------------------- */

/* The patterns as the daemon gets them: one a line, and whether literal. */
struct grep_pats {
	struct buf text; /* each pattern followed by '\n' */
	size_t n;
	bool fixed;   /* fixed=1 */
	bool invert;  /* invert=1: -v, or no pattern at all under -v */
	bool nothing; /* grep 3.8 sees no line can be selected: it reads nothing, exits 1 */
};

static int grep_pattern_error(const char *pat, const char *what)
{
	fprintf(stderr, "vyrectl grep: %s: %s\n", pat, what);
	return -EINVAL;
}

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
static size_t u8_decode(const uint8_t *p, size_t n, uint32_t *c)
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
static int u8_dot(struct buf *b)
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
static int u8_escape_class(struct buf *b, char e)
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
static size_t bracket_end(const char *p, size_t n, size_t i)
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
static int u8_bracket(struct buf *b, const char *p, size_t i, size_t end, bool icase)
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
static int u8_fold_char(struct buf *b, const char *p, size_t len, uint32_t c)
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
 * A character (a UTF-8 sequence or a byte) at p[i] outside brackets:
 * copied, or folded under -i in a UTF-8 locale. Returns its length.
 */
static int x_char(struct xlate *x, size_t i, size_t *len)
{
	uint32_t c;
	size_t k = 0;

	if (x->o->utf8 && (uint8_t)x->p[i] >= 0x80)
		k = u8_decode((const uint8_t *)x->p + i, x->n - i, &c);
	if (k) {
		*len = k;
		if (x->o->icase)
			return u8_fold_char(x->out, x->p + i, k, c);
		return buf_put(x->out, x->p + i, k);
	}
	*len = 1;
	return x_literal(x->out, x->p[i]);
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
	if (x->o->utf8 && strchr("wWsS", d))
		return u8_escape_class(x->out, d);
	return buf_put(x->out, e, 2);
}

static int x_atom_dot(struct xlate *x)
{
	return x->o->utf8 ? u8_dot(x->out) : buf_put(x->out, ".", 1);
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
	if (x->o->utf8)
		ret = u8_bracket(x->out, x->p, *i, end, x->o->icase);
	else
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
			ret = x_atom_dot(x);
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
		default: {
			size_t len;

			ret = x_char(x, i, &len);
			i += len;
			continue;
		}
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
 * grep), and in a UTF-8 locale '.', brackets and \w \s as characters.
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
			ret = x_atom_dot(x);
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
		default: {
			size_t len;

			ret = x_char(x, i, &len);
			i += len;
			continue;
		}
		}
		i++;
	}
	return ret;
}

/* -F's string as an ERE (for -x, -w, or -i on non-ASCII letters). */
static int x_fixed(struct xlate *x)
{
	int ret = 0;

	for (size_t i = 0, len; i < x->n && !ret; i += len)
		ret = x_char(x, i, &len);
	return ret;
}

/*
 * -w's edges: a non-word character or the line's edge. (grep also counts
 * a byte that is no part of a valid character as a non-word character; a
 * byte DFA cannot tell a lone lead byte from one that starts the match
 * without looking ahead, so in a UTF-8 locale such a byte is no edge here:
 * vyrectl(1), What differs.)
 */
static int x_wrap_word(struct buf *b, const struct grep_opts *o, bool before)
{
	int ret = buf_puts(b, before ? "(^|" : "(");

	if (!ret)
		ret = o->utf8 ? u8_escape_class(b, 'W') : buf_puts(b, "[^[:alnum:]_]");
	if (!ret)
		ret = buf_puts(b, before ? ")" : "|$)");
	return ret;
}

/* One pattern, as the daemon gets it, appended to pats with its newline. */
static int pat_add(const struct grep_opts *o, struct grep_pats *pats, const char *p, size_t n)
{
	struct buf one = {0}, core = {0};
	struct xlate x = {.o = o, .n = n, .out = &core};
	int ret = buf_put(&one, p, n); /* a NUL-terminated copy, for messages */

	x.p = one.data ? one.data : "";
	if (!ret && pats->fixed)
		ret = buf_put(&core, p, n);
	else if (!ret && o->dialect == GREP_FIXED)
		ret = x_fixed(&x);
	else if (!ret && o->dialect == GREP_BRE)
		ret = x_bre(&x);
	else if (!ret)
		ret = x_ere(&x);
	if (!ret && !pats->fixed && o->xline) {
		ret = buf_puts(&pats->text, "^(");
		if (!ret)
			ret = buf_put(&pats->text, core.data ? core.data : "", core.len);
		if (!ret)
			ret = buf_puts(&pats->text, ")$");
	} else if (!ret && !pats->fixed && o->word) {
		ret = x_wrap_word(&pats->text, o, true);
		if (!ret)
			ret = buf_puts(&pats->text, "(");
		if (!ret)
			ret = buf_put(&pats->text, core.data ? core.data : "", core.len);
		if (!ret)
			ret = buf_puts(&pats->text, ")");
		if (!ret)
			ret = x_wrap_word(&pats->text, o, false);
	} else if (!ret) {
		ret = buf_put(&pats->text, core.data ? core.data : "", core.len);
	}
	if (!ret)
		ret = buf_put(&pats->text, "\n", 1);
	if (!ret)
		pats->n++;
	if (ret == -ENOMEM)
		fprintf(stderr, "vyrectl grep: %s\n", strerror(ENOMEM));
	buf_free(&one);
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

static bool has_high_byte(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if ((uint8_t)b->data[i] >= 0x80)
			return true;
	return false;
}

static int only_compile(const struct grep_opts *o, const char *p, size_t n);

/*
 * Every pattern, translated. -F goes literally (fixed=1, the daemon's
 * Aho-Corasick) unless -x, -w or a UTF-8 -i of a non-ASCII letter need
 * an ERE. No pattern at all (-f /dev/null) selects no line; with -v, a
 * pattern that matches nothing ("a^") selects every line.
 */
static int pats_build(const struct grep_opts *o, struct grep_pats *pats)
{
	struct buf all = {0};
	bool any;
	int ret = pat_sources(o, &all, &any);

	if (ret)
		goto out;
	pats->fixed = o->dialect == GREP_FIXED && !o->xline && !o->word &&
		      !(o->utf8 && o->icase && has_high_byte(&all));
	for (size_t pos = 0; pos < all.len && !ret;) {
		char *nl = memchr(all.data + pos, '\n', all.len - pos);
		size_t end = nl ? (size_t)(nl - all.data) : all.len;

		ret = pat_add(o, pats, all.data + pos, end - pos);
		pos = end + 1;
	}
	/* -o finds the matches in the lines the GPU selected: the same patterns, glibc's regex */
	for (size_t pos = 0; ((o->only && !o->invert) || grep_color) && pos < all.len && !ret;) {
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
	buf_free(&all);
	return ret;
}

/* ---- files and jobs ------------------------------------------------------- */

/*
 * One FILE operand: opened here first, with the caller's own rights, so a
 * missing or unreadable file gets grep's message; the fd is then the one
 * lines are pread from. Owned by grep_run, which closes fd, removes the
 * job and the spool.
 */
struct grep_file {
	const char *name;     /* as given (or --label), for messages and FILE: prefixes */
	const char *path;     /* what is opened: name, or "." for -r without FILE */
	struct buf sent;      /* the absolute path the daemon was given, for a tree's names */
	int fd;		      /* -1: not opened (err says why) */
	int err;	      /* -errno of the open, or -EISDIR */
	bool submitted;	      /* id names a job of ours, not printed yet */
	bool dir;	      /* -r and a directory: one job over the tree, no fd */
	bool cancelled;	      /* we cancelled it: remove it once it has ended */
	bool skip;	      /* excluded, or -d skip: no job, no output */
	bool names;	      /* print FILE: prefixes for it */
	bool zapped;	      /* binary: the copy scanned has newlines for its NULs */
	char *trimmed;	      /* a directory's name without its trailing slashes */
	int64_t size;	      /* a regular file's size as opened, else -1 (for -T) */
	char spool[PATH_MAX]; /* a private copy scanned instead (stdin, /proc, ...) */
	char id[VYRECTL_ID_MAX + 1];
};

/* A window of FILE read with pread, so most lines cost no syscall. */
struct line_reader {
	int fd;
	char *buf;
	size_t cap;
	size_t len;   /* valid bytes in buf */
	uint64_t off; /* file offset of buf[0] */
	bool eof;     /* a pread at off + len returned 0 */
};

/* What is printed of one file: its context and binary state. */
struct grep_out {
	const char *name;
	size_t namelen;
	bool names;
	struct line_reader r;
	uint64_t next_line, next_off; /* the first line not printed yet */
	uint64_t after_left;	      /* -A lines still owed */
	bool started;		      /* a line of it was printed */
	bool binary;		      /* print no more lines of it */
	uint64_t selected;
	uint64_t hidden;   /* selected lines not printed: it is binary */
	uint64_t last_sel; /* the last selected line, 0 before the first */
	int width;	   /* -T: the width of line numbers and offsets */
	bool enc_err;	   /* a line was not printed: not UTF-8 in a UTF-8 locale */
	uint64_t nul_seen; /* bytes from the start looked through for a NUL, whole blocks */
};

/* Everything grep_run owns; released by grep_cleanup, also on Ctrl-C and errors. */
struct grep_state {
	const struct vyrectl *c;
	struct grep_opts *o;
	struct grep_file *f;
	struct grep_pats pats;
	char tmp[PATH_MAX]; /* the pattern file, "" if none */
	struct buf desc;    /* the descriptor without path=, shared by every file */
	bool lines;	    /* lines=1: print lines, not counts */
	bool printed;	    /* a context group was printed: the next needs "--" */
	bool done;	    /* -q selected a line: stop */
	uint64_t selected;
	bool error;
};

static int fd_write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A private 0600 file of the caller's in $TMPDIR (else /tmp); its fd. */
static int tmp_create(char path[PATH_MAX], const char *what)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (!dir || dir[0] != '/')
		dir = "/tmp";
	if (snprintf(path, PATH_MAX, "%s/vyrectl-%s.XXXXXX", dir, what) >= PATH_MAX) {
		path[0] = '\0';
		fprintf(stderr, "vyrectl grep: TMPDIR: %s\n", strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		int ret = -errno;

		fprintf(stderr, "vyrectl grep: %s: %s (set TMPDIR to a writable folder)\n", path,
			strerror(-ret));
		path[0] = '\0';
		return ret;
	}
	fchmod(fd, 0600);
	return fd;
}

/* One pattern inline, else all of them in a 0600 file the daemon reads as the caller. */
static int desc_grep_build(struct grep_state *s)
{
	const struct grep_opts *o = s->o;
	struct grep_pats *p = &s->pats;
	struct buf *d = &s->desc;
	char num[32];
	int ret = buf_puts(d, " op=grep");

	if (ret)
		return ret;
	/* what the daemon gets, for a user who wonders why a line was (not) selected */
	if (getenv("VYRECTL_GREP_DEBUG"))
		fprintf(stderr, "vyrectl grep: %zu pattern(s)%s:\n%.*s", p->n,
			p->fixed ? ", fixed=1" : "", (int)p->text.len,
			p->text.data ? p->text.data : "");
	if (p->n == 1 && p->text.len > 1 && p->text.len - 1 <= GREP_PATTERN_MAX &&
	    !memchr(p->text.data, '\0', p->text.len)) {
		p->text.data[--p->text.len] = '\0'; /* its newline */
		ret = buf_puts(d, " pattern=");
		if (!ret)
			ret = put_quoted(d, p->text.data, true);
	} else {
		int fd = tmp_create(s->tmp, "patterns");

		if (fd < 0)
			return fd;
		ret = fd_write_all(fd, p->text.data ? p->text.data : "", p->text.len);
		if (close(fd) < 0 && !ret)
			ret = -errno;
		if (ret)
			fprintf(stderr, "vyrectl grep: %s: %s\n", s->tmp, strerror(-ret));
		if (!ret)
			ret = buf_puts(d, " patterns=");
		if (!ret)
			ret = put_path(d, s->tmp);
	}
	if (!ret && p->fixed)
		ret = buf_puts(d, " fixed=1");
	/* non-ASCII letters were folded into the pattern; the daemon folds ASCII */
	if (!ret && o->icase)
		ret = buf_puts(d, " icase=1");
	if (!ret && p->invert)
		ret = buf_puts(d, " invert=1");
	if (!ret && s->lines)
		ret = buf_puts(d, " lines=1");
	if (!ret && (o->quiet || o->list != GREP_LIST_NONE)) {
		ret = buf_puts(d, " max=1"); /* one selected line decides */
	} else if (!ret && o->max > 0) {
		snprintf(num, sizeof(num), " max=%lld", o->max);
		ret = buf_puts(d, num);
	}
	return ret;
}

/*
 * path= for FILE. A path with glob characters would be expanded by the
 * daemon (glob(3)); escaped, it names just this file. sent keeps the
 * absolute path unescaped, as a tree job's entries begin with it.
 */
static int desc_path_put(struct buf *line, const char *name, struct buf *sent)
{
	struct buf esc = {0};
	int ret = path_absolute(name, sent);

	if (!ret && strpbrk(sent->data, "*?[")) {
		for (const char *p = sent->data; *p && !ret; p++) {
			if (strchr("*?[\\", *p))
				ret = buf_put(&esc, "\\", 1);
			if (!ret)
				ret = buf_put(&esc, p, 1);
		}
		if (!ret)
			ret = path_plain(esc.data) ? buf_puts(line, esc.data)
						   : put_quoted(line, esc.data, false);
	} else if (!ret) {
		ret = path_plain(sent->data) ? buf_puts(line, sent->data)
					     : put_quoted(line, sent->data, false);
	}
	buf_free(&esc);
	return ret;
}

/*
 * Filesystems whose files the daemon refuses (README.md "Security"): their
 * contents are made up per read. grep reads them; here they are copied.
 */
static bool fs_pseudo(int fd)
{
	static const long magic[] = {
	    0x9fa0,	/* proc */
	    0x62656572, /* sysfs */
	    0x64626720, /* debugfs */
	    0x74726163, /* tracefs */
	    0x73636673, /* securityfs */
	    0x62656570, /* configfs */
	    0x27e0eb,	/* cgroup */
	    0x63677270, /* cgroup2 */
	    0xcafe4a11, /* bpf */
	    0xde5e81e4, /* efivarfs */
	    0x1cd1,	/* devpts */
	    0x65735546, /* fuse: the vyrefs mount itself among them */
	};
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return false;
	for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if ((long)sf.f_type == magic[i])
			return true;
	return false;
}

/* Copies fd to a private file the daemon can scan; f->fd becomes the copy's. */
static int file_spool(struct grep_file *f)
{
	char buf[1 << 16];
	int out = tmp_create(f->spool, "input");
	int ret = 0;

	if (out < 0)
		return out;
	for (;;) {
		ssize_t k = read(f->fd, buf, sizeof(buf));

		if (k < 0 && errno == EINTR && !vyrectl_interrupted)
			continue;
		if (k < 0) {
			ret = -errno;
			break;
		}
		if (k == 0)
			break;
		ret = fd_write_all(out, buf, (size_t)k);
		if (ret)
			break;
	}
	if (f->fd != STDIN_FILENO)
		close(f->fd);
	f->fd = out;
	return ret;
}

static bool file_binary(int fd);

/*
 * grep 3.8, once it finds a file binary, reads its NULs as line ends
 * (grep.c's nul_zapper): "a\0b" is two lines to -c, -v and -l. The copy
 * the daemon scans gets the same: each NUL becomes '\n', in place.
 */
static int spool_zap(int fd)
{
	char buf[1 << 16];
	uint64_t at = 0;

	for (;;) {
		ssize_t k = pread(fd, buf, sizeof(buf), (off_t)at);

		if (k < 0 && errno == EINTR && !vyrectl_interrupted)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return 0;
		for (char *p = buf; (p = memchr(p, '\0', (size_t)(buf + k - p))); p++)
			*p = '\n';
		if (pwrite(fd, buf, (size_t)k, (off_t)at) != k)
			return errno ? -errno : -EIO;
		at += (uint64_t)k;
	}
}

static bool glob_any(const char *const *globs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!fnmatch(globs[i], name, 0))
			return true;
	return false;
}

/* --include and --exclude on a file's base name, as grep -r applies them. */
static bool name_excluded(const struct grep_opts *o, const char *base)
{
	if (glob_any(o->exclude, o->nexclude, base))
		return true;
	return o->ninclude && !glob_any(o->include, o->ninclude, base);
}

/* A command line FILE: grep matches its whole name or a suffix after a '/'. */
static bool operand_excluded(const struct grep_opts *o, const char *name, bool dir)
{
	const char *base = strrchr(name, '/');

	base = base && base[1] ? base + 1 : name;
	if (dir)
		return strcmp(base, ".") && strcmp(base, "..") &&
		       glob_any(o->exclude_dir, o->nexclude_dir, base);
	return name_excluded(o, base) || (base != name && glob_any(o->exclude, o->nexclude, name));
}

/* Opens FILE as grep would; what the daemon cannot scan is spooled. */
static void file_open(const struct grep_opts *o, struct grep_file *f)
{
	struct stat st;
	int ret = 0;

	if (!strcmp(f->path, "-")) {
		f->fd = STDIN_FILENO;
	} else {
		f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0) {
			f->err = -errno;
			return;
		}
	}
	if (fstat(f->fd, &st) < 0) {
		f->err = -errno;
		goto out_close;
	}
	f->size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
	if (S_ISDIR(st.st_mode)) {
		if (o->dir_skip || operand_excluded(o, f->path, true))
			f->skip = true;
		else if (o->recursive)
			f->dir = true;
		else
			f->err = -EISDIR;
		/* grep -r x dir// names dir/a: fts drops the trailing slashes */
		if (f->dir) {
			size_t n = strlen(f->name);

			while (n > 1 && f->name[n - 1] == '/')
				n--;
			f->trimmed = strndup(f->name, n);
			if (!f->trimmed)
				f->err = -ENOMEM;
			else
				f->name = f->path = f->trimmed;
		}
	} else if (f->fd != STDIN_FILENO && operand_excluded(o, f->path, false)) {
		f->skip = true;
	} else if (f->fd != STDIN_FILENO && o->dev_skip &&
		   (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) ||
		    S_ISSOCK(st.st_mode))) {
		f->skip = true;
	} else if (f->fd == STDIN_FILENO || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) ||
		   fs_pseudo(f->fd) ||
		   (o->binary != GREP_BIN_TEXT && S_ISREG(st.st_mode) && file_binary(f->fd))) {
		ret = file_spool(f);
		if (!ret && o->binary != GREP_BIN_TEXT && file_binary(f->fd)) {
			ret = spool_zap(f->fd);
			f->zapped = true;
		}
		if (ret)
			f->err = ret;
		return;
	}
out_close:
	if (f->err || f->dir || f->skip) {
		if (f->fd != STDIN_FILENO)
			close(f->fd);
		f->fd = -1;
	}
}

/* The daemon's answers that concern one file; any other refusal concerns them all. */
static bool err_per_file(int err)
{
	return err == -ENOENT || err == -EACCES || err == -EISDIR || err == -EPERM || err == -ENXIO;
}

/*
 * Opens FILE and submits its job. Returns 0 (f->err may say the file was
 * skipped) or the daemon's -errno for a refusal that would refuse every file.
 */
static int file_submit(struct grep_state *s, struct grep_file *f)
{
	struct buf line = {0};
	int ret;

	file_open(s->o, f);
	if (f->err || f->skip)
		return 0;
	ret = buf_puts(&line, "scan path=");
	if (!ret)
		ret = desc_path_put(&line, f->spool[0] ? f->spool : f->path, &f->sent);
	if (!ret)
		ret = buf_put(&line, s->desc.data, s->desc.len);
	if (!ret && f->dir && s->o->follow)
		ret = buf_puts(&line, " follow=1");
	if (!ret)
		ret = buf_puts(&line, "\n");
	if (ret) {
		f->err = ret;
	} else {
		/* ctl_submit has shown the daemon's "error: ..." line */
		ret = ctl_submit_id(s->c, &line, f->id);
		if (!ret)
			f->submitted = true;
		else if (err_per_file(ret))
			f->err = ret;
	}
	buf_free(&line);
	return f->err ? 0 : ret;
}

static void job_cancel(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX], path[PATH_MAX];
	int fd;

	job_rel(f->id, "ctl", rel);
	/* quietly: the job may have ended, and the user has been told why we stop */
	if (snprintf(path, sizeof(path), "%s/%s", s->c->mount, rel) < (int)sizeof(path)) {
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "cancel\n", 7) < 0) {
				/* it ended first: nothing to cancel */
			}
			close(fd);
		}
	}
	f->submitted = false;
	f->cancelled = true;
}

/* A finished job we printed is of no use to anyone: it goes, as grep leaves nothing. */
static void job_remove(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX], path[PATH_MAX];

	job_rel(f->id, "", rel);
	if (snprintf(path, sizeof(path), "%s/%s", s->c->mount, rel) < (int)sizeof(path))
		rmdir(path);
	f->submitted = false;
}

/* ---- printing ------------------------------------------------------------- */

/* Sets *p, *n to the line at off, through its '\n' (or to EOF for a last line). */
static int line_fetch(struct line_reader *r, uint64_t off, const char **p, size_t *n)
{
	if (off < r->off || off > r->off + r->len) {
		r->off = off;
		r->len = 0;
		r->eof = false;
	}
	for (;;) {
		size_t start = (size_t)(off - r->off);
		char *nl = memchr(r->buf + start, '\n', r->len - start);
		ssize_t k;

		if (nl || r->eof) {
			*p = r->buf + start;
			*n = nl ? (size_t)(nl - *p) + 1 : r->len - start;
			return 0;
		}
		if (start) {
			memmove(r->buf, r->buf + start, r->len - start);
			r->len -= start;
			r->off = off;
		}
		if (r->len == r->cap) {
			char *b = realloc(r->buf, r->cap * 2);

			if (!b)
				return -ENOMEM;
			r->buf = b;
			r->cap *= 2;
		}
		k = pread(r->fd, r->buf + r->len, r->cap - r->len, (off_t)(r->off + r->len));
		if (k < 0 && errno == EINTR && !vyrectl_interrupted)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			r->eof = true;
		r->len += (size_t)k;
	}
}

/* The offset of the line `back` lines before the one at off (0 stops it). */
static int line_back(int fd, uint64_t off, uint64_t back, uint64_t *start)
{
	char buf[GREP_BACK_STEP];
	uint64_t pos = off; /* the line at pos starts there; look before pos - 1 */

	while (back && pos > 0) {
		uint64_t end = pos - 1; /* the '\n' ending the previous line */
		bool found = false;

		while (end > 0 && !found) {
			size_t k = end > sizeof(buf) ? sizeof(buf) : (size_t)end;
			ssize_t r = pread(fd, buf, k, (off_t)(end - k));
			char *nl;

			if (r < 0 && errno == EINTR && !vyrectl_interrupted)
				continue;
			if (r < 0)
				return -errno;
			if ((size_t)r != k)
				return -EIO;
			nl = memrchr(buf, '\n', k);
			if (nl) {
				end = end - k + (uint64_t)(nl - buf);
				found = true;
			} else {
				end -= k;
			}
		}
		pos = found ? end + 1 : 0;
		back--;
	}
	*start = pos;
	return 0;
}

static bool utf8_valid(const char *p, size_t n)
{
	mbstate_t st = {0};

	for (size_t i = 0; i < n;) {
		size_t k;

		if ((uint8_t)p[i] < 0x80) {
			i++;
			continue;
		}
		k = mbrtowc(NULL, p + i, n - i, &st);
		if (k == (size_t)-1 || k == (size_t)-2)
			return false;
		i += k;
	}
	return true;
}

static void name_put(const struct grep_state *s, const char *name, size_t n)
{
	(void)s;
	sgr_start(grep_col.fn);
	fwrite(name, 1, n, stdout);
	sgr_end(grep_col.fn);
}

/* "FILE:LINE:OFFSET:" (':' for a selected line, '-' for context), as grep's -H -n -b. */
/* -T: a tab before what is printed of a line (none before an empty one), as grep 3.8. */
static void prefix_print(const struct grep_state *s, const struct grep_out *w, uint64_t line,
			 uint64_t off, char sep, size_t len)
{
	if (w->names) {
		name_put(s, w->name, w->namelen);
		if (s->o->null)
			putchar('\0');
		else
			sep_put(sep);
	}
	if (s->o->lineno) {
		sgr_start(grep_col.ln);
		printf("%*llu", w->width, (unsigned long long)line);
		sgr_end(grep_col.ln);
		sep_put(sep);
	}
	if (s->o->byteoff) {
		sgr_start(grep_col.bn);
		printf("%*llu", w->width, (unsigned long long)off);
		sgr_end(grep_col.bn);
		sep_put(sep);
	}
	if (s->o->tab && (w->names || s->o->lineno || s->o->byteoff) && len)
		putchar('\t');
}

/* ---- -o: where in a selected line each match is --------------------------- */

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

static void only_free(void)
{
	for (size_t i = 0; i < grep_only_res.n; i++)
		regfree(&grep_only_res.re[i]);
	free(grep_only_res.re);
	grep_only_res = (struct grep_only){0};
}

static int only_compile(const struct grep_opts *o, const char *p, size_t n)
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
static bool match_next(const struct grep_opts *o, const char *p, size_t n, size_t pos, size_t *ms,
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

/* -o: each match of a selected line, with its prefix. */
static int only_emit(struct grep_state *s, struct grep_out *w, uint64_t line, uint64_t off,
		     const char *p, size_t n)
{
	const struct grep_opts *o = s->o;
	size_t pos = 0, bs, bl;

	if (n && p[n - 1] == '\n')
		n--;
	while (pos <= n && match_next(o, p, n, pos, &bs, &bl)) {
		if (!bl) { /* grep moves one byte on past an empty match */
			pos = bs + 1;
			continue;
		}
		if (o->binary != GREP_BIN_TEXT && o->utf8 && !utf8_valid(p + bs, bl)) {
			w->enc_err = true;
		} else {
			prefix_print(s, w, line, off + bs, ':', bl);
			sgr_start(grep_col.ms);
			fwrite(p + bs, 1, bl, stdout);
			sgr_end(grep_col.ms);
			putchar('\n');
		}
		pos = bs + bl;
	}
	return 0;
}

/*
 * --color: a line's text, its matches coloured, as grep 3.8's prline and
 * print_line_middle do (a matching line's matches in ms for a selected
 * line, mc for context; the rest in sl or cx when those are set).
 */
static void color_line(const struct grep_opts *o, const char *p, size_t n, char sep)
{
	bool selected = sep == ':', matching = selected != o->invert;
	const char *lc = (selected != (grep_col.rv && o->invert)) ? grep_col.sl : grep_col.cx;
	const char *mc = selected ? grep_col.ms : grep_col.mc;
	size_t body = n && p[n - 1] == '\n' ? n - 1 : n, cur = 0, pos = 0, bs, bl;
	size_t mid = SIZE_MAX;

	if (matching && *mc) {
		while (pos < body && match_next(o, p, body, pos, &bs, &bl)) {
			if (!bl) {
				if (mid == SIZE_MAX)
					mid = cur;
				pos = cur = bs + 1;
				continue;
			}
			sgr_start(lc);
			if (mid != SIZE_MAX) {
				cur = mid;
				mid = SIZE_MAX;
			}
			fwrite(p + cur, 1, bs - cur, stdout);
			sgr_start(mc);
			fwrite(p + bs, 1, bl, stdout);
			sgr_end(mc);
			pos = cur = bs + bl;
		}
		if (mid != SIZE_MAX)
			cur = mid;
	}
	if (*lc) {
		size_t eol = body > cur && p[body - 1] == '\r' ? body - 1 : body;

		if (eol > cur) {
			sgr_start(lc);
			fwrite(p + cur, 1, eol - cur, stdout);
			sgr_end(lc);
			cur = eol;
		}
	}
	fwrite(p + cur, 1, n - cur, stdout);
}

static bool block_nul(int fd, uint64_t block)
{
	char *buf = malloc(GREP_BINARY_PEEK);
	uint64_t at = block * GREP_BINARY_PEEK;
	size_t got = 0;
	bool nul;

	if (!buf)
		return false;
	while (got < GREP_BINARY_PEEK) {
		ssize_t k = pread(fd, buf + got, GREP_BINARY_PEEK - got, (off_t)(at + got));

		if (k < 0 && errno == EINTR && !vyrectl_interrupted)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	nul = memchr(buf, '\0', got) != NULL;
	free(buf);
	return nul;
}

/*
 * grep 3.8 looks for a NUL in each buffer it reads (96 KiB, less the line
 * it carries over) before it prints a line of it, and once it has found
 * one the file is binary to its end. Here: is there a NUL anywhere from
 * the file's start to the end of the 96 KiB block where the line ends?
 * The blocks approximate grep's buffers, whose edges move with the lines
 * that straddle them. Text files cost one read of what precedes the last
 * line printed (-a skips it).
 */
static bool line_nul(struct grep_out *w, uint64_t off, size_t n)
{
	uint64_t last = (off + (n ? n - 1 : 0)) / GREP_BINARY_PEEK;

	while (w->nul_seen <= last * GREP_BINARY_PEEK && !vyrectl_interrupted) {
		uint64_t b = w->nul_seen / GREP_BINARY_PEEK;

		w->nul_seen += GREP_BINARY_PEEK;
		if (block_nul(w->r.fd, b))
			return true;
	}
	return false;
}

/*
 * A line to print, unless the file turns out binary here (then 1, and no
 * more lines of it), or it is not UTF-8 in a UTF-8 locale (1: grep 3.8
 * skips such a line, and says "binary file matches" at the end; as its
 * prline, the skipped line does not count as output, so what follows it
 * is not adjacent to the last line printed). *len: the line's length.
 */
static int line_emit(struct grep_state *s, struct grep_out *w, uint64_t line, uint64_t off,
		     char sep, size_t *len)
{
	const char *p;
	size_t n;
	int ret = line_fetch(&w->r, off, &p, &n);

	if (ret)
		return ret;
	*len = n;
	if (s->o->binary != GREP_BIN_TEXT && line_nul(w, off, n)) {
		w->binary = true;
		return 1;
	}
	if (s->o->only) {
		/* grep -o checks what it prints, the matches, not the line */
		ret = sep == ':' ? only_emit(s, w, line, off, p, n) : 0;
		w->next_line = line + 1;
		w->next_off = off + n;
		w->started = true;
		return ret;
	}
	if (s->o->binary != GREP_BIN_TEXT && s->o->utf8 && !utf8_valid(p, n)) {
		w->enc_err = true;
		w->started = true;
		return 1;
	}
	prefix_print(s, w, line, off, sep, n && p[n - 1] == '\n' ? n - 1 : n);
	if (grep_color)
		color_line(s->o, p, n, sep);
	else
		fwrite(p, 1, n, stdout);
	if (!n || p[n - 1] != '\n')
		putchar('\n');
	w->next_line = line + 1;
	w->next_off = off + n;
	w->started = true;
	if (grep_line_buffered)
		fflush(stdout);
	return 0;
}

/* -A: the context owed after the last selected line, up to line `until` (exclusive). */
static int after_emit(struct grep_state *s, struct grep_out *w, uint64_t until)
{
	while (w->after_left && !w->binary && w->next_line < until) {
		const char *p;
		size_t n;
		int ret = line_fetch(&w->r, w->next_off, &p, &n);

		if (ret)
			return ret;
		if (!n)
			break; /* EOF */
		ret = line_emit(s, w, w->next_line, w->next_off, '-', &n);
		if (ret < 0)
			return ret;
		w->after_left--; /* a skipped line is tried again, as grep's prpending does */
	}
	return 0;
}

/* One selected line, LINE at OFFSET, with its context. */
static int out_line(struct grep_state *s, struct grep_out *w, uint64_t line, uint64_t off)
{
	const struct grep_opts *o = s->o;
	uint64_t from = line, from_off = off;
	/* grep -v prints a run of selected lines as one group (prtext's range) */
	bool run = o->invert && w->last_sel && line == w->last_sel + 1;
	int ret;

	w->selected++;
	s->selected++;
	w->last_sel = line;
	if (w->binary) {
		w->hidden++;
		s->printed = true; /* as grep's prtext sets "used" for a quiet match */
		return 0;
	}
	ret = run ? 0 : after_emit(s, w, line);
	if (ret)
		return ret;
	/* its buffer is binary: nothing of it is printed, not even a separator */
	if (!w->binary && s->o->binary != GREP_BIN_TEXT) {
		const char *p;
		size_t n;

		ret = line_fetch(&w->r, off, &p, &n);
		if (ret)
			return ret;
		w->binary = line_nul(w, off, n);
	}
	if (w->binary) {
		w->hidden++;
		s->printed = true;
		return 0;
	}
	if (o->before && !run) {
		uint64_t floor = w->started ? w->next_line : 1;

		from = line > floor + (uint64_t)o->before ? line - (uint64_t)o->before : floor;
		if (from == w->next_line && w->started)
			from_off = w->next_off;
		else
			ret = line_back(w->r.fd, off, line - from, &from_off);
		if (ret)
			return ret;
	}
	if (o->context && s->printed && grep_group_sep && !run &&
	    (!w->started || from > w->next_line)) {
		sgr_start(grep_col.se);
		fputs(grep_group_sep, stdout);
		sgr_end(grep_col.se);
		putchar('\n');
	}
	for (uint64_t l = from, at = from_off; l < line && !w->binary; l++) {
		size_t n;

		ret = line_emit(s, w, l, at, '-', &n);
		if (ret < 0)
			return ret;
		at += n;
	}
	if (!w->binary) {
		size_t n;

		ret = line_emit(s, w, line, off, ':', &n);
	}
	if (ret < 0)
		return ret;
	if (w->binary) {
		w->hidden++;
		s->printed = true;
		return 0;
	}
	w->after_left = (uint64_t)o->after;
	s->printed = true;
	return 0;
}

/* After FILE's last selected line: its trailing context, or grep's binary message. */
static int out_end(struct grep_state *s, struct grep_out *w)
{
	int ret = 0;

	if (!w->binary && w->started)
		ret = after_emit(s, w, UINT64_MAX);
	if ((w->binary && w->hidden) || w->enc_err) {
		fflush(stdout);
		fputs("vyrectl grep: ", stderr);
		fwrite(w->name, 1, w->namelen, stderr);
		fputs(": binary file matches\n", stderr);
	}
	return ret;
}

/*
 * Whether FILE is binary before anything of it is printed: a NUL in its
 * first GREP_BINARY_PEEK bytes, as grep 3.8's first read finds it.
 */
static bool file_binary(int fd)
{
	char *buf = malloc(GREP_BINARY_PEEK);
	size_t got = 0;
	bool nul = false;

	if (!buf)
		return false;
	while (got < GREP_BINARY_PEEK) {
		ssize_t k = pread(fd, buf + got, GREP_BINARY_PEEK - got, (off_t)got);

		if (k < 0 && errno == EINTR && !vyrectl_interrupted)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	nul = memchr(buf, '\0', got) != NULL;
	free(buf);
	return nul;
}

/*
 * grep 3.8's -T width: the digits of the file's size (one more under -n),
 * or of INTMAX_MAX when the size is unknown (a pipe): size < 0.
 */
static int tab_width(const struct grep_opts *o, int64_t size)
{
	uint64_t num = size < 0 ? (uint64_t)INT64_MAX : (uint64_t)size + (o->lineno ? 1 : 0);
	int w = 0;

	if (!o->tab)
		return 0;
	do
		w++;
	while ((num /= 10) != 0);
	return w;
}

static void out_begin(struct grep_state *s, struct grep_out *w, int fd, const char *name,
		      size_t namelen, bool names, int64_t size)
{
	w->width = tab_width(s->o, size);
	w->name = name;
	w->namelen = namelen;
	w->names = names;
	w->r.fd = fd;
	w->r.off = 0;
	w->r.len = 0;
	w->r.eof = false;
	w->next_line = 1;
	w->next_off = 0;
	w->after_left = 0;
	w->started = false;
	w->selected = 0;
	w->hidden = 0;
	w->last_sel = 0;
	w->enc_err = false;
	w->nul_seen = GREP_BINARY_PEEK; /* file_binary looks there */
	w->binary = s->o->binary != GREP_BIN_TEXT && fd >= 0 && file_binary(fd);
}

/* "LINE:OFFSET", or "PATH:LINE:OFFSET" from a job over several files: read from the right. */
static int lines_entry_parse(const char *e, size_t n, unsigned long long *line,
			     unsigned long long *off, size_t *pathlen)
{
	const char *c2 = e ? memrchr(e, ':', n) : NULL, *c1;
	char *end;

	if (!c2 || c2 == e)
		return -EPROTO;
	c1 = memrchr(e, ':', (size_t)(c2 - e));
	*pathlen = c1 ? (size_t)(c1 - e) : 0;
	c1 = c1 ? c1 + 1 : e;
	errno = 0;
	*line = strtoull(c1, &end, 10);
	if (errno || end != c2 || c1 == c2)
		return -EPROTO;
	*off = strtoull(c2 + 1, &end, 10);
	if (errno || end != e + n || c2 + 1 == end)
		return -EPROTO;
	return 0;
}

/*
 * A tree entry's path (unescaped, absolute as the daemon wrote it) as grep
 * -r names it: the operand as given, then the part below it ("./a.txt",
 * "sub/b.txt"; "a.txt" for -r without FILE). -1 if --include,
 * --exclude or --exclude-dir leave it out.
 */
static int tree_name(const struct grep_state *s, const struct grep_file *f, const char *path,
		     size_t n, struct buf *out)
{
	const struct grep_opts *o = s->o;
	const char *rel = path;
	size_t sl = f->sent.len;
	int ret;

	out->len = 0;
	if (n > sl && !memcmp(path, f->sent.data, sl) &&
	    (path[sl] == '/' || f->sent.data[sl - 1] == '/'))
		rel = path + sl + (path[sl] == '/');
	/* the directories below the operand, then the file's own name */
	for (const char *c = rel, *sep; (sep = memchr(c, '/', n - (size_t)(c - path)));
	     c = sep + 1) {
		char comp[NAME_MAX + 1];
		size_t k = (size_t)(sep - c);

		if (rel == path || k > NAME_MAX)
			break;
		memcpy(comp, c, k);
		comp[k] = '\0';
		if (glob_any(o->exclude_dir, o->nexclude_dir, comp))
			return -1;
	}
	{
		const char *base = memrchr(path, '/', n);
		char comp[NAME_MAX + 1];
		size_t k;

		base = base ? base + 1 : path;
		k = n - (size_t)(base - path);
		if (k <= NAME_MAX) {
			memcpy(comp, base, k);
			comp[k] = '\0';
			if (name_excluded(o, comp))
				return -1;
		}
	}
	if (rel == path)
		return buf_put(out, path, n);
	if (o->no_operand)
		return buf_put(out, rel, n - (size_t)(rel - path));
	ret = buf_puts(out, f->name);
	if (!ret && (!out->len || out->data[out->len - 1] != '/'))
		ret = buf_put(out, "/", 1);
	if (!ret)
		ret = buf_put(out, rel, n - (size_t)(rel - path));
	return ret;
}

/* ---- a tree in grep -r's order ------------------------------------------- */

/*
 * grep -r walks with fts(3) and no comparison function: each directory's
 * entries in readdir order, a subdirectory's entries right after its own
 * (preorder). The daemon lists a tree's files sorted by path; this puts
 * them back in grep's order: each path's key is the readdir position of
 * each of its components, read here as the caller. (gnulib's fts sorts a
 * directory of over 10,000 entries by inode number on some filesystems;
 * that is not followed.)
 */
struct tree_dir {
	char *path;
	char **names;	   /* readdir order */
	uint32_t *by_name; /* indexes into names, sorted by name */
	size_t n;
};

struct tree_order {
	struct tree_dir *dirs;
	size_t n, cap;
	size_t last; /* the directory looked up last: the next is often the same */
};

struct tree_seg {
	size_t start, end; /* bytes of its records in the buffer */
	uint32_t *key;
	size_t klen;
	size_t ord; /* its place in path order, which breaks ties */
};

static char **tree_sort_names;

static int tree_name_cmp(const void *a, const void *b)
{
	return strcmp(tree_sort_names[*(const uint32_t *)a], tree_sort_names[*(const uint32_t *)b]);
}

static void tree_dir_free(struct tree_dir *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->names);
	free(d->by_name);
	free(d->path);
}

/* DIR's entries in readdir order; a directory that cannot be read lists nothing. */
static struct tree_dir *tree_dir_get(struct tree_order *t, const char *path)
{
	struct tree_dir *d;
	size_t cap = 0;
	DIR *dir;
	struct dirent *e;

	if (t->n && !strcmp(t->dirs[t->last].path, path))
		return &t->dirs[t->last];
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->dirs[i].path, path)) {
			t->last = i;
			return &t->dirs[i];
		}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		struct tree_dir *v = realloc(t->dirs, nc * sizeof(*v));

		if (!v)
			return NULL;
		t->dirs = v;
		t->cap = nc;
	}
	d = &t->dirs[t->n];
	*d = (struct tree_dir){.path = strdup(path)};
	if (!d->path)
		return NULL;
	dir = opendir(path);
	while (dir && (e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (d->n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **v = realloc(d->names, nc * sizeof(*v));

			if (!v)
				break;
			d->names = v;
			cap = nc;
		}
		d->names[d->n] = strdup(e->d_name);
		if (!d->names[d->n])
			break;
		d->n++;
	}
	if (dir)
		closedir(dir);
	d->by_name = malloc((d->n ? d->n : 1) * sizeof(*d->by_name));
	if (!d->by_name) {
		tree_dir_free(d);
		return NULL;
	}
	for (size_t i = 0; i < d->n; i++)
		d->by_name[i] = (uint32_t)i;
	tree_sort_names = d->names;
	qsort(d->by_name, d->n, sizeof(*d->by_name), tree_name_cmp);
	t->last = t->n++;
	return d;
}

static uint32_t tree_dir_index(const struct tree_dir *d, const char *name)
{
	size_t lo = 0, hi = d ? d->n : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(d->names[d->by_name[mid]], name);

		if (!c)
			return d->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT32_MAX; /* gone since: last */
}

/* The key of PATH (absolute, below the operand sent): its components' readdir positions. */
static int tree_key(struct tree_order *t, const struct grep_file *f, const char *path,
		    struct tree_seg *g)
{
	size_t sl = f->sent.len;
	struct buf dir = {0};
	const char *rel = path;
	int ret;

	if (!strncmp(path, f->sent.data, sl) && (path[sl] == '/' || f->sent.data[sl - 1] == '/'))
		rel = path + sl + (path[sl] == '/');
	ret = buf_put(&dir, path, (size_t)(rel - path));
	while (!ret && *rel) {
		const char *sep = strchr(rel, '/');
		size_t k = sep ? (size_t)(sep - rel) : strlen(rel);
		char name[NAME_MAX + 1];
		uint32_t *v;

		if (k > NAME_MAX)
			break;
		memcpy(name, rel, k);
		name[k] = '\0';
		v = realloc(g->key, (g->klen + 1) * sizeof(*v));
		if (!v) {
			ret = -ENOMEM;
			break;
		}
		g->key = v;
		g->key[g->klen++] =
		    tree_dir_index(tree_dir_get(t, dir.data ? dir.data : "/"), name);
		if (dir.len && dir.data[dir.len - 1] != '/')
			ret = buf_put(&dir, "/", 1);
		if (!ret)
			ret = buf_put(&dir, name, k);
		rel += k + (sep ? 1 : 0);
	}
	buf_free(&dir);
	return ret;
}

static int tree_seg_cmp(const void *a, const void *b)
{
	const struct tree_seg *x = a, *y = b;

	for (size_t i = 0; i < x->klen && i < y->klen; i++)
		if (x->key[i] != y->key[i])
			return x->key[i] < y->key[i] ? -1 : 1;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* The escaped path of one record: "PATH:LINE:OFFSET" (lines) or "RESULT PATH" (files). */
static void tree_record_path(const char *r, size_t n, bool lines, const char **p, size_t *len)
{
	if (lines) {
		unsigned long long line, off;
		size_t plen = 0;

		*p = r;
		*len = lines_entry_parse(r, n, &line, &off, &plen) ? n : plen;
	} else {
		const char *sp = memchr(r, ' ', n);

		*p = sp ? sp + 1 : r;
		*len = sp ? n - (size_t)(sp + 1 - r) : n;
	}
}

/* Reorders b's records (each ending in '\n', grouped by path) into grep -r's order. */
static int tree_reorder(const struct grep_file *f, struct buf *b, bool lines)
{
	struct tree_order t = {0};
	struct tree_seg *segs = NULL;
	size_t nseg = 0, cap = 0;
	struct buf out = {0}, path = {0};
	const char *lp = NULL; /* the last segment's path */
	size_t llen = 0;
	int ret = 0;

	for (size_t pos = 0; pos < b->len && !ret;) {
		char *nl = memchr(b->data + pos, '\n', b->len - pos);
		size_t e = nl ? (size_t)(nl - b->data) + 1 : b->len, plen;
		const char *p;

		tree_record_path(b->data + pos, e - pos - (nl ? 1 : 0), lines, &p, &plen);
		/* the records of one path are adjacent: one segment */
		if (nseg && plen == llen && !memcmp(p, lp, plen)) {
			segs[nseg - 1].end = e;
			pos = e;
			continue;
		}
		lp = p;
		llen = plen;
		if (nseg == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct tree_seg *v = realloc(segs, nc * sizeof(*v));

			if (!v) {
				ret = -ENOMEM;
				break;
			}
			segs = v;
			cap = nc;
		}
		segs[nseg] = (struct tree_seg){.start = pos, .end = e, .ord = nseg};
		path.len = 0;
		ret = buf_put(&path, p, plen);
		if (!ret) {
			path.len = path_unescape(path.data, path.len);
			path.data[path.len] = '\0';
			ret = tree_key(&t, f, path.data, &segs[nseg]);
		}
		nseg++;
		pos = e;
	}
	if (!ret)
		qsort(segs, nseg, sizeof(*segs), tree_seg_cmp);
	for (size_t i = 0; i < nseg && !ret; i++)
		ret = buf_put(&out, b->data + segs[i].start, segs[i].end - segs[i].start);
	if (!ret) {
		buf_free(b);
		*b = out;
	} else {
		buf_free(&out);
	}
	for (size_t i = 0; i < nseg; i++)
		free(segs[i].key);
	free(segs);
	for (size_t i = 0; i < t.n; i++)
		tree_dir_free(&t.dirs[i]);
	free(t.dirs);
	buf_free(&path);
	return ret;
}

/*
 * A tree's lines come sorted by path: a new PATH (escaped in the entry)
 * ends the file being printed and opens the next, with the caller's rights.
 * *skip is set for a file --include/--exclude leave out.
 */
static int lines_switch(struct grep_state *s, struct grep_file *f, struct grep_out *w,
			struct buf *cur, struct buf *shown, const char *esc, size_t n, bool *skip)
{
	struct buf p = {0};
	int ret = buf_put(&p, esc, n), fd;

	if (ret)
		return ret;
	p.len = path_unescape(p.data, p.len);
	p.data[p.len] = '\0';
	if (cur->data && cur->len == p.len && !memcmp(cur->data, p.data, p.len)) {
		buf_free(&p);
		return 0;
	}
	if (cur->data && !*skip) {
		ret = out_end(s, w);
		if (w->r.fd >= 0)
			close(w->r.fd);
		w->r.fd = -1;
	}
	buf_free(cur);
	*cur = p;
	*skip = tree_name(s, f, cur->data, cur->len, shown) < 0;
	if (*skip || ret)
		return ret;
	fd = open(cur->data, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (!s->o->silent)
			fprintf(stderr, "vyrectl grep: %s: %s\n", shown->data, strerror(-ret));
		return ret;
	}
	/* grep -r names what it finds below a directory, unless -h */
	{
		struct stat st;

		out_begin(s, w, fd, shown->data, shown->len, s->o->names >= 0,
			  fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1);
	}
	if (w->binary && s->o->binary == GREP_BIN_SKIP)
		*skip = true;
	return 0;
}

/* One "LINE:OFFSET" (or a tree's "PATH:LINE:OFFSET") of jobs/N/lines, printed. */
static int lines_entry(struct grep_state *s, struct grep_file *f, struct grep_out *w,
		       struct buf *cur, struct buf *shown, const char *e, size_t n, bool *skip)
{
	unsigned long long line, off;
	size_t plen = 0;
	int ret = lines_entry_parse(e, n, &line, &off, &plen);

	if (!ret && f->dir) {
		ret = lines_switch(s, f, w, cur, shown, e, plen, skip);
		if (ret && ret != -ENOMEM && ret != -EINTR) {
			s->error = true; /* that file is gone; the others print */
			*skip = true;
			ret = 0;
		}
	}
	if (!ret && !*skip)
		ret = out_line(s, w, line, off);
	return ret;
}

/*
 * Prints FILE's selected lines as jobs/N/lines lists them, read as they
 * come; a tree's are read whole first, to be put in grep -r's order.
 */
static int lines_print(struct grep_state *s, struct grep_file *f)
{
	struct grep_out w = {.r = {.fd = -1, .cap = GREP_WINDOW_START}};
	char rel[VYRECTL_REL_MAX];
	struct buf b = {0}, cur = {0}, shown = {0};
	size_t done = 0;
	bool skip = false, whole = false;
	int fd, ret;

	job_rel(f->id, "lines", rel);
	ret = mount_open(s->c, rel, O_RDONLY, &fd);
	if (ret)
		return ret;
	w.r.buf = malloc(w.r.cap);
	ret = w.r.buf ? 0 : -ENOMEM;
	if (!ret && !f->dir) {
		out_begin(s, &w, f->fd, f->name, strlen(f->name), f->names, f->size);
		w.binary |= f->zapped;
		skip = w.binary && s->o->binary == GREP_BIN_SKIP;
	}
	if (!ret && f->dir) {
		ret = buf_read_fd(&b, fd);
		if (!ret && b.len && b.data[b.len - 1] != '\n')
			ret = -EPROTO;
		if (!ret)
			ret = tree_reorder(f, &b, true);
		whole = true;
	}
	while (!ret && !vyrectl_interrupted && !ferror(stdout)) {
		char *nl;

		if (!whole) {
			ssize_t k;

			/* keep the unparsed tail, read more after it */
			if (done) {
				memmove(b.data, b.data + done, b.len - done);
				b.len -= done;
				done = 0;
			}
			ret = buf_reserve(&b, GREP_LINES_STEP);
			if (ret)
				break;
			k = read(fd, b.data + b.len, b.cap - b.len - 1);
			if (k < 0) {
				ret = -errno;
				break;
			}
			if (k == 0) {
				if (b.len)
					ret = -EPROTO; /* a last entry without its newline */
				break;
			}
			b.len += (size_t)k;
		}
		while (!ret && b.data && (nl = memchr(b.data + done, '\n', b.len - done))) {
			ret = lines_entry(s, f, &w, &cur, &shown, b.data + done,
					  (size_t)(nl - b.data) - done, &skip);
			done = (size_t)(nl - b.data) + 1;
			if (ferror(stdout))
				break;
		}
		if (whole)
			break;
	}
	if (!ret && !skip && (cur.data || !f->dir))
		ret = out_end(s, &w);
	if (ret == -EPROTO)
		fprintf(stderr, "vyrectl: %s/%s: not LINE:OFFSET lines (is it a vyrefs mount?)\n",
			s->c->mount, rel);
	else if (ret && ret != -EINTR)
		fprintf(stderr, "vyrectl grep: %s: %s\n", f->name, strerror(-ret));
	close(fd);
	if (f->dir && w.r.fd >= 0)
		close(w.r.fd);
	free(w.r.buf);
	buf_free(&b);
	buf_free(&cur);
	buf_free(&shown);
	return ret;
}

/* One file's count, as -c, -l, -L and -q print it. */
static void count_emit(struct grep_state *s, const char *name, size_t namelen, bool names,
		       unsigned long long n)
{
	const struct grep_opts *o = s->o;

	s->selected += n;
	if (o->quiet) {
		if (n)
			s->done = true;
		return;
	}
	if (o->list != GREP_LIST_NONE) {
		if ((o->list == GREP_LIST_MATCHING) == (n > 0)) {
			name_put(s, name, namelen);
			putchar(o->null ? '\0' : '\n');
		}
		return;
	}
	if (names) {
		name_put(s, name, namelen);
		if (o->null)
			putchar('\0');
		else
			sep_put(':');
	}
	printf("%llu\n", n);
}

/* -I in count mode: a binary file of a tree counts nothing. */
static bool count_skip_binary(const struct grep_state *s, const char *path)
{
	bool bin;
	int fd;

	if (s->o->binary != GREP_BIN_SKIP)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bin = file_binary(fd);
	close(fd);
	return bin;
}

static int count_print(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX], *end;
	struct buf b = {0};
	unsigned long long n;
	int ret;

	job_rel(f->id, "result", rel);
	ret = mount_read(s->c, rel, &b);
	if (ret)
		return ret;
	errno = 0;
	n = strtoull(b.data ? b.data : "", &end, 10);
	if (errno || !b.data || end == b.data || (*end && *end != '\n')) {
		fprintf(stderr, "vyrectl: %s/%s: not a number (is it a vyrefs mount?)\n",
			s->c->mount, rel);
		ret = -EPROTO;
	} else {
		if (n && s->o->binary == GREP_BIN_SKIP &&
		    (f->zapped || (f->fd >= 0 && file_binary(f->fd))))
			n = 0;
		count_emit(s, f->name, strlen(f->name), f->names, n);
	}
	buf_free(&b);
	return ret;
}

/* A tree's jobs/N/files, "RESULT PATH" a file sorted by path, as grep -r -c/-l/-L. */
static int tree_count_print(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX];
	struct buf b = {0}, shown = {0};
	int ret;

	job_rel(f->id, "files", rel);
	ret = mount_read(s->c, rel, &b);
	if (!ret && b.len && b.data[b.len - 1] != '\n')
		ret = buf_put(&b, "\n", 1);
	if (!ret)
		ret = tree_reorder(f, &b, false);
	for (size_t pos = 0; !ret && b.data && pos < b.len && !s->done;) {
		char *nl = memchr(b.data + pos, '\n', b.len - pos), *sp, *end;
		size_t e = nl ? (size_t)(nl - b.data) : b.len;
		unsigned long long v;
		size_t n;

		b.data[e] = '\0';
		sp = strchr(b.data + pos, ' ');
		errno = 0;
		v = strtoull(b.data + pos, &end, 10);
		if (!sp || end != sp || errno) {
			fprintf(stderr,
				"vyrectl: %s/%s: not RESULT PATH lines (is it a vyrefs "
				"mount?)\n",
				s->c->mount, rel);
			ret = -EPROTO;
			break;
		}
		n = path_unescape(sp + 1, strlen(sp + 1));
		sp[1 + n] = '\0';
		pos = e + 1;
		if (tree_name(s, f, sp + 1, n, &shown) < 0)
			continue;
		if (v && count_skip_binary(s, sp + 1))
			v = 0;
		count_emit(s, shown.data, shown.len, s->o->names >= 0, v);
	}
	buf_free(&b);
	buf_free(&shown);
	return ret;
}

/* A tree's failed entries, "PATH ERRNO_NAME", as grep -r's messages; 1 if any. */
static int tree_failed_print(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX];
	struct buf b = {0}, shown = {0};
	int ret, failed = 0;

	job_rel(f->id, "failed", rel);
	ret = mount_read(s->c, rel, &b);
	for (size_t pos = 0; !ret && b.data && pos < b.len;) {
		char *nl = memchr(b.data + pos, '\n', b.len - pos);
		size_t e = nl ? (size_t)(nl - b.data) : b.len;
		char *sp = memrchr(b.data + pos, ' ', e - pos);

		if (sp) {
			size_t n = path_unescape(b.data + pos, (size_t)(sp - (b.data + pos)));

			b.data[e] = '\0';
			if (tree_name(s, f, b.data + pos, n, &shown) >= 0) {
				failed = 1;
				if (!s->o->silent)
					fprintf(stderr, "vyrectl grep: %s: %s\n", shown.data,
						sp + 1);
			}
		}
		pos = e + 1;
	}
	buf_free(&b);
	buf_free(&shown);
	return ret ? ret : failed;
}

static void file_error(struct grep_state *s, const struct grep_file *f)
{
	s->error = true;
	if (!s->o->silent)
		fprintf(stderr, "vyrectl grep: %s: %s\n", f->name, strerror(-f->err));
	/* grep -c counts a directory's lines: none */
	if (f->err == -EISDIR && s->o->count && !s->o->quiet && s->o->list == GREP_LIST_NONE)
		count_emit(s, f->name, strlen(f->name), f->names, 0);
}

/* Waits for FILE's job and prints what grep would; -EINTR on Ctrl-C. */
static int file_finish(struct grep_state *s, struct grep_file *f)
{
	struct job_status st;
	int ret;

	if (f->skip)
		return 0;
	if (f->err) {
		file_error(s, f);
		return 0;
	}
	if (!f->submitted)
		return 0;
	ret = job_wait(s->c, f->id, &st);
	if (ret == -EINTR)
		return ret;
	if (ret) {
		s->error = true;
		return 0;
	}
	if (!strcmp(st.state, "cancelled")) {
		fprintf(stderr, "vyrectl grep: %s: job %s was cancelled\n", f->name, f->id);
		s->error = true;
		f->submitted = false;
		return 0;
	}
	/* a failed job's lines still cover the chunks that were read */
	if (!s->lines)
		ret = f->dir ? tree_count_print(s, f) : count_print(s, f);
	else
		ret = lines_print(s, f);
	if (!ret && f->dir && tree_failed_print(s, f))
		s->error = true;
	if (ret == -EINTR || vyrectl_interrupted)
		return -EINTR;
	if (ret)
		s->error = true;
	if (strcmp(st.state, "done")) {
		fprintf(stderr, "vyrectl grep: %s: job %s %s: %s (see %s/jobs/%s/failed)\n",
			f->name, f->id, st.state, st.error[0] ? st.error : "no error given",
			s->c->mount, f->id);
		s->error = true;
		f->submitted = false; /* kept, for its failed file */
	} else {
		job_remove(s, f);
	}
	return 0;
}

/* ---- the command ---------------------------------------------------------- */

/*
 * Cancels the jobs not printed yet (Ctrl-C, a closed pipe, -q's answer, a
 * refusal), then removes them once they have ended: a wait read returns at
 * once for a cancelled job, and a second Ctrl-C ends it anyway.
 */
static void grep_cleanup(struct grep_state *s)
{
	for (int i = 0; s->f && i < s->o->nfiles; i++) {
		if (s->f[i].submitted)
			job_cancel(s, &s->f[i]);
		if (s->f[i].fd >= 0 && s->f[i].fd != STDIN_FILENO)
			close(s->f[i].fd);
		s->f[i].fd = -1;
	}
	for (int i = 0; s->f && i < s->o->nfiles; i++) {
		char rel[VYRECTL_REL_MAX], path[PATH_MAX];
		struct buf b = {0};
		int fd;

		if (s->f[i].spool[0])
			unlink(s->f[i].spool);
		free(s->f[i].trimmed);
		buf_free(&s->f[i].sent);
		if (!s->f[i].cancelled)
			continue;
		job_rel(s->f[i].id, "wait", rel);
		if (snprintf(path, sizeof(path), "%s/%s", s->c->mount, rel) < (int)sizeof(path)) {
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				buf_read_fd(&b, fd);
				close(fd);
				buf_free(&b);
			}
		}
		job_remove(s, &s->f[i]);
	}
	free(s->f);
	s->f = NULL;
	if (s->tmp[0])
		unlink(s->tmp);
	s->tmp[0] = '\0';
	buf_free(&s->desc);
	buf_free(&s->pats.text);
}

static int grep_run(const struct vyrectl *c, struct grep_opts *o, bool *epipe)
{
	struct grep_state s = {.c = c, .o = o};
	int next = 0, fd, ret = 0;

	s.lines = !(o->count || o->quiet || o->list != GREP_LIST_NONE);
	s.f = calloc((size_t)o->nfiles, sizeof(*s.f));
	if (!s.f) {
		fprintf(stderr, "vyrectl grep: %s\n", strerror(ENOMEM));
		return GREP_ERROR;
	}
	for (int i = 0; i < o->nfiles; i++) {
		bool in = !strcmp(o->files[i], "-");

		s.f[i] = (struct grep_file){
		    .name = in ? (o->label ? o->label : "(standard input)") : o->files[i],
		    .path = o->files[i],
		    .fd = -1,
		};
		/* grep -r with one FILE names only what it finds below a directory */
		s.f[i].names = o->names > 0 || (o->names == 0 && o->nfiles > 1);
	}
	ret = pats_build(o, &s.pats);
	if (ret)
		goto out;
	/* -f /dev/null, -v '': no line can be selected; grep reads nothing */
	if (s.pats.nothing)
		goto out;
	/* the mount first, so that a refusal of ctl's later is the daemon's (mount_open says) */
	ret = mount_open(c, "ctl", O_RDWR, &fd);
	if (ret)
		goto out;
	close(fd);
	ret = desc_grep_build(&s);
	if (ret) {
		if (ret == -ENOMEM)
			fprintf(stderr, "vyrectl grep: %s\n", strerror(-ret));
		goto out;
	}
	for (int i = 0; i < o->nfiles && !ret && !s.done; i++) {
		for (; next < o->nfiles && next - i < GREP_INFLIGHT && !ret; next++)
			ret = file_submit(&s, &s.f[next]);
		if (ret)
			break; /* the daemon refused the pattern or an option: every file */
		ret = file_finish(&s, &s.f[i]);
		if (s.f[i].fd >= 0 && s.f[i].fd != STDIN_FILENO)
			close(s.f[i].fd);
		s.f[i].fd = -1;
		if (!ret && (ferror(stdout) || fflush(stdout) == EOF)) {
			if (errno == EPIPE)
				*epipe = true;
			ret = -EPIPE;
		}
	}
out:
	grep_cleanup(&s);
	if (ret == -EINTR || vyrectl_interrupted) {
		fprintf(stderr, "vyrectl grep: interrupted; its jobs were cancelled\n");
		return VYRECTL_INTR;
	}
	if (o->quiet && s.selected)
		return GREP_SELECTED;
	if (ret || s.error)
		return GREP_ERROR;
	return s.selected ? GREP_SELECTED : GREP_NONE;
}

static void grep_usage(FILE *f)
{
	fputs(
	    "usage: vyrectl [-m MOUNT] grep [OPTION]... PATTERNS [FILE]...\n"
	    "       vyrectl [-m MOUNT] grep [OPTION]... (-e PATTERNS | -f FILE)... [FILE]...\n"
	    "\n"
	    "Prints the lines of each FILE that match PATTERNS, as GNU grep 3.8 does; each\n"
	    "FILE is scanned by an op=grep job of the vyrefs mount. No FILE, or -: standard\n"
	    "input (copied to a private file first; so are /proc and other pseudo files).\n"
	    "\n"
	    "Patterns:\n"
	    "  -G, --basic-regexp        PATTERNS are basic regular expressions (the default)\n"
	    "  -E, --extended-regexp     PATTERNS are extended regular expressions\n"
	    "  -F, --fixed-strings       PATTERNS are strings\n"
	    "  -P, --perl-regexp         refused: the GPU runs a DFA (exit 2)\n"
	    "  -e, --regexp PATTERNS     PATTERNS, one a line; may be repeated\n"
	    "  -f, --file FILE           patterns from FILE, one a line (- for stdin)\n"
	    "  -i, -y, --ignore-case     ignore case (in a UTF-8 locale, of every letter)\n"
	    "      --no-ignore-case      do not (the default)\n"
	    "  -w, --word-regexp         match only whole words\n"
	    "  -x, --line-regexp         match only whole lines\n"
	    "\n"
	    "Selection and output:\n"
	    "  -v, --invert-match        select the lines that do not match\n"
	    "  -m, --max-count NUM       stop after NUM selected lines in each FILE\n"
	    "  -c, --count               print the number of selected lines of each FILE\n"
	    "  -l, --files-with-matches  print only the names of FILEs with selected lines\n"
	    "  -L, --files-without-match print only the names of FILEs with none\n"
	    "  -q, --quiet, --silent     print nothing; exit 0 at the first selected line\n"
	    "  -s, --no-messages         no messages about missing or unreadable files\n"
	    "  -n, --line-number         prefix each line with its line number\n"
	    "  -b, --byte-offset         prefix each line with its byte offset\n"
	    "  -H, --with-filename       prefix each line with its FILE (the default for several)\n"
	    "  -h, --no-filename         no FILE prefixes\n"
	    "      --label LABEL         the name of standard input (default (standard input))\n"
	    "  -Z, --null                a NUL after each FILE name, not ':' or a newline\n"
	    "  -A, --after-context NUM   print NUM lines after each selected line\n"
	    "  -B, --before-context NUM  print NUM lines before each selected line\n"
	    "  -C, --context NUM, -NUM   print NUM lines before and after\n"
	    "      --group-separator SEP between groups of context (default --)\n"
	    "      --no-group-separator  no separator between groups\n"
	    "      --color[=WHEN]        colour matches, names, numbers: never, always or auto\n"
	    "                            (a terminal); GREP_COLORS as grep's\n"
	    "      --line-buffered       flush each line\n"
	    "  -o, --only-matching       print each match on a line of its own (found, in the\n"
	    "                            lines the GPU selected, by glibc's regex)\n"
	    "  -T, --initial-tab         a tab before each line's text; numbers padded as grep's\n"
	    "  -z, --null-data           refused (exit 2): the daemon's lines end at '\\n'\n"
	    "\n"
	    "Files:\n"
	    "  -a, --text                print the lines of binary files too\n"
	    "  -I                        a binary file matches nothing\n"
	    "      --binary-files TYPE   binary (the default), text or without-match\n"
	    "  -r, --recursive           a directory FILE: every file below it, in one job\n"
	    "                            (symlinks below it are not followed); no FILE: .\n"
	    "  -R, --dereference-recursive  as -r, following symlinks\n"
	    "  -d, --directories ACTION  read (a directory is an error), skip or recurse\n"
	    "  -D, --devices ACTION      read (the default) or skip devices, FIFOs, sockets\n"
	    "      --include GLOB        only files whose name matches GLOB\n"
	    "      --exclude GLOB        skip files whose name matches GLOB\n"
	    "      --exclude-from FILE   skip files whose name matches a GLOB of FILE\n"
	    "      --exclude-dir GLOB    skip directories whose name matches GLOB\n"
	    "  -U, --binary              no effect, as on GNU/Linux\n"
	    "      --mount MOUNT         the vyrefs mount (default $VYRE_MOUNT, else /mnt/vyre)\n"
	    "  -V, --version             the version\n"
	    "      --help                this help\n"
	    "\n"
	    "Exit status: 0 a line was selected, 1 none was, 2 an error (0 with -q when a line\n"
	    "was selected), 130 interrupted. See vyrectl(1) for what differs from grep.\n",
	    f);
}

static int grep_usage_error(const char *fmt, const char *arg)
{
	if (fmt) {
		fputs("vyrectl grep: ", stderr);
		fprintf(stderr, fmt, arg);
		fputc('\n', stderr);
	}
	fputs("Try 'vyrectl grep --help'.\n", stderr);
	return GREP_ERROR;
}

/* An option the daemon's answers cannot serve: refused with why, exit 2. */
static int grep_refuse(const char *opt, const char *why)
{
	fprintf(stderr, "vyrectl grep: %s is not supported: %s\n", opt, why);
	return GREP_ERROR;
}

enum {
	GREP_OPT_MOUNT = 0x100,
	GREP_OPT_HELP,
	GREP_OPT_LABEL,
	GREP_OPT_COLOR,
	GREP_OPT_INCLUDE,
	GREP_OPT_EXCLUDE,
	GREP_OPT_EXCLUDE_FROM,
	GREP_OPT_EXCLUDE_DIR,
	GREP_OPT_BINARY_FILES,
	GREP_OPT_LINE_BUFFERED,
	GREP_OPT_GROUP_SEP,
	GREP_OPT_NO_GROUP_SEP,
	GREP_OPT_NO_ICASE,
};

static const struct option grep_longopts[] = {
    {"basic-regexp", no_argument, NULL, 'G'},
    {"extended-regexp", no_argument, NULL, 'E'},
    {"fixed-strings", no_argument, NULL, 'F'},
    {"fixed-regexp", no_argument, NULL, 'F'},
    {"perl-regexp", no_argument, NULL, 'P'},
    {"regexp", required_argument, NULL, 'e'},
    {"file", required_argument, NULL, 'f'},
    {"ignore-case", no_argument, NULL, 'i'},
    {"no-ignore-case", no_argument, NULL, GREP_OPT_NO_ICASE},
    {"word-regexp", no_argument, NULL, 'w'},
    {"line-regexp", no_argument, NULL, 'x'},
    {"null-data", no_argument, NULL, 'z'},
    {"no-messages", no_argument, NULL, 's'},
    {"invert-match", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, GREP_OPT_HELP},
    {"max-count", required_argument, NULL, 'm'},
    {"byte-offset", no_argument, NULL, 'b'},
    {"line-number", no_argument, NULL, 'n'},
    {"line-buffered", no_argument, NULL, GREP_OPT_LINE_BUFFERED},
    {"with-filename", no_argument, NULL, 'H'},
    {"no-filename", no_argument, NULL, 'h'},
    {"label", required_argument, NULL, GREP_OPT_LABEL},
    {"only-matching", no_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"silent", no_argument, NULL, 'q'},
    {"binary-files", required_argument, NULL, GREP_OPT_BINARY_FILES},
    {"text", no_argument, NULL, 'a'},
    {"directories", required_argument, NULL, 'd'},
    {"devices", required_argument, NULL, 'D'},
    {"recursive", no_argument, NULL, 'r'},
    {"dereference-recursive", no_argument, NULL, 'R'},
    {"include", required_argument, NULL, GREP_OPT_INCLUDE},
    {"exclude", required_argument, NULL, GREP_OPT_EXCLUDE},
    {"exclude-from", required_argument, NULL, GREP_OPT_EXCLUDE_FROM},
    {"exclude-dir", required_argument, NULL, GREP_OPT_EXCLUDE_DIR},
    {"files-without-match", no_argument, NULL, 'L'},
    {"files-with-matches", no_argument, NULL, 'l'},
    {"count", no_argument, NULL, 'c'},
    {"initial-tab", no_argument, NULL, 'T'},
    {"null", no_argument, NULL, 'Z'},
    {"before-context", required_argument, NULL, 'B'},
    {"after-context", required_argument, NULL, 'A'},
    {"context", required_argument, NULL, 'C'},
    {"group-separator", required_argument, NULL, GREP_OPT_GROUP_SEP},
    {"no-group-separator", no_argument, NULL, GREP_OPT_NO_GROUP_SEP},
    {"color", optional_argument, NULL, GREP_OPT_COLOR},
    {"colour", optional_argument, NULL, GREP_OPT_COLOR},
    {"binary", no_argument, NULL, 'U'},
    {"mount", required_argument, NULL, GREP_OPT_MOUNT},
    {0},
};

static int num_arg(const char *arg, const char *what, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(arg, &end, 10);
	if (errno == ERANGE) {
		*v = LLONG_MAX;
		errno = 0;
	}
	if (errno || end == arg || *end || *v < 0) {
		fprintf(stderr, "vyrectl grep: %s: invalid %s argument\n", arg, what);
		return -EINVAL;
	}
	return 0;
}

/* --exclude-from FILE: a GLOB a line. */
static int exclude_from(struct grep_opts *o, const char *name, struct buf *keep)
{
	int fd = open(name, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0) {
		fprintf(stderr, "vyrectl grep: %s: %s\n", name, strerror(errno));
		return -errno;
	}
	ret = buf_read_fd(keep, fd);
	close(fd);
	if (ret)
		return ret;
	for (char *p = keep->data; p && *p;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		if (*p) {
			const char **v = realloc(o->exclude, (o->nexclude + 1) * sizeof(*v));

			if (!v)
				return -ENOMEM;
			o->exclude = v;
			o->exclude[o->nexclude++] = p;
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	return 0;
}

static int glob_push(const char ***v, size_t *n, const char *g)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[(*n)++] = g;
	return 0;
}

static int grep_parse(struct vyrectl *c, struct grep_opts *o, int argc, char *argv[],
		      struct buf *keep)
{
	static char prog[] = "vyrectl grep";
	long long ctx = -1, after = -1, before = -1, digits = -1;
	int opt, prev_optind = 1, matcher = 0;
	bool digit_run = false;

	argv[0] = prog;
	optind = 0;
	while ((opt = getopt_long(argc, argv,
				  "0123456789A:B:C:D:EFGHILPRTUVZabcd:e:f:hilLm:noqRrsuvwxyz",
				  grep_longopts, NULL)) != -1) {
		long long v;

		/* -NUM is -C NUM: digits of one word run together */
		if (opt >= '0' && opt <= '9') {
			if (!digit_run || prev_optind != optind)
				digits = digit_run && prev_optind == optind ? digits : 0;
			digits = digits > LLONG_MAX / 10 ? LLONG_MAX : digits * 10 + (opt - '0');
			ctx = digits;
			digit_run = true;
			prev_optind = optind;
			continue;
		}
		digit_run = false;
		prev_optind = optind;
		switch (opt) {
		case 'A':
		case 'B':
		case 'C':
			if (num_arg(optarg, "context length", &v))
				return grep_usage_error(NULL, NULL);
			if (opt == 'A')
				after = v;
			else if (opt == 'B')
				before = v;
			else
				ctx = v;
			break;
		case 'D':
			if (strcmp(optarg, "read") && strcmp(optarg, "skip"))
				return grep_usage_error("%s", "unknown devices method");
			o->dev_skip = !strcmp(optarg, "skip");
			break;
		case 'd':
			if (!strcmp(optarg, "recurse"))
				o->recursive = true;
			else if (!strcmp(optarg, "skip"))
				o->dir_skip = true;
			else if (strcmp(optarg, "read")) {
				/* grep 3.8's argmatch exits 1 here, not 2 */
				grep_usage_error("invalid argument '%s' for '--directories'",
						 optarg);
				return GREP_NONE;
			}
			break;
		case 'E':
		case 'F':
		case 'G':
			/* grep 3.8 takes one matcher, named as often as one likes */
			if (matcher && matcher != opt)
				return grep_usage_error("%s", "conflicting matchers specified");
			matcher = opt;
			o->dialect = opt == 'E' ? GREP_ERE : opt == 'F' ? GREP_FIXED : GREP_BRE;
			break;
		case 'P':
			return grep_refuse("-P (Perl regular expressions)",
					   "the GPU runs a DFA over POSIX regular expressions; "
					   "use -E (lookaround and back-references have no DFA)");
		case 'o':
			o->only = true;
			break;
		case 'T':
			o->tab = true;
			break;
		case 'z':
			return grep_refuse("-z (--null-data)",
					   "the daemon's lines end at '\\n', not at NUL");
		case 'H':
			o->names = 1;
			break;
		case 'h':
			o->names = -1;
			break;
		case 'I':
			o->binary = GREP_BIN_SKIP;
			break;
		case 'a':
			o->binary = GREP_BIN_TEXT;
			break;
		case GREP_OPT_BINARY_FILES:
			if (!strcmp(optarg, "binary"))
				o->binary = GREP_BIN_BINARY;
			else if (!strcmp(optarg, "text"))
				o->binary = GREP_BIN_TEXT;
			else if (!strcmp(optarg, "without-match"))
				o->binary = GREP_BIN_SKIP;
			else
				return grep_usage_error("%s", "unknown binary-files type");
			break;
		case 'L':
			o->list = GREP_LIST_OTHERS;
			break;
		case 'l':
			o->list = GREP_LIST_MATCHING;
			break;
		case 'U':
		case 'u':
			break;
		case 'V':
			printf("vyrectl grep %s (GNU grep 3.8's options; see vyrectl(1))\n",
			       VYREFS_VERSION);
			return GREP_SELECTED;
		case 'Z':
			o->null = true;
			break;
		case 'b':
			o->byteoff = true;
			break;
		case 'c':
			o->count = true;
			break;
		case 'e':
		case 'f':
			o->srcs[o->nsrcs].arg = optarg;
			o->srcs[o->nsrcs++].file = opt == 'f';
			break;
		case 'i':
		case 'y':
			o->icase = true;
			break;
		case GREP_OPT_NO_ICASE:
			o->icase = false;
			break;
		case 'm': {
			char *end;

			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (errno == ERANGE)
				v = v < 0 ? -1 : LLONG_MAX;
			else if (errno || end == optarg || *end)
				return grep_usage_error("%s", "invalid max count");
			o->max = v < 0 ? -1 : v; /* grep takes a negative as no limit */
			break;
		}
		case 'n':
			o->lineno = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'R':
			o->follow = true;
			/* fallthrough */
		case 'r':
			o->recursive = true;
			break;
		case 's':
			o->silent = true;
			break;
		case 'v':
			o->invert = true;
			break;
		case 'w':
			o->word = true;
			break;
		case 'x':
			o->xline = true;
			break;
		case GREP_OPT_LABEL:
			o->label = optarg;
			break;
		case GREP_OPT_COLOR:
			if (!optarg || !strcmp(optarg, "auto") || !strcmp(optarg, "tty") ||
			    !strcmp(optarg, "if-tty")) {
				const char *t = getenv("TERM");

				/* grep's should_colorize */
				grep_color = isatty(STDOUT_FILENO) && t && strcmp(t, "dumb");
			} else if (!strcmp(optarg, "always") || !strcmp(optarg, "yes") ||
				   !strcmp(optarg, "force")) {
				grep_color = true;
			} else if (!strcmp(optarg, "never") || !strcmp(optarg, "no") ||
				   !strcmp(optarg, "none")) {
				grep_color = false;
			} else {
				return grep_usage_error("invalid argument '%s' for '--color'",
							optarg);
			}
			break;
		case GREP_OPT_INCLUDE:
			if (glob_push(&o->include, &o->ninclude, optarg))
				return GREP_ERROR;
			break;
		case GREP_OPT_EXCLUDE:
			if (glob_push(&o->exclude, &o->nexclude, optarg))
				return GREP_ERROR;
			break;
		case GREP_OPT_EXCLUDE_DIR:
			if (glob_push(&o->exclude_dir, &o->nexclude_dir, optarg))
				return GREP_ERROR;
			break;
		case GREP_OPT_EXCLUDE_FROM:
			if (exclude_from(o, optarg, keep))
				return GREP_ERROR;
			break;
		case GREP_OPT_LINE_BUFFERED:
			grep_line_buffered = true;
			break;
		case GREP_OPT_GROUP_SEP:
			grep_group_sep = optarg;
			break;
		case GREP_OPT_NO_GROUP_SEP:
			grep_group_sep = NULL;
			break;
		case GREP_OPT_MOUNT:
			c->mount = optarg;
			break;
		case GREP_OPT_HELP:
			grep_usage(stdout);
			return GREP_SELECTED;
		default:
			return grep_usage_error(NULL, NULL);
		}
	}
	o->after = after >= 0 ? after : ctx > 0 ? ctx : 0;
	o->before = before >= 0 ? before : ctx > 0 ? ctx : 0;
	o->context = after >= 0 || before >= 0 || ctx >= 0;
	if (!o->nsrcs) {
		if (optind == argc)
			return grep_usage_error(NULL, NULL);
		o->srcs[o->nsrcs].arg = argv[optind++];
		o->srcs[o->nsrcs++].file = false;
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	if (!o->nfiles) {
		/* grep -r with no FILE searches ".", naming what it finds without "./" */
		static char dot[] = ".", dash[] = "-";
		static char *one[1];

		one[0] = o->recursive ? dot : dash;
		o->no_operand = o->recursive;
		o->files = one;
		o->nfiles = 1;
	}
	return -1;
}

/* Is stdout a pipe nobody reads any more? Then grep would have died of SIGPIPE. */
static bool stdout_broken(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return false;
	return write(STDOUT_FILENO, "", 0) < 0 && errno == EPIPE;
}

int grep_main(struct vyrectl *c, int argc, char *argv[])
{
	/* no -e or -f can outnumber argv */
	struct grep_opts o = {
	    .max = -1,
	    .srcs = calloc((size_t)argc, sizeof(struct grep_src)),
	};
	struct buf keep = {0};
	bool epipe = false;
	const char *cs;
	int ret;

	if (!o.srcs) {
		fprintf(stderr, "vyrectl grep: %s\n", strerror(ENOMEM));
		return GREP_ERROR;
	}
	setlocale(LC_ALL, "");
	colors_parse(getenv("GREP_COLORS"));
	cs = nl_langinfo(CODESET);
	o.utf8 = cs && !strcmp(cs, "UTF-8");
	c->progress = false; /* grep draws nothing on stderr */
	ret = grep_parse(c, &o, argc, argv, &keep);
	/* -q wins over -l, -L and -c; -l and -L over -c (grep's order) */
	if (o.quiet || o.list != GREP_LIST_NONE) {
		o.count = false;
		o.after = o.before = 0;
		o.context = false;
	}
	if (o.count) {
		o.after = o.before = 0;
		o.context = false;
		o.only = false;
	}
	/* grep -o prints matches, no context lines */
	if (o.only) {
		o.after = o.before = 0;
		o.context = false;
	}
	if (ret < 0 && o.max == 0)
		ret = GREP_NONE; /* grep -m 0 stops before it reads anything */
	if (ret < 0) {
		/* a closed pipe is noticed as EPIPE, and the jobs cancelled, not left running */
		signal(SIGPIPE, SIG_IGN);
		if (grep_line_buffered)
			setvbuf(stdout, NULL, _IOLBF, 0);
		ret = grep_run(c, &o, &epipe);
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (errno == EPIPE || epipe || stdout_broken())
			epipe = true;
		else
			fprintf(stderr, "vyrectl grep: standard output: %s\n", strerror(errno));
		ret = GREP_ERROR;
	}
	only_free();
	free(o.srcs);
	free(o.include);
	free(o.exclude);
	free(o.exclude_dir);
	buf_free(&keep);
	if (epipe) {
		/* die of SIGPIPE, as grep does once its reader has gone */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	return ret;
}
