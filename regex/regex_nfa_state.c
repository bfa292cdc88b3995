// SPDX-License-Identifier: MIT
/*
 * regex_nfa_state.c - a new NFA state or edge, under REGEX_NFA_MAX and the
 * work cap. Both the Thompson construction (regex_nfa.c) and the trie of
 * literal prefixes (regex_ac.c) build with these, and each calls the
 * other, so the allocator sits below them both.
 */
#include <errno.h>
#include <stdlib.h>

#include "regex_priv.h"

/* Names the outermost repetition being expanded when the cap was hit (rn_rep). */
int rnfa_too_big(struct rnfa *m)
{
	char part[64];

	if (m->blame == RAST_NONE)
		return rerr_msg(m->err, -E2BIG,
				"the patterns need more than %u NFA states, REGEX_NFA_MAX (try "
				"fewer or shorter patterns)",
				REGEX_NFA_MAX);
	const struct rast_node *n = &m->ast->v[m->blame];
	rerr_quote(part, sizeof(part), m->pat + n->pos, n->end - n->pos);
	return rerr_at(m->err, -E2BIG, n->pos,
		       "%s needs more than %u NFA states once its counts are multiplied out, "
		       "REGEX_NFA_MAX (try smaller repetition counts, or x+ for x{1,1000})",
		       part, REGEX_NFA_MAX);
}

int rnfa_state(struct rnfa *m, uint32_t *s)
{
	if (m->nstates >= REGEX_NFA_MAX)
		return rnfa_too_big(m);
	*s = m->nstates++;
	return 0;
}

int rnfa_edge(struct rnfa *m, uint32_t from, uint32_t to, uint32_t label)
{
	if (rwork_spend(m->work, 1))
		return rwork_fail(m->err, m->work);
	if (m->ne == m->ecap) {
		if (m->ecap >= 2 * REGEX_NFA_MAX)
			return rnfa_too_big(m);
		uint32_t cap = m->ecap ? m->ecap * 2 : 256;
		struct rnfa_edge *e = realloc(m->e, (size_t)cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		m->e = e;
		m->ecap = cap;
	}
	m->e[m->ne++] = (struct rnfa_edge){.from = from, .to = to, .label = label};
	return 0;
}
