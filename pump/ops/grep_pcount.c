// SPDX-License-Identifier: MIT
/*
 * per_pattern=1: which patterns each selected line matched, from the
 * accept sets it entered (the shader's VYRE_REC_SET records, vyre_abi.h),
 * folded in file order (fold.c, grep_fold.c) into the job's counts and, with lines=1,
 * each line's first pattern.
 *
 * The GPU records a line's sets, not its patterns: one record a set it
 * enters, however many patterns the set holds (100 duplicates of a
 * literal are one set), and a lane drops only repeats of a line's last
 * few sets, so a line may come with a set twice, and an open line's sets
 * come from its chunk and from each continuation hop. Here a chunk's
 * records are sorted by (line, set) and each line walks each of its sets'
 * chains (a set, then its parent: the patterns of its longest accepting
 * suffix) once, stopping at a set already walked for this line, and
 * counts each pattern once: the walker tests/unit/test_grep_pset.c
 * checked against grep. Counts add up across chunks and spans because a
 * line is one chunk's (the one its start is in).
 */
#include <errno.h>
#include <stdlib.h>

#include "grep_priv.h"

_Static_assert(PUMP_CHUNK_MAX / VYRE_GREP_MAX_TILES < VYRE_REC_SET,
	       "a line record's '\\n' count (at most a tile's bytes) is below every set record's");

/* The job's counts and the walk's stamps, for the Aho-Corasick sets in its region. */
int grep_pcount_prep(struct pump_job *j)
{
	const uint32_t *w = (const uint32_t *)j->data;
	struct grep_job *gj = j->opstate;
	uint32_t np, ns;

	if (grep_shift_nwords(j)) { /* set i + 1: pattern i (vyre_abi.h VYRE_SHIFT_ALW) */
		np = w[VYRE_SHIFT_NPATTERNS];
		ns = np + 1;
	} else if (!w || j->data_len < VYRE_PSET_HDR_WORDS * 4 ||
		   w[VYRE_PSET_ENGINE] != VYRE_ENGINE_AHO) {
		return -EINVAL;
	} else {
		np = w[VYRE_PSET_NPATTERNS];
		ns = w[VYRE_PSET_NSETS];
	}
	if (ns > VYRE_REC_SETS_MAX)
		return -E2BIG;
	gj->pcounts = calloc(np ? np : 1, sizeof(*gj->pcounts));
	gj->pstamp = calloc(np ? np : 1, sizeof(*gj->pstamp));
	gj->sstamp = calloc(ns ? ns : 1, sizeof(*gj->sstamp));
	if (!gj->pcounts || !gj->pstamp || !gj->sstamp)
		return -ENOMEM; /* the row's cleanup hook frees them */
	gj->npatterns = np;
	return 0;
}

static int set_cmp(const void *a, const void *b)
{
	const struct grep_part_set *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->set < y->set ? -1 : x->set > y->set;
}

/*
 * One line's sets [s, e): its patterns counted once each; returns the
 * smallest pattern (the line's first in the patterns' order).
 */
static uint32_t pcount_line(struct pump_job *j, uint64_t *counts, const struct grep_part_set *s,
			    const struct grep_part_set *e)
{
	struct grep_job *gj = j->opstate;
	const uint32_t *w = (const uint32_t *)j->data;
	const uint32_t *off = w + w[VYRE_PSET_SETOFF], *ids = w + w[VYRE_PSET_IDS];
	const uint32_t *parent = w + w[VYRE_PSET_PARENT], *first = w + w[VYRE_PSET_FIRST];
	uint64_t line = ++gj->serial;
	uint32_t fp = UINT32_MAX;

	if (grep_shift_nwords(j)) { /* the bit-parallel engine: set k is pattern k - 1 */
		for (; s < e; s++) {
			uint32_t i = s->set - 1;

			if (!s->set || i >= gj->npatterns || gj->pstamp[i] == line)
				continue;
			gj->pstamp[i] = line;
			counts[i]++;
			fp = i < fp ? i : fp;
		}
		return fp;
	}
	for (; s < e; s++) {
		/* grep_pset.c checked every index below: sets, parents, ids */
		if (s->set >= w[VYRE_PSET_NSETS])
			continue;
		if (first[s->set] < fp)
			fp = first[s->set];
		for (uint32_t k = s->set; k != VYRE_PSET_NONE && gj->sstamp[k] != line; k = parent[k]) {
			gj->sstamp[k] = line;
			for (uint32_t i = off[k]; i < off[k + 1]; i++) {
				if (gj->pstamp[ids[i]] == line)
					continue;
				gj->pstamp[ids[i]] = line;
				counts[ids[i]]++;
			}
		}
	}
	return fp;
}

/*
 * A part's sets into the job's counts, and each of its lines (the job's
 * lines from first on: the part's, appended in file order by grep_fold)
 * given its first pattern (p->lock held, as grep_fold).
 */
void grep_pcount_fold(struct pump_job *j, const struct pump_part *part, size_t first)
{
	struct grep_job *gj = j->opstate;
	const struct grep_part *gp = part->opstate;
	struct grep_part_set *sets = gp ? gp->sets : NULL;
	size_t li = first;

	if (!(gj->flags & PUMP_GREP_PSET) || !sets)
		return;
	qsort(sets, gp->nsets, sizeof(*sets), set_cmp);
	for (size_t a = 0, b; a < gp->nsets; a = b) {
		uint64_t off = part->file_off + sets[a].pos;
		uint32_t fp;

		for (b = a + 1; b < gp->nsets && sets[b].pos == sets[a].pos; b++)
			;
		fp = pcount_line(j, gj->pcounts, sets + a, sets + b);
		/* grep_fold appended the part's lines in file order, as sets are now */
		while (li < gj->nlines && gj->lines[li].offset < off)
			li++;
		if (li < gj->nlines && gj->lines[li].offset == off)
			gj->lines[li].pattern = fp;
	}
}

/*
 * A packed file's counts (p->lock held): counts (npatterns of them, or
 * NULL: none) become file's, and are added into the job's. Takes counts.
 */
int grep_pcount_file_take(struct pump_job *j, uint32_t file, uint64_t *counts)
{
	struct grep_job *gj = j->opstate;

	if (!gj->fpcounts)
		gj->fpcounts = calloc(j->npfiles ? j->npfiles : 1, sizeof(*gj->fpcounts));
	if (!gj->fpcounts || file >= j->npfiles) {
		free(counts);
		return gj->fpcounts ? -EINVAL : -ENOMEM;
	}
	free(gj->fpcounts[file]); /* a file counted again alone: its new counts */
	gj->fpcounts[file] = counts;
	for (uint32_t i = 0; counts && i < gj->npatterns; i++)
		gj->pcounts[i] += counts[i];
	return 0;
}

/*
 * A packed file's n set records (sets, positions its lines' starts in the
 * file; p->lock held): its counts, walked per line as a chunk's are; with
 * lines=1 each of its nlines lines (in file order) given its first pattern.
 */
int grep_pcount_file(struct pump_job *j, uint32_t file, struct grep_part_set *sets, size_t n,
		     struct pump_line *lines, size_t nlines)
{
	struct grep_job *gj = j->opstate;
	uint64_t *counts;
	size_t li = 0;

	if (!n)
		return grep_pcount_file_take(j, file, NULL);
	counts = calloc(gj->npatterns ? gj->npatterns : 1, sizeof(*counts));
	if (!counts)
		return -ENOMEM;
	qsort(sets, n, sizeof(*sets), set_cmp);
	for (size_t a = 0, b; a < n; a = b) {
		uint32_t fp;

		for (b = a + 1; b < n && sets[b].pos == sets[a].pos; b++)
			;
		fp = pcount_line(j, counts, sets + a, sets + b);
		while (li < nlines && lines[li].offset < sets[a].pos)
			li++;
		if (li < nlines && lines[li].offset == sets[a].pos)
			lines[li].pattern = fp;
	}
	return grep_pcount_file_take(j, file, counts);
}

/* The row's reader of a packed file's counts (p->lock held), as grep_patterns. */
size_t grep_file_patterns(const struct pump_job *j, size_t file, uint64_t *out, size_t max)
{
	const struct grep_job *gj = j->opstate;
	const uint64_t *c;

	if (!gj || !(gj->flags & PUMP_GREP_PSET))
		return 0;
	c = gj->fpcounts && file < j->npfiles ? gj->fpcounts[file] : NULL;
	for (size_t i = 0; out && i < max && i < gj->npatterns; i++)
		out[i] = c ? c[i] : 0;
	return gj->npatterns;
}
