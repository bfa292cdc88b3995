// SPDX-License-Identifier: MIT
/*
 * fold.c - the ordered fold (PUMP_RESULT_FOLD): chunk results combined in
 * file order, whatever order the GPU finishes them in.
 *
 * A part waits on the job's pending list (sorted by chunk index) until
 * every chunk before it has folded or been skipped; then the op's fold
 * hook combines it under p->lock, where readers (pump_job_info,
 * pump_job_lines) see it. What a line-numbering fold needs from the parts
 * before a chunk is one number, their '\n' count (j->fold_nl).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "pump_priv.h"

void part_free(const struct pump_job *j, struct pump_part *part)
{
	if (part->opstate && j->op->part_cleanup)
		j->op->part_cleanup(part->opstate);
	free(part);
}

/*
 * Room for need elements of size bytes in arr (*cap of them now), the
 * capacity doubling from first: arr, or its realloc'd successor with *cap
 * grown; NULL (arr and *cap as they were) when memory runs out.
 */
void *fold_grow(void *arr, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t c = *cap ? *cap : first;
	void *a;

	if (need <= *cap)
		return arr;
	while (c < need) {
		if (c > SIZE_MAX / 2 / size)
			return NULL;
		c *= 2;
	}
	a = realloc(arr, c * size);
	if (!a)
		return NULL;
	*cap = c;
	return a;
}

static void fold_one(struct pump *p, struct pump_job *j, struct pump_part *part)
{
	pthread_mutex_lock(&p->lock);
	if (!part->skip && j->op->fold)
		j->op->fold(j, part);
	j->fold_nl += part->nl;
	j->fold_next = part->index + 1;
	pthread_mutex_unlock(&p->lock);
	part_free(j, part);
}

/* Takes part (ownership passes to the fold). */
void fold_part(struct pump *p, struct pump_job *j, struct pump_part *part)
{
	struct pump_part **pp = &j->fold_pending;

	while (*pp && (*pp)->index < part->index)
		pp = &(*pp)->next;
	part->next = *pp;
	*pp = part;
	while (j->fold_pending && j->fold_pending->index <= j->fold_next) {
		struct pump_part *head = j->fold_pending;
		j->fold_pending = head->next;
		fold_one(p, j, head);
	}
}

void fold_skip(struct pump *p, struct pump_job *j, uint64_t index)
{
	struct pump_part *part = calloc(1, sizeof(*part));

	if (!part) {
		/* out of memory: the order may stall until fold_flush */
		return;
	}
	part->index = index;
	part->skip = true;
	fold_part(p, j, part);
}

/* The job ends: what waits (chunks after a gap: never read) folds now, in order. */
void fold_flush(struct pump *p, struct pump_job *j)
{
	while (j->fold_pending) {
		struct pump_part *head = j->fold_pending;
		j->fold_pending = head->next;
		fold_one(p, j, head);
	}
}
