// SPDX-License-Identifier: MIT
/*
 * vk_maps.h - every live mapping of Vulkan memory in a test process, by
 * interposing vkAllocateMemory/vkMapMemory/vkFreeMemory (pump/gpu.c calls
 * the loader's exports), so a test can find the ring's private words the
 * way the GPU does. Include once, after ringfix.h, in the test's one
 * source file. VK_MAPS_POISON (a byte), if defined, fills each new
 * mapping whole: whatever the ring reads before writing shows.
 */
#ifndef VYRE_TEST_VK_MAPS_H
#define VYRE_TEST_VK_MAPS_H

#include <dlfcn.h>
#include <string.h>

#define MAX_MAPS 64

struct mapping {
	VkDeviceMemory mem;
	VkDeviceSize alloc;
	uint8_t *map;
	VkDeviceSize size;
};

static struct mapping maps[MAX_MAPS];

static int map_find(VkDeviceMemory mem)
{
	for (int i = 0; i < MAX_MAPS; i++)
		if (maps[i].mem == mem)
			return i;
	return -1;
}

static void *real_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	CHECK(p, "dlsym(RTLD_NEXT, %s): %s", name, dlerror());
	return p;
}

VKAPI_ATTR VkResult VKAPI_CALL vkAllocateMemory(VkDevice dev, const VkMemoryAllocateInfo *info,
						const VkAllocationCallbacks *cb,
						VkDeviceMemory *mem)
{
	static PFN_vkAllocateMemory real;
	VkResult r;
	int i;

	if (!real)
		*(void **)&real = real_sym("vkAllocateMemory");
	r = real(dev, info, cb, mem);
	if (r == VK_SUCCESS && (i = map_find(VK_NULL_HANDLE)) >= 0)
		maps[i] = (struct mapping){.mem = *mem, .alloc = info->allocationSize};
	return r;
}

VKAPI_ATTR VkResult VKAPI_CALL vkMapMemory(VkDevice dev, VkDeviceMemory mem, VkDeviceSize off,
					   VkDeviceSize size, VkMemoryMapFlags flags, void **out)
{
	static PFN_vkMapMemory real;
	VkResult r;
	int i;

	if (!real)
		*(void **)&real = real_sym("vkMapMemory");
	r = real(dev, mem, off, size, flags, out);
	if (r == VK_SUCCESS && (i = map_find(mem)) >= 0) {
		maps[i].map = *out;
		maps[i].size = size == VK_WHOLE_SIZE ? maps[i].alloc - off : size;
#ifdef VK_MAPS_POISON
		memset(*out, VK_MAPS_POISON, maps[i].size);
#endif
	}
	return r;
}

VKAPI_ATTR void VKAPI_CALL vkFreeMemory(VkDevice dev, VkDeviceMemory mem,
					const VkAllocationCallbacks *cb)
{
	static PFN_vkFreeMemory real;
	int i;

	if (!real)
		*(void **)&real = real_sym("vkFreeMemory");
	if (mem != VK_NULL_HANDLE && (i = map_find(mem)) >= 0)
		memset(&maps[i], 0, sizeof(maps[i]));
	real(dev, mem, cb);
}

#endif
