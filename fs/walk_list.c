// SPDX-License-Identifier: MIT
/*
 * walk_list.c - a files= list (README "Many files"), read whole and
 * handed out one path a line, for walk.c. The list was opened at submit
 * as the caller; a line is unescaped as jobs/N/files writes paths
 * (\\ \n \t \xHH), so a files listing can be given back as a list.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "many.h"

int walk_list_read(struct walk_list *l, int fd)
{
	struct stat st;

	*l = (struct walk_list){0};
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size > FS_MANY_LIST_MAX) /* a clear error: E2BIG on the list */
		return -E2BIG;
	l->buf = malloc((size_t)st.st_size + 1);
	if (!l->buf)
		return -ENOMEM;
	while (l->len < (size_t)st.st_size) {
		ssize_t r = read(fd, l->buf + l->len, (size_t)st.st_size - l->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno; /* what was read is still handed out */
		if (r == 0)
			break;
		l->len += (size_t)r;
	}
	return 0;
}

static int walk_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A line in place: \\ \n \t \xHH, as jobs/N/files writes paths. */
static size_t walk_unescape(char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			s[o++] = s[i];
			continue;
		}
		char c = s[++i];
		if (c == '\\')
			s[o++] = '\\';
		else if (c == 'n')
			s[o++] = '\n';
		else if (c == 't')
			s[o++] = '\t';
		else if (c == 'x' && i + 2 < n && walk_hex(s[i + 1]) >= 0 && walk_hex(s[i + 2]) >= 0) {
			s[o++] = (char)(walk_hex(s[i + 1]) * 16 + walk_hex(s[i + 2]));
			i += 2;
		} else {
			s[o++] = '\\';
			s[o++] = c;
		}
	}
	return o;
}

const char *walk_list_next(struct walk_list *l, size_t *n, int *err)
{
	char *s, *nl;
	size_t end;

	if (!l->buf || l->pos >= l->len)
		return NULL;
	s = l->buf + l->pos;
	nl = memchr(s, '\n', l->len - l->pos);
	end = nl ? (size_t)(nl - l->buf) : l->len;
	*n = walk_unescape(s, end - l->pos);
	s[*n] = '\0';
	l->pos = end + 1;
	*err = 0;
	if (*n && memchr(s, '\0', *n))
		*err = EINVAL;
	else if (*n && s[0] != '/')
		*err = EINVAL; /* relative: from where? */
	return s;
}

void walk_list_free(struct walk_list *l)
{
	free(l->buf);
	l->buf = NULL;
}
