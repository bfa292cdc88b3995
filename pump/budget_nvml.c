// SPDX-License-Identifier: MIT
/*
 * budget_nvml.c - the device's free memory from NVIDIA's management
 * library, for budget.c where the Vulkan driver gives no budget.
 *
 * NVIDIA's driver 580 has VK_EXT_memory_budget but reports a heapBudget
 * of 0 (BENCHMARKS.md, 2026-12-07 third session), so without another
 * reading the file cache could not tell another process's pressure. The
 * driver ships libnvidia-ml.so.1 beside it (nvidia-smi reads memory
 * through it). It is opened with dlopen at mount, never linked: a machine
 * without it (every other GPU, lavapipe, CI) builds and runs as before,
 * and its absence is one log line. The GPU is the one whose PCI address
 * the Vulkan driver gave (gpu.c, VK_EXT_pci_bus_info).
 *
 * Only the four entry points below are used; their C types are NVML's
 * stable ABI (nvml.h): an int result, 0 for success, an opaque device
 * handle, and three 64-bit byte counts.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "pump_priv.h"

struct nvml_memory {
	unsigned long long total, free, used;
};

struct budget_nvml {
	void *lib;
	void *dev;
	int (*shutdown)(void);
	int (*memory)(void *dev, struct nvml_memory *m);
};

/* The library opened and the GPU at pci found in it: 0, or -ENOENT/-ENODEV. */
int budget_nvml_open(const char *pci, struct budget_nvml **out)
{
	struct budget_nvml *n;
	int (*init)(void), (*by_pci)(const char *, void **);
	int ret = -ENOENT;

	*out = NULL;
	if (!pci || !pci[0])
		return -ENODEV;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!n->lib)
		goto out_free;
	*(void **)&init = dlsym(n->lib, "nvmlInit_v2");
	*(void **)&by_pci = dlsym(n->lib, "nvmlDeviceGetHandleByPciBusId_v2");
	*(void **)&n->shutdown = dlsym(n->lib, "nvmlShutdown");
	*(void **)&n->memory = dlsym(n->lib, "nvmlDeviceGetMemoryInfo");
	if (!init || !by_pci || !n->shutdown || !n->memory)
		goto out_close;
	if (init() != 0)
		goto out_close;
	if (by_pci(pci, &n->dev) != 0) {
		ret = -ENODEV;
		goto out_shutdown;
	}
	*out = n;
	return 0;
out_shutdown:
	n->shutdown();
out_close:
	dlclose(n->lib);
out_free:
	free(n);
	return ret;
}

/* The device's free bytes now: 0, or -EIO when NVML could not say. */
int budget_nvml_free(struct budget_nvml *n, uint64_t *free_bytes)
{
	struct nvml_memory m;

	if (n->memory(n->dev, &m) != 0)
		return -EIO;
	*free_bytes = m.free;
	return 0;
}

void budget_nvml_close(struct budget_nvml **np)
{
	struct budget_nvml *n = *np;

	if (!n)
		return;
	n->shutdown();
	dlclose(n->lib);
	free(n);
	*np = NULL;
}
