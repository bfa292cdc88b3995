// SPDX-License-Identifier: MIT
/*
 * pool.c - first fit over a sorted free list. Jobs are few (at most one
 * region per batch id, 4096) and allocate once each, so a linear walk is
 * plenty; what matters is that a freed region merges back with its
 * neighbours so a 16 MiB region can be had again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

int pool_init(struct pool *p, uint32_t size, uint32_t align)
{
	memset(p, 0, sizeof(*p));
	p->size = size;
	p->align = align;
	p->cap = 16;
	p->free = malloc(p->cap * sizeof(*p->free));
	if (!p->free)
		return -ENOMEM;
	p->free[0] = (struct pool_extent){0, size};
	p->nfree = 1;
	return 0;
}

void pool_fini(struct pool *p)
{
	free(p->free);
	memset(p, 0, sizeof(*p));
}

static uint32_t pool_round(const struct pool *p, uint32_t len)
{
	return (len + p->align - 1) / p->align * p->align;
}

int pool_alloc(struct pool *p, uint32_t len, uint32_t *off)
{
	if (!len || len > p->size)
		return -EINVAL;
	len = pool_round(p, len);
	for (uint32_t i = 0; i < p->nfree; i++) {
		struct pool_extent *e = &p->free[i];

		if (e->len < len)
			continue;
		*off = e->off;
		e->off += len;
		e->len -= len;
		if (!e->len) {
			memmove(e, e + 1, (p->nfree - i - 1) * sizeof(*e));
			p->nfree--;
		}
		return 0;
	}
	return -ENOSPC;
}

void pool_free(struct pool *p, uint32_t off, uint32_t len)
{
	uint32_t i = 0;

	len = pool_round(p, len);
	while (i < p->nfree && p->free[i].off < off)
		i++;
	/* merge with the extent before, the one after, or both */
	if (i > 0 && p->free[i - 1].off + p->free[i - 1].len == off) {
		p->free[i - 1].len += len;
		if (i < p->nfree && off + len == p->free[i].off) {
			p->free[i - 1].len += p->free[i].len;
			memmove(&p->free[i], &p->free[i + 1],
				(p->nfree - i - 1) * sizeof(*p->free));
			p->nfree--;
		}
		return;
	}
	if (i < p->nfree && off + len == p->free[i].off) {
		p->free[i].off = off;
		p->free[i].len += len;
		return;
	}
	if (p->nfree == p->cap) {
		struct pool_extent *n = realloc(p->free, 2 * p->cap * sizeof(*n));
		if (!n)
			return; /* the range is lost to the pool, not to correctness */
		p->free = n;
		p->cap *= 2;
	}
	memmove(&p->free[i + 1], &p->free[i], (p->nfree - i) * sizeof(*p->free));
	p->free[i] = (struct pool_extent){off, len};
	p->nfree++;
}
