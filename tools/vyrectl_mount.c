// SPDX-License-Identifier: MIT
/*
 * vyrectl_mount.c - vyrectl's byte buffers and the mount's files: open,
 * read, write MOUNT/rel, each failure reported on stderr with its fix.
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

#define VYRECTL_READ_STEP     4096 /* the files are direct_io: read until 0 */

/* ---- buffers ------------------------------------------------------------ */

/* Room for more bytes and the NUL after them. */
int buf_reserve(struct buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;
	char *d;

	if (more > SIZE_MAX / 4 - b->len)
		return -ENOMEM;
	while (cap - b->len <= more)
		cap *= 2;
	if (cap != b->cap) {
		d = realloc(b->data, cap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	b->data[b->len] = '\0';
	return 0;
}

int buf_put(struct buf *b, const char *s, size_t n)
{
	int ret = buf_reserve(b, n);

	if (ret)
		return ret;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

void buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf){0};
}

/* Reads fd to EOF: the mount's files are direct_io, so no size is worth trusting. */
int buf_read_fd(struct buf *b, int fd)
{
	for (;;) {
		int ret = buf_reserve(b, VYRECTL_READ_STEP);
		ssize_t n;

		if (ret)
			return ret;
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
}

/* ---- the mount's files -------------------------------------------------- */

static bool mount_alive(const struct vyrectl *c)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/ctl", c->mount);

	return n > 0 && (size_t)n < sizeof(path) && access(path, F_OK) == 0;
}

/* Says what failed on MOUNT/rel and, where it is clear, how to fix it. */
void mount_warn(const struct vyrectl *c, const char *rel, int err)
{
	bool job = !strncmp(rel, "jobs/", 5);
	const char *hint = "";

	if (err == -ENOENT && (!job || !mount_alive(c)))
		hint = " (is vyrefs mounted there? give -m MOUNT or set VYRE_MOUNT)";
	else if (err == -ENOENT)
		hint =
		    " (no such job: ls the jobs/ folder; finished jobs past jobs_cap are reaped)";
	else if (err == -ENOTCONN)
		hint = " (the vyrefs daemon is gone: umount the mount and mount it again)";
	else if (err == -EACCES && job)
		hint = " (a job belongs to the user who submitted it)";
	fprintf(stderr, "vyrectl: %s/%s: %s%s\n", c->mount, rel, strerror(-err), hint);
}

int mount_open(const struct vyrectl *c, const char *rel, int flags, int *fd)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", c->mount, rel);

	if (n < 0 || (size_t)n >= sizeof(path)) {
		mount_warn(c, rel, -ENAMETOOLONG);
		return -ENAMETOOLONG;
	}
	*fd = open(path, flags | O_CLOEXEC);
	if (*fd < 0) {
		n = -errno;
		mount_warn(c, rel, n);
		return n;
	}
	return 0;
}

/* Reads MOUNT/rel whole. -EINTR (Ctrl-C in a wait) is left to the caller to tell. */
int mount_read(const struct vyrectl *c, const char *rel, struct buf *b)
{
	int fd, ret = mount_open(c, rel, O_RDONLY, &fd);

	if (ret)
		return ret;
	ret = buf_read_fd(b, fd);
	close(fd);
	if (ret && ret != -EINTR)
		mount_warn(c, rel, ret);
	return ret;
}

int mount_cat(const struct vyrectl *c, const char *rel)
{
	struct buf b = {0};
	int ret = mount_read(c, rel, &b);

	if (!ret && b.len && fwrite(b.data, 1, b.len, stdout) != b.len)
		ret = -EIO;
	buf_free(&b);
	return ret;
}

int mount_write(const struct vyrectl *c, const char *rel, const char *s)
{
	size_t len = strlen(s);
	int fd, ret = mount_open(c, rel, O_WRONLY, &fd);
	ssize_t n;

	if (ret)
		return ret;
	n = write(fd, s, len);
	ret = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	if (ret)
		mount_warn(c, rel, ret);
	return ret;
}
