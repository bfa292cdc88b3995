// SPDX-License-Identifier: MIT
/*
 * A pattern set's Aho-Corasick tables laid out as VYRE_PSET_* words
 * (abi/vyre_abi.h), what the shader reads. Everything is checked here,
 * once on the host: the shader follows indexes without bounds checks, so
 * a table out of range must never reach it.
 */
#include <errno.h>
#include <stdlib.h>

#include "grep_priv.h"
#include "grep_pset.h"

static int pset_check(const struct pump_ac *a)
{
	const uint32_t none = UINT32_MAX;

	if (!a->nstates || a->nstates > VYRE_AC_STATES_MAX || !a->nclasses || a->nclasses > 256 ||
	    (a->dfa && a->ndense != a->nstates) ||
	    a->ndense > a->nstates || !a->ndense || !a->nsets || !a->classes || !a->child || !a->label || !a->fail ||
	    !a->acc || !a->setoff || !a->ids || !a->parent || !a->first || (a->ndense && !a->dense))
		return -EINVAL;
	if (!grep_classes_below(a->classes, a->nclasses) ||
	    !grep_all_below(a->dense, (uint64_t)a->ndense * a->nclasses, a->nstates))
		return -EINVAL;
	if (a->child[0] != 1 || a->child[a->nstates] != a->nstates)
		return -EINVAL;
	for (uint32_t s = 0; s < a->nstates; s++) {
		/* breadth first: children after their parent, ranges in order */
		if (a->child[s + 1] < a->child[s] ||
		    (a->child[s] <= s && a->child[s + 1] > a->child[s]))
			return -EINVAL;
		for (uint32_t k = a->child[s]; k + 1 < a->child[s + 1]; k++)
			if (a->label[k] >= a->label[k + 1])
				return -EINVAL;
		if (a->label[s] >= a->nclasses || (s && a->fail[s] >= s) || a->acc[s] >= a->nsets ||
		    (a->eol && a->eol[s] >= a->nsets))
			return -EINVAL;
	}
	if (a->setoff[0] != 0)
		return -EINVAL;
	for (uint32_t k = 0; k < a->nsets; k++) {
		if (a->setoff[k + 1] < a->setoff[k] ||
		    (a->parent[k] != none && a->parent[k] >= k) ||
		    (a->first[k] != none && a->first[k] >= a->npatterns))
			return -EINVAL;
	}
	return grep_all_below(a->ids, a->setoff[a->nsets], a->npatterns) ? 0 : -EINVAL;
}

int grep_pset_layout(const struct pump_ac *a, uint32_t **words, uint32_t *nwords)
{
	uint64_t eol = a->eol ? a->nstates : 0; /* its words, right after the header */
	uint64_t at = VYRE_PSET_HDR_WORDS + eol, off[VYRE_PSET_FIRST + 1] = {0};
	uint32_t nids, ndense = a->ndense, *w;
	int ret = pset_check(a);

	if (ret)
		return ret;
	nids = a->setoff[a->nsets];
	/* one table after another, in VYRE_PSET_DENSE..VYRE_PSET_FIRST order */
	uint64_t len[VYRE_PSET_FIRST + 1] = {
	    [VYRE_PSET_DENSE] = (uint64_t)a->ndense * a->nclasses,
	    [VYRE_PSET_CHILD] = (uint64_t)a->nstates + 1,
	    [VYRE_PSET_LABEL] = ((uint64_t)a->nstates + 3) / 4,
	    [VYRE_PSET_FAIL] = a->nstates,
	    [VYRE_PSET_ACC] = a->nstates,
	    [VYRE_PSET_SETOFF] = (uint64_t)a->nsets + 1,
	    [VYRE_PSET_IDS] = nids,
	    [VYRE_PSET_PARENT] = a->nsets,
	    [VYRE_PSET_FIRST] = a->nsets,
	};
	for (uint32_t t = VYRE_PSET_DENSE; t <= VYRE_PSET_FIRST; t++)
		at += len[t];
	/*
	 * Over the region's cap, fewer dense rows: every state also has its
	 * sparse children and failure link, so a row is only a shortcut, and
	 * state 0's row alone ends every failure chain. 100,000 tokens of the
	 * C headers (750,582 states) need 17 MiB with 4 MiB of rows.
	 */
	if (at * 4 > VYRE_JOB_DATA_MAX) {
		uint64_t rest = at - len[VYRE_PSET_DENSE];
		uint64_t rows = rest * 4 < VYRE_JOB_DATA_MAX
				    ? (VYRE_JOB_DATA_MAX / 4 - rest) / a->nclasses
				    : 0;

		if (!rows || a->dfa) /* a DFA's rows are no shortcut */
			return -E2BIG;
		ndense = (uint32_t)(rows < ndense ? rows : ndense);
		len[VYRE_PSET_DENSE] = (uint64_t)ndense * a->nclasses;
	}
	at = VYRE_PSET_HDR_WORDS + eol;
	for (uint32_t t = VYRE_PSET_DENSE; t <= VYRE_PSET_FIRST; t++) {
		off[t] = at;
		at += len[t];
	}
	w = calloc(at, 4);
	if (!w)
		return -ENOMEM;
	w[VYRE_PSET_ENGINE] = VYRE_ENGINE_AHO;
	w[VYRE_PSET_NPATTERNS] = a->npatterns;
	w[VYRE_PSET_NCLASSES] = a->nclasses;
	w[VYRE_PSET_NSTATES] = a->nstates;
	w[VYRE_PSET_NDENSE] = ndense;
	w[VYRE_PSET_NSETS] = a->nsets;
	w[VYRE_PSET_EOL] = eol ? VYRE_PSET_HDR_WORDS : 0;
	for (uint64_t s = 0; s < eol; s++)
		w[VYRE_PSET_HDR_WORDS + s] = a->eol[s];
	for (uint32_t t = VYRE_PSET_DENSE; t <= VYRE_PSET_FIRST; t++)
		w[t] = (uint32_t)off[t];
	for (uint32_t b = 0; b < 256; b++)
		w[VYRE_PSET_CLASSES + b / 4] |= (uint32_t)a->classes[b] << (b % 4 * 8);
	for (uint64_t i = 0; i < len[VYRE_PSET_DENSE]; i++)
		w[off[VYRE_PSET_DENSE] + i] = a->dense[i];
	for (uint32_t s = 0; s <= a->nstates; s++)
		w[off[VYRE_PSET_CHILD] + s] = a->child[s];
	for (uint32_t s = 0; s < a->nstates; s++) {
		w[off[VYRE_PSET_LABEL] + s / 4] |= (uint32_t)(s ? a->label[s] : 0) << (s % 4 * 8);
		w[off[VYRE_PSET_FAIL] + s] = a->fail[s];
		w[off[VYRE_PSET_ACC] + s] = a->acc[s];
	}
	for (uint32_t k = 0; k <= a->nsets; k++)
		w[off[VYRE_PSET_SETOFF] + k] = a->setoff[k];
	for (uint32_t i = 0; i < nids; i++)
		w[off[VYRE_PSET_IDS] + i] = a->ids[i];
	for (uint32_t k = 0; k < a->nsets; k++) {
		w[off[VYRE_PSET_PARENT] + k] = a->parent[k];
		w[off[VYRE_PSET_FIRST] + k] = a->first[k];
	}
	*words = w;
	*nwords = (uint32_t)at;
	return 0;
}

int grep_layout_ac(struct pump_job *j, const struct pump_ac *a)
{
	uint32_t *w, n;
	int ret = grep_pset_layout(a, &w, &n);

	if (ret)
		return ret;
	j->data = (uint8_t *)w;
	j->data_len = n * 4;
	return 0;
}

/*
 * The words after a region's header: its tables end where the last one
 * (first[nsets]) ends. A copy (a packed job's file run alone) is checked
 * against that, the tables themselves were checked when laid out.
 */
int grep_pset_words(const uint32_t *w, uint32_t len, uint64_t *words)
{
	if (len < VYRE_PSET_HDR_WORDS * 4 || (len & 3) || w[VYRE_PSET_ENGINE] != VYRE_ENGINE_AHO ||
	    !w[VYRE_PSET_NSTATES] || w[VYRE_PSET_NSTATES] > VYRE_AC_STATES_MAX)
		return -EINVAL;
	*words = (uint64_t)w[VYRE_PSET_FIRST] + w[VYRE_PSET_NSETS];
	return *words * 4 == len ? 0 : -EINVAL;
}
