// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_json.c - --json: ripgrep 13's JSON Lines messages, so the
 * tools that read `rg --json` read vyrectl grep too. Per file with a line
 * printed, "begin", then a "match" per selected line and a "context" per
 * context line, then "end" with its stats; one "summary" at the end of the
 * run, always. Keys in ripgrep's order, strings escaped as serde_json
 * escapes them (\" \\ \b \f \n \r \t, \u00XX for other control bytes), so
 * a message is byte for byte ripgrep's but for the times.
 *
 * What ripgrep says of data is followed: a path, line or match that is
 * valid UTF-8 is {"text":...}, anything else {"bytes":BASE64}. Where
 * vyrectl differs from ripgrep (named in vyrectl(1)): standard input is
 * named as grep names it, a file's "elapsed" is its job's (0 for a
 * tree's files: one job searched them all), lines are selected as grep
 * selects them (-m's trailing context stays context), and a binary
 * file's lines are hidden as grep hides them, its "binary_offset" its
 * first NUL.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vyrectl_grep.h"

/* Strict UTF-8, whatever the locale: what serde's from_utf8 accepts. */
static bool json_utf8(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;

	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 4, cp = c & 0x07;
		else
			return false;
		if (n - i < k)
			return false;
		for (size_t j = 1; j < k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		/* overlong, surrogate or past U+10FFFF */
		if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k;
	}
	return true;
}

static int json_base64(struct buf *b, const uint8_t *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		char q[4];

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = tab[v >> 18 & 63];
		q[1] = tab[v >> 12 & 63];
		q[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		ret = buf_put(b, q, 4);
	}
	return ret;
}

/* {"text":"..."} or {"bytes":"..."}: ripgrep's arbitrary data. */
static int json_data(struct buf *b, const char *p, size_t n)
{
	int ret;

	if (!json_utf8(p, n)) {
		ret = buf_puts(b, "{\"bytes\":\"");
		if (!ret)
			ret = json_base64(b, (const uint8_t *)p, n);
		return ret ? ret : buf_puts(b, "\"}");
	}
	ret = buf_puts(b, "{\"text\":\"");
	for (size_t i = 0; i < n && !ret; i++) {
		unsigned char c = (unsigned char)p[i];
		char e[8];

		switch (c) {
		case '"':
			ret = buf_puts(b, "\\\"");
			break;
		case '\\':
			ret = buf_puts(b, "\\\\");
			break;
		case '\b':
			ret = buf_puts(b, "\\b");
			break;
		case '\f':
			ret = buf_puts(b, "\\f");
			break;
		case '\n':
			ret = buf_puts(b, "\\n");
			break;
		case '\r':
			ret = buf_puts(b, "\\r");
			break;
		case '\t':
			ret = buf_puts(b, "\\t");
			break;
		default:
			if (c < 0x20) {
				snprintf(e, sizeof(e), "\\u%04x", c);
				ret = buf_puts(b, e);
			} else {
				ret = buf_put(b, p + i, 1);
			}
		}
	}
	return ret ? ret : buf_puts(b, "\"}");
}

static int json_num(struct buf *b, const char *key, uint64_t v)
{
	char num[64];

	snprintf(num, sizeof(num), "\"%s\":%llu", key, (unsigned long long)v);
	return buf_puts(b, num);
}

/* ripgrep's {"secs":S,"nanos":N,"human":"0.000052s"} (the summary's keys sorted). */
static int json_elapsed(struct buf *b, uint64_t ns, bool sorted)
{
	char t[160];
	unsigned long long secs = ns / 1000000000u, nanos = ns % 1000000000u;
	double human = (double)ns / 1e9;

	if (sorted)
		snprintf(t, sizeof(t), "{\"human\":\"%.6fs\",\"nanos\":%llu,\"secs\":%llu}", human,
			 nanos, secs);
	else
		snprintf(t, sizeof(t), "{\"secs\":%llu,\"nanos\":%llu,\"human\":\"%.6fs\"}", secs,
			 nanos, human);
	return buf_puts(b, t);
}

static uint64_t json_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void json_start(struct grep_state *s)
{
	s->json.start_ns = json_now_ns();
}

/* One message onto stdout; a file's begin, match and context count in its bytes_printed. */
static int json_put(struct grep_out *w, struct buf *b, int ret)
{
	if (!ret)
		ret = buf_put(b, "\n", 1);
	if (!ret) {
		fwrite(b->data, 1, b->len, stdout);
		if (w)
			w->json_printed += b->len;
		if (grep_line_buffered)
			fflush(stdout);
	}
	buf_free(b);
	if (ret == -ENOMEM)
		fprintf(stderr, "vyrectl grep: %s\n", strerror(ENOMEM));
	return ret;
}

static int json_path(struct buf *b, const struct grep_out *w)
{
	int ret = buf_puts(b, "\"path\":");

	return ret ? ret : json_data(b, w->name, w->namelen);
}

static int json_begin(struct grep_out *w)
{
	struct buf b = {0};
	int ret;

	if (w->json_begun)
		return 0;
	w->json_begun = true;
	ret = buf_puts(&b, "{\"type\":\"begin\",\"data\":{");
	if (!ret)
		ret = json_path(&b, w);
	if (!ret)
		ret = buf_puts(&b, "}}");
	return json_put(w, &b, ret);
}

/*
 * The matches of a line, as ripgrep lists them: each leftmost match from
 * where the last ended, an empty one too, but not an empty one right
 * where the last ended (Rust's find_iter).
 */
static int json_submatches(struct grep_state *s, struct buf *b, const char *p, size_t n,
			   uint64_t *count)
{
	const struct grep_opts *o = s->o;
	size_t pos = 0, last = SIZE_MAX, bs, bl;
	bool first = true;
	int ret = buf_puts(b, "\"submatches\":[");

	while (!ret && pos <= n && match_next(o, p, n, pos, &bs, &bl)) {
		if (!bl && bs == last) {
			pos = bs + 1;
			continue;
		}
		if (!first)
			ret = buf_puts(b, ",");
		first = false;
		if (!ret)
			ret = buf_puts(b, "{\"match\":");
		if (!ret)
			ret = json_data(b, p + bs, bl);
		if (!ret)
			ret = buf_puts(b, ",");
		if (!ret)
			ret = json_num(b, "start", bs);
		if (!ret)
			ret = buf_puts(b, ",");
		if (!ret)
			ret = json_num(b, "end", bs + bl);
		if (!ret)
			ret = buf_puts(b, "}");
		(*count)++;
		last = bs + bl;
		pos = bl ? bs + bl : bs + 1;
	}
	return ret ? ret : buf_puts(b, "]");
}

/*
 * A selected line (match) or a context line, p[0..n) through its '\n'.
 * A selected line of -v matches no pattern: no submatches, as ripgrep's;
 * a context line lists what matches in it (under -v, all of them).
 */
int json_line(struct grep_state *s, struct grep_out *w, uint64_t line, uint64_t off, const char *p,
	      size_t n, bool match)
{
	const struct grep_opts *o = s->o;
	size_t body = n && p[n - 1] == '\n' ? n - 1 : n;
	struct buf b = {0};
	uint64_t found = 0;
	int ret = json_begin(w);

	if (ret)
		return ret;
	ret = buf_puts(&b, match ? "{\"type\":\"match\",\"data\":{"
				 : "{\"type\":\"context\",\"data\":{");
	if (!ret)
		ret = json_path(&b, w);
	if (!ret)
		ret = buf_puts(&b, ",\"lines\":");
	if (!ret)
		ret = json_data(&b, p, n);
	if (!ret)
		ret = buf_puts(&b, ",");
	if (!ret)
		ret = json_num(&b, "line_number", line);
	if (!ret)
		ret = buf_puts(&b, ",");
	if (!ret)
		ret = json_num(&b, "absolute_offset", off);
	if (!ret)
		ret = buf_puts(&b, ",");
	/* per_pattern=1: the first pattern (from 0, in -e/-f order) that matches the line */
	if (!ret && match && s->per_pattern && w->pattern != UINT32_MAX) {
		ret = json_num(&b, "pattern", w->pattern);
		if (!ret)
			ret = buf_puts(&b, ",");
	}
	/* -x: a context line is a whole-line match only where -v made it context */
	if (!ret && (match ? o->invert : o->xline && !o->invert))
		ret = buf_puts(&b, "\"submatches\":[]");
	else if (!ret)
		ret = json_submatches(s, &b, p, body, &found);
	if (!ret)
		ret = buf_puts(&b, "}}");
	if (match)
		w->matches += found;
	return json_put(w, &b, ret);
}

/* The offset of fd's first NUL (a binary file's "binary_offset"); -1 if none. */
static int64_t json_first_nul(int fd)
{
	char buf[1 << 16];
	uint64_t at = 0;

	for (;;) {
		ssize_t k = pread(fd, buf, sizeof(buf), (off_t)at);
		char *z;

		if (k < 0 && errno == EINTR && !vyrectl_interrupted)
			continue;
		if (k <= 0)
			return -1;
		z = memchr(buf, '\0', (size_t)k);
		if (z)
			return (int64_t)(at + (uint64_t)(z - buf));
		at += (uint64_t)k;
	}
}

/* A file's "end", where it printed (or, binary, hid) a selected line. */
int json_end(struct grep_state *s, struct grep_out *w)
{
	struct grep_json *j = &s->json;
	struct buf b = {0};
	struct stat st;
	uint64_t searched = 0;
	int64_t nul = -1;
	int ret;

	if (w->r.fd >= 0 && fstat(w->r.fd, &st) == 0 && S_ISREG(st.st_mode))
		searched = (uint64_t)st.st_size;
	if (!w->json_begun && !w->selected)
		return 0;
	/* as ripgrep 13's summary: the files that printed a begin, only */
	j->searches++;
	j->with_match += w->selected > 0;
	j->searched += searched;
	j->matched_lines += w->selected;
	j->matches += w->matches;
	j->elapsed_ns += w->elapsed_ns;
	ret = json_begin(w);
	if (ret)
		return ret;
	if (w->binary && w->r.fd >= 0 && s->o->binary != GREP_BIN_TEXT)
		nul = json_first_nul(w->r.fd);
	j->printed += w->json_printed;
	ret = buf_puts(&b, "{\"type\":\"end\",\"data\":{");
	if (!ret)
		ret = json_path(&b, w);
	if (!ret && nul >= 0) {
		ret = buf_puts(&b, ",");
		if (!ret)
			ret = json_num(&b, "binary_offset", (uint64_t)nul);
	} else if (!ret) {
		ret = buf_puts(&b, ",\"binary_offset\":null");
	}
	if (!ret)
		ret = buf_puts(&b, ",\"stats\":{\"elapsed\":");
	if (!ret)
		ret = json_elapsed(&b, w->elapsed_ns, false);
	if (!ret)
		ret = buf_puts(&b, ",\"searches\":1,");
	if (!ret)
		ret = json_num(&b, "searches_with_match", w->selected > 0);
	if (!ret)
		ret = buf_puts(&b, ",");
	if (!ret)
		ret = json_num(&b, "bytes_searched", searched);
	if (!ret)
		ret = buf_puts(&b, ",");
	if (!ret)
		ret = json_num(&b, "bytes_printed", w->json_printed);
	if (!ret)
		ret = buf_puts(&b, ",");
	if (!ret)
		ret = json_num(&b, "matched_lines", w->selected);
	if (!ret)
		ret = buf_puts(&b, ",");
	if (!ret)
		ret = json_num(&b, "matches", w->matches);
	if (!ret)
		ret = buf_puts(&b, "}}}");
	return json_put(NULL, &b, ret);
}

/*
 * The run's "summary", printed whatever was found (keys sorted, as
 * ripgrep's). Its stats are ripgrep 13's: the sum of the "end" messages'
 * (files with no line printed are not counted).
 */
int json_summary(struct grep_state *s)
{
	struct grep_json *j = &s->json;
	uint64_t now = json_now_ns();
	struct buf b = {0};
	int ret = buf_puts(&b, "{\"data\":{\"elapsed_total\":");

	if (!ret)
		ret = json_elapsed(&b, now > j->start_ns ? now - j->start_ns : 0, true);
	if (!ret)
		ret = buf_puts(&b, ",\"stats\":{");
	if (!ret)
		ret = json_num(&b, "bytes_printed", j->printed);
	if (!ret)
		ret = buf_puts(&b, ",");
	if (!ret)
		ret = json_num(&b, "bytes_searched", j->searched);
	if (!ret)
		ret = buf_puts(&b, ",\"elapsed\":");
	if (!ret)
		ret = json_elapsed(&b, j->elapsed_ns, true);
	if (!ret)
		ret = buf_puts(&b, ",");
	if (!ret)
		ret = json_num(&b, "matched_lines", j->matched_lines);
	if (!ret)
		ret = buf_puts(&b, ",");
	if (!ret)
		ret = json_num(&b, "matches", j->matches);
	if (!ret)
		ret = buf_puts(&b, ",");
	if (!ret)
		ret = json_num(&b, "searches", j->searches);
	if (!ret)
		ret = buf_puts(&b, ",");
	if (!ret)
		ret = json_num(&b, "searches_with_match", j->with_match);
	if (!ret)
		ret = buf_puts(&b, "}},\"type\":\"summary\"}");
	return json_put(NULL, &b, ret);
}
