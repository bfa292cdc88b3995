// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "arena.h"
#include "log.h"

#define ARENA_THP (2u << 20)

/*
 * The host arena in THPs: the advice must come before the first touch
 * (MAP_POPULATE would fault in 4 KiB pages first) and on a 2 MiB-aligned
 * range, so the mapping is one THP longer and the arena starts at its
 * first boundary. io_uring registration and the Vulkan import both take
 * such pages (tools/uring_read -H thp checks the first on a machine).
 */
static int arena_map_huge(struct arena *a)
{
	size_t len = a->host_size + ARENA_THP;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *host;
	int ret;

	if (p == MAP_FAILED)
		return -errno;
	host = (uint8_t *)(((uintptr_t)p + ARENA_THP - 1) & ~(uintptr_t)(ARENA_THP - 1));
	if (madvise(host, a->host_size, MADV_HUGEPAGE) < 0) {
		ret = -errno;
		vlog_err("arena: madvise(MADV_HUGEPAGE) failed (%d); is THP off "
			 "(/sys/kernel/mm/transparent_hugepage/enabled)? mount without huge=1",
			 ret);
		munmap(p, len);
		return ret;
	}
	memset(host, 0, a->host_size); /* fault it all in now, as MAP_POPULATE would */
	a->host = host;
	a->host_lead = (size_t)(host - p);
	a->huge = true;
	return 0;
}

int arena_create(struct gpu *g, uint32_t nregions, uint32_t chunk, unsigned flags,
		 struct arena *a)
{
	size_t align = g->import_align ? g->import_align : 4096;
	int ret;

	memset(a, 0, sizeof(*a));
	a->nregions = nregions;
	a->region = ((size_t)chunk + arena_tail(chunk) + align - 1) & ~(align - 1);
	if (flags & ARENA_BAR) {
		ret = gpu_buf_alloc(g, a->region * nregions, GPU_PLACE_BAR, &a->buf);
		if (ret)
			vlog_err("arena: %zu MiB of BAR memory unavailable (%d); lower slots= or "
				 "chunk=, or use kernel=relaunch",
				 (a->region * nregions) >> 20, ret);
		return ret;
	}
	a->host_size = a->region * nregions;
	if (flags & ARENA_HUGE) {
		ret = arena_map_huge(a);
		if (ret)
			return ret;
	} else {
		a->host = mmap(NULL, a->host_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (a->host == MAP_FAILED) {
			ret = -errno;
			a->host = NULL;
			vlog_err("arena: mmap of %zu MiB failed (%d); lower slots= or chunk=",
				 a->host_size >> 20, ret);
			return ret;
		}
	}
	ret = gpu_buf_import(g, a->host, a->host_size, &a->buf);
	if (ret) {
		vlog_err("arena: importing %zu MiB of host memory into Vulkan failed (%d); "
			 "lower slots= or chunk=",
			 a->host_size >> 20, ret);
		munmap((uint8_t *)a->host - a->host_lead, a->host_size + (a->huge ? ARENA_THP : 0));
		a->host = NULL;
	}
	return ret;
}

void arena_destroy(struct gpu *g, struct arena *a)
{
	gpu_buf_free(g, &a->buf);
	if (a->host)
		munmap((uint8_t *)a->host - a->host_lead, a->host_size + (a->huge ? ARENA_THP : 0));
	memset(a, 0, sizeof(*a));
}
