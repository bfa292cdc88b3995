// SPDX-License-Identifier: MIT
/*
 * latency.c - the metrics that need each job's end: a job-duration
 * histogram (vyrefs_job_duration_seconds), jobs and files by final state
 * (vyrefs_jobs_total, vyrefs_files_total, status's jobs_done) and
 * per-tenant job and byte counters.
 *
 * Jobs are counted here, as fs jobs, and not from the pump: a many-file
 * job's files and a large job's spans are pump jobs of their own, so the
 * pump's jobs_done moved by 14 for one 14-file job.
 *
 * They cannot be computed from the job table when metrics is read: ended
 * jobs leave it (rmdir, and reaping past jobs_cap), and a counter must
 * never go down. So the pump thread observes each job once, where it ends
 * (fs_job_ended calls fs_latency_job_ended through fs->job_counted), and render_metrics prints
 * what has accumulated.
 *
 * The state is one per daemon, as struct fs is: it lives here rather than
 * in struct fs only so that this file touches no shared header. Every
 * function takes the fs, so moving it into struct fs changes no caller.
 * One mutex guards it: the pump thread adds, FUSE threads copy it out.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "latency.h"

/*
 * Bucket bounds, microseconds. A 4 KiB job takes 0.6-1.1 ms through the
 * mount on the H100 and on lavapipe (BENCHMARKS.md, bench_jobs), a job
 * in the ring alone tens of µs, an 8 GiB scan seconds to minutes: 1-2.5-5
 * steps from 50 µs to 5 minutes. le= is written as Prometheus parses it.
 */
static const struct {
	uint64_t us;
	const char *le;
} lat_bounds[] = {
	{50, "5e-05"},     {100, "0.0001"},   {250, "0.00025"},  {500, "0.0005"},
	{1000, "0.001"},   {2500, "0.0025"},  {5000, "0.005"},   {10000, "0.01"},
	{25000, "0.025"},  {50000, "0.05"},   {100000, "0.1"},   {250000, "0.25"},
	{500000, "0.5"},   {1000000, "1"},    {2500000, "2.5"},  {5000000, "5"},
	{10000000, "10"},  {30000000, "30"},  {60000000, "60"},  {300000000, "300"},
};
#define LAT_NBOUNDS (sizeof(lat_bounds) / sizeof(lat_bounds[0]))

/*
 * Tenant labels come from users (tenant=, or the uid by default), so
 * their number is bounded: past LAT_TENANTS_MAX distinct labels the rest
 * are summed under "(other)", which no tenant= can spell (descriptor.c
 * takes A-Z a-z 0-9 _ . - only), so a scrape stays small whatever users
 * submit.
 */
#define LAT_TENANTS_MAX 256
#define LAT_OTHER	"(other)"
/*
 * A user's own labels ("UID:label", submit.c) past this many are summed
 * under "UID:(other)": one user cannot take the 256 series from the rest.
 */
#define LAT_TENANTS_PER_USER 8

/* The ended states a tenant's jobs are counted by. */
enum lat_state {
	LAT_DONE,
	LAT_FAILED,
	LAT_CANCELLED,
	LAT_NSTATES,
};
static const char *const lat_state_names[LAT_NSTATES] = {
	[LAT_DONE] = "done",
	[LAT_FAILED] = "failed",
	[LAT_CANCELLED] = "cancelled",
};

struct lat_tenant {
	char label[FS_TENANT_MAX];
	uint64_t jobs[LAT_NSTATES];
	uint64_t bytes;
};

static struct {
	pthread_mutex_t lock; /* guards everything below */
	uint64_t buckets[LAT_NBOUNDS]; /* per bucket, not cumulative: render sums */
	uint64_t count;
	uint64_t sum_us;
	uint64_t jobs[LAT_NSTATES]; /* fs jobs ended, by final state */
	uint64_t files, files_failed;
	struct lat_tenant tenants[LAT_TENANTS_MAX + 1]; /* the last is "(other)" */
	size_t ntenants; /* named ones in use, in first-seen order */
} lat = {.lock = PTHREAD_MUTEX_INITIALIZER};

static __thread int lat_reader_root; /* this thread's metrics reader is root */

void fs_latency_reader(uid_t uid)
{
	lat_reader_root = uid == 0;
}

int fs_latency_reader_is_root(void)
{
	int root = lat_reader_root;

	lat_reader_root = 0;
	return root;
}

void fs_latency_observe(struct fs *fs, uint64_t us)
{
	size_t i = 0;

	(void)fs;
	while (i < LAT_NBOUNDS && us > lat_bounds[i].us)
		i++;
	pthread_mutex_lock(&lat.lock);
	if (i < LAT_NBOUNDS)
		lat.buckets[i]++;
	lat.count++;
	lat.sum_us += us;
	pthread_mutex_unlock(&lat.lock);
}

static struct lat_tenant *lat_tenant_find(const char *label)
{
	const char *colon = strchr(label, ':');
	char other[FS_TENANT_MAX];
	struct lat_tenant *t;
	size_t mine = 0;

	for (size_t i = 0; i < lat.ntenants; i++) {
		if (!strcmp(lat.tenants[i].label, label))
			return &lat.tenants[i];
		if (colon && !strncmp(lat.tenants[i].label, label, (size_t)(colon - label) + 1))
			mine++;
	}
	if (colon && mine >= LAT_TENANTS_PER_USER - 1 && strcmp(colon + 1, LAT_OTHER)) {
		snprintf(other, sizeof(other), "%.*s" LAT_OTHER, (int)(colon - label) + 1, label);
		return lat_tenant_find(other);
	}
	if (lat.ntenants == LAT_TENANTS_MAX) {
		t = &lat.tenants[LAT_TENANTS_MAX];
		if (!t->label[0])
			strcpy(t->label, LAT_OTHER);
		return t;
	}
	t = &lat.tenants[lat.ntenants++];
	snprintf(t->label, sizeof(t->label), "%s", label);
	return t;
}

static enum lat_state lat_state_of(enum pump_job_state state)
{
	return state == PUMP_JOB_FAILED      ? LAT_FAILED
	       : state == PUMP_JOB_CANCELLED ? LAT_CANCELLED
					     : LAT_DONE;
}

void fs_latency_tenant(struct fs *fs, const char *tenant, enum pump_job_state state,
		       uint64_t bytes)
{
	enum lat_state s = lat_state_of(state);
	struct lat_tenant *t;

	(void)fs;
	pthread_mutex_lock(&lat.lock);
	lat.jobs[s]++; /* here: every ended job passes once, a failed compile too (jobs.c) */
	t = lat_tenant_find(tenant);
	t->jobs[s]++;
	t->bytes += bytes;
	pthread_mutex_unlock(&lat.lock);
}

void fs_latency_job_ended(struct fs_job *j)
{
	struct pump_job_info in;
	struct fs_many_counts c = {0};

	if (atomic_load_explicit(&j->stage, memory_order_acquire) == FS_STAGE_FAILED) {
		/* it never had a pump job: its placeholder's numbers, no file */
		pump_job_info(j->hold, &in);
		fs_latency_observe(j->fs, in.elapsed_us);
		fs_latency_tenant(j->fs, j->tenant, in.state, 0);
		return;
	}
	/* as status has it: an ended one-file job is one file, failed or not;
	 * a many-file job's are its files' sums */
	j->kind->info(j, &in, &c);
	pthread_mutex_lock(&lat.lock);
	lat.files += c.files_done;
	lat.files_failed += c.files_failed;
	pthread_mutex_unlock(&lat.lock);
	fs_latency_observe(j->fs, in.elapsed_us);
	fs_latency_tenant(j->fs, j->tenant, in.state, in.bytes_done);
}

void fs_latency_totals(struct fs *fs, struct fs_latency_totals *t)
{
	(void)fs;
	pthread_mutex_lock(&lat.lock);
	t->jobs_done = lat.jobs[LAT_DONE];
	t->jobs_failed = lat.jobs[LAT_FAILED];
	t->jobs_cancelled = lat.jobs[LAT_CANCELLED];
	t->files = lat.files;
	t->files_failed = lat.files_failed;
	pthread_mutex_unlock(&lat.lock);
}

/*
 * Submitted less ended. fs_job_ended counts a job here just after it
 * leaves fs->lock, and a job may end before fs_jobs_add enters it, so for
 * a moment the difference can be one off either way: never below 0.
 */
uint64_t fs_latency_jobs_active(struct fs *fs)
{
	uint64_t submitted, ended;

	pthread_mutex_lock(&fs->lock);
	submitted = fs->jobs_submitted;
	pthread_mutex_unlock(&fs->lock);
	pthread_mutex_lock(&lat.lock);
	ended = lat.jobs[LAT_DONE] + lat.jobs[LAT_FAILED] + lat.jobs[LAT_CANCELLED];
	pthread_mutex_unlock(&lat.lock);
	return submitted > ended ? submitted - ended : 0;
}

/*
 * A family's metadata. OpenMetrics and the Prometheus text format 0.0.4
 * (what promtool check metrics and the node exporter's textfile collector
 * parse) differ here only: OpenMetrics names a counter without _total and
 * its samples with it, has info and UNIT; the text format names a counter
 * as its samples, has no info (a gauge of 1) and no UNIT. Every family has
 * HELP in both.
 */
int fs_metric_family(struct fs_buf *b, bool om, const char *name, const char *type,
		     const char *unit, const char *help)
{
	bool counter = !strcmp(type, "counter"), info = !strcmp(type, "info");
	const char *suffix = om ? "" : counter ? "_total" : info ? "_info" : "";
	int ret;

	if (!om && info)
		type = "gauge";
	ret = fs_buf_printf(b, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, suffix, help, name, suffix,
			    type);
	if (!ret && om && unit)
		ret = fs_buf_printf(b, "# UNIT %s %s\n", name, unit);
	return ret;
}

static int lat_render_tenants(struct fs_buf *b, const struct lat_tenant *t, size_t n, bool om)
{
	int ret;

	ret = fs_metric_family(b, om, "vyrefs_tenant_jobs", "counter", NULL,
			       "Ended jobs per tenant label, by final state (root's readers only).");
	for (size_t i = 0; i < n && !ret; i++)
		for (int s = 0; s < LAT_NSTATES && !ret; s++)
			ret = fs_buf_printf(b, "vyrefs_tenant_jobs_total{tenant=\"%s\",state=\"%s\"} %llu\n",
					    t[i].label, lat_state_names[s],
					    (unsigned long long)t[i].jobs[s]);
	if (!ret)
		ret = fs_metric_family(b, om, "vyrefs_tenant_bytes", "counter", "bytes",
				       "Bytes scanned by ended jobs per tenant label.");
	for (size_t i = 0; i < n && !ret; i++)
		ret = fs_buf_printf(b, "vyrefs_tenant_bytes_total{tenant=\"%s\"} %llu\n", t[i].label,
				    (unsigned long long)t[i].bytes);
	return ret;
}

int fs_latency_render(struct fs *fs, struct fs_buf *b, int tenants, bool om)
{
	uint64_t buckets[LAT_NBOUNDS], count, sum_us, cum = 0;
	struct lat_tenant *t = NULL;
	size_t n = 0;
	int ret;

	(void)fs;
	pthread_mutex_lock(&lat.lock);
	memcpy(buckets, lat.buckets, sizeof(buckets));
	count = lat.count;
	sum_us = lat.sum_us;
	if (tenants) {
		n = lat.ntenants + (lat.tenants[LAT_TENANTS_MAX].label[0] ? 1 : 0);
		t = malloc((n ? n : 1) * sizeof(*t));
		if (t) {
			memcpy(t, lat.tenants, lat.ntenants * sizeof(*t));
			if (n > lat.ntenants)
				t[n - 1] = lat.tenants[LAT_TENANTS_MAX];
		}
	}
	pthread_mutex_unlock(&lat.lock);
	if (tenants && !t)
		return -ENOMEM;

	ret = fs_metric_family(b, om, "vyrefs_job_duration_seconds", "histogram", "seconds",
			       "Jobs from submit to end, each observed once when it ends.");
	for (size_t i = 0; i < LAT_NBOUNDS && !ret; i++) {
		cum += buckets[i];
		ret = fs_buf_printf(b, "vyrefs_job_duration_seconds_bucket{le=\"%s\"} %llu\n",
				    lat_bounds[i].le, (unsigned long long)cum);
	}
	if (!ret)
		ret = fs_buf_printf(b,
				    "vyrefs_job_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
				    "vyrefs_job_duration_seconds_sum %llu.%06llu\n"
				    "vyrefs_job_duration_seconds_count %llu\n",
				    (unsigned long long)count, (unsigned long long)(sum_us / 1000000),
				    (unsigned long long)(sum_us % 1000000), (unsigned long long)count);
	if (!ret && tenants)
		ret = lat_render_tenants(b, t, n, om);
	free(t);
	return ret;
}
