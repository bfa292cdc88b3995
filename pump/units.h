/* SPDX-License-Identifier: MIT */
/*
 * units.h - the units' insides, shared by units.c and group.c.
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

/*
 * group.c: a job spread over the units as spans, the first on unit first
 * (units_pick's). -ENOTUNIQ: too small to spread. Its handle reads through
 * job_group_ops.
 */
int group_submit(struct pump_units *u, const struct pump_scan *scan, uint32_t first,
		 struct pump_job **out);

#endif
