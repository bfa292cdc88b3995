// SPDX-License-Identifier: MIT
/*
 * cache_block.c - the file cache's device memory (ARCHITECTURE.md "The
 * file cache"): made at mount in up to VYRE_CACHE_BLOCKS_MAX blocks, each
 * its own buffer, so that memory pressure from another process can take
 * the cache back one block at a time (pump/budget.c) while jobs run. The
 * shader finds a block through the ring's control words (vyre_abi.h
 * VYRE_CI_CACHE_BLOCK); the pump thread keeps those and this file in step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "log.h"

static uint32_t cache_pow2(uint32_t n)
{
	uint32_t b = 1;

	while (b < n && b < (1u << 30))
		b <<= 1;
	return b;
}

static void cache_free_files(struct cache *c)
{
	for (uint32_t b = 0; b < c->file_buckets; b++) {
		while (c->file_hash[b]) {
			struct cache_file *f = c->file_hash[b];
			c->file_hash[b] = f->hnext;
			free(f);
		}
	}
}

/*
 * The blocks: nslots / VYRE_CACHE_BLOCKS_MAX slots each, rounded up, so a
 * cache of 64 GiB gives memory back 1 GiB at a time and a small one a slot
 * at a time. A block's cache offsets span the next power of two of its
 * bytes (the shader splits an offset with a shift); at 64 blocks of up to
 * 2^37 bytes that is 2^43, whose VYRE_TEE_UNIT count still fits VYRE_W_TEE.
 * Every block or none: a refused one gives back those made, and the caller
 * asks again for less (unit.c, pump_cache_open).
 */
static int cache_blocks_alloc(struct gpu *g, struct cache *c)
{
	uint64_t span;
	int ret;

	c->per_block = (c->nslots + VYRE_CACHE_BLOCKS_MAX - 1) / VYRE_CACHE_BLOCKS_MAX;
	c->nblocks = (c->nslots + c->per_block - 1) / c->per_block;
	span = (uint64_t)c->per_block * c->region;
	for (c->shift = 12; (1ull << c->shift) < span; c->shift++)
		;
	if (c->shift > 37)
		return -E2BIG;
	for (uint32_t b = 0; b < c->nblocks; b++) {
		struct cache_block *k = &c->blocks[b];
		k->first = b * c->per_block;
		k->n = c->nslots - k->first < c->per_block ? c->nslots - k->first : c->per_block;
		ret = gpu_buf_alloc(g, (VkDeviceSize)k->n * c->region, GPU_PLACE_DEVICE, &k->buf);
		if (ret)
			return ret;
	}
	c->live = c->nblocks;
	c->live_slots = c->nslots;
	atomic_store_explicit(&c->capacity, (uint64_t)c->nslots * c->region, memory_order_relaxed);
	return 0;
}

int cache_create(struct gpu *g, uint32_t nslots, uint64_t region, struct cache **out)
{
	struct cache *c;
	int ret;

	if (!region || !nslots || nslots > UINT32_MAX - 1 || region % VYRE_TEE_UNIT)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->region = region;
	c->nslots = nslots;
	c->ent_buckets = cache_pow2(c->nslots);
	c->file_buckets = cache_pow2(c->nslots / 4 + 1);
	c->ents = calloc(c->nslots, sizeof(*c->ents));
	c->ent_hash = malloc((size_t)c->ent_buckets * sizeof(*c->ent_hash));
	c->file_hash = calloc(c->file_buckets, sizeof(*c->file_hash));
	ret = -ENOMEM;
	if (!c->ents || !c->ent_hash || !c->file_hash)
		goto out_free;
	memset(c->ent_hash, 0xFF, (size_t)c->ent_buckets * sizeof(*c->ent_hash));
	ret = cache_blocks_alloc(g, c);
	if (ret) /* the caller asks again for less (unit.c, pump_cache_open) */
		goto out_free;
	for (uint32_t i = 0; i < c->nslots; i++)
		c->ents[i] = (struct cache_ent){.next = i + 1 < c->nslots ? i + 1 : CACHE_NONE,
						.prev = CACHE_NONE,
						.fprev = CACHE_NONE,
						.fnext = CACHE_NONE,
						.hnext = CACHE_NONE};
	c->free_head = 0;
	c->lru_head = c->lru_tail = CACHE_NONE;
	*out = c;
	return 0;
out_free:
	for (uint32_t b = 0; b < c->nblocks; b++)
		gpu_buf_free(g, &c->blocks[b].buf);
	free(c->ents);
	free(c->ent_hash);
	free(c->file_hash);
	free(c);
	return ret;
}

void cache_destroy(struct gpu *g, struct cache **cp)
{
	struct cache *c = *cp;

	if (!c)
		return;
	for (uint32_t b = 0; b < c->nblocks; b++)
		gpu_buf_free(g, &c->blocks[b].buf);
	cache_free_files(c);
	free(c->ents);
	free(c->ent_hash);
	free(c->file_hash);
	free(c);
	*cp = NULL;
}

/*
 * The last live block's entries go: a valid unpinned one now (its files
 * lose it as on any eviction), a pinned one (read by a slot out, or being
 * filled) at its last unpin; its free entries leave the free list, and an
 * entry freed later in it does not join it (cache.c, cache_free_ent).
 */
int cache_shrink_begin(struct cache *c)
{
	const struct cache_block *k;
	uint32_t *pp;

	if (c->draining)
		return -EBUSY;
	if (!c->live)
		return -ENOENT;
	k = &c->blocks[--c->live];
	c->live_slots = k->first;
	c->draining = true;
	atomic_fetch_sub_explicit(&c->capacity, (uint64_t)k->n * c->region, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->shrinks, 1, memory_order_relaxed);
	for (pp = &c->free_head; *pp != CACHE_NONE;) {
		if (*pp >= c->live_slots)
			*pp = c->ents[*pp].next;
		else
			pp = &c->ents[*pp].next;
	}
	for (uint32_t i = k->first; i < k->first + k->n; i++)
		if (c->ents[i].state == CE_VALID || c->ents[i].state == CE_FILLING)
			cache_kill(c, i);
	return 0;
}

int cache_shrink_idle(const struct cache *c)
{
	const struct cache_block *k = &c->blocks[c->live];

	if (!c->draining)
		return -ENOENT;
	for (uint32_t i = k->first; i < k->first + k->n; i++)
		if (c->ents[i].pins || c->ents[i].state != CE_FREE)
			return -EBUSY;
	return (int)c->live;
}

void cache_shrink_end(struct gpu *g, struct cache *c)
{
	if (!c->draining)
		return;
	gpu_buf_free(g, &c->blocks[c->live].buf);
	c->draining = false;
}

/*
 * The first block a shrink freed is made again (the pressure is gone):
 * its number, for the caller to write its address into the ring before
 * the pump thread publishes again; -EBUSY while one drains, -ENOENT with
 * every block live, or the allocation's -errno (the device refused:
 * nothing changes).
 */
int cache_grow(struct gpu *g, struct cache *c)
{
	struct cache_block *k;
	int ret;

	if (c->draining)
		return -EBUSY;
	if (c->live == c->nblocks)
		return -ENOENT;
	k = &c->blocks[c->live];
	ret = gpu_buf_alloc(g, (VkDeviceSize)k->n * c->region, GPU_PLACE_DEVICE, &k->buf);
	if (ret)
		return ret;
	c->live_slots = k->first + k->n;
	for (uint32_t i = k->first + k->n; i-- > k->first;) { /* FREE, off every list */
		c->ents[i].next = c->free_head;
		c->free_head = i;
	}
	atomic_fetch_add_explicit(&c->capacity, (uint64_t)k->n * c->region, memory_order_relaxed);
	return (int)c->live++;
}
