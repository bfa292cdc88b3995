// SPDX-License-Identifier: MIT
/*
 * grep's DFA in the job's data region (VYRE_DFA_* words, abi/vyre_abi.h):
 * laid out from the compiler's, or copied from a packed job's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grep_priv.h"

static uint32_t dfa_bits_words(uint32_t nstates)
{
	return (nstates + 31) / 32;
}

/*
 * On Aho-Corasick (grep_pset.c) a line that entered an accepting state is
 * in state nstates, the one state that accepts and the one sink: the
 * shader steps every other state on (shaders/ops/grep_ac.glsl).
 */
bool grep_dfa_bit(const struct pump_job *j, bool sink, uint32_t s)
{
	const uint32_t *w = (const uint32_t *)j->data;
	uint32_t base;

	if (w[VYRE_PSET_ENGINE] == VYRE_ENGINE_AHO && (grep_flags(j) & PUMP_GREP_PSET))
		return !sink && (s & VYRE_AC_MATCHED); /* per_pattern: no sink (grep_ac.glsl) */
	if (w[VYRE_PSET_ENGINE] == VYRE_ENGINE_AHO)
		return s == w[VYRE_PSET_NSTATES];
	/* the bit-parallel engine: bit 0 matched (the sink), bit 1 selected here (vyre_abi.h) */
	if (w[VYRE_SHIFT_ENGINE] == VYRE_ENGINE_SHIFT && (grep_flags(j) & PUMP_GREP_PSET))
		return !sink && (s & VYRE_SHIFT_ST_ACCEPT); /* per_pattern: no sink */
	if (w[VYRE_SHIFT_ENGINE] == VYRE_ENGINE_SHIFT)
		return s & (sink ? VYRE_SHIFT_ST_MATCHED : VYRE_SHIFT_ST_ACCEPT);
	base = VYRE_DFA_HDR_WORDS + (sink ? dfa_bits_words(w[VYRE_DFA_NSTATES]) : 0);
	return (w[base + s / 32] >> (s % 32)) & 1;
}

bool grep_selected(const struct pump_job *j, uint32_t state)
{
	return grep_dfa_bit(j, false, state) != !!(grep_flags(j) & PUMP_GREP_INVERT);
}

/*
 * Checks the compiler's DFA and lays it out as VYRE_DFA_* words, malloc'd
 * into *out (the caller's): a job's data region (grep_layout), or a spread
 * job's, laid out once for every span to copy (grep.c's share hook).
 */
int grep_dfa_layout(const struct pump_dfa *d, uint32_t **out, uint32_t *nwords)
{
	uint32_t bits, words;
	uint64_t total;
	uint32_t *w;

	if (!d || !d->nstates || d->nstates > VYRE_DFA_STATES_MAX || !d->nclasses || d->nclasses > 256 ||
	    d->start >= d->nstates || !d->classes || !d->next || !d->accept || !d->sink)
		return -EINVAL;
	bits = dfa_bits_words(d->nstates);
	total = VYRE_DFA_HDR_WORDS + 2ull * bits + (uint64_t)d->nstates * d->nclasses;
	if (total * 4 > VYRE_JOB_DATA_MAX)
		return -E2BIG;
	words = (uint32_t)total;
	w = calloc(words, 4);
	if (!w)
		return -ENOMEM;
	w[VYRE_DFA_NSTATES] = d->nstates;
	w[VYRE_DFA_NCLASSES] = d->nclasses;
	w[VYRE_DFA_START] = d->start;
	for (uint32_t b = 0; b < 256; b++) {
		if (d->classes[b] >= d->nclasses)
			goto out_inval;
		w[VYRE_DFA_CLASSES + b / 4] |= (uint32_t)d->classes[b] << (b % 4 * 8);
	}
	for (uint32_t s = 0; s < d->nstates; s++) {
		if (d->accept[s])
			w[VYRE_DFA_HDR_WORDS + s / 32] |= 1u << (s % 32);
		if (d->sink[s])
			w[VYRE_DFA_HDR_WORDS + bits + s / 32] |= 1u << (s % 32);
	}
	uint32_t *next = w + VYRE_DFA_HDR_WORDS + 2 * bits;
	for (uint64_t i = 0; i < (uint64_t)d->nstates * d->nclasses; i++) {
		if (d->next[i] >= d->nstates)
			goto out_inval;
		next[i] = d->next[i];
	}
	*out = w;
	*nwords = words;
	return 0;
out_inval:
	free(w);
	return -EINVAL;
}

int grep_layout(struct pump_job *j, const struct pump_dfa *d)
{
	uint32_t *w, words;
	int ret = grep_dfa_layout(d, &w, &words);

	if (ret)
		return ret;
	j->data = (uint8_t *)w;
	j->data_len = words * 4;
	return 0;
}

/*
 * A DFA already laid out (a packed job's, for one of its files run alone):
 * copied after a check of its header against its length.
 */
int grep_copy(struct pump_job *j, const void *data, uint32_t len)
{
	const uint32_t *w = data;
	uint64_t words;

	if (len < VYRE_DFA_HDR_WORDS * 4 || (len & 3))
		return -EINVAL;
	if (w[VYRE_PSET_ENGINE] == VYRE_ENGINE_AHO) {
		if (grep_pset_words(w, len, &words))
			return -EINVAL;
		goto copy;
	}
	if (w[VYRE_SHIFT_ENGINE] == VYRE_ENGINE_SHIFT) {
		if (grep_shift_words(w, len))
			return -EINVAL;
		if (grep_shift_fits(w, pump_is_cpu(j->p)))
			return -E2BIG;
		goto copy;
	}
	if (!w[VYRE_DFA_NSTATES] || w[VYRE_DFA_NSTATES] > VYRE_DFA_STATES_MAX || !w[VYRE_DFA_NCLASSES] ||
	    w[VYRE_DFA_NCLASSES] > 256 || w[VYRE_DFA_START] >= w[VYRE_DFA_NSTATES])
		return -EINVAL;
	words = VYRE_DFA_HDR_WORDS + 2ull * dfa_bits_words(w[VYRE_DFA_NSTATES]) +
		(uint64_t)w[VYRE_DFA_NSTATES] * w[VYRE_DFA_NCLASSES];
	if (words * 4 != len)
		return -EINVAL;
copy:
	j->data = malloc(len);
	if (!j->data)
		return -ENOMEM;
	memcpy(j->data, data, len);
	j->data_len = len;
	return 0;
}
