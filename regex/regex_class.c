// SPDX-License-Identifier: MIT
/*
 * regex_class.c - byte classes: the coarsest partition of 0..255 in which
 * every set on an NFA edge is a union of classes and '\n' is alone.
 *
 * Each set splits every class into its bytes in and out of the set; a
 * class is numbered by its smallest byte, so the numbering depends only on
 * the sets. Cost: 256 steps per interned set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

int rclass_build(struct rclass *c, const struct rset_tab *sets, struct rwork *w, struct rerr *e)
{
	uint8_t of[256];
	int16_t remap[512];
	uint32_t n = 2;

	memset(c, 0, sizeof(*c));
	if (rwork_spend(w, 3 * 256 * (uint64_t)sets->n))
		return rwork_fail(e, w);
	memset(of, 0, sizeof(of));
	of['\n'] = 1;
	for (uint32_t i = 0; i < sets->n; i++) {
		uint32_t nn = 0;

		for (uint32_t k = 0; k < 2 * n; k++)
			remap[k] = -1;
		for (unsigned b = 0; b < 256; b++) {
			unsigned key = of[b] * 2u + rset_has(&sets->v[i], b);

			if (remap[key] < 0)
				remap[key] = (int16_t)nn++;
			of[b] = (uint8_t)remap[key];
		}
		n = nn;
	}
	memcpy(c->of, of, sizeof(of));
	c->n = n;
	c->newline = of['\n'];

	c->soff = malloc(((size_t)sets->n + 1) * sizeof(*c->soff));
	size_t total = 0;
	for (uint32_t i = 0; i < sets->n; i++) {
		uint8_t seen[256] = {0};

		for (unsigned b = 0; b < 256; b++)
			if (rset_has(&sets->v[i], b) && !seen[of[b]]) {
				seen[of[b]] = 1;
				total++;
			}
	}
	c->list = malloc(total ? total : 1);
	if (!c->soff || !c->list) {
		rclass_free(c);
		return -ENOMEM;
	}
	size_t o = 0;
	for (uint32_t i = 0; i < sets->n; i++) {
		uint8_t seen[256] = {0};

		c->soff[i] = (uint32_t)o;
		for (unsigned b = 0; b < 256; b++)
			if (rset_has(&sets->v[i], b) && !seen[of[b]]) {
				seen[of[b]] = 1;
				c->list[o++] = of[b];
			}
	}
	c->soff[sets->n] = (uint32_t)o;
	return 0;
}

void rclass_free(struct rclass *c)
{
	free(c->soff);
	free(c->list);
	memset(c, 0, sizeof(*c));
}
