// SPDX-License-Identifier: MIT
/*
 * ring.c - the host side of the ring protocol (ARCHITECTURE.md "Ring protocol states"): publish slots,
 * harvest done ones, launch the megakernel.
 *
 * Memory placement (ARCHITECTURE.md, "Platform facts", facts 1-2), per buffer:
 *   hostw   slots + control words, written by the host, polled by the GPU:
 *           BAR (required when persistent; relaunch uses it when present).
 *   gpuw    done words, results, histograms, heartbeat: written by the GPU,
 *           polled by the host: host-coherent system memory.
 *   dev     epoch, counters, per-slot scratch: the GPU's own atomics, in
 *           device memory where it is host-visible (BAR), else host memory.
 *   data    the job data pool (patterns, DFAs), host-written: placed like
 *           hostw, one first-fit region per job (pool.c). Not cleared:
 *           ring_data_write writes a region whole, its padding included.
 *   recs    grep's line records (vyre_abi.h VYRE_REC_*), rec_max a slot:
 *           written by the GPU, read by the host: host-coherent system
 *           memory, as gpuw, host-cached where a type is (the host reads
 *           every record: gpu.h GPU_PLACE_READBACK). Cleared a slot at a
 *           time, before the first op with VYRE_OPF_RECS runs in the slot
 *           (ring_rec_clear).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pool.h"
#include "ring.h"

struct ring {
	struct gpu *gpu; /* borrowed from the pump */
	enum ring_mode mode;
	uint32_t nslots;
	uint32_t rec_max; /* grep's line records a slot (ring_rec_max) */
	struct gpu_buf hostw, gpuw, dev, data, recs;
	struct pool pool; /* free ranges of data */
	struct gpu_kernel kernel;
	struct vyre_push push;
	uint32_t *slots; /* hostw.map */
	uint32_t *ctrl;  /* hostw.map + nslots slots */
	uint32_t *done;  /* gpuw.map + VYRE_GS_WORDS */
	uint32_t *hist;  /* after the done records */
	uint32_t *out;   /* after the histograms: VYRE_GO_WORDS per slot */
	uint32_t *dbg;   /* after that: the debug ring, VYRE_DBG_WORDS (gpu_debug only) */
	uint32_t *devw;  /* dev.map */
	uint32_t *seq;   /* per slot: seq it was published with, 0 if not published */
	uint32_t *tiles; /* per slot: tiles it was published with */
	bool *rec_clear; /* per slot: its line records were cleared (ring_rec_clear) */
	uint32_t next_seq;
	uint32_t outstanding;
	_Atomic uint64_t launches; /* written by the pump thread, read by pump_info */
	/* what the tenant mask words in BAR hold: the owner's thread changes a
	 * word with one posted store, never a locked read-modify-write over
	 * PCIe, and only when a bit really changes (twice a job otherwise) */
	uint32_t tenant_mask[VYRE_TENANT_BITS / 32];
};

/* The GPU reads these words while we write them: every access is atomic. */
static inline _Atomic uint32_t *word(uint32_t *base, size_t i)
{
	return (_Atomic uint32_t *)&base[i];
}

static void wr(uint32_t *base, size_t i, uint32_t v)
{
	atomic_store_explicit(word(base, i), v, memory_order_relaxed);
}

static uint32_t rd(const uint32_t *base, size_t i)
{
	return atomic_load_explicit(word((uint32_t *)base, i), memory_order_relaxed);
}

/*
 * log2 of a tile's bytes: the work's own (the pump asks the op's row,
 * pump_op_tile_shift, before it publishes), else RING_TILE_SHIFT_DEFAULT.
 * The ring knows no op.
 */
static uint32_t ring_tile_shift(const struct ring_work *w)
{
	return w->tile_shift ? w->tile_shift : RING_TILE_SHIFT_DEFAULT;
}

/*
 * grep's line records a slot: chunk/16 (a selected line every 16 bytes of
 * the chunk, on average, fits in one pass), 1,024 to VYRE_GREP_REC_CAP,
 * and at most VYRE_REC_POOL_BYTES for all slots (32 slots of 4 MiB chunks:
 * 262,144 records, 2 MiB a slot). Text's selected lines average 36 bytes
 * or more; a chunk denser than that (1- to 15-byte lines, nearly all
 * selected) runs again from the first line that found no room, as every
 * chunk did past 1,024 (issue 23 item 5, BENCHMARKS.md "Line records").
 * Host memory only: pages no lines=1 job writes are never touched.
 */
static uint32_t ring_rec_max(uint32_t chunk, uint32_t nslots)
{
	uint32_t n = chunk / 16;

	if (n < VYRE_GREP_REC_MIN)
		n = VYRE_GREP_REC_MIN;
	if (n > VYRE_GREP_REC_CAP)
		n = VYRE_GREP_REC_CAP;
	while (n > VYRE_GREP_REC_MIN &&
	       (uint64_t)n * VYRE_REC_WORDS * 4 * nslots > VYRE_REC_POOL_BYTES)
		n /= 2;
	return n;
}

static int ring_buffers(struct ring *r)
{
	/*
	 * Host-written words go to BAR whenever the device has it: a
	 * persistent kernel needs that (fact 1), and in relaunch mode it keeps
	 * the GPU's claim CAS in device memory rather than across PCIe.
	 */
	enum gpu_place near = r->mode == RING_PERSISTENT ? GPU_PLACE_BAR : GPU_PLACE_NEAR;
	size_t hostw = (size_t)r->nslots * (VYRE_SLOT_WORDS + 1) + VYRE_CTRL_IN_WORDS;
	size_t gpuw = VYRE_GS_WORDS +
		      (size_t)r->nslots * (VYRE_DONE_WORDS + VYRE_HIST_WORDS + VYRE_GO_WORDS) +
		      (r->gpu->debug_cap ? VYRE_DBG_WORDS : 0);
	size_t dev = VYRE_DEV_SCRATCH + (size_t)r->nslots * VYRE_SCRATCH_WORDS;
	int ret;

	ret = gpu_buf_alloc(r->gpu, hostw * 4, near, &r->hostw);
	if (!ret)
		ret = gpu_buf_alloc(r->gpu, gpuw * 4, GPU_PLACE_SYSMEM, &r->gpuw);
	if (!ret)
		ret = gpu_buf_alloc(r->gpu, dev * 4, GPU_PLACE_NEAR, &r->dev);
	if (!ret)
		ret = gpu_buf_alloc_uncleared(r->gpu, VYRE_DATA_POOL_BYTES, near, &r->data);
	if (!ret)
		ret = gpu_buf_alloc_uncleared(r->gpu,
					      (size_t)r->nslots * r->rec_max * VYRE_REC_WORDS * 4,
					      GPU_PLACE_READBACK, &r->recs);
	if (!ret)
		ret = pool_init(&r->pool, VYRE_DATA_POOL_BYTES, VYRE_DATA_ALIGN);
	if (ret)
		return ret;
	vlog_info("ring: line records in %s memory, %shost-cached", gpu_place_name(r->gpu, &r->recs),
		  gpu_buf_host_cached(r->gpu, &r->recs) ? "" : "not ");
	r->slots = r->hostw.map;
	r->ctrl = r->slots + (size_t)r->nslots * VYRE_SLOT_WORDS;
	r->done = (uint32_t *)r->gpuw.map + VYRE_GS_WORDS;
	r->hist = r->done + (size_t)r->nslots * VYRE_DONE_WORDS;
	r->out = r->hist + (size_t)r->nslots * VYRE_HIST_WORDS;
	if (r->gpu->debug_cap) {
		r->dbg = r->out + (size_t)r->nslots * VYRE_GO_WORDS;
		memset(r->dbg, 0, VYRE_DBG_WORDS * sizeof(*r->dbg));
	}
	r->devw = r->dev.map;
	return 0;
}

int ring_create(struct gpu *g, uint32_t nslots, uint32_t chunk, enum ring_mode mode,
		uint64_t arena_addr, struct ring **out)
{
	return ring_create_cached(g, nslots, chunk, mode, arena_addr, 0, out);
}

int ring_create_cached(struct gpu *g, uint32_t nslots, uint32_t chunk, enum ring_mode mode,
		       uint64_t arena_addr, uint32_t cache_shift, struct ring **out)
{
	struct ring *r;
	int ret;

	if (nslots == 0 || nslots > 1024)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->gpu = g;
	r->mode = mode;
	r->nslots = nslots;
	r->next_seq = 1;
	r->rec_max = ring_rec_max(chunk, nslots);
	r->seq = calloc(nslots, sizeof(*r->seq));
	r->tiles = calloc(nslots, sizeof(*r->tiles));
	r->rec_clear = calloc(nslots, sizeof(*r->rec_clear));
	if (!r->seq || !r->tiles || !r->rec_clear) {
		ret = -ENOMEM;
		goto out_destroy;
	}
	ret = ring_buffers(r);
	if (ret)
		goto out_destroy;
	r->push = (struct vyre_push){
		.arena_addr = arena_addr,
		.data_addr = r->data.addr,
		.nslots = nslots,
		.mode = mode,
		.cpu_layout = g->is_cpu,
		.rec_addr = r->recs.addr,
		.rec_max = r->rec_max,
		.cache_shift = cache_shift,
	};
	if (mode == RING_PERSISTENT) {
		/* Loops until stop or idle; the pass limit is the last safety. */
		r->push.max_claims = UINT32_MAX;
		r->push.max_iters = 1u << 30;
		r->push.heartbeat_every = 1024;
		wr(r->ctrl, VYRE_CI_IDLE_BUDGET, 1u << 16);
	} else {
		/*
		 * One tile per workgroup, two spare passes for a lost claim race:
		 * every invocation's loop total stays near 4,100 (fact 6).
		 */
		r->push.max_claims = 1;
		r->push.max_iters = 3;
	}
	const struct gpu_buf *bufs[4] = {&r->hostw, &r->gpuw, &r->dev, &r->data};
	ret = gpu_kernel_create(g, mode == RING_PERSISTENT, bufs, &r->push, sizeof(r->push),
				&r->kernel);
	if (ret)
		goto out_destroy;
	*out = r;
	return 0;
out_destroy:
	ring_destroy(&r);
	return ret;
}

/*
 * A kernel that ignores the stop word for ring_stop's 10 s is hung: its
 * objects and the buffers it uses are left, not freed under it (and not
 * waited on a second time in gpu_kernel_destroy, which would double
 * unmount's bound). Returns -ETIMEDOUT then, so the pump leaves the device
 * too: vkDestroyDevice may wait on the queue.
 */
int ring_destroy(struct ring **rp)
{
	struct ring *r = *rp;
	int ret = 0;

	if (!r)
		return 0;
	if (r->kernel.pipeline && ring_stop(r) == -ETIMEDOUT) {
		vlog_err("ring: leaving the hung megakernel's objects and buffers");
		ret = -ETIMEDOUT;
	} else {
		if (r->kernel.pipeline)
			gpu_kernel_destroy(r->gpu, &r->kernel);
		gpu_buf_free(r->gpu, &r->recs);
		gpu_buf_free(r->gpu, &r->data);
		gpu_buf_free(r->gpu, &r->dev);
		gpu_buf_free(r->gpu, &r->gpuw);
		gpu_buf_free(r->gpu, &r->hostw);
	}
	pool_fini(&r->pool);
	free(r->rec_clear);
	free(r->tiles);
	free(r->seq);
	free(r);
	*rp = NULL;
	return ret;
}

/*
 * Before a slot naming the block is published (ring_publish's release
 * orders these stores before its slot's), and after the last slot naming
 * it was harvested: vyre_abi.h VYRE_CI_CACHE_BLOCK.
 */
void ring_cache_block(struct ring *r, uint32_t b, uint64_t addr)
{
	if (b >= VYRE_CACHE_BLOCKS_MAX)
		return;
	wr(r->ctrl, VYRE_CI_CACHE_BLOCK + 2 * b, (uint32_t)addr);
	wr(r->ctrl, VYRE_CI_CACHE_BLOCK + 2 * b + 1, (uint32_t)(addr >> 32));
}

int ring_seq_start(struct ring *r, uint32_t seq)
{
	if (!seq || !VYRE_GO_TAG(seq))
		return -EINVAL;
	if (r->next_seq != 1)
		return -EBUSY;
	r->next_seq = seq;
	return 0;
}

/*
 * Slot s's line records, zeroed the first time anything may touch them.
 * The host takes a record (or out word) only once it carries its slot's
 * tag, and no published seq has tag 0 (ring_seq_after): a zero word is
 * never taken for a pass's own, where a word left from before the buffer
 * was ours could be (gpu_buf_alloc_uncleared). The pump thread calls this
 * before the host writes into the area (ring_rec) and before the slot is
 * published (ring_publish: its fence and release order the stores before
 * any GPU access); later passes leave their own tags behind. A slot no
 * grep ever runs in is never touched: the 64 MiB pool's pages stay
 * unfaulted (most mounts run a few greps in the low slots).
 */
static void ring_rec_clear(struct ring *r, uint32_t slot)
{
	size_t words = (size_t)r->rec_max * VYRE_REC_WORDS;

	if (r->rec_clear[slot])
		return;
	memset((uint32_t *)r->recs.map + (size_t)slot * words, 0, words * 4);
	r->rec_clear[slot] = true;
}

/*
 * The op table's VYRE_OPF_RECS column (vyre_ops.h); an opcode not in the
 * table (the fence, an unknown one the shader faults on) is cleared for.
 */
static bool ring_op_recs(uint32_t opcode)
{
	switch (opcode) {
#define RING_RECS_CASE(name, NAME, code, opclass, flags)                                           \
	case VYRE_OP_##NAME:                                                                       \
		return ((flags) & VYRE_OPF_RECS) != 0;
		VYRE_OPS(RING_RECS_CASE)
#undef RING_RECS_CASE
	}
	return true;
}

int ring_publish(struct ring *r, uint32_t slot, const struct ring_work *w)
{
	size_t b = (size_t)slot * VYRE_SLOT_WORDS;
	uint32_t shift, ntiles, seq;

	if (slot >= r->nslots)
		return -EINVAL;
	/*
	 * Backpressure: a slot in use is never overwritten. The host's own
	 * record says so; reading the status word back from BAR would cost a
	 * PCIe round trip per publish.
	 */
	if (r->seq[slot])
		return -EBUSY;
	if (w->packed) { /* tile t = file t (vyre_abi.h, VYRE_TILE_PACKED) */
		if (w->packed > VYRE_PACK_FILES_MAX || (w->tail_len & 15))
			return -EINVAL;
		shift = VYRE_TILE_PACKED;
		ntiles = (w->packed + VYRE_PACK_FILES_PER_TILE - 1) / VYRE_PACK_FILES_PER_TILE;
	} else {
		shift = ring_tile_shift(w);
		ntiles = w->opcode == VYRE_OP_BATCH_FENCE ? 1
			 : (w->data_len + (1u << shift) - 1) >> shift;
		if (ntiles == 0)
			ntiles = 1;
	}
	seq = r->next_seq;
	r->next_seq = ring_seq_after(seq);
	if (ring_op_recs(w->opcode))
		ring_rec_clear(r, slot);

	/*
	 * Relaunch mode: the launch the slot may run after (vyre_abi.h,
	 * VYRE_CI_SLOT_LAUNCH). A launch in flight reads chunk data plainly,
	 * through L1 and L2 lines it may hold of this region's previous chunk
	 * (host memory, not snooped; platform fact 3): on the H100 a grep tree
	 * of 8 MiB files counted a few lines of an earlier file (issue 20). So
	 * a data slot runs only in a launch made after this publish; a fence
	 * (slot words and device counters only) may run in the one in flight.
	 * The word lands before the claim word (the fence): claim_tile reads
	 * the claim, then this.
	 */
	if (r->mode == RING_RELAUNCH) {
		uint32_t launch = (uint32_t)atomic_load_explicit(&r->launches, memory_order_relaxed);
		wr(r->ctrl, VYRE_CI_SLOT_LAUNCH + slot,
		   w->opcode == VYRE_OP_BATCH_FENCE ? launch - 1 : launch);
		atomic_thread_fence(memory_order_seq_cst); /* drain WC: BAR */
	}
	wr(r->slots, b + VYRE_W_OPCODE, w->opcode);
	wr(r->slots, b + VYRE_W_TENANT, w->tenant);
	wr(r->slots, b + VYRE_W_TEE, w->tee);
	wr(r->slots, b + VYRE_W_ARG0, w->arg0);
	wr(r->slots, b + VYRE_W_ARG1, w->arg1);
	wr(r->slots, b + VYRE_W_ARG2, w->arg2);
	wr(r->slots, b + VYRE_W_SEQ, seq);
	wr(r->slots, b + VYRE_W_DATA_LO, (uint32_t)w->data_off);
	wr(r->slots, b + VYRE_W_DATA_HI, (uint32_t)(w->data_off >> 32));
	wr(r->slots, b + VYRE_W_DATA_LEN, w->data_len);
	wr(r->slots, b + VYRE_W_TAIL_LEN, w->tail_len);
	wr(r->slots, b + VYRE_W_TILES, ntiles | shift << VYRE_TILE_SHIFT_POS);
	wr(r->slots, b + VYRE_W_BATCH, w->batch);
	wr(r->slots, b + VYRE_W_JOB_DATA_LEN, w->jd_len);
	wr(r->slots, b + VYRE_W_CLAIM, VYRE_CLAIM_GEN(seq));
	/*
	 * Pairs with find_slot's acquire load of the status word. A full
	 * fence, not just release: BAR is write-combining, and on x86 only a
	 * fence (mfence) drains WC buffers, so the slot's words and the chunk
	 * reach the GPU before the status word does.
	 */
	atomic_thread_fence(memory_order_seq_cst);
	atomic_store_explicit(word(r->slots, b + VYRE_W_STATUS), VYRE_SLOT_PUBLISHED,
			      memory_order_release);
	r->seq[slot] = seq;
	r->tiles[slot] = ntiles;
	r->outstanding++;
	return 0;
}

/* Slot s's done record, its output areas filled in: what harvest and abandon share. */
static struct ring_done ring_done_of(const struct ring *r, uint32_t s)
{
	return (struct ring_done){
	    .slot = s,
	    .hist = r->hist + (size_t)s * VYRE_HIST_WORDS,
	    .out = r->out + (size_t)s * VYRE_GO_WORDS,
	    .rec = (const uint32_t *)r->recs.map + (size_t)s * r->rec_max * VYRE_REC_WORDS,
	    .rec_max = r->rec_max,
	    .seq = r->seq[s],
	};
}

int ring_harvest(struct ring *r, void (*fn)(void *ctx, const struct ring_done *d), void *ctx)
{
	int n = 0;

	if (!r->outstanding)
		return 0;
	for (uint32_t s = 0; s < r->nslots; s++) {
		size_t d = (size_t)s * VYRE_DONE_WORDS;
		if (!r->seq[s])
			continue;
		/* Pairs with complete_slot's release store of the done word. */
		if (atomic_load_explicit(word(r->done, d + VYRE_D_DONE), memory_order_acquire) !=
		    r->seq[s])
			continue;
		struct ring_done done = ring_done_of(r, s);

		done.status = rd(r->done, d + VYRE_D_STATUS);
		done.error = rd(r->done, d + VYRE_D_ERROR);
		done.epoch = rd(r->done, d + VYRE_D_EPOCH);
		done.result = rd(r->done, d + VYRE_D_RESULT);
		for (uint32_t i = 0; i < VYRE_OP_WORDS; i++)
			done.op[i] = rd(r->done, d + VYRE_D_OP + i);
		r->seq[s] = 0;
		r->outstanding--;
		fn(ctx, &done);
		wr(r->slots, (size_t)s * VYRE_SLOT_WORDS + VYRE_W_STATUS, VYRE_SLOT_EMPTY);
		n++;
	}
	return n;
}

static uint64_t ring_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* n (value, sequence) pairs at w: the values once each sequence is seq. */
static int ring_tagged(const uint32_t *w, uint32_t n, uint32_t seq, uint32_t *vals)
{
	uint64_t t0 = 0;

	for (uint32_t i = 0; i < n; i++) {
		/* one 8-byte store on the GPU: read it whole, value low, sequence high */
		const _Atomic uint64_t *pair = (const _Atomic uint64_t *)(w + 2 * (size_t)i);

		for (;;) {
			uint64_t v = atomic_load_explicit(pair, memory_order_acquire);

			if ((uint32_t)(v >> 32) == seq) {
				vals[i] = (uint32_t)v;
				break;
			}
			if (!t0)
				t0 = ring_now_ns();
			else if (ring_now_ns() - t0 > RING_TAGGED_WAIT_NS)
				return -EIO;
			__builtin_ia32_pause();
		}
	}
	return 0;
}

int ring_done_bins(const struct ring_done *d, uint32_t bins[VYRE_HIST_BINS])
{
	return ring_tagged(d->hist, VYRE_HIST_BINS, d->seq, bins);
}

int ring_done_packed(const struct ring_done *d, uint32_t n, uint32_t *vals)
{
	if (n > VYRE_PACK_FILES_MAX)
		return -EINVAL;
	return ring_tagged(d->out, n, d->seq, vals);
}

/*
 * A relaunched grid gets one workgroup per tile still published (more than
 * needed once some are claimed: the extra ones find nothing and exit). A
 * persistent grid is gpu->persistent_groups: four workgroups per compute
 * unit (pump/gpu.c says why).
 */
int ring_kick(struct ring *r)
{
	uint32_t groups = 0;
	int ret;

	if (!r->outstanding)
		return 0;
	ret = gpu_kernel_idle(r->gpu, &r->kernel);
	if (ret <= 0)
		return ret;
	if (r->mode == RING_PERSISTENT) {
		groups = r->gpu->persistent_groups;
	} else {
		for (uint32_t s = 0; s < r->nslots; s++)
			if (r->seq[s] && groups < 65535)
				groups += r->tiles[s];
	}
	uint64_t launch = atomic_load_explicit(&r->launches, memory_order_relaxed) + 1;
	atomic_store_explicit(&r->launches, launch, memory_order_relaxed);
	wr(r->ctrl, VYRE_CI_LAUNCH, (uint32_t)launch);
	return gpu_kernel_launch(r->gpu, &r->kernel, groups);
}

int ring_wait_launch(struct ring *r, uint64_t timeout_ns)
{
	return gpu_kernel_wait_for(r->gpu, &r->kernel, timeout_ns);
}

uint32_t ring_outstanding(const struct ring *r)
{
	return r->outstanding;
}

int ring_stop(struct ring *r)
{
	int ret;

	atomic_store_explicit(word(r->ctrl, VYRE_CI_STOP), 1, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst); /* drain WC: the stop word is in BAR */
	/* every loop of the kernel checks the stop word: seconds mean a hung device */
	ret = gpu_kernel_wait_for(r->gpu, &r->kernel, 10ull * 1000000000ull);
	if (ret == 0) {
		vlog_err("ring: the megakernel ignored the stop word for 10 s (device hung?)");
		ret = -ETIMEDOUT;
	} else if (ret > 0) {
		ret = 0;
	}
	atomic_store_explicit(word(r->ctrl, VYRE_CI_STOP), 0, memory_order_release);
	return ret;
}

void ring_life(const struct ring *r, struct ring_life *life)
{
	uint32_t claims = 0;

	for (uint32_t s = 0; s < r->nslots; s++)
		if (r->seq[s])
			claims += rd(r->slots, (size_t)s * VYRE_SLOT_WORDS + VYRE_W_CLAIM) &
				  VYRE_CLAIM_TILE_MASK; /* the GPU's part: the generation is ours */
	*life = (struct ring_life){
		.launches = atomic_load_explicit(&r->launches, memory_order_relaxed),
		.heartbeat = r->mode == RING_PERSISTENT ? ring_heartbeat(r) : 0,
		.done = ring_done_count(r),
		.claims = claims,
	};
}

int ring_abandon(struct ring *r, int host_err, void (*fn)(void *ctx, const struct ring_done *d),
		 void *ctx)
{
	int n = 0;

	/* a kernel still running (hung, or only slow) leaves at its next check */
	atomic_store_explicit(word(r->ctrl, VYRE_CI_STOP), 1, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst); /* drain WC: the stop word is in BAR */
	for (uint32_t s = 0; s < r->nslots && r->outstanding; s++) {
		if (!r->seq[s])
			continue;
		struct ring_done done = ring_done_of(r, s);

		done.status = VYRE_SLOT_FAULT;
		done.error = VYRE_ERR_NONE;
		done.host_err = host_err;
		r->seq[s] = 0;
		r->outstanding--;
		fn(ctx, &done);
		n++;
	}
	return n;
}

uint32_t ring_epoch(const struct ring *r)
{
	return rd(r->devw, VYRE_DEV_EPOCH);
}

bool ring_slot_busy(const struct ring *r, uint32_t slot)
{
	return r->seq[slot] != 0;
}

const uint32_t *ring_debug(const struct ring *r)
{
	return r->dbg;
}

uint32_t ring_slot_tiles(const struct ring *r, uint32_t slot)
{
	return rd(r->slots, (size_t)slot * VYRE_SLOT_WORDS + VYRE_W_TILES);
}

uint32_t ring_slot_seq(const struct ring *r, uint32_t slot)
{
	return r->seq[slot];
}

uint32_t ring_status_word(const struct ring *r, uint32_t slot)
{
	return rd(r->slots, (size_t)slot * VYRE_SLOT_WORDS + VYRE_W_STATUS);
}

/* Any thread (pump_info): the pump thread is the one writer. */
uint64_t ring_launches(const struct ring *r)
{
	return atomic_load_explicit(&r->launches, memory_order_relaxed);
}

uint32_t ring_heartbeat(const struct ring *r)
{
	return rd(r->gpuw.map, VYRE_GS_HEARTBEAT);
}

uint32_t ring_op_count(const struct ring *r, uint32_t opclass)
{
	return rd(r->devw, VYRE_DEV_OP_COUNT + opclass);
}

uint32_t ring_done_count(const struct ring *r)
{
	return rd(r->devw, VYRE_DEV_DONE_COUNT);
}

uint32_t *ring_out(struct ring *r, uint32_t slot)
{
	return r->out + (size_t)slot * VYRE_GO_WORDS;
}

uint32_t *ring_rec(struct ring *r, uint32_t slot, uint32_t *words)
{
	ring_rec_clear(r, slot);
	*words = r->rec_max * VYRE_REC_WORDS;
	return (uint32_t *)r->recs.map + (size_t)slot * r->rec_max * VYRE_REC_WORDS;
}

int ring_data_alloc(struct ring *r, uint32_t len, uint32_t *off)
{
	return pool_alloc(&r->pool, len, off);
}

/*
 * The region ring_data_alloc gave (len bytes at off) written whole: the
 * data, then zeros up to the pool's alignment, the rest of what pool.c
 * handed out. The pool is never cleared (ring_buffers), so no byte of a
 * region the GPU may read is left from before.
 */
void ring_data_write(struct ring *r, uint32_t off, const void *src, uint32_t len)
{
	uint32_t pad = (VYRE_DATA_ALIGN - len % VYRE_DATA_ALIGN) % VYRE_DATA_ALIGN;

	if (off < VYRE_DATA_POOL_BYTES && len <= VYRE_DATA_POOL_BYTES - off) {
		memcpy((uint8_t *)r->data.map + off, src, len);
		if (pad <= VYRE_DATA_POOL_BYTES - off - len)
			memset((uint8_t *)r->data.map + off + len, 0, pad);
	}
}

void ring_data_free(struct ring *r, uint32_t off, uint32_t len)
{
	pool_free(&r->pool, off, len);
}

void ring_mask_tenant(struct ring *r, uint32_t tenant, bool masked)
{
	uint32_t bit = 1u << (tenant % 32), *shadow, v;

	if (tenant >= VYRE_TENANT_BITS)
		return;
	shadow = &r->tenant_mask[tenant / 32];
	v = masked ? *shadow | bit : *shadow & ~bit;
	if (v == *shadow)
		return;
	*shadow = v;
	atomic_store_explicit(word(r->ctrl, VYRE_CI_TENANT_MASK + tenant / 32), v,
			      memory_order_release);
}

enum ring_mode ring_mode(const struct ring *r)
{
	return r->mode;
}

const char *ring_place(const struct ring *r)
{
	return gpu_place_name(r->gpu, &r->hostw);
}
