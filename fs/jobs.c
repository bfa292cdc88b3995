// SPDX-License-Identifier: MIT
/*
 * jobs.c - the job table: ids to jobs, and what each user may hold.
 *
 * Every operation is O(1) (or O(jobs listed)), so 100,000 jobs cost linear
 * time: a hash from id to job, one list of all jobs in id order (readdir as
 * root), and per user a list of their jobs in id order (readdir, latest)
 * and a list of their ended jobs in the order they ended (reaping).
 *
 * Limits are per user, so one user's flood never takes another's room:
 * at most jobs_active queued or running jobs (more fail EAGAIN) and at
 * most jobs_cap ended jobs kept (past it that user's oldest ended job is
 * reaped; nobody else's). The pump tells us when a job ends (fs_job_ended,
 * on the pump thread).
 *
 * Lock order: fs->lock, then the pump's lock (fs_job_finished).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

#define FS_USER_BUCKETS 256

bool fs_job_finished(struct fs_job *j)
{
	if (!fs_job_started(j)) /* compiling; a failed compile has ended (j->ended) */
		return atomic_load_explicit(&j->stage, memory_order_relaxed) == FS_STAGE_FAILED;
	return j->kind->ended(j);
}

int fs_jobs_init(struct fs *fs)
{
	pthread_mutex_init(&fs->lock, NULL);
	pthread_cond_init(&fs->walkers_cond, NULL);
	pthread_mutex_init(&fs->prep_lock, NULL);
	pthread_cond_init(&fs->prep_cond, NULL);
	fs->hash_size = 1024;
	fs->hash = calloc(fs->hash_size, sizeof(*fs->hash));
	fs->users = calloc(FS_USER_BUCKETS, sizeof(*fs->users));
	return fs->hash && fs->users ? 0 : -ENOMEM;
}

/* Drops the table's references; the pump is gone, so nothing ends any more. */
void fs_jobs_destroy(struct fs *fs)
{
	while (fs->head) {
		struct fs_job *j = fs->head;
		fs->head = j->next;
		fs_job_put(&j);
	}
	if (fs->users) {
		for (size_t b = 0; b < FS_USER_BUCKETS; b++) {
			while (fs->users[b]) {
				struct fs_user *u = fs->users[b];
				fs->users[b] = u->hnext;
				free(u);
			}
		}
	}
	free(fs->users);
	free(fs->hash);
	fs->users = NULL;
	fs->hash = NULL;
	pthread_cond_destroy(&fs->walkers_cond);
	pthread_cond_destroy(&fs->prep_cond);
	pthread_mutex_destroy(&fs->prep_lock);
	pthread_mutex_destroy(&fs->lock);
}

static size_t fs_hash_slot(const struct fs *fs, uint64_t id)
{
	return (size_t)(id * 0x9E3779B97F4A7C15ull >> 20) & (fs->hash_size - 1);
}

/* Doubles the id hash when it holds more jobs than buckets. */
static void fs_hash_grow(struct fs *fs)
{
	size_t n = fs->hash_size * 2;
	struct fs_job **t = calloc(n, sizeof(*t));

	if (!t)
		return; /* longer chains, still correct */
	struct fs_job **old = fs->hash;
	size_t oldn = fs->hash_size;
	fs->hash = t;
	fs->hash_size = n;
	for (size_t b = 0; b < oldn; b++) {
		while (old[b]) {
			struct fs_job *j = old[b];
			old[b] = j->hnext;
			size_t s = fs_hash_slot(fs, j->id);
			j->hnext = t[s];
			t[s] = j;
		}
	}
	free(old);
}

static struct fs_job *fs_hash_find(const struct fs *fs, uint64_t id)
{
	struct fs_job *j = fs->hash[fs_hash_slot(fs, id)];

	while (j && j->id != id)
		j = j->hnext;
	return j;
}

static struct fs_user *fs_user_get(struct fs *fs, uid_t uid, bool create)
{
	size_t b = (size_t)uid % FS_USER_BUCKETS;
	struct fs_user *u = fs->users[b];

	while (u && u->uid != uid)
		u = u->hnext;
	if (u || !create)
		return u;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->uid = uid;
	u->hnext = fs->users[b];
	fs->users[b] = u;
	return u;
}

/* Unlinks j from every list it is on; the caller drops the table's reference. */
static void fs_job_unlink(struct fs *fs, struct fs_job *j)
{
	struct fs_user *u = j->user;
	struct fs_job **pp = &fs->hash[fs_hash_slot(fs, j->id)];

	while (*pp != j)
		pp = &(*pp)->hnext;
	*pp = j->hnext;
	*(j->prev ? &j->prev->next : &fs->head) = j->next;
	*(j->next ? &j->next->prev : &fs->tail) = j->prev;
	*(j->uprev ? &j->uprev->unext : &u->head) = j->unext;
	*(j->unext ? &j->unext->uprev : &u->tail) = j->uprev;
	if (j->ended) {
		*(j->fprev ? &j->fprev->fnext : &u->fin_head) = j->fnext;
		*(j->fnext ? &j->fnext->fprev : &u->fin_tail) = j->fprev;
		u->finished--;
	}
	j->in_table = false;
	fs->njobs--;
}

int fs_jobs_reserve(struct fs *fs, uid_t uid, struct fs_user **out, char *err, size_t errlen)
{
	struct fs_user *u;
	int ret = 0;

	pthread_mutex_lock(&fs->lock);
	u = fs_user_get(fs, uid, true);
	if (!u) {
		ret = -ENOMEM;
	} else if (u->active >= fs->opts.jobs_active) {
		snprintf(err, errlen, "uid %u has %u jobs queued or running, this mount's limit per "
			 "user (wait for some to end, cancel some, or mount with -o jobs_active=N)",
			 (unsigned)uid, u->active);
		ret = -EAGAIN;
	} else {
		u->active++;
		*out = u;
	}
	pthread_mutex_unlock(&fs->lock);
	return ret;
}

unsigned fs_user_stuck(struct fs *fs, uid_t uid, int delta)
{
	struct fs_user *u;
	unsigned before = 0;

	pthread_mutex_lock(&fs->lock);
	u = fs_user_get(fs, uid, delta > 0);
	if (u) {
		before = u->stuck;
		u->stuck += (unsigned)delta;
	}
	pthread_mutex_unlock(&fs->lock);
	return before;
}

struct fs_user *fs_user_locked(struct fs *fs, uid_t uid, bool create)
{
	return fs_user_get(fs, uid, create);
}

void fs_jobs_unreserve(struct fs *fs, struct fs_user *u)
{
	pthread_mutex_lock(&fs->lock);
	u->active--;
	pthread_mutex_unlock(&fs->lock);
}

/*
 * Pump thread: j's last slot is in (a many-file job: its walk and its last
 * file). The pump's reference on j goes here.
 */
void fs_job_ended(void *arg)
{
	struct fs_job *j = arg, *table_ref = NULL;
	struct fs *fs = j->fs;
	struct fs_user *u = j->user;
	struct fs_job_obs *obs;
	int stage = atomic_load_explicit(&j->stage, memory_order_acquire);

	/*
	 * A grep job can end on the pump before its compile worker has said
	 * it started: readers must see it started before they see it ended.
	 */
	if (stage == FS_STAGE_COMPILING)
		atomic_store_explicit(&j->stage, FS_STAGE_STARTED, memory_order_release);
	if (fs->job_counted) /* before the observers: a reader of wait sees it in metrics */
		fs->job_counted(j);
	pthread_mutex_lock(&fs->lock);
	u->active--;
	if (j->in_table && j->remove_on_end) {
		/* before ended is set: it is on no ended list to take it off */
		fs_job_unlink(fs, j);
		table_ref = j;
	}
	j->ended = true;
	if (j->in_table) {
		j->fnext = NULL;
		j->fprev = u->fin_tail;
		*(u->fin_tail ? &u->fin_tail->fnext : &u->fin_head) = j;
		u->fin_tail = j;
		u->finished++;
	}
	obs = j->observers;
	j->observers = NULL;
	while (obs) { /* each records and wakes (wait.c: parked reads go to the answerer) */
		struct fs_job_obs *o = obs;
		obs = o->next;
		o->next = NULL;
		o->ended(fs, o, j);
	}
	pthread_mutex_unlock(&fs->lock);
	if (table_ref)
		fs_job_put(&table_ref);
	fs_job_put(&j);
}

void fs_job_observe_locked(struct fs_job *j, struct fs_job_obs *o)
{
	o->next = j->observers;
	j->observers = o;
}

void fs_job_unobserve_locked(struct fs_job *j, struct fs_job_obs *o)
{
	struct fs_job_obs **pp = &j->observers;

	while (*pp && *pp != o)
		pp = &(*pp)->next;
	if (*pp)
		*pp = o->next;
	o->next = NULL;
}

/*
 * A job that never reached the pump (its compile failed, or cancel or
 * unmount came first) ends as the pump would end it: its placeholder takes
 * the final state, then fs_job_ended drops the pump's reference.
 */
void fs_job_prep_failed(struct fs_job *j, enum pump_job_state state, const char *why)
{
	snprintf(j->prep_error, sizeof(j->prep_error), "%s", why);
	pump_job_placeholder_end(j->hold, state);
	/* pairs with the acquire in the renders (handle.c): prep_error is written */
	atomic_store_explicit(&j->stage, FS_STAGE_FAILED, memory_order_release);
	fs_job_ended(j);
}

uint64_t fs_jobs_add(struct fs *fs, struct fs_job *j)
{
	uint64_t id;
	struct fs_user *u = j->user;
	struct fs_job *reaped = NULL, *r;

	pthread_mutex_lock(&fs->lock);
	if (fs->njobs >= fs->hash_size)
		fs_hash_grow(fs);
	id = j->id = ++fs->next_id;
	size_t s = fs_hash_slot(fs, j->id);
	j->hnext = fs->hash[s];
	fs->hash[s] = j;
	j->next = NULL;
	j->prev = fs->tail;
	*(fs->tail ? &fs->tail->next : &fs->head) = j;
	fs->tail = j;
	j->unext = NULL;
	j->uprev = u->tail;
	*(u->tail ? &u->tail->unext : &u->head) = j;
	u->tail = j;
	j->in_table = true;
	fs->njobs++;
	fs->jobs_submitted++;
	/* this user's oldest ended job makes room, if they are past the cap;
	 * it may have ended before it was entered: then it goes on the list now */
	if (j->ended) {
		j->fnext = NULL;
		j->fprev = u->fin_tail;
		*(u->fin_tail ? &u->fin_tail->fnext : &u->fin_head) = j;
		u->fin_tail = j;
		u->finished++;
	}
	while (u->finished > fs->opts.jobs_cap) {
		r = u->fin_head;
		fs_job_unlink(fs, r);
		r->hnext = reaped; /* off the hash now: the chain is free to reuse */
		reaped = r;
	}
	pthread_mutex_unlock(&fs->lock);
	while (reaped) {
		r = reaped;
		reaped = r->hnext;
		fs_job_put(&r);
	}
	return id; /* j itself may be reaped by now: its id is what the caller gets */
}

struct fs_job *fs_job_lookup(struct fs *fs, uint64_t id)
{
	struct fs_job *j;

	pthread_mutex_lock(&fs->lock);
	j = fs_hash_find(fs, id);
	if (j)
		fs_job_get(j);
	pthread_mutex_unlock(&fs->lock);
	return j;
}

struct fs_job *fs_job_latest(struct fs *fs, uid_t uid)
{
	struct fs_job *j = NULL;
	struct fs_user *u;

	pthread_mutex_lock(&fs->lock);
	u = fs_user_get(fs, uid, false);
	if (u && u->tail) {
		j = u->tail;
		fs_job_get(j);
	}
	pthread_mutex_unlock(&fs->lock);
	return j;
}

int fs_job_remove(struct fs *fs, uint64_t id)
{
	struct fs_job *j;

	pthread_mutex_lock(&fs->lock);
	j = fs_hash_find(fs, id);
	if (!j) {
		pthread_mutex_unlock(&fs->lock);
		return -ENOENT;
	}
	if (!j->ended && !fs_job_finished(j)) {
		pthread_mutex_unlock(&fs->lock);
		return -EBUSY;
	}
	fs_job_unlink(fs, j);
	pthread_mutex_unlock(&fs->lock);
	fs_job_put(&j);
	return 0;
}

/*
 * jobs/N/ctl's remove (vyrectl grep's cleanup, so `| head` returns without
 * waiting for a cancelled job to drain): an ended job leaves the table now,
 * as rmdir would take it; a running one when fs_job_ended sees the flag,
 * under the same lock, so it can end neither before nor after unnoticed.
 * The caller cancels it.
 */
void fs_job_remove_on_end(struct fs *fs, struct fs_job *j)
{
	struct fs_job *gone = NULL;

	pthread_mutex_lock(&fs->lock);
	if (j->in_table && (j->ended || fs_job_finished(j))) {
		fs_job_unlink(fs, j);
		gone = j;
	} else {
		j->remove_on_end = true;
	}
	pthread_mutex_unlock(&fs->lock);
	if (gone)
		fs_job_put(&gone);
}

/*
 * The ids a caller may list: root sees every job, anyone else their own
 * (like procfs's hidepid). Returns a malloc'd array in id order and its
 * length in *n, or NULL with *n = 0 when there is nothing (or no memory).
 */
uint64_t *fs_job_ids(struct fs *fs, uid_t uid, size_t *n)
{
	uint64_t *ids = NULL;
	struct fs_user *u = NULL;
	size_t cnt = 0, cap;

	*n = 0;
	pthread_mutex_lock(&fs->lock);
	if (uid != 0) {
		u = fs_user_get(fs, uid, false);
		if (!u)
			goto out_unlock;
	}
	cap = fs->njobs;
	ids = cap ? malloc(cap * sizeof(*ids)) : NULL;
	if (!ids)
		goto out_unlock;
	for (struct fs_job *j = u ? u->head : fs->head; j && cnt < cap; j = u ? j->unext : j->next)
		ids[cnt++] = j->id;
	*n = cnt;
out_unlock:
	pthread_mutex_unlock(&fs->lock);
	return ids;
}

/*
 * Shutdown: every many-file job still running is cancelled (its walk
 * stops at its next entry, its files' pump jobs are cancelled), so its
 * walker exits before the pump goes. One-file jobs end with the pump.
 */
void fs_jobs_cancel_walks(struct fs *fs)
{
	struct fs_job **list = NULL;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&fs->lock);
	for (struct fs_job *j = fs->head; j; j = j->next) {
		if (!j->kind->many || !fs_job_started(j) || j->ended)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			struct fs_job **l = realloc(list, cap * sizeof(*l));
			if (!l)
				break;
			list = l;
		}
		fs_job_get(j);
		list[n++] = j;
	}
	pthread_mutex_unlock(&fs->lock);
	for (size_t i = 0; i < n; i++) {
		list[i]->kind->cancel(list[i]);
		fs_job_put(&list[i]);
	}
	free(list);
}
