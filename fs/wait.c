// SPDX-License-Identifier: MIT
/*
 * wait.c - waiting on a job without holding a thread.
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
#include "files.h"
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

/* Renders the ended job's status (once per open) and answers the read. */
void fs_wait_answer(struct fs *fs, fuse_req_t req, struct fs_handle *h, size_t size,
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

/* files.h says why */
__thread bool fs_tls_registering, fs_tls_interrupted;

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
void fs_wait_read(struct fs *fs, fuse_req_t req, struct fs_handle *h, size_t size, off_t off)
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

