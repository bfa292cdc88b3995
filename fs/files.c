// SPDX-License-Identifier: MIT
/*
 * files.c - open files of the tree: rendering, the ctl protocol, and
 * waiting on a job without holding a thread.
 *
 * Dynamic files are rendered into a per-open buffer when opened (wait:
 * when the job has ended) and served with direct_io, like /proc's seq
 * files: a cat sees one consistent snapshot.
 *
 * A read of jobs/N/wait while N runs is parked: the request goes on the
 * job's waiter list and the FUSE thread returns to the loop. The pump's
 * end-of-job callback (fs_job_ended, jobs.c) hands the list to
 * fs_wait_wake, which renders and replies from the pump thread; libfuse's
 * low-level API lets any thread reply. A signal to the reader (^C, a
 * SIGKILL) arrives as an INTERRUPT and is answered EINTR at once. So any
 * number of readers may wait while status, ctl and cancel keep answering.
 * poll(2) on wait is readable exactly when the job has ended: each polling
 * handle sits on the job's poll list until then.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "latency.h"

/* A read of wait parked until its job ends; on fs->waiters and its job's list (fs->lock). */
struct fs_waiter {
	fuse_req_t req;
	struct fs_handle *h; /* alive: the kernel holds the file while the read is out */
	size_t size;
	off_t off;
	struct fs_waiter *prev, *next; /* fs->waiters, for interrupts */
	struct fs_waiter *jnext;       /* the job's waiters */
};

/*
 * An ended job's failed, lines, files or result: rendered by the first open,
 * shared by the opens that come while it is held (j->renders), freed by the
 * last release. 58 readers of a 56 MB failed list were 58 renders.
 */
struct fs_render {
	unsigned refs; /* (fs->lock) */
	struct fs_buf buf;
};

/* Rendered contents held by every open file together; past it an open fails ENOMEM. */
#define FS_RENDER_BYTES_MAX (512ull << 20)

/* One open file. */
struct fs_handle {
	enum fs_node node;
	struct fs_job *job; /* a reference, for job files */
	pthread_mutex_t lock;
	bool rendered;
	struct fs_buf buf; /* rendered contents, or ctl's answer to the last write */
	struct fs_render *shared; /* instead of buf: an ended job's shared render */
	struct fs_handle *hprev, *hnext; /* fs->handles (fs->lock) */
	size_t counted;           /* buf's bytes in fs->render_bytes */
	size_t rpos;       /* ctl: read position in the answer (the file offset is past the write) */
	char pending[DESC_LINE_MAX]; /* ctl: a line not yet ended by a newline */
	size_t npending;
	bool discarding; /* ctl: the rest of an overlong line, dropped up to its newline */
	/*
	 * ctl: who wrote pending (set when a write leaves a line open). Only
	 * that process, with the same ids, may end it: an fd inherited by a
	 * setuid program would otherwise submit the line as root.
	 */
	uid_t pend_uid;
	gid_t pend_gid;
	pid_t pend_tgid;
	/*
	 * ctl: a write answered EINTR by its interrupt while its thread still
	 * waits in a lookup (fs->lock). Until that thread lets go of h->lock,
	 * the handle's requests fail EAGAIN rather than wait for it, and a
	 * RELEASE leaves the handle to that thread (orphan).
	 */
	bool stuck, orphan;
	/* ctl after a wait=1 line: the answer waits for job's end (then false);
	 * until then job does not change and the handle takes no write */
	bool ctl_wait;
	/* under fs->lock: poll(2) on wait */
	struct fuse_pollhandle *ph;
	bool polling;           /* on the job's poll list */
	struct fs_handle *pnext;
};

/*
 * A job not started yet (grep: its patterns compiling on a worker, or
 * failed to compile) renders from its placeholder pump job: a view of j's
 * fixed fields with pj = hold. pj and many are read only once
 * fs_job_started has seen the worker's release.
 */
static struct fs_job *fs_job_view(struct fs_job *j, struct fs_job *view)
{
	*view = (struct fs_job){.fs = j->fs, .user = j->user, .id = j->id, .uid = j->uid,
				.gid = j->gid, .pj = j->hold, .op = j->op, .path = j->path,
				.descriptor = j->descriptor, .offset = j->offset,
				.created = j->created};
	memcpy(view->tenant, j->tenant, sizeof(view->tenant));
	return view;
}

/* Replaces status's error= line with why, single-quoted as render.c quotes. */
static int fs_status_error(struct fs_buf *b, const char *why)
{
	struct fs_buf nb = {0};
	char *at = b->len ? memmem(b->data, b->len, "\nerror=", 7) : NULL;
	char *eol = at ? memchr(at + 1, '\n', b->len - (size_t)(at + 1 - b->data)) : NULL;
	int ret;

	if (!eol)
		return 0;
	ret = fs_buf_printf(&nb, "%.*serror='", (int)(at + 1 - b->data), b->data);
	for (const unsigned char *c = (const unsigned char *)why; *c && !ret; c++) {
		if (*c == '\'')
			ret = fs_buf_printf(&nb, "'\\''");
		else /* a control byte would end the line: the pattern is in descriptor */
			ret = fs_buf_printf(&nb, "%c", *c < 0x20 || *c == 0x7f ? '?' : *c);
	}
	if (!ret)
		ret = fs_buf_printf(&nb, "'%.*s", (int)(b->len - (size_t)(eol - b->data)), eol);
	if (ret) {
		fs_buf_free(&nb);
		return ret;
	}
	fs_buf_free(b);
	*b = nb;
	return 0;
}

static int fs_render_status(struct fs_job *j, struct fs_buf *b)
{
	int stage = atomic_load_explicit(&j->stage, memory_order_acquire);
	struct fs_job view;
	int ret;

	if (stage == FS_STAGE_STARTED)
		return render_job_status(j, b);
	ret = render_job_status(fs_job_view(j, &view), b);
	return ret || stage != FS_STAGE_FAILED ? ret : fs_status_error(b, j->prep_error);
}

static int fs_render(struct fs *fs, struct fs_handle *h)
{
	struct fs_job view, *j = h->job;

	if (j && h->node != N_JSTATUS && h->node != N_JWAIT && !fs_job_started(j))
		j = fs_job_view(j, &view);
	switch (h->node) {
	case N_README:
		return render_readme(&h->buf);
	case N_STATUS:
		return render_status(fs, &h->buf);
	case N_STATUS_JSON:
		return render_status_json(fs, &h->buf);
	case N_EPOCH: {
		struct pump_info in;
		pump_units_info(fs->units, &in, NULL);
		return fs_buf_printf(&h->buf, "%u\n", in.epoch);
	}
	case N_OPS:
		return render_ops(&h->buf);
	case N_METRICS:
		return render_metrics(fs, &h->buf);
	case N_METRICS_PROM:
		return render_metrics_prom(fs, &h->buf);
	case N_JDESC:
		return fs_buf_printf(&h->buf, "%s\n", j->descriptor);
	case N_JSTATUS:
	case N_JWAIT:
		return fs_render_status(j, &h->buf);
	case N_JSTATUS_JSON: /* the job itself: it renders a compiling one (render.c) */
		return render_job_status_json(h->job, &h->buf);
	case N_JFAILED:
		return render_job_failed(j, &h->buf);
	case N_JRESULT:
		return render_job_result(j, &h->buf);
	case N_JLINES:
		return render_job_lines(j, &h->buf);
	case N_JFILES:
		return render_job_files(j, &h->buf);
	default:
		return 0;
	}
}

static bool fs_node_shared(enum fs_node n)
{
	return n == N_JFAILED || n == N_JLINES || n == N_JFILES || n == N_JRESULT;
}

/* Lets go of h's rendered contents and their count. */
static void fs_render_release(struct fs *fs, struct fs_handle *h)
{
	struct fs_render *r = h->shared;

	pthread_mutex_lock(&fs->lock);
	fs->render_bytes -= h->counted;
	h->counted = 0;
	if (r && --r->refs == 0) {
		h->job->renders[h->node - N_JOB] = NULL;
		fs->render_bytes -= r->buf.cap;
	} else {
		r = NULL;
	}
	pthread_mutex_unlock(&fs->lock);
	h->shared = NULL;
	if (r) {
		fs_buf_free(&r->buf);
		free(r);
	}
}

/* Counts bytes against FS_RENDER_BYTES_MAX (fs->lock held): -ENOMEM past it. */
static int fs_render_charge_locked(struct fs *fs, size_t bytes)
{
	if (fs->render_bytes + bytes > FS_RENDER_BYTES_MAX)
		return -ENOMEM;
	fs->render_bytes += bytes;
	return 0;
}

/*
 * Renders h at its open: an ended job's big file is shared with the opens
 * that hold it already; anything else is h's own. Both count against
 * FS_RENDER_BYTES_MAX.
 */
static int fs_render_open(struct fs *fs, struct fs_handle *h)
{
	struct fs_job *j = h->job;
	struct fs_render *r = NULL;
	struct fs_buf b = {0};
	bool share;
	int ret;

	pthread_mutex_lock(&fs->lock);
	share = j && fs_node_shared(h->node) && j->ended;
	if (share && (r = j->renders[h->node - N_JOB]))
		r->refs++;
	pthread_mutex_unlock(&fs->lock);
	if (r) {
		h->shared = r;
		return 0;
	}
	ret = fs_render(fs, h); /* into h->buf, no lock held: it may be long */
	if (ret)
		return ret;
	if (share) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return -ENOMEM;
	}
	pthread_mutex_lock(&fs->lock);
	if (share && j->renders[h->node - N_JOB]) { /* another open rendered it meanwhile */
		h->shared = j->renders[h->node - N_JOB];
		h->shared->refs++;
		b = h->buf;
		h->buf = (struct fs_buf){0};
	} else {
		ret = fs_render_charge_locked(fs, h->buf.cap);
		if (!ret && share) {
			r->refs = 1;
			r->buf = h->buf;
			h->buf = (struct fs_buf){0};
			j->renders[h->node - N_JOB] = r;
			h->shared = r;
			r = NULL;
		} else if (!ret) {
			h->counted = h->buf.cap;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	free(r);
	fs_buf_free(&b);
	if (ret)
		vlog_err("files: %zu MiB of open files' contents already: an open of a %zu KiB "
			 "file fails ENOMEM", (size_t)(FS_RENDER_BYTES_MAX >> 20), h->buf.cap >> 10);
	return ret;
}

static void fs_handle_link(struct fs *fs, struct fs_handle *h)
{
	pthread_mutex_lock(&fs->lock);
	h->hnext = fs->handles;
	if (h->hnext)
		h->hnext->hprev = h;
	fs->handles = h;
	pthread_mutex_unlock(&fs->lock);
}

static void fs_handle_unlink(struct fs *fs, struct fs_handle *h)
{
	pthread_mutex_lock(&fs->lock);
	*(h->hprev ? &h->hprev->hnext : &fs->handles) = h->hnext;
	if (h->hnext)
		h->hnext->hprev = h->hprev;
	h->hprev = h->hnext = NULL;
	pthread_mutex_unlock(&fs->lock);
}

static void fs_handle_free(struct fs_handle *h)
{
	fs_job_put(&h->job);
	fs_buf_free(&h->buf);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

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
	/* a running job's result is rendered at its end: a read waits as wait's does */
	pending = n == N_JRESULT && !render_job_ended(fs, h->job);
	if (pending && (fi->flags & O_NONBLOCK)) {
		ret = -EAGAIN;
		goto out_free;
	}
	if (n != N_JWAIT && n != N_CTL && n != N_JCTL && !pending) {
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
	fi->nonseekable = n == N_JWAIT;
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

/* Replies with what buf holds from off (ctl: from its own read position). */
static void fs_reply_slice(fuse_req_t req, struct fs_handle *h, size_t size, off_t off)
{
	const struct fs_buf *b = h->shared ? &h->shared->buf : &h->buf;
	size_t n = 0;

	if (h->node == N_CTL || h->node == N_JCTL) {
		/*
		 * Read-after-write on one open ctl ("exec 3<>ctl"): the file
		 * position is past what was written, so the answer is read from
		 * its own position, reset by each write.
		 */
		off = (off_t)h->rpos;
	}
	if (off >= 0 && (size_t)off < b->len) {
		n = b->len - (size_t)off;
		if (n > size)
			n = size;
		h->rpos = (size_t)off + n;
	}
	fuse_reply_buf(req, n ? b->data + off : NULL, n);
}

/* Renders the ended job's status (once per open) and answers the read. */
static void fs_wait_answer(struct fs *fs, fuse_req_t req, struct fs_handle *h, size_t size,
			   off_t off)
{
	int ret = 0;

	pthread_mutex_lock(&h->lock);
	if (h->node == N_CTL) { /* wait=1: the status follows the id */
		if (h->ctl_wait)
			ret = fs_render_status(h->job, &h->buf);
		h->ctl_wait = false;
	} else if (!h->rendered) {
		ret = fs_render(fs, h);
		h->rendered = ret == 0;
	}
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fs_reply_slice(req, h, size, off);
	pthread_mutex_unlock(&h->lock);
}

/*
 * libfuse calls an interrupt function at once, inside fuse_req_interrupt_func,
 * when the request was interrupted before it was registered; replying there
 * would free the request under libfuse's own lock. So while registering, the
 * function only notes it, and the registering thread answers.
 */
static __thread bool fs_tls_registering, fs_tls_interrupted;

/* Unlinks w (fs->lock held). */
static void fs_waiter_unlink(struct fs *fs, struct fs_waiter *w)
{
	struct fs_waiter **pp = &w->h->job->waiters;

	while (*pp && *pp != w)
		pp = &(*pp)->jnext;
	if (*pp)
		*pp = w->jnext;
	*(w->prev ? &w->prev->next : &fs->waiters) = w->next;
	if (w->next)
		w->next->prev = w->prev;
}

static void fs_wait_interrupted(fuse_req_t req, void *data)
{
	struct fs *fs = data;
	struct fs_waiter *w;

	if (fs_tls_registering) {
		fs_tls_interrupted = true;
		return;
	}
	pthread_mutex_lock(&fs->lock);
	for (w = fs->waiters; w && w->req != req; w = w->next)
		;
	if (w)
		fs_waiter_unlink(fs, w);
	pthread_mutex_unlock(&fs->lock);
	if (!w)
		return; /* the job ended first: its reply is on the way */
	fuse_reply_err(req, EINTR);
	free(w);
}

/* A read of wait: answered now if the job has ended, else parked. */
static void fs_wait_read(struct fs *fs, fuse_req_t req, struct fs_handle *h, size_t size, off_t off)
{
	struct fs_job *j = h->job;
	struct fs_waiter *w = calloc(1, sizeof(*w));
	bool ended;

	if (!w) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*w = (struct fs_waiter){.req = req, .h = h, .size = size, .off = off};
	pthread_mutex_lock(&fs->lock);
	ended = j->ended || fs->stopping;
	if (!ended) {
		w->jnext = j->waiters;
		j->waiters = w;
		w->next = fs->waiters;
		if (w->next)
			w->next->prev = w;
		fs->waiters = w;
	}
	pthread_mutex_unlock(&fs->lock);
	if (ended) {
		free(w);
		fs_wait_answer(fs, req, h, size, off);
		return;
	}
	fs_tls_registering = true;
	fs_tls_interrupted = false;
	fuse_req_interrupt_func(req, fs_wait_interrupted, fs);
	fs_tls_registering = false;
	if (fs_tls_interrupted) {
		fs_tls_interrupted = false;
		fs_wait_interrupted(req, fs);
	}
}

/*
 * fs->lock held, from fs_job_ended: takes j's waiters off every list and
 * tells its pollers; the caller answers the waiters with fs_wait_wake
 * once the lock is dropped.
 */
struct fs_waiter *fs_wait_detach_locked(struct fs *fs, struct fs_job *j)
{
	struct fs_waiter *list = j->waiters;

	j->waiters = NULL;
	for (struct fs_waiter *w = list; w; w = w->jnext) {
		*(w->prev ? &w->prev->next : &fs->waiters) = w->next;
		if (w->next)
			w->next->prev = w->prev;
	}
	while (j->pollers) {
		struct fs_handle *h = j->pollers;
		j->pollers = h->pnext;
		h->polling = false;
		if (h->ph) {
			fuse_lowlevel_notify_poll(h->ph);
			fuse_pollhandle_destroy(h->ph);
			h->ph = NULL;
		}
	}
	return list;
}

void fs_wait_wake(struct fs *fs, struct fs_waiter *list)
{
	while (list) {
		struct fs_waiter *w = list;
		list = w->jnext;
		fs_wait_answer(fs, w->req, w->h, w->size, w->off);
		free(w);
	}
}

/* Shutdown: every parked reader is answered with the status as it stands. */
void fs_wait_release_all(struct fs *fs)
{
	struct fs_waiter *list = NULL, *w;

	pthread_mutex_lock(&fs->lock);
	fs->stopping = true;
	while ((w = fs->waiters)) {
		fs_waiter_unlink(fs, w);
		w->jnext = list;
		list = w;
	}
	pthread_mutex_unlock(&fs->lock);
	fs_wait_wake(fs, list);
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
		if (h->ph)
			fuse_pollhandle_destroy(h->ph);
		h->ph = NULL;
		h->polling = false;
		fs_render_release(fs, h);
		fs_handle_free(h);
	}
}

void fs_file_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		  struct fuse_pollhandle *ph)
{
	struct fs *fs = fs_of(req);
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
	unsigned revents = POLLIN | POLLRDNORM;

	bool waits = h->node == N_JWAIT || h->node == N_JRESULT;

	(void)ino;
	if (h->node == N_CTL || h->node == N_JCTL)
		revents |= POLLOUT | POLLWRNORM;
	if (h->node == N_CTL) { /* wait=1: readable once the job has ended */
		pthread_mutex_lock(&h->lock);
		waits = h->ctl_wait;
		pthread_mutex_unlock(&h->lock);
	}
	if (!waits) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, revents);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	if (!h->job->ended && !fs->stopping) {
		revents = 0;
		if (ph) {
			if (h->ph)
				fuse_pollhandle_destroy(h->ph);
			h->ph = ph;
			ph = NULL;
			if (!h->polling) {
				h->polling = true;
				h->pnext = h->job->pollers;
				h->job->pollers = h;
			}
		}
	}
	pthread_mutex_unlock(&fs->lock);
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, revents);
}

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

void fs_file_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		  struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;

	(void)ino;
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
	if (h->node == N_CTL && fs_ctl_stuck(fs, h)) {
		fuse_reply_err(req, EAGAIN);
		return;
	}
	pthread_mutex_lock(&h->lock);
	if (h->node == N_CTL && !h->ctl_wait && !fs_line_blank(h->pending, h->npending)) {
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

/* Submits one line; its id or the error goes into the answer. */
static int fs_ctl_line(struct fs *fs, struct fs_caller *who, struct fs_handle *h,
		       const char *line, size_t len)
{
	char err[512] = "";
	struct fs_job *waitj = NULL;
	uint64_t id;
	int ret;

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

static int fs_write_job_ctl(struct fs *fs, struct fs_handle *h, const char *buf, size_t size)
{
	struct fs_job *j = h->job;
	size_t len = size;

	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	if (len == 6 && !memcmp(buf, "cancel", 6)) {
		if (!fs_job_started(j) && !fs_cancel_unstarted(fs, j))
			return (int)size;
		int ret = j->many ? fs_many_cancel(j) : pump_job_cancel(j->pj);
		return ret == -EALREADY || ret == 0 ? (int)size : ret;
	}
	return -EINVAL;
}

static void fs_ctl_write(struct fs *fs, fuse_req_t req, struct fs_handle *h, const char *buf,
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

/*
 * close(2) of ctl: "echo -n ... > ctl" ends its line here. FLUSH, not
 * RELEASE: a flush comes from the closing task with its credentials while
 * it waits in close, a release asynchronously with none (uid 0), which
 * would submit the line as root. Other files open with noflush.
 */
void fs_file_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
	struct fs_ctl_wint w;
	struct fs_caller who;
	bool line;
	int ret;

	(void)ino;
	if (h->node != N_CTL) {
		fuse_reply_err(req, 0);
		return;
	}
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

void fs_file_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;

	(void)ino;
	pthread_mutex_lock(&fs->lock);
	if (h->polling) {
		struct fs_handle **pp = &h->job->pollers;
		while (*pp != h)
			pp = &(*pp)->pnext;
		*pp = h->pnext;
		h->polling = false;
	}
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
