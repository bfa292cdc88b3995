// SPDX-License-Identifier: MIT
/*
 * walk_par.c - the directories of one walk shared by several threads.
 *
 * A job's walker (walk.c) lists a directory; with a queue, each
 * subdirectory it opens goes here instead of being listed at once, and
 * any of the job's walker threads takes it. Helpers are started as work
 * waits for them, up to max_threads, so a directory with no
 * subdirectories never starts one. The queue holds open directories (an
 * fd each), at most WALK_PAR_QUEUED: when full, the pusher lists the
 * directory itself, depth first, as one walker does. The queue hands out
 * the last pushed, or with an order (walk_par_init's before) the first in
 * it: order=walk's directory first in grep -r's order.
 *
 * The walk ends when the queue is empty and no thread holds a directory:
 * each thread's walk_par_next() then returns NULL. What a node is, and
 * what a helper thread runs, is the caller's (walk.c); nothing here
 * calls back into it but through the pointers it gives.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "walk_par.h"

int walk_par_init(struct walk_par *q, unsigned max_threads, void *(*helper)(void *), void *arg,
		  bool (*before)(const struct walk_qnode *a, const struct walk_qnode *b))
{
	int ret;

	*q = (struct walk_par){.max_threads = max_threads, .helper = helper, .helper_arg = arg,
			       .before = before, .busy = 1}; /* the first walker, listing its root */
	if (q->max_threads > WALK_PAR_THREADS_MAX)
		q->max_threads = WALK_PAR_THREADS_MAX;
	if (q->max_threads < 1)
		q->max_threads = 1;
	ret = -pthread_mutex_init(&q->lock, NULL);
	if (ret)
		return ret;
	ret = -pthread_cond_init(&q->cond, NULL);
	if (ret) {
		pthread_mutex_destroy(&q->lock);
		return ret;
	}
	q->nthreads = 1;
	q->ok = true;
	return 0;
}

/* Starts one helper if work waits that no idle thread will take (q->lock held). */
static void walk_par_spawn_locked(struct walk_par *q)
{
	if (q->nthreads >= q->max_threads || q->nq <= q->waiting)
		return;
	/* the default stack, as the first walker's: a full queue makes a
	 * walker recurse up to WALK_DEPTH_MAX directories (walk.c) */
	if (!pthread_create(&q->tids[q->nthreads - 1], NULL, q->helper, q->helper_arg)) {
		q->nthreads++;
		q->busy++; /* the helper counts as busy until its first walk_par_next */
	}
}

bool walk_par_push(struct walk_par *q, struct walk_qnode *n)
{
	if (!q->ok)
		return false;
	pthread_mutex_lock(&q->lock);
	if (q->nq >= WALK_PAR_QUEUED) {
		pthread_mutex_unlock(&q->lock);
		return false;
	}
	/* in order: after every node n is not before (at most
	 * WALK_PAR_QUEUED steps, under the lock of a walk's threads only) */
	struct walk_qnode **at = &q->head;
	while (q->before && *at && !q->before(n, *at))
		at = &(*at)->next;
	n->next = *at;
	*at = n;
	q->nq++;
	if (q->waiting)
		pthread_cond_signal(&q->cond);
	else
		walk_par_spawn_locked(q);
	pthread_mutex_unlock(&q->lock);
	return true;
}

struct walk_qnode *walk_par_next(struct walk_par *q, void (*idle)(void *), void *arg)
{
	struct walk_qnode *n;

	pthread_mutex_lock(&q->lock);
	q->busy--; /* done with what it held */
	if (!q->head && q->busy > 0 && idle) {
		/* about to wait: what the caller holds back (a pack) goes first */
		pthread_mutex_unlock(&q->lock);
		idle(arg);
		pthread_mutex_lock(&q->lock);
	}
	while (!q->head && q->busy > 0) {
		q->waiting++;
		pthread_cond_wait(&q->cond, &q->lock);
		q->waiting--;
	}
	n = q->head;
	if (n) {
		q->head = n->next;
		q->nq--;
		q->busy++;
	} else {
		pthread_cond_broadcast(&q->cond); /* the walk is over: every waiter leaves */
	}
	pthread_mutex_unlock(&q->lock);
	return n;
}

void walk_par_exit(struct walk_par *q)
{
	if (!q->ok)
		return;
	/* walk_par_next returned NULL here: every helper is leaving too */
	for (unsigned i = 0; i + 1 < q->nthreads; i++)
		pthread_join(q->tids[i], NULL);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	q->ok = false;
}
