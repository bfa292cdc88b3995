// SPDX-License-Identifier: MIT
/*
 * cred.c - open a scan target as the caller: with the caller's fsuid, fsgid
 * and supplementary groups, so the daemon reads only what the caller could.
 *
 * The daemon may run as root with allow_other; it must never read a file
 * for a caller who could not. setfsuid, setfsgid and the raw setgroups
 * syscall change only the calling thread's credentials (glibc's setgroups
 * wrapper would change every thread's), so the FUSE thread that serves
 * the write takes the caller's identity for the walk and open (resolve.c),
 * then drops it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"

static struct __user_cap_header_struct cred_cap_header(void)
{
	return (struct __user_cap_header_struct){.version = _LINUX_CAPABILITY_VERSION_3};
}

/*
 * setfsuid to a non-zero id clears only the filesystem capabilities; the
 * others (CAP_SYS_ADMIN lets a sysfs read show more) stay effective. For a
 * non-root caller the thread drops every effective capability, keeping
 * them permitted so cred_leave can raise them again.
 */
static int cred_drop_caps(struct cred_saved *saved)
{
	struct __user_cap_header_struct h = cred_cap_header();
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, saved->caps) < 0)
		return -errno;
	memcpy(none, saved->caps, sizeof(none));
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		none[i].effective = 0;
	h = cred_cap_header();
	if (syscall(SYS_capset, &h, none) < 0)
		return -errno;
	saved->caps_dropped = true;
	return 0;
}

/*
 * The caller's supplementary groups, while its request is live (libfuse
 * reads them from /proc/<pid>/status): a walker thread that acts for the
 * caller later takes them from the snapshot.
 */
void cred_snapshot_groups(struct fs_caller *ctx)
{
	int n = ctx->req ? fuse_req_getgroups(ctx->req, CRED_GROUPS_MAX, ctx->groups) : -1;

	ctx->ngroups = n < 0 || n > CRED_GROUPS_MAX ? 0 : n; /* unknown: none */
}

int cred_enter(const struct fs_caller *ctx, struct cred_saved *saved)
{
	gid_t groups[CRED_GROUPS_MAX];
	const gid_t *g = groups;
	int n;

	saved->caps_dropped = false;
	saved->ngroups = getgroups(CRED_GROUPS_MAX, saved->groups);
	if (saved->ngroups < 0)
		return -errno;
	if (ctx->ngroups >= 0) {
		g = ctx->groups;
		n = ctx->ngroups;
	} else {
		n = fuse_req_getgroups(ctx->req, CRED_GROUPS_MAX, groups);
		if (n < 0 || n > CRED_GROUPS_MAX)
			n = 0; /* unknown: the caller gets no supplementary groups */
	}
	if (syscall(SYS_setgroups, (size_t)n, g) < 0)
		return -errno;
	syscall(SYS_setfsgid, ctx->gid);
	syscall(SYS_setfsuid, ctx->uid);
	/* setfs*id return the old id and never fail visibly: verify */
	if ((uid_t)syscall(SYS_setfsuid, ctx->uid) != ctx->uid ||
	    (gid_t)syscall(SYS_setfsgid, ctx->gid) != ctx->gid)
		return -EPERM;
	return ctx->uid != 0 ? cred_drop_caps(saved) : 0;
}

void cred_leave(const struct cred_saved *saved)
{
	if (saved->caps_dropped) {
		struct __user_cap_header_struct h = cred_cap_header();
		struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];

		memcpy(caps, saved->caps, sizeof(caps));
		if (syscall(SYS_capset, &h, caps) < 0)
			vlog_err("cred: cannot raise the daemon's capabilities again: %s",
				 strerror(errno));
	}
	syscall(SYS_setfsuid, geteuid());
	syscall(SYS_setfsgid, getegid());
	syscall(SYS_setgroups, (size_t)saved->ngroups, saved->groups);
}

int cred_may_serve(const struct fs_caller *ctx, char *err, size_t errlen)
{
	uid_t me = geteuid();

	/* a daemon that cannot take other users' credentials would read with
	 * its owner's: it serves its owner only, whatever allow_other says */
	if (me == 0 || ctx->uid == me)
		return 0;
	snprintf(err, errlen, "this mount's daemon runs as uid %u and cannot act for uid %u "
		 "(only root can mount vyrefs for other users)", (unsigned)me, (unsigned)ctx->uid);
	return -EACCES;
}

/*
 * The walk resolve.c does, as the caller: a regular file or block device
 * (st NULL), or also a directory (st set: what was opened). With rootfd
 * set, the caller's root stays open for a walker that goes on later.
 */
static int cred_walk(const struct fs *fs, const struct fs_caller *ctx, const char *path, int *fd,
		     struct stat *st, int *rootfd, char *err, size_t errlen)
{
	struct cred_saved saved;
	int root, ret;

	ret = cred_may_serve(ctx, err, errlen);
	if (ret)
		return ret;
	ret = resolve_caller_root(ctx->pid, &root);
	if (ret) {
		snprintf(err, errlen, "cannot find the root directory of the calling process %d "
			 "(%s)", (int)ctx->pid, strerror(-ret));
		return ret == -ESRCH ? -EPERM : ret;
	}
	if (geteuid() == 0) {
		ret = cred_enter(ctx, &saved);
		if (ret) {
			cred_leave(&saved);
			close(root);
			snprintf(err, errlen, "cannot take the caller's credentials (%s)",
				 strerror(-ret));
			return ret;
		}
	}
	if (st)
		ret = resolve_open_any(fs, root, path, fd, st, err, errlen);
	else
		ret = resolve_open(fs, root, path, fd, err, errlen);
	if (geteuid() == 0)
		cred_leave(&saved);
	if (!ret && rootfd)
		*rootfd = root;
	else
		close(root);
	return ret;
}

int cred_open(const struct fs *fs, const struct fs_caller *ctx, const char *path, int *fd,
	      char *err, size_t errlen)
{
	return cred_walk(fs, ctx, path, fd, NULL, NULL, err, errlen);
}

int cred_open_any(const struct fs *fs, const struct fs_caller *ctx, const char *path, int *fd,
		  struct stat *st, int *rootfd, char *err, size_t errlen)
{
	return cred_walk(fs, ctx, path, fd, st, rootfd, err, errlen);
}
