/* SPDX-License-Identifier: MIT */
/*
 * arena.h - where file chunks land: one region per ring slot. Private to pump/.
 */
#ifndef VYRE_ARENA_H
#define VYRE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "gpu.h"

/*
 * Owned by the pump. Relaunch mode: anonymous host memory we mmap, imported
 * into Vulkan and registered with io_uring (READ_FIXED, O_DIRECT: zero copy).
 * Persistent mode: a BAR buffer, since a persistent kernel reads host
 * memory stale (platform fact 3, ARCHITECTURE.md) and BAR cannot be registered (fact 4).
 */
struct arena {
	struct gpu_buf buf;
	void *host;       /* our mmap, NULL for a BAR arena */
	size_t host_size;
	size_t region;    /* bytes per slot: chunk plus one page of tail window */
	uint32_t nregions;
};

#define ARENA_TAIL 4096u /* >= the longest pattern - 1, and keeps O_DIRECT aligned */

/*
 * Tail window room past each chunk: a page, or 64 KiB for chunks of 1 MiB
 * and more (grep reads that far into the next chunk for a line before it
 * must continue the line in another slot); costs at most 6% of a region.
 */
static inline uint32_t arena_tail(uint32_t chunk)
{
	return chunk >= (1u << 20) ? 65536u : ARENA_TAIL;
}

int arena_create(struct gpu *g, uint32_t nregions, uint32_t chunk, bool bar, struct arena *a);
void arena_destroy(struct gpu *g, struct arena *a);

static inline uint8_t *arena_region(const struct arena *a, uint32_t i)
{
	return (uint8_t *)a->buf.map + (size_t)i * a->region;
}

static inline uint64_t arena_offset(const struct arena *a, uint32_t i)
{
	return (uint64_t)i * a->region;
}

#endif
