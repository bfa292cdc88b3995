// SPDX-License-Identifier: MIT
// count: occurrences of one byte (arg0) in the tile.
uint op_count(op_in a, inout uint fault)
{
	Vec4s d = Vec4s(a.base);
	uvec4 pat = uvec4((a.arg0 & 0xFFu) * 0x01010101u);
	uint first, step, cnt, n = 0;
	lane_vectors((a.end - a.start + 15u) / 16u, first, step, cnt);
	uint p = a.start + first * 16u;
	for (uint k = 0; k < cnt; k++, p += step * 16u) {
		uvec4 z = zero_marks(d.v[p >> 4] ^ pat, p, a.end);
		n += bitCount(z.x) + bitCount(z.y) + bitCount(z.z) + bitCount(z.w);
	}
	return n;
}
