// SPDX-License-Identifier: MIT
/*
 * regex_dfa.c - subset construction of the line DFA of `.*(P)`.
 *
 * A DFA state is the set of NFA states, after epsilon closure, that have a
 * byte edge, plus one bit: does the closure reach `final` through '$'
 * edges (accept at the end of the line). Every state but the start also
 * holds the closure of NFA state 0, since a match may begin at any byte;
 * only the start's closure may pass '^' edges. Once `final` is in a
 * closure the line has matched whatever follows: that set becomes the one
 * MATCHED state, which every byte keeps. States are counted as they are
 * made, so a blow-up such as (a|b)*a(a|b){20} stops at REGEX_STATES_MAX
 * (or the table or set-pool cap) before memory runs out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

#define RD_NONE UINT32_MAX

struct rd {
	const struct rnfa *m;
	const struct rclass *c;
	struct rerr *err;
	uint8_t *imp;	 /* NFA state has a byte edge */
	uint8_t *eolfin; /* NFA state reaches final by epsilon and '$' edges */
	uint32_t *stamp;
	uint32_t gen;
	uint32_t *stack;
	uint32_t *buf; /* the closure's byte-edge states */
	uint32_t nbuf;
	bool fin, acc;
	/* DFA states: set d is pool[soff[d]..soff[d]+slen[d]) */
	uint32_t n, cap;
	uint32_t *soff, *slen, *hash;
	uint8_t *acc_of;
	uint32_t *pool;
	size_t npool, pcap;
	uint32_t *next;
	uint32_t *slot; /* hash table of states: id + 1, 0 empty */
	uint32_t nslot;
	uint32_t matched, restart;
	/* per class, a list of NFA targets: head[cls] -> link chain over to[] */
	uint32_t *head, *link, *to;
	size_t nb, bcap;
};

static int rd_eolfin(struct rd *d)
{
	const struct rnfa *m = d->m;
	uint32_t *roff = calloc((size_t)m->nstates + 1, sizeof(*roff));
	uint32_t *rsrc = malloc(((size_t)m->ne + 1) * sizeof(*rsrc));
	uint32_t sp = 0;

	if (!roff || !rsrc) {
		free(roff);
		free(rsrc);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < m->ne; i++)
		if (m->e[i].label == RNFA_EPS || m->e[i].label == RNFA_EOL)
			roff[m->e[i].to + 1]++;
	for (uint32_t s = 0; s < m->nstates; s++)
		roff[s + 1] += roff[s];
	for (uint32_t i = 0; i < m->ne; i++)
		if (m->e[i].label == RNFA_EPS || m->e[i].label == RNFA_EOL)
			rsrc[roff[m->e[i].to]++] = m->e[i].from;
	for (uint32_t s = m->nstates; s > 0; s--)
		roff[s] = roff[s - 1];
	roff[0] = 0;
	d->eolfin[m->final] = 1;
	d->stack[sp++] = m->final;
	while (sp) {
		uint32_t s = d->stack[--sp];

		for (uint32_t k = roff[s]; k < roff[s + 1]; k++)
			if (!d->eolfin[rsrc[k]]) {
				d->eolfin[rsrc[k]] = 1;
				d->stack[sp++] = rsrc[k];
			}
	}
	free(roff);
	free(rsrc);
	return 0;
}

static void rd_push(struct rd *d, uint32_t *sp, uint32_t s)
{
	if (d->stamp[s] != d->gen) {
		d->stamp[s] = d->gen;
		d->stack[(*sp)++] = s;
	}
}

/* Closure of the stacked seeds over epsilon edges (and '^' edges when bol). */
static void rd_closure(struct rd *d, uint32_t sp, bool bol)
{
	const struct rnfa *m = d->m;

	d->nbuf = 0;
	d->fin = d->acc = false;
	while (sp) {
		uint32_t s = d->stack[--sp];

		d->fin |= s == m->final;
		d->acc |= d->eolfin[s];
		if (d->imp[s])
			d->buf[d->nbuf++] = s;
		for (uint32_t k = m->off[s]; k < m->coff[s]; k++) {
			uint32_t l = m->e[k].label;

			if (l == RNFA_EPS || (bol && l == RNFA_BOL))
				rd_push(d, &sp, m->e[k].to);
		}
	}
}

static int rd_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void rd_sort(uint32_t *v, uint32_t n)
{
	if (n > 24) {
		qsort(v, n, sizeof(*v), rd_cmp);
		return;
	}
	for (uint32_t i = 1; i < n; i++) {
		uint32_t x = v[i], j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static uint32_t rd_hash(const uint32_t *v, uint32_t n, bool acc)
{
	uint64_t h = 0xcbf29ce484222325ull ^ acc;

	for (uint32_t i = 0; i < n; i++) {
		h ^= v[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return (uint32_t)(h ^ h >> 32);
}

static int rd_grow_slots(struct rd *d)
{
	uint32_t nslot = d->nslot ? d->nslot * 2 : 1024;
	uint32_t *slot = calloc(nslot, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (uint32_t s = 0; s < d->n; s++) {
		if (s == d->matched)
			continue;
		uint32_t h = d->hash[s] & (nslot - 1);
		while (slot[h])
			h = (h + 1) & (nslot - 1);
		slot[h] = s + 1;
	}
	free(d->slot);
	d->slot = slot;
	d->nslot = nslot;
	return 0;
}

static int rd_new_state(struct rd *d, uint32_t *id)
{
	uint32_t k = d->c->n;

	if (d->n >= REGEX_STATES_MAX)
		return rerr_msg(d->err, -E2BIG,
				"the DFA needs more than %u states (REGEX_STATES_MAX): use a "
				"simpler pattern or fewer patterns",
				REGEX_STATES_MAX);
	if ((uint64_t)(d->n + 1) * k * 4 > REGEX_TABLE_MAX)
		return rerr_msg(d->err, -E2BIG,
				"the DFA table would exceed %u MiB (%u states of %u byte classes, "
				"REGEX_TABLE_MAX): use a simpler pattern or fewer patterns",
				REGEX_TABLE_MAX >> 20, d->n + 1, k);
	if (d->n == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 256;
		uint32_t *soff = realloc(d->soff, cap * sizeof(*soff));
		if (soff)
			d->soff = soff;
		uint32_t *slen = realloc(d->slen, cap * sizeof(*slen));
		if (slen)
			d->slen = slen;
		uint32_t *hash = realloc(d->hash, cap * sizeof(*hash));
		if (hash)
			d->hash = hash;
		uint8_t *acc = realloc(d->acc_of, cap);
		if (acc)
			d->acc_of = acc;
		uint32_t *next = realloc(d->next, (size_t)cap * k * sizeof(*next));
		if (next)
			d->next = next;
		if (!soff || !slen || !hash || !acc || !next)
			return -ENOMEM;
		d->cap = cap;
	}
	*id = d->n++;
	return 0;
}

static int rd_matched(struct rd *d, uint32_t *id)
{
	int ret;

	if (d->matched != RD_NONE) {
		*id = d->matched;
		return 0;
	}
	ret = rd_new_state(d, id);
	if (ret)
		return ret;
	d->matched = *id;
	d->soff[*id] = 0;
	d->slen[*id] = 0;
	d->hash[*id] = 0;
	d->acc_of[*id] = 1;
	for (uint32_t c = 0; c < d->c->n; c++)
		d->next[(size_t)*id * d->c->n + c] = c == d->c->newline ? 0 : *id;
	return 0;
}

/* The state of the closure in d->buf: found, or made and queued. */
static int rd_intern(struct rd *d, uint32_t *id)
{
	int ret;

	if (d->fin)
		return rd_matched(d, id);
	rd_sort(d->buf, d->nbuf);
	uint32_t h = rd_hash(d->buf, d->nbuf, d->acc);
	if ((d->n + 1) * 2 > d->nslot) {
		ret = rd_grow_slots(d);
		if (ret)
			return ret;
	}
	uint32_t i = h & (d->nslot - 1);
	for (; d->slot[i]; i = (i + 1) & (d->nslot - 1)) {
		uint32_t s = d->slot[i] - 1;

		if (d->hash[s] == h && d->slen[s] == d->nbuf && d->acc_of[s] == d->acc &&
		    (!d->nbuf ||
		     !memcmp(d->pool + d->soff[s], d->buf, d->nbuf * sizeof(*d->buf)))) {
			*id = s;
			return 0;
		}
	}
	if (d->npool + d->nbuf > REGEX_POOL_MAX)
		return rerr_msg(d->err, -E2BIG,
				"the patterns are too complex to determinize in %u MiB of NFA "
				"state sets (use a simpler pattern, e.g. smaller repetition "
				"counts, or fewer patterns)",
				(REGEX_POOL_MAX * 4) >> 20);
	if (d->npool + d->nbuf > d->pcap) {
		size_t cap = d->pcap ? d->pcap : 4096;

		while (cap < d->npool + d->nbuf)
			cap *= 2;
		uint32_t *pool = realloc(d->pool, cap * sizeof(*pool));
		if (!pool)
			return -ENOMEM;
		d->pool = pool;
		d->pcap = cap;
	}
	ret = rd_new_state(d, id);
	if (ret)
		return ret;
	if (d->nbuf) /* the pool may not exist yet: no NULL + 0 */
		memcpy(d->pool + d->npool, d->buf, d->nbuf * sizeof(*d->buf));
	d->soff[*id] = (uint32_t)d->npool;
	d->slen[*id] = d->nbuf;
	d->hash[*id] = h;
	d->acc_of[*id] = d->acc;
	d->npool += d->nbuf;
	d->slot[i] = *id + 1;
	return 0;
}

static int rd_bucket(struct rd *d, uint32_t cls, uint32_t to)
{
	if (d->nb == d->bcap) {
		size_t cap = d->bcap ? d->bcap * 2 : 1024;
		uint32_t *link = realloc(d->link, cap * sizeof(*link));
		if (link)
			d->link = link;
		uint32_t *t = realloc(d->to, cap * sizeof(*t));
		if (t)
			d->to = t;
		if (!link || !t)
			return -ENOMEM;
		d->bcap = cap;
	}
	d->link[d->nb] = d->head[cls];
	d->to[d->nb] = to;
	d->head[cls] = (uint32_t)d->nb++;
	return 0;
}

/* Fills state s's row. */
static int rd_expand(struct rd *d, uint32_t s)
{
	const struct rnfa *m = d->m;
	const struct rclass *c = d->c;
	int ret;

	for (uint32_t k = 0; k < c->n; k++)
		d->head[k] = RD_NONE;
	d->nb = 0;
	for (uint32_t i = 0; i < d->slen[s]; i++) {
		uint32_t q = d->pool[d->soff[s] + i];

		for (uint32_t k = m->coff[q]; k < m->off[q + 1]; k++) {
			uint32_t l = m->e[k].label;

			for (uint32_t j = c->soff[l]; j < c->soff[l + 1]; j++) {
				ret = rd_bucket(d, c->list[j], m->e[k].to);
				if (ret)
					return ret;
			}
		}
	}
	for (uint32_t k = 0; k < c->n; k++) {
		uint32_t id, sp = 0;

		if (k == c->newline) {
			id = 0;
		} else if (d->head[k] == RD_NONE && d->restart != RD_NONE) {
			id = d->restart;
		} else {
			d->gen++;
			for (uint32_t b = d->head[k]; b != RD_NONE; b = d->link[b])
				rd_push(d, &sp, d->to[b]);
			rd_push(d, &sp, 0);
			rd_closure(d, sp, false);
			ret = rd_intern(d, &id);
			if (ret)
				return ret;
			if (d->head[k] == RD_NONE)
				d->restart = id;
		}
		d->next[(size_t)s * c->n + k] = id;
	}
	return 0;
}

/* The start state's accept bit: '^' and '$' both hold on an empty line, in any order. */
static bool rd_start_accepts(struct rd *d)
{
	const struct rnfa *m = d->m;
	uint32_t sp = 0;

	d->gen++;
	rd_push(d, &sp, 0);
	while (sp) {
		uint32_t s = d->stack[--sp];

		if (s == m->final)
			return true;
		for (uint32_t k = m->off[s]; k < m->coff[s]; k++)
			rd_push(d, &sp, m->e[k].to);
	}
	return false;
}

static int rd_run(struct rd *d)
{
	const struct rnfa *m = d->m;
	uint32_t id, sp = 0;
	int ret;

	for (uint32_t s = 0; s < m->nstates; s++)
		d->imp[s] = m->coff[s] < m->off[s + 1];
	ret = rd_eolfin(d);
	if (ret)
		return ret;
	bool acc = rd_start_accepts(d);
	d->gen++;
	rd_push(d, &sp, 0);
	rd_closure(d, sp, true);
	d->acc = acc;
	ret = rd_intern(d, &id);
	if (ret)
		return ret;
	for (uint32_t s = 0; s < d->n; s++) {
		if (s == d->matched)
			continue;
		ret = rd_expand(d, s);
		if (ret)
			return ret;
	}
	return 0;
}

int rdfa_build(const struct rnfa *m, const struct rclass *c, struct regex_dfa *out, struct rerr *e)
{
	struct rd d = {.m = m, .c = c, .err = e, .matched = RD_NONE, .restart = RD_NONE};
	int ret = -ENOMEM;

	d.imp = malloc(m->nstates);
	d.eolfin = calloc(m->nstates, 1);
	d.stamp = calloc(m->nstates, sizeof(*d.stamp));
	d.stack = malloc((size_t)m->nstates * sizeof(*d.stack));
	d.buf = malloc((size_t)m->nstates * sizeof(*d.buf));
	d.head = malloc((size_t)c->n * sizeof(*d.head));
	if (!d.imp || !d.eolfin || !d.stamp || !d.stack || !d.buf || !d.head)
		goto out_free;
	ret = rd_run(&d);
	if (ret)
		goto out_free;
	memset(out, 0, sizeof(*out));
	out->nstates = d.n;
	out->nclasses = c->n;
	out->start = 0;
	memcpy(out->classes, c->of, sizeof(out->classes));
	out->next = d.next;
	out->accept = d.acc_of;
	d.next = NULL;
	d.acc_of = NULL;
out_free:
	free(d.imp);
	free(d.eolfin);
	free(d.stamp);
	free(d.stack);
	free(d.buf);
	free(d.head);
	free(d.link);
	free(d.to);
	free(d.soff);
	free(d.slen);
	free(d.hash);
	free(d.acc_of);
	free(d.pool);
	free(d.next);
	free(d.slot);
	return ret;
}
