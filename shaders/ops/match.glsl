// SPDX-License-Identifier: MIT
// match: occurrences of the pattern (the job's data region, arg0 bytes)
// starting in the tile; the pattern may run into the tail window, up to
// the chunk plus tail. Each lane takes 16 bytes at a time, finds the bytes
// equal to the pattern's first byte with the same zero-byte test as count,
// and verifies only those.
uint op_match(op_in a, inout uint fault)
{
	uint m = a.arg0;
	if (m == 0u || m > VYRE_PATTERN_MAX || m > a.jd) {
		fault = VYRE_ERR_BAD_SLOT;
		return 0u;
	}
	Vec4s d4 = Vec4s(a.base);
	Bytes d = Bytes(a.base);
	Bytes pat = Bytes(pc.data_addr + a.jd_off);
	uint limit = a.len + a.tail;
	uvec4 pfirst = uvec4(uint(pat.b[0]) * 0x01010101u);
	uint first, step, cnt, n = 0;
	lane_vectors((a.end - a.start + 15u) / 16u, first, step, cnt);
	uint p = a.start + first * 16u;
	for (uint k = 0; k < cnt; k++, p += step * 16u) {
		uvec4 z = zero_marks(d4.v[p >> 4] ^ pfirst, p, a.end);
		for (uint w = 0; w < 4u; w++) {
			uint bits = z[w];
			while (bits != 0u) {
				uint q = p + 4u * w + uint(findLSB(bits)) / 8u;
				bits &= bits - 1u;
				if (q + m > limit)
					continue;
				uint j = 1;
				for (; j < m; j++)
					if (d.b[q + j] != pat.b[j])
						break;
				if (j == m)
					n++;
			}
		}
	}
	return n;
}
