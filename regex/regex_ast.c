// SPDX-License-Identifier: MIT
/*
 * regex_ast.c - the AST's node store: regex_parse.c and the UTF-8 atoms
 * (regex_utf8.c, regex_utf8_bracket.c) both add nodes, so the store sits
 * below them both.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

int rast_new(struct rast *a, uint32_t kind, uint32_t arg, uint32_t *idx)
{
	if (a->n >= RAST_NODES_MAX)
		return -E2BIG; /* rast_parse says so */
	if (a->n == a->cap) {
		uint32_t cap = a->cap ? a->cap * 2 : 64;
		struct rast_node *v = realloc(a->v, (size_t)cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n] =
	    (struct rast_node){.kind = kind, .arg = arg, .next = RAST_NONE, .min = 1, .max = 1};
	*idx = a->n++;
	return 0;
}

/*
 * ret, with the message for a piece past RAST_NODES_MAX (pos: where the
 * parse stopped) when rast_new's -E2BIG was what ended it.
 */
int rast_full(const struct rast *a, int ret, struct rerr *e, size_t pos)
{
	if (ret == -E2BIG && a->n >= RAST_NODES_MAX)
		return rerr_at(
		    e, ret, pos,
		    "the pattern has more than %u parts (RAST_NODES_MAX), more than "
		    "its NFA could hold (try a shorter pattern, or several shorter ones)",
		    RAST_NODES_MAX);
	return ret;
}

void rast_free(struct rast *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}
