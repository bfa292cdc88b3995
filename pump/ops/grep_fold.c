// SPDX-License-Identifier: MIT
/*
 * grep's fold hook (PUMP_RESULT_FOLD): each chunk's part (its lines and
 * sets in a struct grep_part, the part's opstate), in file order
 * (fold.c calls it under p->lock), into the job's result: its count cut
 * at max=, its lines=1 lines numbered by the '\n's of every chunk before
 * it (j->fold_nl), and per_pattern=1's sets (grep_pcount.c); and the
 * row's readers of what it folded (pump_job_lines, pump_job_patterns).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "grep_priv.h"
#include "log.h"

#define GREP_LINES_FIRST    (64u << 10) /* bytes of the job's first line mapping */
#define GREP_LINES_HUGE_MIN (8u << 20)  /* from here up it asks for huge pages */

/*
 * The job's lines (gj->lines) live in a mapping of their own, grown by
 * mremap. A dense lines=1 grep keeps 24 bytes a selected line (0.9 GB
 * for 39M lines of 4 GiB of base64, pattern e), and realloc's copies and
 * one page fault per 4 KiB of fresh memory were the fold's largest cost
 * on the pump thread (issue 23): mremap moves pages instead of bytes,
 * and from GREP_LINES_HUGE_MIN up the mapping asks for transparent huge
 * pages (advice: where they are off it is refused and nothing changes;
 * below it a small job's lines do not take a 2 MiB page). 0 or -ENOMEM.
 */
static int grep_lines_room(struct grep_job *gj, size_t need)
{
	size_t old = gj->lines_cap * sizeof(*gj->lines);
	size_t bytes = old ? old : GREP_LINES_FIRST;
	void *a;

	if (need <= gj->lines_cap)
		return 0;
	while (bytes / sizeof(*gj->lines) < need) {
		if (bytes > SIZE_MAX / 4)
			return -ENOMEM;
		bytes *= 2;
	}
	a = old ? mremap(gj->lines, old, bytes, MREMAP_MAYMOVE)
		: mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return -ENOMEM;
	if (bytes >= GREP_LINES_HUGE_MIN && madvise(a, bytes, MADV_HUGEPAGE))
		vlog_debug("grep: lines without huge pages: madvise: %s", strerror(errno));
	gj->lines = a;
	gj->lines_cap = bytes / sizeof(*gj->lines);
	return 0;
}

/* The row's cleanup (grep.c) lets the job's lines go. */
void grep_lines_free(struct grep_job *gj)
{
	if (gj->lines && munmap(gj->lines, gj->lines_cap * sizeof(*gj->lines)))
		vlog_err("grep: munmap of a job's lines: %s", strerror(errno));
	gj->lines = NULL;
	gj->lines_cap = 0;
}

/* The part's grep_part, allocated on first use; NULL when memory runs out. */
static struct grep_part *grep_part_of(struct pump_part *part)
{
	if (!part->opstate)
		part->opstate = calloc(1, sizeof(struct grep_part));
	return part->opstate;
}

/*
 * Room for n more lines in the part's list, so that a pass's records
 * (counted per tile before they are read, grep_out.c) grow it once
 * instead of doubling from 64 as they come. 0 or -ENOMEM.
 */
int grep_part_reserve(struct pump_part *part, size_t n)
{
	struct grep_part *gp = grep_part_of(part);
	struct grep_part_line *l;

	if (!gp)
		return -ENOMEM;
	if (!n)
		return 0;
	l = fold_grow(gp->lines, &gp->lines_cap, gp->nlines + n, sizeof(*l), n);
	if (!l)
		return -ENOMEM;
	gp->lines = l;
	return 0;
}

int grep_part_add_line(struct pump_part *part, uint64_t pos, uint64_t nl)
{
	struct grep_part *gp = grep_part_of(part);
	struct grep_part_line *l;

	if (!gp)
		return -ENOMEM;
	l = gp->lines;
	if (gp->nlines == gp->lines_cap) { /* not reserved (grep_part_reserve): a continuation's */
		l = fold_grow(gp->lines, &gp->lines_cap, gp->nlines + 1, sizeof(*l), 64);
		if (!l)
			return -ENOMEM;
		gp->lines = l;
	}
	l[gp->nlines++] = (struct grep_part_line){pos, nl};
	return 0;
}

int grep_part_add_set(struct pump_part *part, uint64_t pos, uint32_t set)
{
	struct grep_part *gp = grep_part_of(part);
	struct grep_part_set *s;

	if (!gp)
		return -ENOMEM;
	s = fold_grow(gp->sets, &gp->sets_cap, gp->nsets + 1, sizeof(*s), 64);
	if (!s)
		return -ENOMEM;
	gp->sets = s;
	s[gp->nsets++] = (struct grep_part_set){pos, set};
	return 0;
}

/* The row's part_cleanup hook. */
void grep_part_free(void *opstate)
{
	struct grep_part *gp = opstate;

	free(gp->lines);
	free(gp->sets);
	free(gp);
}

static int line_cmp(const void *a, const void *b)
{
	const struct grep_part_line *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * A part's lines come tile by tile, each tile's in file order; only the
 * continuations of open lines (grep_cont.c) add theirs after. So most
 * parts are in order already: one pass costs less than qsort's (7% of
 * the pump thread's time on a dense lines=1 grep).
 */
static bool grep_lines_sorted(const struct grep_part *gp)
{
	for (size_t i = 1; i < gp->nlines; i++)
		if (gp->lines[i - 1].pos > gp->lines[i].pos)
			return false;
	return true;
}

/*
 * Counts add up to max= (0: no limit), each selected line numbered by the
 * '\n's before it, kept in file order.
 */
static void grep_fold_lines(struct pump_job *j, const struct pump_part *part)
{
	struct grep_job *gj = j->opstate;
	struct grep_part *gp = part->opstate;
	uint64_t take = part->count;
	struct pump_line *l;
	size_t n;

	if (gj->max) {
		uint64_t room = j->result < gj->max ? gj->max - j->result : 0;
		if (take >= room) {
			take = room;
			j->stop_admit = true;
		}
	}
	j->result += take;
	if (!(gj->flags & PUMP_GREP_LINES) || !gp || !gp->nlines)
		return;
	if (!grep_lines_sorted(gp))
		qsort(gp->lines, gp->nlines, sizeof(*gp->lines), line_cmp);
	n = gp->nlines < take ? gp->nlines : (size_t)take;
	if (grep_lines_room(gj, gj->nlines + n))
		return;
	l = gj->lines;
	for (size_t i = 0; i < n; i++)
		l[gj->nlines++] = (struct pump_line){
		    .line = j->fold_nl + gp->lines[i].nl + 1,
		    .offset = part->file_off + gp->lines[i].pos,
		    .pattern = UINT32_MAX,
		};
}

void grep_fold(struct pump_job *j, const struct pump_part *part)
{
	size_t first = ((const struct grep_job *)j->opstate)->nlines;

	grep_fold_lines(j, part);
	grep_pcount_fold(j, part, first);
}

/*
 * The row's readers (job.c calls them with the job's lock held): the
 * lines only grow, in file order, as the fold numbers each chunk's once
 * every chunk before it has folded, so what is there is final and a
 * reader may copy from where it left off.
 */
size_t grep_lines(const struct pump_job *j, size_t first, struct pump_line *out, size_t max)
{
	const struct grep_job *gj = j->opstate;
	size_t n = gj ? gj->nlines : 0;

	if (out && first < n && max) /* lines is NULL until the first selected line */
		memcpy(out, gj->lines + first, (n - first < max ? n - first : max) * sizeof(*out));
	return n;
}

size_t grep_patterns(const struct pump_job *j, uint64_t *out, size_t max)
{
	const struct grep_job *gj = j->opstate;
	size_t n = gj && gj->pcounts ? gj->npatterns : 0;

	if (out && n)
		memcpy(out, gj->pcounts, (n < max ? n : max) * sizeof(*out));
	return n;
}
