// SPDX-License-Identifier: MIT
/*
 * grep's fold hook (PUMP_RESULT_FOLD): each chunk's part, in file order
 * (fold.c calls it under p->lock), into the job's result: its count cut
 * at max=, its lines=1 lines numbered by the '\n's of every chunk before
 * it (j->fold_nl), and per_pattern=1's sets (grep_pcount.c).
 */
#include <stdlib.h>

#include "grep_priv.h"

static int line_cmp(const void *a, const void *b)
{
	const struct pump_part_line *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Counts add up to max= (0: no limit), each selected line numbered by the
 * '\n's before it, kept in file order.
 */
static void grep_fold_lines(struct pump_job *j, const struct pump_part *part)
{
	uint64_t take = part->count;
	struct pump_line *l;
	size_t n;

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
	n = part->nlines < take ? part->nlines : (size_t)take;
	l = fold_grow(j->lines, &j->lines_cap, j->nlines + n, sizeof(*l), 256);
	if (!l)
		return;
	j->lines = l;
	for (size_t i = 0; i < n; i++)
		j->lines[j->nlines++] = (struct pump_line){
		    .line = j->fold_nl + part->lines[i].nl + 1,
		    .offset = part->file_off + part->lines[i].pos,
		    .pattern = UINT32_MAX,
		};
}

void grep_fold(struct pump_job *j, const struct pump_part *part)
{
	size_t first = j->nlines;

	grep_fold_lines(j, part);
	grep_pcount_fold(j, part, first);
}
