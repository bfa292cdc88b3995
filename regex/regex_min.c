// SPDX-License-Identifier: MIT
/*
 * regex_min.c - Hopcroft's minimization of the line DFA, then the merging
 * of byte classes whose columns became equal, then the sink flags.
 *
 * Hopcroft rather than Moore: Moore needs one pass per distinguishing
 * length, and x{30000} has a 30,000-state chain (30,000 passes over the
 * table); Hopcroft is O(n k log n). The '\n' class is left out of the
 * refinement: it sends every state to the start, so it splits nothing.
 * The partition is an array of states in which each block is a range;
 * splitting by a splitter moves the block's predecessors to its front.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

struct rmin {
	uint32_t n, k;
	uint32_t *inv_off, *inv; /* predecessors of t on class c: inv[inv_off[c*n+t]..] */
	uint32_t *elems, *loc, *blk;
	uint32_t *first, *end, *mark;
	uint8_t *inw;
	uint32_t *work, nwork;
	uint32_t *touched, *tmp;
	uint32_t nblocks;
};

static int rmin_inverse(struct rmin *r, const struct regex_dfa *d, uint32_t newline)
{
	size_t cells = (size_t)r->n * r->k;

	r->inv_off = calloc(cells + 1, sizeof(*r->inv_off));
	r->inv = malloc((cells ? cells : 1) * sizeof(*r->inv));
	if (!r->inv_off || !r->inv)
		return -ENOMEM;
	for (uint32_t s = 0; s < r->n; s++)
		for (uint32_t c = 0; c < r->k; c++)
			if (c != newline)
				r->inv_off[(size_t)c * r->n + d->next[(size_t)s * r->k + c] + 1]++;
	for (size_t i = 0; i < cells; i++)
		r->inv_off[i + 1] += r->inv_off[i];
	for (uint32_t s = 0; s < r->n; s++)
		for (uint32_t c = 0; c < r->k; c++)
			if (c != newline)
				r->inv[r->inv_off[(size_t)c * r->n +
						  d->next[(size_t)s * r->k + c]]++] = s;
	for (size_t i = cells; i > 0; i--)
		r->inv_off[i] = r->inv_off[i - 1];
	r->inv_off[0] = 0;
	return 0;
}

static void rmin_push(struct rmin *r, uint32_t b)
{
	r->inw[b] = 1;
	r->work[r->nwork++] = b;
}

static void rmin_split(struct rmin *r, uint32_t b)
{
	uint32_t nb = r->nblocks++;

	r->first[nb] = r->first[b];
	r->end[nb] = r->first[b] + r->mark[b];
	r->mark[nb] = 0;
	r->first[b] = r->end[nb];
	r->mark[b] = 0;
	for (uint32_t i = r->first[nb]; i < r->end[nb]; i++)
		r->blk[r->elems[i]] = nb;
	if (r->inw[b])
		rmin_push(r, nb);
	else if (r->end[nb] - r->first[nb] <= r->end[b] - r->first[b])
		rmin_push(r, nb);
	else
		rmin_push(r, b);
}

/* Returns -ETIMEDOUT once the steps, one per predecessor looked at, spend the budget. */
static int rmin_refine(struct rmin *r, uint32_t newline, struct rwork *w)
{
	while (r->nwork) {
		uint32_t a = r->work[--r->nwork], na = 0;
		uint64_t steps = 0;

		r->inw[a] = 0;
		for (uint32_t i = r->first[a]; i < r->end[a]; i++)
			r->tmp[na++] = r->elems[i];
		for (uint32_t c = 0; c < r->k; c++) {
			uint32_t nt = 0;

			if (c == newline)
				continue;
			for (uint32_t i = 0; i < na; i++) {
				size_t cell = (size_t)c * r->n + r->tmp[i];

				steps += 1 + r->inv_off[cell + 1] - r->inv_off[cell];
				for (uint32_t j = r->inv_off[cell]; j < r->inv_off[cell + 1]; j++) {
					uint32_t p = r->inv[j], b = r->blk[p];
					uint32_t to = r->first[b] + r->mark[b];

					if (r->loc[p] < to)
						continue; /* already marked */
					uint32_t q = r->elems[to];
					r->elems[to] = p;
					r->elems[r->loc[p]] = q;
					r->loc[q] = r->loc[p];
					r->loc[p] = to;
					if (r->mark[b]++ == 0)
						r->touched[nt++] = b;
				}
			}
			for (uint32_t i = 0; i < nt; i++) {
				uint32_t b = r->touched[i];

				if (r->mark[b] == r->end[b] - r->first[b])
					r->mark[b] = 0;
				else
					rmin_split(r, b);
			}
		}
		if (rwork_spend(w, steps))
			return -ETIMEDOUT;
	}
	return 0;
}

static uint64_t rmin_column_hash(const struct regex_dfa *d, uint32_t c)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint32_t s = 0; s < d->nstates; s++) {
		h ^= d->next[(size_t)s * d->nclasses + c];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Merges classes (never '\n') whose columns are equal, found by hash then compared. */
static int rmin_merge_classes(struct regex_dfa *d, uint32_t newline)
{
	uint32_t n = d->nstates, k = d->nclasses;
	uint64_t hash[256];
	int16_t map[256];
	uint32_t rep[256], nk = 0;

	for (uint32_t c = 0; c < k; c++)
		hash[c] = rmin_column_hash(d, c);
	for (uint32_t c = 0; c < k; c++) {
		map[c] = -1;
		for (uint32_t o = 0; c != newline && o < nk && map[c] < 0; o++) {
			uint32_t r = rep[o], s;

			if (r == newline || hash[r] != hash[c])
				continue;
			for (s = 0; s < n; s++)
				if (d->next[(size_t)s * k + c] != d->next[(size_t)s * k + r])
					break;
			if (s == n)
				map[c] = (int16_t)o;
		}
		if (map[c] < 0) {
			rep[nk] = c;
			map[c] = (int16_t)nk++;
		}
	}
	if (nk == k)
		return 0;
	uint32_t *next = malloc((size_t)n * nk * sizeof(*next));
	if (!next)
		return -ENOMEM;
	for (uint32_t s = 0; s < n; s++)
		for (uint32_t o = 0; o < nk; o++)
			next[(size_t)s * nk + o] = d->next[(size_t)s * k + rep[o]];
	for (int b = 0; b < 256; b++)
		d->classes[b] = (uint8_t)map[d->classes[b]];
	free(d->next);
	d->next = next;
	d->nclasses = nk;
	return 0;
}

static int rmin_rebuild(struct rmin *r, struct regex_dfa *d, uint32_t *label)
{
	uint32_t *id = malloc((size_t)r->nblocks * sizeof(*id));
	uint32_t *next = malloc((size_t)r->nblocks * r->k * sizeof(*next));
	uint8_t *acc = malloc(r->nblocks);
	uint32_t nn = 0;

	if (!id || !next || !acc) {
		free(id);
		free(next);
		free(acc);
		return -ENOMEM;
	}
	for (uint32_t b = 0; b < r->nblocks; b++)
		id[b] = UINT32_MAX;
	/* numbering by first state keeps the start (state 0) at 0 */
	for (uint32_t s = 0; s < r->n; s++) {
		uint32_t b = r->blk[s];

		if (id[b] != UINT32_MAX)
			continue;
		id[b] = nn++;
	}
	for (uint32_t s = 0; s < r->n; s++) {
		uint32_t ns = id[r->blk[s]];

		acc[ns] = d->accept[s];
		if (label)
			label[ns] = label[s]; /* ns <= s: numbered by first state */
		for (uint32_t c = 0; c < r->k; c++)
			next[(size_t)ns * r->k + c] = id[r->blk[d->next[(size_t)s * r->k + c]]];
	}
	free(id);
	free(d->next);
	free(d->accept);
	d->next = next;
	d->accept = acc;
	d->nstates = nn;
	return 0;
}

/*
 * The initial blocks: states of one label each (label[s], or the accept
 * bit), in label order, every block on the work list. Returns -ENOMEM.
 */
static int rmin_blocks(struct rmin *r, const struct regex_dfa *d, const uint32_t *label)
{
	uint32_t max = 0, *at;

	for (uint32_t s = 0; s < r->n; s++) {
		uint32_t l = label ? label[s] : d->accept[s];

		max = l > max ? l : max;
	}
	at = calloc((size_t)max + 2, sizeof(*at));
	if (!at)
		return -ENOMEM;
	for (uint32_t s = 0; s < r->n; s++)
		at[(label ? label[s] : d->accept[s]) + 1]++;
	r->nblocks = 0;
	for (uint32_t l = 0; l <= max; l++) {
		at[l + 1] += at[l]; /* at[l]: label l's first place; at[l + 1]: past its last */
		if (at[l + 1] > at[l]) {
			r->first[r->nblocks] = at[l];
			r->end[r->nblocks] = at[l + 1];
			r->nblocks++;
		}
	}
	/* at[l]: where label l's next state goes */
	for (uint32_t s = 0; s < r->n; s++) {
		uint32_t l = label ? label[s] : d->accept[s], pos = at[l]++;

		r->elems[pos] = s;
		r->loc[s] = pos;
	}
	for (uint32_t b = 0; b < r->nblocks; b++) {
		for (uint32_t i = r->first[b]; i < r->end[b]; i++)
			r->blk[r->elems[i]] = b;
		r->mark[b] = 0;
		rmin_push(r, b);
	}
	free(at);
	return 0;
}

int rmin_minimize(struct regex_dfa *d, uint32_t *label, uint32_t newline, struct rwork *w,
		  struct rerr *e)
{
	struct rmin r = {.n = d->nstates, .k = d->nclasses};
	int ret = -ENOMEM;

	/* the inverse, the rebuild, the class merge and the sink flags: a few passes over the table
	 */
	if (rwork_spend(w, 6 * (uint64_t)r.n * r.k))
		return rwork_fail(e, w);
	r.elems = malloc((size_t)r.n * sizeof(*r.elems));
	r.loc = malloc((size_t)r.n * sizeof(*r.loc));
	r.blk = malloc((size_t)r.n * sizeof(*r.blk));
	r.first = malloc((size_t)r.n * sizeof(*r.first));
	r.end = malloc((size_t)r.n * sizeof(*r.end));
	r.mark = calloc(r.n, sizeof(*r.mark));
	r.inw = calloc(r.n, 1);
	r.work = malloc((size_t)r.n * sizeof(*r.work));
	r.touched = malloc((size_t)r.n * sizeof(*r.touched));
	r.tmp = malloc((size_t)r.n * sizeof(*r.tmp));
	if (!r.elems || !r.loc || !r.blk || !r.first || !r.end || !r.mark || !r.inw || !r.work ||
	    !r.touched || !r.tmp)
		goto out_free;
	ret = rmin_inverse(&r, d, newline);
	if (ret)
		goto out_free;
	ret = rmin_blocks(&r, d, label);
	if (ret)
		goto out_free;
	ret = rmin_refine(&r, newline, w);
	if (ret) {
		rwork_fail(e, w);
		goto out_free;
	}
	ret = rmin_rebuild(&r, d, label);
	if (ret)
		goto out_free;
	ret = rmin_merge_classes(d, newline);
	if (ret)
		goto out_free;
	uint32_t nl = d->classes['\n'];
	d->sink = malloc(d->nstates);
	if (!d->sink) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (uint32_t s = 0; s < d->nstates; s++) {
		d->sink[s] = 1;
		for (uint32_t c = 0; c < d->nclasses; c++)
			if (c != nl && d->next[(size_t)s * d->nclasses + c] != s)
				d->sink[s] = 0;
	}
out_free:
	free(r.inv_off);
	free(r.inv);
	free(r.elems);
	free(r.loc);
	free(r.blk);
	free(r.first);
	free(r.end);
	free(r.mark);
	free(r.inw);
	free(r.work);
	free(r.touched);
	free(r.tmp);
	return ret;
}
