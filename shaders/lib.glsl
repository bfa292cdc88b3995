// SPDX-License-Identifier: MIT
//
// Helpers the op functions share: workgroup sums, the 16-bytes-at-a-time
// zero-byte test, and which vectors of a tile a lane takes.

// Sum of one value per lane, returned to every lane. A shared atomic and
// three barriers: no subgroup arithmetic (it misbehaved on lavapipe 22.3),
// and barriers are what a CPU device pays for most.
uint wg_sum(uint v)
{
	if (gl_LocalInvocationIndex == 0)
		s_sum = 0;
	barrier();
	if (v != 0)
		atomicAdd(s_sum, v);
	barrier();
	uint r = s_sum;
	barrier();
	return r;
}

// Each byte of x that is zero becomes 0x80, every other byte 0x00: exact,
// no carries between bytes (the classic "has zero byte" test, kept exact).
uint zero_bytes(uint x)
{
	return ~(((x & 0x7F7F7F7Fu) + 0x7F7F7F7Fu) | x | 0x7F7F7F7Fu);
}

// Mask of the valid bytes of the 32-bit word starting at byte position p.
uint valid_mask(uint p, uint end)
{
	if (p + 4u <= end)
		return 0xFFFFFFFFu;
	if (p >= end)
		return 0u;
	return (1u << ((end - p) * 8u)) - 1u;
}

// Which 16-byte vectors of a tile this lane takes. A GPU wants neighbouring
// lanes on neighbouring vectors (coalesced); a CPU device runs 8 lanes as
// one SIMD batch, a batch after another, so there each lane takes one
// contiguous run: sequential streams the prefetcher follows, instead of a
// 4 KiB-stride walk that made lavapipe memory-latency bound.
void lane_vectors(uint nvec, out uint first, out uint step, out uint cnt)
{
	uint lane = gl_LocalInvocationIndex;
	if (pc.cpu_layout != 0u) {
		uint per = (nvec + VYRE_WG_SIZE - 1u) / VYRE_WG_SIZE;
		first = lane * per;
		step = 1u;
		cnt = first < nvec ? min(per, nvec - first) : 0u;
	} else {
		first = lane;
		step = VYRE_WG_SIZE;
		cnt = lane < nvec ? (nvec - lane + VYRE_WG_SIZE - 1u) / VYRE_WG_SIZE : 0u;
	}
}

// Zero-byte marks of the 16 bytes at p, bytes at or past end cleared.
uvec4 zero_marks(uvec4 v, uint p, uint end)
{
	uvec4 z = uvec4(zero_bytes(v.x), zero_bytes(v.y), zero_bytes(v.z), zero_bytes(v.w));
	if (p + 16u > end)
		z &= uvec4(valid_mask(p, end), valid_mask(p + 4u, end), valid_mask(p + 8u, end),
			   valid_mask(p + 12u, end));
	return z;
}

// The debug ring (vyre_abi.h, VYRE_DBG_*): an op appends a record of four
// values (vyre-runtime's PRINTF). VYRE_DEBUG is a specialization constant,
// false in the production pipeline, where every call folds away; the
// gpu_debug mount option builds the pipeline with it true (pump/gpu_kernel.c).
// Three 16-byte stores, each carrying the record's tag n + 1: the host takes
// a record only when all three show it, so no store order is assumed (the
// H100 reordered stores within a workgroup, issue 20), and no atomic but
// the head: lavapipe 22.3 lost invocations that ran an atomic exchange and
// a buffer barrier in divergent code (slot results came out short, fences
// never completed).
layout(constant_id = VYRE_SPEC_DEBUG) const bool VYRE_DEBUG = false;
layout(constant_id = VYRE_SPEC_DEBUG_CAP) const uint VYRE_DBG_CAP = VYRE_DBG_RECORDS;

void vyre_dbg(uint fmt, uint op, uint slot, uvec4 v)
{
	if (!VYRE_DEBUG)
		return;
	uint b = VYRE_GS_WORDS + pc.nslots * (VYRE_DONE_WORDS + VYRE_HIST_WORDS + VYRE_GO_WORDS);
	uint n = atomicAdd(gw.w[b + VYRE_DBG_HEAD], 1u);
	uint r = (b + VYRE_DBG_HDR_WORDS + (n & (VYRE_DBG_CAP - 1u)) * VYRE_DBG_REC_WORDS) >> 2;
	uint tag = n + 1u;
	gw4.v[r] = uvec4(tag, (op << 16) | (fmt & 0xFFFFu), slot, gl_LocalInvocationIndex);
	gw4.v[r + 1u] = uvec4(tag, v.x, v.y, v.z);
	gw4.v[r + 2u] = uvec4(tag, v.w, 0u, 0u);
}
