// SPDX-License-Identifier: MIT
/*
 * A grep job's bookkeeping that its other files share, at the bottom of
 * pump/ops/grep*.c so that none calls up or in a circle: a slot's ring
 * work, a chunk handed to the fold once its passes and open lines are
 * done, and the queue of open lines waiting for a read.
 */
#include <stdlib.h>

#include "grep_priv.h"

void grep_work(struct pump *p, uint32_t slot, struct ring_work *w)
{
	struct pump_job *j = pump_slot_at(p, slot)->job;

	w->opcode = VYRE_OP_GREP;
	w->tenant = j->batch;
	w->arg2 = j->data_off;
	w->jd_len = j->data_len;
	w->data_off = pump_slot_data(p, slot); /* a chunk from the file cache reads it there */
	w->batch = j->batch;
}

/* A chunk whose passes and open lines are all done goes to the fold. */
void grep_chunk_check(struct pump *p, struct pump_job *j, struct grep_chunk *gc)
{
	struct grep_job *gj = j->opstate;

	if (!gc->passes_done || gc->pending)
		return;
	gc->part->skip = gc->failed;
	fold_part(p, j, gc->part);
	free(gc->tile_pre);
	free(gc);
	gj->open_chunks--;
}

void grep_queue(struct grep_job *gj, struct grep_cont *c)
{
	c->next = NULL;
	*gj->qtail = c;
	gj->qtail = &c->next;
}

struct grep_cont *grep_dequeue(struct grep_job *gj)
{
	struct grep_cont *c = gj->queue;

	if (c) {
		gj->queue = c->next;
		if (!gj->queue)
			gj->qtail = &gj->queue;
	}
	return c;
}
