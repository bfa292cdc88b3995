/* SPDX-License-Identifier: MIT */
/*
 * regex_pdfa.h - the product of regex_pdfa.c, shared with its builder
 * regex_pdfa_prod.c (private to regex/). One struct rpd lives on
 * rpdfa_build's stack; rpdfa_build allocates and frees every array in it.
 */
#ifndef VYRE_REGEX_PDFA_H
#define VYRE_REGEX_PDFA_H

#include <errno.h>
#include <stdlib.h>

#include "regex_priv.h"

/*
 * Host memory while building: pairs of (pattern, value) kept for the
 * states, the bases and their steps (8 bytes a pair, 64 MiB), and the
 * accept sets' entries.
 */
#define RPD_PAIRS_MAX	    (8u << 20)
#define RPD_TUPLE_WORDS_MAX (16u << 20)
#define RPD_DONE	    UINT32_MAX /* a part that matched, or never will */

/* One part off its default: pattern i's part has value t. */
struct rpd_pair {
	uint32_t i, t;
};

/* Pairs, ascending by i where a comment says so, grown geometrically. */
struct rpd_vec {
	struct rpd_pair *v;
	uint32_t n, cap;
};

struct rpd {
	size_t n;	       /* patterns */
	struct regex_dfa *d;   /* n */
	uint32_t k, newline;   /* the product's classes, the '\n' one */
	uint8_t cls[256];
	uint8_t *map;	       /* k * n: product class c is class map[c * n + i] of pattern i */
	/* the parts: each one's default, its steps, and the product classes of its classes */
	uint32_t *def;	 /* n */
	uint32_t *poff;	 /* n + 1: pattern i's classes are entries poff[i].. of dstep and ioff */
	uint32_t *dstep; /* poff[n]: the default's next value on each of its classes */
	uint32_t *ioff;	 /* poff[n] + 1: the product classes of each in inv[ioff[x]..ioff[x + 1]) */
	uint8_t *inv;
	/* the bases: the line's start (0), and what one byte of each class makes of the defaults */
	uint32_t nb, beta[256];	  /* bases; the base of the states class c enters */
	uint32_t *bof, *aof;	  /* nb + 1: base b's parts bpool[bof[b]..], its accepting ones */
	struct rpd_vec bpool, apool;
	uint32_t *oof;		  /* nb * k + 1: base b's parts on class c, opool[oof[b * k + c]..] */
	struct rpd_vec opool;
	/* the states */
	uint32_t ns, cap;
	uint32_t *base, *doff, *dcnt; /* cap: each state's base and parts, dpool[doff..doff + dcnt) */
	struct rpd_vec dpool;
	uint64_t *hash;	       /* cap */
	uint32_t *next;	       /* cap * k */
	uint32_t *set, *eol;   /* cap: its accept set, its end-of-line set */
	bool any_eol;	       /* some state's end-of-line set is not empty */
	uint32_t *slot, nslot; /* states by hash: id + 1, 0 empty */
	struct rpd_vec cand;   /* the parts of the state being looked up */
	struct rpd_vec bk[256]; /* per class: the parts the state being stepped sets */
	uint32_t *mark, *mark2, stamp, stamp2; /* n: parts of the state stepped, of the one added */
	/* the sets, found again by their patterns */
	struct regex_accsets *sets;
	uint64_t *shash; /* scap */
	uint32_t scap;
	uint32_t *sslot, nsslot;
	uint32_t *ids; /* n: a state's patterns */
	struct rwork *work;
	struct rerr *err;
};

static inline uint64_t rpd_mix(uint64_t h, uint32_t x)
{
	h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xbf58476d1ce4e5b9ull;
}

static inline bool rpd_matched(const struct regex_dfa *d, uint32_t s)
{
	return d->accept[s] && d->sink[s];
}

/* A part's value at the start of a line. */
static inline uint32_t rpd_init(const struct regex_dfa *d)
{
	return d->sink[d->start] && !d->accept[d->start] ? RPD_DONE : d->start;
}

/*
 * A part's next value on its class pc: a part that matched (recorded)
 * steps as if the line began; one that matches every line (recorded at
 * the start) or never will again is DONE, which every byte keeps.
 */
static inline uint32_t rpd_step(const struct regex_dfa *d, uint32_t t, uint32_t pc)
{
	if (t != RPD_DONE && rpd_matched(d, t))
		t = rpd_matched(d, d->start) ? RPD_DONE : d->start;
	if (t == RPD_DONE || d->sink[t])
		return RPD_DONE;
	t = d->next[(size_t)t * d->nclasses + pc];
	return d->sink[t] && !d->accept[t] ? RPD_DONE : t;
}
static inline int rpd_grow(void **v, size_t want, size_t size)
{
	void *n = realloc(*v, want * size);

	if (!n)
		return -ENOMEM;
	*v = n;
	return 0;
}

/* regex_pdfa_prod.c: the sets, and the product breadth first from the line's start */
int rpd_set(struct rpd *p, uint32_t m, uint32_t *k);
int rpd_parts(struct rpd *p);
int rpd_bases(struct rpd *p);
int rpd_product(struct rpd *p);

#endif
