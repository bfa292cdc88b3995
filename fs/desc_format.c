// SPDX-License-Identifier: MIT
/*
 * desc_format.c - the normalized descriptor (jobs/N/descriptor): every key,
 * defaults resolved, pattern re-escaped so desc_parse accepts it back; the
 * op's own keys as desc_op.c's row lists them, each written by its kind.
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

static void desc_put_path(struct desc_out *o, const char *s, size_t n)
{
	if (desc_path_plain(s, n))
		desc_put(o, s, n);
	else
		desc_put_quoted(o, (const uint8_t *)s, n, false);
}

/* The op's own keys, as desc_op.c's row lists them: a byte always, the rest when given. */
static void desc_put_op_keys(struct desc_out *o, const struct desc *d)
{
	const struct desc_op *op = desc_op_of(d->op);
	char num[DESC_SIZE_LEN + 4];

	for (size_t i = 0; i < op->nkeys; i++) {
		const struct desc_op_key *k = &op->keys[i];
		const struct desc_key *row = &desc_keys[k->key];
		const struct desc_val *v = &d->val[k->key];
		uint64_t n = v->given ? v->num : k->def;

		if (k->kind != DESC_BYTE && (!v->given || (k->kind == DESC_FLAG && !n)))
			continue;
		desc_puts(o, " ");
		desc_puts(o, row->name);
		desc_puts(o, "=");
		switch (k->kind) {
		case DESC_FLAG:
			desc_puts(o, "1");
			break;
		case DESC_COUNT:
			snprintf(num, sizeof(num), "%" PRIu64, n);
			desc_puts(o, num);
			break;
		case DESC_BYTE:
			snprintf(num, sizeof(num), "0x%02x", (unsigned)(n & 0xff));
			desc_puts(o, num);
			break;
		case DESC_TEXT:
			desc_put_quoted(o, (const uint8_t *)d->text + v->off,
					v->len < k->max ? v->len : k->max, true);
			break;
		case DESC_PATH:
			desc_put_path(o, d->text + v->off, v->len);
			break;
		case DESC_COMMON:
			break;
		}
	}
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
		desc_put_path(&o, d->files, fn);
	} else {
		desc_puts(&o, "scan path=");
		desc_put_path(&o, d->path, n);
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
	desc_put_op_keys(&o, d);
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
		desc_put_path(&o, d->replay, rn);
	}
	if (o.pos >= len)
		return -ENOSPC;
	buf[o.pos] = '\0';
	return (int)o.pos;
}
