// SPDX-License-Identifier: MIT
/* regex_walk.c - a walker per engine of regex_compile_prog's tables (regex_walk.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "regex_walk.h"

/* Marks pattern id on line l: counts it once per line, keeps the line's smallest. */
static void tally_hit(struct tally *y, uint32_t id, uint32_t l)
{
	if (y->seen[id] != l + 1) {
		y->seen[id] = l + 1;
		y->count[id]++;
	}
	if (y->first[l] == WALK_NONE || id < y->first[l])
		y->first[l] = id;
}

static void ac_set(const struct regex_prog *p, struct tally *y, uint32_t k, uint32_t l)
{
	const struct regex_accsets *s = &p->sets;

	if (!k || y->setseen[k] == l + 1)
		return;
	/* the set's first[] must be its smallest pattern: the GPU's "first pattern" reads only it
	 */
	uint32_t f = y->first[l];
	for (uint32_t j = k; j != REGEX_ACC_NONE; j = s->parent[j]) {
		CHECK(s->parent[j] == REGEX_ACC_NONE || s->parent[j] < j, "set %u's parent", j);
		if (y->setseen[j] == l + 1)
			break; /* this suffix's patterns are counted already */
		y->setseen[j] = l + 1;
		for (uint32_t i = s->off[j]; i < s->off[j + 1]; i++)
			tally_hit(y, s->ids[i], l);
	}
	uint32_t want = f == WALK_NONE || s->first[k] < f ? s->first[k] : f;
	CHECK(y->first[l] == want, "set %u: first %u, walked %u", k, s->first[k], y->first[l]);
}

static uint32_t ac_next(const struct regex_ac *a, uint32_t s, uint8_t c)
{
	for (;;) {
		if (s < a->ndense)
			return a->dense[(size_t)s * a->nclasses + c];
		for (uint32_t k = a->child[s]; k < a->child[s + 1]; k++) {
			CHECK(k == a->child[s] || a->label[k - 1] < a->label[k], "labels ascend");
			if (a->label[k] == c)
				return k;
		}
		CHECK(a->fail[s] < s, "fail %u of %u", a->fail[s], s);
		s = a->fail[s];
	}
}

static void walk_ac(const struct regex_prog *p, const struct text *t, struct tally *y)
{
	const struct regex_ac *a = &p->ac;

	for (uint32_t l = 0; l < t->nlines; l++) {
		uint32_t s = 0;

		ac_set(p, y, a->acc[0], l);
		for (size_t i = t->start[l]; i + 1 < t->start[l + 1]; i++) {
			s = ac_next(a, s, a->classes[t->p[i]]);
			ac_set(p, y, a->acc[s], l);
		}
		if (a->eol) /* the line ends in s: its '$' patterns */
			ac_set(p, y, a->eol[s], l);
	}
}

/* t |= shift(s & m, d) over nw words */
static void shift_or(uint32_t *t, const uint32_t *s, const uint32_t *m, int32_t d, uint32_t nw)
{
	uint32_t q = (uint32_t)(d < 0 ? -d : d) / 32, r = (uint32_t)(d < 0 ? -d : d) % 32;

	for (uint32_t i = 0; i < nw; i++) {
		uint32_t v = s[i] & m[i];

		if (!v)
			continue;
		if (d >= 0) {
			if (i + q < nw)
				t[i + q] |= v << r;
			if (r && i + q + 1 < nw)
				t[i + q + 1] |= v >> (32 - r);
		} else {
			if (i >= q)
				t[i - q] |= v >> r;
			if (r && i >= q + 1)
				t[i - q - 1] |= v << (32 - r);
		}
	}
}

static void shift_hits(const struct regex_shift *s, const uint32_t *d, const uint32_t *mask,
		       struct tally *y, uint32_t l)
{
	for (uint32_t w = 0; w < s->nwords; w++) {
		uint32_t v = d[w] & mask[w];

		while (v) {
			uint32_t b = (uint32_t)__builtin_ctz(v);

			v &= v - 1;
			tally_hit(y, s->owner[w * 32 + b], l);
		}
	}
}

static void walk_shift(const struct regex_prog *p, const struct text *t, struct tally *y)
{
	const struct regex_shift *s = &p->shift;
	uint32_t nw = s->nwords;
	uint32_t *d = calloc(nw + 1, 4), *n = calloc(nw + 1, 4);

	CHECK(d && n, "calloc");
	for (uint32_t l = 0; l < t->nlines; l++) {
		size_t a = t->start[l], e = t->start[l + 1] - 1;
		bool live = false;

		memset(d, 0, nw * 4);
		for (size_t i = a; i < e; i++) {
			const uint32_t *bc = s->byclass + (size_t)s->classes[t->p[i]] * nw;
			bool any = false;

			memset(n, 0, nw * 4);
			if (live) {
				for (uint32_t k = 0; k < s->ndist; k++)
					shift_or(n, d, s->mask + (size_t)k * nw, s->dist[k], nw);
				for (uint32_t w = 0; w < nw; w++) /* exception edges */
					for (uint32_t v = d[w] & s->exc_src[w]; v; v &= v - 1) {
						uint32_t q = w * 32 + (uint32_t)__builtin_ctz(v);

						for (uint32_t k = s->exc_off[q];
						     k < s->exc_off[q + 1]; k++)
							n[s->exc_to[k] / 32] |=
							    1u << (s->exc_to[k] % 32);
					}
			}
			for (uint32_t w = 0; w < nw; w++) {
				n[w] =
				    (n[w] | s->first[w] | (i == a ? s->first_bol[w] : 0)) & bc[w];
				any |= n[w] != 0;
			}
			memcpy(d, n, nw * 4);
			live = any;
			if (live)
				shift_hits(s, d, s->last, y, l);
		}
		if (live)
			shift_hits(s, d, s->last_eol, y, l);
		for (uint32_t i = 0; i < s->npatterns; i++)
			if (s->flags[i] & REGEX_SHIFT_ALWAYS ||
			    (s->flags[i] & REGEX_SHIFT_EMPTY_LINE && e == a))
				tally_hit(y, i, l);
	}
	free(d);
	free(n);
}

/* The DFA knows no pattern: a selected line counts for pattern 0. */
static void walk_dfa(const struct regex_prog *p, const struct text *t, struct tally *y)
{
	const struct regex_dfa *d = &p->dfa;

	for (uint32_t l = 0; l < t->nlines; l++) {
		uint32_t s = d->start;

		for (size_t i = t->start[l]; i + 1 < t->start[l + 1]; i++)
			s = d->next[(size_t)s * d->nclasses + d->classes[t->p[i]]];
		if (d->accept[s])
			tally_hit(y, 0, l);
	}
}

void walk_tally_init(struct tally *y, size_t npat, const struct text *t, uint32_t nsets)
{
	y->count = calloc(npat + 1, sizeof(*y->count));
	y->seen = calloc(npat + 1, sizeof(*y->seen));
	y->first = malloc(((size_t)t->nlines + 1) * sizeof(*y->first));
	y->setseen = calloc((size_t)nsets + 1, sizeof(*y->setseen));
	CHECK(y->count && y->seen && y->first && y->setseen, "malloc");
	for (uint32_t l = 0; l < t->nlines; l++)
		y->first[l] = WALK_NONE;
}

void walk_tally_free(struct tally *y)
{
	free(y->count);
	free(y->seen);
	free(y->first);
	free(y->setseen);
}

void walk(const struct regex_prog *p, const struct text *t, struct tally *y)
{
	switch (p->engine) {
	case REGEX_ENGINE_AC:
		walk_ac(p, t, y);
		break;
	case REGEX_ENGINE_SHIFT:
		walk_shift(p, t, y);
		break;
	case REGEX_ENGINE_DFA:
		walk_dfa(p, t, y);
		break;
	default:
		CHECK(0, "engine %u", p->engine);
	}
}
