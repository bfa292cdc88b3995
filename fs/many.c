// SPDX-License-Identifier: MIT
/*
 * many.c - a job over many files: its files as pump jobs, their results
 * folded into the parent, the parent's end, cancel and shutdown (its files
 * render in many_render.c; many.h says how the pieces fit).
 *
 * Locks: fs->lock (the table) before m->lock before the pump's lock.
 * m->lock is never held while fs->lock is taken: the parent's end drops
 * it first, then calls its on_end (fs_job_ended).
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

uint64_t many_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* m->lock dropped: ends the parent if the walk is over and nothing flies. */
static void many_maybe_end(struct fs_many *m)
{
	bool end;

	pthread_mutex_lock(&m->lock);
	end = !m->walking && !m->inflight && !m->ended;
	if (end) {
		m->ended = true;
		m->t_end_ns = many_now_ns();
	}
	pthread_mutex_unlock(&m->lock);
	if (end) /* fs_job_ended (start.c's scan): drops the walk's reference on the parent */
		m->on_end(m->on_end_arg);
}

/* A limit the walk hit: the job ends failed with this error (the first one stays). */
void many_walk_error(struct fs_many *m, const char *msg)
{
	pthread_mutex_lock(&m->lock);
	if (!m->error[0])
		snprintf(m->error, sizeof(m->error), "%s", msg);
	pthread_mutex_unlock(&m->lock);
}

/* files_max reached by files and failed entries: the job's error says so (lock) */
static bool many_full_locked(struct fs_many *m)
{
	if (m->nfiles + m->nfails + m->pending < m->files_max)
		return false;
	if (!m->error[0])
		snprintf(m->error, sizeof(m->error),
			 "more than %u files: the walk stopped there (narrow path=, or mount "
			 "with -o files_max=N)", m->files_max);
	return true;
}

static int many_fail_locked(struct fs_many *m, const char *path, int err)
{
	if (m->nfails == m->fails_cap) {
		size_t cap = m->fails_cap ? 2 * m->fails_cap : 16;
		struct many_fail *f = realloc(m->fails, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		m->fails = f;
		m->fails_cap = cap;
	}
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	m->fails[m->nfails++] = (struct many_fail){p, err};
	return 0;
}

/*
 * A failed entry of the walk counts against files_max as a file does (a
 * files= list of 5,000,000 missing paths was 5,000,000 records): past it,
 * -E2BIG, nothing recorded, and the walk stops with the job's error set.
 */
int many_add_failed(struct fs_many *m, const char *path, int err)
{
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	if (many_full_locked(m)) {
		ret = -E2BIG;
	} else if (many_fail_locked(m, path, err)) {
		vlog_err("many: job %llu: no memory to record %s as failed",
			 (unsigned long long)m->j->id, path);
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

/* Blocks for a place (many_place.c says whose). */
int many_reserve(struct fs_many *m, struct many_packer *pk)
{
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	while (many_place_busy(m) && !atomic_load_explicit(&m->cancel, memory_order_relaxed)) {
		if (pk->pack) { /* the places may all be in the pack being filled */
			pthread_mutex_unlock(&m->lock);
			many_pack_flush(m, pk);
			pthread_mutex_lock(&m->lock);
			continue;
		}
		many_place_wait(m);
	}
	many_place_waiting(m, false);
	if (atomic_load_explicit(&m->cancel, memory_order_relaxed)) {
		ret = -ECANCELED;
	} else if (many_full_locked(m)) {
		ret = -E2BIG;
	} else {
		many_place_take(m);
		m->pending++;
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void many_unreserve(struct fs_many *m)
{
	pthread_mutex_lock(&m->lock);
	m->pending--;
	many_place_give(m, 1);
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/* What happened to one file of an ended flight, worked out before m->lock. */
struct many_outcome {
	int err; /* positive errno; ECANCELED: silently not scanned */
	uint64_t result;
	struct pump_line *lines;
	size_t nlines;
	uint64_t *pcounts; /* per_pattern=1 */
	size_t npc;
};

/*
 * Changed or gone under the scan: the result would mix two versions. The
 * bytes a file's scan must have read are those of offset= and length= in
 * it; with max= a grep stops early, so only fewer than those may be read.
 * e->end is what fstat said of the pump's fd as the job ended.
 */
static int many_changed(const struct fs_many *m, const struct many_entry *e, uint64_t bytes)
{
	const struct stat *st = &e->end;
	uint64_t want = 0;

	if (!e->end_ok)
		return 0;
	if (st->st_nlink == 0)
		return ENOENT;
	if (m->d.offset < e->size)
		want = e->size - m->d.offset < m->d.length ? e->size - m->d.offset : m->d.length;
	if ((uint64_t)st->st_size != e->size || st->st_mtim.tv_sec != e->mtime.tv_sec ||
	    st->st_mtim.tv_nsec != e->mtime.tv_nsec || bytes > want ||
	    (bytes < want && !m->grep_max))
		return ESTALE;
	return 0;
}

/* A packed file's line records (pump_job_file_lines) into o: 0 or ENOMEM. */
static int many_file_lines(struct pump_job *pj, size_t k, struct many_outcome *o)
{
	size_t nl = pump_job_file_lines(pj, k, NULL, 0);

	if (!nl)
		return 0;
	o->lines = malloc(nl * sizeof(*o->lines));
	if (!o->lines)
		return ENOMEM;
	o->nlines = min_size(nl, pump_job_file_lines(pj, k, o->lines, nl));
	return 0;
}

/* A packed file's per-pattern counts (pump_job_file_patterns) into o: 0 or ENOMEM. */
static int many_file_pcounts(struct pump_job *pj, size_t k, struct many_outcome *o)
{
	size_t np = pump_job_file_patterns(pj, k, NULL, 0);

	o->pcounts = calloc(np ? np : 1, sizeof(*o->pcounts));
	if (!o->pcounts)
		return ENOMEM;
	o->npc = min_size(np, pump_job_file_patterns(pj, k, o->pcounts, np));
	return 0;
}

/*
 * m->lock held: a done file's per-pattern counts into the job's. Every
 * file has the same patterns; a total that cannot be made stays short
 * (NULL), and jobs/N/patterns shows what it has.
 */
static void many_pcount_add_locked(struct fs_many *m, const struct many_file *f)
{
	if (!f->pcounts)
		return;
	if (!m->pcounts) {
		m->pcounts = calloc(f->npc ? f->npc : 1, sizeof(*m->pcounts));
		m->npc = m->pcounts ? f->npc : 0;
	}
	for (size_t i = 0; i < f->npc && i < m->npc; i++)
		m->pcounts[i] += f->pcounts[i];
}

/*
 * A flight's pump job has ended (pump thread, or the walker when the end
 * came before pj was stored): each file's result goes into the parent,
 * unless the file changed under the scan or its read failed: then it is a
 * failed entry and counts nowhere else.
 */
static void many_flight_finish(struct many_flight *fl)
{
	struct fs_many *m = fl->m;
	struct pump_job *pj = fl->pj;
	struct pump_job_info in;
	struct many_outcome *o = calloc(fl->n, sizeof(*o));
	uint64_t bins[VYRE_HIST_BINS];
	bool hist = m->j->op->result == PUMP_RESULT_HIST;

	pump_job_info(pj, &in);
	if (fl->packed) {
		struct pump_file_result *r = calloc(fl->n, sizeof(*r));
		size_t n = r ? pump_job_files(pj, r, fl->n) : 0;
		for (uint32_t k = 0; o && k < fl->n; k++) {
			o[k].err = !r || k >= n ? ENOMEM : r[k].err;
			o[k].result = r ? r[k].result : 0;
			if (!o[k].err && m->grep_pset)
				o[k].err = many_file_pcounts(pj, k, &o[k]);
			if (!o[k].err && m->grep_lines && o[k].result)
				o[k].err = many_file_lines(pj, k, &o[k]);
			if (!o[k].err) { /* the pump's statx of the fd as the job ended */
				struct many_entry *e = &fl->e[k];
				e->end_ok = r[k].end_ok;
				e->end = (struct stat){
					.st_nlink = r[k].end_nlink,
					.st_size = (off_t)r[k].end_size,
					.st_mtim = {.tv_sec = (time_t)r[k].end_mtime_sec,
						    .tv_nsec = (long)r[k].end_mtime_nsec}};
				o[k].err = many_changed(m, e, r[k].bytes);
			}
		}
		free(r);
	} else if (o) {
		o->result = in.result;
		if (hist) {
			pump_job_hist(pj, bins);
			o->result = 0;
			for (int b = 0; b < VYRE_HIST_BINS; b++)
				o->result += bins[b];
		}
		if (m->grep_lines) {
			size_t nl = pump_job_lines(pj, NULL, 0);
			o->lines = nl ? malloc(nl * sizeof(*o->lines)) : NULL;
			if (nl && !o->lines)
				o->err = ENOMEM;
			else
				o->nlines = min_size(nl, pump_job_lines(pj, o->lines, nl));
		}
		if (m->grep_pset) { /* one file a pump job: its counts are the file's */
			size_t np = pump_job_patterns(pj, NULL, 0);
			o->pcounts = calloc(np ? np : 1, sizeof(*o->pcounts));
			if (!o->pcounts)
				o->err = ENOMEM;
			else
				o->npc = min_size(np, pump_job_patterns(pj, o->pcounts, np));
		}
		if (in.chunks_failed) {
			struct pump_chunk_error e;
			o->err = pump_job_errors(pj, &e, 1) ? e.err : EIO;
		}
		if (!o->err && in.state == PUMP_JOB_CANCELLED)
			o->err = ECANCELED;
		if (!o->err)
			o->err = many_changed(m, &fl->e[0], in.bytes_done);
	}

	pthread_mutex_lock(&m->lock);
	m->chunks += in.chunks;
	m->chunks_done += in.chunks_done;
	m->chunks_failed += in.chunks_failed;
	m->cached_bytes += in.cached_bytes;
	m->reruns += in.reruns;
	for (uint32_t k = 0; k < fl->n; k++) {
		struct many_file *f = &m->files[fl->e[k].idx];
		int err = o ? o[k].err : ENOMEM;
		if (err) {
			f->state = MF_FAILED;
			if (err != ECANCELED)
				many_fail_locked(m, f->path, err);
			if (o) {
				free(o[k].lines);
				free(o[k].pcounts);
			}
			continue;
		}
		f->state = MF_DONE;
		f->result = o[k].result;
		f->lines = o[k].lines;
		f->nlines = o[k].nlines;
		f->pcounts = o[k].pcounts;
		f->npc = o[k].npc;
		many_pcount_add_locked(m, f);
		m->bytes += fl->e[k].size;
		m->total += hist ? 0 : o[k].result;
	}
	if (hist && o && !o->err)
		for (int b = 0; b < VYRE_HIST_BINS; b++)
			m->bins[b] += bins[b];
	m->files_done += fl->n;
	many_place_give(m, fl->n);
	*(fl->prev ? &fl->prev->next : &m->flights) = fl->next;
	if (fl->next)
		fl->next->prev = fl->prev;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
	free(o);
	pump_job_put(&pj);
	free(fl);
	many_maybe_end(m);
}

/*
 * pump_scan.on_end of a flight's pump job (pump thread, no pump lock
 * held). The pump closes the files' fds only after this returns
 * (pump.h), so a one-file flight's fd is fstat'ed here, on the fd that
 * was read, to see a change under the scan: no dup of each fd to keep (an
 * F_DUPFD and a close a file, ~3 us of ~30 on the 2-core VM: BENCHMARKS.md
 * "The walk"). A packed flight's files the pump itself statx'ed on their
 * fds as the job ended, off its thread (pump_file_result.end_*).
 */
void many_flight_ended(void *arg)
{
	struct many_flight *fl = arg;
	struct fs_many *m = fl->m;
	bool now;

	if (!fl->packed)
		fl->e[0].end_ok = fstat(fl->e[0].fd, &fl->e[0].end) == 0;

	pthread_mutex_lock(&m->lock);
	now = fl->pj != NULL;
	if (!now)
		fl->end_pending = true; /* the walker finishes it */
	pthread_mutex_unlock(&m->lock);
	if (now)
		many_flight_finish(fl);
}

/* A flight that never became a pump job: its files fail with err, their fds close. */
static void many_flight_fail(struct fs_many *m, struct many_flight *fl, const int *fds, int err)
{
	pthread_mutex_lock(&m->lock);
	for (uint32_t k = 0; k < fl->n; k++) {
		struct many_file *f = &m->files[fl->e[k].idx];
		f->state = MF_FAILED;
		many_fail_locked(m, f->path, err);
	}
	m->files_done += fl->n;
	many_place_give(m, fl->n);
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
	for (uint32_t k = 0; k < fl->n; k++)
		close(fds[k]);
	free(fl);
}

/* Submits the flight's pump job; on failure its files are failed entries. */
static void many_flight_submit(struct fs_many *m, struct many_flight *fl, int fd,
			       const struct pump_file *files)
{
	struct pump_scan scan = m->scan;
	struct pump_job *pj = NULL;
	int fds[FS_MANY_PACK_FILES];
	int ret;

	if (files) {
		for (uint32_t k = 0; k < fl->n; k++)
			fds[k] = files[k].fd;
		scan.fd = -1;
		scan.files = files;
		scan.nfiles = fl->n;
		scan.direct = 0;
	} else {
		fds[0] = fd;
		scan.fd = fd;
	}
	scan.on_end_arg = fl;
	/* on m->flights first: a cancel from now on reaches it */
	pthread_mutex_lock(&m->lock);
	fl->next = m->flights;
	if (fl->next)
		fl->next->prev = fl;
	m->flights = fl;
	pthread_mutex_unlock(&m->lock);
	ret = pump_units_submit(m->fs->units, &scan, &pj);
	pthread_mutex_lock(&m->lock);
	if (ret) {
		*(fl->prev ? &fl->prev->next : &m->flights) = fl->next;
		if (fl->next)
			fl->next->prev = fl->prev;
		pthread_mutex_unlock(&m->lock);
		/* ETIMEDOUT: the unit's GPU was given up on (pump_dead) */
		bool keep = ret == -ENOMEM || ret == -ESHUTDOWN || ret == -ETIMEDOUT;
		many_flight_fail(m, fl, fds, keep ? -ret : EIO);
		return;
	}
	fl->pj = pj;
	bool pending = fl->end_pending;
	bool cancel = !pending && atomic_load_explicit(&m->cancel, memory_order_relaxed);
	if (cancel)
		pump_job_get(pj); /* cancel came between its submit and here */
	pthread_mutex_unlock(&m->lock);
	if (pending)
		many_flight_finish(fl);
	if (cancel) {
		pump_job_cancel(pj);
		pump_job_put(&pj);
	}
}

void many_pack_flush(struct fs_many *m, struct many_packer *pk)
{
	struct many_flight *fl = pk->pack;

	if (!fl)
		return;
	pk->pack = NULL;
	if (pk->cap && (pk->cap *= 2) >= FS_MANY_PACK_FILES)
		pk->cap = 0;
	many_flight_submit(m, fl, -1, pk->files);
}

void many_add_file(struct fs_many *m, struct many_packer *pk, struct many_dir *dir,
		   const char *path, int fd, const struct stat *st)
{
	bool pack = m->pack_ok && (uint64_t)st->st_size <= m->pack_file_max;
	struct many_flight *fl;
	char *p = strdup(path);
	size_t idx;

	if (pack && pk->cap == 1) { /* order=walk's first: alone (FS_MANY_PACK_FIRST) */
		pack = false;
		pk->cap = 2;
	}

	if (pack && !pk->pack) {
		pk->pack = calloc(1, sizeof(*fl) + FS_MANY_PACK_FILES * sizeof(fl->e[0]));
		if (pk->pack) {
			pk->pack->m = m;
			pk->pack->packed = true;
			pk->pack->t_open_ns = many_now_ns();
		}
	}
	fl = pack ? pk->pack : calloc(1, sizeof(*fl) + sizeof(fl->e[0]));
	pthread_mutex_lock(&m->lock);
	m->pending--; /* a file now, or a failed entry below */
	if (p && fl && m->nfiles == m->files_cap) {
		size_t cap = m->files_cap ? 2 * m->files_cap : 64;
		struct many_file *f = realloc(m->files, cap * sizeof(*f));
		if (f) {
			m->files = f;
			m->files_cap = cap;
		}
	}
	/* its place in the walk's order first: a file in files[] is in it */
	if (!p || !fl || m->nfiles == m->files_cap ||
	    many_order_add_locked(m, dir, m->nfiles)) {
		many_place_give(m, 1);
		pthread_cond_signal(&m->cond);
		pthread_mutex_unlock(&m->lock);
		free(p);
		if (!pack)
			free(fl);
		close(fd);
		many_add_failed(m, path, ENOMEM);
		return;
	}
	idx = m->nfiles++;
	m->files[idx] = (struct many_file){.path = p, .state = MF_RUNNING};
	pthread_mutex_unlock(&m->lock);

	fl->m = m;
	fl->e[fl->n] = (struct many_entry){
		.idx = idx, .fd = fd, .size = (uint64_t)st->st_size, .mtime = st->st_mtim};
	if (!pack) {
		fl->n = 1;
		many_flight_submit(m, fl, fd, NULL);
		return;
	}
	pk->files[fl->n] = (struct pump_file){.fd = fd, .size = (uint32_t)st->st_size};
	fl->n++;
	if (fl->n == (pk->cap ? pk->cap : FS_MANY_PACK_FILES) ||
	    many_now_ns() - fl->t_open_ns > FS_MANY_PACK_AGE_NS)
		many_pack_flush(m, pk);
}

void many_walk_done(struct fs_many *m)
{
	many_pack_flush(m, &m->pk);
	fs_grep_release(&m->grep);
	pthread_mutex_lock(&m->lock);
	m->walking = false;
	m->t_walked_ns = many_now_ns();
	pthread_mutex_unlock(&m->lock);
	many_place_walk(m, false);
	many_maybe_end(m);
}
