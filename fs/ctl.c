// SPDX-License-Identifier: MIT
/*
 * ctl.c - the ctl protocol: lines to jobs, the answer read back on the
 * same open file, who may end a pending line, and the interrupt of a ctl
 * request that blocks in a lookup; and jobs/N/ctl (cancel).
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

static int fs_ctl_flush(struct fs *fs, struct fs_caller *who, struct fs_handle *h);
static bool fs_line_blank(const char *line, size_t len);

/*
 * Who sent a ctl request, taken once at its start: its groups snapshotted,
 * req dropped, its process in tgid. A write's request may be answered (and
 * freed by libfuse) by its interrupt while a lookup of one of its lines
 * still blocks: nothing after that may read req.
 */
static void fs_ctl_caller(fuse_req_t req, struct fs_caller *who)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);

	*who = (struct fs_caller){.uid = c->uid, .gid = c->gid, .pid = c->pid, .req = req,
				  .ngroups = -1};
	cred_snapshot_groups(who);
	who->req = NULL;
}

/* The caller's process (a thread's pid is its own), looked up when first needed. */
static pid_t fs_ctl_tgid(struct fs_caller *who)
{
	if (!who->tgid) {
		pid_t tgid = resolve_tgid(who->pid);
		who->tgid = tgid > 0 ? tgid : who->pid;
	}
	return who->tgid;
}

static void fs_ctl_note_writer(struct fs_handle *h, struct fs_caller *who)
{
	h->pend_uid = who->uid;
	h->pend_gid = who->gid;
	h->pend_tgid = fs_ctl_tgid(who);
}

/*
 * A pending line may be ended only by the process that wrote it, under the
 * same ids. Otherwise it is dropped, never submitted, and the answer says
 * why: -EPERM.
 */
static int fs_ctl_check_writer(struct fs_handle *h, struct fs_caller *who)
{
	if (!h->npending)
		return 0;
	if (who->uid == h->pend_uid && who->gid == h->pend_gid && fs_ctl_tgid(who) == h->pend_tgid)
		return 0;
	h->npending = 0;
	fs_buf_free(&h->buf);
	h->rpos = 0;
	fs_buf_printf(&h->buf, "error: a line without its newline was ended by another process "
		      "or user than the one that wrote it (pid %d uid %u): it was dropped; end "
		      "every descriptor with a newline\n", (int)who->pid, (unsigned)who->uid);
	return -EPERM;
}

/* An interrupted write's thread still holds h (fs_ctl_write): don't wait for it. */
static bool fs_ctl_stuck(struct fs *fs, struct fs_handle *h)
{
	bool stuck;

	pthread_mutex_lock(&fs->lock);
	stuck = h->stuck;
	pthread_mutex_unlock(&fs->lock);
	return stuck;
}

/*
 * A ctl write that blocks (a line's path is looked up as the caller, on a
 * filesystem that may never answer: fuse_sources=1, NFS) is answered EINTR
 * by its INTERRUPT: the kernel waits for our answer even for SIGKILL, and
 * holds the caller's ctl inode meanwhile. The thread doing the write goes
 * on until its lookup returns, submits nothing more (abandoned), and then
 * lets the handle go. A close (FLUSH) or a read that ends a pending line
 * looks it up too, and is guarded the same way (fs_ctl_guard). w is on
 * that thread's stack: the interrupt reads it
 * only under w->lock and only before the thread has taken done; once the
 * thread has seen neither, it deregisters the function before returning.
 */
struct fs_ctl_wint {
	pthread_mutex_t lock;
	bool done;     /* the thread answers (interrupt: do nothing) */
	bool answered; /* the interrupt answered EINTR (thread: do not touch req) */
	atomic_bool abandoned; /* = answered, read lock-free between lines */
	struct fs *fs;
	struct fs_handle *h;
	uid_t uid;
};

static void fs_ctl_interrupted(fuse_req_t req, void *data)
{
	struct fs_ctl_wint *w = data;
	bool answer;
	uid_t uid = w->uid; /* w is gone once its thread sees answered */

	if (fs_tls_registering) { /* inside fuse_req_interrupt_func: the thread answers */
		fs_tls_interrupted = true;
		return;
	}
	pthread_mutex_lock(&w->lock);
	answer = !w->done;
	if (answer) {
		w->answered = true;
		atomic_store_explicit(&w->abandoned, true, memory_order_release);
		pthread_mutex_lock(&w->fs->lock);
		w->h->stuck = true;
		pthread_mutex_unlock(&w->fs->lock);
		fs_user_stuck(w->fs, w->uid, 1);
	}
	pthread_mutex_unlock(&w->lock);
	if (answer) {
		vlog_info("files: a ctl write, read or close of uid %u was interrupted while it "
			  "waited (a lookup that does not answer?): answered EINTR", (unsigned)uid);
		fuse_reply_err(req, EINTR);
	}
}

/* The thread of an answered write is done with h: a RELEASE that came meanwhile is done now. */
static void fs_ctl_unstick(struct fs *fs, struct fs_handle *h, uid_t uid)
{
	bool orphan;

	fs_user_stuck(fs, uid, -1);
	pthread_mutex_lock(&fs->lock);
	h->stuck = false;
	orphan = h->orphan;
	pthread_mutex_unlock(&fs->lock);
	if (orphan) {
		fs_handle_unlink(fs, h);
		fs_render_release(fs, h);
		fs_handle_free(h);
	}
}

/*
 * Before a ctl request that may submit a line (a write; a close or a read
 * that ends a pending one): 0 with the interrupt registered and who taken,
 * or -EAGAIN (this handle's or this user's earlier request is stuck: each
 * would hold a FUSE thread) or -EINTR (interrupted already) to answer now.
 */
static int fs_ctl_guard(struct fs *fs, fuse_req_t req, struct fs_handle *h,
			struct fs_ctl_wint *w, struct fs_caller *who)
{
	w->fs = fs;
	w->h = h;
	w->uid = fuse_req_ctx(req)->uid;
	w->done = false;
	w->answered = false;
	if (fs_ctl_stuck(fs, h) || fs_user_stuck(fs, w->uid, 0))
		return -EAGAIN;
	fs_ctl_caller(req, who);
	who->abandoned = &w->abandoned;
	pthread_mutex_init(&w->lock, NULL);
	atomic_init(&w->abandoned, false);
	fs_tls_registering = true;
	fs_tls_interrupted = false;
	fuse_req_interrupt_func(req, fs_ctl_interrupted, w);
	fs_tls_registering = false;
	if (fs_tls_interrupted) { /* before anything was done */
		fs_tls_interrupted = false;
		fuse_req_interrupt_func(req, NULL, NULL);
		pthread_mutex_destroy(&w->lock);
		return -EINTR;
	}
	return 0;
}

/*
 * After fs_ctl_guard's request did its work. True if its interrupt has
 * answered it: req is gone (libfuse freed it), and once the caller lets go
 * of h it calls fs_ctl_unstick, which may free h.
 */
static bool fs_ctl_unguard(fuse_req_t req, struct fs_ctl_wint *w)
{
	bool answered;

	pthread_mutex_lock(&w->lock);
	answered = w->answered;
	w->done = true;
	pthread_mutex_unlock(&w->lock);
	if (!answered)
		fuse_req_interrupt_func(req, NULL, NULL); /* waits for an interrupt running now */
	pthread_mutex_destroy(&w->lock);
	return answered;
}


/* A read of ctl: the answer to the last write; a read that ends a pending line submits it. */
void fs_ctl_read(struct fs *fs, fuse_req_t req, struct fs_handle *h, size_t size, off_t off)
{
	if (fs_ctl_stuck(fs, h)) {
		fuse_reply_err(req, EAGAIN);
		return;
	}
	pthread_mutex_lock(&h->lock);
	if (!h->ctl_wait && !fs_line_blank(h->pending, h->npending)) {
		/* the read ends the line: its lookup may block as a write's does */
		struct fs_ctl_wint w;
		struct fs_caller who;
		int ret;

		pthread_mutex_unlock(&h->lock);
		ret = fs_ctl_guard(fs, req, h, &w, &who);
		if (ret) {
			fuse_reply_err(req, -ret);
			return;
		}
		pthread_mutex_lock(&h->lock);
		if (!h->ctl_wait && !fs_line_blank(h->pending, h->npending) &&
		    !fs_ctl_check_writer(h, &who)) {
			fs_buf_free(&h->buf);
			h->rpos = 0;
			fs_ctl_flush(fs, &who, h);
		}
		if (fs_ctl_unguard(req, &w)) {
			pthread_mutex_unlock(&h->lock);
			fs_ctl_unstick(fs, h, w.uid);
			return;
		}
	}
	if (h->ctl_wait) { /* wait=1: parked like a read of wait until the job ends */
		pthread_mutex_unlock(&h->lock);
		fs_wait_read(fs, req, h, size, off);
		return;
	}
	fs_reply_slice(req, h, size, off);
	pthread_mutex_unlock(&h->lock);
}
/* "drop-cache", blanks around it allowed: not a descriptor. */
static bool fs_ctl_is_drop_cache(const char *line, size_t len)
{
	static const char word[] = "drop-cache";
	size_t a = 0;

	while (a < len && (line[a] == ' ' || line[a] == '\t'))
		a++;
	while (len > a && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	return len - a == sizeof(word) - 1 && !memcmp(line + a, word, sizeof(word) - 1);
}

/*
 * drop-cache: every unit's file cache forgets what it holds. Root's: what
 * another user scanned is in it, and its hit rate is everyone's.
 */
static int fs_ctl_drop_cache(struct fs *fs, const struct fs_caller *who, struct fs_handle *h)
{
	int ret;

	if (who->uid != 0) {
		fs_buf_printf(&h->buf, "error: drop-cache is root's (the cache holds every "
			      "user's files)\n");
		return -EPERM;
	}
	ret = pump_units_cache_drop(fs->units);
	if (ret) {
		fs_buf_printf(&h->buf, "error: drop-cache: a unit did not answer within 5 s\n");
		return ret;
	}
	fs_buf_printf(&h->buf, "dropped\n");
	return 0;
}

/* Submits one line; its id or the error goes into the answer. */
static int fs_ctl_line(struct fs *fs, struct fs_caller *who, struct fs_handle *h,
		       const char *line, size_t len)
{
	char err[512] = "";
	struct fs_job *waitj = NULL;
	uint64_t id;
	int ret;

	if (fs_ctl_is_drop_cache(line, len))
		return fs_ctl_drop_cache(fs, who, h);
	ret = fs_submit_line(fs, who, line, len, &id, &waitj, err, sizeof(err));
	if (ret) {
		fs_buf_printf(&h->buf, "error: %s\n", err[0] ? err : strerror(-ret));
		return ret;
	}
	fs_buf_printf(&h->buf, "%" PRIu64 "\n", id);
	if (waitj) { /* the last wait=1 line of a write is the one waited for */
		fs_job_put(&h->job);
		h->job = waitj;
		h->ctl_wait = true;
	}
	return 0;
}

static bool fs_line_blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return false;
	return true;
}

/* A line that ended at a read or a close rather than a newline ("echo -n"). */
static int fs_ctl_flush(struct fs *fs, struct fs_caller *who, struct fs_handle *h)
{
	int ret = 0;

	if (!fs_line_blank(h->pending, h->npending))
		ret = fs_ctl_line(fs, who, h, h->pending, h->npending);
	h->npending = 0;
	return ret;
}

/*
 * A write's answer replaces the previous write's only once it has lines of
 * its own: "printf 'scan ...\n\n'" (bash writes the blank line apart) still
 * reads back the id.
 */
static void fs_ctl_answer_reset(struct fs_handle *h, bool *answered)
{
	if (*answered)
		return;
	fs_buf_free(&h->buf);
	h->rpos = 0;
	*answered = true;
}

/*
 * ctl: every line is one descriptor and one job; the answer (ids, or the
 * first error) is what a read on the same open file returns. Lines before
 * a bad one stand. A line may span writes (bash's echo writes a long line
 * in 4 KiB pieces), so an unfinished one waits in the handle for its
 * newline, a read, or the close.
 */
static int fs_write_ctl(struct fs *fs, struct fs_caller *who, struct fs_handle *h,
			const char *buf, size_t size)
{
	bool answered = false; /* the answer is this write's, once it has one */
	int ret = 0;

	if (h->ctl_wait) /* the waited-for answer would be lost under this write's */
		return -EBUSY;
	ret = fs_ctl_check_writer(h, who);
	if (ret) {
		h->discarding = memchr(buf, '\n', size) == NULL;
		return ret;
	}
	for (size_t pos = 0; pos < size && !ret;) {
		if (atomic_load_explicit(who->abandoned, memory_order_acquire)) {
			ret = -EINTR; /* answered already: the rest of the write is dropped */
			break;
		}
		const char *nl = memchr(buf + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (buf + pos)) : size - pos;
		if (h->discarding) { /* an overlong line's rest is not a new descriptor */
			pos += len + (nl ? 1 : 0);
			h->discarding = !nl;
			continue;
		}
		if (h->npending + len > DESC_LINE_MAX) {
			fs_ctl_answer_reset(h, &answered);
			fs_buf_printf(&h->buf, "error: a line of over %u bytes: one descriptor per "
				      "line, at most %u bytes\n", DESC_LINE_MAX, DESC_LINE_MAX);
			h->npending = 0;
			h->discarding = !nl;
			ret = -E2BIG;
			break;
		}
		memcpy(h->pending + h->npending, buf + pos, len);
		h->npending += len;
		pos += len + (nl ? 1 : 0);
		if (!nl) {
			fs_ctl_note_writer(h, who);
			break;
		}
		if (!fs_line_blank(h->pending, h->npending)) { /* blank lines are skipped */
			fs_ctl_answer_reset(h, &answered);
			ret = fs_ctl_line(fs, who, h, h->pending, h->npending);
		}
		h->npending = 0;
	}
	h->rendered = true;
	return ret ? ret : (int)size;
}

/*
 * Cancel of a job whose patterns are compiling: the worker sees prep_cancel
 * before it starts the job (both under prep_lock), or the job has started
 * and is cancelled as any other. 0: left for the worker, 1: started.
 */
static int fs_cancel_unstarted(struct fs *fs, struct fs_job *j)
{
	int started;

	pthread_mutex_lock(&fs->prep_lock);
	started = fs_job_started(j);
	if (!started)
		j->prep_cancel = true;
	pthread_mutex_unlock(&fs->prep_lock);
	return started;
}

int fs_write_job_ctl(struct fs *fs, struct fs_handle *h, const char *buf, size_t size)
{
	struct fs_job *j = h->job;
	size_t len = size;
	bool cancel, remove;
	int ret;

	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	cancel = len == 6 && !memcmp(buf, "cancel", 6);
	remove = len == 6 && !memcmp(buf, "remove", 6);
	if (!cancel && !remove)
		return -EINVAL;
	/* remove: cancel, and the directory goes at the end, nobody waiting for it */
	if (remove)
		fs_job_remove_on_end(fs, j);
	if (!fs_job_started(j) && !fs_cancel_unstarted(fs, j))
		return (int)size;
	ret = j->kind->cancel(j);
	return ret == -EALREADY || ret == 0 ? (int)size : ret;
}

void fs_ctl_write(struct fs *fs, fuse_req_t req, struct fs_handle *h, const char *buf,
			 size_t size)
{
	struct fs_ctl_wint w;
	struct fs_caller who;
	int ret;

	ret = fs_ctl_guard(fs, req, h, &w, &who);
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	pthread_mutex_lock(&h->lock);
	ret = fs_write_ctl(fs, &who, h, buf, size);
	pthread_mutex_unlock(&h->lock);
	if (fs_ctl_unguard(req, &w)) {
		fs_ctl_unstick(fs, h, w.uid);
		return;
	}
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_write(req, (size_t)ret);
}


/*
 * close(2) of ctl: "echo -n ... > ctl" ends its line here. FLUSH, not
 * RELEASE: a flush comes from the closing task with its credentials while
 * it waits in close, a release asynchronously with none (uid 0), which
 * would submit the line as root. Other files open with noflush.
 */
void fs_ctl_close(struct fs *fs, fuse_req_t req, struct fs_handle *h)
{
	struct fs_ctl_wint w;
	struct fs_caller who;
	bool line;
	int ret;

	if (fs_ctl_stuck(fs, h)) {
		fuse_reply_err(req, EAGAIN);
		return;
	}
	pthread_mutex_lock(&h->lock);
	line = h->npending;
	pthread_mutex_unlock(&h->lock);
	if (!line) {
		fuse_reply_err(req, 0);
		return;
	}
	/* the line's lookup may block as a write's does: the same interrupt */
	ret = fs_ctl_guard(fs, req, h, &w, &who);
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	pthread_mutex_lock(&h->lock);
	if (h->npending) {
		ret = fs_ctl_check_writer(h, &who);
		if (!ret)
			ret = fs_ctl_flush(fs, &who, h);
	}
	pthread_mutex_unlock(&h->lock);
	if (fs_ctl_unguard(req, &w)) {
		fs_ctl_unstick(fs, h, w.uid);
		return;
	}
	fuse_reply_err(req, -ret);
}

