// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_output.c - grep's output: the lines of one file with their FILE:LINE:OFFSET:
 * prefixes, -A/-B/-C context and "--" separators, --color, -o's matches,
 * -T's widths, the binary-file rule for lines about to be printed, and
 * the counts of -c, -l, -L and -q. Lines are pread from FILE itself.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "vyrectl_grep.h"

/* --group-separator; NULL for --no-group-separator. */
const char *grep_group_sep = "--";
bool grep_line_buffered;

struct grep_colors grep_col = {
    .sl = "",
    .cx = "",
    .ms = "01;31",
    .mc = "01;31",
    .fn = "35",
    .ln = "32",
    .bn = "32",
    .se = "36",
};
bool grep_color;

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

static void sep_put(char sep)
{
	sgr_start(grep_col.se);
	putchar(sep);
	sgr_end(grep_col.se);
}

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
		if (block_has_nul(w->r.fd, b * GREP_BINARY_PEEK))
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
	if (s->o->json) {
		/* JSON carries any bytes: a line not valid UTF-8 goes as "bytes", not hidden */
		ret = json_line(s, w, line, off, p, n, sep == ':');
		w->next_line = line + 1;
		w->next_off = off + n;
		w->started = true;
		return ret;
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

/*
 * --count-matches: a selected line's matches, counted as grep -o prints
 * them (non-empty ones, each from where the last ended); under -v, the
 * line itself, as ripgrep counts inverted matches. Binary or not, as -c.
 */
static int count_line(struct grep_state *s, struct grep_out *w, uint64_t off)
{
	size_t pos = 0, bs, bl, n;
	const char *p;
	int ret;

	w->selected++;
	s->selected++;
	if (s->o->invert) {
		w->matches++;
		return 0;
	}
	ret = line_fetch(&w->r, off, &p, &n);
	if (ret)
		return ret;
	if (n && p[n - 1] == '\n')
		n--;
	while (pos <= n && match_next(s->o, p, n, pos, &bs, &bl)) {
		w->matches += bl > 0;
		pos = bl ? bs + bl : bs + 1;
	}
	return 0;
}

/*
 * --count-matches: a file's count as -c prints it; a tree's counts are kept
 * in grep -r's order, to be printed with its files that matched nothing.
 */
static int count_matches_end(struct grep_state *s, struct grep_out *w)
{
	char num[32];
	int ret;

	if (!w->dir_member) {
		count_emit(s, w->name, w->namelen, w->names, w->matches);
		return 0;
	}
	snprintf(num, sizeof(num), "%llu ", (unsigned long long)w->matches);
	ret = buf_puts(&s->tree_counts, num);
	if (!ret)
		ret = buf_put(&s->tree_counts, w->name, w->namelen);
	if (!ret)
		ret = buf_put(&s->tree_counts, "", 1); /* a name holds no NUL */
	return ret;
}

/* One selected line, LINE at OFFSET, with its context. */
int out_line(struct grep_state *s, struct grep_out *w, uint64_t line, uint64_t off)
{
	const struct grep_opts *o = s->o;
	uint64_t from = line, from_off = off;
	/* grep -v prints a run of selected lines as one group (prtext's range) */
	bool run = o->invert && w->last_sel && line == w->last_sel + 1;
	int ret;

	if (o->count_matches)
		return count_line(s, w, off);
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
	if (o->context && s->printed && grep_group_sep && !run && !o->json &&
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
int out_end(struct grep_state *s, struct grep_out *w)
{
	int ret = 0;

	if (s->o->count_matches)
		return count_matches_end(s, w);
	if (!w->binary && w->started)
		ret = after_emit(s, w, UINT64_MAX);
	/*
	 * -I: grep 3.8 reads on to the file's end (or -m's last line), and a
	 * NUL anywhere in what it read makes the file one that matches
	 * nothing: the lines it printed stay, but it selected none (the exit
	 * status) and nothing is said of it.
	 */
	if (!ret && s->o->binary == GREP_BIN_SKIP && w->selected) {
		bool stopped = s->o->max > 0 && w->selected >= (uint64_t)s->o->max;

		if (!w->binary && !stopped && w->r.fd >= 0)
			w->binary = file_nul_from(w->r.fd, w->nul_seen);
		if (w->binary) {
			s->selected -= w->selected;
			w->hidden = 0;
		}
	}
	if (!ret && s->o->json)
		ret = json_end(s, w);
	if ((w->binary && w->hidden) || w->enc_err) {
		fflush(stdout);
		fputs("vyrectl grep: ", stderr);
		fwrite(w->name, 1, w->namelen, stderr);
		fputs(": binary file matches\n", stderr);
	}
	return ret;
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

void out_begin(struct grep_state *s, struct grep_out *w, int fd, const char *name, size_t namelen,
	       bool names, int64_t size)
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
	w->matches = 0;
	w->json_begun = false;
	w->json_printed = 0;
	w->elapsed_ns = 0;
	w->dir_member = false;
	w->nul_seen = GREP_BINARY_PEEK; /* file_binary looks there */
	w->binary = s->o->binary != GREP_BIN_TEXT && fd >= 0 && file_binary(fd);
}

/* One file's count, as -c, -l, -L and -q print it. */
void count_emit(struct grep_state *s, const char *name, size_t namelen, bool names,
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
