// SPDX-License-Identifier: MIT
/*
 * vyrectl_desc.c - descriptor lines as the daemon reads them (quoting,
 * absolute paths) and their submission through ctl.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vyrectl.h"

/* ---- the descriptor ----------------------------------------------------- */

/*
 * "..." with the escapes of README.md "Job descriptors". Control bytes always become escapes so
 * the line stays one line; bytes over 0x7e too when escape_high (a pattern
 * is often binary; a path is often UTF-8 and reads better as it is).
 */
int put_quoted(struct buf *b, const char *s, bool escape_high)
{
	static const char hex[] = "0123456789abcdef";
	int ret = buf_put(b, "\"", 1);

	for (const unsigned char *p = (const unsigned char *)s; *p && !ret; p++) {
		char esc[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};

		if (*p == '"' || *p == '\\') {
			esc[1] = (char)*p;
			ret = buf_put(b, esc, 2);
		} else if (*p == '\n' || *p == '\t') {
			esc[1] = *p == '\n' ? 'n' : 't';
			ret = buf_put(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f || (escape_high && *p > 0x7e)) {
			ret = buf_put(b, esc, 4);
		} else {
			ret = buf_put(b, (const char *)p, 1);
		}
	}
	return ret ? ret : buf_put(b, "\"", 1);
}

/* An unquoted path is literal: only blanks, quotes and control bytes need quotes. */
bool path_plain(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '"' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* The daemon takes absolute paths only; a relative one is taken from here. */
int path_absolute(const char *path, struct buf *out)
{
	char cwd[PATH_MAX];
	int ret;

	if (path[0] == '/')
		return buf_puts(out, path);
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	ret = buf_puts(out, cwd);
	if (!ret && strcmp(cwd, "/"))
		ret = buf_puts(out, "/");
	return ret ? ret : buf_puts(out, path);
}

int put_path(struct buf *b, const char *path)
{
	struct buf abs = {0};
	int ret = path_absolute(path, &abs);

	if (!ret)
		ret = path_plain(abs.data) ? buf_puts(b, abs.data) : put_quoted(b, abs.data, false);
	buf_free(&abs);
	return ret;
}

/*
 * Writes the line to ctl and reads the answer on the same open file, as
 * "exec 3<>ctl" does: the new id, or, when the write failed, the daemon's
 * "error: ..." (printed here as it is).
 */
int ctl_submit(const struct vyrectl *c, const struct buf *line, struct buf *answer)
{
	int fd, rret, ret = mount_open(c, "ctl", O_RDWR, &fd);
	ssize_t n;

	if (ret)
		return ret;
	n = write(fd, line->data, line->len);
	ret = n < 0 ? -errno : (size_t)n != line->len ? -EIO : 0;
	rret = buf_read_fd(answer, fd);
	close(fd);
	if (ret && !rret && !strncmp(answer->data, "error: ", 7)) {
		fputs(answer->data, stderr);
		if (answer->data[answer->len - 1] != '\n')
			fputc('\n', stderr);
	} else if (ret || rret) {
		mount_warn(c, "ctl", ret ? ret : rret);
	}
	return ret ? ret : rret;
}

/* Submits one descriptor line and takes the job id from ctl's answer. */
int ctl_submit_id(const struct vyrectl *c, const struct buf *line, char id[VYRECTL_ID_MAX + 1])
{
	struct buf answer = {0};
	int ret = ctl_submit(c, line, &answer);

	if (!ret) {
		kv_unquote(answer.data, strcspn(answer.data, "\n"), id, VYRECTL_ID_MAX + 1);
		ret = job_id_check(id);
		if (ret)
			fprintf(stderr, "vyrectl: %s/ctl answered \"%.*s\", not a job id\n",
				c->mount, (int)strcspn(answer.data, "\n"), answer.data);
	}
	buf_free(&answer);
	return ret;
}
