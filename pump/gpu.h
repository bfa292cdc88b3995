/* SPDX-License-Identifier: MIT */
/*
 * gpu.h - Vulkan device, memory placement and the megakernel pipeline.
 * Private to pump/.
 */
#ifndef VYRE_GPU_H
#define VYRE_GPU_H

#include <sched.h> /* cpu_set_t (the build defines _GNU_SOURCE) */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

/*
 * One Vulkan device and its compute queue. Owned by the pump that opened
 * it; touched only by that pump's thread after gpu_open returns.
 */
struct gpu {
	VkInstance instance;
	VkDebugUtilsMessengerEXT messenger; /* only with VYRE_VALIDATION=1 */
	VkPhysicalDevice phys;
	VkDevice dev;
	VkQueue queue;
	uint32_t queue_family;
	VkPhysicalDeviceProperties props;
	VkPhysicalDeviceMemoryProperties mem;
	bool is_cpu;             /* lavapipe: no persistent kernel (fact 6, ARCHITECTURE.md) */
	uint32_t compute_units;  /* SMs where the driver says, else a guess */
	/* workgroups of a persistent grid: compute_units x 4, or x
	 * VYRE_PERSISTENT_GROUPS (gpu.c; ring.c ring_kick) */
	uint32_t persistent_groups;
	VkDeviceSize bar_bytes;  /* largest DEVICE_LOCAL|HOST_VISIBLE heap */
	VkDeviceSize import_align;
	char name[256];
	char pci[16]; /* "DDDD:BB:DD.F" where the driver says (VK_EXT_pci_bus_info), else "" */
	char driver[VK_MAX_DRIVER_NAME_SIZE + VK_MAX_DRIVER_INFO_SIZE + 2];
	PFN_vkGetMemoryHostPointerPropertiesEXT host_ptr_props;
	bool has_budget; /* VK_EXT_memory_budget enabled (pump/budget.c) */
	/* bytes this gpu's buffers hold, per heap: the usage budget.c counts
	 * where the driver reports none */
	VkDeviceSize heap_used[VK_MAX_MEMORY_HEAPS];
	/* gpu_debug (pump/debug_ring.c): records in the kernel's debug ring, a
	 * power of two; 0 builds the production pipeline. Set before ring_create. */
	uint32_t debug_cap;
};

/* Where a buffer's memory should live (platform facts 1-3, ARCHITECTURE.md). */
enum gpu_place {
	GPU_PLACE_SYSMEM, /* HOST_VISIBLE|HOST_COHERENT, not device-local if possible */
	GPU_PLACE_BAR,    /* DEVICE_LOCAL|HOST_VISIBLE|HOST_COHERENT */
	GPU_PLACE_NEAR,   /* BAR if there is one, else sysmem */
	GPU_PLACE_DEVICE, /* DEVICE_LOCAL, not mapped: only the GPU touches it (the file cache) */
	/*
	 * As SYSMEM, HOST_CACHED if possible: GPU-written words the host reads
	 * in bulk (grep's line records). NVIDIA's first sysmem type is not
	 * HOST_CACHED, mapped write-combining: every host load there goes to
	 * memory, one at a time (issue 23: ~87 ns a record on the H100).
	 */
	GPU_PLACE_READBACK,
};

struct gpu_buf {
	VkBuffer buf;
	VkDeviceMemory mem;
	void *map;
	VkDeviceSize size;
	VkDeviceAddress addr;
	uint32_t type;   /* memory type index */
	VkDeviceSize alloc; /* bytes of memory allocated (gpu_buf.c's heap_used) */
	bool imported;   /* host memory we own elsewhere; not unmapped here */
};

int gpu_open(const char *select, struct gpu **out);
/* Indices (as device=) of the GPUs, CPU devices left out; how many, or -errno. */
int gpu_list_gpus(uint32_t *idx, uint32_t max);
/* The CPUs nearest the device (sysfs local_cpulist), as a set and as text; -ENOENT if unknown. */
int gpu_local_cpus(const struct gpu *g, cpu_set_t *set, char *text, size_t len);
void gpu_close(struct gpu **g);
int gpu_buf_alloc(struct gpu *g, VkDeviceSize size, enum gpu_place place, struct gpu_buf *b);
/*
 * As gpu_buf_alloc, mapped but not cleared: for a buffer whose owner
 * writes every word before anything reads it (pump/ring.c: the data pool
 * and the line records). Clearing 96 MiB and faulting its pages in was
 * ~30% of a daemon start's CPU on lavapipe (BENCHMARKS.md).
 */
int gpu_buf_alloc_uncleared(struct gpu *g, VkDeviceSize size, enum gpu_place place,
			    struct gpu_buf *b);
int gpu_buf_import(struct gpu *g, void *ptr, VkDeviceSize size, struct gpu_buf *b);
void gpu_buf_free(struct gpu *g, struct gpu_buf *b);
const char *gpu_place_name(const struct gpu *g, const struct gpu_buf *b);
/* Whether b's memory type is HOST_CACHED (host loads go through the CPU caches). */
bool gpu_buf_host_cached(const struct gpu *g, const struct gpu_buf *b);

/* Count of validation-layer errors seen so far in this process. */
unsigned gpu_validation_errors(void);
int gpu_errno(VkResult r);
void gpu_log_vk(const char *call, VkResult r, const char *file, int line);

/* Wraps a Vulkan call: on failure logs it, sets ret and jumps to label. */
#define VK(call, label)                                                                  \
	do {                                                                             \
		VkResult vk_r_ = (call);                                                 \
		if (vk_r_ != VK_SUCCESS) {                                               \
			gpu_log_vk(#call, vk_r_, __FILE__, __LINE__);                    \
			ret = gpu_errno(vk_r_);                                          \
			goto label;                                                      \
		}                                                                        \
	} while (0)

/* The megakernel pipeline bound to a ring's four buffers. */
struct gpu_kernel {
	VkDescriptorSetLayout set_layout;
	VkPipelineLayout layout;
	VkPipeline pipeline;
	VkDescriptorPool pool;
	VkDescriptorSet set;
	VkCommandPool cmd_pool;
	VkCommandBuffer cmd;
	VkFence fence;
	struct gpu_buf indirect; /* VkDispatchIndirectCommand, host-written */
	bool in_flight;
};

int gpu_kernel_create(struct gpu *g, bool persistent, const struct gpu_buf *bufs[4],
		      const void *push, uint32_t push_size, struct gpu_kernel *k);
void gpu_kernel_destroy(struct gpu *g, struct gpu_kernel *k);
/* Submits one dispatch of groups workgroups. -EBUSY if one is in flight. */
int gpu_kernel_launch(struct gpu *g, struct gpu_kernel *k, uint32_t groups);
/* 1 if the last launch has ended (or none is in flight), 0 if running, <0 error. */
int gpu_kernel_idle(struct gpu *g, struct gpu_kernel *k);
/* Waits up to timeout_ns for the launch in flight: 1 ended, 0 still running. */
int gpu_kernel_wait_for(struct gpu *g, struct gpu_kernel *k, uint64_t timeout_ns);
/* Blocks until the launch in flight ends (shutdown only). */
int gpu_kernel_wait(struct gpu *g, struct gpu_kernel *k);

#endif
