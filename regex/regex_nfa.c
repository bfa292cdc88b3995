// SPDX-License-Identifier: MIT
/*
 * regex_nfa.c - the AST as a Thompson NFA, {m,n} expanded into copies.
 *
 * rn_build(node, s) lays node's automaton out from the existing state s
 * and returns its exit, so a concatenation needs no epsilon glue. No
 * construction ever adds an edge into the state it starts from (a loop
 * gets a fresh head), which is what lets alternatives, and the trie of
 * literal prefixes (regex_ac.c), share their start state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

int rnfa_init(struct rnfa *m, struct rset_tab *sets, bool icase, struct rerr *e, struct rwork *w)
{
	memset(m, 0, sizeof(*m));
	m->sets = sets;
	m->icase = icase;
	m->err = e;
	m->work = w;
	m->blame = RAST_NONE;
	for (int c = 0; c < 256; c++)
		m->byteset[c] = RAST_NONE;
	m->nstates = 2; /* 0: start and trie root, 1: final */
	m->final = 1;
	return 0;
}

static int rn_build(struct rnfa *m, const struct rast *a, uint32_t node, uint32_t s,
		    uint32_t *exit);

/*
 * x{m,} is m-1 copies and then x+ as one copy that loops back to a fresh
 * head (x* is the same loop, exited at its head): two copies per x+ would
 * make the NFA of x+++...+ or ((x+)y+)+ double with each level.
 */
static int rn_rep_copies(struct rnfa *m, const struct rast *a, const struct rast_node *n,
			 uint32_t s, uint32_t *exit)
{
	uint32_t h = 0, e = 0, t = 0;
	bool loop = n->max == RAST_INF;
	uint32_t copies = loop && n->min ? n->min - 1 : n->min;
	int ret;

	for (uint32_t k = 0; k < copies; k++) {
		ret = rn_build(m, a, n->arg, s, &s);
		if (ret)
			return ret;
	}
	if (loop) {
		ret = rnfa_state(m, &h);
		if (!ret)
			ret = rnfa_edge(m, s, h, RNFA_EPS);
		if (!ret)
			ret = rn_build(m, a, n->arg, h, &e);
		if (!ret)
			ret = rnfa_edge(m, e, h, RNFA_EPS);
		*exit = n->min ? e : h;
		return ret;
	}
	if (n->max == n->min) {
		*exit = s;
		return 0;
	}
	/* x{0,3} as (x(x(x)?)?)?: every copy's start may skip to t */
	ret = rnfa_state(m, &t);
	for (uint32_t k = n->min; !ret && k < n->max; k++) {
		ret = rnfa_edge(m, s, t, RNFA_EPS);
		if (!ret)
			ret = rn_build(m, a, n->arg, s, &s);
	}
	if (!ret)
		ret = rnfa_edge(m, s, t, RNFA_EPS);
	*exit = t;
	return ret;
}

/*
 * The outermost repetition that makes copies (not x* x+ x?) is the one an
 * error names: in ((x|y){1000}){1000} the product is what to shrink.
 */
static int rn_rep(struct rnfa *m, const struct rast *a, uint32_t node, uint32_t s, uint32_t *exit)
{
	const struct rast_node *n = &a->v[node];
	int ret;

	if (m->blame != RAST_NONE || (n->max == RAST_INF ? n->min : n->max) < 2)
		return rn_rep_copies(m, a, &a->v[node], s, exit);
	m->blame = node;
	ret = rn_rep_copies(m, a, &a->v[node], s, exit);
	m->blame = RAST_NONE;
	return ret;
}

static int rn_build(struct rnfa *m, const struct rast *a, uint32_t node, uint32_t s, uint32_t *exit)
{
	const struct rast_node *n = &a->v[node];
	uint32_t t = 0, e = 0;
	int ret = 0;

	if (rwork_spend(m->work, 1))
		return rwork_fail(m->err, m->work);

	switch (n->kind) {
	case RAST_EMPTY:
		*exit = s;
		return 0;
	case RAST_SET:
	case RAST_BOL:
	case RAST_EOL:
		ret = rnfa_state(m, &t);
		if (ret)
			return ret;
		*exit = t;
		return rnfa_edge(m, s, t,
				 n->kind == RAST_SET   ? n->arg
				 : n->kind == RAST_BOL ? RNFA_BOL
						       : RNFA_EOL);
	case RAST_CAT:
		for (uint32_t c = n->arg; !ret && c != RAST_NONE; c = a->v[c].next)
			ret = rn_build(m, a, c, s, &s);
		*exit = s;
		return ret;
	case RAST_ALT:
		if (rdawg_fits(a, node))
			return rdawg_build(m, a, node, s, exit);
		ret = rnfa_state(m, &t);
		for (uint32_t c = n->arg; !ret && c != RAST_NONE; c = a->v[c].next) {
			ret = rn_build(m, a, c, s, &e);
			if (!ret)
				ret = rnfa_edge(m, e, t, RNFA_EPS);
		}
		*exit = t;
		return ret;
	case RAST_REP:
		return rn_rep(m, a, node, s, exit);
	}
	return -EINVAL;
}

/* One alternative: its leading byte sets go down the trie, the rest hangs off the node reached. */
static int rn_alternative(struct rnfa *m, const struct rast *a, uint32_t node)
{
	const struct rast_node *n = &a->v[node];
	uint32_t s = 0, c;
	int ret = 0;

	if (n->kind == RAST_SET) {
		ret = rac_child(m, 0, n->arg, &s);
	} else if (n->kind != RAST_CAT) {
		ret = rn_build(m, a, node, 0, &s);
	} else {
		for (c = n->arg; !ret && c != RAST_NONE && a->v[c].kind == RAST_SET;
		     c = a->v[c].next)
			ret = rac_child(m, s, a->v[c].arg, &s);
		for (; !ret && c != RAST_NONE; c = a->v[c].next)
			ret = rn_build(m, a, c, s, &s);
	}
	if (ret)
		return ret;
	return rnfa_edge(m, s, m->final, RNFA_EPS);
}

int rnfa_add_ast(struct rnfa *m, const struct rast *a, uint32_t root, const uint8_t *p, size_t len)
{
	int ret = 0;

	m->ast = a;
	m->pat = p;
	m->patlen = len;
	m->blame = RAST_NONE;
	if (a->v[root].kind != RAST_ALT)
		return rn_alternative(m, a, root);
	for (uint32_t c = a->v[root].arg; !ret && c != RAST_NONE; c = a->v[c].next)
		ret = rn_alternative(m, a, c);
	return ret;
}

/*
 * Sorts the edges by source (a counting sort) so each state's edges are
 * contiguous, its epsilon and anchor edges first: the closure, the hot
 * loop of subset construction, then never looks at a byte edge (the trie
 * root has one per first byte, and is in every DFA state).
 */
int rnfa_finish(struct rnfa *m)
{
	uint32_t *off = calloc((size_t)m->nstates + 1, sizeof(*off));
	uint32_t *coff = malloc(((size_t)m->nstates + 1) * sizeof(*coff));
	struct rnfa_edge *e = malloc((size_t)(m->ne ? m->ne : 1) * sizeof(*e));

	if (!off || !coff || !e) {
		free(off);
		free(coff);
		free(e);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < m->ne; i++)
		off[m->e[i].from + 1]++;
	for (uint32_t s = 0; s < m->nstates; s++)
		off[s + 1] += off[s];
	memcpy(coff, off, ((size_t)m->nstates + 1) * sizeof(*coff));
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < m->ne; i++)
			if ((m->e[i].label >= RNFA_EOL) == (pass == 0))
				e[coff[m->e[i].from]++] = m->e[i];
	/* coff[s] is now the end of s's edges; find where its byte edges start */
	for (uint32_t s = 0; s < m->nstates; s++) {
		uint32_t k = off[s];

		while (k < off[s + 1] && e[k].label >= RNFA_EOL)
			k++;
		coff[s] = k;
	}
	coff[m->nstates] = m->ne;
	free(m->e);
	m->e = e;
	m->ecap = m->ne;
	m->off = off;
	m->coff = coff;
	return 0;
}

void rnfa_free(struct rnfa *m)
{
	free(m->e);
	free(m->off);
	free(m->coff);
	free(m->tkey);
	free(m->tval);
	memset(m, 0, sizeof(*m));
}
