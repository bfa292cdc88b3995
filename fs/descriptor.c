// SPDX-License-Identifier: MIT
/*
 * descriptor.c - parse and format the job descriptor of README.md "Job descriptors".
 *
 * The line comes straight from a user's write(): it may hold anything, is
 * not NUL-terminated, and is read once, left to right, never past len.
 * Each key is one row of desc_keys[]; a value is checked where it is read,
 * and what depends on other keys (an op's own keys against op=, their
 * checks in desc_op.c, the end of the range) once the whole line is read,
 * since keys come in any order.
 *
 * Quoting: a value that starts with '"' runs to the next unescaped '"' and
 * may hold blanks; only path= and pattern= may be quoted. The escapes
 * \\ \" \n \t \xHH apply inside double quotes and in every unquoted
 * pattern= value. A value that starts with '\'' runs to the next '\'' and is
 * taken literally, as the shell takes it (pattern='ERROR.*\.log'). An
 * unquoted path= is taken literally, so an ordinary path never needs them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "desc_priv.h"

static const char *desc_key_list(char buf[DESC_LIST_LEN])
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < DESC_KEY_COUNT; i++) {
		int n =
		    snprintf(buf + o, DESC_LIST_LEN - o, "%s%s", o ? " " : "", desc_keys[i].name);

		if (n < 0 || (size_t)n >= DESC_LIST_LEN - o)
			break;
		o += (size_t)n;
	}
	return buf;
}

/* ---- one function per key ----------------------------------------------- */

/* path= and patterns=: an absolute path, quoted or taken literally. */
static int desc_parse_abspath(struct desc_parser *p, const struct desc_tok *t, char *path,
			      const char *key)
{
	char show[DESC_SHOW_LEN];
	size_t n = t->vlen;
	int ret;

	if (t->quoted) {
		ret = desc_unescape(p, t, (uint8_t *)path, PATH_MAX - 1, &n);
		if (ret)
			return ret;
	} else if (n < PATH_MAX) {
		memcpy(path, t->val, n);
	}
	if (n >= PATH_MAX)
		return desc_fail(p, t, "%zu bytes, over the %d-byte path limit (shorten it)", n,
				 PATH_MAX - 1);
	path[n] = '\0';
	if (memchr(path, '\0', n))
		return desc_fail(p, t, "a path cannot hold a NUL byte (remove the \\x00)");
	if (!n)
		return desc_fail(p, t, "must be an absolute path (try %s=/abs/file)", key);
	if (path[0] != '/')
		return desc_fail(p, t, "must be an absolute path (try %s=/abs/%s)", key,
				 desc_show(path, n, show));
	return 0;
}

static int desc_parse_path(struct desc_parser *p, const struct desc_tok *t)
{
	return desc_parse_abspath(p, t, p->d.path, "path");
}

/* A flag: 0 or 1. */
static int desc_parse_flag(struct desc_parser *p, const struct desc_tok *t, bool *out,
			   const char *what)
{
	if (t->vlen == 1 && (t->val[0] == '0' || t->val[0] == '1')) {
		*out = t->val[0] == '1';
		return 0;
	}
	return desc_fail(p, t, "must be 0 or 1 (try %.*s=1 %s)", (int)t->klen, t->text, what);
}

static int desc_parse_wait(struct desc_parser *p, const struct desc_tok *t)
{
	return desc_parse_flag(p, t, &p->d.wait,
			       "to read the job's final status back from the same open ctl");
}

static int desc_parse_trace(struct desc_parser *p, const struct desc_tok *t)
{
	return desc_parse_flag(p, t, &p->d.trace, "to record every slot in jobs/N/trace");
}

static int desc_parse_replay(struct desc_parser *p, const struct desc_tok *t)
{
	return desc_parse_abspath(p, t, p->d.replay, "replay");
}

static int desc_parse_op(struct desc_parser *p, const struct desc_tok *t)
{
	char name[32], list[DESC_LIST_LEN];

	/* A line never holds a NUL, so strcmp in pump_op_find sees all of it. */
	if (t->vlen < sizeof(name)) {
		memcpy(name, t->val, t->vlen);
		name[t->vlen] = '\0';
		p->d.op = pump_op_find(name);
	}
	if (!p->d.op)
		return desc_fail(p, t, "unknown op (ops: %s)", desc_op_list(list));
	return 0;
}

/* offset= and length=: any 64-bit size, which says why it is not one. */
static int desc_parse_bytes(struct desc_parser *p, const struct desc_tok *t, uint64_t *out,
			    const char *fix)
{
	int ret;

	if (t->vlen && t->val[0] == '-')
		return desc_fail(p, t, "must not be negative (%s)", fix);
	ret = desc_size(t->val, t->vlen, out);
	if (ret == -ERANGE)
		return desc_fail(p, t, "overflows 64 bits (the largest size is %" PRIu64 "G)",
				 UINT64_MAX >> 30);
	if (ret)
		return desc_fail(p, t,
				 "not a size (use digits or 0x hex with an optional K, M or G "
				 "suffix, e.g. %.*s=4K)",
				 (int)t->klen, t->text);
	return 0;
}

static int desc_parse_offset(struct desc_parser *p, const struct desc_tok *t)
{
	return desc_parse_bytes(p, t, &p->d.offset, "try offset=0");
}

static int desc_parse_length(struct desc_parser *p, const struct desc_tok *t)
{
	if (t->vlen == 3 && !memcmp(t->val, "eof", 3)) {
		p->d.length = UINT64_MAX;
		return 0;
	}
	return desc_parse_bytes(p, t, &p->d.length, "omit length= to scan to EOF");
}

/* The power of two in range nearest below v, to suggest in place of v. */
static uint64_t desc_chunk_fix(uint64_t v)
{
	uint64_t c = PUMP_CHUNK_MIN;

	while (c < PUMP_CHUNK_MAX && c * 2 <= v)
		c *= 2;
	return c;
}

static int desc_parse_chunk(struct desc_parser *p, const struct desc_tok *t)
{
	char lo[DESC_SIZE_LEN], hi[DESC_SIZE_LEN], fix[DESC_SIZE_LEN];
	uint64_t v = 0;
	int ret;

	ret = desc_size(t->val, t->vlen, &v);
	if (!ret && v >= PUMP_CHUNK_MIN && v <= PUMP_CHUNK_MAX && !(v & (v - 1))) {
		p->d.chunk = (uint32_t)v;
		return 0;
	}
	if (ret == -ERANGE)
		v = PUMP_CHUNK_MAX;
	return desc_fail(p, t, "must be a power of two between %s and %s (try chunk=%s)",
			 desc_size_str(PUMP_CHUNK_MIN, lo), desc_size_str(PUMP_CHUNK_MAX, hi),
			 desc_size_str(desc_chunk_fix(v), fix));
}

static bool desc_tenant_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static int desc_parse_tenant(struct desc_parser *p, const struct desc_tok *t)
{
	char fix[DESC_TENANT_MAX];
	bool ok = t->vlen && t->vlen < DESC_TENANT_MAX;
	size_t n = 0;

	/* The suggestion is the value with each bad byte made '_', cut to fit. */
	for (size_t i = 0; i < t->vlen; i++) {
		bool good = desc_tenant_char(t->val[i]);

		ok = ok && good;
		if (n < DESC_TENANT_MAX - 1)
			fix[n++] = good ? t->val[i] : '_';
	}
	fix[n] = '\0';
	if (!ok)
		return desc_fail(p, t,
				 "must be 1 to %d characters of A-Z a-z 0-9 _ . - (try tenant=%s)",
				 DESC_TENANT_MAX - 1, n ? fix : "batch");
	memcpy(p->d.tenant, t->val, t->vlen);
	p->d.tenant[t->vlen] = '\0';
	return 0;
}

static int desc_parse_direct(struct desc_parser *p, const struct desc_tok *t)
{
	if (t->vlen == 1 && (t->val[0] == '0' || t->val[0] == '1')) {
		p->d.direct = t->val[0] - '0';
		return 0;
	}
	return desc_fail(p, t, "must be 0 or 1 (try direct=1 for O_DIRECT reads)");
}

static int desc_parse_priority(struct desc_parser *p, const struct desc_tok *t)
{
	if (pump_priority_parse(t->val, t->vlen, &p->d.priority) == 0)
		return 0;
	return desc_fail(p, t, "must be critical, high, normal, low or idle (try priority=low "
			 "for a background scan)");
}

static int desc_parse_files(struct desc_parser *p, const struct desc_tok *t)
{
	return desc_parse_abspath(p, t, p->d.files, "files");
}

static int desc_parse_follow(struct desc_parser *p, const struct desc_tok *t)
{
	return desc_parse_flag(p, t, &p->d.follow, "to follow symlinks in a directory, like "
			       "grep -R");
}

static int desc_parse_order(struct desc_parser *p, const struct desc_tok *t)
{
	if (t->vlen == 4 && !memcmp(t->val, "walk", 4)) {
		p->d.walk_order = true;
		return 0;
	}
	if (t->vlen == 4 && !memcmp(t->val, "path", 4)) {
		p->d.walk_order = false;
		return 0;
	}
	return desc_fail(p, t, "must be walk or path (try order=walk for files in grep -r's "
			 "order, streamed as they end)");
}

/*
 * An op key's value, by its kind, into p->d.val (and p->d.text); whether
 * op= takes the key is desc_op_check's, once the line is read.
 */
static int desc_parse_val(struct desc_parser *p, const struct desc_tok *t, int id)
{
	const struct desc_key *k = &desc_keys[id];
	struct desc_val *v = &p->d.val[id];
	char *text = p->d.text + p->d.ntext, path[PATH_MAX];
	size_t room = sizeof(p->d.text) - p->d.ntext - 1, used, n = 0;
	uint64_t num = 0;
	bool flag = false;
	int ret;

	switch (k->kind) {
	case DESC_FLAG:
		ret = desc_parse_flag(p, t, &flag, k->hint);
		if (ret)
			return ret;
		num = flag;
		break;
	case DESC_COUNT:
		if (desc_num(t->val, t->vlen, &num, &used) || used != t->vlen || !num)
			return desc_fail(p, t,
					 "must be a count of %s, 1 or more (try %s=10; omit %s= for "
					 "no limit)",
					 k->hint, k->name, k->name);
		break;
	case DESC_BYTE:
		if (desc_num(t->val, t->vlen, &num, &used) || used != t->vlen || num > 0xff)
			return desc_fail(p, t,
					 "must be one byte, 0 to 255 or 0x00 to 0xff (try %s=0x0a)",
					 k->name);
		break;
	case DESC_TEXT:
		/* how long a text may be depends on op=: its check says */
		room = room < DESC_PATTERN_MAX ? room : DESC_PATTERN_MAX;
		ret = desc_unescape(p, t, (uint8_t *)text, room, &n);
		if (ret)
			return ret;
		n = n < room ? n : room;
		break;
	case DESC_PATH:
		ret = desc_parse_abspath(p, t, path, k->name);
		if (ret)
			return ret;
		n = strlen(path);
		if (n > room) /* a value is never longer than its token: cannot happen */
			return desc_fail(p, t, "no room for the value (shorten the line)");
		memcpy(text, path, n);
		break;
	case DESC_COMMON:
		return -EINVAL;
	}
	if (k->kind == DESC_TEXT || k->kind == DESC_PATH) {
		text[n] = '\0';
		v->off = (uint16_t)p->d.ntext;
		v->len = (uint16_t)n;
		p->d.ntext += (uint32_t)n + 1;
	}
	v->num = num;
	v->given = true;
	return 0;
}

/*
 * Every key, in the order messages list them: the common ones with their
 * parse functions, the ops' own with their kinds (desc_op.c says which op
 * takes each and where it goes).
 */
const struct desc_key desc_keys[] = {
    [DESC_KEY_PATH] = {.name = "path", .quotable = true, .parse = desc_parse_path},
    [DESC_KEY_OP] = {.name = "op", .parse = desc_parse_op},
    [DESC_KEY_OFFSET] = {.name = "offset", .parse = desc_parse_offset},
    [DESC_KEY_LENGTH] = {.name = "length", .parse = desc_parse_length},
    [DESC_KEY_CHUNK] = {.name = "chunk", .parse = desc_parse_chunk},
    [DESC_KEY_BYTE] = {.name = "byte", .kind = DESC_BYTE},
    [DESC_KEY_PATTERN] = {.name = "pattern", .quotable = true, .kind = DESC_TEXT},
    [DESC_KEY_TENANT] = {.name = "tenant", .parse = desc_parse_tenant},
    [DESC_KEY_DIRECT] = {.name = "direct", .parse = desc_parse_direct},
    [DESC_KEY_PATTERNS] = {.name = "patterns", .quotable = true, .kind = DESC_PATH},
    [DESC_KEY_FIXED] = {.name = "fixed",
			.kind = DESC_FLAG,
			.hint = "for literal patterns, like grep -F"},
    [DESC_KEY_ICASE] = {.name = "icase",
			.kind = DESC_FLAG,
			.hint = "to ignore case, like grep -i"},
    [DESC_KEY_UTF8] = {.name = "utf8",
			.kind = DESC_FLAG,
			.hint = "for characters, like grep in a UTF-8 locale"},
    [DESC_KEY_INVERT] = {.name = "invert",
			.kind = DESC_FLAG,
			.hint = "to select non-matching lines, like grep -v"},
    [DESC_KEY_LINES] = {.name = "lines",
			.kind = DESC_FLAG,
			.hint = "to list LINE:OFFSET in jobs/N/lines"},
    [DESC_KEY_PER_PATTERN] = {.name = "per_pattern",
			.kind = DESC_FLAG,
			.hint = "to count lines per pattern in jobs/N/patterns"},
    [DESC_KEY_MAX] = {.name = "max", .kind = DESC_COUNT, .hint = "lines"},
    [DESC_KEY_PRIORITY] = {.name = "priority", .parse = desc_parse_priority},
    [DESC_KEY_FILES] = {.name = "files", .quotable = true, .parse = desc_parse_files},
    [DESC_KEY_FOLLOW] = {.name = "follow", .parse = desc_parse_follow},
    [DESC_KEY_TRACE] = {.name = "trace", .parse = desc_parse_trace},
    [DESC_KEY_REPLAY] = {.name = "replay", .quotable = true, .parse = desc_parse_replay},
    [DESC_KEY_ORDER] = {.name = "order", .parse = desc_parse_order},
    [DESC_KEY_WAIT] = {.name = "wait", .parse = desc_parse_wait},
};
_Static_assert(sizeof(desc_keys) / sizeof(desc_keys[0]) == DESC_KEY_COUNT,
	       "desc_keys[] needs one row per DESC_KEY_*");
_Static_assert(DESC_KEY_COUNT <= DESC_KEYS_MAX, "struct desc's val[] needs a slot per key");

/* ---- the line ----------------------------------------------------------- */

/* The token containing line[at], blank to blank, so a message can name it. */
static struct desc_tok desc_tok_around(const char *line, size_t len, size_t at)
{
	size_t s = at, e = at;

	while (s > 0 && !desc_blank(line[s - 1]))
		s--;
	while (e < len && !desc_blank(line[e]))
		e++;
	return (struct desc_tok){.text = line + s, .len = e - s};
}

/*
 * Splits off the token at line[*pos] (not a blank): key=value,
 * key="quoted value", or a bare word (val NULL), which only the verb may be.
 */
static int desc_token(struct desc_parser *p, const char *line, size_t len, size_t *pos,
		      struct desc_tok *t)
{
	size_t start = *pos, eq = start, end, q;

	while (eq < len && !desc_blank(line[eq]) && line[eq] != '=')
		eq++;
	*t = (struct desc_tok){.text = line + start, .len = eq - start, .klen = eq - start};
	if (eq == len || line[eq] != '=') {
		*pos = eq;
		return 0;
	}
	if (eq + 1 < len && (line[eq + 1] == '"' || line[eq + 1] == '\'')) {
		char quote = line[eq + 1];

		/* In double quotes a backslash hides the byte after it, as
		 * desc_escape reads it; single quotes hide nothing. */
		for (q = eq + 2; q < len && line[q] != quote; q++)
			if (quote == '"' && line[q] == '\\')
				q++;
		if (q >= len) {
			t->len = len - start;
			return desc_fail(p, t, "unterminated quote (end the value with %c)", quote);
		}
		t->quoted = true;
		t->literal = quote == '\'';
		t->val = line + eq + 2;
		t->vlen = q - eq - 2;
		end = q + 1;
		if (end < len && !desc_blank(line[end])) {
			while (end < len && !desc_blank(line[end]))
				end++;
			t->len = end - start;
			return desc_fail(p, t,
					 "text after the closing quote (put a blank after it)");
		}
	} else {
		for (end = eq + 1; end < len && !desc_blank(line[end]); end++)
			;
		t->val = line + eq + 1;
		t->vlen = end - eq - 1;
	}
	t->len = end - start;
	*pos = end;
	return 0;
}

static int desc_key_find(const char *key, size_t n)
{
	for (int i = 0; i < DESC_KEY_COUNT; i++)
		if (strlen(desc_keys[i].name) == n && !memcmp(desc_keys[i].name, key, n))
			return i;
	return -1;
}

static int desc_take(struct desc_parser *p, const struct desc_tok *t, bool first)
{
	char list[DESC_LIST_LEN], show[DESC_SHOW_LEN];
	const struct desc_tok *prev;
	int id;

	if (!t->val) {
		if (first && t->len == 4 && !memcmp(t->text, "scan", 4))
			return 0;
		if (first)
			return desc_fail(p, t,
					 "unknown verb (the only verb is scan; try "
					 "scan path=/abs/file op=count)");
		return desc_fail(p, t, "not a key=value token (keys: %s)", desc_key_list(list));
	}
	id = desc_key_find(t->text, t->klen);
	if (id < 0)
		return desc_fail(p, t, "unknown key (keys: %s)", desc_key_list(list));
	if (p->have[id]) {
		prev = &p->seen[id];
		return desc_fail(p, t, "%s= given twice, first as %s (keep one)",
				 desc_keys[id].name, desc_show(prev->text, prev->len, show));
	}
	if (t->quoted && !desc_keys[id].quotable)
		return desc_fail(p, t,
				 "only path=, pattern=, patterns= and files= may be quoted (drop "
				 "the quotes)");
	p->have[id] = true;
	p->seen[id] = *t;
	if (desc_keys[id].kind == DESC_COMMON)
		return desc_keys[id].parse(p, t);
	return desc_parse_val(p, t, id);
}

/* What depends on more than one key, once the line is read. */
static int desc_check(struct desc_parser *p)
{
	const struct desc *d = &p->d;
	char list[DESC_LIST_LEN];
	int ret;

	if (p->have[DESC_KEY_PATH] && p->have[DESC_KEY_FILES])
		return desc_fail(p, &p->seen[DESC_KEY_FILES],
				 "files= and path= exclude each other (give one: path= for a file, "
				 "directory or glob, files= for a list of paths)");
	if (!p->have[DESC_KEY_PATH] && !p->have[DESC_KEY_FILES])
		return desc_fail(p, NULL, "missing path= (try scan path=/abs/file op=count)");
	if (!p->have[DESC_KEY_OP])
		return desc_fail(p, NULL, "missing op= (ops: %s)", desc_op_list(list));
	ret = desc_op_check(p);
	if (ret)
		return ret;
	if (d->length != UINT64_MAX && d->offset > UINT64_MAX - d->length)
		return desc_fail(p, &p->seen[DESC_KEY_LENGTH],
				 "offset+length overflows 64 bits (omit length= to scan to EOF)");
	return 0;
}

static int desc_read_tokens(struct desc_parser *p, const char *line, size_t len)
{
	bool first = true;
	struct desc_tok t;
	size_t pos = 0;
	int ret;

	for (;;) {
		while (pos < len && desc_blank(line[pos]))
			pos++;
		if (pos == len)
			break;
		ret = desc_token(p, line, len, &pos, &t);
		if (ret)
			return ret;
		ret = desc_take(p, &t, first);
		if (ret)
			return ret;
		first = false;
	}
	if (first)
		return desc_fail(p, NULL, "empty descriptor (try scan path=/abs/file op=count)");
	return 0;
}

int desc_parse(const char *line, size_t len, struct desc *d, char *err, size_t errlen)
{
	struct desc_parser p = {
	    .d = {.length = UINT64_MAX, .direct = -1},
	    .err = err,
	    .errlen = errlen,
	};
	const char *nul;
	struct desc_tok t;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (len > DESC_LINE_MAX) {
		desc_fail(&p, NULL, "line of %zu bytes, over the %d-byte limit (shorten it)", len,
			  DESC_LINE_MAX);
		return -E2BIG;
	}
	nul = line ? memchr(line, '\0', len) : NULL;
	if (nul) {
		t = desc_tok_around(line, len, (size_t)(nul - line));
		return desc_fail(&p, &t,
				 "NUL byte in the line (remove it; in a pattern write \\x00)");
	}
	ret = desc_read_tokens(&p, line, len);
	if (!ret)
		ret = desc_check(&p);
	if (ret)
		return ret;
	*d = p.d;
	return 0;
}
