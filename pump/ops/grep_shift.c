// SPDX-License-Identifier: MIT
/*
 * A pattern set on the bit-parallel engine (pump.h struct pump_shift)
 * laid out as VYRE_SHIFT_* words (abi/vyre_abi.h), what
 * shaders/ops/grep_shift.glsl reads. Everything the shader follows is
 * checked here, once on the host: it indexes exc_off by the bits of
 * exc_src, and the vector by exc_to and fword, without bounds checks.
 * A shifted word is checked against the vector's length in the shader (a
 * mask bit past npos lands in the last word's unused bits, which no
 * byclass word has, or past it and is dropped).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grep_priv.h"

/* Bits at or past npos in the last word of an nwords vector. */
static uint32_t sh_tail_bits(uint32_t npos)
{
	return npos % 32 ? ~((1u << (npos % 32)) - 1) : 0;
}

static int sh_check(const struct pump_shift *s)
{
	uint32_t nw = s->nwords, tail = sh_tail_bits(s->npos);

	if (s->npos > VYRE_SHIFT_WORDS_MAX * 32 || nw != (s->npos + 31) / 32 || !s->nclasses ||
	    s->nclasses > 256 || s->ndist > VYRE_SHIFT_DIST_MAX || !s->classes || !s->byclass ||
	    (s->ndist && (!s->dist || !s->mask)) || !s->first || !s->first_bol || !s->last ||
	    !s->last_eol || !s->exc_src || !s->exc_off || (s->nexc && !s->exc_to) || !s->owner ||
	    (s->npatterns && !s->flags))
		return -EINVAL;
	if (!grep_classes_below(s->classes, s->nclasses))
		return -EINVAL;
	for (uint32_t k = 0; k < s->ndist; k++)
		if (s->dist[k] <= -(int32_t)(VYRE_SHIFT_WORDS_MAX * 32) ||
		    s->dist[k] >= (int32_t)(VYRE_SHIFT_WORDS_MAX * 32))
			return -EINVAL;
	/* exception sources index exc_off: only positions that exist */
	if (nw && (s->exc_src[nw - 1] & tail))
		return -EINVAL;
	if (s->exc_off[0] != 0 || s->exc_off[s->npos] != s->nexc)
		return -EINVAL;
	for (uint32_t p = 0; p < s->npos; p++)
		if (s->exc_off[p + 1] < s->exc_off[p] || s->owner[p] >= s->npatterns)
			return -EINVAL;
	return grep_all_below(s->exc_to, s->nexc, s->npos) ? 0 : -EINVAL;
}

/*
 * What grep_shift.glsl charges a byte when every word is live: its loop,
 * each word's shifts (the most a word has, kmax), the words a class
 * starts (fmax) and the exceptions' words and edges.
 */
static uint64_t sh_worst(uint64_t nw, uint64_t kmax, uint64_t fmax, uint64_t nexc)
{
	return 4 + nw * (6 + kmax) + fmax + (nexc ? 2 * nw + 3 * nexc : 0);
}

/*
 * per_pattern=1's records at a line's start and end: *alw patterns match
 * every line, *emp an empty one, *eol positions end in '$'; *last (when
 * asked) the last pattern among them, UINT32_MAX for none.
 */
static void sh_fixed(const struct pump_shift *s, uint32_t *alw, uint32_t *emp, uint32_t *eol,
		     uint32_t *last)
{
	uint32_t top = UINT32_MAX;

	*alw = *emp = *eol = 0;
	for (uint32_t i = 0; i < s->npatterns; i++) {
		*alw += !!(s->flags[i] & PUMP_SHIFT_ALWAYS);
		*emp += !!(s->flags[i] & PUMP_SHIFT_EMPTY_LINE);
		if (s->flags[i] & (PUMP_SHIFT_ALWAYS | PUMP_SHIFT_EMPTY_LINE))
			top = i;
	}
	for (uint32_t p = 0; p < s->npos; p++) {
		if (!((s->last_eol[p / 32] >> (p % 32)) & 1))
			continue;
		(*eol)++;
		if (top == UINT32_MAX || s->owner[p] > top)
			top = s->owner[p];
	}
	if (last)
		*last = top;
}

int grep_shift_layout(const struct pump_shift *s, uint32_t **words, uint32_t *nwords)
{
	uint32_t nw = s->nwords, *w;
	uint64_t at = VYRE_SHIFT_HDR_WORDS, off[VYRE_SHIFT_TABLE_LAST + 1] = {0}, nf = 0, nk = 0;
	uint32_t start = 0, nalw = 0, nemp = 0, neol = 0;
	int ret = sh_check(s);

	if (ret)
		return ret;
	/* per_pattern=1's fixed records: the patterns of a line's start and end */
	sh_fixed(s, &nalw, &nemp, &neol, NULL);
	/* per class, the words of its first positions: what a byte of it starts */
	for (uint32_t c = 0; c < s->nclasses; c++)
		for (uint32_t i = 0; i < nw; i++)
			nf += ((s->first[i] | s->first_bol[i]) & s->byclass[(size_t)c * nw + i]) != 0;
	/* per word, the shifts it has edges on: a live word tries those alone */
	for (uint32_t k = 0; k < s->ndist; k++)
		for (uint32_t i = 0; i < nw; i++)
			nk += s->mask[(size_t)k * nw + i] != 0;
	const uint64_t len[VYRE_SHIFT_TABLE_LAST + 1] = {
	    [VYRE_SHIFT_BYCLASS] = (uint64_t)s->nclasses * nw,
	    [VYRE_SHIFT_DIST] = s->ndist,
	    [VYRE_SHIFT_MASK] = (uint64_t)s->ndist * nw,
	    [VYRE_SHIFT_FIRST] = nw,
	    [VYRE_SHIFT_FIRST_BOL] = nw,
	    [VYRE_SHIFT_LAST] = nw,
	    [VYRE_SHIFT_LAST_EOL] = nw,
	    [VYRE_SHIFT_EXC_SRC] = nw,
	    [VYRE_SHIFT_EXC_OFF] = (uint64_t)s->npos + 1,
	    [VYRE_SHIFT_EXC_TO] = s->nexc,
	    [VYRE_SHIFT_OWNER] = s->npos,
	    [VYRE_SHIFT_FOFF] = (uint64_t)s->nclasses + 1,
	    [VYRE_SHIFT_FWORD] = nf,
	    [VYRE_SHIFT_WDOFF] = (uint64_t)nw + 1,
	    [VYRE_SHIFT_WDK] = nk,
	    [VYRE_SHIFT_ALW] = nalw,
	    [VYRE_SHIFT_EMP] = nemp,
	};
	for (uint32_t t = VYRE_SHIFT_BYCLASS; t <= VYRE_SHIFT_TABLE_LAST; t++) {
		off[t] = at;
		at += len[t];
	}
	if (at * 4 > VYRE_JOB_DATA_MAX)
		return -E2BIG;
	for (uint32_t i = 0; i < s->npatterns; i++) {
		if (s->flags[i] & PUMP_SHIFT_ALWAYS)
			start = VYRE_SHIFT_ST_MATCHED | VYRE_SHIFT_ST_ACCEPT;
		else if ((s->flags[i] & PUMP_SHIFT_EMPTY_LINE) && !start)
			start = VYRE_SHIFT_ST_ACCEPT;
	}
	w = calloc(at, 4);
	if (!w)
		return -ENOMEM;
	w[VYRE_SHIFT_ENGINE] = VYRE_ENGINE_SHIFT;
	w[VYRE_SHIFT_NPATTERNS] = s->npatterns;
	w[VYRE_SHIFT_NCLASSES] = s->nclasses;
	w[VYRE_SHIFT_NPOS] = s->npos;
	w[VYRE_SHIFT_NWORDS] = nw;
	w[VYRE_SHIFT_NDIST] = s->ndist;
	w[VYRE_SHIFT_NEXC] = s->nexc;
	w[VYRE_SHIFT_START] = start;
	for (uint32_t t = VYRE_SHIFT_BYCLASS; t <= VYRE_SHIFT_TABLE_LAST; t++)
		w[t] = (uint32_t)off[t];
	w[VYRE_SHIFT_NALW] = nalw;
	w[VYRE_SHIFT_NEMP] = nemp;
	w[VYRE_SHIFT_NEOL] = neol;
	nalw = nemp = 0;
	for (uint32_t i = 0; i < s->npatterns; i++) {
		if (s->flags[i] & PUMP_SHIFT_ALWAYS)
			w[off[VYRE_SHIFT_ALW] + nalw++] = i;
		if (s->flags[i] & PUMP_SHIFT_EMPTY_LINE)
			w[off[VYRE_SHIFT_EMP] + nemp++] = i;
	}
	w[VYRE_SHIFT_END] = (uint32_t)at;
	for (uint32_t b = 0; b < 256; b++)
		w[VYRE_SHIFT_CLASSES + b / 4] |= (uint32_t)s->classes[b] << (b % 4 * 8);
	memcpy(w + off[VYRE_SHIFT_BYCLASS], s->byclass, len[VYRE_SHIFT_BYCLASS] * 4);
	for (uint32_t k = 0; k < s->ndist; k++)
		w[off[VYRE_SHIFT_DIST] + k] = (uint32_t)s->dist[k];
	if (s->ndist)
		memcpy(w + off[VYRE_SHIFT_MASK], s->mask, len[VYRE_SHIFT_MASK] * 4);
	memcpy(w + off[VYRE_SHIFT_FIRST], s->first, nw * 4ull);
	memcpy(w + off[VYRE_SHIFT_FIRST_BOL], s->first_bol, nw * 4ull);
	memcpy(w + off[VYRE_SHIFT_LAST], s->last, nw * 4ull);
	memcpy(w + off[VYRE_SHIFT_LAST_EOL], s->last_eol, nw * 4ull);
	memcpy(w + off[VYRE_SHIFT_EXC_SRC], s->exc_src, nw * 4ull);
	memcpy(w + off[VYRE_SHIFT_EXC_OFF], s->exc_off, len[VYRE_SHIFT_EXC_OFF] * 4);
	if (s->nexc)
		memcpy(w + off[VYRE_SHIFT_EXC_TO], s->exc_to, s->nexc * 4ull);
	memcpy(w + off[VYRE_SHIFT_OWNER], s->owner, s->npos * 4ull);
	nf = 0;
	for (uint32_t c = 0; c < s->nclasses; c++) {
		w[off[VYRE_SHIFT_FOFF] + c] = (uint32_t)nf;
		for (uint32_t i = 0; i < nw; i++)
			if ((s->first[i] | s->first_bol[i]) & s->byclass[(size_t)c * nw + i])
				w[off[VYRE_SHIFT_FWORD] + nf++] = i;
	}
	w[off[VYRE_SHIFT_FOFF] + s->nclasses] = (uint32_t)nf;
	nk = 0;
	for (uint32_t i = 0; i < nw; i++) {
		w[off[VYRE_SHIFT_WDOFF] + i] = (uint32_t)nk;
		for (uint32_t k = 0; k < s->ndist; k++)
			if (s->mask[(size_t)k * nw + i])
				w[off[VYRE_SHIFT_WDK] + nk++] = k;
	}
	w[off[VYRE_SHIFT_WDOFF] + nw] = (uint32_t)nk;
	uint64_t kmax = 0, fmax = 0, worst;
	for (uint32_t i = 0; i < nw; i++) {
		uint64_t k = w[off[VYRE_SHIFT_WDOFF] + i + 1] - w[off[VYRE_SHIFT_WDOFF] + i];
		kmax = k > kmax ? k : kmax;
	}
	for (uint32_t c = 0; c < s->nclasses; c++) {
		uint64_t f = w[off[VYRE_SHIFT_FOFF] + c + 1] - w[off[VYRE_SHIFT_FOFF] + c];
		fmax = f > fmax ? f : fmax;
	}
	worst = sh_worst(nw, kmax, fmax, s->nexc);
	w[VYRE_SHIFT_KMAX] = (uint32_t)kmax;
	w[VYRE_SHIFT_FMAX] = (uint32_t)fmax;
	w[VYRE_SHIFT_WORST] = worst > UINT32_MAX ? UINT32_MAX : (uint32_t)worst;
	*words = w;
	*nwords = (uint32_t)at;
	return 0;
}

/*
 * On a CPU device one byte must fit lavapipe's loop cap (ARCHITECTURE.md,
 * "Platform facts", fact 6) beside a continuation's budget and its
 * vector's load and save (grep_priv.h GREP_SHIFT_WORST_CPU): a set whose
 * byte can cost more is refused there, E2BIG, never cut short.
 */
int grep_shift_fits(const uint32_t *w, bool cpu)
{
	return cpu && w[VYRE_SHIFT_WORST] > GREP_SHIFT_WORST_CPU ? -E2BIG : 0;
}

/*
 * grep_shift_fits' bound asked before a job exists, so the compile names
 * the pattern (fs/grep.c): the cost of the vector's first i + 1 words,
 * counted as grep_shift_layout counts all of them, grows with i; the
 * first prefix over the cap names the last pattern it holds. The whole
 * vector is the last prefix, so this refuses exactly what
 * grep_shift_fits would at submit.
 */
int pump_shift_cpu_fits(const struct pump_shift *s, uint32_t *pattern, uint64_t *cost)
{
	uint64_t kmax = 0, fmax = 0, *fcount;
	uint32_t nw = s->nwords, top = 0;
	int ret = sh_check(s);

	*pattern = UINT32_MAX;
	*cost = 0;
	if (ret)
		return ret;
	fcount = calloc(s->nclasses, sizeof(*fcount));
	if (!fcount)
		return -ENOMEM;
	for (uint32_t i = 0; i < nw && !ret; i++) {
		uint64_t k = 0, end = (uint64_t)i * 32 + 32 < s->npos ? (uint64_t)i * 32 + 32 : s->npos;

		for (uint32_t d = 0; d < s->ndist; d++)
			k += s->mask[(size_t)d * nw + i] != 0;
		kmax = k > kmax ? k : kmax;
		for (uint32_t c = 0; c < s->nclasses; c++) {
			fcount[c] += ((s->first[i] | s->first_bol[i]) & s->byclass[(size_t)c * nw + i]) != 0;
			fmax = fcount[c] > fmax ? fcount[c] : fmax;
		}
		for (uint64_t p = (uint64_t)i * 32; p < end; p++)
			top = s->owner[p] > top ? s->owner[p] : top;
		*cost = sh_worst(i + 1ull, kmax, fmax, s->exc_off[end]);
		if (*cost > GREP_SHIFT_WORST_CPU) {
			*pattern = top;
			ret = -E2BIG;
		}
	}
	free(fcount);
	return ret;
}

/*
 * per_pattern=1: what a line takes at its start (every ALWAYS pattern) and
 * its end (an empty line's patterns, or a record for each position of
 * last_eol) must fit a line's records beside a byte's, whatever the
 * chunk (grep_shift.glsl keeps that room): over VYRE_SHIFT_PSET_FIXED_MAX,
 * -E2BIG and *pattern the last pattern counted.
 */
int pump_shift_pset_fits(const struct pump_shift *s, uint32_t *pattern)
{
	uint32_t alw, emp, eol;

	sh_fixed(s, &alw, &emp, &eol, pattern);
	return (uint64_t)alw + (emp > eol ? emp : eol) > VYRE_SHIFT_PSET_FIXED_MAX ? -E2BIG : 0;
}

int grep_layout_shift(struct pump_job *j, const struct pump_shift *s)
{
	uint32_t *w, n, pattern;
	int ret;

	if ((grep_flags(j) & PUMP_GREP_PSET) && pump_shift_pset_fits(s, &pattern))
		return -E2BIG;
	ret = grep_shift_layout(s, &w, &n);
	if (ret)
		return ret;
	ret = grep_shift_fits(w, pump_is_cpu(j->p));
	if (ret) {
		free(w);
		return ret;
	}
	j->data = (uint8_t *)w;
	j->data_len = n * 4;
	return 0;
}

/*
 * A region laid out above, copied (a span of a spread job): its header
 * against its length. The tables were checked when laid out.
 */
int grep_shift_words(const uint32_t *w, uint32_t len)
{
	uint32_t nw;

	if (len < VYRE_SHIFT_HDR_WORDS * 4 || (len & 3) || w[VYRE_SHIFT_ENGINE] != VYRE_ENGINE_SHIFT)
		return -EINVAL;
	nw = w[VYRE_SHIFT_NWORDS];
	if (nw > VYRE_SHIFT_WORDS_MAX || nw != (w[VYRE_SHIFT_NPOS] + 31) / 32 ||
	    (uint64_t)w[VYRE_SHIFT_END] * 4 != len)
		return -EINVAL;
	return 0;
}

/* The job's state vector words, or 0 when its region is not this engine's. */
uint32_t grep_shift_nwords(const struct pump_job *j)
{
	const uint32_t *w = (const uint32_t *)j->data;

	if (!w || j->data_len < VYRE_SHIFT_HDR_WORDS * 4 || w[VYRE_SHIFT_ENGINE] != VYRE_ENGINE_SHIFT)
		return 0;
	return w[VYRE_SHIFT_NWORDS];
}

/*
 * A continuation's state with a vector the next hop needs (vyre_abi.h
 * VYRE_SHIFT_ST_*): bit 2, and not the matched sink, which per_pattern=1
 * has none of (its bit 0 says only that the line matched: grep_shift.glsl).
 */
bool grep_shift_live(const struct pump_job *j, uint32_t state)
{
	return grep_shift_nwords(j) && (state & VYRE_SHIFT_ST_VECTOR) &&
	       (!(state & VYRE_SHIFT_ST_MATCHED) || (grep_flags(j) & PUMP_GREP_PSET));
}

/* The hash a continuation puts in its state's bits 3-31 (vyre_abi.h VYRE_SHIFT_HASH). */
uint32_t grep_shift_hash(uint32_t seq, const uint32_t *v, uint32_t n)
{
	uint32_t h = VYRE_SHIFT_HASH_SEED(VYRE_GO_TAG(seq));

	for (uint32_t i = 0; i < n; i++)
		h = VYRE_SHIFT_HASH(h, v[i]);
	return h << VYRE_SHIFT_ST_BITS >> VYRE_SHIFT_ST_BITS;
}
