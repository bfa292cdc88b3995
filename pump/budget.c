// SPDX-License-Identifier: MIT
/*
 * budget.c - device memory pressure gives the file cache back
 * (ARCHITECTURE.md "The file cache", "Under memory pressure"). The pump
 * thread reads the driver's memory budget for the cache's heap
 * (VK_EXT_memory_budget) every PUMP_BUDGET_EVERY_NS; when what the budget
 * leaves this process is under the margin (budget_margin), the cache's
 * last block drains (its entries dropped, cache_block.c) and, once no slot
 * out can name it, its memory is freed; once the room is back, freed
 * blocks are made again (budget_grow). Jobs never fail for it: a chunk not
 * in the cache is read from its file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pump_priv.h"

/* the budget is read this often */
#define PUMP_BUDGET_EVERY_NS (250ull * 1000000ull)
/* a draining block is looked at this often, and the budget again after a free */
#define PUMP_BUDGET_DRAIN_NS (10ull * 1000000ull)
#define PUMP_BUDGET_MARGIN_MIN (256ull << 20)
/* a freed block is made again only this long after the last shrink */
#define PUMP_BUDGET_GROW_AFTER_NS (2000ull * 1000000ull)

/*
 * The room the budget must leave this process: 1/32 of the heap (2.5 GiB
 * of an H100's 80, 4.4 of an H200's 141), at least 256 MiB. Another
 * process allocates between two reads of the budget: a CUDA context takes
 * ~0.5 GiB at its start, a framework's caching allocator grows by
 * segments of MiBs to a few GiB, and an allocation that finds the heap full
 * fails in that process (the driver does not page VRAM out for compute).
 * The cache gives a block back as soon as the room left falls under the
 * margin, so the other process's next allocations find the room.
 */
static uint64_t budget_margin(const struct pump *p)
{
	uint64_t m = p->gpu->mem.memoryHeaps[p->budget_heap].size / 32;

	return m > PUMP_BUDGET_MARGIN_MIN ? m : PUMP_BUDGET_MARGIN_MIN;
}

/*
 * VYRE_FAULT_BUDGET (tests only): the heap's budget is reported as this
 * number of bytes; or, for a path (it starts with '/'), as the number the
 * file holds at each read (none while the file is absent or empty), so a
 * test applies the pressure mid-run. lavapipe reports no budget of its
 * own; where the driver does not, the usage is what this unit allocated
 * (gpu_buf.c, heap_used).
 */
static int budget_fault(const struct pump *p, uint64_t *budget)
{
	char buf[32], *end;
	unsigned long long v;
	ssize_t n;
	int fd;

	/* *budget is written only with a fault: it holds the driver's reading */
	if (!p->fault_budget_path) {
		if (!p->fault_budget_set)
			return -ENOENT;
		*budget = p->fault_budget;
		return 0;
	}
	fd = open(p->fault_budget_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = 0;
	v = strtoull(buf, &end, 10);
	if (end == buf)
		return -EINVAL;
	*budget = v;
	return 0;
}

static int budget_read(struct pump *p, uint64_t *budget, uint64_t *usage)
{
	struct gpu *g = p->gpu;
	int ret = -ENOTSUP;

	*usage = g->heap_used[p->budget_heap];
	if (g->has_budget) {
		VkPhysicalDeviceMemoryBudgetPropertiesEXT mb = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT,
		};
		VkPhysicalDeviceMemoryProperties2 m2 = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2,
			.pNext = &mb,
		};
		vkGetPhysicalDeviceMemoryProperties2(g->phys, &m2);
		/* a heap's budget is never 0 where the driver knows it (the extension's spec) */
		if (mb.heapBudget[p->budget_heap]) {
			*budget = mb.heapBudget[p->budget_heap];
			*usage = mb.heapUsage[p->budget_heap];
			ret = 0;
		} else {
			ret = -ENODATA;
		}
	}
	if (budget_fault(p, budget) == 0)
		ret = 0;
	return ret;
}

int budget_init(struct pump *p)
{
	const char *s = getenv("VYRE_FAULT_BUDGET"); /* tests only */
	char *end;

	if (s && *s == '/') {
		p->fault_budget_path = strdup(s);
		if (!p->fault_budget_path)
			return -ENOMEM;
	} else if (s) {
		errno = 0;
		p->fault_budget = strtoull(s, &end, 10);
		if (errno || end == s || *end || *s == '-') {
			vlog_err("pump: VYRE_FAULT_BUDGET=%s: must be a number of bytes or a file's "
				 "path", s);
			return -EINVAL;
		}
		p->fault_budget_set = true;
	}
	if (!p->cache)
		return 0;
	p->budget_heap = p->gpu->mem.memoryTypes[p->cache->blocks[0].buf.type].heapIndex;
	p->budget_polls = p->gpu->has_budget || s;
	if (p->budget_polls) {
		uint64_t budget = 0, usage = 0;
		if (budget_read(p, &budget, &usage) == -ENODATA) {
			/* polled still: a driver may start reporting it */
			vlog_info("pump: %s reports a memory budget of 0 for heap %u (it has no "
				  "reading): the file cache keeps its size until it reports one",
				  p->gpu->name, p->budget_heap);
			return 0;
		}
		/* exact bytes: cache_budget.bats sizes its pressure from them */
		vlog_info("pump: file cache: heap %u's memory budget read every %llu ms; blocks "
			  "go back when it leaves less than margin=%llu bytes beyond usage=%llu "
			  "(budget=%llu, heap=%llu)",
			  p->budget_heap, PUMP_BUDGET_EVERY_NS / 1000000,
			  (unsigned long long)budget_margin(p), (unsigned long long)usage,
			  (unsigned long long)budget,
			  (unsigned long long)p->gpu->mem.memoryHeaps[p->budget_heap].size);
	} else {
		vlog_info("pump: %s reports no memory budget (VK_EXT_memory_budget): the file "
			  "cache keeps its size under another process's memory pressure",
			  p->gpu->name);
	}
	return 0;
}

void budget_fini(struct pump *p)
{
	free(p->fault_budget_path);
	p->fault_budget_path = NULL;
}

uint64_t pump_budget_wait_ns(const struct pump *p)
{
	if (!p->budget_polls)
		return 0;
	return p->cache->draining ? PUMP_BUDGET_DRAIN_NS : PUMP_BUDGET_EVERY_NS;
}

/* The draining block is freed once nothing pins it; true if it was. */
static bool budget_free_drained(struct pump *p)
{
	struct cache *c = p->cache;
	int b = cache_shrink_idle(c);

	if (b < 0)
		return false;
	ring_cache_block(p->ring, (uint32_t)b, 0);
	cache_shrink_end(p->gpu, c);
	vlog_info("pump: file cache block %d freed: the cache has %llu MiB of device memory left",
		  b,
		  (unsigned long long)(atomic_load_explicit(&c->capacity, memory_order_relaxed) >>
				       20));
	return true;
}

/*
 * The pressure is gone: the first freed block is made again, if the room
 * left keeps the margin and one block more after it (so the next read
 * does not give it straight back) and nothing shrank for
 * PUMP_BUDGET_GROW_AFTER_NS (a process whose use swings gets no block
 * that would go again at its next swing). Its address is in the ring
 * before the pump thread publishes again. True if one was made.
 */
static bool budget_grow(struct pump *p, uint64_t now, uint64_t room, uint64_t margin)
{
	struct cache *c = p->cache;
	uint64_t bytes;
	int b;

	if (c->live == c->nblocks || now - p->budget_shrunk_ns < PUMP_BUDGET_GROW_AFTER_NS)
		return false;
	bytes = (uint64_t)c->blocks[c->live].n * c->region;
	if (room < margin + 2 * bytes)
		return false;
	b = cache_grow(p->gpu, c);
	if (b < 0)
		return false;
	ring_cache_block(p->ring, (uint32_t)b, c->blocks[b].buf.addr);
	vlog_info("pump: device memory: the budget leaves this process %llu MiB: the file cache "
		  "makes block %d (%llu MiB) again, %llu MiB now",
		  (unsigned long long)(room >> 20), b, (unsigned long long)(bytes >> 20),
		  (unsigned long long)(atomic_load_explicit(&c->capacity, memory_order_relaxed) >>
				       20));
	return true;
}

/*
 * Runs every pass of the pump thread (unit.c). Not on a dead unit: its
 * slots were ended by the host while the GPU may still read them
 * (watchdog.c), so no block is freed under it.
 */
void pump_budget(struct pump *p, uint64_t now)
{
	struct cache *c = p->cache;
	uint64_t budget, usage, margin, room;

	if (!p->budget_polls || now < p->budget_next_ns || pump_is_dead(p))
		return;
	p->budget_next_ns = now + PUMP_BUDGET_DRAIN_NS;
	if (c->draining) {
		budget_free_drained(p);
		return;
	}
	if (budget_read(p, &budget, &usage))
		return;
	margin = budget_margin(p);
	room = budget > usage ? budget - usage : 0;
	if (room >= margin) {
		if (!budget_grow(p, now, room, margin))
			p->budget_next_ns = now + PUMP_BUDGET_EVERY_NS;
		return;
	}
	if (cache_shrink_begin(c))
		return;
	p->budget_shrunk_ns = now;
	vlog_err("pump: device memory: heap %u's budget %llu MiB leaves this process %llu MiB "
		 "beyond the %llu MiB it uses, under the margin of %llu MiB (another process "
		 "needs the memory): the file cache gives block %u (%llu MiB) back, %llu MiB left",
		 p->budget_heap, (unsigned long long)(budget >> 20),
		 (unsigned long long)(room >> 20), (unsigned long long)(usage >> 20),
		 (unsigned long long)(margin >> 20), c->live,
		 (unsigned long long)((c->blocks[c->live].n * c->region) >> 20),
		 (unsigned long long)(atomic_load_explicit(&c->capacity, memory_order_relaxed) >>
				      20));
	budget_free_drained(p); /* nothing of it pinned: at once */
}
