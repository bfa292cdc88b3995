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
