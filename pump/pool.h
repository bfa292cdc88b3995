/* SPDX-License-Identifier: MIT */
/*
 * pool.h - first-fit allocation of byte ranges in a fixed-size buffer (the
 * job data pool). Private to pump/; owned by the ring, pump thread only.
 */
#ifndef VYRE_POOL_H
#define VYRE_POOL_H

#include <stdint.h>

struct pool_extent {
	uint32_t off, len;
};

/* Free extents sorted by offset, adjacent ones merged. */
struct pool {
	uint32_t size, align;
	struct pool_extent *free;
	uint32_t nfree, cap;
};

int pool_init(struct pool *p, uint32_t size, uint32_t align);
void pool_fini(struct pool *p);
/* 0 and *off, or -ENOSPC (nothing large enough free now), -EINVAL. */
int pool_alloc(struct pool *p, uint32_t len, uint32_t *off);
void pool_free(struct pool *p, uint32_t off, uint32_t len);

#endif
