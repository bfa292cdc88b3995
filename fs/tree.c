// SPDX-License-Identifier: MIT
/*
 * tree.c - the mounted tree (README.md "Files") as libfuse high-level operations.
 *
 * Dynamic files are rendered into a per-open buffer when opened (wait:
 * when first read) and served with direct_io, like /proc's seq files: a
 * cat sees one consistent snapshot.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

#include <fuse_lowlevel.h>

enum node {
	N_NONE,
	N_ROOT,
	N_README,
	N_CTL,
	N_STATUS,
	N_EPOCH,
	N_OPS,
	N_METRICS,
	N_JOBS,
	N_LATEST,
	N_JOB,
	N_JDESC,
	N_JSTATUS,
	N_JFAILED,
	N_JRESULT,
	N_JLINES,
	N_JWAIT,
	N_JCTL,
};

static const struct {
	const char *name;
	enum node node;
} root_files[] = {
	{"README", N_README}, {"ctl", N_CTL}, {"status", N_STATUS}, {"epoch", N_EPOCH},
	{"ops", N_OPS},	      {"metrics", N_METRICS}, {"jobs", N_JOBS},
};

static const struct {
	const char *name;
	enum node node;
} job_files[] = {
	{"descriptor", N_JDESC}, {"status", N_JSTATUS}, {"failed", N_JFAILED},
	{"result", N_JRESULT},	 {"lines", N_JLINES},	{"wait", N_JWAIT},
	{"ctl", N_JCTL},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One open file. */
struct fs_handle {
	enum node node;
	struct fs_job *job; /* a reference, for job files */
	pthread_mutex_t lock;
	bool rendered;
	struct fs_buf buf; /* rendered contents, or ctl's answer to the last write */
	size_t rpos;       /* ctl: read position in the answer (the file offset is past the write) */
	char pending[DESC_LINE_MAX]; /* ctl: a line not yet ended by a newline */
	size_t npending;
};

static int parse_id(const char *s, size_t len, uint64_t *id)
{
	uint64_t v = 0;

	if (len == 0 || len > 19 || *s == '0')
		return -ENOENT;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -ENOENT;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*id = v;
	return 0;
}

static enum node tree_parse(const char *path, uint64_t *id)
{
	const char *p = path + 1, *slash;

	if (!strcmp(path, "/"))
		return N_ROOT;
	if (strncmp(p, "jobs", 4) || (p[4] != '/' && p[4] != '\0')) {
		for (size_t i = 0; i < NELEM(root_files); i++)
			if (!strcmp(p, root_files[i].name))
				return root_files[i].node;
		return N_NONE;
	}
	if (p[4] == '\0')
		return N_JOBS;
	p += 5;
	if (!strcmp(p, "latest"))
		return N_LATEST;
	slash = strchr(p, '/');
	if (parse_id(p, slash ? (size_t)(slash - p) : strlen(p), id))
		return N_NONE;
	if (!slash)
		return N_JOB;
	for (size_t i = 0; i < NELEM(job_files); i++)
		if (!strcmp(slash + 1, job_files[i].name))
			return job_files[i].node;
	return N_NONE;
}

static bool node_is_job(enum node n)
{
	return n >= N_JOB;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct fs *fs = fs_global;
	uint64_t id = 0;
	enum node n = tree_parse(path, &id);
	struct fs_job *j = NULL;

	(void)fi;
	memset(st, 0, sizeof(*st));
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_nlink = 1;
	st->st_mtime = st->st_ctime = st->st_atime = fs->started;
	if (n == N_NONE)
		return -ENOENT;
	if (node_is_job(n)) {
		j = fs_job_lookup(fs, id);
		if (!j)
			return -ENOENT;
		st->st_uid = j->uid;
		st->st_gid = j->gid;
		st->st_mtime = st->st_ctime = st->st_atime = j->created;
		fs_job_put(&j);
	}
	switch (n) {
	case N_ROOT:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 3;
		break;
	case N_JOBS:
		/* sticky and writable, like /tmp: users rmdir their own jobs only */
		st->st_mode = S_IFDIR | 01777;
		st->st_nlink = 2;
		break;
	case N_JOB:
		st->st_mode = S_IFDIR | 0700;
		st->st_nlink = 2;
		break;
	case N_LATEST:
		j = fs_job_latest(fs, fuse_get_context()->uid);
		if (!j)
			return -ENOENT;
		st->st_mode = S_IFLNK | 0777;
		st->st_uid = j->uid;
		st->st_gid = j->gid;
		fs_job_put(&j);
		break;
	case N_CTL:
		st->st_mode = S_IFREG | 0666;
		break;
	case N_JCTL:
		st->st_mode = S_IFREG | 0600;
		break;
	default:
		st->st_mode = S_IFREG | 0444;
		break;
	}
	return 0;
}

static int fs_readlink(const char *path, char *buf, size_t size)
{
	uint64_t id;
	struct fs_job *j;

	if (tree_parse(path, &id) != N_LATEST)
		return -EINVAL;
	j = fs_job_latest(fs_global, fuse_get_context()->uid);
	if (!j)
		return -ENOENT;
	snprintf(buf, size, "%" PRIu64, j->id);
	fs_job_put(&j);
	return 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct fs *fs = fs_global;
	uint64_t id = 0;
	enum node n = tree_parse(path, &id);
	char name[32];

	(void)off;
	(void)fi;
	(void)flags;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	if (n == N_ROOT) {
		for (size_t i = 0; i < NELEM(root_files); i++)
			fill(buf, root_files[i].name, NULL, 0, 0);
		return 0;
	}
	if (n == N_JOB) {
		struct fs_job *j = fs_job_lookup(fs, id);
		if (!j)
			return -ENOENT;
		fs_job_put(&j);
		for (size_t i = 0; i < NELEM(job_files); i++)
			fill(buf, job_files[i].name, NULL, 0, 0);
		return 0;
	}
	if (n != N_JOBS)
		return -ENOTDIR;
	struct fs_job *latest = fs_job_latest(fs, fuse_get_context()->uid);
	if (latest)
		fill(buf, "latest", NULL, 0, 0);
	fs_job_put(&latest);
	size_t cnt = fs_job_ids(fs, NULL, 0);
	uint64_t *ids = calloc(cnt ? cnt : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	cnt = fs_job_ids(fs, ids, cnt);
	for (size_t i = 0; i < cnt; i++) {
		snprintf(name, sizeof(name), "%" PRIu64, ids[i]);
		fill(buf, name, NULL, 0, 0);
	}
	free(ids);
	return 0;
}

static int fs_render(struct fs *fs, struct fs_handle *h)
{
	switch (h->node) {
	case N_README:
		return render_readme(&h->buf);
	case N_STATUS:
		return render_status(fs, &h->buf);
	case N_EPOCH: {
		struct pump_info in;
		pump_info(fs->pump, &in);
		return fs_buf_printf(&h->buf, "%u\n", in.epoch);
	}
	case N_OPS:
		return render_ops(&h->buf);
	case N_METRICS:
		return render_metrics(fs, &h->buf);
	case N_JDESC:
		return fs_buf_printf(&h->buf, "%s\n", h->job->descriptor);
	case N_JSTATUS:
	case N_JWAIT:
		return render_job_status(h->job, &h->buf);
	case N_JFAILED:
		return render_job_failed(h->job, &h->buf);
	case N_JRESULT:
		return render_job_result(h->job, &h->buf);
	case N_JLINES:
		return render_job_lines(h->job, &h->buf);
	default:
		return 0;
	}
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	struct fs *fs = fs_global;
	uint64_t id = 0;
	enum node n = tree_parse(path, &id);
	struct fs_handle *h;
	int ret = 0;

	if (n == N_NONE)
		return -ENOENT;
	if (n == N_ROOT || n == N_JOBS || n == N_JOB)
		return -EISDIR;
	if ((fi->flags & O_ACCMODE) != O_RDONLY && n != N_CTL && n != N_JCTL)
		return -EACCES;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->node = n;
	pthread_mutex_init(&h->lock, NULL);
	if (node_is_job(n)) {
		h->job = fs_job_lookup(fs, id);
		if (!h->job) {
			ret = -ENOENT;
			goto out_free;
		}
	}
	if (n != N_JWAIT && n != N_CTL && n != N_JCTL) {
		ret = fs_render(fs, h);
		if (ret)
			goto out_free;
		h->rendered = true;
	}
	fi->fh = (uintptr_t)h;
	fi->direct_io = 1;
	fi->nonseekable = n == N_JWAIT;
	return 0;
out_free:
	fs_job_put(&h->job);
	fs_buf_free(&h->buf);
	free(h);
	return ret;
}

/*
 * wait: block until the job ends; a signal to the reader interrupts it,
 * and so does the daemon's own shutdown (libfuse joins its workers before
 * fuse_loop_mt returns, so a reader left waiting would hold SIGTERM up).
 */
static int fs_wait_job(struct fs_handle *h)
{
	struct fuse_session *se = fuse_get_session(fuse_get_context()->fuse);

	while (pump_job_wait(h->job->pj, 100) == -ETIMEDOUT)
		if (fuse_interrupted() || fuse_session_exited(se))
			return -EINTR;
	return 0;
}

static int fs_ctl_flush(struct fs_handle *h);

static int fs_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
	int ret = 0;

	(void)path;
	pthread_mutex_lock(&h->lock);
	if (!h->rendered && h->node == N_JWAIT) {
		pthread_mutex_unlock(&h->lock);
		ret = fs_wait_job(h);
		if (ret)
			return ret;
		pthread_mutex_lock(&h->lock);
		if (!h->rendered) {
			ret = fs_render(fs_global, h);
			h->rendered = ret == 0;
		}
	}
	if (h->node == N_CTL && h->npending) {
		fs_buf_free(&h->buf);
		h->rpos = 0;
		fs_ctl_flush(h);
	}
	if (h->node == N_CTL || h->node == N_JCTL) {
		/*
		 * Read-after-write on one open ctl ("exec 3<>ctl"): the file
		 * position is past what was written, so the answer is read from
		 * its own position, reset by each write.
		 */
		off = (off_t)h->rpos;
	}
	if (!ret) {
		if ((size_t)off >= h->buf.len) {
			ret = 0;
		} else {
			size_t n = h->buf.len - (size_t)off;
			if (n > size)
				n = size;
			memcpy(buf, h->buf.data + off, n);
			ret = (int)n;
			h->rpos = (size_t)off + n;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return ret;
}

/* Submits one line; its id or the error goes into the answer. */
static int fs_ctl_line(struct fs_handle *h, const char *line, size_t len)
{
	char err[512] = "";
	uint64_t id;
	int ret;

	ret = fs_submit_line(fs_global, line, len, &id, err, sizeof(err));
	if (ret)
		fs_buf_printf(&h->buf, "error: %s\n", err[0] ? err : strerror(-ret));
	else
		fs_buf_printf(&h->buf, "%" PRIu64 "\n", id);
	return ret;
}

/* A line that ended at a read or a close rather than a newline ("echo -n"). */
static int fs_ctl_flush(struct fs_handle *h)
{
	int ret = 0;

	if (h->npending)
		ret = fs_ctl_line(h, h->pending, h->npending);
	h->npending = 0;
	return ret;
}

/*
 * ctl: every line is one descriptor and one job; the answer (ids, or the
 * first error) is what a read on the same open file returns. Lines before
 * a bad one stand. A line may span writes (bash's echo writes a long line
 * in 4 KiB pieces), so an unfinished one waits in the handle for its
 * newline, a read, or the close.
 */
static int fs_write_ctl(struct fs_handle *h, const char *buf, size_t size)
{
	int ret = 0;

	fs_buf_free(&h->buf);
	h->rpos = 0;
	for (size_t pos = 0; pos < size && !ret;) {
		const char *nl = memchr(buf + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (buf + pos)) : size - pos;
		if (h->npending + len > DESC_LINE_MAX) {
			fs_buf_printf(&h->buf, "error: a line of over %u bytes: one descriptor per "
				      "line, at most %u bytes\n", DESC_LINE_MAX, DESC_LINE_MAX);
			h->npending = 0;
			ret = -E2BIG;
			break;
		}
		memcpy(h->pending + h->npending, buf + pos, len);
		h->npending += len;
		pos += len + (nl ? 1 : 0);
		if (!nl)
			break;
		if (h->npending) /* blank lines between descriptors are fine */
			ret = fs_ctl_line(h, h->pending, h->npending);
		h->npending = 0;
	}
	h->rendered = true;
	return ret ? ret : (int)size;
}

static int fs_write_job_ctl(struct fs_handle *h, const char *buf, size_t size)
{
	size_t len = size;

	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	if (len == 6 && !memcmp(buf, "cancel", 6)) {
		int ret = pump_job_cancel(h->job->pj);
		return ret == -EALREADY || ret == 0 ? (int)size : ret;
	}
	return -EINVAL;
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
	int ret;

	(void)path;
	(void)off;
	if (size > DESC_LINE_MAX * 64)
		return -E2BIG;
	pthread_mutex_lock(&h->lock);
	if (h->node == N_CTL)
		ret = fs_write_ctl(h, buf, size);
	else if (h->node == N_JCTL)
		ret = fs_write_job_ctl(h, buf, size);
	else
		ret = -EACCES;
	pthread_mutex_unlock(&h->lock);
	return ret;
}

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	uint64_t id;
	enum node n = tree_parse(path, &id);

	(void)size;
	(void)fi;
	/* "echo ... > ctl" opens with O_TRUNC: nothing to truncate */
	return n == N_CTL || n == N_JCTL ? 0 : -EACCES;
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;

	(void)path;
	if (h->node == N_CTL && h->npending) /* "echo -n ... > ctl": the line ends here */
		fs_ctl_flush(h);
	fs_job_put(&h->job);
	fs_buf_free(&h->buf);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return 0;
}

static int fs_rmdir(const char *path)
{
	uint64_t id;

	if (tree_parse(path, &id) != N_JOB)
		return -EPERM;
	return fs_job_remove(fs_global, id);
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	/* contents change under the same name: never cache them */
	cfg->direct_io = 1;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	/* a reader blocked in jobs/N/wait can ^C out (main.c: SIGUSR1) */
	cfg->intr = 1;
	cfg->intr_signal = SIGUSR1;
	return fs_global;
}

const struct fuse_operations fs_ops = {
	.init = fs_init,
	.getattr = fs_getattr,
	.readlink = fs_readlink,
	.readdir = fs_readdir,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.truncate = fs_truncate,
	.release = fs_release,
	.rmdir = fs_rmdir,
};
