// SPDX-License-Identifier: MIT
/*
 * many_job.c - the many-file job kind's fs/ side: its start (the walk's
 * state, the scan template, packing), free, end test, cancel, counts for
 * status, and the kind table; many.c runs its files and folds them.
 * Locks as many.c says.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "many.h"

int fs_many_start(struct fs *fs, struct fs_job *j, struct fs_caller *ctx, const struct desc *d,
		  struct fs_grep *grep, const struct pump_scan *scan, int rootfd, int startfd,
		  const struct stat *startst, int listfd)
{
	struct fs_many *m = calloc(1, sizeof(*m));
	pthread_attr_t attr;
	pthread_t t;
	int ret;

	if (!m) { /* the fds were to be ours: close them as many_free would */
		if (rootfd >= 0)
			close(rootfd);
		if (startfd >= 0)
			close(startfd);
		if (listfd >= 0)
			close(listfd);
		return -ENOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	m->j = j;
	m->fs = fs;
	m->caller = *ctx;
	m->caller.req = NULL;
	m->rootfd = rootfd;
	m->startfd = startfd;
	if (startst)
		m->startst = *startst;
	m->listfd = listfd;
	m->d = *d;
	m->grep = *grep; /* ours now: scan.args.grep points into it */
	fs_grep_views(&m->grep); /* classes are arrays inside the struct */
	memset(grep, 0, sizeof(*grep));
	m->scan = *scan;
	/* scan.args point into the submitter's stack copy of d and its grep: ours live on */
	fs_scan_args(&m->d, &m->grep, &m->scan);
	m->on_end = scan->on_end; /* the parent's end */
	m->on_end_arg = scan->on_end_arg;
	m->scan.on_end = many_flight_ended;
	/* its files, one flow: one job's turns, taken in walk order (pump/admit.c);
	 * m outlives its pump jobs (the job's id comes after the start: submit.c) */
	m->scan.flow = (uint64_t)(uintptr_t)m;
	/* small files share slots when the op gives each file its own result
	 * (grep: its count, per_pattern=1's counts: pump_job_file_patterns, and
	 * lines=1's records: pump_job_file_lines, both kinds in a packed
	 * file's share of the slot's records). With order=walk a pack's files
	 * end together, after its last file's rerun (a file whose records
	 * passed its share):
	 * FS_MANY_PACK_FIRST keeps the first packs small, and a rerun goes
	 * where its pack went in the flow (pump_scan.rerun_of). */
	if (d->op->args & PUMP_OP_ARG_GREP) {
		m->grep_max = m->scan.args.grep.max;
		m->grep_lines = m->scan.args.grep.flags & PUMP_GREP_LINES;
		m->grep_pset = m->scan.args.grep.flags & PUMP_GREP_PSET;
	}
	m->pack_ok = pump_op_packs(d->op) && !m->grep.shift &&
		     !d->offset && d->length == UINT64_MAX && d->direct != 1 &&
		     !getenv("VYRE_NO_PACK");
	m->pack_file_max = pump_pack_file_max(d->chunk ? d->chunk : fs->chunk);
	m->pk.cap = d->walk_order ? FS_MANY_PACK_FIRST : 0; /* one walker: walk.c */
	m->files_max = fs->opts.files_max;
	m->t_start_ns = many_now_ns();
	m->walking = true;
	m->walkers = 1; /* the first; walk.c counts its helpers */
	atomic_init(&m->cancel, false);
	j->many = m;
	ret = many_order_init(m); /* order=walk's root: the operands */
	if (ret)
		return ret; /* the caller frees j, and with it m and its fds */

	fs_job_get(j); /* the walk's and the files': fs_job_ended drops it */
	fs_job_get(j); /* the walker thread's, dropped when it exits */
	pthread_mutex_lock(&fs->lock);
	fs->walkers++;
	pthread_mutex_unlock(&fs->lock);
	many_place_walk(m, true); /* many_walk_done ends it */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = -pthread_create(&t, &attr, walk_main, j);
	pthread_attr_destroy(&attr);
	if (ret) {
		many_place_walk(m, false);
		pthread_mutex_lock(&fs->lock);
		fs->walkers--;
		pthread_mutex_unlock(&fs->lock);
		atomic_fetch_sub_explicit(&j->refs, 2, memory_order_relaxed);
		/* the caller frees j, and with it m and the fds it now owns */
		return ret;
	}
	return 0;
}

void fs_many_free(struct fs_many **mp)
{
	struct fs_many *m = *mp;

	if (!m)
		return;
	*mp = NULL;
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].path);
		free(m->files[i].lines);
		free(m->files[i].pcounts);
	}
	free(m->pcounts);
	free(m->pk.pack); /* never submitted (the walker could not start) */
	for (size_t i = 0; i < m->nfails; i++)
		free(m->fails[i].path);
	free(m->files);
	free(m->fails);
	many_order_free(m);
	fs_grep_release(&m->grep);
	if (m->rootfd >= 0)
		close(m->rootfd);
	if (m->startfd >= 0)
		close(m->startfd);
	if (m->listfd >= 0)
		close(m->listfd);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

bool fs_many_ended(struct fs_job *j)
{
	struct fs_many *m = j->many;
	bool ended;

	pthread_mutex_lock(&m->lock);
	ended = m->ended;
	pthread_mutex_unlock(&m->lock);
	return ended;
}

/* cancel: the walk stops at its next entry, every flight is cancelled. */
int fs_many_cancel(struct fs_job *j)
{
	struct fs_many *m = j->many;
	struct pump_job **pjs = NULL;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&m->lock);
	if (m->ended) {
		pthread_mutex_unlock(&m->lock);
		return -EALREADY;
	}
	atomic_store_explicit(&m->cancel, true, memory_order_relaxed);
	pthread_cond_broadcast(&m->cond);
	for (struct many_flight *fl = m->flights; fl; fl = fl->next)
		cap++;
	pjs = cap ? calloc(cap, sizeof(*pjs)) : NULL;
	for (struct many_flight *fl = m->flights; fl && pjs; fl = fl->next) {
		if (fl->pj) {
			pump_job_get(fl->pj);
			pjs[n++] = fl->pj;
		}
	}
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; i < n; i++) {
		pump_job_cancel(pjs[i]);
		pump_job_put(&pjs[i]);
	}
	free(pjs);
	return 0;
}

/* Shutdown, once every walk is cancelled (jobs.c): returns once no walker thread is left. */
void fs_many_wait_walkers(struct fs *fs)
{
	pthread_mutex_lock(&fs->lock);
	while (fs->walkers)
		pthread_cond_wait(&fs->walkers_cond, &fs->lock);
	pthread_mutex_unlock(&fs->lock);
}

/* What status shows of a many-file job: its own numbers in pump_job_info's shape. */
void fs_many_info(struct fs_job *j, struct pump_job_info *in, struct fs_many_counts *c)
{
	struct fs_many *m = j->many;

	memset(in, 0, sizeof(*in));
	pthread_mutex_lock(&m->lock);
	if (!m->ended)
		in->state = PUMP_JOB_RUNNING;
	else if (atomic_load_explicit(&m->cancel, memory_order_relaxed) && !m->error[0])
		in->state = PUMP_JOB_CANCELLED;
	else
		in->state = m->error[0] ? PUMP_JOB_FAILED : PUMP_JOB_DONE;
	in->priority = m->scan.priority == PUMP_PRIO_DEFAULT ? PUMP_PRIO_NORMAL : m->scan.priority;
	in->chunk = m->scan.chunk ? m->scan.chunk : m->fs->chunk;
	in->chunks = m->chunks;
	in->chunks_done = m->chunks_done;
	in->chunks_failed = m->chunks_failed;
	in->reruns = m->reruns;
	in->bytes_done = m->bytes;
	in->cached_bytes = m->cached_bytes;
	in->length = m->bytes;
	in->result = m->total;
	in->elapsed_us = ((m->ended ? m->t_end_ns : many_now_ns()) - m->t_start_ns) / 1000;
	c->files = m->nfiles;
	c->files_done = m->files_done;
	c->files_failed = m->nfails;
	c->walking = m->walking;
	c->walkers = m->walkers;
	c->walk_us = ((m->walking ? many_now_ns() : m->t_walked_ns) - m->t_start_ns) / 1000;
	snprintf(c->error, sizeof(c->error), "%s", m->error);
	pthread_mutex_unlock(&m->lock);
}

/* start.c's scan goes to a walker thread, which owns the fds from here on */
static int many_kind_start(struct fs *fs, struct fs_job *j, struct fs_caller *ctx,
			   const struct desc *d, struct fs_grep *grep, const struct pump_scan *scan,
			   int fd, int rootfd, int listfd, const struct stat *st, char *err,
			   size_t errlen)
{
	/* the walker owns the fds now (through j->many), and the reservation */
	int ret = fs_many_start(fs, j, ctx, d, grep, scan, rootfd, fd, st, listfd);

	if (ret)
		snprintf(err, errlen, "the walk could not start: %s", strerror(-ret));
	return ret;
}

/* A cancelled many-file job has no result: its read fails ECANCELED. */
static int many_kind_result(struct fs_job *j, struct fs_buf *b)
{
	struct pump_job_info in;
	struct fs_many_counts c;

	fs_many_info(j, &in, &c);
	if (in.state == PUMP_JOB_CANCELLED)
		return -ECANCELED;
	return render_many_result(j, b);
}

static void many_kind_free(struct fs_job *j)
{
	fs_many_free(&j->many);
}

const struct fs_job_kind fs_job_many = {
	.name = "many",
	.many = true,
	.start = many_kind_start,
	.ended = fs_many_ended,
	.cancel = fs_many_cancel,
	.info = fs_many_info,
	.result = many_kind_result,
	.failed = render_many_failed,
	.lines = render_many_lines,
	.files = render_many_files,
	.patterns = render_many_patterns,
	.certain = render_many_certain,
	.stream = render_many_stream,
	.free = many_kind_free,
};
