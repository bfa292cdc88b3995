// SPDX-License-Identifier: MIT
//
// The megakernel: a bytecode interpreter over the ring of slots (the wire
// layout is abi/vyre_abi.h, the op table abi/vyre_ops.h).
//
// Every workgroup loops: find a slot with an unclaimed tile, claim the tile
// by compare-and-swap on the slot's claim word, run the slot's opcode over
// that tile with all lanes, fold the tile's partial result into the slot's
// scratch, and the workgroup that finishes the last tile publishes the
// result and then the done word (release) in host memory.
//
// A chunk is split into tiles so that no invocation's loop count grows with
// the chunk: lavapipe silently stops any invocation after 65,535 loop
// iterations in total (ARCHITECTURE.md, "Platform facts", fact 6). The host sizes tiles (ops.c,
// ring.c) so one tile costs a lane at most ~4,100 iterations, and a
// relaunched workgroup claims at most one tile.
//
// Persistent mode (a real GPU) runs four workgroups per SM until the
// stop word, its idle budget or its spin limit; relaunch mode runs one
// bounded grid per batch. Both are this one shader, set by push constants.
#version 460
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_shader_8bit_storage : require

#include "vyre_abi.h"

layout(local_size_x = VYRE_WG_SIZE) in;

// Chunk data. The persistent build reads it coherent: a kernel that never
// ends must not read a refilled region's previous chunk out of a
// non-coherent L1. A relaunched kernel starts after the data landed, so its
// build reads plainly (2.5x faster on lavapipe).
#ifdef VYRE_PERSISTENT_BUILD
#define DATA_COHERENT coherent
#else
#define DATA_COHERENT
#endif
// Host-written: slots, then control words. BAR when persistent.
layout(set = 0, binding = 0) coherent volatile buffer HostW { uint w[]; } hw;
// GPU-written, host-polled: status block, completion records, histograms.
layout(set = 0, binding = 1) coherent volatile buffer GpuW { uint w[]; } gw;
// The same words, for grep's records and open entries: one 8- or 16-byte
// store each, values and tag together (vyre_abi.h, VYRE_GO_TAG).
layout(set = 0, binding = 1) coherent volatile buffer GpuW2 { uvec2 v[]; } gw2;
layout(set = 0, binding = 1) coherent volatile buffer GpuW4 { uvec4 v[]; } gw4;
// GPU-private: epoch, counters, batch counts, per-slot scratch.
layout(set = 0, binding = 2) coherent volatile buffer Dev { uint w[]; } dv;
// Host-written: the job data pool (patterns, DFAs), read through
// pc.data_addr. A persistent kernel reads it coherent, as it does chunks
// (DATA_COHERENT): a region is reused by later jobs.
layout(set = 0, binding = 3) DATA_COHERENT readonly buffer JobData { uint w[]; } jdata;

layout(buffer_reference, std430, buffer_reference_align = 16) DATA_COHERENT readonly buffer Vec4s { uvec4 v[]; };
layout(buffer_reference, std430, buffer_reference_align = 1) DATA_COHERENT readonly buffer Bytes { uint8_t b[]; };
layout(buffer_reference, std430, buffer_reference_align = 4) DATA_COHERENT readonly buffer Words { uint w[]; };
// A cache slot the chunk is copied into (VYRE_W_TEE).
layout(buffer_reference, std430, buffer_reference_align = 16) DATA_COHERENT writeonly buffer Vec4w { uvec4 v[]; };
// GPU-written, host-polled like GpuW: grep's line records, one 8-byte store each.
layout(buffer_reference, std430, buffer_reference_align = 8) coherent volatile buffer RecW { uvec2 v[]; };

layout(push_constant) uniform Push {
	uint64_t arena_addr;
	uint64_t data_addr;
	uint nslots;
	uint mode;
	uint max_claims;
	uint heartbeat_every;
	uint max_iters;
	uint cpu_layout;
	uint64_t rec_addr; // grep's line records (vyre_abi.h VYRE_REC_*), host-coherent sysmem
	uint rec_max;      // records a slot
	uint cache_shift;  // a file cache block's span of cache offsets, log2
} pc;

#define NONE 0xFFFFFFFFu
// GLSL 4.50 memory model: coherent volatile buffers, atomics, and buffer
// memory barriers placed where the protocol needs release or acquire order.
// (lavapipe 22.3's Vulkan-memory-model path ended invocations at release
// RMWs and broke workgroup barriers; this path is the well-trodden one.)
#define LOAD_ACQ(x) (x)
#define STORE_REL(x, v) { memoryBarrierBuffer(); atomicExchange(x, v); }

shared uint s_best;
shared uint s_slot;
shared uint s_tile;
shared uint s_stop;
shared uint s_last;
shared uint s_sum;
shared uint s_masked;
shared uint s_hist[VYRE_HIST_BINS];
shared uint s_pack[VYRE_PACK_FILES_PER_TILE]; // a packed tile: each file's count

uint slot_word(uint s, uint w) { return s * VYRE_SLOT_WORDS + w; }
uint ctrl_word(uint w) { return pc.nslots * VYRE_SLOT_WORDS + w; }
uint done_word(uint s, uint w) { return VYRE_GS_WORDS + s * VYRE_DONE_WORDS + w; }
uint hist_word(uint s, uint bin)
{
	return VYRE_GS_WORDS + pc.nslots * VYRE_DONE_WORDS + s * VYRE_HIST_WORDS + 2u * bin;
}
uint scratch_word(uint s, uint w) { return VYRE_DEV_SCRATCH + s * VYRE_SCRATCH_WORDS + w; }

// This workgroup's launch (VYRE_CI_LAUNCH, written before the submit).
uint g_launch;

// Relaunch mode: a slot published while this launch runs waits for the
// next (vyre_abi.h, VYRE_CI_SLOT_LAUNCH): its region may have been refilled
// under cache lines this launch holds of the previous chunk.
bool slot_ready(uint s)
{
	if (pc.mode != VYRE_MODE_RELAUNCH)
		return true;
	uint after = hw.w[ctrl_word(VYRE_CI_SLOT_LAUNCH + s)];
	return ((after - g_launch) & 0x80000000u) != 0u;
}

#include "lib.glsl"
// A cache offset's device address: its block's (a host-written control
// word pair, vyre_abi.h VYRE_CI_CACHE_BLOCK) plus the offset in the block.
// The host writes a block's address before any slot naming it is
// published and frees the block only after every such slot was harvested
// (pump/cache_block.c): a slot read here never names a freed block. The
// mask keeps a bad offset inside the table (address 0 then: a fault, not
// another buffer's bytes).
uint64_t cache_at(uint64_t off)
{
	uint b = uint(off >> pc.cache_shift) & (VYRE_CACHE_BLOCKS_MAX - 1u);
	uint w = ctrl_word(VYRE_CI_CACHE_BLOCK + 2u * b);
	uint64_t base = uint64_t(hw.w[w]) | (uint64_t(hw.w[w + 1u]) << 32);
	return base + (off & ((uint64_t(1) << pc.cache_shift) - uint64_t(1)));
}

// A packed file's place (VYRE_PACK_WHERE_OFF): 0, the slot; else a cache slot.
uint pack_where(Vec4s tb, uint i)
{
	uint w = VYRE_PACK_WHERE_OFF / 4u + i;
	return tb.v[w >> 2][w & 3u];
}

uint64_t pack_base(uint64_t slot_base, uint where)
{
	return where == 0u ? slot_base
			   : cache_at(uint64_t(where - 1u) * uint64_t(VYRE_TEE_UNIT));
}

#include "ops/ops.glsl"

// The table's columns as functions of the opcode.
#define OPCLASS_CASE(name, NAME, code, opclass, flags) case VYRE_OP_##NAME: return opclass;
uint opclass_of(uint op)
{
	switch (op) {
	VYRE_OPS(OPCLASS_CASE)
	case VYRE_OP_BATCH_FENCE: return VYRE_OPCLASS_FENCE;
	}
	return VYRE_OPCLASS_UNKNOWN;
}

#define OPFLAGS_CASE(name, NAME, code, opclass, flags) case VYRE_OP_##NAME: return flags;
uint opflags_of(uint op)
{
	switch (op) {
	VYRE_OPS(OPFLAGS_CASE)
	}
	return VYRE_OPF_NONE;
}

// The dispatch: one case per row, calling op_<name>(). A row without its
// function fails here at build time (undeclared identifier).
#define OP_CASE(name, NAME, code, opclass, flags) case VYRE_OP_##NAME: mine = op_##name(a, fault); break;
uint run_op(uint opcode, op_in a, inout uint fault)
{
	uint mine = 0u;
	switch (opcode) {
	VYRE_OPS(OP_CASE)
	default:
		fault = VYRE_ERR_UNKNOWN_OP;
		break;
	}
	return mine;
}

bool tenant_masked(uint tenant)
{
	if (tenant >= VYRE_TENANT_BITS)
		return false;
	uint m = LOAD_ACQ(hw.w[ctrl_word(VYRE_CI_TENANT_MASK + (tenant >> 5))]);
	return ((m >> (tenant & 31u)) & 1u) != 0;
}

// Lane 0 only: the done word is the last thing written, with release, so a
// host that sees it sees the result (pairs with ring_harvest's acquire).
void complete_slot(uint s, uint seq, uint status, uint err, uint result, uint epoch,
		   uint opcode, uint batch, uvec3 opw)
{
	gw.w[done_word(s, VYRE_D_STATUS)] = status;
	for (uint i = 0u; i < VYRE_OP_WORDS; i++)
		gw.w[done_word(s, VYRE_D_OP + i)] = opw[i];
	gw.w[done_word(s, VYRE_D_ERROR)] = err;
	gw.w[done_word(s, VYRE_D_EPOCH)] = epoch;
	gw.w[done_word(s, VYRE_D_RESULT)] = result;
	vyre_dbg(VYRE_DBG_SLOT_DONE, opcode, s, uvec4(status, result, seq, batch));
	STORE_REL(hw.w[slot_word(s, VYRE_W_STATUS)], status);
	STORE_REL(gw.w[done_word(s, VYRE_D_DONE)], seq);
	atomicAdd(dv.w[VYRE_DEV_DONE_COUNT], 1u);
	atomicAdd(dv.w[VYRE_DEV_OP_COUNT + opclass_of(opcode)], 1u);
	// The batch count goes up only after the done word: a fence that sees
	// it (acquire) knows every slot it counts is complete.
	if (batch != VYRE_NO_BATCH && batch < VYRE_MAX_BATCHES) {
		memoryBarrierBuffer();
		atomicAdd(dv.w[VYRE_DEV_BATCHES + batch], 1u);
	}
}

// A fence completes only when its batch is: otherwise it is handed back
// (claim rewound) for a later pass, so no workgroup ever waits on another.
void run_fence(uint s, uint seq)
{
	if (gl_LocalInvocationIndex != 0)
		return;
	uint batch = hw.w[slot_word(s, VYRE_W_ARG0)];
	uint want = hw.w[slot_word(s, VYRE_W_ARG1)];
	if (batch >= VYRE_MAX_BATCHES) {
		complete_slot(s, seq, VYRE_SLOT_FAULT, VYRE_ERR_BAD_SLOT, 0, 0,
			      VYRE_OP_BATCH_FENCE, VYRE_NO_BATCH, uvec3(0u));
		return;
	}
	uint have = LOAD_ACQ(dv.w[VYRE_DEV_BATCHES + batch]);
	memoryBarrierBuffer();
	if (have < want) {
		STORE_REL(hw.w[slot_word(s, VYRE_W_CLAIM)], VYRE_CLAIM_GEN(seq));
		return;
	}
	STORE_REL(dv.w[VYRE_DEV_BATCHES + batch], 0u);
	uint epoch = atomicAdd(dv.w[VYRE_DEV_EPOCH], 1u) + 1u;
	complete_slot(s, seq, VYRE_SLOT_DONE, VYRE_ERR_NONE, have, epoch, VYRE_OP_BATCH_FENCE,
		      VYRE_NO_BATCH, uvec3(0u));
}

// A packed tile: its files one after another, each alone, each lane's
// share of each file's count added into s_pack (no barrier per file; the
// caller writes the file's words once the tile's sum has synchronized the
// workgroup); returns the lane's share of the tile for the slot's sum.
uint run_packed(uint s, uint opcode, op_in a, uint len, uint table, inout uint fault)
{
	Vec4s tb = Vec4s(a.base + uint64_t(table));
	if (opcode == VYRE_OP_GREP) // its DFA loaded once for the tile's files
		return grep_packed(a, tb, fault);
	uint mine = 0;
	uint64_t base = a.base;
	for (uint k = 0; k < VYRE_PACK_FILES_PER_TILE; k++) {
		uint i = a.tile * VYRE_PACK_FILES_PER_TILE + k;
		uint w0 = 2u * i, w1 = w0 + 1u;
		uint start = tb.v[w0 >> 2][w0 & 3u];
		uint end = tb.v[w1 >> 2][w1 & 3u];
		uint where = pack_where(tb, i);
		if (start > end || (where == 0u && end > len) || (start & 15u) != 0u) {
			fault = VYRE_ERR_BAD_SLOT;
			break;
		}
		if (start == end)
			continue;
		a.base = pack_base(base, where);
		a.start = start;
		a.end = end;
		a.len = end;
		a.tail = 0u;
		uint v = run_op(opcode, a, fault);
		if (v != 0u)
			atomicAdd(s_pack[k], v);
		mine += v;
	}
	return mine;
}

// The file cache (VYRE_W_TEE): this tile's bytes, and the last tile's the
// tail window too, copied into the cache slot as they are in the chunk.
// The copies complete before the tile count (run_tile's buffer barrier),
// so the done word the host sees follows every tile's: the host lets a
// later slot read the cache slot only after that (pump/cache.c).
void tee_tile(op_in a, uint tee)
{
	uint64_t dst = cache_at(uint64_t(tee - 1u) * uint64_t(VYRE_TEE_UNIT));
	uint end = a.tile + 1u == a.ntiles ? a.len + a.tail : a.end;
	Vec4s src = Vec4s(a.base);
	Vec4w to = Vec4w(dst);
	for (uint i = (a.start >> 4) + gl_LocalInvocationIndex; i < (end + 15u) >> 4;
	     i += VYRE_WG_SIZE)
		to.v[i] = src.v[i];
}

// A packed slot's files that are in the slot (not read from the cache),
// this tile's, copied into the cache slot at the same (start, end); the
// rest of tee_tile's comment holds.
void tee_packed(op_in a, uint table, uint tee)
{
	Vec4s tb = Vec4s(a.base + uint64_t(table));
	Vec4s src = Vec4s(a.base);
	Vec4w to = Vec4w(cache_at(uint64_t(tee - 1u) * uint64_t(VYRE_TEE_UNIT)));
	for (uint k = 0; k < VYRE_PACK_FILES_PER_TILE; k++) {
		uint i = a.tile * VYRE_PACK_FILES_PER_TILE + k;
		uint w0 = 2u * i, w1 = w0 + 1u;
		uint start = tb.v[w0 >> 2][w0 & 3u];
		uint end = tb.v[w1 >> 2][w1 & 3u];
		if (pack_where(tb, i) != 0u || start >= end)
			continue;
		for (uint j = (start >> 4) + gl_LocalInvocationIndex; j < (end + 15u) >> 4;
		     j += VYRE_WG_SIZE)
			to.v[j] = src.v[j];
	}
}

void run_tile(uint s, uint tile)
{
	uint lane = gl_LocalInvocationIndex;
	uint opcode = hw.w[slot_word(s, VYRE_W_OPCODE)];
	uint seq = hw.w[slot_word(s, VYRE_W_SEQ)];
	if (opcode == VYRE_OP_BATCH_FENCE) {
		run_fence(s, seq);
		return;
	}
	uint tenant = hw.w[slot_word(s, VYRE_W_TENANT)];
	uint hi = hw.w[slot_word(s, VYRE_W_DATA_HI)];
	uint64_t off = uint64_t(hw.w[slot_word(s, VYRE_W_DATA_LO)]) |
		       (uint64_t(hi & ~VYRE_DATA_CACHED) << 32);
	uint tee = hw.w[slot_word(s, VYRE_W_TEE)];
	uint len = hw.w[slot_word(s, VYRE_W_DATA_LEN)];
	uint tail = hw.w[slot_word(s, VYRE_W_TAIL_LEN)];
	uint tiles = hw.w[slot_word(s, VYRE_W_TILES)];
	uint batch = hw.w[slot_word(s, VYRE_W_BATCH)];
	uint ntiles = tiles & VYRE_TILES_MASK;
	uint shift = tiles >> VYRE_TILE_SHIFT_POS;
	uint start = tile << shift;
	uint end = min(start + (1u << shift), len);
	bool packed = shift == VYRE_TILE_PACKED;
	op_in a;
	a.slot = s;
	a.tile = tile;
	a.ntiles = ntiles;
	a.shift = shift;
	a.start = start;
	a.end = end;
	a.len = len;
	a.tail = tail;
	a.arg0 = hw.w[slot_word(s, VYRE_W_ARG0)];
	a.arg1 = hw.w[slot_word(s, VYRE_W_ARG1)];
	a.jd_off = hw.w[slot_word(s, VYRE_W_JOB_DATA)];
	a.jd = hw.w[slot_word(s, VYRE_W_JOB_DATA_LEN)];
	a.seq = seq;
	a.base = (hi & VYRE_DATA_CACHED) != 0u ? cache_at(off) : pc.arena_addr + off;
	uint flags = opflags_of(opcode);

	// The mask word can change under us: lane 0 reads it once for all, so
	// the dispatch below stays uniform (op functions may use barriers).
	uint fault = VYRE_ERR_NONE;
	uint mine = 0;
	s_hist[lane] = 0;
	if (lane < VYRE_PACK_FILES_PER_TILE)
		s_pack[lane] = 0;
	if (lane == 0)
		s_masked = tenant_masked(tenant) ? 1u : 0u;
	barrier();
	if (s_masked != 0u)
		fault = VYRE_ERR_MASKED;
	else if (a.jd != 0u && (a.jd > VYRE_JOB_DATA_MAX || a.jd_off > VYRE_DATA_POOL_BYTES - a.jd))
		fault = VYRE_ERR_BAD_SLOT;
	else if (!packed)
		mine = run_op(opcode, a, fault);
	else if (tile >= VYRE_PACK_FILES_MAX / VYRE_PACK_FILES_PER_TILE)
		fault = VYRE_ERR_BAD_SLOT;
	else
		mine = run_packed(s, opcode, a, len, tail, fault);
	if (tee != 0u && !packed && fault == VYRE_ERR_NONE)
		tee_tile(a, tee);
	else if (tee != 0u && fault == VYRE_ERR_NONE)
		tee_packed(a, tail, tee);
	// Every lane's buffer writes (grep's records and open lines, any lane
	// of any tile) complete before the barriers below, so lane 0's release
	// of the tile count, and the finisher's done word after it, order them
	// for the host: memoryBarrierBuffer orders only its own invocation's.
	memoryBarrierBuffer();
	uint partial = wg_sum(mine);
	// A packed tile's per-file counts go to the slot's scratch (the bins'
	// words: packed ops have no bins); the finisher stores them out below,
	// each beside the slot's sequence, as it does the bins.
	if (packed) {
		memoryBarrierShared();
		barrier();
		uint i = tile * VYRE_PACK_FILES_PER_TILE + lane;
		if (lane < VYRE_PACK_FILES_PER_TILE && i < VYRE_PACK_FILES_MAX && s_pack[lane] != 0u)
			atomicAdd(dv.w[scratch_word(s, VYRE_S_HIST + i)], s_pack[lane]);
	}
	if ((flags & VYRE_OPF_BINS) != 0u && s_hist[lane] != 0)
		atomicAdd(dv.w[scratch_word(s, VYRE_S_HIST + lane)], s_hist[lane]);
	if (packed || (flags & VYRE_OPF_BINS) != 0u) { // uniform: the slot's
		memoryBarrierBuffer();
		barrier();
	}

	// Fold this tile in; the tiles-done count is the release that orders
	// it before the finisher's acquire.
	if (lane == 0) {
		if (partial != 0)
			atomicAdd(dv.w[scratch_word(s, VYRE_S_ACC)], partial);
		if (fault != 0)
			atomicMax(dv.w[scratch_word(s, VYRE_S_FAULT)], fault);
		memoryBarrierBuffer();
		uint prev = atomicAdd(dv.w[scratch_word(s, VYRE_S_TILES_DONE)], 1u);
		memoryBarrierBuffer();
		s_last = (prev + 1u == ntiles) ? 1u : 0u;
	}
	memoryBarrierShared();
	barrier();
	if (s_last == 0u)
		return;

	// Last tile: publish the slot's result, leave its scratch zeroed for
	// the next use of the slot. The bins (or a packed slot's per-file
	// counts) go out one per lane, each with the slot's sequence in one
	// 8-byte store: no store of any lane, the done-writer's included, is
	// ordered before the done word for the host (H100, issue 20), so the
	// host takes a value only once its sequence shows (vyre_abi.h).
	if (packed || (flags & VYRE_OPF_BINS) != 0u) {
		uint v = atomicExchange(dv.w[scratch_word(s, VYRE_S_HIST + lane)], 0u);
		if (!packed)
			gw2.v[hist_word(s, lane) >> 1] = uvec2(v, seq);
		else if (lane < ntiles * VYRE_PACK_FILES_PER_TILE) // the files the slot holds
			gw2.v[((VYRE_GS_WORDS + pc.nslots * (VYRE_DONE_WORDS + VYRE_HIST_WORDS) +
				s * VYRE_GO_WORDS) >> 1) + lane] = uvec2(v, seq);
	}
	memoryBarrierBuffer();
	barrier();
	if (lane == 0) {
		uint acc = atomicExchange(dv.w[scratch_word(s, VYRE_S_ACC)], 0u);
		uint f = atomicExchange(dv.w[scratch_word(s, VYRE_S_FAULT)], 0u);
		uvec3 opw = uvec3(0u);
		if ((flags & VYRE_OPF_COUNTERS) != 0u) {
			for (uint i = 0u; i < VYRE_S_OP_WORDS; i++) {
				uint v = atomicExchange(dv.w[scratch_word(s, VYRE_S_OP + i)], 0u);
				if (i < VYRE_OP_WORDS)
					opw[i] = v;
			}
		}
		STORE_REL(dv.w[scratch_word(s, VYRE_S_TILES_DONE)], 0u);
		complete_slot(s, seq, f != 0 ? VYRE_SLOT_FAULT : VYRE_SLOT_DONE, f, acc, 0,
			      opcode, batch, opw);
	}
}

// Every lane looks at some slots; the workgroup takes the first one, in
// rotated order from start, that still has an unclaimed tile. Fences whose
// batch is done come first, then data slots, then fences still waiting: a
// fence whose batch is not done is handed back at
// once, and if it stood first in every workgroup's order it would be
// claimed and released over and over while the slots it waits for were
// never reached (a relaunch-mode livelock, seen with 3 jobs of 4 KiB chunks).
uint find_slot(uint start)
{
	uint lane = gl_LocalInvocationIndex;
	if (lane == 0)
		s_best = NONE;
	barrier();
	for (uint b = 0; b < pc.nslots; b += VYRE_WG_SIZE) {
		uint d = b + lane;
		if (d >= pc.nslots)
			break;
		uint s = (start + d) % pc.nslots;
		uint st = LOAD_ACQ(hw.w[slot_word(s, VYRE_W_STATUS)]);
		if (st != VYRE_SLOT_PUBLISHED && st != VYRE_SLOT_CLAIMED)
			continue;
		uint c = LOAD_ACQ(hw.w[slot_word(s, VYRE_W_CLAIM)]);
		uint seq = hw.w[slot_word(s, VYRE_W_SEQ)];
		uint ntiles = hw.w[slot_word(s, VYRE_W_TILES)] & VYRE_TILES_MASK;
		bool fence = hw.w[slot_word(s, VYRE_W_OPCODE)] == VYRE_OP_BATCH_FENCE;
		// A fence whose batch is complete goes first: it will complete when
		// claimed, and behind a stream of other jobs' data tiles it would
		// otherwise wait for a launch in which every data tile got claimed
		// (seen: a small job's fence starved beside four 64 GiB scans).
		uint rank = 0x10000u;
		if (fence) {
			uint batch = hw.w[slot_word(s, VYRE_W_ARG0)];
			if (batch < VYRE_MAX_BATCHES &&
			    LOAD_ACQ(dv.w[VYRE_DEV_BATCHES + batch]) >= hw.w[slot_word(s, VYRE_W_ARG1)])
				rank = 0u;
			else
				rank = 0x20000u;
		}
		if ((c & ~VYRE_CLAIM_TILE_MASK) == VYRE_CLAIM_GEN(seq) &&
		    (c & VYRE_CLAIM_TILE_MASK) < ntiles && slot_ready(s))
			atomicMin(s_best, d | rank);
	}
	barrier();
	uint best = s_best;
	barrier();
	return best == NONE ? NONE : (start + (best & 0xFFFFu)) % pc.nslots;
}

// Lane 0 only. The claim word holds the slot's generation beside the next
// tile, so a claim read before the slot was recycled can never succeed.
uint claim_tile(uint s)
{
	uint c = LOAD_ACQ(hw.w[slot_word(s, VYRE_W_CLAIM)]);
	// the publish wrote the slot's launch word before its claim word
	memoryBarrierBuffer();
	uint seq = hw.w[slot_word(s, VYRE_W_SEQ)];
	uint ntiles = hw.w[slot_word(s, VYRE_W_TILES)] & VYRE_TILES_MASK;
	if ((c & ~VYRE_CLAIM_TILE_MASK) != VYRE_CLAIM_GEN(seq) || (c & VYRE_CLAIM_TILE_MASK) >= ntiles ||
	    !slot_ready(s))
		return NONE;
	uint r = atomicCompSwap(hw.w[slot_word(s, VYRE_W_CLAIM)], c, c + 1u);
	memoryBarrierBuffer();
	if (r != c)
		return NONE;
	uint tile = c & VYRE_CLAIM_TILE_MASK;
	if (tile == 0)
		atomicCompSwap(hw.w[slot_word(s, VYRE_W_STATUS)], VYRE_SLOT_PUBLISHED,
			       VYRE_SLOT_CLAIMED);
	return tile;
}

#ifdef VYRE_READY_FENCE_PASS
// Relaunch on a GPU (its own SPIR-V build, shaders/meson.build), before a
// workgroup exits: a fence whose batch is now complete (its chunks finished
// in this dispatch, perhaps by this workgroup) is run here, so a small
// job's fence completes in the dispatch that completed its chunks instead
// of waiting for the next launch (one launch a job, not two: the fence's
// own workgroup found its batch not done and handed it back). H200: fence
// done 90 -> 58 us a job. Not in lavapipe's build: there this code, run or
// not, made every dispatch ~10x slower (4 KiB job 0.8 -> 10 ms; measured on
// 22.3.6, cause inside llvmpipe not found).
void run_ready_fence(uint start)
{
	uint s = find_slot(start);
	if (gl_LocalInvocationIndex == 0) {
		s_tile = NONE;
		if (s != NONE && hw.w[slot_word(s, VYRE_W_OPCODE)] == VYRE_OP_BATCH_FENCE) {
			uint batch = hw.w[slot_word(s, VYRE_W_ARG0)];
			if (batch < VYRE_MAX_BATCHES &&
			    LOAD_ACQ(dv.w[VYRE_DEV_BATCHES + batch]) >= hw.w[slot_word(s, VYRE_W_ARG1)])
				s_tile = claim_tile(s);
		}
	}
	barrier();
	uint tile = s_tile;
	barrier();
	if (tile != NONE)
		run_fence(s, hw.w[slot_word(s, VYRE_W_SEQ)]);
}
#endif

void main()
{
	uint lane = gl_LocalInvocationIndex;
	uint claims = 0;
	uint idle = 0;
	bool beat = gl_WorkGroupID.x == 0 && lane == 0;

	g_launch = hw.w[ctrl_word(VYRE_CI_LAUNCH)];
	if (beat)
		STORE_REL(gw.w[VYRE_GS_LAUNCH], g_launch);
	// Every loop has a stop check and a spin limit: there is no watchdog
	// on the NVIDIA driver (ARCHITECTURE.md, "Platform facts", fact 7).
	for (uint iter = 0; iter < pc.max_iters; iter++) {
		if (lane == 0)
			s_stop = LOAD_ACQ(hw.w[ctrl_word(VYRE_CI_STOP)]);
		if (beat && pc.heartbeat_every != 0 && iter % pc.heartbeat_every == 0)
			STORE_REL(gw.w[VYRE_GS_HEARTBEAT], iter / pc.heartbeat_every + 1u);
		uint s = find_slot((gl_WorkGroupID.x + iter) % pc.nslots);
		if (s_stop != 0)
			break;
		if (s == NONE) {
			if (pc.mode == VYRE_MODE_RELAUNCH)
				break;
			if (++idle > hw.w[ctrl_word(VYRE_CI_IDLE_BUDGET)])
				break;
			continue;
		}
		idle = 0;
		if (lane == 0) {
			s_slot = s;
			s_tile = claim_tile(s);
		}
		barrier();
		uint tile = s_tile;
		barrier();
		if (tile == NONE)
			continue;
		run_tile(s, tile);
		if (++claims >= pc.max_claims) {
#ifdef VYRE_READY_FENCE_PASS
			run_ready_fence((gl_WorkGroupID.x + iter + 1u) % pc.nslots);
#endif
			break;
		}
	}
}
