// SPDX-License-Identifier: MIT
/*
 * regex_eps.c - the NFA's epsilon graph, compressed for subset construction.
 *
 * Subset construction takes an epsilon closure per DFA transition: up to
 * REGEX_STATES_MAX rows of up to 256 classes. Over the Thompson NFA a
 * closure may walk far more states than it keeps: ((^|){1000}){200}a
 * reaches 'a' through 200,000 epsilon-only states (the '^' edges keep the
 * parser from folding them away), and rebuilt per transition that was
 * 24 s for a 30-byte pattern (issue 21). Here every state gets a
 * representative whose closure holds the same states with a byte edge,
 * the same `final` and the same end-of-line bit, and only representatives
 * keep epsilon edges, so a closure visits about as many states as it
 * keeps. One pass of Tarjan's strongly connected components over the
 * epsilon edges, successors first, does it in O(states + edges):
 *  - a component of states without a byte edge (and not `final`) whose
 *    epsilon edges out all lead to one representative r, and which reaches
 *    the end of line only if r does, is represented by r; one whose edges
 *    lead nowhere (and not to the end of line) by nothing (REPS_NONE);
 *    otherwise by its root, whose edges go to the representatives out;
 *  - a component with kept states (a byte edge, or `final`): each is its
 *    own representative; the first, k0, gets edges to the others and to
 *    the representatives out, the others one edge to k0, and the rest of
 *    the component is represented by k0.
 * '^' edges are not in the graph: only the start state's closure follows
 * them, once, over the NFA itself. '$' edges only feed eolfin.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

struct reps_scc {
	const struct rnfa *m;
	struct reps *g;
	uint32_t *idx, *low, *it; /* Tarjan's: index + 1 (0: unvisited), lowlink, next edge */
	uint8_t *onst;
	uint32_t *ts, nts; /* Tarjan's stack */
	uint32_t *cs, ncs; /* the DFS's own stack, in place of recursion */
	uint32_t *mark, *ext, next;
	uint32_t nto, counter;
};

/* eolfin: a reverse search from `final` over epsilon and '$' edges. */
static int reps_eolfin(struct reps *g, const struct rnfa *m, uint32_t *stack)
{
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
	g->eolfin[m->final] = 1;
	stack[sp++] = m->final;
	while (sp) {
		uint32_t s = stack[--sp];

		for (uint32_t k = roff[s]; k < roff[s + 1]; k++)
			if (!g->eolfin[rsrc[k]]) {
				g->eolfin[rsrc[k]] = 1;
				stack[sp++] = rsrc[k];
			}
	}
	free(roff);
	free(rsrc);
	return 0;
}

static bool reps_kept(const struct reps_scc *t, uint32_t s)
{
	return t->g->imp[s] || s == t->m->final;
}

static void reps_to(struct reps_scc *t, uint32_t s, uint32_t to)
{
	if (!t->g->cnt[s])
		t->g->off[s] = t->nto;
	t->g->to[t->nto++] = to;
	t->g->cnt[s]++;
}

/* The component mem[0..n), root v, all of whose successors outside it are done. */
static void reps_component(struct reps_scc *t, const uint32_t *mem, uint32_t n, uint32_t v)
{
	const struct rnfa *m = t->m;
	struct reps *g = t->g;
	uint32_t k0 = REPS_NONE;
	bool eol = g->eolfin[v]; /* the same for every state of the component */

	t->next = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = mem[i];

		if (k0 == REPS_NONE && reps_kept(t, s))
			k0 = s;
		/* onst: in this component (Tarjan's invariant), its rep not known yet */
		for (uint32_t k = m->off[s]; k < m->coff[s]; k++) {
			uint32_t to = m->e[k].to, r;

			if (m->e[k].label != RNFA_EPS || t->onst[to])
				continue;
			r = g->rep[to];
			if (r != REPS_NONE && t->mark[r] != v + 1) {
				t->mark[r] = v + 1;
				t->ext[t->next++] = r;
			}
		}
	}
	if (k0 == REPS_NONE) {
		uint32_t r = v;

		if (t->next == 0 && !eol)
			r = REPS_NONE;
		else if (t->next == 1 && (!eol || g->eolfin[t->ext[0]]))
			r = t->ext[0];
		else
			for (uint32_t i = 0; i < t->next; i++)
				reps_to(t, v, t->ext[i]);
		for (uint32_t i = 0; i < n; i++)
			g->rep[mem[i]] = r;
		return;
	}
	/* k0's edges first: each state's edges are one run of `to` */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = mem[i];

		g->rep[s] = reps_kept(t, s) ? s : k0;
		if (s != k0 && g->rep[s] == s)
			reps_to(t, k0, s);
	}
	for (uint32_t i = 0; i < t->next; i++)
		reps_to(t, k0, t->ext[i]);
	for (uint32_t i = 0; i < n; i++)
		if (mem[i] != k0 && g->rep[mem[i]] == mem[i])
			reps_to(t, mem[i], k0);
}

static void reps_push(struct reps_scc *t, uint32_t s)
{
	t->idx[s] = t->low[s] = ++t->counter;
	t->it[s] = t->m->off[s];
	t->onst[s] = 1;
	t->ts[t->nts++] = s;
	t->cs[t->ncs++] = s;
}

static void reps_tarjan(struct reps_scc *t, uint32_t root)
{
	const struct rnfa *m = t->m;

	reps_push(t, root);
	while (t->ncs) {
		uint32_t v = t->cs[t->ncs - 1];

		if (t->it[v] < m->coff[v]) {
			uint32_t k = t->it[v]++, to = m->e[k].to;

			if (m->e[k].label != RNFA_EPS)
				continue;
			if (!t->idx[to])
				reps_push(t, to);
			else if (t->onst[to] && t->idx[to] < t->low[v])
				t->low[v] = t->idx[to];
			continue;
		}
		t->ncs--;
		if (t->ncs) {
			uint32_t u = t->cs[t->ncs - 1];

			if (t->low[v] < t->low[u])
				t->low[u] = t->low[v];
		}
		if (t->low[v] != t->idx[v])
			continue;
		uint32_t j = t->nts;
		while (t->ts[--j] != v)
			;
		/* a state leaves the stack only after its component is done: see reps_component */
		reps_component(t, t->ts + j, t->nts - j, v);
		for (uint32_t i = j; i < t->nts; i++)
			t->onst[t->ts[i]] = 0;
		t->nts = j;
	}
}

int reps_build(struct reps *g, const struct rnfa *m, struct rwork *w, struct rerr *e)
{
	struct reps_scc t = {.m = m, .g = g};
	size_t n = m->nstates;
	int ret = -ENOMEM;

	memset(g, 0, sizeof(*g));
	if (rwork_spend(w, 4 * ((uint64_t)n + m->ne)))
		return rwork_fail(e, w);
	g->rep = malloc(n * sizeof(*g->rep));
	g->off = calloc(n, sizeof(*g->off));
	g->cnt = calloc(n, sizeof(*g->cnt));
	g->to = malloc(((size_t)m->ne + 2 * n + 1) * sizeof(*g->to));
	g->imp = malloc(n);
	g->eolfin = calloc(n, 1);
	t.idx = calloc(n, sizeof(*t.idx));
	t.low = malloc(n * sizeof(*t.low));
	t.it = malloc(n * sizeof(*t.it));
	t.onst = calloc(n, 1);
	t.ts = malloc(n * sizeof(*t.ts));
	t.cs = malloc(n * sizeof(*t.cs));
	t.mark = calloc(n, sizeof(*t.mark));
	t.ext = malloc(n * sizeof(*t.ext));
	if (!g->rep || !g->off || !g->cnt || !g->to || !g->imp || !g->eolfin || !t.idx || !t.low ||
	    !t.it || !t.onst || !t.ts || !t.cs || !t.mark || !t.ext)
		goto out_free;
	for (uint32_t s = 0; s < n; s++)
		g->imp[s] = m->coff[s] < m->off[s + 1];
	ret = reps_eolfin(g, m, t.ts);
	if (ret)
		goto out_free;
	for (uint32_t s = 0; s < n; s++)
		if (!t.idx[s])
			reps_tarjan(&t, s);
out_free:
	free(t.idx);
	free(t.low);
	free(t.it);
	free(t.onst);
	free(t.ts);
	free(t.cs);
	free(t.mark);
	free(t.ext);
	if (ret)
		reps_free(g);
	return ret;
}

void reps_free(struct reps *g)
{
	free(g->rep);
	free(g->off);
	free(g->cnt);
	free(g->to);
	free(g->imp);
	free(g->eolfin);
	memset(g, 0, sizeof(*g));
}
