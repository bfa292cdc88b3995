// SPDX-License-Identifier: MIT
/*
 * units.c - several pump units as one (SPEC §10 "Units"): one unit per
 * entry of device=LIST, each with its own GPU device, ring, arena,
 * io_uring and pump thread, nothing shared between them.
 *
 * Where a job goes:
 *   - one unit: straight to it (the small-job path pays nothing);
 *   - a packed job, or a job of a few chunks: the unit with the fewest
 *     active jobs (shortest queue), ties taken in turn;
 *   - a larger job: split into spans of whole chunks (group.c), each span
 *     a job of its own on one unit. Every unit gets two spans to start
 *     with; when a span ends, its unit pulls the next one, so a unit that
 *     runs faster takes more of the job and none idles while spans wait.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "debug_ring.h"
#include "pump_priv.h"
#include "units.h"

static int units_parse(const char *devices, char names[][64], uint32_t *n)
{
	const char *s = devices && *devices ? devices : "";

	*n = 0;
	if (!strcmp(s, "all")) {
		uint32_t idx[PUMP_UNITS_MAX];
		int k = gpu_list_gpus(idx, PUMP_UNITS_MAX);
		if (k < 0)
			return k;
		if (k == 0) {
			vlog_err("units: device=all: no GPU found (name a CPU device, such as "
				 "device=llvmpipe, to run on lavapipe)");
			return -ENODEV;
		}
		for (int i = 0; i < k; i++)
			snprintf(names[(*n)++], 64, "%u", idx[i]);
		return 0;
	}
	for (;;) {
		const char *e = strchr(s, ':');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (*n == PUMP_UNITS_MAX) {
			vlog_err("units: device=%s lists more than %u units", devices,
				 PUMP_UNITS_MAX);
			return -E2BIG;
		}
		if (len >= 64 || (!len && (e || *n))) {
			vlog_err("units: device=%s: an entry is empty or too long (entries are "
				 "indices or names separated by ':')",
				 devices);
			return -EINVAL;
		}
		memcpy(names[*n], s, len);
		names[(*n)++][len] = '\0';
		if (!e)
			return 0;
		s = e + 1;
	}
}

/*
 * The pump thread and its io-wq workers on the cores nearest the device
 * (sysfs local_cpulist of its PCI function), where the platform says.
 */
static void units_pin(struct pump_units *u, uint32_t k)
{
	struct pump *p = u->unit[k];
	cpu_set_t set;
	int ret;

	snprintf(u->cpus[k], sizeof(u->cpus[k]), "any");
	if (gpu_local_cpus(p->gpu, &set, u->cpus[k], sizeof(u->cpus[k])))
		return;
	ret = pthread_setaffinity_np(p->thread, sizeof(set), &set);
	if (!ret)
		ret = -io_uring_register_iowq_aff(&p->uring, sizeof(set), &set);
	if (ret) {
		vlog_info("units: unit %u not pinned to cpus %s (%s)", k, u->cpus[k],
			  strerror(ret));
		snprintf(u->cpus[k], sizeof(u->cpus[k]), "any");
	}
}

int pump_units_create(const struct pump_config *cfg, const char *devices, struct pump_units **out)
{
	char names[PUMP_UNITS_MAX][64];
	struct pump_units *u;
	uint32_t n;
	int ret;

	ret = units_parse(devices, names, &n);
	if (ret)
		return ret;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	ret = -pthread_rwlock_init(&u->rw, NULL);
	if (ret) {
		free(u);
		return ret;
	}
	for (uint32_t k = 0; k < n; k++) {
		struct pump_config c = *cfg;
		c.device = names[k][0] ? names[k] : NULL;
		c.unit = k;
		ret = pump_create(&c, &u->unit[k]);
		if (ret) {
			vlog_err("units: unit %u (device=%s) did not open: %s%s", k,
				 names[k][0] ? names[k] : "best", strerror(-ret),
				 n > 1 ? "; list only devices that open (vulkaninfo --summary)"
				       : "");
			goto out_destroy;
		}
		u->n++;
		units_pin(u, k);
		u->slots_min = !k || c.slots < u->slots_min ? c.slots : u->slots_min;
	}
	*out = u;
	return 0;
out_destroy:
	pump_units_destroy(&u);
	return ret;
}

/*
 * Closing first, under the write lock: once set, no span is handed to
 * another unit (which may already be gone); each unit then stops and
 * cancels its jobs as alone.
 */
void pump_units_destroy(struct pump_units **up)
{
	struct pump_units *u = *up;

	if (!u)
		return;
	pthread_rwlock_wrlock(&u->rw);
	u->closing = true;
	pthread_rwlock_unlock(&u->rw);
	for (uint32_t k = 0; k < u->n; k++)
		pump_destroy(&u->unit[k]);
	pthread_rwlock_destroy(&u->rw);
	free(u);
	*up = NULL;
}

uint32_t pump_units_count(const struct pump_units *u)
{
	return u->n;
}

const char *pump_unit_cpus(const struct pump_units *u, uint32_t k)
{
	return k < u->n ? u->cpus[k] : "";
}

bool pump_units_any_cpu(const struct pump_units *u)
{
	for (uint32_t k = 0; k < u->n; k++)
		if (pump_is_cpu(u->unit[k]))
			return true;
	return false;
}

static uint64_t unit_load(struct pump *p)
{
	uint64_t n;

	if (pump_dead(p)) /* it takes nothing: last, for its error when all are */
		return UINT64_MAX;
	pthread_mutex_lock(&p->lock);
	n = pump_is_stopping(p) ? UINT64_MAX : pump_jobs_active_locked(p);
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* The unit with the fewest active jobs; ties go in turn. */
uint32_t units_pick(struct pump_units *u)
{
	uint32_t start = atomic_fetch_add_explicit(&u->turn, 1, memory_order_relaxed) % u->n;
	uint32_t best = start;
	uint64_t best_load = UINT64_MAX;

	for (uint32_t i = 0; i < u->n; i++) {
		uint32_t k = (start + i) % u->n;
		uint64_t load = unit_load(u->unit[k]);
		if (load < best_load) {
			best_load = load;
			best = k;
		}
	}
	return best;
}

/*
 * With the file cache on, a file's jobs go to the unit its (dev, ino)
 * names, so its second scan finds the chunks its first left in that
 * unit's device memory (and a spread job's first spans land where they
 * did); a dead or stopping unit passes it to units_pick. A cache hit is
 * worth more than the shorter queue: it skips the file read and PCIe.
 */
static uint32_t units_pick_file(struct pump_units *u, const struct pump_scan *scan)
{
	struct stat st;
	uint32_t k;

	if (!u->unit[0]->cache || scan->nfiles || scan->fd < 0 || fstat(scan->fd, &st) < 0)
		return units_pick(u);
	k = (uint32_t)((((uint64_t)st.st_dev * 0x9e3779b97f4a7c15ull) ^ (uint64_t)st.st_ino) %
		       u->n);
	return unit_load(u->unit[k]) == UINT64_MAX ? units_pick(u) : k;
}

int pump_units_submit(struct pump_units *u, const struct pump_scan *scan, struct pump_job **out)
{
	uint32_t first;
	int ret;

	if (u->n == 1)
		return pump_submit(u->unit[0], scan, out);
	pthread_rwlock_rdlock(&u->rw);
	/* one pick per job: a spread job's first span, or the whole job */
	first = u->closing ? 0 : units_pick_file(u, scan);
	/* a trace is one unit's (trace.c) */
	ret = u->closing		      ? -ESHUTDOWN
	      : scan->trace || scan->nreplay ? -ENOTUNIQ
					      : group_submit(u, scan, first, out);
	if (ret == -ENOTUNIQ) /* too small to spread */
		ret = pump_submit(u->unit[first], scan, out);
	pthread_rwlock_unlock(&u->rw);
	return ret;
}

int pump_units_debug(struct pump_units *u, char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);
	int ret = 0;

	if (!f)
		return -ENOMEM;
	fprintf(f, "vyrefs-debug 1\n");
	for (uint32_t k = 0; k < u->n && !ret; k++)
		ret = debug_ring_text(u->unit[k], k, f);
	if (fclose(f) && !ret)
		ret = -ENOMEM;
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

void pump_units_info(struct pump_units *u, struct pump_info *sum, struct pump_info *each)
{
	struct pump_info in;

	pump_info(u->unit[0], sum);
	if (each)
		each[0] = *sum;
	for (uint32_t k = 1; k < u->n; k++) {
		pump_info(u->unit[k], &in);
		if (each)
			each[k] = in;
		sum->slots += in.slots;
		sum->slots_free += in.slots_free;
		sum->slots_reading += in.slots_reading;
		sum->slots_published += in.slots_published;
		sum->slots_claimed += in.slots_claimed;
		sum->jobs_active += in.jobs_active;
		sum->jobs_done += in.jobs_done;
		sum->jobs_failed += in.jobs_failed;
		sum->chunks_done += in.chunks_done;
		sum->chunks_failed += in.chunks_failed;
		sum->bytes_scanned += in.bytes_scanned;
		sum->reruns += in.reruns;
		sum->launches += in.launches;
		sum->dead |= in.dead;
		sum->cache_bytes += in.cache_bytes;
		sum->cache_hits += in.cache_hits;
		sum->cache_misses += in.cache_misses;
		sum->cache_evictions += in.cache_evictions;
		sum->cache_capacity += in.cache_capacity;
		sum->cache_shrinks += in.cache_shrinks;
		for (uint32_t c = 0; c < VYRE_OPCLASSES; c++)
			sum->op_exec[c] += in.op_exec[c];
	}
}

int pump_units_cache_drop(struct pump_units *u)
{
	int ret = 0;

	for (uint32_t k = 0; k < u->n; k++) {
		int r = pump_cache_drop(u->unit[k]);
		if (r && !ret)
			ret = r;
	}
	return ret;
}
