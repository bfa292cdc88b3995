// SPDX-License-Identifier: MIT
/*
 * regex_accept.c - the accept-set table: which patterns accept in a
 * state, each set linked to its longest suffix's. The engines
 * (regex_acm.c, regex_shift.c) add to it and regex_prog.c frees it, so
 * it sits below them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

int racc_add(struct regex_accsets *s, const uint32_t *ids, uint32_t n, uint32_t parent, uint32_t *k)
{
	uint32_t have = s->n ? s->off[s->n] : 0;

	if (s->n + 1 >= s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 64;
		uint32_t *off = realloc(s->off, ((size_t)cap + 1) * sizeof(*off));
		if (off)
			s->off = off;
		uint32_t *par = realloc(s->parent, (size_t)cap * sizeof(*par));
		if (par)
			s->parent = par;
		uint32_t *fst = realloc(s->first, (size_t)cap * sizeof(*fst));
		if (fst)
			s->first = fst;
		if (!off || !par || !fst)
			return -ENOMEM;
		s->cap = cap;
	}
	if (have + n + 1 > s->idcap) {
		uint32_t cap = s->idcap ? s->idcap : 256;

		while (cap < have + n + 1)
			cap *= 2;
		uint32_t *v = realloc(s->ids, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->ids = v;
		s->idcap = cap;
	}
	if (!s->n)
		s->off[0] = 0;
	uint32_t *v = s->ids;
	uint32_t m = 0, first = parent == REGEX_ACC_NONE ? REGEX_ACC_NONE : s->first[parent];
	for (uint32_t i = 0; i < n; i++) {
		if (m && v[have + m - 1] == ids[i])
			continue; /* one pattern's '\n' pieces may repeat a literal */
		v[have + m++] = ids[i];
		first = ids[i] < first ? ids[i] : first;
	}
	s->parent[s->n] = parent;
	s->first[s->n] = first;
	s->off[s->n + 1] = have + m;
	*k = s->n++;
	return 0;
}

void racc_free(struct regex_accsets *s)
{
	free(s->off);
	free(s->ids);
	free(s->parent);
	free(s->first);
	memset(s, 0, sizeof(*s));
}
