// SPDX-License-Identifier: MIT
/*
 * walk_batch.c - a directory's regular files opened and stat'ed in
 * batches through io_uring (issue 23 item 2): IORING_OP_OPENAT2 for up to
 * WALK_BATCH names in one io_uring_enter, then IORING_OP_STATX of the new
 * fds in another, where fs/walk.c made two system calls a file.
 *
 * The rules are resolve.c's, unchanged: the open_how is
 * resolve_entry_how's (one component, RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH, O_NONBLOCK) and each opened
 * file goes through resolve_entry_opened (a regular file, another
 * device's checks, O_NONBLOCK cleared), as resolve_open_entry's do.
 *
 * Credentials: io_uring runs a request as the task that submitted it,
 * with its credentials at submission: inline in io_uring_enter (an open
 * whose path is cached), or on an io-wq worker that takes the submitter's
 * creds for the request (an open that must wait, every STATX). The walker
 * thread submits after cred_enter, so every open is the caller's, as a
 * direct openat2 would be; tests/bats/permissions.bats and hardening*.bats
 * run through this path.
 *
 * Where io_uring cannot be set up (kernel.io_uring_disabled, an old
 * kernel) or VYRE_WALK_SYNC is set (to measure one against the other),
 * each name goes through resolve_open_entry instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "many.h"

int walk_batch_init(struct walk_batch *b)
{
	int ret;

	b->n = 0;
	b->ok = false;
	if (getenv("VYRE_WALK_SYNC"))
		return -ENOTSUP;
	ret = io_uring_queue_init(2 * WALK_BATCH, &b->ring, 0);
	if (ret)
		return ret;
	b->ok = true;
	return 0;
}

void walk_batch_exit(struct walk_batch *b)
{
	if (b->ok)
		io_uring_queue_exit(&b->ring);
	b->ok = false;
}

/* What fstat would say, from a statx with the basic fields. */
static void walk_batch_stat(const struct statx *x, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(x->stx_dev_major, x->stx_dev_minor);
	st->st_ino = x->stx_ino;
	st->st_mode = x->stx_mode;
	st->st_nlink = x->stx_nlink;
	st->st_uid = x->stx_uid;
	st->st_gid = x->stx_gid;
	st->st_rdev = makedev(x->stx_rdev_major, x->stx_rdev_minor);
	st->st_size = (off_t)x->stx_size;
	st->st_blksize = x->stx_blksize;
	st->st_blocks = (blkcnt_t)x->stx_blocks;
	st->st_atim = (struct timespec){x->stx_atime.tv_sec, x->stx_atime.tv_nsec};
	st->st_mtim = (struct timespec){x->stx_mtime.tv_sec, x->stx_mtime.tv_nsec};
	st->st_ctim = (struct timespec){x->stx_ctime.tv_sec, x->stx_ctime.tv_nsec};
}

/*
 * Submits what is queued and reaps n completions into res[user_data]
 * (and nothing more). Returns 0, or -errno if the ring failed: then the
 * ring is given up (b->ok false) and the caller does the rest without it
 * (a request already submitted completes into b, which lives until
 * walk_batch_exit, at the walk's end).
 */
static int walk_batch_reap(struct walk_batch *b, unsigned n, int *res)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_submit(&b->ring);

	if (ret >= 0 && (unsigned)ret != n)
		ret = -EAGAIN; /* cannot happen with the SQ drained each time: do not guess */
	for (unsigned k = 0; ret >= 0 && k < n; k++) {
		do
			ret = io_uring_wait_cqe(&b->ring, &cqe);
		while (ret == -EINTR);
		if (ret)
			break;
		if (cqe->user_data < WALK_BATCH)
			res[cqe->user_data] = cqe->res;
		io_uring_cqe_seen(&b->ring, cqe);
	}
	if (ret < 0) {
		vlog_err("walk: io_uring failed (%s): this walk opens one file at a time",
			 strerror(-ret));
		b->ok = false; /* walk_batch_exit still frees the ring */
		return ret;
	}
	return 0;
}

/* Opens the batch's names one at a time, as resolve_open_entry does. */
static void walk_batch_sync(struct walk_batch *b, const struct fs *fs, int dirfd, dev_t dirdev,
			    unsigned from)
{
	for (unsigned i = from; i < b->n; i++) {
		int fd;
		int ret = resolve_open_entry(fs, dirfd, dirdev, b->names[i], false, &fd, &b->st[i]);
		b->res[i] = ret ? ret : fd;
	}
}

void walk_batch_open(struct walk_batch *b, const struct fs *fs, int dirfd, dev_t dirdev)
{
	struct open_how how;
	int sres[WALK_BATCH];
	unsigned ns = 0;

	if (!b->ok) {
		walk_batch_sync(b, fs, dirfd, dirdev, 0);
		return;
	}
	resolve_entry_how(&how);
	for (unsigned i = 0; i < b->n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
		io_uring_prep_openat2(sqe, dirfd, b->names[i], &how);
		io_uring_sqe_set_data64(sqe, i);
		b->res[i] = -EIO;
	}
	if (walk_batch_reap(b, b->n, b->res)) {
		/* which opened is unknown: close what did, open all again */
		for (unsigned i = 0; i < b->n; i++)
			if (b->res[i] >= 0)
				close(b->res[i]);
		walk_batch_sync(b, fs, dirfd, dirdev, 0);
		return;
	}
	for (unsigned i = 0; i < b->n; i++) {
		sres[i] = -EIO;
		if (b->res[i] < 0)
			continue;
		struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
		io_uring_prep_statx(sqe, b->res[i], "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
				    STATX_BASIC_STATS, &b->stx[i]);
		io_uring_sqe_set_data64(sqe, i);
		ns++;
	}
	if (ns && walk_batch_reap(b, ns, sres))
		for (unsigned i = 0; i < b->n; i++)
			sres[i] = -EIO; /* each falls back to fstat below */
	for (unsigned i = 0; i < b->n; i++) {
		int fd = b->res[i];
		const unsigned need = STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_MTIME | STATX_INO |
				      STATX_NLINK;
		if (fd < 0)
			continue;
		if (!sres[i] && (b->stx[i].stx_mask & need) == need) {
			walk_batch_stat(&b->stx[i], &b->st[i]);
		} else if (fstat(fd, &b->st[i]) < 0) {
			b->res[i] = -errno;
			close(fd);
			continue;
		}
		int ret = resolve_entry_opened(fs, fd, dirdev, b->names[i], &b->st[i]);
		if (ret)
			b->res[i] = ret;
	}
}
