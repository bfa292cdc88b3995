// SPDX-License-Identifier: MIT
/*
 * render.c - what cat shows: key=value status lines a shell may eval,
 * results, failed chunks, metrics, ops, README.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "latency.h"

/*
 * A value with a control byte (a newline in a path) is written $'...' with
 * \n, \t, \xHH escapes, as bash, zsh and ksh read it: a status line is
 * then always one key, whatever a file is named (a path holding
 * "\nstate=done" split the line and forged a key for line-based readers).
 */
static int kv_ansi_c(struct fs_buf *b, const char *key, const char *val)
{
	int ret = fs_buf_printf(b, "%s=$'", key);

	for (const unsigned char *c = (const unsigned char *)val; *c && !ret; c++) {
		if (*c == '\n')
			ret = fs_buf_printf(b, "\\n");
		else if (*c == '\t')
			ret = fs_buf_printf(b, "\\t");
		else if (*c == '\\' || *c == '\'')
			ret = fs_buf_printf(b, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			ret = fs_buf_printf(b, "\\x%02x", *c);
		else
			ret = fs_buf_printf(b, "%c", *c);
	}
	return ret ? ret : fs_buf_printf(b, "'\n");
}

/* key=value, the value single-quoted unless it is plainly shell-safe. */
static int kv_sh(struct fs_buf *b, const char *key, const char *val)
{
	bool plain = *val != '\0';
	int ret;

	for (const unsigned char *c = (const unsigned char *)val; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return kv_ansi_c(b, key, val);
	for (const char *c = val; *c && plain; c++)
		plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			(*c >= '0' && *c <= '9') || strchr("/._-+:,@%", *c);
	if (plain)
		return fs_buf_printf(b, "%s=%s\n", key, val);
	ret = fs_buf_printf(b, "%s='", key);
	for (const char *c = val; *c && !ret; c++)
		ret = *c == '\'' ? fs_buf_printf(b, "'\\''") : fs_buf_printf(b, "%c", *c);
	return ret ? ret : fs_buf_printf(b, "'\n");
}

/*
 * A UTF-8 sequence's length at s (at most n bytes), 0 if s does not start a
 * valid one (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF).
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80		    ? 1
		     : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
		     : (s[0] & 0xf0) == 0xe0	    ? 3
		     : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
						    : 0;

	if (!len || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

/*
 * A JSON string. A name is bytes, JSON text is Unicode: a byte that is
 * not part of valid UTF-8 is written \udcXX, a lone surrogate, as PEP 383's
 * surrogateescape does, so Python's
 * json.loads(...)["path"].encode("utf-8", "surrogateescape") is the name's
 * bytes exactly.
 */
static int json_str(struct fs_buf *b, const char *val)
{
	const unsigned char *c = (const unsigned char *)val;
	size_t n = strlen(val);
	int ret = fs_buf_printf(b, "\"");

	while (*c && !ret) {
		size_t len = utf8_len(c, n - (size_t)(c - (const unsigned char *)val));

		if (*c == '"' || *c == '\\')
			ret = fs_buf_printf(b, "\\%c", *c);
		else if (*c == '\n')
			ret = fs_buf_printf(b, "\\n");
		else if (*c == '\t')
			ret = fs_buf_printf(b, "\\t");
		else if (*c < 0x20 || *c == 0x7f)
			ret = fs_buf_printf(b, "\\u%04x", *c);
		else if (!len)
			ret = fs_buf_printf(b, "\\udc%02x", *c);
		else
			ret = fs_buf_printf(b, "%.*s", (int)len, (const char *)c);
		c += len ? len : 1;
	}
	return ret ? ret : fs_buf_printf(b, "\"");
}

/*
 * Where status lines go: key=value for sh (status, wait), or one JSON
 * object (status.json), the same keys in the same order. The first error
 * sticks: every later key is skipped and it is what the render returns.
 */
struct kv_out {
	struct fs_buf *b;
	bool json;
	bool any; /* a key is out: JSON's comma */
	int err;
};

static int kv(struct kv_out *o, const char *key, const char *val)
{
	if (o->err)
		return o->err;
	if (!o->json)
		o->err = kv_sh(o->b, key, val);
	else if (!(o->err = fs_buf_printf(o->b, "%s\"%s\":", o->any ? "," : "{", key)))
		o->err = json_str(o->b, val);
	o->any = true;
	return o->err;
}

static int kvu(struct kv_out *o, const char *key, unsigned long long v)
{
	if (o->err)
		return o->err;
	if (o->json)
		o->err = fs_buf_printf(o->b, "%s\"%s\":%llu", o->any ? "," : "{", key, v);
	else
		o->err = fs_buf_printf(o->b, "%s=%llu\n", key, v);
	o->any = true;
	return o->err;
}

/* The object's end (an empty one: "{}"), and a newline, so cat ends a line. */
static int kv_end(struct kv_out *o)
{
	if (!o->err && o->json)
		o->err = fs_buf_printf(o->b, "%s}\n", o->any ? "" : "{");
	return o->err;
}

/*
 * A started job's numbers come from its kind (one.c, many.c); one not
 * started yet (grep compiling its patterns on a worker, or failed to)
 * renders from its placeholder pump job, its compile's error as error=
 * (handle.c's fs_job_view does the same for the other files).
 */
static int job_status_kv(struct fs_job *j, struct kv_out *b)
{
	int stage = atomic_load_explicit(&j->stage, memory_order_acquire);
	struct pump_job_info in;
	struct fs_many_counts c = {.files = 1};
	char err[320] = "";

	if (stage == FS_STAGE_STARTED) {
		j->kind->info(j, &in, &c);
		snprintf(err, sizeof(err), "%s", c.error);
	} else { /* as one.c's info, from the placeholder */
		pump_job_info(j->hold, &in);
		c.files_done = in.state != PUMP_JOB_QUEUED && in.state != PUMP_JOB_RUNNING;
		c.files_failed = in.state == PUMP_JOB_FAILED;
		if (in.chunks_failed)
			snprintf(err, sizeof(err), "%llu of %llu chunks failed (see failed)",
				 (unsigned long long)in.chunks_failed,
				 (unsigned long long)in.chunks);
		if (stage == FS_STAGE_FAILED)
			snprintf(err, sizeof(err), "%s", j->prep_error);
	}
	kvu(b, "id", j->id);
	kv(b, "state", pump_job_state_name(in.state));
	kv(b, "op", j->op->name);
	kv(b, "path", j->path);
	kvu(b, "offset", j->offset);
	kvu(b, "length", in.length);
	kvu(b, "chunk", in.chunk);
	kvu(b, "chunks", in.chunks);
	kvu(b, "chunks_done", in.chunks_done);
	kvu(b, "chunks_failed", in.chunks_failed);
	kvu(b, "reruns", in.reruns);
	kvu(b, "bytes_done", in.bytes_done);
	kvu(b, "cached_bytes", in.cached_bytes); /* of bytes_done, read from the file cache */
	kvu(b, "many", stage == FS_STAGE_STARTED && j->kind->many);
	kvu(b, "files", c.files);
	kvu(b, "files_done", c.files_done);
	kvu(b, "files_failed", c.files_failed);
	kvu(b, "walking", c.walking);
	kvu(b, "walkers", c.walkers);
	kvu(b, "walk_us", c.walk_us);
	kvu(b, "epoch", in.epoch);
	kv(b, "tenant", j->tenant);
	kv(b, "priority", pump_priority_name(in.priority));
	kvu(b, "uid", j->uid);
	kvu(b, "elapsed_us", in.elapsed_us);
	kv(b, "error", err);
	/* grep: what runs its patterns (fs_grep_engine), once compiled */
	kv(b, "engine", stage == FS_STAGE_STARTED && j->engine ? j->engine : "");
	/* where the time went, from submit (0: not reached) */
	kvu(b, "taken_us", in.taken_us);
	kvu(b, "read_us", in.read_us);
	kvu(b, "published_us", in.published_us);
	kvu(b, "harvested_us", in.harvested_us);
	kvu(b, "fence_us", in.fence_us);
	kvu(b, "fence_done_us", in.fence_done_us);
	return kv_end(b);
}

int render_job_status(struct fs_job *j, struct fs_buf *b)
{
	struct kv_out o = {.b = b};

	return job_status_kv(j, &o);
}

int render_job_status_json(struct fs_job *j, struct fs_buf *b)
{
	struct kv_out o = {.b = b, .json = true};

	return job_status_kv(j, &o);
}

bool render_job_ended(struct fs *fs, struct fs_job *j)
{
	bool ended;

	pthread_mutex_lock(&fs->lock);
	ended = j->ended;
	pthread_mutex_unlock(&fs->lock);
	return ended;
}


/* One unit's keys in the global status, prefixed unitK_. */
static int render_unit(struct kv_out *b, uint32_t k, const struct pump_info *in, const char *cpus)
{
	char key[48];

#define UKEY(name) (snprintf(key, sizeof(key), "unit%u_" name, k), key)
	kv(b, UKEY("device"), in->device);
	kv(b, UKEY("kernel_mode"), in->kernel_mode);
	kv(b, UKEY("ingest"), in->ingest);
	kv(b, UKEY("cpus"), cpus);
	kvu(b, UKEY("dead"), in->dead);
	kvu(b, UKEY("epoch"), in->epoch);
	kvu(b, UKEY("jobs_active"), in->jobs_active);
	kvu(b, UKEY("chunks_done"), in->chunks_done);
	kvu(b, UKEY("chunks_failed"), in->chunks_failed);
	return kvu(b, UKEY("bytes_scanned"), in->bytes_scanned);
#undef UKEY
}

/* Per-unit series of metrics: a unit="K" label each. */
static int render_unit_metrics(struct fs_buf *b, const struct pump_info *each, uint32_t n, bool om)
{
	int ret = fs_metric_family(b, om, "vyrefs_unit_chunks", "counter", NULL,
				   "Chunks each unit harvested, by state.");

	for (uint32_t k = 0; k < n && !ret; k++) {
		ret =
		    fs_buf_printf(b, "vyrefs_unit_chunks_total{unit=\"%u\",state=\"done\"} %llu\n",
				  k, (unsigned long long)each[k].chunks_done);
		if (!ret)
			ret = fs_buf_printf(
			    b, "vyrefs_unit_chunks_total{unit=\"%u\",state=\"failed\"} %llu\n", k,
			    (unsigned long long)each[k].chunks_failed);
	}
	if (!ret)
		ret = fs_metric_family(b, om, "vyrefs_unit_bytes", "counter", "bytes",
				       "Bytes each unit scanned.");
	for (uint32_t k = 0; k < n && !ret; k++)
		ret = fs_buf_printf(b, "vyrefs_unit_bytes_total{unit=\"%u\"} %llu\n", k,
				    (unsigned long long)each[k].bytes_scanned);
	if (!ret)
		ret = fs_metric_family(b, om, "vyrefs_unit_epoch", "gauge", NULL,
				       "Each unit's megakernel epoch (fences completed).");
	for (uint32_t k = 0; k < n && !ret; k++)
		ret = fs_buf_printf(b, "vyrefs_unit_epoch{unit=\"%u\"} %u\n", k, each[k].epoch);
	/* the alert that matters most: a unit given up on stays dead until a remount */
	if (!ret)
		ret = fs_metric_family(
		    b, om, "vyrefs_gpu_dead", "gauge", NULL,
		    "1 once the unit's GPU showed no progress for gpu_timeout and "
		    "was given up on: its jobs failed ETIMEDOUT; remount to retry.");
	for (uint32_t k = 0; k < n && !ret; k++)
		ret =
		    fs_buf_printf(b, "vyrefs_gpu_dead{unit=\"%u\"} %d\n", k, each[k].dead ? 1 : 0);
	if (!ret)
		ret = fs_metric_family(b, om, "vyrefs_slots", "gauge", NULL,
				       "Ring slots of each unit.");
	for (uint32_t k = 0; k < n && !ret; k++)
		ret = fs_buf_printf(b, "vyrefs_slots{unit=\"%u\"} %u\n", k, each[k].slots);
	if (!ret)
		ret = fs_metric_family(b, om, "vyrefs_slots_free", "gauge", NULL,
				       "Ring slots of each unit holding no chunk now.");
	for (uint32_t k = 0; k < n && !ret; k++)
		ret =
		    fs_buf_printf(b, "vyrefs_slots_free{unit=\"%u\"} %u\n", k, each[k].slots_free);
	return ret;
}

static int status_kv(struct fs *fs, struct kv_out *b)
{
	struct pump_info in, each[PUMP_UNITS_MAX];
	uint32_t n = pump_units_count(fs->units);
	struct fs_latency_totals t;
	int ret;

	pump_units_info(fs->units, &in, each);
	fs_latency_totals(fs, &t);
	kvu(b, "epoch", in.epoch);
	kv(b, "device", in.device);
	kv(b, "driver", in.driver);
	kv(b, "ingest", in.ingest);
	kv(b, "kernel_mode", in.kernel_mode);
	kvu(b, "slots", in.slots);
	kvu(b, "slots_free", in.slots_free);
	kvu(b, "slots_reading", in.slots_reading);
	kvu(b, "slots_published", in.slots_published);
	kvu(b, "slots_claimed", in.slots_claimed);
	kvu(b, "chunk", in.chunk);
	/* jobs as submitted (a tree of 14 files is one), as metrics counts them */
	kvu(b, "jobs_active", fs_latency_jobs_active(fs));
	kvu(b, "jobs_done", t.jobs_done);
	kvu(b, "jobs_failed", t.jobs_failed);
	kvu(b, "jobs_cancelled", t.jobs_cancelled);
	kvu(b, "files", t.files);
	kvu(b, "files_failed", t.files_failed);
	kvu(b, "chunks_done", in.chunks_done);
	kvu(b, "chunks_failed", in.chunks_failed);
	kvu(b, "bytes_scanned", in.bytes_scanned);
	/* the file cache (-o cache=); a reader other than root: its own hits and misses */
	kvu(b, "cache_capacity", in.cache_capacity);
	kvu(b, "cache_bytes", in.cache_bytes);
	kvu(b, "cache_hits", in.cache_hits);
	kvu(b, "cache_misses", in.cache_misses);
	kvu(b, "cache_evictions", in.cache_evictions);
	kvu(b, "cache_shrinks", in.cache_shrinks); /* blocks given back under memory pressure */
	kvu(b, "reruns", in.reruns);
	kvu(b, "launches", in.launches);
	kvu(b, "gpu_dead", in.dead); /* the watchdog gave the GPU up: remount */
	kv(b, "source", fs->source ? fs->source : "vyrefs"); /* mount's SOURCE label */
	kvu(b, "uptime_s", (unsigned long long)(time(NULL) - fs->started));
	ret = kvu(b, "units", n);
	for (uint32_t k = 0; k < n && !ret; k++)
		ret = render_unit(b, k, &each[k], pump_unit_cpus(fs->units, k));
	return ret ? ret : kv_end(b);
}

int render_status(struct fs *fs, struct fs_buf *b)
{
	struct kv_out o = {.b = b};

	return status_kv(fs, &o);
}

int render_status_json(struct fs *fs, struct fs_buf *b)
{
	struct kv_out o = {.b = b, .json = true};

	return status_kv(fs, &o);
}

/* A metric of one sample: its family, then NAME (NAME_total for a counter) V. */
static int metric_one(struct fs_buf *b, bool om, const char *name, const char *type,
		      const char *unit, const char *help, unsigned long long v)
{
	int ret = fs_metric_family(b, om, name, type, unit, help);

	if (!ret)
		ret = fs_buf_printf(b, "%s%s %llu\n", name, strcmp(type, "counter") ? "" : "_total",
				    v);
	return ret;
}

/* metrics (OpenMetrics, om) and metrics.prom (the Prometheus text format). */
static int render_metrics_fmt(struct fs *fs, struct fs_buf *b, bool om)
{
	struct pump_info in, each[PUMP_UNITS_MAX];
	struct fs_latency_totals t;
	int ret;

	pump_units_info(fs->units, &in, each);
	fs_latency_totals(fs, &t);
	ret = fs_metric_family(b, om, "vyrefs_jobs", "counter", NULL,
			       "Jobs ended, by final state; a job over many files counts once.");
	if (!ret)
		ret = fs_buf_printf(b,
				    "vyrefs_jobs_total{state=\"done\"} %llu\n"
				    "vyrefs_jobs_total{state=\"failed\"} %llu\n"
				    "vyrefs_jobs_total{state=\"cancelled\"} %llu\n",
				    (unsigned long long)t.jobs_done,
				    (unsigned long long)t.jobs_failed,
				    (unsigned long long)t.jobs_cancelled);
	if (!ret)
		ret = metric_one(b, om, "vyrefs_jobs_active", "gauge", NULL,
				 "Jobs queued or running.",
				 fs_latency_jobs_active(fs));
	if (!ret)
		ret = metric_one(b, om, "vyrefs_files", "counter", NULL,
				 "Files whose scan ended, done or failed: 1 a one-file job, "
				 "each file of a directory, glob or files= job.",
				 t.files);
	if (!ret)
		ret = metric_one(b, om, "vyrefs_files_failed", "counter", NULL,
				 "Files that could not be opened or read (a failed one-file "
				 "job, the entries of a many-file job's failed).",
				 t.files_failed);
	if (!ret)
		ret = fs_metric_family(b, om, "vyrefs_chunks", "counter", NULL,
				       "Chunks harvested, all units, by state.");
	if (!ret)
		ret = fs_buf_printf(b,
				    "vyrefs_chunks_total{state=\"done\"} %llu\n"
				    "vyrefs_chunks_total{state=\"failed\"} %llu\n",
				    (unsigned long long)in.chunks_done,
				    (unsigned long long)in.chunks_failed);
	if (!ret)
		ret = metric_one(b, om, "vyrefs_bytes", "counter", "bytes",
				 "Bytes scanned, all units.",
				 in.bytes_scanned);
	if (!ret)
		ret = metric_one(b, om, "vyrefs_cache_bytes", "gauge", "bytes",
				 "File bytes the file cache holds in device memory, all "
				 "units (cache=; 0 for a reader other than root).",
				 in.cache_bytes);
	if (!ret)
		ret = fs_metric_family(b, om, "vyrefs_cache_chunks", "counter", NULL,
				       "Chunks of jobs that may use the file cache: read from it "
				       "(hit) or from the file (miss); a reader other than root "
				       "sees its own.");
	if (!ret)
		ret = fs_buf_printf(b,
				    "vyrefs_cache_chunks_total{result=\"hit\"} %llu\n"
				    "vyrefs_cache_chunks_total{result=\"miss\"} %llu\n",
				    (unsigned long long)in.cache_hits,
				    (unsigned long long)in.cache_misses);
	if (!ret)
		ret = metric_one(b, om, "vyrefs_cache_evictions", "counter", NULL,
				 "Cached chunks evicted for room, all units (0 for a "
				 "reader other than root).",
				 in.cache_evictions);
	if (!ret)
		ret = metric_one(b, om, "vyrefs_cache_capacity_bytes", "gauge", "bytes",
				 "Device memory the file cache holds, all units (cache=; "
				 "less after it gives blocks back under memory pressure).",
				 in.cache_capacity);
	if (!ret)
		ret = metric_one(b, om, "vyrefs_cache_shrinks", "counter", NULL,
				 "File cache blocks given back to other processes under device "
				 "memory pressure, all units.",
				 in.cache_shrinks);
	if (!ret)
		ret = metric_one(b, om, "vyrefs_chunk_reruns", "counter", NULL,
				 "grep chunk passes run again over bytes already run: records "
				 "or open lines that did not fit a slot's (0 for text).",
				 in.reruns);
	if (!ret)
		ret = metric_one(b, om, "vyrefs_kernel_launches", "counter", NULL,
				 "Megakernel dispatches, all units.",
				 in.launches);
	if (!ret)
		ret = fs_metric_family(b, om, "vyrefs_gpu_slots", "counter", NULL,
				       "Ring slots the GPU executed, by op class.");
	for (uint32_t c = 0; c < VYRE_OPCLASSES && !ret; c++)
		if (pump_opclass_name(c))
			ret =
			    fs_buf_printf(b, "vyrefs_gpu_slots_total{op=\"%s\"} %llu\n",
					  pump_opclass_name(c), (unsigned long long)in.op_exec[c]);
	if (!ret)
		ret = metric_one(b, om, "vyrefs_epoch", "gauge", NULL,
				 "Unit 0's megakernel epoch (fences completed).",
				 in.epoch);
	if (!ret)
		ret = fs_metric_family(b, om, "vyrefs_build", "info", NULL,
				       "The daemon's version, as vyrefs --version prints it.");
	if (!ret)
		ret = fs_buf_printf(b, "vyrefs_build_info{version=\"%s\"} 1\n", VYREFS_VERSION);
	if (!ret)
		ret = fs_metric_family(b, om, "vyrefs_start_time_seconds", "gauge", "seconds",
				       "When the daemon started, in seconds since the Unix epoch.");
	if (!ret)
		ret = fs_buf_printf(b, "vyrefs_start_time_seconds %lld\n", (long long)fs->started);
	if (!ret)
		ret = render_unit_metrics(b, each, pump_units_count(fs->units), om);
	/* per-tenant series for root only: a tenant label defaults to its
	 * submitter's uid, and metrics is readable by every user */
	if (!ret)
		ret = fs_latency_render(fs, b, fs_latency_reader_is_root(), om);
	else
		fs_latency_reader_is_root(); /* the answer never carries over */
	return ret || !om ? ret : fs_buf_printf(b, "# EOF\n");
}

int render_metrics(struct fs *fs, struct fs_buf *b)
{
	return render_metrics_fmt(fs, b, true);
}

int render_metrics_prom(struct fs *fs, struct fs_buf *b)
{
	return render_metrics_fmt(fs, b, false);
}

int render_ops(struct fs_buf *b)
{
	int ret = 0;

	for (size_t i = 0; i < pump_ops_count && !ret; i++)
		ret = fs_buf_printf(b, "%s 0x%x %s\n", pump_ops[i]->name, pump_ops[i]->code,
				    pump_ops[i]->usage);
	return ret;
}

int render_readme(struct fs_buf *b)
{
	int ret = fs_buf_printf(
		b,
		"vyrefs: scan files on the GPU by writing job descriptors.\n"
		"\n"
		"  echo \"scan path=/abs/file op=count\" > ctl     submit; read ctl back for the id\n"
		"  cat jobs/N/status                             key=value lines (eval-able)\n"
		"  cat jobs/N/result                             the result (waits for the end)\n"
		"  cat jobs/N/wait                               blocks until the job ends\n"
		"  echo cancel > jobs/N/ctl ; rmdir jobs/N       cancel; remove a finished job\n"
		"  echo remove > jobs/N/ctl                      cancel, and remove it once ended\n"
		"\n"
		"Descriptor: [scan] path=ABS op=OP [offset=N] [length=N] [chunk=SIZE]\n"
		"            [byte=N] [pattern=\"...\"] [tenant=LABEL] [direct=0|1]\n"
		"            [priority=critical|high|normal|low|idle] [wait=1]\n"
		"            [trace=1] [replay=ABS]  (jobs/N/trace; vyrectl replay)\n"
		"      grep: pattern=ERE|patterns=ABS [fixed=1] [icase=1] [utf8=1] [invert=1]\n"
		"            [lines=1] [max=N] [per_pattern=1] (jobs/N/patterns)\n"
		"Many files: path=DIR (like grep -r; follow=1: grep -R), path=GLOB, or\n"
		"            files=ABS (one path a line): results in jobs/N/files\n"
		"            (order=walk: in the walk's order, streamed as files end)\n"
		"lines and files of a running job stream: reads block until more is\n"
		"final, EOF at the job's end (like tail -f that ends)\n"
		"Sizes take K, M, G suffixes. Patterns allow \\\\ \\\" \\n \\t \\xHH.\n"
		"\n"
		"Ops (see ops):\n");

	for (size_t i = 0; i < pump_ops_count && !ret; i++)
		ret = fs_buf_printf(b, "  %-10s %s\n", pump_ops[i]->name, pump_ops[i]->summary);
	if (!ret)
		ret = fs_buf_printf(b, "\n"
				       "Files: README ctl status status.json epoch ops metrics metrics.prom\n"
				       "       debug (-o gpu_debug; root)\n"
				       "       jobs/latest jobs/N/{descriptor,status,status.json,failed,result,\n"
				       "       lines,files,wait,ctl,trace}\n");
	return ret;
}
