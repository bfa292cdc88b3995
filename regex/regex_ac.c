// SPDX-License-Identifier: MIT
/*
 * regex_ac.c - fixed strings, and the literal prefixes of alternatives,
 * as one trie in the NFA.
 *
 * Subset construction over `.*(w1|...|wn)` with one chain per word keeps
 * every word's first state in every DFA state: 10,000 words make sets of
 * 10,000. Over a trie, a DFA state's set is a node and its failure chain
 * (the nodes spelling its suffixes), a few states, and the construction
 * computes Aho-Corasick's goto/failure automaton without being told to.
 * The trie is keyed by interned set, so "[ab]x" and "[ab]y" share a node
 * as well as "ax" and "ay" do, and grep -i keys {a,A}.
 */
#include <errno.h>
#include <stdlib.h>

#include "regex_priv.h"

static uint32_t rac_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (uint32_t)k;
}

static int rac_grow(struct rnfa *m)
{
	uint32_t cap = m->tcap ? m->tcap * 2 : 1024;
	uint64_t *key = malloc((size_t)cap * sizeof(*key));
	uint32_t *val = malloc((size_t)cap * sizeof(*val));

	if (!key || !val) {
		free(key);
		free(val);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cap; i++)
		key[i] = UINT64_MAX;
	for (uint32_t i = 0; i < m->tcap; i++) {
		if (m->tkey[i] == UINT64_MAX)
			continue;
		uint32_t h = rac_hash(m->tkey[i]) & (cap - 1);
		while (key[h] != UINT64_MAX)
			h = (h + 1) & (cap - 1);
		key[h] = m->tkey[i];
		val[h] = m->tval[i];
	}
	free(m->tkey);
	free(m->tval);
	m->tkey = key;
	m->tval = val;
	m->tcap = cap;
	return 0;
}

int rac_child(struct rnfa *m, uint32_t s, uint32_t set, uint32_t *child)
{
	uint64_t k = (uint64_t)s << 32 | set;
	int ret;

	if ((m->tn + 1) * 2 > m->tcap) {
		ret = rac_grow(m);
		if (ret)
			return ret;
	}
	uint32_t h = rac_hash(k) & (m->tcap - 1);
	for (; m->tkey[h] != UINT64_MAX; h = (h + 1) & (m->tcap - 1)) {
		if (m->tkey[h] == k) {
			*child = m->tval[h];
			return 0;
		}
	}
	ret = rnfa_state(m, child);
	if (!ret)
		ret = rnfa_edge(m, s, *child, set);
	if (ret)
		return ret;
	m->tkey[h] = k;
	m->tval[h] = *child;
	m->tn++;
	return 0;
}

int rac_add_literal(struct rnfa *m, const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	int ret;

	for (size_t i = 0; i < len; i++) {
		uint32_t *set = &m->byteset[p[i]];

		if (*set == RAST_NONE) {
			struct rset b = {0};

			rset_add(&b, p[i]);
			if (m->icase)
				rset_fold(&b);
			ret = rset_intern(m->sets, &b, set);
			if (ret)
				return ret;
		}
		ret = rac_child(m, s, *set, &s);
		if (ret)
			return ret;
	}
	return rnfa_edge(m, s, m->final, RNFA_EPS);
}
