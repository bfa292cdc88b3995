/* SPDX-License-Identifier: MIT */
/*
 * units.h - the units' insides, shared by units.c and group.c (and job.c,
 * whose accessors read a spread job through group.c).
 */
#ifndef VYRE_UNITS_H
#define VYRE_UNITS_H

#include <pthread.h>
#include <stdatomic.h>

#include "pump.h"

struct pump_units {
	uint32_t n;
	struct pump *unit[PUMP_UNITS_MAX];
	char cpus[PUMP_UNITS_MAX][64]; /* where each unit's threads are pinned, or "any" */
	uint32_t slots_min;
	atomic_uint turn; /* units_pick's tie-break */
	/* Read-held while a job or span is handed to a unit; closing is set
	 * under the write lock before any unit goes (pump_units_destroy). */
	pthread_rwlock_t rw;
	bool closing;
};

uint32_t units_pick(struct pump_units *u);

/* group.c: a job spread over the units as spans. -ENOTUNIQ: too small to spread. */
int group_submit(struct pump_units *u, const struct pump_scan *scan, struct pump_job **out);
void group_info(struct pump_job *j, struct pump_job_info *info);
void group_hist(struct pump_job *j, uint64_t bins[VYRE_HIST_BINS]);
size_t group_lines(struct pump_job *j, struct pump_line *out, size_t max);
size_t group_errors(struct pump_job *j, struct pump_chunk_error *out, size_t max);
int group_wait(struct pump_job *j, int timeout_ms);
int group_cancel(struct pump_job *j);
void group_free(struct pump_job *j);

#endif
