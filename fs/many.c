// SPDX-License-Identifier: MIT
/*
 * many.c - a job over many files: its files as pump jobs, their results
 * folded into the parent, the parent's end, cancel, and what its files
 * render (many.h says how the pieces fit).
 *
 * Locks: fs->lock (the table) before m->lock before the pump's lock.
 * m->lock is never held while fs->lock is taken: the parent's end drops
 * it first, then calls fs_job_ended.
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

static uint64_t many_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The argument of one file's pump job: which file of which parent. */
struct many_sub {
	struct fs_many *m;
	size_t idx;
};

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
	if (end)
		fs_job_ended(m->j); /* drops the walk's reference on the parent */
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

void many_add_failed(struct fs_many *m, const char *path, int err)
{
	pthread_mutex_lock(&m->lock);
	if (many_fail_locked(m, path, err))
		vlog_err("many: job %llu: no memory to record %s as failed",
			 (unsigned long long)m->j->id, path);
	pthread_mutex_unlock(&m->lock);
}

int many_reserve(struct fs_many *m)
{
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	while (m->inflight >= FS_MANY_INFLIGHT &&
	       !atomic_load_explicit(&m->cancel, memory_order_relaxed))
		pthread_cond_wait(&m->cond, &m->lock);
	if (atomic_load_explicit(&m->cancel, memory_order_relaxed)) {
		ret = -ECANCELED;
	} else if (m->nfiles + m->nfails >= m->files_max) {
		if (!m->error[0])
			snprintf(m->error, sizeof(m->error),
				 "more than %u files: the walk stopped there (narrow path=, or "
				 "mount with -o files_max=N)", m->files_max);
		ret = -E2BIG;
	} else {
		m->inflight++;
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void many_unreserve(struct fs_many *m)
{
	pthread_mutex_lock(&m->lock);
	m->inflight--;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/*
 * A file's pump job has ended (pump thread, or the walker when the end
 * came before pj was stored): its result goes into the parent, unless
 * the file changed under the scan or a read failed: then it is a failed
 * entry and counts nowhere else.
 */
static void many_file_finish(struct fs_many *m, size_t idx)
{
	struct pump_job_info in;
	struct pump_line *lines = NULL;
	uint64_t bins[VYRE_HIST_BINS], result;
	struct pump_job *pj;
	size_t nlines = 0;
	struct stat st;
	int fd, err = 0;

	pthread_mutex_lock(&m->lock);
	pj = m->files[idx].pj;
	fd = m->files[idx].dupfd;
	m->files[idx].pj = NULL;
	m->files[idx].dupfd = -1;
	pthread_mutex_unlock(&m->lock);

	pump_job_info(pj, &in);
	result = in.result;
	if (m->j->op->result == PUMP_RESULT_HIST) {
		pump_job_hist(pj, bins);
		result = 0;
		for (int b = 0; b < VYRE_HIST_BINS; b++)
			result += bins[b];
	}
	if (m->d.lines) {
		nlines = pump_job_lines(pj, NULL, 0);
		lines = nlines ? malloc(nlines * sizeof(*lines)) : NULL;
		if (nlines && !lines)
			err = ENOMEM;
		else
			nlines = pump_job_lines(pj, lines, nlines);
	}
	if (in.chunks_failed) {
		struct pump_chunk_error e;
		err = pump_job_errors(pj, &e, 1) ? e.err : EIO;
	}
	pthread_mutex_lock(&m->lock);
	struct many_file *f = &m->files[idx];
	/* changed or gone under the scan: the result would mix two files */
	if (!err && in.state != PUMP_JOB_CANCELLED && fstat(fd, &st) == 0) {
		if (st.st_nlink == 0)
			err = ENOENT;
		else if ((uint64_t)st.st_size != f->size || st.st_mtim.tv_sec != f->mtime.tv_sec ||
			 st.st_mtim.tv_nsec != f->mtime.tv_nsec || in.bytes_done != f->size)
			err = ESTALE;
	}
	if (in.state == PUMP_JOB_CANCELLED && !err)
		err = ECANCELED;
	m->chunks += in.chunks;
	m->chunks_done += in.chunks_done;
	m->chunks_failed += in.chunks_failed;
	m->bytes += in.bytes_done;
	if (err) {
		f->state = MF_FAILED;
		if (err != ECANCELED)
			many_fail_locked(m, f->path, err);
		free(lines);
	} else {
		f->state = MF_DONE;
		f->result = result;
		f->lines = lines;
		f->nlines = nlines;
		m->total += in.result;
		if (m->j->op->result == PUMP_RESULT_HIST)
			for (int b = 0; b < VYRE_HIST_BINS; b++)
				m->bins[b] += bins[b];
	}
	m->files_done++;
	m->inflight--;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
	if (fd >= 0)
		close(fd);
	pump_job_put(&pj);
	many_maybe_end(m);
}

/* pump_scan.on_end of a file's pump job (pump thread, no pump lock held). */
static void many_file_ended(void *arg)
{
	struct many_sub *sub = arg;
	struct fs_many *m = sub->m;
	size_t idx = sub->idx;
	bool now;

	free(sub);
	pthread_mutex_lock(&m->lock);
	now = m->files[idx].pj != NULL;
	if (!now)
		m->files[idx].end_pending = true; /* the walker finishes it */
	pthread_mutex_unlock(&m->lock);
	if (now)
		many_file_finish(m, idx);
}

void many_add_file(struct fs_many *m, const char *path, int fd, const struct stat *st)
{
	struct many_sub *sub = NULL;
	struct pump_job *pj = NULL;
	char *p = strdup(path);
	size_t idx;
	int ret = -ENOMEM, dupfd = -1;

	pthread_mutex_lock(&m->lock);
	if (p && m->nfiles == m->files_cap) {
		size_t cap = m->files_cap ? 2 * m->files_cap : 64;
		struct many_file *f = realloc(m->files, cap * sizeof(*f));
		if (f) {
			m->files = f;
			m->files_cap = cap;
		}
	}
	if (!p || m->nfiles == m->files_cap) {
		m->inflight--;
		pthread_mutex_unlock(&m->lock);
		free(p);
		close(fd);
		many_add_failed(m, path, ENOMEM);
		return;
	}
	idx = m->nfiles++;
	m->files[idx] = (struct many_file){
		.path = p,
		.dupfd = -1,
		.state = MF_OPENING,
		.size = (uint64_t)st->st_size,
		.mtime = st->st_mtim,
	};
	pthread_mutex_unlock(&m->lock);

	sub = malloc(sizeof(*sub));
	dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (sub && dupfd >= 0) {
		struct pump_scan scan = m->scan;
		*sub = (struct many_sub){m, idx};
		scan.fd = fd;
		scan.on_end_arg = sub;
		ret = pump_submit(m->fs->pump, &scan, &pj);
	}
	pthread_mutex_lock(&m->lock);
	struct many_file *f = &m->files[idx];
	if (ret) {
		f->state = MF_FAILED;
		many_fail_locked(m, path, ret == -ENOMEM || ret == -ESHUTDOWN ? -ret : EIO);
		m->files_done++;
		m->inflight--;
		pthread_cond_signal(&m->cond);
		pthread_mutex_unlock(&m->lock);
		free(sub);
		close(fd);
		if (dupfd >= 0)
			close(dupfd);
		return;
	}
	f->state = MF_RUNNING;
	f->pj = pj;
	f->dupfd = dupfd;
	bool pending = f->end_pending;
	bool cancel = !pending && atomic_load_explicit(&m->cancel, memory_order_relaxed);
	if (cancel)
		pump_job_get(pj); /* cancel came between its submit and here */
	pthread_mutex_unlock(&m->lock);
	if (pending)
		many_file_finish(m, idx);
	if (cancel) {
		pump_job_cancel(pj);
		pump_job_put(&pj);
	}
}

void many_walk_done(struct fs_many *m)
{
	fs_grep_release(&m->grep);
	pthread_mutex_lock(&m->lock);
	m->walking = false;
	pthread_mutex_unlock(&m->lock);
	many_maybe_end(m);
}

/* ---- fs/ side ----------------------------------------------------------- */

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
	m->grep = *grep; /* ours now: scan.dfa points into it */
	m->grep.view.classes = m->grep.dfa.classes; /* an array inside the struct */
	memset(grep, 0, sizeof(*grep));
	m->scan = *scan;
	if (m->grep.ready)
		m->scan.dfa = &m->grep.view;
	m->scan.on_end = many_file_ended;
	m->files_max = fs->opts.files_max;
	m->t_start_ns = many_now_ns();
	m->walking = true;
	atomic_init(&m->cancel, false);
	j->many = m;

	fs_job_get(j); /* the walk's and the files': fs_job_ended drops it */
	fs_job_get(j); /* the walker thread's, dropped when it exits */
	pthread_mutex_lock(&fs->lock);
	fs->walkers++;
	pthread_mutex_unlock(&fs->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = -pthread_create(&t, &attr, walk_main, j);
	pthread_attr_destroy(&attr);
	if (ret) {
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
	}
	for (size_t i = 0; i < m->nfails; i++)
		free(m->fails[i].path);
	free(m->files);
	free(m->fails);
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

/* cancel: the walk stops at its next entry, every file in flight is cancelled. */
int fs_many_cancel(struct fs_job *j)
{
	struct fs_many *m = j->many;
	struct pump_job *pjs[FS_MANY_INFLIGHT];
	size_t n = 0;

	pthread_mutex_lock(&m->lock);
	if (m->ended) {
		pthread_mutex_unlock(&m->lock);
		return -EALREADY;
	}
	atomic_store_explicit(&m->cancel, true, memory_order_relaxed);
	pthread_cond_broadcast(&m->cond);
	for (size_t i = m->nfiles; i-- > 0 && n < FS_MANY_INFLIGHT;) {
		if (m->files[i].state == MF_RUNNING && m->files[i].pj) {
			pump_job_get(m->files[i].pj);
			pjs[n++] = m->files[i].pj;
		}
	}
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; i < n; i++) {
		pump_job_cancel(pjs[i]);
		pump_job_put(&pjs[i]);
	}
	return 0;
}

/* Shutdown: every walk is cancelled; returns once no walker thread is left. */
void fs_many_stop_all(struct fs *fs)
{
	struct fs_job **list = NULL;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&fs->lock);
	for (struct fs_job *j = fs->head; j; j = j->next) {
		if (!j->many || j->ended)
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
		fs_many_cancel(list[i]);
		fs_job_put(&list[i]);
	}
	free(list);
	pthread_mutex_lock(&fs->lock);
	while (fs->walkers)
		pthread_cond_wait(&fs->walkers_cond, &fs->lock);
	pthread_mutex_unlock(&fs->lock);
}

/* ---- rendering ---------------------------------------------------------- */

/* PATH with \\, \n and other control bytes escaped, as in descriptors. */
static int many_put_path(struct fs_buf *b, const char *p)
{
	int ret = 0;

	for (const unsigned char *c = (const unsigned char *)p; *c && !ret; c++) {
		if (*c == '\\')
			ret = fs_buf_printf(b, "\\\\");
		else if (*c == '\n')
			ret = fs_buf_printf(b, "\\n");
		else if (*c < 0x20 || *c == 0x7f)
			ret = fs_buf_printf(b, "\\x%02x", *c);
		else
			ret = fs_buf_printf(b, "%c", *c);
	}
	return ret;
}

static int many_file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct many_file *)a)->path, ((const struct many_file *)b)->path);
}

static int many_fail_cmp(const void *a, const void *b)
{
	return strcmp(((const struct many_fail *)a)->path, ((const struct many_fail *)b)->path);
}

/*
 * m->lock held: the files in path order. Once the job has ended the
 * arrays are sorted in place, once; before, readers sort a copy of what
 * is done (*copy, freed by the caller).
 */
static const struct many_file *many_sorted_files(struct fs_many *m, size_t *n,
						  struct many_file **copy)
{
	*copy = NULL;
	if (m->ended) {
		if (!m->sorted) {
			qsort(m->files, m->nfiles, sizeof(*m->files), many_file_cmp);
			qsort(m->fails, m->nfails, sizeof(*m->fails), many_fail_cmp);
			m->sorted = true;
		}
		*n = m->nfiles;
		return m->files;
	}
	*copy = malloc((m->nfiles ? m->nfiles : 1) * sizeof(**copy));
	if (!*copy) {
		*n = 0;
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].state == MF_DONE)
			(*copy)[k++] = m->files[i];
	qsort(*copy, k, sizeof(**copy), many_file_cmp);
	*n = k;
	return *copy;
}

int render_many_files(struct fs_job *j, struct fs_buf *b)
{
	struct fs_many *m = j->many;
	struct many_file *copy;
	const struct many_file *f;
	size_t n;
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	f = many_sorted_files(m, &n, &copy);
	for (size_t i = 0; i < n && !ret; i++) {
		if (f[i].state != MF_DONE)
			continue;
		ret = fs_buf_printf(b, "%llu ", (unsigned long long)f[i].result);
		if (!ret)
			ret = many_put_path(b, f[i].path);
		if (!ret)
			ret = fs_buf_printf(b, "\n");
	}
	pthread_mutex_unlock(&m->lock);
	free(copy);
	return f || !n ? ret : -ENOMEM;
}

int render_many_lines(struct fs_job *j, struct fs_buf *b)
{
	struct fs_many *m = j->many;
	struct many_file *copy;
	const struct many_file *f;
	size_t n;
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	f = many_sorted_files(m, &n, &copy);
	for (size_t i = 0; i < n && !ret; i++) {
		if (f[i].state != MF_DONE)
			continue;
		for (size_t l = 0; l < f[i].nlines && !ret; l++) {
			ret = many_put_path(b, f[i].path);
			if (!ret)
				ret = fs_buf_printf(b, ":%llu:%llu\n",
						    (unsigned long long)f[i].lines[l].line,
						    (unsigned long long)f[i].lines[l].offset);
		}
	}
	pthread_mutex_unlock(&m->lock);
	free(copy);
	return ret;
}

int render_many_failed(struct fs_job *j, struct fs_buf *b)
{
	struct fs_many *m = j->many;
	struct many_fail *copy = NULL;
	const struct many_fail *f;
	size_t n;
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	n = m->nfails;
	if (m->ended) {
		if (!m->sorted) {
			qsort(m->files, m->nfiles, sizeof(*m->files), many_file_cmp);
			qsort(m->fails, m->nfails, sizeof(*m->fails), many_fail_cmp);
			m->sorted = true;
		}
		f = m->fails;
	} else {
		copy = malloc((n ? n : 1) * sizeof(*copy));
		if (!copy) {
			pthread_mutex_unlock(&m->lock);
			return -ENOMEM;
		}
		memcpy(copy, m->fails, n * sizeof(*copy));
		qsort(copy, n, sizeof(*copy), many_fail_cmp);
		f = copy;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		const char *name = strerrorname_np(f[i].err);
		ret = many_put_path(b, f[i].path);
		if (!ret)
			ret = fs_buf_printf(b, " %s\n", name ? name : "EIO");
	}
	pthread_mutex_unlock(&m->lock);
	free(copy);
	return ret;
}

int render_many_result(struct fs_job *j, struct fs_buf *b)
{
	struct fs_many *m = j->many;
	uint64_t bins[VYRE_HIST_BINS], total;
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	memcpy(bins, m->bins, sizeof(bins));
	total = m->total;
	pthread_mutex_unlock(&m->lock);
	if (j->op->result == PUMP_RESULT_HIST) {
		for (int i = 0; i < VYRE_HIST_BINS && !ret; i++)
			ret = fs_buf_printf(b, "0x%02x %llu\n", i, (unsigned long long)bins[i]);
		return ret;
	}
	return fs_buf_printf(b, "%llu\n", (unsigned long long)total);
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
	in->bytes_done = m->bytes;
	in->length = m->bytes;
	in->result = m->total;
	in->elapsed_us = ((m->ended ? m->t_end_ns : many_now_ns()) - m->t_start_ns) / 1000;
	c->files = m->nfiles;
	c->files_done = m->files_done;
	c->files_failed = m->nfails;
	c->walking = m->walking;
	snprintf(c->error, sizeof(c->error), "%s", m->error);
	pthread_mutex_unlock(&m->lock);
}
