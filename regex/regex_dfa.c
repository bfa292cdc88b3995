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
 * (or the table or set-pool cap) before memory runs out. Closures walk the
 * compressed epsilon graph (regex_eps.c), and the steps they take count
 * against REGEX_WORK_MAX: the caps bound what is built, not how often a
 * large set is walked again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

#define RD_NONE UINT32_MAX

struct rd {
	const struct rnfa *m;
	const struct reps *g; /* the epsilon graph the closures walk */
	const struct rclass *c;
	struct rerr *err;
	struct rwork *work;
	uint32_t *stamp;
	uint32_t gen;
	uint32_t *stack;
	uint32_t *buf; /* the closure's byte-edge states, in the order met */
	uint32_t nbuf;
	uint64_t sum; /* of rd_mix over buf */
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

/*
 * A set's hash is a sum over its elements, so a closure in any order gets
 * it as it goes, and the sets need no sorting: an equal set is one of the
 * same size whose every element this closure visited (rd_same).
 */
static uint64_t rd_mix(uint32_t x)
{
	uint64_t z = x + 0x9e3779b97f4a7c15ull;

	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ z >> 27) * 0x94d049bb133111ebull;
	return z ^ z >> 31;
}

static void rd_push(struct rd *d, uint32_t *sp, uint32_t s)
{
	if (d->stamp[s] != d->gen) {
		d->stamp[s] = d->gen;
		d->stack[(*sp)++] = s;
	}
}

/* Pushes the representative of s (regex_eps.c), if its closure holds anything. */
static void rd_seed(struct rd *d, uint32_t *sp, uint32_t s)
{
	if (d->g->rep[s] != REPS_NONE)
		rd_push(d, sp, d->g->rep[s]);
}

/*
 * Closure of the stacked representatives over the compressed epsilon
 * graph; returns the steps taken.
 */
static uint64_t rd_closure(struct rd *d, uint32_t sp)
{
	const struct reps *g = d->g;
	uint64_t steps = 0;

	d->nbuf = 0;
	d->sum = 0;
	d->fin = d->acc = false;
	while (sp) {
		uint32_t s = d->stack[--sp];

		d->fin |= s == d->m->final;
		d->acc |= g->eolfin[s];
		if (g->imp[s]) {
			d->buf[d->nbuf++] = s;
			d->sum += rd_mix(s);
		}
		steps += 1 + g->cnt[s];
		for (uint32_t k = g->off[s]; k < g->off[s] + g->cnt[s]; k++)
			rd_push(d, &sp, g->to[k]);
	}
	return steps;
}

/* The start state's closure, the one that passes '^' edges: over the NFA itself, once. */
static void rd_closure_bol(struct rd *d, uint32_t sp)
{
	const struct rnfa *m = d->m;

	d->nbuf = 0;
	d->sum = 0;
	d->fin = d->acc = false;
	while (sp) {
		uint32_t s = d->stack[--sp];

		d->fin |= s == m->final;
		d->acc |= d->g->eolfin[s];
		if (d->g->imp[s]) {
			d->buf[d->nbuf++] = s;
			d->sum += rd_mix(s);
		}
		for (uint32_t k = m->off[s]; k < m->coff[s]; k++) {
			uint32_t l = m->e[k].label;

			if (l == RNFA_EPS || l == RNFA_BOL)
				rd_push(d, &sp, m->e[k].to);
		}
	}
}

static uint32_t rd_hash(const struct rd *d)
{
	uint64_t h = d->sum ^ d->acc;

	return (uint32_t)(h ^ h >> 32);
}

/* Stored set s against the closure just taken (its states stamped d->gen). */
static bool rd_same(const struct rd *d, uint32_t s)
{
	if (d->slen[s] != d->nbuf || d->acc_of[s] != d->acc)
		return false;
	/* indexed, not d->pool + soff: the pool is NULL while every set is empty */
	for (uint32_t i = 0; i < d->nbuf; i++)
		if (d->stamp[d->pool[d->soff[s] + i]] != d->gen)
			return false;
	return true;
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
	uint32_t h = rd_hash(d);
	if ((d->n + 1) * 2 > d->nslot) {
		ret = rd_grow_slots(d);
		if (ret)
			return ret;
	}
	uint32_t i = h & (d->nslot - 1);
	for (; d->slot[i]; i = (i + 1) & (d->nslot - 1)) {
		uint32_t s = d->slot[i] - 1;

		if (d->hash[s] == h && rd_same(d, s)) {
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

/*
 * One state's targets by class: as many as its sets' byte edges times the
 * classes on each, so (.?){30000} with 256 classes would list 2^23 before
 * a closure is taken. Capped like the set pool, in memory and in steps.
 */
static int rd_bucket(struct rd *d, uint32_t cls, uint32_t to)
{
	if (d->nb == d->bcap) {
		if (d->bcap >= REGEX_POOL_MAX)
			return rerr_msg(d->err, -E2BIG,
					"the patterns are too complex to determinize: a DFA state "
					"has more than %u NFA transitions (use a simpler pattern, "
					"e.g. smaller repetition counts, or fewer patterns)",
					REGEX_POOL_MAX);
		if (rwork_spend(d->work, d->bcap))
			return rwork_fail(d->err, d->work);
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
			uint32_t l = m->e[k].label, to = d->g->rep[m->e[k].to];

			if (to == REPS_NONE)
				continue;
			for (uint32_t j = c->soff[l]; j < c->soff[l + 1]; j++) {
				ret = rd_bucket(d, c->list[j], to);
				if (ret)
					return ret;
			}
		}
	}
	/* the buckets (their growth counted as it came), the row, the set: 2 steps per element */
	if (rwork_spend(d->work, (uint64_t)d->nb + c->n + 2 * d->slen[s]))
		return rwork_fail(d->err, d->work);
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
			rd_seed(d, &sp, 0);
			uint64_t steps = rd_closure(d, sp);
			if (rwork_spend(d->work, steps + 2 * (uint64_t)d->nbuf))
				return rwork_fail(d->err, d->work);
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
	uint32_t id, sp = 0;
	bool acc = rd_start_accepts(d);
	int ret;

	d->gen++;
	rd_push(d, &sp, 0);
	rd_closure_bol(d, sp);
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

int rdfa_build(const struct rnfa *m, const struct reps *g, const struct rclass *c,
	       struct regex_dfa *out, struct rwork *w, struct rerr *e)
{
	struct rd d = {
	    .m = m, .g = g, .c = c, .err = e, .work = w, .matched = RD_NONE, .restart = RD_NONE};
	int ret = -ENOMEM;

	d.stamp = calloc(m->nstates, sizeof(*d.stamp));
	d.stack = malloc((size_t)m->nstates * sizeof(*d.stack));
	d.buf = malloc((size_t)m->nstates * sizeof(*d.buf));
	d.head = malloc((size_t)c->n * sizeof(*d.head));
	if (!d.stamp || !d.stack || !d.buf || !d.head)
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
