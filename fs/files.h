/* SPDX-License-Identifier: MIT */
/*
 * files.h - what the open-file half of fs/ shares: files.c (the FUSE file
 * operations), handle.c (one open file and its rendered contents), wait.c
 * (reads parked until a job ends, poll) and ctl.c (the ctl protocol).
 * Nothing outside these four includes it.
 */
#ifndef VYRE_FILES_H
#define VYRE_FILES_H

#include "fs.h"

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
	bool polling;           /* pobs observes the job (wait.c) */
	struct fs_job_obs pobs;
	/*
	 * lines or files opened while the job ran (stream.c): rendered as the
	 * reader goes, from cur on; buf holds the bytes from file offset sbase
	 * (those before it were read). Not seekable. (h->lock)
	 */
	bool stream;
	struct fs_cursor cur;
	uint64_t sbase;
	/* (fs->lock) poll(2) on a streamed file: on fs->spolls until ready */
	bool spolling;
	uint64_t spoll_have;
	struct fs_handle *spnext, *spprev;
};


/*
 * A read parked until its job ends (wait, result, ctl wait=1: wait.c) or
 * until more of a streamed file is final (lines, files: stream.c): on
 * fs->waiters (fs->lock) while parked, then on the answerer's queue
 * (fs->lock) until the answerer replies and frees it (or parks it again).
 * A wait read observes its job; a stream read is looked at by the
 * answerer's tick instead (stream.c says why).
 */
struct fs_waiter {
	struct fs_job_obs obs; /* first: the observer is the waiter */
	fuse_req_t req;
	struct fs_handle *h; /* alive: the kernel holds the file while the read is out */
	size_t size;
	off_t off;
	struct fs_waiter *prev, *next; /* fs->waiters, for interrupts */
	struct fs_waiter *anext;       /* the answerer's queue */
	/* stream reads only */
	void (*answer)(struct fs *fs, struct fs_waiter *w); /* the answerer's call (stream.c) */
	bool stream;
	bool counted;  /* in its reader's fs_user.streams (fs->lock) */
	bool registered; /* its INTERRUPT handler is set (stream.c: before the first park) */
	uid_t uid;     /* the reader's */
	uint64_t have; /* h's cursor when parked: more than that certain, or the end, wakes it */
};

/* handle.c */
int fs_render_status(struct fs_job *j, struct fs_buf *b);
int fs_render(struct fs *fs, struct fs_handle *h);
int fs_render_open(struct fs *fs, struct fs_handle *h);
void fs_render_release(struct fs *fs, struct fs_handle *h);
void fs_handle_link(struct fs *fs, struct fs_handle *h);
void fs_handle_unlink(struct fs *fs, struct fs_handle *h);
void fs_handle_free(struct fs_handle *h);
void fs_reply_slice(fuse_req_t req, struct fs_handle *h, size_t size, off_t off);

/* wait.c */
/*
 * libfuse calls an interrupt function at once, inside fuse_req_interrupt_func,
 * when the request was interrupted before it was registered; replying there
 * would free the request under libfuse's own lock. So while registering, the
 * function only notes it, and the registering thread answers (wait.c, ctl.c).
 */
extern __thread bool fs_tls_registering, fs_tls_interrupted;
void fs_wait_answer(struct fs *fs, fuse_req_t req, struct fs_handle *h, size_t size, off_t off);
void fs_wait_read(struct fs *fs, fuse_req_t req, struct fs_handle *h, size_t size, off_t off);

/* stream.c: lines and files of a running job, read as they become final */
#define FS_STREAM_TICK_MS 20	 /* parked stream reads and polls are looked at this often */
#define FS_STREAM_PARKED_MAX 256 /* parked stream reads per reading user; past it EAGAIN */
bool fs_stream_node(enum fs_node n);
void fs_stream_read(struct fs *fs, fuse_req_t req, struct fs_handle *h, size_t size, off_t off,
		    int flags);
void fs_stream_poll(struct fs *fs, fuse_req_t req, struct fs_handle *h,
		    struct fuse_pollhandle *ph);
void fs_stream_unpoll_locked(struct fs *fs, struct fs_handle *h);
void fs_waiter_uncount_locked(struct fs *fs, struct fs_waiter *w);
void fs_wait_interrupted(fuse_req_t req, void *data);
bool fs_wait_interrupt_set(struct fs *fs, fuse_req_t req); /* true: interrupted already */
void fs_waiter_unlink(struct fs *fs, struct fs_waiter *w);
void fs_wait_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		  struct fuse_pollhandle *ph);

/* ctl.c */
void fs_ctl_read(struct fs *fs, fuse_req_t req, struct fs_handle *h, size_t size, off_t off);
void fs_ctl_write(struct fs *fs, fuse_req_t req, struct fs_handle *h, const char *buf,
		  size_t size);
int fs_write_job_ctl(struct fs *fs, struct fs_handle *h, const char *buf, size_t size);
void fs_ctl_close(struct fs *fs, fuse_req_t req, struct fs_handle *h);

#endif
