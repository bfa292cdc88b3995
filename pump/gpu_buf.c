// SPDX-License-Identifier: MIT
/*
 * gpu_buf.c - buffers on an opened device (gpu.c): each placed in the
 * memory ARCHITECTURE.md's "Platform facts" say is fast for its reader,
 * allocated, or imported from host memory (VK_EXT_external_memory_host),
 * and freed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu.h"
#include "log.h"

/* Best memory type among bits for place; UINT32_MAX if none is host-visible. */
static uint32_t gpu_pick_type(const struct gpu *g, uint32_t bits, enum gpu_place place)
{
	const VkMemoryPropertyFlags hv =
		VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
	const VkMemoryPropertyFlags dl = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
	uint32_t best = UINT32_MAX;
	int best_score = -1;

	for (uint32_t i = 0; i < g->mem.memoryTypeCount; i++) {
		VkMemoryPropertyFlags f = g->mem.memoryTypes[i].propertyFlags;
		int score;
		if (!(bits & (1u << i)))
			continue;
		if (place == GPU_PLACE_DEVICE) {
			/* VRAM the host does not map first: the BAR heap stays for the ring */
			if (!(f & dl))
				continue;
			score = (f & hv) ? 1 : 2;
			if (score > best_score) {
				best_score = score;
				best = i;
			}
			continue;
		}
		if ((f & hv) != hv)
			continue;
		switch (place) {
		case GPU_PLACE_SYSMEM:
			score = (f & dl) ? 1 : 2;
			break;
		case GPU_PLACE_READBACK:
			score = ((f & dl) ? 1 : 3) + !!(f & VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
			break;
		case GPU_PLACE_BAR:
			if (!(f & dl))
				continue;
			score = 2;
			break;
		default:
			score = (f & dl) ? 2 : 1;
			break;
		}
		if (score > best_score) {
			best_score = score;
			best = i;
		}
	}
	return best;
}

static const VkBufferUsageFlags gpu_usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
					    VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT |
					    VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT;

static int gpu_buf_bind(struct gpu *g, struct gpu_buf *b, const void *import_next,
			enum gpu_place place, uint32_t type_bits)
{
	VkMemoryRequirements req;
	int ret = 0;

	vkGetBufferMemoryRequirements(g->dev, b->buf, &req);
	b->type = gpu_pick_type(g, req.memoryTypeBits & type_bits, place);
	if (b->type == UINT32_MAX) {
		vlog_err("vulkan: %s has no %s memory type for a %s buffer", g->name,
			 place == GPU_PLACE_DEVICE ? "device-local" : "host-visible",
			 place == GPU_PLACE_BAR ? "BAR" : place == GPU_PLACE_DEVICE ? "device" : "shared");
		return -ENOTSUP;
	}
	VkMemoryAllocateFlagsInfo flags = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
		.pNext = import_next,
		.flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT,
	};
	VkMemoryAllocateInfo ai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &flags,
		.allocationSize = import_next ? b->size : req.size,
		.memoryTypeIndex = b->type,
	};
	VK(vkAllocateMemory(g->dev, &ai, NULL, &b->mem), out);
	g->heap_used[g->mem.memoryTypes[b->type].heapIndex] += ai.allocationSize;
	b->alloc = ai.allocationSize;
	VK(vkBindBufferMemory(g->dev, b->buf, b->mem, 0), out);
	VkBufferDeviceAddressInfo bda = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO,
		.buffer = b->buf,
	};
	b->addr = vkGetBufferDeviceAddress(g->dev, &bda);
out:
	return ret;
}

int gpu_buf_alloc(struct gpu *g, VkDeviceSize size, enum gpu_place place, struct gpu_buf *b)
{
	int ret = gpu_buf_alloc_uncleared(g, size, place, b);

	if (!ret && b->map)
		memset(b->map, 0, size);
	return ret;
}

int gpu_buf_alloc_uncleared(struct gpu *g, VkDeviceSize size, enum gpu_place place,
			    struct gpu_buf *b)
{
	int ret = 0;

	memset(b, 0, sizeof(*b));
	b->size = size;
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = size,
		.usage = gpu_usage,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VK(vkCreateBuffer(g->dev, &bci, NULL, &b->buf), out_free);
	ret = gpu_buf_bind(g, b, NULL, place, UINT32_MAX);
	if (ret)
		goto out_free;
	if (place == GPU_PLACE_DEVICE)
		return 0; /* never mapped: no host pointer */
	VK(vkMapMemory(g->dev, b->mem, 0, VK_WHOLE_SIZE, 0, &b->map), out_free);
	return 0;
out_free:
	gpu_buf_free(g, b);
	return ret;
}

/*
 * Imports anonymous host memory, so io_uring's reads into it are what the
 * shader reads (no copy). ptr and size must be import_align aligned.
 */
int gpu_buf_import(struct gpu *g, void *ptr, VkDeviceSize size, struct gpu_buf *b)
{
	const VkExternalMemoryHandleTypeFlagBits ht =
		VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
	int ret = 0;

	memset(b, 0, sizeof(*b));
	b->size = size;
	b->imported = true;
	if (((uintptr_t)ptr | size) & (g->import_align - 1))
		return -EINVAL;
	VkMemoryHostPointerPropertiesEXT hp = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT,
	};
	VK(g->host_ptr_props(g->dev, ht, ptr, &hp), out_free);
	VkExternalMemoryBufferCreateInfo ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
		.handleTypes = ht,
	};
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.pNext = &ext,
		.size = size,
		.usage = gpu_usage,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VK(vkCreateBuffer(g->dev, &bci, NULL, &b->buf), out_free);
	VkImportMemoryHostPointerInfoEXT imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
		.handleType = ht,
		.pHostPointer = ptr,
	};
	ret = gpu_buf_bind(g, b, &imp, GPU_PLACE_SYSMEM, hp.memoryTypeBits);
	if (ret)
		goto out_free;
	b->map = ptr;
	return 0;
out_free:
	gpu_buf_free(g, b);
	return ret;
}

void gpu_buf_free(struct gpu *g, struct gpu_buf *b)
{
	if (b->map && !b->imported)
		vkUnmapMemory(g->dev, b->mem);
	if (b->buf)
		vkDestroyBuffer(g->dev, b->buf, NULL);
	if (b->mem) {
		vkFreeMemory(g->dev, b->mem, NULL);
		g->heap_used[g->mem.memoryTypes[b->type].heapIndex] -= b->alloc;
	}
	memset(b, 0, sizeof(*b));
}

bool gpu_buf_host_cached(const struct gpu *g, const struct gpu_buf *b)
{
	return g->mem.memoryTypes[b->type].propertyFlags & VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
}

const char *gpu_place_name(const struct gpu *g, const struct gpu_buf *b)
{
	VkMemoryPropertyFlags f = g->mem.memoryTypes[b->type].propertyFlags;

	if (b->imported)
		return "host_import";
	if (g->is_cpu)
		return "cpu";
	return (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) ? "bar" : "sysmem";
}
