/* SPDX-License-Identifier: MIT */
/*
 * desc_priv.h - what the descriptor parser's files share: descriptor.c (the
 * line, the key table and one function per common key), desc_op.c (the
 * ops' own keys: which op takes each, where it goes in the op's args),
 * desc_value.c (messages, numbers, escapes) and desc_format.c (the
 * normalized line). Nothing else includes it, but white-box tests.
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

/*
 * An op key's value (desc_key.kind): how descriptor.c reads it, how
 * desc_format.c writes it back and where desc_args puts it in the op's
 * member of union pump_op_args (desc_op.c's DESC_AT checks the field's
 * type at compile time).
 */
enum desc_kind {
	DESC_COMMON, /* every op's key: its own parse function, a field of struct desc */
	DESC_FLAG,   /* 0 or 1: sets a bit of a uint32_t */
	DESC_COUNT,  /* 1 or more: a uint64_t */
	DESC_BYTE,   /* 0 to 255: a uint32_t */
	DESC_TEXT,   /* escaped bytes: a const uint8_t * and a uint32_t length */
	DESC_PATH,   /* an absolute path: a const char *, NUL-terminated */
};

struct desc_key {
	const char *name;
	bool quotable;
	enum desc_kind kind;
	int (*parse)(struct desc_parser *p, const struct desc_tok *t); /* DESC_COMMON's */
	/* an op key's message: a flag's "=1 does" ("for literal patterns,
	 * like grep -F"), a count's unit ("lines") */
	const char *hint;
};
/* In the order messages list the keys (descriptor.c). */
extern const struct desc_key desc_keys[DESC_KEY_COUNT];

/*
 * One key an op takes, and where its value goes in the op's member of
 * union pump_op_args (desc_args). A flag sets bit in the uint32_t at arg;
 * a text puts its pointer at arg and its length (cut to max) at arg_len.
 */
struct desc_op_key {
	enum desc_key_id key;
	enum desc_kind kind; /* = desc_keys[key].kind; the one the field's type fits */
	uint32_t arg;
	uint32_t arg_len;
	uint32_t bit;
	uint64_t def; /* a byte's or count's value when not given */
	uint32_t max; /* a text's most bytes, as desc_format writes it */
};

/* One op's row of desc_op.c's table, indexed by VYRE_OPI_*. */
struct desc_op {
	const struct desc_op_key *keys; /* in the order desc_format writes them */
	size_t nkeys;
	/* what depends on more than one of its keys, or a key it needs; NULL: nothing */
	int (*check)(struct desc_parser *p);
};

/* desc_op.c */
const struct desc_op *desc_op_of(const struct pump_op *op);
int desc_op_check(struct desc_parser *p);

/* the blanks between tokens (descriptor.c; desc_format.c quotes a path that has one) */
static inline bool desc_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* desc_value.c */
const char *desc_show(const char *s, size_t n, char out[DESC_SHOW_LEN]);
int __attribute__((format(printf, 3, 4)))
desc_fail(struct desc_parser *p, const struct desc_tok *t, const char *fmt, ...);
const char *desc_op_list(char buf[DESC_LIST_LEN]);
const char *desc_size_str(uint64_t v, char buf[DESC_SIZE_LEN]);
int desc_num(const char *s, size_t n, uint64_t *out, size_t *used);
int desc_size(const char *s, size_t n, uint64_t *out);
int desc_escape(const char *s, size_t n, size_t *used);
int desc_unescape(struct desc_parser *p, const struct desc_tok *t, uint8_t *out, size_t max,
		  size_t *outlen);

#endif
