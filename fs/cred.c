// SPDX-License-Identifier: MIT
/*
 * cred.c - open a scan target as the caller: with the caller's fsuid, fsgid
 * and supplementary groups, so the daemon reads only what the caller could.
 *
 * The daemon may run as root with allow_other; it must never read a file
 * for a caller who could not. setfsuid, setfsgid and the raw setgroups
 * syscall change only the calling thread's credentials (glibc's setgroups
 * wrapper would change every thread's), so the FUSE thread that serves
 * the write takes the caller's identity for the stat and open, then drops it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"

#define CRED_GROUPS_MAX 256

struct cred_saved {
	gid_t groups[CRED_GROUPS_MAX];
	int ngroups;
};

static int cred_enter(const struct fuse_context *ctx, struct cred_saved *saved)
{
	gid_t groups[CRED_GROUPS_MAX];
	int n;

	saved->ngroups = getgroups(CRED_GROUPS_MAX, saved->groups);
	if (saved->ngroups < 0)
		return -errno;
	n = fuse_getgroups(CRED_GROUPS_MAX, groups);
	if (n < 0 || n > CRED_GROUPS_MAX)
		n = 0; /* unknown: the caller gets no supplementary groups */
	if (syscall(SYS_setgroups, (size_t)n, groups) < 0)
		return -errno;
	syscall(SYS_setfsgid, ctx->gid);
	syscall(SYS_setfsuid, ctx->uid);
	/* setfs*id return the old id and never fail visibly: verify */
	if ((uid_t)syscall(SYS_setfsuid, ctx->uid) != ctx->uid ||
	    (gid_t)syscall(SYS_setfsgid, ctx->gid) != ctx->gid)
		return -EPERM;
	return 0;
}

static void cred_leave(const struct cred_saved *saved)
{
	syscall(SYS_setfsuid, geteuid());
	syscall(SYS_setfsgid, getegid());
	syscall(SYS_setgroups, (size_t)saved->ngroups, saved->groups);
}

static int cred_check_and_open(const char *path, int *fdp, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0) {
		int e = errno;
		if (e == ENOENT || e == ENOTDIR)
			snprintf(err, errlen, "path=%s: no such file (check the path)", path);
		else if (e == EACCES)
			snprintf(err, errlen, "path=%s: permission denied (you may only scan "
				 "files you can read)", path);
		else
			snprintf(err, errlen, "path=%s: %s", path, strerror(e));
		return e == ENOTDIR ? -ENOENT : -e;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "path=%s: is a directory (name a regular file or block device)",
			 path);
		return -EISDIR;
	}
	/* FIFOs and sockets are refused before any open, so nothing blocks */
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "path=%s: not a regular file or block device", path);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		if (e == EACCES)
			snprintf(err, errlen, "path=%s: permission denied (you may only scan files "
				 "you can read)", path);
		else
			snprintf(err, errlen, "path=%s: %s", path, strerror(e));
		return -e;
	}
	/* the path may have been swapped since the stat: check what we opened */
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		close(fd);
		snprintf(err, errlen, "path=%s: not a regular file or block device", path);
		return -EINVAL;
	}
	/* io_uring would answer EAGAIN for uncached pages on an O_NONBLOCK file */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*fdp = fd;
	return 0;
}

int cred_open(const struct fuse_context *ctx, const char *path, int *fd, char *err,
	      size_t errlen)
{
	struct cred_saved saved;
	int ret;

	if (geteuid() != 0) /* an unprivileged daemon only ever serves its own user */
		return cred_check_and_open(path, fd, err, errlen);
	ret = cred_enter(ctx, &saved);
	if (ret) {
		cred_leave(&saved);
		snprintf(err, errlen, "cannot take the caller's credentials (%s)", strerror(-ret));
		return ret;
	}
	ret = cred_check_and_open(path, fd, err, errlen);
	cred_leave(&saved);
	return ret;
}
