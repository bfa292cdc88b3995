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
#include <stdlib.h>

#include "pump_priv.h"

void part_free(struct pump_part *part)
{
	free(part->lines);
	free(part->sets);
	free(part);
}

int part_add_line(struct pump_part *part, uint64_t pos, uint64_t nl)
{
	if (part->nlines == part->cap) {
		size_t cap = part->cap ? 2 * part->cap : 64;
		struct pump_part_line *l = realloc(part->lines, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		part->lines = l;
		part->cap = cap;
	}
	part->lines[part->nlines++] = (struct pump_part_line){pos, nl};
	return 0;
}

int part_add_set(struct pump_part *part, uint64_t pos, uint32_t set)
{
	if (part->nsets == part->setcap) {
		size_t cap = part->setcap ? 2 * part->setcap : 64;
		struct pump_part_set *s = realloc(part->sets, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		part->sets = s;
		part->setcap = cap;
	}
	part->sets[part->nsets++] = (struct pump_part_set){pos, set};
	return 0;
}

static void fold_one(struct pump *p, struct pump_job *j, struct pump_part *part)
{
	pthread_mutex_lock(&p->lock);
	if (!part->skip && j->op->fold)
		j->op->fold(j, part);
	j->fold_nl += part->nl;
	j->fold_next = part->index + 1;
	pthread_mutex_unlock(&p->lock);
	part_free(part);
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

static int line_cmp(const void *a, const void *b)
{
	const struct pump_part_line *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * The line ops' fold: counts add up to max= (0: no limit), each selected
 * line numbered by the '\n's before it, kept in file order.
 */
void fold_lines(struct pump_job *j, const struct pump_part *part)
{
	uint64_t take = part->count;

	if (j->max) {
		uint64_t room = j->result < j->max ? j->max - j->result : 0;
		if (take >= room) {
			take = room;
			j->stop_admit = true;
		}
	}
	j->result += take;
	if (!(j->grep & PUMP_GREP_LINES) || !part->nlines)
		return;
	qsort(part->lines, part->nlines, sizeof(*part->lines), line_cmp);
	size_t n = part->nlines < take ? part->nlines : (size_t)take;
	if (j->nlines + n > j->lines_cap) {
		size_t cap = j->lines_cap ? j->lines_cap : 256;
		while (cap < j->nlines + n)
			cap *= 2;
		struct pump_line *l = realloc(j->lines, cap * sizeof(*l));
		if (!l)
			return;
		j->lines = l;
		j->lines_cap = cap;
	}
	for (size_t i = 0; i < n; i++)
		j->lines[j->nlines++] = (struct pump_line){
		    .line = j->fold_nl + part->lines[i].nl + 1,
		    .offset = part->file_off + part->lines[i].pos,
		    .pattern = UINT32_MAX,
		};
}
