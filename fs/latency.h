/* SPDX-License-Identifier: MIT */
/*
 * latency.h - what metrics accumulates as jobs end: the job-duration
 * histogram and the per-tenant counters (latency.c).
 */
#ifndef VYRE_FS_LATENCY_H
#define VYRE_FS_LATENCY_H

#include <stdint.h>
#include <sys/types.h>

#include "pump.h"

struct fs;
struct fs_buf;
struct fs_job;

/* Pump thread, once per job, where it ends (fs_job_ended): observes its
 * elapsed time in the histogram and its tenant's jobs and bytes. */
void fs_latency_job_ended(struct fs_job *j);
/* One job's elapsed time, submit to end, in microseconds. */
void fs_latency_observe(struct fs *fs, uint64_t us);
/* One ended job under its tenant label: its final state and bytes scanned. */
void fs_latency_tenant(struct fs *fs, const char *tenant, enum pump_job_state state,
		       uint64_t bytes);
/* The histogram's series; with tenants, the per-tenant ones too (root only:
 * a tenant label defaults to its submitter's uid). */
int fs_latency_render(struct fs *fs, struct fs_buf *b, int tenants);
/*
 * Who opens metrics, on the thread that renders it: the low-level API gives
 * render_metrics no request, so the open says it first (files.c, before
 * fs_render). render_metrics asks once; the answer resets, so it never
 * carries over to another open. Never told: no tenant series.
 */
void fs_latency_reader(uid_t uid);
int fs_latency_reader_is_root(void);

#endif
