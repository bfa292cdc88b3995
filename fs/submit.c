// SPDX-License-Identifier: MIT
/*
 * submit.c - one descriptor line becomes one job: parse, open the target
 * as the caller, hand it to the pump, enter it in the job table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

/* 8388608 -> "8M": chunks are powers of two, so this is how they are written. */
static void fs_size_name(uint64_t v, char *buf, size_t len)
{
	if (v && !(v & ((1ull << 30) - 1)))
		snprintf(buf, len, "%lluG", (unsigned long long)(v >> 30));
	else if (v && !(v & ((1ull << 20) - 1)))
		snprintf(buf, len, "%lluM", (unsigned long long)(v >> 20));
	else if (v && !(v & ((1ull << 10) - 1)))
		snprintf(buf, len, "%lluK", (unsigned long long)(v >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static bool fs_submit_globbed(const char *path)
{
	return strpbrk(path, "*?[\\") != NULL;
}

/*
 * Opens the target as the caller. One regular file (or block device): *fd,
 * a one-file job as ever. A directory, a glob, or files=: *many, with the
 * caller's root in *rootfd and its groups snapshotted for the walker, the
 * directory in *fd (st: its stat) or the list in *listfd; a glob opens
 * nothing yet (its matches are the walker's). A path that exists literally
 * is taken literally even if it holds glob characters.
 */
static int fs_submit_open(const struct fs *fs, struct fs_caller *ctx, const struct desc *d,
			  int *fd, struct stat *st, int *rootfd, int *listfd, bool *many,
			  char *err, size_t errlen)
{
	char lerr[512];
	int ret;

	if (d->files[0]) {
		ret = cred_open_any(fs, ctx, d->files, listfd, st, rootfd, lerr, sizeof(lerr));
		if (!ret && !S_ISREG(st->st_mode)) {
			close(*listfd);
			close(*rootfd);
			*listfd = *rootfd = -1;
			snprintf(err, errlen, "files=%s: not a regular file (name a file with one "
				 "path a line)", d->files);
			return -EINVAL;
		}
		if (ret) {
			/* resolve.c's message names path=: say files= */
			snprintf(err, errlen, "files=%s: %s", d->files,
				 ret == -ENOENT ? "no such file (check the path)"
				 : ret == -EACCES ? "permission denied (you may only list files you "
						    "can read)"
				 : strerror(-ret));
			return ret;
		}
		*many = true;
		cred_snapshot_groups(ctx);
		return 0;
	}
	ret = cred_open_any(fs, ctx, d->path, fd, st, rootfd, err, errlen);
	if (!ret && !S_ISDIR(st->st_mode)) {
		close(*rootfd);
		*rootfd = -1;
		return 0;
	}
	if (!ret || ((ret == -ENOENT || ret == -EACCES) && fs_submit_globbed(d->path))) {
		if (ret) { /* a glob: matched by the walker, as the caller */
			*fd = -1;
			err[0] = '\0';
			ret = cred_may_serve(ctx, err, errlen);
			if (!ret)
				ret = resolve_caller_root(ctx->pid, rootfd);
			if (ret) {
				if (!err[0])
					snprintf(err, errlen, "cannot find the root directory of the "
						 "calling process %d (%s)", (int)ctx->pid,
						 strerror(-ret));
				return ret == -ESRCH ? -EPERM : ret;
			}
		}
		*many = true;
		cred_snapshot_groups(ctx);
		return 0;
	}
	return ret;
}

/*
 * priority=high and critical go before everyone's normal jobs: root's, or
 * a member's of priority_group=. Anyone may lower their own (low, idle).
 */
static int fs_submit_may_raise(const struct fs *fs, struct fs_caller *ctx, const struct desc *d,
			       char *err, size_t errlen)
{
	gid_t g = fs->opts.priority_gid;

	if (d->priority != PUMP_PRIO_CRITICAL && d->priority != PUMP_PRIO_HIGH)
		return 0;
	if (ctx->uid == 0 || (g != (gid_t)-1 && ctx->gid == g))
		return 0;
	if (g != (gid_t)-1) {
		cred_snapshot_groups(ctx);
		for (int i = 0; i < ctx->ngroups; i++)
			if (ctx->groups[i] == g)
				return 0;
	}
	snprintf(err, errlen, "priority=%s: only root%s may raise a job above normal (try "
		 "priority=normal%s)", pump_priority_name(d->priority),
		 g != (gid_t)-1 ? " and members of the mount's priority_group" : "",
		 g != (gid_t)-1 ? "" : ", or mount with -o priority_group=GROUP");
	return -EPERM;
}

/* wait=1: the ctl handle's reference, taken before the table can reap the job */
static void fs_submit_waiter(struct fs_job *j, bool wait, struct fs_job **waitj)
{
	if (!waitj)
		return;
	*waitj = NULL;
	if (wait) {
		fs_job_get(j);
		*waitj = j;
	}
}

/* A submit's fds (the file, the walk's root, the files= list): those open (>= 0) are closed. */
static void close_fds(int fd, int rootfd, int listfd)
{
	if (fd >= 0)
		close(fd);
	if (rootfd >= 0)
		close(rootfd);
	if (listfd >= 0)
		close(listfd);
}

/*
 * grep: the patterns are read (patterns=, as the caller) and their syntax
 * checked here, on the FUSE thread; compiling them can take up to the
 * compiler's budget (0.3 s; a pattern once took 24 s inside the write),
 * so a worker does it and starts the job (fs_prep_queue). Until then the
 * job reads as queued through a placeholder pump job. Takes the fds.
 */
static int fs_submit_prep(struct fs *fs, struct fs_job *j, struct fs_caller *ctx,
			  const struct desc *d, int fd, int rootfd, int listfd,
			  const struct stat *st, bool many, char *err, size_t errlen)
{
	struct pump_scan info = {.offset = d->offset, .chunk = d->chunk, .owner = ctx->uid,
				 .priority = d->priority};
	struct fs_prep *p = calloc(1, sizeof(*p));
	int ret = -ENOMEM;

	if (!p) {
		close_fds(fd, rootfd, listfd);
		return ret;
	}
	p->fd = fd;
	p->rootfd = rootfd;
	p->listfd = listfd;
	p->st = *st;
	p->many = many;
	p->d = *d;
	p->caller = *ctx;
	p->caller.req = NULL; /* answered before the worker runs */
	ret = fs_grep_load(fs, ctx, d, &p->text, &p->textlen, err, errlen);
	if (!ret)
		ret = fs_grep_check(d, p->text, p->textlen, err, errlen);
	if (!ret) {
		ret = pump_job_placeholder(fs->units, &info, &j->hold);
		if (ret)
			snprintf(err, errlen, "the scan could not start: %s", strerror(-ret));
	}
	if (ret) {
		fs_prep_free(p);
		return ret;
	}
	atomic_store_explicit(&j->stage, FS_STAGE_COMPILING, memory_order_relaxed);
	fs_job_get(j); /* the pump's, until the job starts or fails (fs_job_prep_failed) */
	p->j = j;
	fs_prep_queue(fs, p);
	return 0;
}

int fs_submit_line(struct fs *fs, struct fs_caller *who, const char *line, size_t len,
		   uint64_t *id, struct fs_job **waitj, char *err, size_t errlen)
{
	struct fs_caller caller = *who;
	const struct fs_caller *ctx = &caller;
	struct desc d;
	struct fs_job *j;
	struct fs_user *user;
	struct stat st = {0};
	char norm[2 * DESC_LINE_MAX];
	int fd = -1, rootfd = -1, listfd = -1, ret;
	bool many = false;

	ret = desc_parse(line, len, &d, err, errlen);
	if (ret)
		return ret;
	if (d.chunk > fs->chunk) {
		char want[16], have[16];
		fs_size_name(d.chunk, want, sizeof(want));
		fs_size_name(fs->chunk, have, sizeof(have));
		snprintf(err, errlen, "chunk=%s: larger than this mount's arena chunk %s (try "
			 "chunk=%s, or mount with -o chunk=%s)", want, have, have, want);
		return -EINVAL;
	}
	if (d.direct == 1 && (d.offset & 4095)) {
		snprintf(err, errlen, "offset=%llu: direct=1 needs a multiple of 4096 (try "
			 "offset=%llu)", (unsigned long long)d.offset,
			 (unsigned long long)(d.offset & ~4095ull));
		return -EINVAL;
	}
	ret = fs_submit_may_raise(fs, &caller, &d, err, errlen);
	if (!ret && d.replay[0])
		ret = fs_trace_may_replay(ctx, d.replay, err, errlen);
	if (ret)
		return ret;
	ret = fs_jobs_reserve(fs, ctx->uid, &user, err, errlen);
	if (ret)
		return ret;
	ret = fs_submit_open(fs, &caller, &d, &fd, &st, &rootfd, &listfd, &many, err, errlen);
	if (ret)
		goto out_unreserve;
	/* the open may have waited on a filesystem until the write was interrupted */
	if (who->abandoned && atomic_load_explicit(who->abandoned, memory_order_acquire)) {
		snprintf(err, errlen, "the write was interrupted while its path was looked up");
		ret = -EINTR;
		goto out_close;
	}
	caller.abandoned = NULL; /* the copies below outlive the write */
	j = calloc(1, sizeof(*j));
	if (!j) {
		ret = -ENOMEM;
		goto out_close;
	}
	atomic_init(&j->refs, 1);
	j->kind = many ? &fs_job_many : &fs_job_one;
	j->fs = fs;
	j->user = user;
	j->uid = ctx->uid;
	j->gid = ctx->gid;
	j->op = d.op;
	j->offset = d.offset;
	j->created = time(NULL);
	if (d.tenant[0] && ctx->uid == 0)
		snprintf(j->tenant, sizeof(j->tenant), "%s", d.tenant);
	else if (d.tenant[0]) /* a user's labels are its own: ':' no tenant= can spell */
		snprintf(j->tenant, sizeof(j->tenant), "%u:%s", (unsigned)ctx->uid, d.tenant);
	else
		snprintf(j->tenant, sizeof(j->tenant), "%u", (unsigned)ctx->uid);
	if (desc_format(&d, norm, sizeof(norm)) < 0)
		snprintf(norm, sizeof(norm), "scan path=? op=%s", d.op->name);
	if ((d.trace || d.replay[0]) && many) {
		snprintf(err, errlen, "%s: one file only (a directory, glob or files= job runs a "
			 "job per file: trace one of them)", d.replay[0] ? "replay=" : "trace=1");
		ret = -EINVAL;
		goto out_free;
	}
	if (d.replay[0]) {
		ret = fs_trace_load(fs, ctx, d.replay, &j->replay, &j->nreplay, err, errlen);
		if (ret)
			goto out_free;
	}
	j->path = strdup(d.files[0] ? d.files : d.path);
	j->descriptor = strdup(norm);
	if (!j->path || !j->descriptor) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (d.op->args & PUMP_OP_ARG_GREP)
		ret = fs_submit_prep(fs, j, &caller, &d, fd, rootfd, listfd, &st, many, err,
				     errlen);
	else
		ret = fs_submit_start(fs, j, &caller, &d, &(struct fs_grep){0}, fd, rootfd,
				      listfd, &st, err, errlen);
	fd = rootfd = listfd = -1; /* taken either way */
	if (ret)
		goto out_free;
	fs_submit_waiter(j, d.wait, waitj);
	*id = fs_jobs_add(fs, j); /* the table takes the creator's reference */
	return 0;
out_free:
	fs_job_put(&j);
out_close:
	close_fds(fd, rootfd, listfd);
out_unreserve:
	fs_jobs_unreserve(fs, user);
	return ret;
}
