// SPDX-License-Identifier: MIT
/*
 * gpu_hog - another process's device memory pressure, for the file cache's
 * shrinking (ARCHITECTURE.md "The file cache", "Under memory pressure"):
 * takes GIB GiB of DEVICE_LOCAL memory on device INDEX (default 0: the
 * first GPU, CPU devices skipped), one GiB every STEP_MS (0: all at once),
 * holds it HOLD_S seconds, frees it and exits. Prints the heap's budget
 * and usage (VK_EXT_memory_budget) after each step. An allocation the
 * device refuses ends the taking, not the program: what was taken is held.
 * INDEX "cpu" takes the first CPU device (lavapipe: to try the tool).
 *
 *   gpu_hog GIB HOLD_S [STEP_MS [INDEX]]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vulkan/vulkan.h>

#define HOG_MAX 1024

static void hog_sleep_ms(unsigned long ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int hog_has_budget(VkPhysicalDevice phys)
{
	uint32_t n = 0;
	int found = 0;
	VkExtensionProperties *e;

	vkEnumerateDeviceExtensionProperties(phys, NULL, &n, NULL);
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return 0;
	vkEnumerateDeviceExtensionProperties(phys, NULL, &n, e);
	for (uint32_t i = 0; i < n; i++)
		found |= !strcmp(e[i].extensionName, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
	free(e);
	return found;
}

static void hog_report(VkPhysicalDevice phys, int budget, uint32_t heap, unsigned taken)
{
	VkPhysicalDeviceMemoryBudgetPropertiesEXT mb = {
	    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT,
	};
	VkPhysicalDeviceMemoryProperties2 m2 = {
	    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2,
	    .pNext = budget ? &mb : NULL,
	};

	vkGetPhysicalDeviceMemoryProperties2(phys, &m2);
	printf("gpu_hog: taken %u GiB; heap %u: %llu MiB", taken, heap,
	       (unsigned long long)(m2.memoryProperties.memoryHeaps[heap].size >> 20));
	if (budget)
		printf(", budget %llu MiB, usage %llu MiB",
		       (unsigned long long)(mb.heapBudget[heap] >> 20),
		       (unsigned long long)(mb.heapUsage[heap] >> 20));
	printf("\n");
	fflush(stdout);
}

/* The device-local memory type on the largest device-local heap. */
static uint32_t hog_type(VkPhysicalDevice phys, uint32_t *heap)
{
	VkPhysicalDeviceMemoryProperties m;
	uint32_t best = UINT32_MAX;
	VkDeviceSize size = 0;

	vkGetPhysicalDeviceMemoryProperties(phys, &m);
	for (uint32_t i = 0; i < m.memoryTypeCount; i++) {
		uint32_t h = m.memoryTypes[i].heapIndex;
		if ((m.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) &&
		    m.memoryHeaps[h].size > size) {
			size = m.memoryHeaps[h].size;
			best = i;
			*heap = h;
		}
	}
	return best;
}

int main(int argc, char **argv)
{
	VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
				 .pApplicationName = "gpu_hog",
				 .apiVersion = VK_API_VERSION_1_2};
	VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
				    .pApplicationInfo = &app};
	VkDeviceMemory mem[HOG_MAX];
	VkPhysicalDevice devs[16];
	VkPhysicalDeviceProperties props;
	VkInstance inst;
	VkDevice dev;
	uint32_t n = 16, type, heap = 0, pick, seen = 0, gib, i, taken = 0;
	int cpu;
	unsigned long hold, step;
	int budget, ret = 1;
	float prio = 1.0f;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: gpu_hog GIB HOLD_S [STEP_MS [INDEX]]\n");
		return 2;
	}
	gib = (uint32_t)strtoul(argv[1], NULL, 10);
	hold = strtoul(argv[2], NULL, 10);
	step = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
	cpu = argc > 4 && !strcmp(argv[4], "cpu");
	pick = argc > 4 && !cpu ? (uint32_t)strtoul(argv[4], NULL, 10) : 0;
	if (!gib || gib > HOG_MAX) {
		fprintf(stderr, "gpu_hog: GIB must be 1-%d\n", HOG_MAX);
		return 2;
	}
	if (vkCreateInstance(&ici, NULL, &inst) != VK_SUCCESS) {
		fprintf(stderr, "gpu_hog: no Vulkan instance\n");
		return 1;
	}
	if (vkEnumeratePhysicalDevices(inst, &n, devs) < 0)
		n = 0;
	for (i = 0; i < n; i++) {
		vkGetPhysicalDeviceProperties(devs[i], &props);
		if ((props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU) == cpu && seen++ == pick)
			break;
	}
	if (i == n) {
		fprintf(stderr, "gpu_hog: no GPU number %u\n", pick);
		goto out_instance;
	}
	type = hog_type(devs[i], &heap);
	budget = hog_has_budget(devs[i]);
	VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
				       .queueCount = 1,
				       .pQueuePriorities = &prio};
	const char *ext = VK_EXT_MEMORY_BUDGET_EXTENSION_NAME;
	VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
				  .queueCreateInfoCount = 1,
				  .pQueueCreateInfos = &qci,
				  .enabledExtensionCount = budget ? 1 : 0,
				  .ppEnabledExtensionNames = &ext};
	if (type == UINT32_MAX || vkCreateDevice(devs[i], &dci, NULL, &dev) != VK_SUCCESS) {
		fprintf(stderr, "gpu_hog: %s: no device-local memory or no device\n",
			props.deviceName);
		goto out_instance;
	}
	printf("gpu_hog: %s, taking %u GiB%s, holding %lu s\n", props.deviceName, gib,
	       step ? " a GiB at a time" : "", hold);
	hog_report(devs[i], budget, heap, 0);
	for (taken = 0; taken < gib; taken++) {
		VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
					   .allocationSize = 1ull << 30,
					   .memoryTypeIndex = type};
		VkResult r = vkAllocateMemory(dev, &ai, NULL, &mem[taken]);
		if (r != VK_SUCCESS) {
			printf("gpu_hog: GiB %u refused (VkResult %d): holding %u GiB\n", taken + 1,
			       r, taken);
			break;
		}
		if (step) {
			hog_report(devs[i], budget, heap, taken + 1);
			hog_sleep_ms(step);
		}
	}
	hog_report(devs[i], budget, heap, taken);
	hog_sleep_ms(hold * 1000);
	for (i = 0; i < taken; i++)
		vkFreeMemory(dev, mem[i], NULL);
	printf("gpu_hog: freed %u GiB\n", taken);
	vkDestroyDevice(dev, NULL);
	ret = 0;
out_instance:
	vkDestroyInstance(inst, NULL);
	return ret;
}
