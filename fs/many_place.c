// SPDX-License-Identifier: MIT
/*
 * many_place.c - the places a tree job's files hold in flight (many.h):
 * the job's cap, its user's cap over all the user's tree jobs, and the
 * user's places shared fairly between those jobs. many.c's many_reserve
 * waits here. All but many_place_walk are called with m->lock held.
 */
#include <time.h>

#include "many.h"

/*
 * A job's places whose flights end without its walker: the batch it has
 * reserved and not yet opened (m->pending) ends only when the walker goes
 * on, so a job waiting for its share never waits on those.
 */
static unsigned many_place_flying(const struct fs_many *m)
{
	return m->inflight - m->pending;
}

/*
 * No place for m now: its own cap, its user's, or its fair share of its
 * user's places while another of the user's tree jobs waits for one.
 *
 * The share: before it, a tree job submitted beside a running tree job of
 * the same user waited for places the first job's walker took back the
 * moment they came free (it is woken by its own flights' ends, the second
 * looked every 5 ms), so its first file could wait for the first job's
 * whole walk. Now, while another job waits, a job holding at least
 * FS_USER_INFLIGHT / (the user's walking tree jobs) leaves freed places to
 * the others; alone, a job may hold them all.
 */
bool many_place_busy(const struct fs_many *m)
{
	struct fs_user *u = m->j->user;
	unsigned walking, others, share;

	if (m->inflight >= FS_MANY_INFLIGHT ||
	    atomic_load_explicit(&u->files_inflight, memory_order_relaxed) >= FS_USER_INFLIGHT)
		return true;
	others = atomic_load_explicit(&u->many_waiting, memory_order_relaxed) - m->waiting;
	walking = atomic_load_explicit(&u->many_walking, memory_order_relaxed);
	if (!others || walking < 2)
		return false;
	share = FS_USER_INFLIGHT / walking;
	return many_place_flying(m) >= (share ? share : 1);
}

/* m counts (or no longer counts) among its user's jobs waiting for a place. */
void many_place_waiting(struct fs_many *m, bool waiting)
{
	if (m->waiting == waiting)
		return;
	m->waiting = waiting;
	if (waiting)
		atomic_fetch_add_explicit(&m->j->user->many_waiting, 1, memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&m->j->user->many_waiting, 1, memory_order_relaxed);
}

/*
 * Waits once for a place to come free (m->lock held, dropped while it
 * waits). Its own flights' ends signal m->cond; places the user's other
 * jobs hold come free with their ends, which signal their own conds, so
 * a job waiting on its user looks again every 5 ms, counted as waiting.
 */
void many_place_wait(struct fs_many *m)
{
	struct timespec until;

	if (m->inflight >= FS_MANY_INFLIGHT) {
		pthread_cond_wait(&m->cond, &m->lock);
		return;
	}
	many_place_waiting(m, true);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 5000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&m->cond, &m->lock, &until);
}

/* One place taken: the job's and its user's. */
void many_place_take(struct fs_many *m)
{
	m->inflight++;
	atomic_fetch_add_explicit(&m->j->user->files_inflight, 1, memory_order_relaxed);
}

/* n places given back: the job's and its user's. */
void many_place_give(struct fs_many *m, unsigned n)
{
	m->inflight -= n;
	atomic_fetch_sub_explicit(&m->j->user->files_inflight, n, memory_order_relaxed);
}

/* The job's walk begins or ends: the user's places are shared by the walking jobs. */
void many_place_walk(struct fs_many *m, bool walking)
{
	if (walking)
		atomic_fetch_add_explicit(&m->j->user->many_walking, 1, memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&m->j->user->many_walking, 1, memory_order_relaxed);
}
