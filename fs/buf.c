// SPDX-License-Identifier: MIT
/*
 * buf.c - struct fs_buf, the growing byte buffer every rendered file,
 * directory listing and ctl answer is written into.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

/* Room for at least need more bytes past len (doubling from 4 KiB). */
int fs_buf_reserve(struct fs_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *d;

	if (b->cap - b->len >= need)
		return 0;
	while (cap - b->len < need)
		cap *= 2;
	d = realloc(b->data, cap);
	if (!d)
		return -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

int fs_buf_printf(struct fs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return 0;
		}
		if (fs_buf_reserve(b, (size_t)n + 1))
			return -ENOMEM;
	}
}

/* len bytes of p, as they are */
int fs_buf_put(struct fs_buf *b, const void *p, size_t len)
{
	int ret = fs_buf_reserve(b, len);

	if (!ret && len) {
		memcpy(b->data + b->len, p, len);
		b->len += len;
	}
	return ret;
}

/*
 * A path as descriptors escape it (\\, \n and other control bytes \xHH), so
 * a name with a newline stays one line of jobs/N/files and kin.
 */
int fs_buf_put_path(struct fs_buf *b, const char *path)
{
	int ret = 0;

	for (const unsigned char *c = (const unsigned char *)path; *c && !ret; c++) {
		if (*c == '\\')
			ret = fs_buf_printf(b, "\\\\");
		else if (*c == '\n')
			ret = fs_buf_printf(b, "\\n");
		else if (*c < 0x20 || *c == 0x7f)
			ret = fs_buf_printf(b, "\\x%02x", *c);
		else
			ret = fs_buf_printf(b, "%c", *c);
	}
	return ret;
}

void fs_buf_free(struct fs_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
