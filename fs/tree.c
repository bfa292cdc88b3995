// SPDX-License-Identifier: MIT
/*
 * tree.c - the mounted tree (README's "Files") as libfuse low-level
 * operations: names, inodes, attributes, directories. Open files and what
 * is read from and written to them are files.c's (and ctl.c, wait.c, handle.c).
 *
 * Inodes are computed, not stored (ino.c), so forget has nothing to do.
 * The kernel may cache what cannot
 * change (every name but jobs/N and latest, every attribute but latest's)
 * for an hour, which spares most LOOKUP and GETATTR requests a job's
 * echo and cat would otherwise cost; a job directory is cached for a
 * second, so a reaped job disappears within one.
 *
 * ctl is one inode per caller's uid (fs_ino_ctl), never cached:
 * the kernel serializes writes to one inode, so with one shared ctl a
 * user whose write is slow (a lookup on a hanging filesystem, a costly
 * pattern) held every other user's submit in D state. Now it holds only
 * its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

#define FS_TIMEOUT_FIXED 3600.0 /* s: names and attributes that never change */
/*
 * s: a job directory. 0: the kernel must ask for every walk, so another
 * user's job is looked up (and refused) as that user, never answered from
 * an entry the owner's lookup left in the cache.
 */
#define FS_TIMEOUT_JOB   0.0


/* Attributes of ino; a job's nodes belong to the job's submitter. */
static int fs_stat(struct fs *fs, fuse_req_t req, fuse_ino_t ino, struct stat *st)
{
	uint64_t id = 0;
	enum fs_node n = fs_ino_node(ino, &id);
	struct fs_job *j = NULL;

	if (n == N_NONE)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = fs_nodes[n].mode;
	st->st_nlink = S_ISDIR(st->st_mode) ? 2 : 1;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_mtime = st->st_ctime = st->st_atime = fs->started;
	if (n == N_ROOT)
		st->st_nlink = 3;
	if (n >= N_JOB || n == N_LATEST) {
		j = n == N_LATEST ? fs_job_latest(fs, fuse_req_ctx(req)->uid) : fs_job_lookup(fs, id);
		if (!j)
			return -ENOENT;
		uid_t caller = fuse_req_ctx(req)->uid;
		if (caller != 0 && caller != j->uid) {
			/* invisible, as ls jobs/ has it (procfs hidepid=invisible):
			 * not even its owner and submit time */
			fs_job_put(&j);
			return -ENOENT;
		}
		st->st_uid = j->uid;
		st->st_gid = j->gid;
		st->st_mtime = st->st_ctime = st->st_atime = j->created;
		fs_job_put(&j);
	}
	return 0;
}

static double fs_timeout(enum fs_node n)
{
	if (n == N_JOB)
		return FS_TIMEOUT_JOB;
	return fs_nodes[n].cacheable ? FS_TIMEOUT_FIXED : 0.0;
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fs_of(req);
	uint64_t id = 0;
	enum fs_node pn = fs_ino_node(parent, &id), n = N_NONE;
	struct fuse_entry_param e = {0};
	int ret;

	if (pn == N_JOBS && strcmp(name, "latest")) {
		if (fs_parse_id(name, strlen(name), &id) == 0)
			n = N_JOB;
	} else if (pn != N_NONE) {
		for (int i = N_ROOT; i < N__COUNT; i++) {
			if (fs_nodes[i].parent == pn && fs_nodes[i].name && !strcmp(fs_nodes[i].name, name)) {
				n = (enum fs_node)i;
				break;
			}
		}
	}
	if (n == N_NONE) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = n == N_CTL ? fs_ino_ctl(fuse_req_ctx(req)->uid) : fs_ino(n, id);
	ret = fs_stat(fs, req, e.ino, &e.attr);
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	e.entry_timeout = e.attr_timeout = fs_timeout(n);
	fuse_reply_entry(req, &e);
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	uint64_t id = 0;
	struct stat st;
	int ret = fs_stat(fs_of(req), req, ino, &st);

	(void)fi;
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_attr(req, &st, fs_timeout(fs_ino_node(ino, &id)));
}

/* "echo ... > ctl" truncates: nothing to do, on the files that take writes. */
static void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	uint64_t id = 0;
	enum fs_node n = fs_ino_node(ino, &id);
	struct stat st;
	int ret;

	(void)attr;
	(void)fi;
	if (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		       FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME) ||
	    (n != N_CTL && n != N_JCTL)) {
		fuse_reply_err(req, EACCES);
		return;
	}
	ret = fs_stat(fs_of(req), req, ino, &st);
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_attr(req, &st, fs_timeout(n));
}

static void fs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs_job *j;
	char buf[32];
	uint64_t id;

	if (fs_ino_node(ino, &id) != N_LATEST) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	j = fs_job_latest(fs_of(req), fuse_req_ctx(req)->uid);
	if (!j) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, j->id);
	fs_job_put(&j);
	fuse_reply_readlink(req, buf);
}

/* Appends one entry to a directory listing (the kernel passes back byte offsets). */
static int fs_dir_add(fuse_req_t req, struct fs_buf *b, const char *name, fuse_ino_t ino,
		      mode_t mode)
{
	struct stat st = {.st_ino = ino, .st_mode = mode};
	size_t need = fuse_add_direntry(req, NULL, 0, name, NULL, 0);

	if (fs_buf_reserve(b, need))
		return -ENOMEM;
	fuse_add_direntry(req, b->data + b->len, need, name, &st, (off_t)(b->len + need));
	b->len += need;
	return 0;
}

/* The whole listing, built at opendir, so readdir's pieces are one snapshot. */
static int fs_dir_list(struct fs *fs, fuse_req_t req, enum fs_node dn, uint64_t id,
		       struct fs_buf *b)
{
	uid_t uid = fuse_req_ctx(req)->uid;
	int ret = fs_dir_add(req, b, ".", fs_ino(dn, id), S_IFDIR);

	if (!ret)
		ret = fs_dir_add(req, b, "..", dn == N_JOB ? fs_ino(N_JOBS, 0) : fs_ino(N_ROOT, 0),
				 S_IFDIR);
	for (int i = N_ROOT; i < N__COUNT && !ret; i++) {
		if (fs_nodes[i].parent != dn || !fs_nodes[i].name)
			continue;
		if (i == N_LATEST) {
			struct fs_job *latest = fs_job_latest(fs, uid);
			if (!latest)
				continue;
			fs_job_put(&latest);
		}
		ret = fs_dir_add(req, b, fs_nodes[i].name, fs_ino((enum fs_node)i, id),
				 fs_nodes[i].mode);
	}
	if (dn != N_JOBS || ret)
		return ret;
	size_t cnt;
	uint64_t *ids = fs_job_ids(fs, uid, &cnt);
	char name[32];
	for (size_t i = 0; i < cnt && !ret; i++) {
		snprintf(name, sizeof(name), "%" PRIu64, ids[i]);
		ret = fs_dir_add(req, b, name, fs_ino(N_JOB, ids[i]), S_IFDIR);
	}
	free(ids);
	return ret;
}

/* An open directory: its listing, and the lock a reply holds (see fs_releasedir). */
struct fs_dir {
	pthread_mutex_t lock;
	struct fs_buf buf;
};

static void fs_dir_free(struct fs_dir *d)
{
	fs_buf_free(&d->buf);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	uint64_t id = 0;
	enum fs_node n = fs_ino_node(ino, &id);
	struct fs_dir *d;
	int ret;

	if (n != N_ROOT && n != N_JOBS && n != N_JOB) {
		fuse_reply_err(req, n == N_NONE ? ENOENT : ENOTDIR);
		return;
	}
	if (n == N_JOB) {
		struct fs_job *j = fs_job_lookup(fs, id);
		if (!j) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		fs_job_put(&j);
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_init(&d->lock, NULL);
	ret = fs_dir_list(fs, req, n, id, &d->buf);
	if (ret) {
		fs_dir_free(d);
		fuse_reply_err(req, -ret);
		return;
	}
	fi->fh = (uintptr_t)d;
	fi->cache_readdir = 0;
	if (fuse_reply_open(req, fi) == -ENOENT) /* the opener was interrupted */
		fs_dir_free(d);
}

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct fs_dir *d = (struct fs_dir *)(uintptr_t)fi->fh;
	struct fs_buf *b = &d->buf;

	(void)ino;
	pthread_mutex_lock(&d->lock);
	if (off < 0 || (size_t)off >= b->len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, b->data + off,
			       b->len - (size_t)off < size ? b->len - (size_t)off : size);
	pthread_mutex_unlock(&d->lock);
}

static void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_dir *d = (struct fs_dir *)(uintptr_t)fi->fh;

	(void)ino;
	/* the last readdir's reply let the reader close: it may still hold the lock */
	pthread_mutex_lock(&d->lock);
	pthread_mutex_unlock(&d->lock);
	fs_dir_free(d);
	fuse_reply_err(req, 0);
}

static void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	uint64_t id, pid;

	if (fs_ino_node(parent, &pid) != N_JOBS || fs_parse_id(name, strlen(name), &id)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	fuse_reply_err(req, -fs_job_remove(fs_of(req), id));
}

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* O_TRUNC of ctl comes with the open: no SETATTR round trip per echo */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

const struct fuse_lowlevel_ops fs_ops = {
	.init = fs_init,
	.lookup = fs_lookup,
	.getattr = fs_getattr,
	.setattr = fs_setattr,
	.readlink = fs_readlink,
	.opendir = fs_opendir,
	.readdir = fs_readdir,
	.releasedir = fs_releasedir,
	.rmdir = fs_rmdir,
	.open = fs_file_open,
	.read = fs_file_read,
	.write = fs_file_write,
	.flush = fs_file_flush,
	.release = fs_file_release,
	.poll = fs_file_poll,
};
