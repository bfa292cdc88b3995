// SPDX-License-Identifier: MIT
/*
 * regex_err.c - the compiler's messages: every stage formats its errors
 * (a position in the pattern, the part quoted, the fix) and reports the
 * work cap through these, so they sit below all of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

static int rerr_vformat(struct rerr *e, int code, bool at, size_t pos, const char *fmt, va_list ap)
{
	int o = 0;

	if (!e->buf || !e->len)
		return code;
	if (e->pattern && at)
		o = snprintf(e->buf, e->len, "pattern %zu at %zu: ", e->pattern, e->base + pos + 1);
	else if (at)
		o = snprintf(e->buf, e->len, "at %zu: ", e->base + pos + 1);
	else if (e->pattern)
		o = snprintf(e->buf, e->len, "pattern %zu: ", e->pattern);
	if (o >= 0 && (size_t)o < e->len)
		vsnprintf(e->buf + o, e->len - o, fmt, ap);
	size_t l = strlen(e->buf);
	while (l && e->buf[l - 1] == '\n')
		e->buf[--l] = 0;
	return code;
}

int rerr_at(struct rerr *e, int code, size_t pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rerr_vformat(e, code, true, pos, fmt, ap);
	va_end(ap);
	return code;
}

int rerr_msg(struct rerr *e, int code, const char *fmt, ...)
{
	va_list ap;
	struct rerr plain = *e;

	plain.pattern = 0; /* size limits are about the whole set */
	va_start(ap, fmt);
	rerr_vformat(&plain, code, false, 0, fmt, ap);
	va_end(ap);
	return code;
}

void rerr_quote(char *out, size_t cap, const uint8_t *p, size_t len)
{
	size_t o = 0;

	if (!cap)
		return;
	out[0] = 0;
	for (size_t i = 0; i < len; i++) {
		char b[5];

		if (p[i] >= ' ' && p[i] < 0x7f)
			snprintf(b, sizeof(b), "%c", p[i]);
		else
			snprintf(b, sizeof(b), "\\x%02x", p[i]);
		size_t k = strlen(b);
		if (o + k + 4 > cap) { /* room for "..." and the NUL */
			snprintf(out + o, cap - o, "...");
			return;
		}
		memcpy(out + o, b, k + 1);
		o += k;
	}
}

int rwork_fail(struct rerr *e, const struct rwork *w)
{
	return rerr_msg(e, -ETIMEDOUT,
			"compiling the patterns needs more than %llu million steps, about 0.3 s "
			"of CPU, REGEX_WORK_MAX (try a simpler pattern: smaller repetition "
			"counts, fewer nested groups, or fewer patterns)",
			(unsigned long long)(w->max / 1000000));
}
