// SPDX-License-Identifier: MIT
/*
 * regex_set.c - sets of bytes: the C locale's classes, case folding, and
 * interning so that equal sets share one index.
 *
 * The classes are spelled out rather than taken from <ctype.h>: the
 * process may have called setlocale(), and grep -E in LC_ALL=C is the
 * reference whatever the caller's locale.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

static bool rset_c_upper(unsigned c)
{
	return c >= 'A' && c <= 'Z';
}

static bool rset_c_lower(unsigned c)
{
	return c >= 'a' && c <= 'z';
}

static bool rset_c_digit(unsigned c)
{
	return c >= '0' && c <= '9';
}

static bool rset_c_alpha(unsigned c)
{
	return rset_c_upper(c) || rset_c_lower(c);
}

static bool rset_c_alnum(unsigned c)
{
	return rset_c_alpha(c) || rset_c_digit(c);
}

static bool rset_c_space(unsigned c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool rset_c_blank(unsigned c)
{
	return c == ' ' || c == '\t';
}

static bool rset_c_graph(unsigned c)
{
	return c > ' ' && c < 0x7f;
}

static bool rset_c_print(unsigned c)
{
	return c >= ' ' && c < 0x7f;
}

static bool rset_c_punct(unsigned c)
{
	return rset_c_graph(c) && !rset_c_alnum(c);
}

static bool rset_c_cntrl(unsigned c)
{
	return c < ' ' || c == 0x7f;
}

static bool rset_c_xdigit(unsigned c)
{
	return rset_c_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const struct {
	const char *name;
	bool (*has)(unsigned c);
} rset_classes[] = {
    {"alpha", rset_c_alpha}, {"digit", rset_c_digit}, {"alnum", rset_c_alnum},
    {"upper", rset_c_upper}, {"lower", rset_c_lower}, {"space", rset_c_space},
    {"blank", rset_c_blank}, {"punct", rset_c_punct}, {"print", rset_c_print},
    {"graph", rset_c_graph}, {"cntrl", rset_c_cntrl}, {"xdigit", rset_c_xdigit},
};

uint8_t rset_upper(uint8_t c)
{
	return rset_c_lower(c) ? (uint8_t)(c - 'a' + 'A') : c;
}

int rset_class(const char *name, size_t len, bool icase, struct rset *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < sizeof(rset_classes) / sizeof(rset_classes[0]); k++) {
		const char *cn = rset_classes[k].name;

		if (strlen(cn) != len || memcmp(cn, name, len))
			continue;
		/* grep -i: [:upper:] and [:lower:] both mean [:alpha:] */
		bool (*has)(unsigned) = rset_classes[k].has;
		if (icase && (has == rset_c_upper || has == rset_c_lower))
			has = rset_c_alpha;
		for (unsigned c = 0; c < 256; c++)
			if (has(c))
				rset_add(out, c);
		return 0;
	}
	return -ENOENT;
}

void rset_fold(struct rset *s)
{
	for (unsigned c = 'a'; c <= 'z'; c++) {
		unsigned u = c - 'a' + 'A';

		if (rset_has(s, c) || rset_has(s, u)) {
			rset_add(s, c);
			rset_add(s, u);
		}
	}
}

void rset_range(struct rset *s, unsigned lo, unsigned hi)
{
	for (unsigned c = lo; c <= hi; c++)
		rset_add(s, c);
}

void rset_invert(struct rset *s)
{
	for (int k = 0; k < 4; k++)
		s->w[k] = ~s->w[k];
}

void rset_union(struct rset *s, const struct rset *o)
{
	for (int k = 0; k < 4; k++)
		s->w[k] |= o->w[k];
}

static uint32_t rset_hash(const struct rset *s)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;

	for (int k = 0; k < 4; k++) {
		h ^= s->w[k];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

static int rset_grow(struct rset_tab *t)
{
	uint32_t nslot = t->nslot ? t->nslot * 2 : 64;
	uint32_t *slot = calloc(nslot, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t h = rset_hash(&t->v[i]) & (nslot - 1);

		while (slot[h])
			h = (h + 1) & (nslot - 1);
		slot[h] = i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = nslot;
	return 0;
}

/* '\n' is in no set: lines never hold it, and it keeps a class of its own. */
int rset_intern(struct rset_tab *t, const struct rset *in, uint32_t *idx)
{
	struct rset s = *in;
	int ret;

	s.w['\n' >> 6] &= ~(1ull << ('\n' & 63));
	if ((t->n + 1) * 2 > t->nslot) {
		ret = rset_grow(t);
		if (ret)
			return ret;
	}
	uint32_t h = rset_hash(&s) & (t->nslot - 1);
	for (; t->slot[h]; h = (h + 1) & (t->nslot - 1)) {
		if (!memcmp(&t->v[t->slot[h] - 1], &s, sizeof(s))) {
			*idx = t->slot[h] - 1;
			return 0;
		}
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 32;
		struct rset *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n] = s;
	t->slot[h] = t->n + 1;
	*idx = t->n++;
	return 0;
}

void rset_tab_free(struct rset_tab *t)
{
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}
