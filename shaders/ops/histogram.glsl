// SPDX-License-Identifier: MIT
// histogram: this lane's bytes of the tile counted into s_hist
// (VYRE_OPF_BINS: the kernel folds the bins into the slot's 256).
uint op_histogram(op_in a, inout uint fault)
{
	Vec4s d = Vec4s(a.base);
	uint first, step, cnt;
	lane_vectors((a.end - a.start + 15u) / 16u, first, step, cnt);
	uint p = a.start + first * 16u;
	for (uint k = 0; k < cnt; k++, p += step * 16u) {
		uvec4 v = d.v[p >> 4];
		uint words[4] = uint[4](v.x, v.y, v.z, v.w);
		uint nb = min(16u, a.end - p);
		for (uint b = 0; b < nb; b++)
			atomicAdd(s_hist[(words[b >> 2] >> ((b & 3u) * 8u)) & 0xFFu], 1u);
	}
	return 0u;
}
