/* SPDX-License-Identifier: MIT */
/*
 * desc_priv.h - what the descriptor parser's files share: descriptor.c (the
 * line and one function per key), desc_value.c (messages, numbers,
 * escapes) and desc_format.c (the normalized line). Nothing else includes it.
 */
#ifndef VYRE_DESC_PRIV_H
#define VYRE_DESC_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "descriptor.h"

/* A user's token is echoed in a message up to this many bytes, then "...". */
#define DESC_SHOW_MAX 64
/* Each shown byte may take 4 characters (\xHH), then "..." and the NUL. */
#define DESC_SHOW_LEN (DESC_SHOW_MAX * 4 + 4)
#define DESC_LIST_LEN 192
#define DESC_SIZE_LEN 24 /* 20 digits, a suffix, the NUL */

enum desc_key_id {
	DESC_KEY_PATH,
	DESC_KEY_OP,
	DESC_KEY_OFFSET,
	DESC_KEY_LENGTH,
	DESC_KEY_CHUNK,
	DESC_KEY_BYTE,
	DESC_KEY_PATTERN,
	DESC_KEY_TENANT,
	DESC_KEY_DIRECT,
	DESC_KEY_PATTERNS,
	DESC_KEY_FIXED,
	DESC_KEY_ICASE,
	DESC_KEY_UTF8,
	DESC_KEY_INVERT,
	DESC_KEY_LINES,
	DESC_KEY_PER_PATTERN,
	DESC_KEY_MAX,
	DESC_KEY_PRIORITY,
	DESC_KEY_FILES,
	DESC_KEY_FOLLOW,
	DESC_KEY_TRACE,
	DESC_KEY_REPLAY,
	DESC_KEY_ORDER,
	DESC_KEY_WAIT,
	DESC_KEY_COUNT,
};

/* One token; text and val point into the caller's line and are not NUL-terminated. */
struct desc_tok {
	const char *text; /* the whole token as written, for messages */
	size_t len;
	size_t klen;	 /* the key is text[0, klen) */
	const char *val; /* the value, inside the quotes if quoted; NULL: no '=' */
	size_t vlen;
	bool quoted;
	bool literal; /* single-quoted: no escapes */
};

/* Lives on desc_parse's stack; d is copied out only when the whole line is good. */
struct desc_parser {
	struct desc d;
	struct desc_tok seen[DESC_KEY_COUNT]; /* valid where have[] is set */
	bool have[DESC_KEY_COUNT];
	char *err;
	size_t errlen;
};

struct desc_key {
	const char *name;
	bool quotable;
	int (*parse)(struct desc_parser *p, const struct desc_tok *t);
};

/* the blanks between tokens (descriptor.c; desc_format.c quotes a path that has one) */
static inline bool desc_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* desc_value.c */
const char *desc_show(const char *s, size_t n, char out[DESC_SHOW_LEN]);
int __attribute__((format(printf, 3, 4)))
desc_fail(struct desc_parser *p, const struct desc_tok *t, const char *fmt, ...);
const char *desc_op_list(uint32_t args, char buf[DESC_LIST_LEN]);
const char *desc_size_str(uint64_t v, char buf[DESC_SIZE_LEN]);
int desc_num(const char *s, size_t n, uint64_t *out, size_t *used);
int desc_size(const char *s, size_t n, uint64_t *out);
int desc_escape(const char *s, size_t n, size_t *used);
int desc_unescape(struct desc_parser *p, const struct desc_tok *t, uint8_t *out, size_t max,
		  size_t *outlen);

#endif
