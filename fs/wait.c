// SPDX-License-Identifier: MIT
/*
 * wait.c - waiting on a job without holding a thread, and the answerer.
 *
 * A read of jobs/N/wait while N runs is parked: the request goes on the
 * job's observer list (jobs.c) and the FUSE thread returns to the loop.
 * When the job ends, the thread that ends it (the pump thread, a walker, a
 * compile worker) calls each observer under fs->lock, as the kernel's
 * wake_up calls each wait_queue_entry's func: a parked read's observer only
 * moves it to the answerer's queue and wakes that thread, which renders and
 * replies (libfuse's low-level API lets any thread reply). So no pump
 * thread renders or replies to FUSE. A signal to the reader (^C, a SIGKILL)
 * arrives as an INTERRUPT and is answered EINTR at once. So any number of
 * readers may wait while status, ctl and cancel keep answering. poll(2) on
 * wait is readable exactly when the job has ended: each polling handle
 * observes the job until then.
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "files.h"
#include "latency.h"

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

/* Takes w off fs->waiters (fs->lock held). */
void fs_waiter_unlink(struct fs *fs, struct fs_waiter *w)
{
	if (w->stream)
		fs->nstream--;
	*(w->prev ? &w->prev->next : &fs->waiters) = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

/* Queues w for the answerer and wakes it (fs->lock held). */
static void fs_answer_queue_locked(struct fs *fs, struct fs_waiter *w)
{
	w->anext = NULL;
	*(fs->answer_tail ? &fs->answer_tail->anext : &fs->answer_head) = w;
	fs->answer_tail = w;
	pthread_cond_signal(&fs->answer_cond);
}

/* w's job ended (jobs.c, fs->lock held, on the ending thread): record and wake only. */
static void fs_wait_ended(struct fs *fs, struct fs_job_obs *o, struct fs_job *j)
{
	struct fs_waiter *w = (struct fs_waiter *)o;

	(void)j;
	fs_waiter_unlink(fs, w);
	fs_answer_queue_locked(fs, w);
}

/* A parked stream read is no longer its user's (fs->lock held): answered or interrupted. */
void fs_waiter_uncount_locked(struct fs *fs, struct fs_waiter *w)
{
	struct fs_user *u;

	if (!w->counted)
		return;
	u = fs_user_locked(fs, w->uid, false);
	if (u)
		u->streams--;
	w->counted = false;
}

void fs_wait_interrupted(fuse_req_t req, void *data)
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
	if (w) {
		fs_waiter_unlink(fs, w);
		fs_job_unobserve_locked(w->h->job, &w->obs);
		fs_waiter_uncount_locked(fs, w);
	}
	pthread_mutex_unlock(&fs->lock);
	if (!w)
		return; /* the job ended first (or more came): its reply is on the way */
	fuse_reply_err(req, EINTR);
	free(w);
}

/*
 * Sets req's INTERRUPT handler (fs_wait_interrupted) before a read of wait
 * or of a stream parks, while no other thread can answer req: once parked,
 * the answerer may reply at any moment, and libfuse frees req with the
 * reply (setting it after the park locked a freed req's mutex: CI saw the
 * daemon abort in __pthread_mutex_lock_full). True if req was interrupted
 * already: the caller answers EINTR. An INTERRUPT between this and the park
 * finds no waiter: the caller looks with fuse_req_interrupted under fs->lock.
 */
bool fs_wait_interrupt_set(struct fs *fs, fuse_req_t req)
{
	fs_tls_registering = true;
	fs_tls_interrupted = false;
	fuse_req_interrupt_func(req, fs_wait_interrupted, fs);
	fs_tls_registering = false;
	if (!fs_tls_interrupted)
		return false;
	fs_tls_interrupted = false;
	return true;
}

/* A read of wait: answered now if the job has ended, else parked. */
void fs_wait_read(struct fs *fs, fuse_req_t req, struct fs_handle *h, size_t size, off_t off)
{
	struct fs_job *j = h->job;
	struct fs_waiter *w = calloc(1, sizeof(*w));
	bool ended, interrupted;

	if (!w) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*w = (struct fs_waiter){.obs.ended = fs_wait_ended, .req = req, .h = h, .size = size,
				.off = off};
	if (fs_wait_interrupt_set(fs, req)) {
		free(w);
		fuse_reply_err(req, EINTR);
		return;
	}
	pthread_mutex_lock(&fs->lock);
	ended = j->ended || fs->stopping;
	/* an INTERRUPT between the handler's setting and here found no waiter */
	interrupted = !ended && fuse_req_interrupted(req);
	if (!ended && !interrupted) {
		fs_job_observe_locked(j, &w->obs);
		w->next = fs->waiters;
		if (w->next)
			w->next->prev = w;
		fs->waiters = w;
	}
	pthread_mutex_unlock(&fs->lock);
	if (interrupted) {
		free(w);
		fuse_reply_err(req, EINTR);
	} else if (ended) {
		free(w);
		fs_wait_answer(fs, req, h, size, off);
	}
}

/*
 * The answerer: replies to the reads whose job has ended, off the pump
 * thread. While stream reads are parked or streamed files polled, it also
 * looks at them every FS_STREAM_TICK_MS (stream.c).
 */
static void *fs_answer_main(void *arg)
{
	struct fs *fs = arg;
	struct timespec until;

	(void)pthread_setname_np(pthread_self(), "vyre-answer"); /* for top -H; cosmetic */
	pthread_mutex_lock(&fs->lock);
	for (;;) {
		struct fs_waiter *list;
		if (fs->nstream) /* stream.c's, set by main.c: wait.c calls nothing above it */
			fs->stream_tick(fs);
		list = fs->answer_head;
		if (!list) {
			if (fs->answer_stop)
				break;
			if (!fs->nstream) {
				pthread_cond_wait(&fs->answer_cond, &fs->lock);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += FS_STREAM_TICK_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&fs->answer_cond, &fs->lock, &until);
			continue;
		}
		fs->answer_head = fs->answer_tail = NULL;
		pthread_mutex_unlock(&fs->lock);
		while (list) {
			struct fs_waiter *w = list;
			list = w->anext;
			if (w->answer) { /* a stream read: replies and frees it, or parks it again */
				w->answer(fs, w);
				continue;
			}
			fs_wait_answer(fs, w->req, w->h, w->size, w->off);
			free(w);
		}
		pthread_mutex_lock(&fs->lock);
	}
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

int fs_answer_start(struct fs *fs)
{
	pthread_condattr_t ca;
	int ret;

	/* the tick's deadlines are CLOCK_MONOTONIC: a clock step must not stall it */
	ret = -pthread_condattr_init(&ca);
	if (!ret)
		ret = -pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!ret)
		ret = -pthread_cond_init(&fs->answer_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (ret)
		return ret;
	ret = -pthread_create(&fs->answerer, NULL, fs_answer_main, fs);
	if (ret) {
		pthread_cond_destroy(&fs->answer_cond);
		return ret;
	}
	fs->answering = true;
	return 0;
}

/* Once nothing can end a job any more (the pump is gone): answers what is queued, then exits. */
void fs_answer_stop(struct fs *fs)
{
	if (!fs->answering)
		return;
	pthread_mutex_lock(&fs->lock);
	fs->answer_stop = true;
	pthread_cond_signal(&fs->answer_cond);
	pthread_mutex_unlock(&fs->lock);
	pthread_join(fs->answerer, NULL);
	pthread_cond_destroy(&fs->answer_cond);
	fs->answering = false;
}

/* Shutdown: every parked reader is answered with the status as it stands. */
void fs_wait_release_all(struct fs *fs)
{
	struct fs_waiter *w;

	pthread_mutex_lock(&fs->lock);
	fs->stopping = true;
	while ((w = fs->waiters)) {
		fs_waiter_unlink(fs, w);
		fs_job_unobserve_locked(w->h->job, &w->obs);
		fs_answer_queue_locked(fs, w);
	}
	pthread_mutex_unlock(&fs->lock);
}

/* A polled job ended (jobs.c, fs->lock held): the poller is told, once. */
static void fs_poll_ended(struct fs *fs, struct fs_job_obs *o, struct fs_job *j)
{
	struct fs_handle *h = (struct fs_handle *)((char *)o - offsetof(struct fs_handle, pobs));

	(void)fs;
	(void)j;
	h->polling = false;
	if (h->ph) {
		fuse_lowlevel_notify_poll(h->ph);
		fuse_pollhandle_destroy(h->ph);
		h->ph = NULL;
	}
}

void fs_wait_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
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
				h->pobs.ended = fs_poll_ended;
				fs_job_observe_locked(h->job, &h->pobs);
			}
		}
	}
	pthread_mutex_unlock(&fs->lock);
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, revents);
}

