// SPDX-License-Identifier: MIT
/*
 * job.c - one job's references: the table's, the pump's or walk's until
 * it ends, each open file's, a walker's, a compile's. The last one frees
 * it, its kind's part through its kind (one.c, many.c). Below the kinds,
 * which take and drop references, and below the table (jobs.c).
 */
#include <stdlib.h>

#include "fs.h"

void fs_job_put(struct fs_job **jp)
{
	struct fs_job *j = *jp;

	if (!j)
		return;
	*jp = NULL;
	if (atomic_fetch_sub_explicit(&j->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (j->kind)
		j->kind->free(j);
	pump_job_put(&j->hold);
	free(j->path);
	free(j->descriptor);
	free(j->replay);
	free(j);
}

void fs_job_get(struct fs_job *j)
{
	atomic_fetch_add_explicit(&j->refs, 1, memory_order_relaxed);
}
