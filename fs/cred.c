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
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
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
	if (ctx->ngroups >= 0) /* taken already (ctl.c takes them at each ctl request) */
		return;
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

/* resolve.c's walk from root, with the caller's credentials on this thread */
static int cred_resolve(const struct fs *fs, const struct fs_caller *ctx, int root,
			const char *path, int *fd, struct stat *st, char *err, size_t errlen)
{
	struct cred_saved saved;
	int ret;

	if (geteuid() == 0) {
		ret = cred_enter(ctx, &saved);
		if (ret) {
			cred_leave(&saved);
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
	return ret;
}

/*
 * With -s the thread that resolves is the only one that answers this
 * mount. A path that reaches the mount through another filesystem stacked
 * on it (an overlay whose lower layer is the mount, in a user namespace of
 * the caller's) makes the kernel ask this daemon while that thread waits:
 * the mount hung for good. So with -s the walk runs on a thread of its
 * own, waited for CRED_SINGLE_WAIT_MS; past that the submit fails and the
 * loop goes back to answering, which lets the walk end; what it opened is
 * closed by that thread.
 */
#define CRED_SINGLE_WAIT_MS 3000

struct cred_async {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;       /* the submitter's and the walk thread's (lock) */
	bool done;      /* (lock) */
	bool abandoned; /* the submitter gave up: the thread closes what it opened (lock) */
	const struct fs *fs;
	struct fs_caller ctx; /* with its groups snapshot: the request may be gone */
	char *path;
	int root;
	bool any;
	int fd, ret;
	struct stat st;
	char err[512];
};

static void cred_async_put(struct cred_async *a)
{
	pthread_mutex_lock(&a->lock);
	bool last = --a->refs == 0;
	pthread_mutex_unlock(&a->lock);
	if (!last)
		return;
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	free(a);
}

static void *cred_async_main(void *arg)
{
	struct cred_async *a = arg;
	int ret = cred_resolve(a->fs, &a->ctx, a->root, a->path, &a->fd, a->any ? &a->st : NULL,
			       a->err, sizeof(a->err));

	pthread_mutex_lock(&a->lock);
	a->ret = ret;
	a->done = true;
	if (a->abandoned) {
		if (!ret)
			close(a->fd);
		close(a->root);
	}
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	cred_async_put(a);
	return NULL;
}

/* cred_resolve on a thread of its own, waited for at most CRED_SINGLE_WAIT_MS; root is its. */
static int cred_resolve_bounded(const struct fs *fs, const struct fs_caller *ctx, int root,
				const char *path, int *fd, struct stat *st, bool *root_kept,
				char *err, size_t errlen)
{
	struct cred_async *a = calloc(1, sizeof(*a));
	pthread_condattr_t ca;
	pthread_attr_t attr;
	struct timespec until;
	pthread_t t;
	int ret = 0;

	*root_kept = false;
	if (!a || !(a->path = strdup(path))) {
		free(a);
		return -ENOMEM;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cond, &ca);
	pthread_condattr_destroy(&ca);
	a->refs = 2;
	a->fs = fs;
	a->ctx = *ctx;
	if (a->ctx.ngroups < 0)
		cred_snapshot_groups(&a->ctx);
	a->ctx.req = NULL;
	a->root = root;
	a->any = st != NULL;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = -pthread_create(&t, &attr, cred_async_main, a);
	pthread_attr_destroy(&attr);
	if (ret) {
		a->refs = 1;
		cred_async_put(a);
		return ret;
	}
	*root_kept = true; /* the thread's now, until it is done */
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += CRED_SINGLE_WAIT_MS / 1000;
	until.tv_nsec += (long)(CRED_SINGLE_WAIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&a->lock);
	while (!a->done && pthread_cond_timedwait(&a->cond, &a->lock, &until) != ETIMEDOUT)
		;
	if (a->done) {
		ret = a->ret;
		*fd = a->fd;
		if (st)
			*st = a->st;
		snprintf(err, errlen, "%s", a->err);
		*root_kept = false; /* back to the caller */
	} else {
		a->abandoned = true;
		ret = -ETIMEDOUT;
		snprintf(err, errlen, "path=%s: the walk did not finish in %d ms, and this "
			 "single-threaded (-s) daemon must answer its mount meanwhile: does the "
			 "path reach this mount through another filesystem stacked on it?",
			 path, CRED_SINGLE_WAIT_MS);
	}
	pthread_mutex_unlock(&a->lock);
	cred_async_put(a);
	return ret;
}

/*
 * The walk resolve.c does, as the caller: a regular file or block device
 * (st NULL), or also a directory (st set: what was opened). With rootfd
 * set, the caller's root stays open for a walker that goes on later.
 */
static int cred_walk(const struct fs *fs, const struct fs_caller *ctx, const char *path, int *fd,
		     struct stat *st, int *rootfd, char *err, size_t errlen)
{
	bool root_gone = false;
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
	if (fs->single_threaded)
		ret = cred_resolve_bounded(fs, ctx, root, path, fd, st, &root_gone, err, errlen);
	else
		ret = cred_resolve(fs, ctx, root, path, fd, st, err, errlen);
	if (root_gone)
		return ret; /* the abandoned walk's thread closes root */
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
