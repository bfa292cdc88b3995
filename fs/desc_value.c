// SPDX-License-Identifier: MIT
/*
 * desc_value.c - the descriptor parser's messages (a user's token shown
 * safely, the lists of ops) and values (numbers, sizes, escapes).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "desc_priv.h"

/* ---- messages ----------------------------------------------------------- */

/*
 * Copies up to DESC_SHOW_MAX bytes of s, control and non-ASCII bytes as
 * \xHH: the message goes back to the user through read() and must stay one
 * printable line whatever was written.
 */
const char *desc_show(const char *s, size_t n, char out[DESC_SHOW_LEN])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < n && i < DESC_SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	if (n > DESC_SHOW_MAX) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* Writes "TOKEN: what is wrong (the fix)" into the caller's err; returns -EINVAL. */
int __attribute__((format(printf, 3, 4)))
desc_fail(struct desc_parser *p, const struct desc_tok *t, const char *fmt, ...)
{
	char show[DESC_SHOW_LEN];
	size_t off = 0;
	va_list ap;

	if (!p->err || !p->errlen)
		return -EINVAL;
	if (t) {
		int n = snprintf(p->err, p->errlen, "%s: ", desc_show(t->text, t->len, show));

		if (n < 0 || (size_t)n >= p->errlen)
			return -EINVAL;
		off = (size_t)n;
	}
	va_start(ap, fmt);
	vsnprintf(p->err + off, p->errlen - off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "nop count match histogram grep": every op, in table order. */
const char *desc_op_list(char buf[DESC_LIST_LEN])
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < pump_ops_count; i++) {
		int n =
		    snprintf(buf + o, DESC_LIST_LEN - o, "%s%s", o ? " " : "", pump_ops[i]->name);
		if (n < 0 || (size_t)n >= DESC_LIST_LEN - o)
			break;
		o += (size_t)n;
	}
	return buf;
}

/* "4K", "64M", "3000": the largest suffix that divides v exactly. */
const char *desc_size_str(uint64_t v, char buf[DESC_SIZE_LEN])
{
	static const struct {
		unsigned shift;
		char suffix;
	} units[] = {{30, 'G'}, {20, 'M'}, {10, 'K'}};

	for (size_t i = 0; v && i < sizeof(units) / sizeof(units[0]); i++) {
		if (v & ((UINT64_C(1) << units[i].shift) - 1))
			continue;
		snprintf(buf, DESC_SIZE_LEN, "%" PRIu64 "%c", v >> units[i].shift, units[i].suffix);
		return buf;
	}
	snprintf(buf, DESC_SIZE_LEN, "%" PRIu64, v);
	return buf;
}

/* ---- numbers and escapes ------------------------------------------------ */

static int desc_digit(char c, unsigned base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The digits at the start of s[0, n): decimal, or hex after 0x. Stops at the
 * first other byte and says where in *used. 0, -EINVAL (no digits) or -ERANGE.
 */
int desc_num(const char *s, size_t n, uint64_t *out, size_t *used)
{
	unsigned base = 10;
	uint64_t v = 0;
	size_t i = 0, start;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (start = i; i < n; i++) {
		int digit = desc_digit(s[i], base);

		if (digit < 0)
			break;
		if (v > (UINT64_MAX - (unsigned)digit) / base)
			return -ERANGE;
		v = v * base + (unsigned)digit;
	}
	if (i == start)
		return -EINVAL;
	*out = v;
	*used = i;
	return 0;
}

int desc_size(const char *s, size_t n, uint64_t *out)
{
	unsigned shift = 0;
	size_t used;
	uint64_t v;
	int ret;

	ret = desc_num(s, n, &v, &used);
	if (ret)
		return ret;
	if (used < n) {
		switch (s[used]) {
		case 'K':
		case 'k':
			shift = 10;
			break;
		case 'M':
		case 'm':
			shift = 20;
			break;
		case 'G':
		case 'g':
			shift = 30;
			break;
		default:
			return -EINVAL;
		}
		if (used + 1 != n)
			return -EINVAL;
	}
	if (v > UINT64_MAX >> shift)
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int desc_parse_size(const char *s, uint64_t *out)
{
	if (!s || !out)
		return -EINVAL;
	return desc_size(s, strlen(s), out);
}

/* s[0] is a backslash: returns the byte the escape stands for and sets *used, or -1. */
int desc_escape(const char *s, size_t n, size_t *used)
{
	int hi, lo;

	*used = 2;
	if (n < 2)
		return -1;
	switch (s[1]) {
	case '\\':
		return '\\';
	case '"':
		return '"';
	case 'n':
		return '\n';
	case 't':
		return '\t';
	case 'x':
		if (n < 4)
			return -1;
		hi = desc_digit(s[2], 16);
		lo = desc_digit(s[3], 16);
		if (hi < 0 || lo < 0)
			return -1;
		*used = 4;
		return hi << 4 | lo;
	default:
		return -1;
	}
}

/*
 * Decodes t's value into out. Counts every byte but stores at most max, so
 * the caller can say how long a value over its limit was.
 */
int desc_unescape(struct desc_parser *p, const struct desc_tok *t, uint8_t *out, size_t max,
		  size_t *outlen)
{
	const char *s = t->val;
	size_t n = t->vlen, o = 0, used;
	char show[DESC_SHOW_LEN];

	if (t->literal) {
		memcpy(out, s, n < max ? n : max);
		*outlen = n;
		return 0;
	}
	for (size_t i = 0; i < n; i += used, o++) {
		int c = (unsigned char)s[i];

		used = 1;
		if (c == '\\') {
			c = desc_escape(s + i, n - i, &used);
			if (c < 0) {
				size_t w = n - i < 4 ? n - i : 4;

				return desc_fail(p, t,
						 "bad escape %s (escapes: \\\\ \\\" \\n \\t \\xHH)",
						 desc_show(s + i, w, show));
			}
		}
		if (o < max)
			out[o] = (uint8_t)c;
	}
	*outlen = o;
	return 0;
}

