// SPDX-License-Identifier: MIT
/*
 * gpu_kernel.c - the megakernel's pipeline, its one recorded command
 * buffer, and launching it.
 *
 * The command buffer is recorded once (bind, push constants, an indirect
 * dispatch); a launch only writes the group count and submits. Completion
 * of slots is seen by polling done words in host memory (ring.c); the fence
 * here only says when the command buffer may be submitted again.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gpu.h"
#include "log.h"
#include "vyre_abi.h"
#include "megakernel_persistent_spv.h"
#include "megakernel_relaunch_gpu_spv.h"
#include "megakernel_relaunch_spv.h"

static int gpu_kernel_layout(struct gpu *g, uint32_t push_size, struct gpu_kernel *k)
{
	VkDescriptorSetLayoutBinding b[4];
	int ret = 0;

	for (uint32_t i = 0; i < 4; i++)
		b[i] = (VkDescriptorSetLayoutBinding){
			.binding = i,
			.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
			.descriptorCount = 1,
			.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
		};
	VkDescriptorSetLayoutCreateInfo sl = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = 4,
		.pBindings = b,
	};
	VK(vkCreateDescriptorSetLayout(g->dev, &sl, NULL, &k->set_layout), out);
	VkPushConstantRange pr = {
		.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
		.size = push_size,
	};
	VkPipelineLayoutCreateInfo pl = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pSetLayouts = &k->set_layout,
		.pushConstantRangeCount = 1,
		.pPushConstantRanges = &pr,
	};
	VK(vkCreatePipelineLayout(g->dev, &pl, NULL, &k->layout), out);
out:
	return ret;
}

/*
 * grep's staged window (shaders/ops/grep_stage.glsl): on where the arena is host
 * memory read over PCIe (relaunch on a GPU), off where it is device memory
 * (persistent) or the "GPU" is the CPU (lavapipe: the barriers cost more
 * than the loads). VYRE_GREP_STAGE=1 or 0 forces it, for the tests that
 * run the staged path on lavapipe and for A/B runs on a GPU.
 */
static uint32_t grep_stage_vecs(const struct gpu *g, bool persistent)
{
	const char *v = getenv("VYRE_GREP_STAGE");
	bool on = !persistent && !g->is_cpu;

	if (v && *v)
		on = strcmp(v, "0") != 0;
	return on ? VYRE_GREP_STAGE_VECS : 1;
}

/*
 * grep's flat line loop (VYRE_SPEC_GREP_FAST): on a CPU device, off on a
 * GPU (H100: 8-23% slower than the per-line code; lavapipe: ~1.5x faster;
 * BENCHMARKS.md, eighth session). VYRE_GREP_FAST=0 or 1 overrides it:
 * test_grep_staged runs a GPU's relaunch choices on lavapipe.
 */
static bool grep_fast(const struct gpu *g)
{
	const char *v = getenv("VYRE_GREP_FAST");

	if (v && *v)
		return strcmp(v, "0") != 0;
	return g->is_cpu;
}

static int gpu_kernel_pipeline(struct gpu *g, bool persistent, struct gpu_kernel *k)
{
	VkShaderModule mod = VK_NULL_HANDLE;
	int ret = 0;
	/* relaunch on a GPU has the ready-fence pass; lavapipe runs without it
	 * (shaders/megakernel.comp, run_ready_fence) */
	const uint32_t *code = persistent ? megakernel_persistent_spv
			       : g->is_cpu ? megakernel_relaunch_spv
					   : megakernel_relaunch_gpu_spv;
	size_t size = persistent ? sizeof(megakernel_persistent_spv)
		      : g->is_cpu ? sizeof(megakernel_relaunch_spv)
				  : sizeof(megakernel_relaunch_gpu_spv);

	VkShaderModuleCreateInfo mci = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = size,
		.pCode = code,
	};
	VK(vkCreateShaderModule(g->dev, &mci, NULL, &mod), out);
	/* the debug variant: shaders/lib.glsl vyre_dbg (vyre_abi.h, VYRE_SPEC_DEBUG);
	 * grep's staged window (VYRE_SPEC_GREP_STAGE) and flat loop (_FAST) */
	struct {
		VkBool32 on;
		uint32_t cap;
		uint32_t stage;
		VkBool32 fast;
	} spec = {g->debug_cap != 0, g->debug_cap ? g->debug_cap : VYRE_DBG_RECORDS,
		  grep_stage_vecs(g, persistent), grep_fast(g)};
	VkSpecializationMapEntry ent[4] = {
		{VYRE_SPEC_DEBUG, offsetof(__typeof__(spec), on), sizeof(spec.on)},
		{VYRE_SPEC_DEBUG_CAP, offsetof(__typeof__(spec), cap), sizeof(spec.cap)},
		{VYRE_SPEC_GREP_STAGE, offsetof(__typeof__(spec), stage), sizeof(spec.stage)},
		{VYRE_SPEC_GREP_FAST, offsetof(__typeof__(spec), fast), sizeof(spec.fast)},
	};
	VkSpecializationInfo si = {4, ent, sizeof(spec), &spec};
	VkComputePipelineCreateInfo cci = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage =
			{
				.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
				.stage = VK_SHADER_STAGE_COMPUTE_BIT,
				.module = mod,
				.pName = "main",
				.pSpecializationInfo = &si,
			},
		.layout = k->layout,
	};
	VK(vkCreateComputePipelines(g->dev, VK_NULL_HANDLE, 1, &cci, NULL, &k->pipeline), out);
out:
	if (mod)
		vkDestroyShaderModule(g->dev, mod, NULL);
	return ret;
}

static int gpu_kernel_bind(struct gpu *g, const struct gpu_buf *bufs[4], struct gpu_kernel *k)
{
	VkDescriptorBufferInfo info[4];
	VkWriteDescriptorSet w[4];
	int ret = 0;

	VkDescriptorPoolSize ps = {
		.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.descriptorCount = 4,
	};
	VkDescriptorPoolCreateInfo pci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 1,
		.poolSizeCount = 1,
		.pPoolSizes = &ps,
	};
	VK(vkCreateDescriptorPool(g->dev, &pci, NULL, &k->pool), out);
	VkDescriptorSetAllocateInfo dai = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorPool = k->pool,
		.descriptorSetCount = 1,
		.pSetLayouts = &k->set_layout,
	};
	VK(vkAllocateDescriptorSets(g->dev, &dai, &k->set), out);
	for (uint32_t i = 0; i < 4; i++) {
		info[i] = (VkDescriptorBufferInfo){
			.buffer = bufs[i]->buf,
			.range = VK_WHOLE_SIZE,
		};
		w[i] = (VkWriteDescriptorSet){
			.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
			.dstSet = k->set,
			.dstBinding = i,
			.descriptorCount = 1,
			.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
			.pBufferInfo = &info[i],
		};
	}
	vkUpdateDescriptorSets(g->dev, 4, w, 0, NULL);
out:
	return ret;
}

static int gpu_kernel_record(struct gpu *g, const void *push, uint32_t push_size,
			     struct gpu_kernel *k)
{
	int ret = 0;

	VkCommandPoolCreateInfo cp = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		.queueFamilyIndex = g->queue_family,
	};
	VK(vkCreateCommandPool(g->dev, &cp, NULL, &k->cmd_pool), out);
	VkCommandBufferAllocateInfo ca = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = k->cmd_pool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VK(vkAllocateCommandBuffers(g->dev, &ca, &k->cmd), out);
	VkCommandBufferBeginInfo bi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
	};
	VK(vkBeginCommandBuffer(k->cmd, &bi), out);
	/*
	 * Host writes before the submit are visible to the shader (ring
	 * words), and so are the previous launches' shader writes: the file
	 * cache's slots, written by one launch's tiles (VYRE_W_TEE) and read
	 * plainly by a later launch's.
	 */
	VkMemoryBarrier mb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_HOST_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
				 VK_ACCESS_INDIRECT_COMMAND_READ_BIT,
	};
	vkCmdPipelineBarrier(k->cmd, VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
				     VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT,
			     0, 1, &mb, 0, NULL, 0, NULL);
	vkCmdBindPipeline(k->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, k->pipeline);
	vkCmdBindDescriptorSets(k->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, k->layout, 0, 1, &k->set,
				0, NULL);
	vkCmdPushConstants(k->cmd, k->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size, push);
	vkCmdDispatchIndirect(k->cmd, k->indirect.buf, 0);
	/* ... and the shader's writes are visible to the host after it. */
	VkMemoryBarrier hb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
	};
	vkCmdPipelineBarrier(k->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			     VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &hb, 0, NULL, 0, NULL);
	VK(vkEndCommandBuffer(k->cmd), out);
	VkFenceCreateInfo fi = {
		.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
	};
	VK(vkCreateFence(g->dev, &fi, NULL, &k->fence), out);
out:
	return ret;
}

int gpu_kernel_create(struct gpu *g, bool persistent, const struct gpu_buf *bufs[4],
		      const void *push, uint32_t push_size, struct gpu_kernel *k)
{
	int ret;

	memset(k, 0, sizeof(*k));
	ret = gpu_buf_alloc(g, sizeof(VkDispatchIndirectCommand), GPU_PLACE_SYSMEM,
			    &k->indirect);
	if (ret)
		goto out_destroy;
	ret = gpu_kernel_layout(g, push_size, k);
	if (ret)
		goto out_destroy;
	ret = gpu_kernel_pipeline(g, persistent, k);
	if (ret)
		goto out_destroy;
	ret = gpu_kernel_bind(g, bufs, k);
	if (ret)
		goto out_destroy;
	ret = gpu_kernel_record(g, push, push_size, k);
	if (ret)
		goto out_destroy;
	return 0;
out_destroy:
	gpu_kernel_destroy(g, k);
	return ret;
}

/*
 * A dispatch still running when the kernel is destroyed gets 10 s (every
 * loop of the megakernel checks the stop word; seconds mean a hung device).
 * After that its objects are left alone, not destroyed under the GPU:
 * unmount must not hang on a device that stopped answering.
 */
#define GPU_KERNEL_DESTROY_WAIT_NS (10ull * 1000000000ull)

void gpu_kernel_destroy(struct gpu *g, struct gpu_kernel *k)
{
	if (k->in_flight && gpu_kernel_wait_for(g, k, GPU_KERNEL_DESTROY_WAIT_NS) <= 0) {
		vlog_err("gpu: the megakernel is still running after %llu s; leaving its objects "
			 "(device hung?)", GPU_KERNEL_DESTROY_WAIT_NS / 1000000000ull);
		memset(k, 0, sizeof(*k));
		return;
	}
	if (k->fence)
		vkDestroyFence(g->dev, k->fence, NULL);
	if (k->cmd_pool)
		vkDestroyCommandPool(g->dev, k->cmd_pool, NULL);
	if (k->pool)
		vkDestroyDescriptorPool(g->dev, k->pool, NULL);
	if (k->pipeline)
		vkDestroyPipeline(g->dev, k->pipeline, NULL);
	if (k->layout)
		vkDestroyPipelineLayout(g->dev, k->layout, NULL);
	if (k->set_layout)
		vkDestroyDescriptorSetLayout(g->dev, k->set_layout, NULL);
	gpu_buf_free(g, &k->indirect);
	memset(k, 0, sizeof(*k));
}

int gpu_kernel_launch(struct gpu *g, struct gpu_kernel *k, uint32_t groups)
{
	VkDispatchIndirectCommand *cmd = k->indirect.map;
	int ret = 0;

	if (k->in_flight)
		return -EBUSY;
	if (groups > g->props.limits.maxComputeWorkGroupCount[0])
		groups = g->props.limits.maxComputeWorkGroupCount[0];
	*cmd = (VkDispatchIndirectCommand){groups, 1, 1};
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &k->cmd,
	};
	VK(vkResetFences(g->dev, 1, &k->fence), out);
	VK(vkQueueSubmit(g->queue, 1, &si, k->fence), out);
	k->in_flight = true;
out:
	return ret;
}

int gpu_kernel_idle(struct gpu *g, struct gpu_kernel *k)
{
	if (!k->in_flight)
		return 1;
	VkResult r = vkGetFenceStatus(g->dev, k->fence);
	if (r == VK_NOT_READY)
		return 0;
	if (r != VK_SUCCESS) {
		gpu_log_vk("vkGetFenceStatus", r, __FILE__, __LINE__);
		return gpu_errno(r);
	}
	k->in_flight = false;
	return 1;
}

int gpu_kernel_wait(struct gpu *g, struct gpu_kernel *k)
{
	int ret = 0;

	if (!k->in_flight)
		return 0;
	VK(vkWaitForFences(g->dev, 1, &k->fence, VK_TRUE, UINT64_MAX), out);
	k->in_flight = false;
out:
	return ret;
}

int gpu_kernel_wait_for(struct gpu *g, struct gpu_kernel *k, uint64_t timeout_ns)
{
	VkResult r;

	if (!k->in_flight)
		return 1;
	r = vkWaitForFences(g->dev, 1, &k->fence, VK_TRUE, timeout_ns);
	if (r == VK_TIMEOUT)
		return 0;
	if (r != VK_SUCCESS) {
		gpu_log_vk("vkWaitForFences", r, __FILE__, __LINE__);
		return gpu_errno(r);
	}
	k->in_flight = false;
	return 1;
}
