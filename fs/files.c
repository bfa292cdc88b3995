// SPDX-License-Identifier: MIT
/*
 * files.c - the FUSE file operations of the tree: open, read, write, flush,
 * release. What each does is in handle.c (an open file and its rendered
 * contents), wait.c (reads that wait for a job's end) and ctl.c (the ctl
 * protocol).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "files.h"
#include "latency.h"

void fs_file_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	uint64_t id = 0;
	enum fs_node n = fs_ino_node(ino, &id);
	struct fs_handle *h;
	bool pending;
	int ret = 0;

	if (n == N_NONE) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (S_ISDIR(fs_nodes[n].mode)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY && n != N_CTL && n != N_JCTL) {
		fuse_reply_err(req, EACCES);
		return;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	h->node = n;
	pthread_mutex_init(&h->lock, NULL);
	if (n >= N_JOB) {
		h->job = fs_job_lookup(fs, id);
		if (!h->job) {
			ret = -ENOENT;
			goto out_free;
		}
	}
	/* a running job's lines and files are rendered as they become final (stream.c) */
	h->stream = fs_stream_node(n) && !render_job_ended(fs, h->job);
	/* a running job's result is rendered at its end: a read waits as wait's does */
	pending = n == N_JRESULT && !render_job_ended(fs, h->job);
	if (pending && (fi->flags & O_NONBLOCK)) {
		ret = -EAGAIN;
		goto out_free;
	}
	if (n != N_JWAIT && n != N_CTL && n != N_JCTL && !pending && !h->stream) {
		uid_t uid = fuse_req_ctx(req)->uid;
		fs_latency_reader(uid); /* metrics' per-tenant series: root only */
		/* status's and metrics' byte and chunk counts: another reader sees
		 * its own (their deltas sized another user's scans) */
		pump_info_viewer(uid == 0 ? -1 : (int64_t)uid);
		ret = fs_render_open(fs, h);
		pump_info_viewer(-1);
		if (ret)
			goto out_free;
		h->rendered = true;
	}
	fi->fh = (uintptr_t)h;
	fi->direct_io = 1;
	fi->nonseekable = n == N_JWAIT || h->stream;
	fi->noflush = n != N_CTL; /* one request less per cat */
	fs_handle_link(fs, h);
	if (fuse_reply_open(req, fi) == -ENOENT) { /* interrupted before the reply: no release comes */
		fs_handle_unlink(fs, h);
		fs_render_release(fs, h);
		fs_handle_free(h);
	}
	return;
out_free:
	fs_render_release(fs, h);
	fs_handle_free(h);
	fuse_reply_err(req, -ret);
}

/*
 * Files still open when the session ended get no RELEASE (a reader parked
 * in wait when SIGTERM came): their handles are freed here, after the
 * session, so LeakSanitizer finds nothing of ours.
 */
void fs_files_free_all(struct fs *fs)
{
	struct fs_handle *h;

	while ((h = fs->handles)) {
		fs_handle_unlink(fs, h);
		pthread_mutex_lock(&fs->lock);
		fs_stream_unpoll_locked(fs, h);
		pthread_mutex_unlock(&fs->lock);
		if (h->ph)
			fuse_pollhandle_destroy(h->ph);
		h->ph = NULL;
		h->polling = false;
		fs_render_release(fs, h);
		fs_handle_free(h);
	}
}


void fs_file_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		  struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;

	(void)ino;
	if (h->stream) {
		fs_stream_read(fs, req, h, size, off, fi->flags);
		return;
	}
	if (h->node == N_JWAIT || h->node == N_JRESULT) {
		pthread_mutex_lock(&h->lock);
		bool rendered = h->rendered;
		pthread_mutex_unlock(&h->lock);
		if (rendered)
			fs_wait_answer(fs, req, h, size, off);
		else
			fs_wait_read(fs, req, h, size, off);
		return;
	}
	if (h->node == N_CTL) {
		fs_ctl_read(fs, req, h, size, off);
		return;
	}
	pthread_mutex_lock(&h->lock);
	fs_reply_slice(req, h, size, off);
	pthread_mutex_unlock(&h->lock);
}
void fs_file_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
	int ret;

	(void)ino;
	(void)off;
	if (size > DESC_LINE_MAX * 64) {
		fuse_reply_err(req, E2BIG);
		return;
	}
	if (h->node == N_CTL) {
		fs_ctl_write(fs_of(req), req, h, buf, size);
		return;
	}
	pthread_mutex_lock(&h->lock);
	if (h->node == N_JCTL)
		ret = fs_write_job_ctl(fs_of(req), h, buf, size);
	else
		ret = -EACCES;
	pthread_mutex_unlock(&h->lock);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_write(req, (size_t)ret);
}


/* poll(2): a streamed file (stream.c), or one whose read waits for the job's end (wait.c) */
void fs_file_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		  struct fuse_pollhandle *ph)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;

	if (h->stream)
		fs_stream_poll(fs_of(req), req, h, ph);
	else
		fs_wait_poll(req, ino, fi, ph);
}

/* close(2): only ctl's FLUSH does anything (ctl.c); other files open with noflush */
void fs_file_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;

	(void)ino;
	if (h->node != N_CTL) {
		fuse_reply_err(req, 0);
		return;
	}
	fs_ctl_close(fs_of(req), req, h);
}

void fs_file_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;

	(void)ino;
	pthread_mutex_lock(&fs->lock);
	if (h->polling) {
		fs_job_unobserve_locked(h->job, &h->pobs);
		h->polling = false;
	}
	fs_stream_unpoll_locked(fs, h);
	if (h->ph)
		fuse_pollhandle_destroy(h->ph);
	h->ph = NULL;
	if (h->stuck) { /* the interrupted write's thread frees it (fs_ctl_unstick) */
		h->orphan = true;
		pthread_mutex_unlock(&fs->lock);
		fuse_reply_err(req, 0);
		return;
	}
	pthread_mutex_unlock(&fs->lock);
	/*
	 * The last read's reply let the kernel finish that read and the
	 * reader close the file, so this RELEASE can come while the thread
	 * that replied still holds h->lock: wait for it to let go.
	 */
	pthread_mutex_lock(&h->lock);
	pthread_mutex_unlock(&h->lock);
	fs_handle_unlink(fs, h);
	fs_render_release(fs, h);
	fs_handle_free(h);
	fuse_reply_err(req, 0);
}

