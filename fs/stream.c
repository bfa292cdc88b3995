// SPDX-License-Identifier: MIT
/*
 * stream.c - jobs/N/lines and jobs/N/files of a running job, read as they
 * become final (README "Streaming").
 *
 * A file opened while its job runs is not rendered at open: each read
 * renders what its kind says is certain (fs_job_kind.certain, .stream)
 * from where the last one stopped (h->cur), so a reader sees a prefix of
 * the job's final file that only grows, like tail -f that ends. A read at
 * the end of what is certain returns EOF once the job has ended, EAGAIN
 * under O_NONBLOCK, and is otherwise parked as a wait read is (wait.c):
 * on fs->waiters, where an INTERRUPT (a signal to the reader) answers it
 * EINTR at once and shutdown answers it (ENOTCONN: the rest will never
 * come). The handle keeps only what the reader has not read yet, about
 * one read's worth: a reader cannot pin a job's whole file in memory.
 *
 * Nothing in the pump tells fs/ that a chunk has folded (its only call
 * back is a job's end, on the pump thread), and such a call under the
 * pump's lock on every fold would be a cost on every job for the few that
 * are streamed. So the answerer thread looks at the parked reads and
 * polls every FS_STREAM_TICK_MS while there are any (fs->nstream): one
 * certain() each, a lock and a load. A read that has more to give moves
 * to the answerer's queue and is answered there, or parked again (the
 * files that became final had nothing to show). Each user may have
 * FS_STREAM_PARKED_MAX reads parked; past it a read fails EAGAIN, so a
 * flood of readers costs the tick a bounded scan per user.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "files.h"

bool fs_stream_node(enum fs_node n)
{
	return n == N_JLINES || n == N_JFILES;
}

/* Units of h's file final so far: none while the job has not started (grep compiling). */
static uint64_t fs_stream_certain(struct fs_job *j, enum fs_node n)
{
	return fs_job_started(j) ? j->kind->certain(j, n) : 0;
}

/*
 * h->lock held: drops what the reader has read (off is past it), then
 * renders more until buf holds size bytes from off or nothing more is
 * certain. -ESPIPE for an offset before what is kept (the file is read
 * in order, as a pipe).
 */
static int fs_stream_fill(struct fs_handle *h, off_t off, size_t size)
{
	struct fs_buf *b = &h->buf;
	uint64_t o = off < 0 ? 0 : (uint64_t)off, drop;

	if (o < h->sbase || o > h->sbase + b->len)
		return -ESPIPE;
	drop = o - h->sbase;
	if (drop) {
		memmove(b->data, b->data + drop, b->len - drop);
		b->len -= drop;
		h->sbase = o;
	}
	if (b->len >= size || !fs_job_started(h->job))
		return 0;
	return h->job->kind->stream(h->job, h->node, &h->cur, b, size);
}

/*
 * Parks w (fs->lock held) unless the job has ended or the mount is
 * stopping meanwhile (1: serve it again) or its user has too many parked
 * (-EAGAIN). 0: parked.
 */
static int fs_stream_park_locked(struct fs *fs, struct fs_waiter *w)
{
	struct fs_user *u;

	if (w->h->job->ended || fs->stopping)
		return 1;
	if (!w->counted) {
		u = fs_user_locked(fs, w->uid, true);
		if (!u)
			return -ENOMEM;
		if (u->streams >= FS_STREAM_PARKED_MAX)
			return -EAGAIN;
		u->streams++;
		w->counted = true;
	}
	w->prev = NULL;
	w->next = fs->waiters;
	if (w->next)
		w->next->prev = w;
	fs->waiters = w;
	if (fs->nstream++ == 0)
		pthread_cond_signal(&fs->answer_cond); /* start ticking */
	return 0;
}

/*
 * Answers w's read if there is something to say (bytes, EOF, an error),
 * else parks it; frees w once answered. On a FUSE worker (the first try)
 * or the answerer (after the tick found more).
 */
static void fs_stream_serve(struct fs *fs, struct fs_waiter *w, bool nonblock)
{
	struct fs_handle *h = w->h;
	fuse_req_t req = w->req;
	bool ended, stopping;
	size_t n = 0;
	int ret;

	for (;;) {
		pthread_mutex_lock(&fs->lock);
		/* before the fill: once ended, everything is certain, so the fill gets the rest */
		ended = h->job->ended;
		stopping = fs->stopping;
		pthread_mutex_unlock(&fs->lock);

		pthread_mutex_lock(&h->lock);
		ret = fs_stream_fill(h, w->off, w->size);
		n = ret ? 0 : min_size(h->buf.len, w->size);
		w->have = h->cur.unit;
		if (!ret && (n || ended)) {
			fuse_reply_buf(req, n ? h->buf.data : NULL, n);
			/* the reply is written: those bytes are the reader's now */
			if (n)
				memmove(h->buf.data, h->buf.data + n, h->buf.len - n);
			h->buf.len -= n;
			h->sbase += n;
		}
		pthread_mutex_unlock(&h->lock);
		if (!ret && (n || ended))
			break;
		if (!ret && stopping)
			ret = -ENOTCONN; /* the daemon stops: the rest will never come */
		else if (!ret && nonblock)
			ret = -EAGAIN;
		if (ret) {
			fuse_reply_err(req, -ret);
			break;
		}
		/* the INTERRUPT handler is set before the first park (wait.c) */
		if (!w->registered) {
			w->registered = true;
			if (fs_wait_interrupt_set(fs, req)) {
				fuse_reply_err(req, EINTR);
				break;
			}
		}
		pthread_mutex_lock(&fs->lock);
		ret = fs_stream_park_locked(fs, w);
		/* an INTERRUPT between the handler's setting and the park found no waiter */
		if (!ret && fuse_req_interrupted(req)) {
			fs_waiter_unlink(fs, w);
			ret = -EINTR;
		}
		pthread_mutex_unlock(&fs->lock);
		if (ret == 1)
			continue; /* it ended meanwhile: the rest is certain now */
		if (ret) {
			fuse_reply_err(req, -ret);
			break;
		}
		return; /* parked: an interrupt may answer it from here on (wait.c says how) */
	}
	pthread_mutex_lock(&fs->lock);
	fs_waiter_uncount_locked(fs, w);
	pthread_mutex_unlock(&fs->lock);
	free(w);
}

static void fs_stream_answer(struct fs *fs, struct fs_waiter *w);

void fs_stream_read(struct fs *fs, fuse_req_t req, struct fs_handle *h, size_t size, off_t off,
		    int flags)
{
	struct fs_waiter *w = calloc(1, sizeof(*w));

	if (!w) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*w = (struct fs_waiter){.req = req,
				.h = h,
				.size = size,
				.off = off,
				.stream = true,
				.answer = fs_stream_answer,
				.uid = fuse_req_ctx(req)->uid};
	fs_stream_serve(fs, w, flags & O_NONBLOCK);
}

/* The answerer, for a read the tick (or shutdown) took off fs->waiters. */
static void fs_stream_answer(struct fs *fs, struct fs_waiter *w)
{
	fs_stream_serve(fs, w, false);
}

/* fs->lock held: is there more for whoever waits at have? */
static bool fs_stream_ready_locked(struct fs *fs, struct fs_job *j, enum fs_node n, uint64_t have)
{
	return j->ended || fs->stopping || fs_stream_certain(j, n) > have;
}

void fs_stream_unpoll_locked(struct fs *fs, struct fs_handle *h)
{
	if (!h->spolling)
		return;
	*(h->spprev ? &h->spprev->spnext : &fs->spolls) = h->spnext;
	if (h->spnext)
		h->spnext->spprev = h->spprev;
	h->spprev = h->spnext = NULL;
	h->spolling = false;
	fs->nstream--;
}

/*
 * The answerer's tick (fs->lock held): parked stream reads with more to
 * give go to its queue; polls of streamed files with more are told.
 */
void fs_stream_tick_locked(struct fs *fs)
{
	struct fs_waiter *w, *wn;
	struct fs_handle *h, *hn;

	for (w = fs->waiters; w; w = wn) {
		wn = w->next;
		if (!w->stream || !fs_stream_ready_locked(fs, w->h->job, w->h->node, w->have))
			continue;
		fs_waiter_unlink(fs, w);
		w->anext = NULL;
		*(fs->answer_tail ? &fs->answer_tail->anext : &fs->answer_head) = w;
		fs->answer_tail = w;
	}
	for (h = fs->spolls; h; h = hn) {
		hn = h->spnext;
		if (!fs_stream_ready_locked(fs, h->job, h->node, h->spoll_have))
			continue;
		fs_stream_unpoll_locked(fs, h);
		if (h->ph) {
			fuse_lowlevel_notify_poll(h->ph);
			fuse_pollhandle_destroy(h->ph);
			h->ph = NULL;
		}
	}
}

/*
 * poll(2): readable when unread bytes are kept, more is certain, or the
 * job has ended (EOF is readable); else the tick tells ph when that comes.
 */
void fs_stream_poll(struct fs *fs, fuse_req_t req, struct fs_handle *h, struct fuse_pollhandle *ph)
{
	unsigned revents = POLLIN | POLLRDNORM;
	uint64_t have;
	bool kept;

	pthread_mutex_lock(&h->lock);
	kept = h->buf.len > 0; /* replied bytes are dropped at once: these were not read */
	have = h->cur.unit;
	pthread_mutex_unlock(&h->lock);
	pthread_mutex_lock(&fs->lock);
	if (!kept && !fs_stream_ready_locked(fs, h->job, h->node, have)) {
		revents = 0;
		if (ph) {
			if (h->ph)
				fuse_pollhandle_destroy(h->ph);
			h->ph = ph;
			ph = NULL;
			h->spoll_have = have;
			if (!h->spolling) {
				h->spolling = true;
				h->spnext = fs->spolls;
				if (h->spnext)
					h->spnext->spprev = h;
				h->spprev = NULL;
				fs->spolls = h;
				if (fs->nstream++ == 0)
					pthread_cond_signal(&fs->answer_cond); /* start ticking */
			}
		}
	}
	pthread_mutex_unlock(&fs->lock);
	if (ph)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, revents);
}
