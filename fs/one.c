// SPDX-License-Identifier: MIT
/*
 * one.c - the job over one file: one pump job (j->pj), whose numbers,
 * result, failed chunks and lines are the job's. Reached through
 * fs_job_one, the kind submit.c gives a job whose path= is one file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

/* The scan goes to the pump (start.c built it); takes fd, rootfd and listfd. */
static int one_start(struct fs *fs, struct fs_job *j, struct fs_caller *ctx, const struct desc *d,
		     struct fs_grep *grep, const struct pump_scan *scan, int fd, int rootfd,
		     int listfd, const struct stat *st, char *err, size_t errlen)
{
	int ret;

	(void)ctx;
	(void)grep; /* the pump copied the DFA scan points at */
	(void)st;
	if (rootfd >= 0)
		close(rootfd);
	if (listfd >= 0)
		close(listfd);
	fs_job_get(j); /* the pump's, dropped by fs_job_ended */
	ret = pump_units_submit(fs->units, scan, &j->pj);
	if (!ret)
		return 0; /* the pump owns fd now, and the reservation: fs_job_ended returns it */
	atomic_fetch_sub_explicit(&j->refs, 1, memory_order_relaxed); /* not the pump's */
	close(fd);
	if (ret == -EOPNOTSUPP) {
		snprintf(err, errlen, "direct=1: O_DIRECT reads cannot land in this mount's "
			 "GPU (BAR) arena; mount with -o kernel=relaunch (or direct=1) for "
			 "direct reads, or use direct=0");
		ret = -EINVAL;
	} else if (ret == -ETIMEDOUT) {
		snprintf(err, errlen, "the GPU stopped answering (no progress in gpu_timeout "
			 "ms): this mount takes no more jobs; see the daemon log, then "
			 "remount");
	} else if (ret == -EINVAL && d->direct == 1) {
		snprintf(err, errlen, "direct=1: %s does not support O_DIRECT (try direct=0)",
			 d->path);
	} else {
		snprintf(err, errlen, "the scan could not start: %s", strerror(-ret));
	}
	return ret;
}

static bool one_ended(struct fs_job *j)
{
	struct pump_job_info info;

	pump_job_info(j->pj, &info);
	return info.state != PUMP_JOB_QUEUED && info.state != PUMP_JOB_RUNNING;
}

static int one_cancel(struct fs_job *j)
{
	return pump_job_cancel(j->pj);
}

/* status's numbers: the pump job's; one file, done once the job has ended */
static void one_info(struct fs_job *j, struct pump_job_info *in, struct fs_many_counts *c)
{
	pump_job_info(j->pj, in);
	*c = (struct fs_many_counts){.files = 1};
	c->files_done = in->state != PUMP_JOB_QUEUED && in->state != PUMP_JOB_RUNNING;
	c->files_failed = in->state == PUMP_JOB_FAILED;
	if (in->chunks_failed)
		snprintf(c->error, sizeof(c->error), "%llu of %llu chunks failed (see failed)",
			 (unsigned long long)in->chunks_failed, (unsigned long long)in->chunks);
}

/*
 * Read once the job has ended (wait.c waits for it: a running job's sum
 * so far read as a wrong 0). A cancelled job has no result: its read fails
 * ECANCELED. A failed one's covers the chunks that were read (failed lists
 * the others), as README's "Files" says; a failed one that read nothing (a
 * GPU given up on, a pattern that did not compile) has none either: its
 * read fails with its first chunk's errno, or EINVAL when it never ran.
 */
static int one_result(struct fs_job *j, struct fs_buf *b)
{
	struct pump_job_info in;
	int ret = 0;

	pump_job_info(j->pj, &in);
	if (in.state == PUMP_JOB_CANCELLED)
		return -ECANCELED;
	if (in.state == PUMP_JOB_FAILED && !in.chunks_done) {
		struct pump_chunk_error e;
		return pump_job_errors(j->pj, &e, 1) ? -e.err : -EINVAL;
	}
	if (j->op->result == PUMP_RESULT_HIST) {
		uint64_t bins[VYRE_HIST_BINS];
		pump_job_hist(j->pj, bins);
		for (int i = 0; i < VYRE_HIST_BINS && !ret; i++)
			ret = fs_buf_printf(b, "0x%02x %llu\n", i, (unsigned long long)bins[i]);
		return ret;
	}
	return fs_buf_printf(b, "%llu\n", (unsigned long long)in.result);
}

static int one_failed(struct fs_job *j, struct fs_buf *b)
{
	size_t n = pump_job_errors(j->pj, NULL, 0);
	struct pump_chunk_error *e = calloc(n ? n : 1, sizeof(*e));
	int ret = 0;

	if (!e)
		return -ENOMEM;
	/* the job may have failed more chunks since: it returns its new count */
	n = min_size(n, pump_job_errors(j->pj, e, n));
	for (size_t i = 0; i < n && !ret; i++) {
		const char *name = strerrorname_np(e[i].err);
		ret = fs_buf_printf(b, "%llu %s %llu\n", (unsigned long long)e[i].index,
				    name ? name : "EIO", (unsigned long long)e[i].offset);
	}
	free(e);
	return ret;
}

/* One line record: "LINE:OFFSET", per_pattern=1 ":INDEX" (its first pattern, from 0). */
static int one_line_put(struct fs_buf *b, const struct pump_line *l)
{
	if (l->pattern != UINT32_MAX)
		return fs_buf_printf(b, "%llu:%llu:%u\n", (unsigned long long)l->line,
				     (unsigned long long)l->offset, l->pattern);
	return fs_buf_printf(b, "%llu:%llu\n", (unsigned long long)l->line,
			     (unsigned long long)l->offset);
}

/* grep lines=1: "LINE:OFFSET" a line, in file order (grep -n -b | cut -d: -f1,2). */
static int one_lines(struct fs_job *j, struct fs_buf *b)
{
	size_t n = pump_job_lines(j->pj, NULL, 0);
	struct pump_line *l = malloc((n ? n : 1) * sizeof(*l));
	int ret = 0;

	if (!l)
		return -ENOMEM;
	/* a running job may have more lines since: it returns its new count */
	n = min_size(n, pump_job_lines(j->pj, l, n));
	for (size_t i = 0; i < n && !ret; i++)
		ret = one_line_put(b, &l[i]);
	free(l);
	return ret;
}

/*
 * per_pattern=1: "COUNT INDEX" a pattern (INDEX from 0, in the patterns'
 * order): the lines it selects, a line counted once per pattern it
 * matches. Final only once the job is done, so empty before, as files.
 */
static int one_patterns(struct fs_job *j, struct fs_buf *b)
{
	struct pump_job_info in;
	size_t n;
	uint64_t *c;
	int ret = 0;

	pump_job_info(j->pj, &in);
	n = in.state == PUMP_JOB_DONE ? pump_job_patterns(j->pj, NULL, 0) : 0;
	if (!n)
		return 0;
	c = calloc(n, sizeof(*c));
	if (!c)
		return -ENOMEM;
	n = min_size(n, pump_job_patterns(j->pj, c, n));
	for (size_t i = 0; i < n && !ret; i++)
		ret = fs_buf_printf(b, "%llu %zu\n", (unsigned long long)c[i], i);
	free(c);
	return ret;
}

/* "RESULT PATH" a file; a one-file job's is its one line (path unescaped is its descriptor's). */
static int one_files(struct fs_job *j, struct fs_buf *b)
{
	struct pump_job_info in;

	pump_job_info(j->pj, &in);
	if (in.state != PUMP_JOB_DONE)
		return 0;
	if (j->op->result == PUMP_RESULT_HIST)
		in.result = in.bytes_done;
	int ret = fs_buf_printf(b, "%llu ", (unsigned long long)in.result);

	if (!ret)
		ret = fs_buf_put_path(b, j->path);
	return ret ? ret : fs_buf_printf(b, "\n");
}

/*
 * Streaming: the lines the pump has are final (its ordered fold numbers a
 * chunk's lines once every chunk before it has folded), so they are
 * certain as they come; files has its one line only at the end.
 */
static uint64_t one_certain(struct fs_job *j, enum fs_node n)
{
	if (n == N_JLINES)
		return pump_job_lines(j->pj, NULL, 0);
	return one_ended(j) ? 1 : 0;
}

#define ONE_STREAM_BATCH 1024 /* lines copied from the pump at a time */

static int one_stream(struct fs_job *j, enum fs_node n, struct fs_cursor *c, struct fs_buf *b,
		      size_t want)
{
	struct pump_line l[ONE_STREAM_BATCH];
	int ret = 0;

	if (n != N_JLINES) {
		if (c->unit || !one_ended(j))
			return 0;
		c->unit = 1;
		return one_files(j, b);
	}
	while (!ret && b->len < want) {
		size_t total = pump_job_lines_at(j->pj, c->unit, l, ONE_STREAM_BATCH), k;
		if (total <= c->unit)
			break;
		k = min_size(total - c->unit, ONE_STREAM_BATCH);
		for (size_t i = 0; i < k && !ret && b->len < want; i++, c->unit++)
			ret = one_line_put(b, &l[i]);
	}
	return ret;
}

static void one_free(struct fs_job *j)
{
	pump_job_put(&j->pj);
}

const struct fs_job_kind fs_job_one = {
	.name = "one",
	.start = one_start,
	.ended = one_ended,
	.cancel = one_cancel,
	.info = one_info,
	.result = one_result,
	.failed = one_failed,
	.lines = one_lines,
	.files = one_files,
	.patterns = one_patterns,
	.certain = one_certain,
	.stream = one_stream,
	.free = one_free,
};
