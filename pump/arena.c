// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "arena.h"
#include "log.h"

int arena_create(struct gpu *g, uint32_t nregions, uint32_t chunk, bool bar, struct arena *a)
{
	size_t align = g->import_align ? g->import_align : 4096;
	int ret;

	memset(a, 0, sizeof(*a));
	a->nregions = nregions;
	a->region = ((size_t)chunk + arena_tail(chunk) + align - 1) & ~(align - 1);
	if (bar) {
		ret = gpu_buf_alloc(g, a->region * nregions, GPU_PLACE_BAR, &a->buf);
		if (ret)
			vlog_err("arena: %zu MiB of BAR memory unavailable (%d); lower slots= or "
				 "chunk=, or use kernel=relaunch",
				 (a->region * nregions) >> 20, ret);
		return ret;
	}
	a->host_size = a->region * nregions;
	a->host = mmap(NULL, a->host_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (a->host == MAP_FAILED) {
		ret = -errno;
		a->host = NULL;
		vlog_err("arena: mmap of %zu MiB failed (%d); lower slots= or chunk=",
			 a->host_size >> 20, ret);
		return ret;
	}
	ret = gpu_buf_import(g, a->host, a->host_size, &a->buf);
	if (ret) {
		vlog_err("arena: importing %zu MiB of host memory into Vulkan failed (%d); "
			 "lower slots= or chunk=",
			 a->host_size >> 20, ret);
		munmap(a->host, a->host_size);
		a->host = NULL;
	}
	return ret;
}

void arena_destroy(struct gpu *g, struct arena *a)
{
	gpu_buf_free(g, &a->buf);
	if (a->host)
		munmap(a->host, a->host_size);
	memset(a, 0, sizeof(*a));
}
