// SPDX-License-Identifier: MIT
/*
 * desc_format.c - the normalized descriptor (jobs/N/descriptor): every key,
 * defaults resolved, pattern re-escaped so desc_parse accepts it back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "desc_priv.h"

/* ---- formatting --------------------------------------------------------- */

/* Appends to buf; pos keeps counting past len so the end can say -ENOSPC. */
struct desc_out {
	char *buf;
	size_t len;
	size_t pos;
};

static void desc_put(struct desc_out *o, const char *s, size_t n)
{
	if (o->pos < o->len)
		memcpy(o->buf + o->pos, s, n < o->len - o->pos ? n : o->len - o->pos);
	o->pos += n;
}

static void desc_puts(struct desc_out *o, const char *s)
{
	desc_put(o, s, strlen(s));
}

/*
 * Writes s in double quotes in a form desc_unescape reads back. Control
 * bytes always become escapes so the line stays one line; bytes over 0x7e
 * too when escape_high (a pattern is often binary, a path is often UTF-8).
 */
static void desc_put_quoted(struct desc_out *o, const uint8_t *s, size_t n, bool escape_high)
{
	static const char hex[] = "0123456789abcdef";

	desc_put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		char esc[4] = {'\\', 'x', hex[s[i] >> 4], hex[s[i] & 15]};

		if (s[i] == '"' || s[i] == '\\') {
			esc[1] = (char)s[i];
			desc_put(o, esc, 2);
		} else if (s[i] == '\n' || s[i] == '\t') {
			esc[1] = s[i] == '\n' ? 'n' : 't';
			desc_put(o, esc, 2);
		} else if (s[i] < 0x20 || s[i] == 0x7f || (escape_high && s[i] > 0x7e)) {
			desc_put(o, esc, 4);
		} else {
			desc_put(o, (const char *)&s[i], 1);
		}
	}
	desc_put(o, "\"", 1);
}

/* An unquoted path is literal, so only blanks, quotes and control bytes need quotes. */
static bool desc_path_plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (desc_blank((char)c) || c == '"' || c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static void desc_put_size(struct desc_out *o, const char *key, uint64_t v)
{
	char size[DESC_SIZE_LEN];

	desc_puts(o, key);
	desc_puts(o, desc_size_str(v, size));
}

int desc_format(const struct desc *d, char *buf, size_t len)
{
	struct desc_out o = {.buf = buf, .len = len};
	size_t n = strnlen(d->path, PATH_MAX);
	char num[DESC_SIZE_LEN];

	if (!d->op)
		return -EINVAL;
	if (d->files[0]) {
		size_t fn = strnlen(d->files, PATH_MAX);

		desc_puts(&o, "scan files=");
		if (desc_path_plain(d->files, fn))
			desc_put(&o, d->files, fn);
		else
			desc_put_quoted(&o, (const uint8_t *)d->files, fn, false);
	} else {
		desc_puts(&o, "scan path=");
		if (desc_path_plain(d->path, n))
			desc_put(&o, d->path, n);
		else
			desc_put_quoted(&o, (const uint8_t *)d->path, n, false);
	}
	desc_puts(&o, " op=");
	desc_puts(&o, d->op->name);
	desc_put_size(&o, " offset=", d->offset);
	if (d->length == UINT64_MAX)
		desc_puts(&o, " length=eof");
	else
		desc_put_size(&o, " length=", d->length);
	if (d->chunk)
		desc_put_size(&o, " chunk=", d->chunk);
	if (d->op->args & PUMP_OP_ARG_BYTE) {
		snprintf(num, sizeof(num), " byte=0x%02x", d->byte & 0xff);
		desc_puts(&o, num);
	}
	if ((d->op->args & PUMP_OP_ARG_PATTERN) && (d->has_pattern || !d->patterns[0])) {
		uint32_t max = d->op->args & PUMP_OP_ARG_GREP ? DESC_PATTERN_MAX : VYRE_PATTERN_MAX;

		desc_puts(&o, " pattern=");
		desc_put_quoted(&o, d->pattern, d->pattern_len < max ? d->pattern_len : max, true);
	}
	if (d->op->args & PUMP_OP_ARG_GREP) {
		size_t pn = strnlen(d->patterns, PATH_MAX);

		if (pn) {
			desc_puts(&o, " patterns=");
			if (desc_path_plain(d->patterns, pn))
				desc_put(&o, d->patterns, pn);
			else
				desc_put_quoted(&o, (const uint8_t *)d->patterns, pn, false);
		}
		if (d->fixed)
			desc_puts(&o, " fixed=1");
		if (d->icase)
			desc_puts(&o, " icase=1");
		if (d->utf8)
			desc_puts(&o, " utf8=1");
		if (d->invert)
			desc_puts(&o, " invert=1");
		if (d->lines)
			desc_puts(&o, " lines=1");
		if (d->per_pattern)
			desc_puts(&o, " per_pattern=1");
		if (d->max) {
			char mx[32];

			snprintf(mx, sizeof(mx), " max=%" PRIu64, d->max);
			desc_puts(&o, mx);
		}
	}
	if (d->tenant[0]) {
		desc_puts(&o, " tenant=");
		desc_put(&o, d->tenant, strnlen(d->tenant, DESC_TENANT_MAX - 1));
	}
	if (d->direct >= 0) {
		snprintf(num, sizeof(num), " direct=%d", d->direct ? 1 : 0);
		desc_puts(&o, num);
	}
	if (d->priority != PUMP_PRIO_DEFAULT) {
		desc_puts(&o, " priority=");
		desc_puts(&o, pump_priority_name(d->priority));
	}
	if (d->follow)
		desc_puts(&o, " follow=1");
	if (d->walk_order)
		desc_puts(&o, " order=walk");
	if (d->trace)
		desc_puts(&o, " trace=1");
	if (d->replay[0]) { /* last: vyrectl replay cuts it off a trace's descriptor */
		size_t rn = strnlen(d->replay, PATH_MAX);

		desc_puts(&o, " replay=");
		if (desc_path_plain(d->replay, rn))
			desc_put(&o, d->replay, rn);
		else
			desc_put_quoted(&o, (const uint8_t *)d->replay, rn, false);
	}
	if (o.pos >= len)
		return -ENOSPC;
	buf[o.pos] = '\0';
	return (int)o.pos;
}
