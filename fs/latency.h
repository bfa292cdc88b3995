/* SPDX-License-Identifier: MIT */
/*
 * latency.h - what metrics accumulates as jobs end: the job-duration
 * histogram and the per-tenant counters (latency.c).
 */
#ifndef VYRE_FS_LATENCY_H
#define VYRE_FS_LATENCY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pump.h"

struct fs;
struct fs_buf;
struct fs_job;

/* Pump thread, once per job, where it ends (fs_job_ended): observes its
 * elapsed time in the histogram, counts it and its files by final state,
 * and adds its tenant's jobs and bytes. */
void fs_latency_job_ended(struct fs_job *j);

/*
 * Ended fs jobs, each counted once whatever it spread into (a many-file
 * job's files, a large job's spans are pump jobs of their own, and the
 * pump's jobs_done counts those), and their files.
 */
struct fs_latency_totals {
	uint64_t jobs_done, jobs_failed, jobs_cancelled;
	uint64_t files;        /* files whose scan ended: a one-file job's 1, a tree's files_done */
	uint64_t files_failed; /* of those and of entries never opened: what failed lists */
};
void fs_latency_totals(struct fs *fs, struct fs_latency_totals *t);
/* Jobs queued or running: submitted to the table and not yet ended. */
uint64_t fs_latency_jobs_active(struct fs *fs);

/*
 * A metric family's metadata lines: OpenMetrics (om) or the Prometheus text
 * format 0.0.4, which name counters differently (render.c).
 */
int fs_metric_family(struct fs_buf *b, bool om, const char *name, const char *type,
		     const char *unit, const char *help);
/* One job's elapsed time, submit to end, in microseconds. */
void fs_latency_observe(struct fs *fs, uint64_t us);
/* One ended job under its tenant label: its final state and bytes scanned.
 * Called exactly once per ended job (it counts vyrefs_jobs_total). */
void fs_latency_tenant(struct fs *fs, const char *tenant, enum pump_job_state state,
		       uint64_t bytes);
/* The histogram's series; with tenants, the per-tenant ones too (root only:
 * a tenant label defaults to its submitter's uid). om: OpenMetrics, else
 * the Prometheus text format. */
int fs_latency_render(struct fs *fs, struct fs_buf *b, int tenants, bool om);
/* files.c asks render.c: has j ended (fs->lock taken)? A running job's
 * result is rendered only then. */
bool render_job_ended(struct fs *fs, struct fs_job *j);
/* status.json and jobs/N/status.json: status's keys as one JSON object (render.c) */
int render_status_json(struct fs *fs, struct fs_buf *b);
int render_job_status_json(struct fs_job *j, struct fs_buf *b);
/* metrics.prom: the Prometheus text format of metrics (render.c) */
int render_metrics_prom(struct fs *fs, struct fs_buf *b);
/*
 * Who opens metrics, on the thread that renders it: the low-level API gives
 * render_metrics no request, so the open says it first (files.c, before
 * fs_render). render_metrics asks once; the answer resets, so it never
 * carries over to another open. Never told: no tenant series.
 */
void fs_latency_reader(uid_t uid);
int fs_latency_reader_is_root(void);

#endif
