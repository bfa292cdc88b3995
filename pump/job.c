// SPDX-License-Identifier: MIT
/*
 * job.c - the job API fs/ uses: submit a scan, read its progress and
 * result, wait, cancel. Jobs are reference counted: the submitter holds
 * one, the pump's active list one, and every slot holding a chunk one.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pump_priv.h"
#include "trace.h"
#include "units.h"

const char *pump_job_state_name(enum pump_job_state s)
{
	static const char *const names[] = {
		[PUMP_JOB_QUEUED] = "queued",	  [PUMP_JOB_RUNNING] = "running",
		[PUMP_JOB_DONE] = "done",	  [PUMP_JOB_FAILED] = "failed",
		[PUMP_JOB_CANCELLED] = "cancelled",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

int job_file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	return -EINVAL;
}

/* O_DIRECT on the caller's fd: set here so fs/ opens every target alike. */
static int job_set_direct(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_DIRECT) < 0)
		return -errno;
	return 0;
}

int pump_submit(struct pump *p, const struct pump_scan *scan, struct pump_job **out)
{
	struct pump_job *j;
	uint64_t size;
	int ret;

	if (!scan->op || scan->data_len > VYRE_JOB_DATA_MAX || (scan->data_len && !scan->data))
		return -EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	atomic_init(&j->refs, 2); /* the submitter's and the pump's */
	j->ops = &job_unit_ops;
	j->p = p;
	j->fd = scan->fd;
	j->op = scan->op;
	j->offset = scan->offset;
	j->chunk = scan->chunk ? scan->chunk : p->cfg.chunk;
	ret = -EINVAL;
	if (j->chunk < PUMP_CHUNK_MIN || j->chunk > p->cfg.chunk || (j->chunk & (j->chunk - 1)))
		goto out_free;
	if (scan->op->prep) {
		ret = scan->op->prep(j, scan);
		if (ret)
			goto out_free;
	} else if (scan->data_len) {
		ret = -ENOMEM;
		j->data = malloc(scan->data_len);
		if (!j->data)
			goto out_free;
		memcpy(j->data, scan->data, scan->data_len);
		j->data_len = scan->data_len;
	}
	ret = -EINVAL;
	if (j->data_len > VYRE_JOB_DATA_MAX || j->tail > p->arena.region - j->chunk)
		goto out_free;
	ret = trace_create(p, j, scan);
	if (ret)
		goto out_free;
	j->replay = scan->nreplay > 0;
	j->direct = scan->direct < 0 ? p->cfg.direct : scan->direct;
	j->t_submit_ns = pump_now_ns();
	j->state = PUMP_JOB_QUEUED;
	j->owner = scan->owner;
	j->flow = scan->flow;
	if (scan->rerun_of) { /* taken already: its seq is set (pump thread) */
		j->flow = scan->rerun_of->flow;
		j->rank_seq = scan->rerun_of->seq;
	}
	j->priority = scan->priority == PUMP_PRIO_DEFAULT ? PUMP_PRIO_NORMAL : scan->priority;
	j->on_end = scan->on_end;
	j->on_end_arg = scan->on_end_arg;
	ret = -EINVAL;
	if (j->direct && (j->offset & 4095))
		goto out_free;
	/* O_DIRECT cannot target BAR (ARCHITECTURE.md, fact 4): direct needs relaunch */
	ret = -EOPNOTSUPP;
	if (j->direct && p->mode == RING_PERSISTENT)
		goto out_free;
	if (scan->nfiles) {
		/* each file's identity is its own (pfiles.c, pack_idents) */
		j->cached = p->cache && !j->trace;
		ret = j->offset || scan->length != UINT64_MAX ? -EINVAL : pack_plan(j, scan);
		if (ret)
			goto out_free;
		ret = pump_queue(p, j);
		if (ret)
			goto out_free;
		*out = j;
		return 0;
	}
	/* the identity before the size: a file that changes between the two is not cached */
	j->cached = p->cache && cache_ident_of(j->fd, &j->cache_id) == 0;
	ret = job_file_size(j->fd, &size);
	if (ret)
		goto out_free;
	if (j->cached && j->cache_id.size != size)
		j->cached = false;
	/* a trace hashes, and a replay reads, the file's bytes in the arena */
	if (j->trace)
		j->cached = false;
	if (j->direct) {
		ret = job_set_direct(j->fd);
		if (ret)
			goto out_free;
	}
	if (j->offset >= size)
		j->end = j->offset;
	else if (scan->length == UINT64_MAX || scan->length > size - j->offset)
		j->end = size;
	else
		j->end = j->offset + scan->length;
	j->next_off = j->offset;
	j->length = j->end - j->offset;
	j->scan_start = j->offset;
	j->scan_end = j->end;
	if (scan->whole_end) {
		ret = -EINVAL;
		if (scan->whole_start > j->offset || scan->whole_end < j->end)
			goto out_free;
		j->scan_start = scan->whole_start;
		j->scan_end = scan->whole_end < size ? scan->whole_end : size;
	}
	j->chunks = (j->length + j->chunk - 1) / j->chunk;
	if (j->replay) { /* the trace's slots, anywhere in the file */
		j->scan_start = 0;
		j->scan_end = j->end = size;
		j->chunks = scan->nreplay;
	}
	/*
	 * *out before the queue: once queued the job may end, and its on_end
	 * callback may look at the submitter's pointer, before pump_queue
	 * returns (seen: a 4 KiB job's callback found it NULL under 8 shells).
	 */
	*out = j;
	ret = pump_queue(p, j);
	if (ret) {
		*out = NULL;
		goto out_free;
	}
	return 0;
out_free:
	if (j->direct && ret == -EINVAL)
		vlog_debug("pump: direct=1 needs a 4K-aligned offset and O_DIRECT support");
	if (j->op->cleanup)
		j->op->cleanup(j);
	pack_forget(j); /* the caller keeps its files' fds */
	trace_free(j);
	free(j->data);
	free(j);
	return ret;
}

static void unit_job_info(struct pump_job *j, struct pump_job_info *info)
{
	struct pump *p = j->p;

	pthread_mutex_lock(&p->lock);
	*info = (struct pump_job_info){
		.state = j->state,
		.priority = j->priority,
		.chunk = j->chunk,
		.chunks = j->chunks,
		.chunks_done = j->chunks_done,
		.chunks_failed = j->chunks_failed,
		.reruns = j->reruns,
		.bytes_done = j->bytes_done,
		.length = j->length,
		.result = j->result,
		.epoch = j->epoch,
		.elapsed_us = ((j->t_end_ns ? j->t_end_ns : pump_now_ns()) - j->t_submit_ns) / 1000,
		.taken_us = j->t_taken_ns ? (j->t_taken_ns - j->t_submit_ns) / 1000 : 0,
		.read_us = j->t_read_ns ? (j->t_read_ns - j->t_submit_ns) / 1000 : 0,
		.published_us = j->t_published_ns ? (j->t_published_ns - j->t_submit_ns) / 1000 : 0,
		.harvested_us = j->t_harvested_ns ? (j->t_harvested_ns - j->t_submit_ns) / 1000 : 0,
		.fence_us = j->t_fence_ns ? (j->t_fence_ns - j->t_submit_ns) / 1000 : 0,
		.fence_done_us =
			j->t_fence_done_ns ? (j->t_fence_done_ns - j->t_submit_ns) / 1000 : 0,
		.newlines = j->fold_nl,
		.cached_bytes = j->cached_bytes,
	};
	pthread_mutex_unlock(&p->lock);
}

static void unit_job_hist(struct pump_job *j, uint64_t bins[VYRE_HIST_BINS])
{
	pthread_mutex_lock(&j->p->lock);
	memcpy(bins, j->hist, sizeof(j->hist));
	pthread_mutex_unlock(&j->p->lock);
}

/* The op's fold results (its lines and patterns hooks), under the unit's
 * lock; a placeholder (no op yet) has none. */
static size_t unit_job_lines(struct pump_job *j, size_t first, struct pump_line *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&j->p->lock);
	if (j->op && j->op->lines)
		n = j->op->lines(j, first, out, max);
	pthread_mutex_unlock(&j->p->lock);
	return n;
}

static size_t unit_job_patterns(struct pump_job *j, uint64_t *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&j->p->lock);
	if (j->op && j->op->patterns)
		n = j->op->patterns(j, out, max);
	pthread_mutex_unlock(&j->p->lock);
	return n;
}

static size_t unit_job_errors(struct pump_job *j, struct pump_chunk_error *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&j->p->lock);
	n = j->nerrors;
	if (out && n && max) /* errors is NULL until the first failure */
		memcpy(out, j->errors, (n < max ? n : max) * sizeof(*out));
	pthread_mutex_unlock(&j->p->lock);
	return n;
}

static bool job_ended(const struct pump_job *j)
{
	return j->state != PUMP_JOB_QUEUED && j->state != PUMP_JOB_RUNNING;
}

/* timeout_ms from now on CLOCK_MONOTONIC (the job conds' clock); <0: now, unused. */
void job_deadline(struct timespec *until, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	if (timeout_ms < 0)
		return;
	until->tv_sec += timeout_ms / 1000;
	until->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until->tv_nsec >= 1000000000L) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000L;
	}
}

static int unit_job_wait(struct pump_job *j, int timeout_ms)
{
	struct pump *p = j->p;
	struct timespec until;
	int ret = 0;

	job_deadline(&until, timeout_ms);
	pthread_mutex_lock(&p->lock);
	while (!job_ended(j) && !ret) {
		if (timeout_ms < 0)
			pthread_cond_wait(&p->cond, &p->lock);
		else
			ret = -pthread_cond_timedwait(&p->cond, &p->lock, &until);
	}
	if (job_ended(j))
		ret = 0;
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static int unit_job_cancel(struct pump_job *j)
{
	struct pump *p = j->p;
	bool ended;

	pthread_mutex_lock(&p->lock);
	ended = job_ended(j);
	if (!ended)
		atomic_store(&j->cancel, true);
	pthread_mutex_unlock(&p->lock);
	if (ended)
		return -EALREADY;
	pump_kick(p);
	return 0;
}

/* A unit job: its state under its unit's lock; job_free (slot.c) on the last reference. */
const struct pump_job_ops job_unit_ops = {
    .info = unit_job_info,
    .hist = unit_job_hist,
    .lines = unit_job_lines,
    .errors = unit_job_errors,
    .patterns = unit_job_patterns,
    .wait = unit_job_wait,
    .cancel = unit_job_cancel,
    .free = job_free,
};

/* ---- the handle: every kind of job through its ops -------------------- */

void pump_job_info(struct pump_job *j, struct pump_job_info *info)
{
	j->ops->info(j, info);
}

void pump_job_hist(struct pump_job *j, uint64_t bins[VYRE_HIST_BINS])
{
	j->ops->hist(j, bins);
}

size_t pump_job_lines(struct pump_job *j, struct pump_line *out, size_t max)
{
	return j->ops->lines(j, 0, out, max);
}

size_t pump_job_lines_at(struct pump_job *j, size_t first, struct pump_line *out, size_t max)
{
	return j->ops->lines(j, first, out, max);
}

size_t pump_job_patterns(struct pump_job *j, uint64_t *out, size_t max)
{
	return j->ops->patterns(j, out, max);
}

size_t pump_job_errors(struct pump_job *j, struct pump_chunk_error *out, size_t max)
{
	return j->ops->errors(j, out, max);
}

int pump_job_wait(struct pump_job *j, int timeout_ms)
{
	return j->ops->wait(j, timeout_ms);
}

int pump_job_cancel(struct pump_job *j)
{
	return j->ops->cancel(j);
}

void pump_job_get(struct pump_job *j)
{
	atomic_fetch_add_explicit(&j->refs, 1, memory_order_relaxed);
}

void pump_job_put(struct pump_job **jp)
{
	struct pump_job *j = *jp;

	if (!j)
		return;
	*jp = NULL;
	if (atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) == 1)
		j->ops->free(j);
}

/*
 * A job no unit runs yet (fs/: a grep job whose patterns are compiling on
 * a worker). Its accessors read it as queued until
 * pump_job_placeholder_end gives it its final state; nothing is ever read
 * or published for it. It lives on unit 0 only for that unit's lock.
 */
int pump_job_placeholder(struct pump_units *u, const struct pump_scan *scan,
			 struct pump_job **out)
{
	struct pump_job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	atomic_init(&j->refs, 1);
	atomic_init(&j->cancel, false);
	j->ops = &job_unit_ops;
	j->p = u->unit[0];
	j->fd = -1;
	j->offset = scan->offset;
	j->chunk = scan->chunk ? scan->chunk : j->p->cfg.chunk;
	j->owner = scan->owner;
	j->priority = scan->priority == PUMP_PRIO_DEFAULT ? PUMP_PRIO_NORMAL : scan->priority;
	j->state = PUMP_JOB_QUEUED;
	j->t_submit_ns = pump_now_ns();
	*out = j;
	return 0;
}

void pump_job_placeholder_end(struct pump_job *j, enum pump_job_state state)
{
	pthread_mutex_lock(&j->p->lock);
	j->state = state;
	j->t_end_ns = pump_now_ns();
	pthread_cond_broadcast(&j->p->cond);
	pthread_mutex_unlock(&j->p->lock);
}
