// SPDX-License-Identifier: MIT
/*
 * group.c - one job spread over several units (units.c) as spans.
 *
 * A span is a run of whole chunks, submitted to one unit as a job of its
 * own (a kid) whose scan names the whole job's bounds (pump_scan.whole_*),
 * so its tail windows and grep's open lines cross into the next span's
 * bytes exactly as they cross a chunk edge in one unit's job: results
 * equal one unit's. Each unit starts with GROUP_SPANS_PER_UNIT spans; when
 * a span ends its unit pulls the next (shortest queue by construction).
 *
 * What the group adds on top of its kids, all in span order: sums (scalar
 * results, bins, progress), failed chunks (their index shifted by the
 * span's first chunk), grep's lines (numbered by the '\n's of the spans
 * before) cut at max=.
 *
 * A group's epoch is that of the fence of its span that ended last, on
 * that span's unit: epochs count per unit (SPEC §10 "Units").
 *
 * Locks: u->rw (read) before g->lock before a unit's p->lock. A kid's
 * on_end (group_span_ended) runs on its unit's pump thread with no pump
 * lock held; the group's own on_end runs with no group lock held.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pump_priv.h"
#include "units.h"

#define GROUP_SPANS_PER_UNIT 2u /* one running, one queued behind it: the ring stays full */
#define GROUP_SPANS_PER_UNIT_JOB 8u /* spans per unit in a job: the slack at its end */

struct pump_group;

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

struct group_span {
	struct pump_group *g;
	struct pump_job *kid; /* once submitted; the group holds the submitter's reference */
	uint64_t first;	      /* the job's index of its first chunk */
	uint64_t off, end;    /* its bytes */
	uint32_t unit;
	bool submitted; /* handed to a unit, or never to be (group_drop_rest) */
	bool ended;
	int err; /* positive: never ran, its chunks fail with it */
};

struct pump_group {
	struct pump_units *u;
	struct pump_job *j; /* the handle the caller holds */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* broadcast when the group ends */
	struct pump_scan scan; /* a copy for spans submitted later; fd unused */
	void *copy;	       /* owns scan's data */
	uint32_t *opwords;     /* the op's arguments copied once (its share hook): scan's data or args' */
	uint64_t limit;	       /* the op's limit hook (grep's max=), 0: none */
	int fd; /* the caller's, owned once submitted: each span gets a dup */
	uint64_t off, end;
	uint32_t chunk;
	struct group_span *spans;
	uint32_t nspans, next; /* spans in all, the first not yet submitted */
	uint32_t left;	       /* spans not yet submitted */
	/* the file's identity, with the file cache on: a unit pulls a span
	 * whose first chunk it holds before the next in order (group_pick) */
	struct cache_ident cid;
	bool cid_ok;
	uint32_t live;	       /* submitted, not ended */
	uint32_t unit_live[PUMP_UNITS_MAX];
	uint32_t last; /* the span that ended last */
	bool cancel, stopped, ended;
	enum pump_job_state state;
	uint64_t t_submit_ns, t_end_ns;
};

/*
 * A deep copy of what scan points at: spans are submitted long after the
 * caller returns. The op's share hook copies its own arguments (grep lays
 * its patterns out once, every span copies them as its data).
 */
static int group_copy_scan(struct pump_group *g, const struct pump_scan *scan)
{
	uint32_t n = 0;
	int ret;

	g->scan = *scan;
	g->scan.fd = -1;
	g->limit = scan->op->limit ? scan->op->limit(scan) : 0;
	if (scan->op->share) {
		ret = scan->op->share(scan, &g->opwords, &n, &g->scan.args);
		if (ret)
			return ret;
	}
	if (n) {
		g->scan.data = g->opwords;
		g->scan.data_len = n * 4;
		return 0;
	}
	if (!scan->data_len)
		return 0;
	g->copy = malloc(scan->data_len);
	if (!g->copy)
		return -ENOMEM;
	g->scan.data = memcpy(g->copy, scan->data, scan->data_len);
	return 0;
}

static void group_span_ended(void *arg);

/* Submits span i to unit k (g->lock held). 0 or a negative errno. */
static int group_span_submit(struct pump_group *g, uint32_t i, uint32_t k)
{
	struct group_span *sp = &g->spans[i];
	struct pump_scan s = g->scan;
	int ret;

	s.fd = fcntl(g->fd, F_DUPFD_CLOEXEC, 0);
	if (s.fd < 0)
		return -errno;
	s.offset = sp->off;
	s.length = sp->end - sp->off;
	s.whole_start = g->off;
	s.whole_end = g->end;
	s.chunk = g->chunk;
	s.on_end = group_span_ended;
	s.on_end_arg = sp;
	sp->unit = k;
	g->live++; /* a kid that ends at once counts down once g->lock is free */
	g->unit_live[k]++;
	ret = pump_submit(g->u->unit[k], &s, &sp->kid);
	if (ret) {
		g->live--;
		g->unit_live[k]--;
		sp->kid = NULL;
		close(s.fd);
	}
	return ret;
}

static uint64_t group_kid_result(struct pump_job *kid)
{
	struct pump_job_info in;

	pump_job_info(kid, &in);
	return in.result;
}

/* max= is met by the spans ended so far, in order: no more spans are needed. */
static bool group_max_met(struct pump_group *g)
{
	uint64_t sum = 0;

	if (!g->limit || g->scan.op->result != PUMP_RESULT_FOLD)
		return false;
	for (uint32_t i = 0; i < g->nspans && g->spans[i].ended && g->spans[i].kid; i++) {
		sum += group_kid_result(g->spans[i].kid);
		if (sum >= g->limit)
			return true;
	}
	return false;
}

/* Spans that will never run: their chunks fail with err (0: not needed, or cancelled). */
static void group_drop_rest(struct pump_group *g, int err)
{
	for (; g->next < g->nspans; g->next++) {
		if (!g->spans[g->next].submitted)
			g->spans[g->next].err = err;
		g->spans[g->next].submitted = true;
	}
	g->left = 0;
}

/*
 * The span unit k takes next: with the file cache on, and on unit k's own
 * pump thread (a span's end feeds its unit there), the first span not
 * submitted whose first chunk unit k's cache holds, among the next
 * GROUP_PICK_LOOK; else the next in order. The second scan of a file
 * spread over units thereby runs each span where the first left it.
 */
#define GROUP_PICK_LOOK 64u

static uint32_t group_pick(struct pump_group *g, uint32_t k)
{
	uint32_t seen = 0;

	if (!g->cid_ok)
		return g->next;
	for (uint32_t i = g->next; i < g->nspans && seen < GROUP_PICK_LOOK; i++) {
		if (g->spans[i].submitted)
			continue;
		seen++;
		if (pump_cache_holds(g->u->unit[k], &g->cid, g->spans[i].off))
			return i;
	}
	return g->next;
}

/* Span i is handed to a unit: next moves past the submitted ones. */
static void group_mark(struct pump_group *g, uint32_t i)
{
	g->spans[i].submitted = true;
	g->left--;
	while (g->next < g->nspans && g->spans[g->next].submitted)
		g->next++;
}

/*
 * Hands unit k spans until it holds GROUP_SPANS_PER_UNIT; a unit that
 * refuses one passes it to another (unless the units are closing).
 */
static void group_feed(struct pump_group *g, uint32_t k)
{
	while (g->left && g->unit_live[k] < GROUP_SPANS_PER_UNIT) {
		uint32_t i;
		int ret;

		if (g->cancel || g->stopped || group_max_met(g)) {
			group_drop_rest(g, 0);
			return;
		}
		i = group_pick(g, k);
		ret = group_span_submit(g, i, k);
		for (uint32_t o = 1; ret && ret != -ESHUTDOWN && !g->u->closing && o < g->u->n; o++)
			ret = group_span_submit(g, i, (k + o) % g->u->n);
		if (ret == -ESHUTDOWN) {
			g->stopped = true;
			continue;
		}
		if (ret) {
			vlog_err("units: a span of a job could not be submitted to any unit (%s)",
				 strerror(-ret));
			group_drop_rest(g, -ret);
			return;
		}
		group_mark(g, i);
	}
}

/* g->lock held: the group ends when no span runs and none will. */
static bool group_try_end(struct pump_group *g)
{
	bool failed = false;

	if (g->ended || g->live || g->left)
		return false;
	for (uint32_t i = 0; i < g->nspans; i++) {
		struct group_span *sp = &g->spans[i];
		if (sp->err) {
			failed = true;
		} else if (sp->kid) {
			struct pump_job_info in;
			pump_job_info(sp->kid, &in);
			failed |= in.state == PUMP_JOB_FAILED;
			/* a span cancelled but not by the caller: its unit stopped */
			g->stopped |= in.state == PUMP_JOB_CANCELLED && !g->cancel;
		}
	}
	if (g->cancel || g->stopped)
		g->state = PUMP_JOB_CANCELLED;
	else
		g->state = failed ? PUMP_JOB_FAILED : PUMP_JOB_DONE;
	g->t_end_ns = pump_now_ns();
	g->ended = true;
	pthread_cond_broadcast(&g->cond);
	return true;
}

/* The group has ended: its callback, its file, the pump side's reference. */
static void group_finish(struct pump_group *g)
{
	struct pump_job *j = g->j;

	if (g->scan.on_end)
		g->scan.on_end(g->scan.on_end_arg);
	/* no span needs it now; as a unit's job, closed once the end is told,
	 * not held open until the caller frees the job (fd per kept job) */
	close(g->fd);
	g->fd = -1;
	pump_job_put(&j);
}

/* A span's on_end: on its unit's pump thread, no pump lock held. */
static void group_span_ended(void *arg)
{
	struct group_span *sp = arg;
	struct pump_group *g = sp->g;
	bool end;

	pthread_rwlock_rdlock(&g->u->rw);
	pthread_mutex_lock(&g->lock);
	sp->ended = true;
	g->live--;
	g->unit_live[sp->unit]--;
	g->last = (uint32_t)(sp - g->spans);
	group_feed(g, sp->unit);
	end = group_try_end(g);
	pthread_mutex_unlock(&g->lock);
	pthread_rwlock_unlock(&g->u->rw);
	if (end)
		group_finish(g);
}

static void group_release(struct pump_group *g)
{
	for (uint32_t i = 0; g->spans && i < g->nspans; i++)
		pump_job_put(&g->spans[i].kid);
	if (g->fd >= 0)
		close(g->fd);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->cond);
	free(g->spans);
	free(g->copy);
	free(g->opwords);
	free(g);
}

/* Plans the spans; -ENOTUNIQ when the scan is not worth spreading. */
static int group_plan(struct pump_group *g, const struct pump_scan *scan)
{
	struct pump_units *u = g->u;
	uint64_t size, chunks, per, floor_chunks;
	int ret;

	if (scan->nfiles || scan->fd < 0)
		return -ENOTUNIQ;
	g->chunk = scan->chunk ? scan->chunk : u->unit[0]->cfg.chunk;
	/* odd sizes and files that are not regular go to one unit, which says what is wrong */
	if (g->chunk < PUMP_CHUNK_MIN || (g->chunk & (g->chunk - 1)) ||
	    job_file_size(scan->fd, &size) || scan->offset >= size)
		return -ENOTUNIQ;
	g->off = scan->offset;
	g->end = scan->length == UINT64_MAX || scan->length > size - g->off ? size
									    : g->off + scan->length;
	chunks = (g->end - g->off + g->chunk - 1) / g->chunk;
	floor_chunks = u->slots_min / 2 ? u->slots_min / 2 : 1;
	per = (chunks + GROUP_SPANS_PER_UNIT_JOB * u->n - 1) / (GROUP_SPANS_PER_UNIT_JOB * u->n);
	if (per < floor_chunks)
		per = floor_chunks;
	if (chunks <= per)
		return -ENOTUNIQ;
	g->nspans = (uint32_t)((chunks + per - 1) / per);
	g->spans = calloc(g->nspans, sizeof(*g->spans));
	if (!g->spans)
		return -ENOMEM;
	for (uint32_t i = 0; i < g->nspans; i++) {
		struct group_span *sp = &g->spans[i];
		sp->g = g;
		sp->first = (uint64_t)i * per;
		sp->off = g->off + sp->first * g->chunk;
		sp->end = sp->off + per * g->chunk < g->end ? sp->off + per * g->chunk : g->end;
	}
	ret = group_copy_scan(g, scan);
	return ret;
}

int group_submit(struct pump_units *u, const struct pump_scan *scan, uint32_t first,
		 struct pump_job **out)
{
	struct pump_group *g = calloc(1, sizeof(*g));
	struct pump_job *j = calloc(1, sizeof(*j));
	int ret = -ENOMEM;

	if (!g || !j)
		goto out_free;
	g->u = u;
	g->fd = -1;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cond, &ca);
	pthread_condattr_destroy(&ca);
	ret = group_plan(g, scan);
	if (ret)
		goto out_release;
	g->cid_ok = u->unit[0]->cache && cache_ident_of(scan->fd, &g->cid) == 0;
	g->t_submit_ns = pump_now_ns();
	g->state = PUMP_JOB_QUEUED;
	g->fd = scan->fd;
	g->j = j;
	atomic_init(&j->refs, 2); /* the submitter's, and the spans' until the group ends */
	j->ops = &job_group_ops;
	j->grp = g; /* no unit: each span is a unit's job */
	j->op = scan->op;
	j->fd = -1;
	j->owner = scan->owner;
	j->priority = scan->priority == PUMP_PRIO_DEFAULT ? PUMP_PRIO_NORMAL : scan->priority;
	j->chunk = g->chunk;

	pthread_mutex_lock(&g->lock);
	/* the first span alone: what is wrong with the scan is the caller's error */
	ret = group_span_submit(g, 0, first);
	if (ret) {
		pthread_mutex_unlock(&g->lock);
		g->fd = -1; /* the caller keeps its fd */
		goto out_release;
	}
	g->left = g->nspans;
	group_mark(g, 0);
	*out = j; /* before any span can end the group (its on_end may look) */
	for (uint32_t o = 0; o < u->n; o++)
		group_feed(g, (first + o) % u->n);
	pthread_mutex_unlock(&g->lock);
	return 0;
out_release:
	group_release(g);
	free(j);
	return ret;
out_free:
	free(g);
	free(j);
	return ret;
}

/* ---- reading a group (job_group_ops: job.c's accessors for a spread job) - */

static uint64_t span_chunks(const struct pump_group *g, const struct group_span *sp)
{
	return (sp->end - sp->off + g->chunk - 1) / g->chunk;
}

static uint64_t since_us(const struct pump_group *g, const struct pump_job *kid, uint64_t kid_us)
{
	return kid_us ? kid_us + (kid->t_submit_ns - g->t_submit_ns) / 1000 : 0;
}

static void group_info(struct pump_job *j, struct pump_job_info *info)
{
	struct pump_group *g = j->grp;
	struct pump_job_info in;
	bool taken = false;

	memset(info, 0, sizeof(*info));
	pthread_mutex_lock(&g->lock);
	info->priority = j->priority;
	info->chunk = g->chunk;
	for (uint32_t i = 0; i < g->nspans; i++) {
		struct group_span *sp = &g->spans[i];
		if (!sp->kid) {
			info->chunks += span_chunks(g, sp);
			info->length += sp->end - sp->off;
			if (sp->err)
				info->chunks_failed += span_chunks(g, sp);
			continue;
		}
		pump_job_info(sp->kid, &in);
		taken |= in.state != PUMP_JOB_QUEUED;
		info->chunks += in.chunks;
		info->chunks_done += in.chunks_done;
		info->chunks_failed += in.chunks_failed;
		info->reruns += in.reruns;
		info->bytes_done += in.bytes_done;
		info->cached_bytes += in.cached_bytes;
		info->length += in.length;
		info->result += in.result;
		if (i == 0) {
			info->taken_us = since_us(g, sp->kid, in.taken_us);
			info->read_us = since_us(g, sp->kid, in.read_us);
			info->published_us = since_us(g, sp->kid, in.published_us);
		}
		if (sp->ended && i == g->last) {
			info->epoch = in.epoch;
			info->harvested_us = since_us(g, sp->kid, in.harvested_us);
			info->fence_us = since_us(g, sp->kid, in.fence_us);
			info->fence_done_us = since_us(g, sp->kid, in.fence_done_us);
		}
	}
	if (g->limit && j->op->result == PUMP_RESULT_FOLD && info->result > g->limit)
		info->result = g->limit;
	info->state = g->ended ? g->state : taken ? PUMP_JOB_RUNNING : PUMP_JOB_QUEUED;
	info->elapsed_us = ((g->ended ? g->t_end_ns : pump_now_ns()) - g->t_submit_ns) / 1000;
	pthread_mutex_unlock(&g->lock);
}

static void group_hist(struct pump_job *j, uint64_t bins[VYRE_HIST_BINS])
{
	struct pump_group *g = j->grp;
	uint64_t kb[VYRE_HIST_BINS];

	memset(bins, 0, VYRE_HIST_BINS * sizeof(*bins));
	pthread_mutex_lock(&g->lock);
	for (uint32_t i = 0; i < g->nspans; i++) {
		if (!g->spans[i].kid)
			continue;
		pump_job_hist(g->spans[i].kid, kb);
		for (int b = 0; b < VYRE_HIST_BINS; b++)
			bins[b] += kb[b];
	}
	pthread_mutex_unlock(&g->lock);
}

/*
 * Lines in file order: each span's, numbered after the '\n's of the spans
 * before it, as far as the spans have ended in order, cut at max=.
 */
static size_t group_lines(struct pump_job *j, size_t first, struct pump_line *out, size_t max)
{
	struct pump_group *g = j->grp;
	uint64_t nl = 0, cap = g->limit ? g->limit : UINT64_MAX;
	struct pump_job_info in;
	size_t total = 0, copied = 0;

	pthread_mutex_lock(&g->lock);
	for (uint32_t i = 0; i < g->nspans && total < cap; i++) {
		struct group_span *sp = &g->spans[i];
		size_t n;
		if (!sp->ended || !sp->kid)
			break;
		/* an ended span's lines are the job's [total, total + n) */
		n = pump_job_lines(sp->kid, NULL, 0);
		if (n > cap - total)
			n = (size_t)(cap - total);
		if (out && copied < max && first < total + n) {
			size_t from = first > total ? first - total : 0;
			size_t room = min_sz(max - copied, n - from);
			size_t got = pump_job_lines_at(sp->kid, from, out + copied, room);
			got = got > from ? min_sz(got - from, room) : 0;
			for (size_t k = 0; k < got; k++)
				out[copied + k].line += nl;
			copied += got;
		}
		total += n;
		pump_job_info(sp->kid, &in);
		nl += in.newlines;
	}
	pthread_mutex_unlock(&g->lock);
	return total;
}

static size_t group_errors(struct pump_job *j, struct pump_chunk_error *out, size_t max)
{
	struct pump_group *g = j->grp;
	size_t total = 0;

	pthread_mutex_lock(&g->lock);
	for (uint32_t i = 0; i < g->nspans; i++) {
		struct group_span *sp = &g->spans[i];
		if (sp->kid) {
			size_t room = out && total < max ? max - total : 0;
			size_t n = pump_job_errors(sp->kid, room ? out + total : NULL, room);
			for (size_t k = 0; k < (n < room ? n : room); k++)
				out[total + k].index += sp->first;
			total += n;
		} else if (sp->err) {
			for (uint64_t c = 0; c < span_chunks(g, sp); c++, total++)
				if (out && total < max)
					out[total] = (struct pump_chunk_error){
					    sp->first + c, sp->off + c * g->chunk, sp->err};
		}
	}
	pthread_mutex_unlock(&g->lock);
	return total;
}

/* per_pattern=1: a line is one span's, so the spans' counts add up. */
static size_t group_patterns(struct pump_job *j, uint64_t *out, size_t max)
{
	struct pump_group *g = j->grp;
	size_t n = 0;

	if (out)
		memset(out, 0, max * sizeof(*out));
	pthread_mutex_lock(&g->lock);
	for (uint32_t i = 0; i < g->nspans; i++) {
		struct group_span *sp = &g->spans[i];
		size_t k = sp->kid ? pump_job_patterns(sp->kid, NULL, 0) : 0;
		uint64_t *c = k ? calloc(k, sizeof(*c)) : NULL;

		if (k && !c) { /* no memory: no counts rather than a short sum */
			pthread_mutex_unlock(&g->lock);
			return 0;
		}
		if (k > n)
			n = k;
		if (!c)
			continue;
		k = pump_job_patterns(sp->kid, c, k);
		for (size_t x = 0; out && x < k && x < max; x++)
			out[x] += c[x];
		free(c);
	}
	pthread_mutex_unlock(&g->lock);
	return n;
}

static int group_wait(struct pump_job *j, int timeout_ms)
{
	struct pump_group *g = j->grp;
	struct timespec until;
	int ret = 0;

	job_deadline(&until, timeout_ms);
	pthread_mutex_lock(&g->lock);
	while (!g->ended && !ret) {
		if (timeout_ms < 0)
			pthread_cond_wait(&g->cond, &g->lock);
		else
			ret = -pthread_cond_timedwait(&g->cond, &g->lock, &until);
	}
	if (g->ended)
		ret = 0;
	pthread_mutex_unlock(&g->lock);
	return ret;
}

static int group_cancel(struct pump_job *j)
{
	struct pump_group *g = j->grp;
	int ret = 0;

	pthread_mutex_lock(&g->lock);
	if (g->ended) {
		ret = -EALREADY;
	} else {
		g->cancel = true;
		for (uint32_t i = 0; i < g->nspans; i++)
			if (g->spans[i].kid && !g->spans[i].ended)
				pump_job_cancel(g->spans[i].kid);
	}
	pthread_mutex_unlock(&g->lock);
	return ret;
}

/* The last reference: the kids' go with it (pump_job_put). */
static void group_free(struct pump_job *j)
{
	group_release(j->grp);
	free(j);
}

/* A spread job: its state under g->lock, read from its spans' handles. */
const struct pump_job_ops job_group_ops = {
    .info = group_info,
    .hist = group_hist,
    .lines = group_lines,
    .errors = group_errors,
    .patterns = group_patterns,
    .wait = group_wait,
    .cancel = group_cancel,
    .free = group_free,
};
