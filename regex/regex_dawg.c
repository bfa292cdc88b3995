// SPDX-License-Identifier: MIT
/*
 * regex_dawg.c - an alternation of byte-set strings ("products": a SET, or
 * a CAT of SETs) as one acyclic automaton in the NFA whose equal prefixes
 * and equal suffixes are each built once: a trie of the products, then
 * its nodes merged bottom-up where their futures are equal (same end
 * flag, same set and merged child on every edge), a register as in
 * Daciuk's minimal acyclic automata.
 *
 * This is what UTF-8 needs: regex_utf8.c writes '.', \W and a negated
 * bracket as the alternatives of their byte sequences (ru8_emit), and a
 * Thompson chain per alternative made \W 2,949 NFA states and left every
 * chain starting with the same lead byte in the same DFA subset; around
 * a repetition (grep -w '.{5}' is (^|\W)(.{5})(\W|$)) the subset
 * construction ran past REGEX_WORK_MAX. Merged, they are what RE2's and
 * Rust regex-automata's UTF-8 compilers build with their suffix caches:
 * '.' 8 states (28 before), [^a] 11 (46), \W 300, the size of its
 * minimal DFA (BENCHMARKS.md, "UTF-8 classes"). The products need not be
 * sorted or disjoint: the trie keys edges by interned set, so any
 * alternation of strings, "abc|abd|xd", is built the same way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

/* One trie edge: node `from` goes to node `to` on set `set`. */
struct rdawg_edge {
	uint32_t from, set, to;
};

/*
 * The trie of one alternation, freed by rdawg_free. Nodes are numbered in
 * the order they are made, so a child's number is above its parent's and a
 * walk from the last node down sees every child before its parent. After
 * rdawg_merge, canon[v] is the node v was merged into (v itself when it
 * stays) and node v's edges are e[off[v]..off[v + 1]), sorted by set and
 * merged child, with `to` already replaced by its canon.
 */
struct rdawg {
	uint32_t nnode, nedge;
	uint8_t *final;	      /* nnode: a product ends at the node */
	struct rdawg_edge *e; /* nedge */
	uint32_t *off;	      /* nnode + 1 */
	uint32_t *canon;      /* nnode */
	uint64_t *tkey;	      /* (node << 32 | set) -> tval, open addressing */
	uint32_t *tval;
	uint32_t *reg; /* the register: canonical nodes + 1, 0 empty */
	uint32_t cap;  /* slots of tkey and of reg, a power of two */
};

static uint32_t rdawg_mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (uint32_t)k;
}

/* Whether node is an alternation this file builds: two or more products. */
bool rdawg_fits(const struct rast *a, uint32_t node)
{
	const struct rast_node *n = &a->v[node];
	uint32_t k = 0;

	if (n->kind != RAST_ALT)
		return false;
	for (uint32_t c = n->arg; c != RAST_NONE; c = a->v[c].next, k++) {
		const struct rast_node *p = &a->v[c];

		if (p->kind == RAST_SET)
			continue;
		if (p->kind != RAST_CAT || p->arg == RAST_NONE)
			return false;
		for (uint32_t x = p->arg; x != RAST_NONE; x = a->v[x].next)
			if (a->v[x].kind != RAST_SET)
				return false;
	}
	return k >= 2;
}

static void rdawg_free(struct rdawg *d)
{
	free(d->final);
	free(d->e);
	free(d->off);
	free(d->canon);
	free(d->tkey);
	free(d->tval);
	free(d->reg);
}

/* Room for a trie of `len` product elements at most. */
static int rdawg_alloc(struct rdawg *d, uint32_t len)
{
	d->cap = 16;
	while (d->cap < 2 * (len + 1))
		d->cap *= 2;
	d->final = calloc((size_t)len + 1, sizeof(*d->final));
	d->e = malloc((size_t)len * sizeof(*d->e));
	d->off = calloc((size_t)len + 2, sizeof(*d->off));
	d->canon = malloc(((size_t)len + 1) * sizeof(*d->canon));
	d->tkey = malloc((size_t)d->cap * sizeof(*d->tkey));
	d->tval = malloc((size_t)d->cap * sizeof(*d->tval));
	d->reg = calloc(d->cap, sizeof(*d->reg));
	if (!d->final || !d->e || !d->off || !d->canon || !d->tkey || !d->tval || !d->reg)
		return -ENOMEM;
	memset(d->tkey, 0xff, (size_t)d->cap * sizeof(*d->tkey));
	d->nnode = 1; /* the root */
	return 0;
}

/* The child of node v on set, made if missing. */
static uint32_t rdawg_child(struct rdawg *d, uint32_t v, uint32_t set)
{
	uint64_t k = (uint64_t)v << 32 | set;
	uint32_t h = rdawg_mix(k) & (d->cap - 1);

	for (; d->tkey[h] != UINT64_MAX; h = (h + 1) & (d->cap - 1))
		if (d->tkey[h] == k)
			return d->tval[h];
	d->tkey[h] = k;
	d->tval[h] = d->nnode;
	d->e[d->nedge++] = (struct rdawg_edge){.from = v, .set = set, .to = d->nnode};
	return d->nnode++;
}

/* Every product of the alternation `node` into the trie. */
static void rdawg_trie(struct rdawg *d, const struct rast *a, uint32_t node)
{
	for (uint32_t c = a->v[node].arg; c != RAST_NONE; c = a->v[c].next) {
		const struct rast_node *p = &a->v[c];
		uint32_t v = 0;

		if (p->kind == RAST_SET) {
			v = rdawg_child(d, 0, p->arg);
		} else {
			for (uint32_t x = p->arg; x != RAST_NONE; x = a->v[x].next)
				v = rdawg_child(d, v, a->v[x].arg);
		}
		d->final[v] = 1;
	}
	return;
}

static int rdawg_edge_cmp(const void *x, const void *y)
{
	const struct rdawg_edge *a = x, *b = y;

	if (a->set != b->set)
		return a->set < b->set ? -1 : 1;
	return a->to < b->to ? -1 : a->to > b->to;
}

static uint32_t rdawg_sig(const struct rdawg *d, uint32_t v)
{
	uint64_t h = d->final[v];

	for (uint32_t i = d->off[v]; i < d->off[v + 1]; i++)
		h = rdawg_mix(h * 31 + ((uint64_t)d->e[i].set << 32 | d->e[i].to));
	return rdawg_mix(h);
}

static bool rdawg_same(const struct rdawg *d, uint32_t v, uint32_t u)
{
	uint32_t n = d->off[v + 1] - d->off[v];

	if (d->final[v] != d->final[u] || n != d->off[u + 1] - d->off[u])
		return false;
	for (uint32_t i = 0; i < n; i++) {
		const struct rdawg_edge *x = &d->e[d->off[v] + i], *y = &d->e[d->off[u] + i];

		if (x->set != y->set || x->to != y->to)
			return false;
	}
	return true;
}

/*
 * Groups the edges by node (a counting sort), then merges nodes from the
 * last down: a node's edges point at merged children by then, so two
 * nodes with equal futures have equal edge lists.
 */
static int rdawg_merge(struct rdawg *d, struct rwork *w)
{
	struct rdawg_edge *by = malloc((size_t)(d->nedge ? d->nedge : 1) * sizeof(*by));

	if (!by)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->nedge; i++)
		d->off[d->e[i].from + 1]++;
	for (uint32_t v = 0; v < d->nnode; v++)
		d->off[v + 1] += d->off[v];
	for (uint32_t i = 0; i < d->nedge; i++)
		by[d->off[d->e[i].from]++] = d->e[i];
	for (uint32_t v = d->nnode; v > 0; v--)
		d->off[v] = d->off[v - 1];
	d->off[0] = 0;
	free(d->e);
	d->e = by;
	for (uint32_t v = d->nnode; v-- > 0;) {
		uint32_t n = d->off[v + 1] - d->off[v], h;

		if (rwork_spend(w, 4 + 2 * (uint64_t)n))
			return -ETIMEDOUT;
		for (uint32_t i = d->off[v]; i < d->off[v + 1]; i++)
			d->e[i].to = d->canon[d->e[i].to];
		qsort(d->e + d->off[v], n, sizeof(*d->e), rdawg_edge_cmp);
		d->canon[v] = v;
		if (!v)
			break; /* the root: its strings are longer than any node's below */
		h = rdawg_sig(d, v) & (d->cap - 1);
		for (; d->reg[h]; h = (h + 1) & (d->cap - 1)) {
			if (rdawg_same(d, v, d->reg[h] - 1)) {
				d->canon[v] = d->reg[h] - 1;
				break;
			}
		}
		if (!d->reg[h])
			d->reg[h] = v + 1;
	}
	return 0;
}

/*
 * The merged trie as NFA states: the root is s, the node with no edges
 * (where every product ends) a fresh exit, a node where some products end
 * and others go on gets an epsilon edge to the exit. Nothing enters s.
 */
static int rdawg_emit(struct rdawg *d, struct rnfa *m, uint32_t s, uint32_t *exit)
{
	uint32_t *state = malloc((size_t)d->nnode * sizeof(*state));
	uint32_t t = 0;
	int ret;

	if (!state)
		return -ENOMEM;
	ret = rnfa_state(m, &t);
	for (uint32_t v = 0; v < d->nnode && !ret; v++) {
		if (d->canon[v] != v)
			continue;
		if (!v)
			state[v] = s;
		else if (d->off[v] == d->off[v + 1])
			state[v] = t;
		else
			ret = rnfa_state(m, &state[v]);
	}
	for (uint32_t v = 0; v < d->nnode && !ret; v++) {
		if (d->canon[v] != v || d->off[v] == d->off[v + 1])
			continue;
		for (uint32_t i = d->off[v]; i < d->off[v + 1] && !ret; i++)
			ret = rnfa_edge(m, state[v], state[d->e[i].to], d->e[i].set);
		if (!ret && d->final[v])
			ret = rnfa_edge(m, state[v], t, RNFA_EPS);
	}
	free(state);
	*exit = t;
	return ret;
}

int rdawg_build(struct rnfa *m, const struct rast *a, uint32_t node, uint32_t s, uint32_t *exit)
{
	struct rdawg d = {0};
	uint32_t len = 0;
	int ret;

	for (uint32_t c = a->v[node].arg; c != RAST_NONE; c = a->v[c].next) {
		if (a->v[c].kind == RAST_SET)
			len++;
		for (uint32_t x = a->v[c].kind == RAST_CAT ? a->v[c].arg : RAST_NONE;
		     x != RAST_NONE; x = a->v[x].next)
			len++;
	}
	if (rwork_spend(m->work, len))
		return rwork_fail(m->err, m->work);
	ret = rdawg_alloc(&d, len);
	if (!ret) {
		rdawg_trie(&d, a, node);
		ret = rdawg_merge(&d, m->work);
	}
	if (!ret)
		ret = rdawg_emit(&d, m, s, exit);
	rdawg_free(&d);
	if (ret == -ETIMEDOUT)
		return rwork_fail(m->err, m->work);
	return ret;
}
