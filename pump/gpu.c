// SPDX-License-Identifier: MIT
/*
 * gpu.c - pick a Vulkan device and open it with the features the
 * megakernel needs; gpu_buf.c places buffers on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gpu.h"
#include "log.h"

static atomic_uint validation_errors;

unsigned gpu_validation_errors(void)
{
	return atomic_load_explicit(&validation_errors, memory_order_relaxed);
}

int gpu_errno(VkResult r)
{
	switch (r) {
	case VK_SUCCESS:
		return 0;
	case VK_ERROR_OUT_OF_HOST_MEMORY:
		return -ENOMEM;
	case VK_ERROR_OUT_OF_DEVICE_MEMORY:
	case VK_ERROR_TOO_MANY_OBJECTS:
		return -ENOSPC;
	case VK_ERROR_DEVICE_LOST:
		return -EIO;
	case VK_ERROR_INITIALIZATION_FAILED:
	case VK_ERROR_INCOMPATIBLE_DRIVER:
		return -ENODEV;
	case VK_ERROR_EXTENSION_NOT_PRESENT:
	case VK_ERROR_FEATURE_NOT_PRESENT:
	case VK_ERROR_LAYER_NOT_PRESENT:
		return -ENOTSUP;
	case VK_ERROR_INVALID_EXTERNAL_HANDLE:
		return -EINVAL;
	case VK_TIMEOUT:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

void gpu_log_vk(const char *call, VkResult r, const char *file, int line)
{
	vlog_err("vulkan: %s failed: VkResult %d (%s:%d)", call, (int)r, file, line);
}

static VKAPI_ATTR VkBool32 VKAPI_CALL
gpu_debug_cb(VkDebugUtilsMessageSeverityFlagBitsEXT sev, VkDebugUtilsMessageTypeFlagsEXT type,
	     const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
	(void)type;
	(void)user;
	if (sev & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
		atomic_fetch_add_explicit(&validation_errors, 1, memory_order_relaxed);
		vlog_err("vulkan validation error: %s", data->pMessage);
	} else if (sev & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
		vlog_info("vulkan validation warning: %s", data->pMessage);
	}
	return VK_FALSE;
}

static bool env_on(const char *name)
{
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0") != 0;
}

/*
 * Workgroups a persistent grid runs per compute unit. One was the design
 * (a persistent kernel's workgroups must all be resident), but no
 * workgroup waits for another (shaders/megakernel.comp: each claims tiles
 * alone), so more only share the SM, and one left 8 warps an SM to hide
 * grep's DFA walk (a chain of dependent shared-memory loads) and L2's
 * latency behind. H100, chunks in device memory (BENCHMARKS.md, fifth
 * session): grep 60 -> 108-112 GB/s and count 1.0 -> 1.56 TB/s from 1 to
 * 4, 8 no better; a 4 KiB job's p50 within noise (88-115 us against
 * 105-118). VYRE_PERSISTENT_GROUPS (1-16) overrides it, for benchmarks.
 */
#define GPU_PERSISTENT_GROUPS 4

static uint32_t persistent_groups_per_cu(void)
{
	const char *v = getenv("VYRE_PERSISTENT_GROUPS");
	long n = v && *v ? strtol(v, NULL, 10) : GPU_PERSISTENT_GROUPS;

	return n >= 1 && n <= 16 ? (uint32_t)n : GPU_PERSISTENT_GROUPS;
}

static int gpu_create_instance(struct gpu *g)
{
	bool validate = env_on("VYRE_VALIDATION");
	const char *layers[] = {"VK_LAYER_KHRONOS_validation"};
	const char *exts[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "vyrefs",
		.apiVersion = VK_API_VERSION_1_2,
	};
	VkDebugUtilsMessengerCreateInfoEXT dbg = {
		.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
		.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT |
				   VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT,
		.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
			       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
			       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
		.pfnUserCallback = gpu_debug_cb,
	};
	VkInstanceCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pNext = validate ? &dbg : NULL,
		.pApplicationInfo = &app,
		.enabledLayerCount = validate ? 1 : 0,
		.ppEnabledLayerNames = layers,
		.enabledExtensionCount = validate ? 1 : 0,
		.ppEnabledExtensionNames = exts,
	};
	int ret = 0;

	VkResult r = vkCreateInstance(&ci, NULL, &g->instance);
	if (r == VK_ERROR_LAYER_NOT_PRESENT) {
		vlog_err("vulkan: VYRE_VALIDATION=1 but VK_LAYER_KHRONOS_validation is missing "
			 "(apt-get install vulkan-validationlayers)");
		return -ENOTSUP;
	}
	if (r != VK_SUCCESS) {
		vlog_err("vulkan: no Vulkan instance (VkResult %d); install a driver: "
			 "apt-get install mesa-vulkan-drivers (lavapipe) or the GPU vendor's",
			 (int)r);
		return gpu_errno(r);
	}
	if (validate) {
		PFN_vkCreateDebugUtilsMessengerEXT create =
			(PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
				g->instance, "vkCreateDebugUtilsMessengerEXT");
		if (!create)
			return -ENOTSUP;
		VK(create(g->instance, &dbg, NULL, &g->messenger), out);
	}
out:
	return ret;
}

static int device_rank(const VkPhysicalDeviceProperties *p)
{
	switch (p->deviceType) {
	case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
		return 4;
	case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
		return 3;
	case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
		return 2;
	case VK_PHYSICAL_DEVICE_TYPE_CPU:
		return 1;
	default:
		return 0;
	}
}

/* select: NULL or "" for the best device, a decimal index, or a name substring. */
static int gpu_pick(struct gpu *g, const char *select)
{
	VkPhysicalDevice devs[16];
	uint32_t n = 16;
	int best = -1, best_rank = -1;
	char *end = NULL;
	long index = -1;

	VkResult r = vkEnumeratePhysicalDevices(g->instance, &n, devs);
	if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || n == 0) {
		vlog_err("vulkan: no physical device; install mesa-vulkan-drivers for lavapipe");
		return -ENODEV;
	}
	if (select && *select) {
		index = strtol(select, &end, 10);
		if (*end)
			index = -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		VkPhysicalDeviceProperties p;
		vkGetPhysicalDeviceProperties(devs[i], &p);
		if (select && *select) {
			if ((index >= 0 && (uint32_t)index == i) ||
			    (index < 0 && strstr(p.deviceName, select))) {
				best = (int)i;
				break;
			}
			continue;
		}
		if (device_rank(&p) > best_rank) {
			best_rank = device_rank(&p);
			best = (int)i;
		}
	}
	if (best < 0) {
		vlog_err("vulkan: device=%s matches none of the %u devices (use an index "
			 "0..%u or part of a name from vulkaninfo --summary)",
			 select, n, n - 1);
		return -ENODEV;
	}
	g->phys = devs[best];
	vkGetPhysicalDeviceProperties(g->phys, &g->props);
	vkGetPhysicalDeviceMemoryProperties(g->phys, &g->mem);
	g->is_cpu = g->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
	snprintf(g->name, sizeof(g->name), "%s", g->props.deviceName);
	return 0;
}

static bool gpu_has_ext(VkPhysicalDevice phys, const char *name)
{
	uint32_t n = 0;
	bool found = false;
	vkEnumerateDeviceExtensionProperties(phys, NULL, &n, NULL);
	VkExtensionProperties *e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return false;
	vkEnumerateDeviceExtensionProperties(phys, NULL, &n, e);
	for (uint32_t i = 0; i < n && !found; i++)
		found = !strcmp(e[i].extensionName, name);
	free(e);
	return found;
}

static void gpu_query_limits(struct gpu *g)
{
	VkPhysicalDeviceShaderSMBuiltinsPropertiesNV sm = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_SM_BUILTINS_PROPERTIES_NV,
	};
	VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
	};
	VkPhysicalDeviceDriverProperties drv = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
		.pNext = &host,
	};
	VkPhysicalDevicePCIBusInfoPropertiesEXT pci = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PCI_BUS_INFO_PROPERTIES_EXT,
	};
	bool has_pci = gpu_has_ext(g->phys, VK_EXT_PCI_BUS_INFO_EXTENSION_NAME);
	VkPhysicalDeviceProperties2 p2 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
		.pNext = &drv,
	};
	bool has_sm = gpu_has_ext(g->phys, VK_NV_SHADER_SM_BUILTINS_EXTENSION_NAME);

	if (has_sm) {
		sm.pNext = p2.pNext;
		p2.pNext = &sm;
	}
	if (has_pci) {
		pci.pNext = p2.pNext;
		p2.pNext = &pci;
	}
	vkGetPhysicalDeviceProperties2(g->phys, &p2);
	if (has_pci)
		snprintf(g->pci, sizeof(g->pci), "%04x:%02x:%02x.%x", pci.pciDomain & 0xffff,
			 pci.pciBus & 0xff, pci.pciDevice & 0x1f, pci.pciFunction & 0x7);
	snprintf(g->driver, sizeof(g->driver), "%s %s", drv.driverName, drv.driverInfo);
	g->import_align = host.minImportedHostPointerAlignment;
	/* Vulkan has no portable compute-unit count; NVIDIA's SM count is exact. */
	g->compute_units = has_sm && sm.shaderSMCount ? sm.shaderSMCount : 64;
	g->persistent_groups = g->compute_units * persistent_groups_per_cu();

	for (uint32_t i = 0; i < g->mem.memoryTypeCount; i++) {
		VkMemoryPropertyFlags f = g->mem.memoryTypes[i].propertyFlags;
		VkMemoryPropertyFlags bar = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
					    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
					    VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
		VkDeviceSize heap = g->mem.memoryHeaps[g->mem.memoryTypes[i].heapIndex].size;
		if ((f & bar) == bar && heap > g->bar_bytes)
			g->bar_bytes = heap;
	}
}

static int gpu_create_device(struct gpu *g)
{
	VkQueueFamilyProperties qf[16];
	uint32_t nq = 16, fam = UINT32_MAX;
	int ret = 0;

	vkGetPhysicalDeviceQueueFamilyProperties(g->phys, &nq, qf);
	/* A compute-only family keeps the megakernel off the graphics queue. */
	for (uint32_t i = 0; i < nq; i++)
		if ((qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) &&
		    !(qf[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) {
			fam = i;
			break;
		}
	for (uint32_t i = 0; i < nq && fam == UINT32_MAX; i++)
		if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
			fam = i;
	if (fam == UINT32_MAX) {
		vlog_err("vulkan: %s has no compute queue; pick another with device=", g->name);
		return -ENODEV;
	}
	g->queue_family = fam;

	VkPhysicalDeviceVulkan12Features f12 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
	};
	VkPhysicalDeviceFeatures2 f2 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
		.pNext = &f12,
	};
	vkGetPhysicalDeviceFeatures2(g->phys, &f2);
	if (!f12.bufferDeviceAddress || !f12.storageBuffer8BitAccess || !f12.shaderInt8 ||
	    !f2.features.shaderInt64) {
		vlog_err("vulkan: %s lacks a feature the megakernel needs (bufferDeviceAddress, "
			 "8-bit storage, int8, int64); pick another with device=",
			 g->name);
		return -ENOTSUP;
	}
	if (!gpu_has_ext(g->phys, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME)) {
		vlog_err("vulkan: %s lacks VK_EXT_external_memory_host, needed to read file chunks "
			 "in place; pick another with device=",
			 g->name);
		return -ENOTSUP;
	}
	VkPhysicalDeviceVulkan12Features want12 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
		.bufferDeviceAddress = VK_TRUE,
		.storageBuffer8BitAccess = VK_TRUE,
		.shaderInt8 = VK_TRUE,
	};
	VkPhysicalDeviceFeatures2 want = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
		.pNext = &want12,
		.features = {.shaderInt64 = VK_TRUE},
	};
	float prio = 1.0f;
	VkDeviceQueueCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueFamilyIndex = fam,
		.queueCount = 1,
		.pQueuePriorities = &prio,
	};
	const char *exts[3] = {
		VK_KHR_EXTERNAL_MEMORY_EXTENSION_NAME,
		VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME,
		VK_EXT_MEMORY_BUDGET_EXTENSION_NAME, /* where the device has it (pump/budget.c) */
	};
	g->has_budget = gpu_has_ext(g->phys, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
	VkDeviceCreateInfo dci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.pNext = &want,
		.queueCreateInfoCount = 1,
		.pQueueCreateInfos = &qci,
		.enabledExtensionCount = g->has_budget ? 3 : 2,
		.ppEnabledExtensionNames = exts,
	};
	VK(vkCreateDevice(g->phys, &dci, NULL, &g->dev), out);
	vkGetDeviceQueue(g->dev, fam, 0, &g->queue);
	g->host_ptr_props = (PFN_vkGetMemoryHostPointerPropertiesEXT)vkGetDeviceProcAddr(
		g->dev, "vkGetMemoryHostPointerPropertiesEXT");
	if (!g->host_ptr_props)
		ret = -ENOTSUP;
out:
	return ret;
}

#if defined(__SANITIZE_ADDRESS__)
#include <dlfcn.h>
#include <link.h>

#define GPU_PIN_MAX 16

struct gpu_pin_list {
	char *name[GPU_PIN_MAX];
	unsigned n;
};

static int gpu_pin_collect(struct dl_phdr_info *info, size_t size, void *data)
{
	struct gpu_pin_list *l = data;

	(void)size;
	if ((strstr(info->dlpi_name, "libvulkan_") || strstr(info->dlpi_name, "VkLayer")) &&
	    l->n < GPU_PIN_MAX)
		l->name[l->n++] = strdup(info->dlpi_name);
	return 0;
}

/*
 * Sanitizer builds only: the Vulkan loader unloads the driver and layers
 * at vkDestroyInstance, and LeakSanitizer, reporting at exit, then names
 * their frames "<unknown module>", which tests/lsan.supp cannot match
 * (lavapipe 22.3.6-1+deb12u2 leaks 128 bytes of a realloc that way). Kept
 * loaded (RTLD_NODELETE), their leaks are named and suppressed; ours are
 * still reported. The handles stay open on purpose. dlopen runs after
 * dl_iterate_phdr: the loader's locks are not taken twice.
 */
static void gpu_pin_drivers(void)
{
	struct gpu_pin_list l = {.n = 0};

	if (dl_iterate_phdr(gpu_pin_collect, &l))
		return;
	for (unsigned i = 0; i < l.n; i++) {
		if (l.name[i] && !dlopen(l.name[i], RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE))
			vlog_debug("gpu: %s stays unpinned: %s", l.name[i], dlerror());
		free(l.name[i]);
	}
}
#else
static void gpu_pin_drivers(void)
{
}
#endif

int gpu_open(const char *select, struct gpu **out)
{
	struct gpu *g = calloc(1, sizeof(*g));
	int ret;

	if (!g)
		return -ENOMEM;
	ret = gpu_create_instance(g);
	if (ret)
		goto out_close;
	ret = gpu_pick(g, select);
	if (ret)
		goto out_close;
	gpu_query_limits(g);
	ret = gpu_create_device(g);
	if (ret)
		goto out_close;
	gpu_pin_drivers();
	*out = g;
	return 0;
out_close:
	gpu_close(&g);
	return ret;
}

/* The instance and its debug messenger (gpu_create_instance's), if made. */
static void gpu_instance_close(struct gpu *g)
{
	if (g->messenger) {
		PFN_vkDestroyDebugUtilsMessengerEXT destroy =
			(PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
				g->instance, "vkDestroyDebugUtilsMessengerEXT");
		if (destroy)
			destroy(g->instance, g->messenger, NULL);
	}
	if (g->instance)
		vkDestroyInstance(g->instance, NULL);
}

int gpu_list_gpus(uint32_t *idx, uint32_t max)
{
	struct gpu g = {0};
	VkPhysicalDevice devs[16];
	uint32_t n = 16;
	int ret, k = 0;

	ret = gpu_create_instance(&g);
	if (ret)
		goto out;
	VkResult r = vkEnumeratePhysicalDevices(g.instance, &n, devs);
	if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
		ret = gpu_errno(r);
		goto out;
	}
	for (uint32_t i = 0; i < n && (uint32_t)k < max; i++) {
		VkPhysicalDeviceProperties p;
		vkGetPhysicalDeviceProperties(devs[i], &p);
		if (p.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU)
			idx[k++] = i;
	}
	ret = k;
out:
	gpu_instance_close(&g);
	return ret;
}

/* "0-15,32-47" into set; -EINVAL if it names no CPU. */
static int cpulist_parse(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	while (*s && *s != '\n') {
		char *e;
		unsigned long a = strtoul(s, &e, 10), b = a;
		if (e == s)
			return -EINVAL;
		if (*e == '-') {
			s = e + 1;
			b = strtoul(s, &e, 10);
			if (e == s || b < a)
				return -EINVAL;
		}
		for (unsigned long c = a; c <= b && c < CPU_SETSIZE; c++)
			CPU_SET(c, set);
		s = *e == ',' ? e + 1 : e;
	}
	return CPU_COUNT(set) ? 0 : -EINVAL;
}

int gpu_local_cpus(const struct gpu *g, cpu_set_t *set, char *text, size_t len)
{
	char path[96];
	ssize_t n;
	int fd, ret;

	if (!g->pci[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/local_cpulist", g->pci);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, len - 1);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	return cpulist_parse(text, set);
}

void gpu_close(struct gpu **gp)
{
	struct gpu *g = *gp;

	if (!g)
		return;
	if (g->dev)
		vkDestroyDevice(g->dev, NULL);
	gpu_instance_close(g);
	free(g);
	*gp = NULL;
}
