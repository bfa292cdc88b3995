// SPDX-License-Identifier: MIT
/*
 * regex_acm.c - Aho-Corasick for literal sets, laid out as regex.h's
 * struct regex_ac: dense rows for the shallow states, sorted child ranges
 * and failure links for the rest.
 *
 * No hashing: the literals are sorted by their class strings, so the trie
 * comes out of one pass in depth-first preorder (a literal shares its
 * longest common prefix with the one before it). Within one depth,
 * preorder is the lexicographic order of the nodes' strings, which is
 * also breadth-first order with children sorted by label; so a stable
 * counting sort by depth numbers the states breadth first, and each
 * state's children are consecutive states. Failure links, dense rows and
 * output sets then come from one breadth-first pass, each state's from
 * shallower ones. Cost: the sort (n log n compares) plus O(bytes) for the
 * trie plus the failure walks, amortized O(bytes) as in Aho-Corasick.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

struct racm {
	uint8_t cls[256];
	uint32_t nclasses;
};

static int racm_cmp(const void *x, const void *y, void *ctx)
{
	const struct rlit *a = x, *b = y;
	const struct racm *r = ctx;
	uint32_t n = a->len < b->len ? a->len : b->len;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t ca = r->cls[a->p[i]], cb = r->cls[b->p[i]];

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Classes: 0 for bytes in no literal, then one per byte used (both cases one, with icase). */
static void racm_classes(struct racm *r, const struct rlit *lits, size_t n, bool icase)
{
	uint8_t used[256] = {0};

	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < lits[i].len; k++)
			used[icase ? rset_upper(lits[i].p[k]) : lits[i].p[k]] = 1;
	memset(r->cls, 0, sizeof(r->cls));
	r->nclasses = 1;
	for (unsigned b = 0; b < 256; b++)
		if (used[b])
			r->cls[b] = (uint8_t)r->nclasses++;
	if (icase)
		for (unsigned b = 'a'; b <= 'z'; b++)
			r->cls[b] = r->cls[b - 'a' + 'A'];
}

/* The child of s labelled c, or 0 (the root is nobody's child). */
static uint32_t racm_goto(const struct regex_ac *ac, uint32_t s, uint8_t c)
{
	uint32_t lo = ac->child[s], hi = ac->child[s + 1];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ac->label[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ac->child[s + 1] && ac->label[lo] == c ? lo : 0;
}

/* delta(s, c) with failures resolved, for a state whose shallower states are done. */
static uint32_t racm_delta(const struct regex_ac *ac, uint32_t s, uint8_t c, uint64_t *steps)
{
	for (;;) {
		if (s < ac->ndense)
			return ac->dense[(size_t)s * ac->nclasses + c];
		uint32_t t = racm_goto(ac, s, c);
		++*steps;
		if (t)
			return t;
		s = ac->fail[s];
	}
}

/* The trie in preorder: parent, label and depth of each node; node of each literal. */
struct racm_trie {
	uint32_t n;
	uint32_t *parent, *depth, *node;
	uint8_t *label;
};

static int racm_trie(struct racm_trie *t, const struct racm *r, const struct rlit *lits, size_t n,
		     uint64_t bytes, struct rerr *e)
{
	uint64_t cap = bytes + 1;
	uint32_t *path = NULL; /* path[d]: the node at depth d on the current literal */
	uint32_t maxlen = 0;

	for (size_t i = 0; i < n; i++)
		maxlen = lits[i].len > maxlen ? lits[i].len : maxlen;
	if (cap > REGEX_AC_STATES_MAX)
		cap = REGEX_AC_STATES_MAX + 1ull;
	t->parent = malloc(cap * sizeof(*t->parent));
	t->depth = malloc(cap * sizeof(*t->depth));
	t->label = malloc(cap);
	t->node = malloc((n ? n : 1) * sizeof(*t->node));
	path = malloc(((size_t)maxlen + 1) * sizeof(*path));
	if (!t->parent || !t->depth || !t->label || !t->node || !path) {
		free(path);
		return -ENOMEM;
	}
	t->n = 1;
	t->parent[0] = 0;
	t->depth[0] = 0;
	t->label[0] = 0;
	path[0] = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t l = 0;

		if (i) { /* the common prefix with the literal before, in classes */
			const struct rlit *a = &lits[i - 1], *b = &lits[i];
			uint32_t m = a->len < b->len ? a->len : b->len;

			while (l < m && r->cls[a->p[l]] == r->cls[b->p[l]])
				l++;
		}
		for (uint32_t d = l; d < lits[i].len; d++) {
			if (t->n >= REGEX_AC_STATES_MAX) {
				free(path);
				return rerr_msg(
				    e, -E2BIG,
				    "the literals need more than %u Aho-Corasick states "
				    "(REGEX_AC_STATES_MAX), at pattern %u (use fewer or "
				    "shorter patterns)",
				    REGEX_AC_STATES_MAX, lits[i].id + 1);
			}
			t->parent[t->n] = path[d];
			t->depth[t->n] = d + 1;
			t->label[t->n] = r->cls[lits[i].p[d]];
			path[d + 1] = t->n++;
		}
		t->node[i] = path[lits[i].len];
	}
	free(path);
	return 0;
}

static void racm_trie_free(struct racm_trie *t)
{
	free(t->parent);
	free(t->depth);
	free(t->node);
	free(t->label);
}

static int racm_alloc(struct regex_ac *ac, uint32_t n)
{
	ac->nstates = n;
	ac->child = calloc((size_t)n + 1, sizeof(*ac->child));
	ac->label = malloc(n);
	ac->fail = malloc((size_t)n * sizeof(*ac->fail));
	ac->acc = calloc(n, sizeof(*ac->acc));
	if ((uint64_t)n * ac->nclasses * 4 <= REGEX_AC_DENSE_MAX)
		ac->ndense = n;
	else
		ac->ndense = REGEX_AC_DENSE_MAX / (ac->nclasses * 4);
	ac->dense = malloc((size_t)ac->ndense * ac->nclasses * sizeof(*ac->dense));
	if (!ac->child || !ac->label || !ac->fail || !ac->acc || !ac->dense)
		return -ENOMEM;
	return 0;
}

/* Breadth first: failure link, dense row, accept set; own[s..] lists state s's own patterns. */
static int racm_links(struct regex_ac *ac, struct regex_accsets *sets, const uint32_t *ooff,
		      const uint32_t *own, const uint32_t *parent, struct rwork *w, struct rerr *e)
{
	uint64_t steps = 0;
	int ret;

	for (uint32_t s = 0; s < ac->nstates; s++) {
		uint32_t f = 0;

		if (s && parent[s])
			f = racm_delta(ac, ac->fail[parent[s]], ac->label[s], &steps);
		ac->fail[s] = f;
		if (s < ac->ndense) {
			uint32_t *row = ac->dense + (size_t)s * ac->nclasses;
			const uint32_t *frow = ac->dense + (size_t)f * ac->nclasses;

			for (uint32_t c = 0; c < ac->nclasses; c++)
				row[c] = s ? frow[c] : 0;
			for (uint32_t k = ac->child[s]; k < ac->child[s + 1]; k++)
				row[ac->label[k]] = k;
			steps += ac->nclasses;
		}
		if (ooff[s] == ooff[s + 1]) {
			ac->acc[s] = s ? ac->acc[f] : 0;
			continue;
		}
		ret = racc_add(sets, own + ooff[s], ooff[s + 1] - ooff[s],
			       s && ac->acc[f] ? ac->acc[f] : REGEX_ACC_NONE, &ac->acc[s]);
		if (ret)
			return ret;
	}
	if (rwork_spend(w, steps))
		return rwork_fail(e, w);
	return 0;
}

int racm_build(struct rlit *lits, size_t n, bool icase, struct regex_ac *ac,
	       struct regex_accsets *sets, struct rwork *w, struct rerr *e)
{
	struct racm r;
	struct racm_trie t = {0};
	uint32_t *bfs = NULL, *cnt = NULL, *ooff = NULL, *own = NULL, *bparent = NULL;
	uint64_t bytes = 0;
	int ret;

	memset(ac, 0, sizeof(*ac));
	ret = racc_add(sets, NULL, 0, REGEX_ACC_NONE, &ac->nstates); /* set 0: none */
	if (ret)
		return ret;
	ac->nstates = 0;
	for (size_t i = 0; i < n; i++)
		bytes += lits[i].len;
	/* the sort's compares and the trie: about as much a byte as the DFA's parse */
	if (rwork_spend(w, 2 * bytes + 32 * (uint64_t)n))
		return rwork_fail(e, w);
	racm_classes(&r, lits, n, icase);
	qsort_r(lits, n, sizeof(*lits), racm_cmp, &r);
	ret = racm_trie(&t, &r, lits, n, bytes, e);
	if (ret)
		goto out_free;
	ret = -ENOMEM;
	ac->nclasses = r.nclasses;
	memcpy(ac->classes, r.cls, sizeof(ac->classes));
	uint32_t maxd = 0;
	for (uint32_t v = 0; v < t.n; v++)
		maxd = t.depth[v] > maxd ? t.depth[v] : maxd;
	bfs = malloc((size_t)t.n * sizeof(*bfs));
	cnt = calloc((size_t)maxd + 2, sizeof(*cnt));
	ooff = calloc((size_t)t.n + 1, sizeof(*ooff));
	own = malloc((n ? n : 1) * sizeof(*own));
	bparent = malloc((size_t)t.n * sizeof(*bparent));
	if (!bfs || !cnt || !ooff || !own || !bparent || racm_alloc(ac, t.n))
		goto out_free;
	/* breadth-first numbers: a stable counting sort of preorder by depth */
	for (uint32_t v = 0; v < t.n; v++)
		cnt[t.depth[v] + 1]++;
	for (uint32_t d = 1; d <= maxd + 1; d++)
		cnt[d] += cnt[d - 1];
	for (uint32_t v = 0; v < t.n; v++)
		bfs[v] = cnt[t.depth[v]]++;
	for (uint32_t v = 0; v < t.n; v++) {
		uint32_t s = bfs[v];

		ac->label[s] = t.label[v];
		bparent[s] = bfs[t.parent[v]];
		if (v)
			ac->child[bparent[s] + 1]++;
	}
	ac->child[0] = 1; /* the root's children start at state 1 */
	for (uint32_t s = 0; s < t.n; s++)
		ac->child[s + 1] += ac->child[s];
	/* each state's own patterns, ascending (the sort put equal literals in id order) */
	for (size_t i = 0; i < n; i++)
		ooff[bfs[t.node[i]] + 1]++;
	for (uint32_t s = 0; s < t.n; s++)
		ooff[s + 1] += ooff[s];
	for (size_t i = 0; i < n; i++)
		own[ooff[bfs[t.node[i]]]++] = lits[i].id;
	for (uint32_t s = t.n; s > 0; s--)
		ooff[s] = ooff[s - 1];
	ooff[0] = 0;
	ret = racm_links(ac, sets, ooff, own, bparent, w, e);
out_free:
	if (ret)
		racm_free(ac);
	free(bfs);
	free(cnt);
	free(ooff);
	free(own);
	free(bparent);
	racm_trie_free(&t);
	return ret;
}

void racm_free(struct regex_ac *ac)
{
	free(ac->dense);
	free(ac->child);
	free(ac->label);
	free(ac->fail);
	free(ac->acc);
	free(ac->eol);
	memset(ac, 0, sizeof(*ac));
}
