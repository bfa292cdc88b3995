/* SPDX-License-Identifier: MIT */
/*
 * walk_par.h - directories of one walk shared by its walker threads
 * (walk_par.c) and the set of those entered (walk_seen.c), private to
 * walk.c.
 */
#ifndef VYRE_FS_WALK_PAR_H
#define VYRE_FS_WALK_PAR_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* walk_seen.c: directories entered, (dev, ino); zeroed is empty */
struct walk_dirset {
	struct walk_dirid {
		dev_t dev;
		ino_t ino;
	} *ids;
	size_t n, cap; /* cap: 0 or a power of two */
};
bool walk_dirset_seen(struct walk_dirset *w, dev_t dev, ino_t ino); /* else adds it */
void walk_dirset_free(struct walk_dirset *w);

/* Walker threads of one job at most (VYRE_WALK_THREADS, walk.c). */
#define WALK_PAR_THREADS_MAX 32
/* Directories waiting, an open fd each; past it a walker lists depth first. */
#define WALK_PAR_QUEUED 256

/* The head of the caller's node: a directory opened, not yet listed. */
struct walk_qnode {
	struct walk_qnode *next;
};

struct walk_par {
	pthread_mutex_t lock;
	pthread_cond_t cond;     /* work came, or the walk is over */
	struct walk_qnode *head; /* next out: last in (depth first-ish, few fds), or the first by before */
	unsigned nq;
	unsigned busy;           /* threads holding a directory (or starting) */
	unsigned waiting;        /* threads in walk_par_next, nothing to take */
	unsigned nthreads, max_threads; /* the first walker included */
	pthread_t tids[WALK_PAR_THREADS_MAX];
	/* the queue's order: a before b; NULL: last in, first out */
	bool (*before)(const struct walk_qnode *a, const struct walk_qnode *b);
	void *(*helper)(void *); /* a helper thread's main, with helper_arg */
	void *helper_arg;
	bool ok;
};

/* max_threads counts the caller; helpers run helper(arg); before: the queue's order, or NULL */
int walk_par_init(struct walk_par *q, unsigned max_threads, void *(*helper)(void *), void *arg,
		  bool (*before)(const struct walk_qnode *a, const struct walk_qnode *b));
/* false: the queue is full (or not set up): the caller lists the directory itself */
bool walk_par_push(struct walk_par *q, struct walk_qnode *n);
/*
 * The caller is done with what it held; the next directory to list, or
 * NULL once the walk is over. idle(arg) runs once before it first waits.
 */
struct walk_qnode *walk_par_next(struct walk_par *q, void (*idle)(void *), void *arg);
/* after the caller's walk_par_next returned NULL: joins the helpers */
void walk_par_exit(struct walk_par *q);

#endif
