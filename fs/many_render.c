// SPDX-License-Identifier: MIT
/*
 * many_render.c - what a many-file job's files show: jobs/N/files,
 * lines, failed and result, paths escaped as descriptors escape them and
 * sorted by path (many.h has the job's state).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "many.h"

static int many_file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct many_file *)a)->path, ((const struct many_file *)b)->path);
}

static int many_fail_cmp(const void *a, const void *b)
{
	return strcmp(((const struct many_fail *)a)->path, ((const struct many_fail *)b)->path);
}

/*
 * m->lock held, the job ended: files and fails in path order, once (qsort
 * takes no NULL). order=walk: files in the walk's order (many_order.c).
 */
static void many_sort_locked(struct fs_many *m)
{
	if (m->d.walk_order)
		many_order_apply_locked(m);
	else if (m->nfiles)
		qsort(m->files, m->nfiles, sizeof(*m->files), many_file_cmp);
	if (m->nfails)
		qsort(m->fails, m->nfails, sizeof(*m->fails), many_fail_cmp);
	m->sorted = true;
}

/*
 * m->lock held: the files in the job's order. Once the job has ended the
 * arrays are sorted in place, once; before, readers sort a copy of what
 * is done (*copy, freed by the caller). order=walk: the walk's order, of
 * the files whose place in it is known (render_many_certain).
 */
static const struct many_file *many_sorted_files(struct fs_many *m, size_t *n,
						  struct many_file **copy)
{
	*copy = NULL;
	if (m->ended) {
		if (!m->sorted)
			many_sort_locked(m);
		*n = m->nfiles;
		return m->files;
	}
	*copy = malloc((m->nfiles ? m->nfiles : 1) * sizeof(**copy));
	if (!*copy) {
		*n = 0;
		return NULL;
	}
	size_t k = 0;
	if (m->d.walk_order) { /* what is certain: the walk's order is known that far */
		size_t settled = many_order_settle_locked(m);
		for (size_t i = 0; i < settled; i++)
			if (m->files[m->order[i]].state == MF_DONE)
				(*copy)[k++] = m->files[m->order[i]];
		*n = k;
		return *copy;
	}
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].state == MF_DONE)
			(*copy)[k++] = m->files[i];
	if (k)
		qsort(*copy, k, sizeof(**copy), many_file_cmp);
	*n = k;
	return *copy;
}

/*
 * Each file that shows (MF_DONE), in the job's order, through one, under
 * m->lock. (many_sorted_files gives n 0 where it could not copy.)
 */
static int many_render_each(struct fs_job *j, struct fs_buf *b,
			    int (*one)(struct fs_buf *b, const struct many_file *f))
{
	struct fs_many *m = j->many;
	struct many_file *copy;
	const struct many_file *f;
	size_t n;
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	f = many_sorted_files(m, &n, &copy);
	for (size_t i = 0; i < n && !ret; i++)
		if (f[i].state == MF_DONE)
			ret = one(b, &f[i]);
	pthread_mutex_unlock(&m->lock);
	free(copy);
	return ret;
}

/*
 * files: "RESULT PATH"; per_pattern=1: "RESULT PATTERNS PATH", PATTERNS
 * the file's "INDEX:COUNT" of each pattern it has lines of (INDEX from 0,
 * ascending, ',' between), or "-" for none: one line a file, the path
 * last as ever.
 */
static int many_file_line(struct fs_buf *b, const struct many_file *f)
{
	int ret = fs_buf_printf(b, "%llu ", (unsigned long long)f->result);
	bool any = false;

	for (size_t i = 0; f->pcounts && i < f->npc && !ret; i++)
		if (f->pcounts[i]) {
			ret = fs_buf_printf(b, "%s%zu:%llu", any ? "," : "", i,
					    (unsigned long long)f->pcounts[i]);
			any = true;
		}
	if (!ret && f->pcounts)
		ret = fs_buf_printf(b, any ? " " : "- ");
	if (!ret)
		ret = fs_buf_put_path(b, f->path);
	if (!ret)
		ret = fs_buf_printf(b, "\n");
	return ret;
}

/* lines: "PATH:LINE:OFFSET" a selected line, per_pattern=1 ":INDEX" its first pattern's */
static int many_line_put(struct fs_buf *b, const struct many_file *f, const struct pump_line *l)
{
	int ret = fs_buf_put_path(b, f->path);

	if (!ret && l->pattern != UINT32_MAX)
		return fs_buf_printf(b, ":%llu:%llu:%u\n", (unsigned long long)l->line,
				     (unsigned long long)l->offset, l->pattern);
	return ret ? ret
		   : fs_buf_printf(b, ":%llu:%llu\n", (unsigned long long)l->line,
				   (unsigned long long)l->offset);
}

static int many_file_lines(struct fs_buf *b, const struct many_file *f)
{
	int ret = 0;

	for (size_t l = 0; l < f->nlines && !ret; l++)
		ret = many_line_put(b, f, &f->lines[l]);
	return ret;
}

int render_many_files(struct fs_job *j, struct fs_buf *b)
{
	return many_render_each(j, b, many_file_line);
}

int render_many_lines(struct fs_job *j, struct fs_buf *b)
{
	return many_render_each(j, b, many_file_lines);
}

/*
 * per_pattern=1: "COUNT INDEX" a pattern, its lines over every file
 * shown in files (a failed file counts nowhere), as a one-file job's
 * jobs/N/patterns. Final only once the job has ended, so empty before.
 */
int render_many_patterns(struct fs_job *j, struct fs_buf *b)
{
	struct fs_many *m = j->many;
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	/* every pattern (the set's view has their number), 0 where no file had it */
	size_t n = m->grep.ac ? m->grep.acview.npatterns
		   : m->grep.shift ? m->grep.shview.npatterns : 0;
	for (size_t i = 0; m->ended && i < (n > m->npc ? n : m->npc) && !ret; i++)
		ret = fs_buf_printf(b, "%llu %zu\n",
				    (unsigned long long)(m->pcounts && i < m->npc ? m->pcounts[i] : 0),
				    i);
	pthread_mutex_unlock(&m->lock);
	return ret;
}

/*
 * Streaming (stream.c): which files are final so far. In path order none
 * is before the job ends (a file not found yet may sort first); with
 * order=walk each file is, in the walk's order, once it and every file
 * before it has ended and no directory before it is still being listed
 * (many_order.c). A unit is one file of the job's order, whether it shows
 * (MF_DONE) or not (MF_FAILED: it is in failed).
 */
uint64_t render_many_certain(struct fs_job *j, enum fs_node n)
{
	struct fs_many *m = j->many;
	uint64_t k;

	(void)n;
	pthread_mutex_lock(&m->lock);
	k = m->ended ? m->nfiles : m->d.walk_order ? many_order_settle_locked(m) : 0;
	pthread_mutex_unlock(&m->lock);
	return k;
}

/* (m->lock held) the unit-th file in the job's order: m->order's until it is applied */
static const struct many_file *many_unit_file(const struct fs_many *m, uint64_t unit)
{
	return m->order ? &m->files[m->order[unit]] : &m->files[unit];
}

/* One file's records from c->sub on, until b holds want bytes (m->lock held). */
static int many_stream_file(struct fs_many *m, enum fs_node n, const struct many_file *f,
			    struct fs_cursor *c, struct fs_buf *b, size_t want)
{
	int ret = 0;

	if (f->state != MF_DONE)
		return 0;
	if (n == N_JFILES)
		return many_file_line(b, f);
	(void)m;
	for (; c->sub < f->nlines && !ret && b->len < want; c->sub++)
		ret = many_line_put(b, f, &f->lines[c->sub]);
	return ret;
}

int render_many_stream(struct fs_job *j, enum fs_node n, struct fs_cursor *c, struct fs_buf *b,
		       size_t want)
{
	struct fs_many *m = j->many;
	uint64_t certain = render_many_certain(j, n);
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	/* path order: certain is 0 until the end, when the files are sorted once;
	 * order=walk's files are put in its order then, which unit counts in */
	if (m->ended && !m->sorted)
		many_sort_locked(m);
	while (!ret && c->unit < certain && b->len < want) {
		const struct many_file *f = many_unit_file(m, c->unit);
		ret = many_stream_file(m, n, f, c, b, want);
		if (!ret && (n == N_JFILES || c->sub >= f->nlines || f->state != MF_DONE)) {
			c->unit++;
			c->sub = 0;
		}
	}
	pthread_mutex_unlock(&m->lock);
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
		if (!m->sorted)
			many_sort_locked(m);
		f = m->fails;
	} else {
		copy = malloc((n ? n : 1) * sizeof(*copy));
		if (!copy) {
			pthread_mutex_unlock(&m->lock);
			return -ENOMEM;
		}
		if (n) {
			memcpy(copy, m->fails, n * sizeof(*copy));
			qsort(copy, n, sizeof(*copy), many_fail_cmp);
		}
		f = copy;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		const char *name = strerrorname_np(f[i].err);
		ret = fs_buf_put_path(b, f[i].path);
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

