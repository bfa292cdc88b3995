// SPDX-License-Identifier: MIT
//
// A tile's windows: each lane's stretch of bytes and its first line
// (grep_stretch), and the staged window in shared memory (GREP_STAGE,
// loaded a window ahead). Included by grep.glsl before op_grep.

// A window [wlo, whi) of the tile, per bytes (16-aligned) to a lane:
// this lane's stretch [*ls, *le) and its '\n's, summed over the workgroup
// (*nl0: the window's before ls, *wnl: all the window's), and the first
// line it owns, *p (*pnl '\n' before it in the window): after the first
// '\n' of the stretch, or offset 0 of a scan's first chunk. *run false, or
// *p past *le: no line of ours. Every lane calls it (barriers).
void grep_stretch(op_in a, uint flags, uint wlo, uint whi, uint per, out uint ls, out uint le,
		  out uint nl0, out uint wnl, out uint p, out uint pnl, out bool run)
{
	uint lane = gl_LocalInvocationIndex;
	uint big = 0xFFFFFFFFu;
	bool dummy;
	ls = min(wlo + lane * per, whi);
	le = min(ls + per, whi);
	uint mynl = 0u;
	uvec4 nlv = uvec4(0x0A0A0A0Au);
	for (uint q = ls; q < le; q += 16u) {
		uvec4 z = zero_marks(grep_vec(a.base, q >> 4) ^ nlv, q, le);
		mynl += bitCount(z.x) + bitCount(z.y) + bitCount(z.z) + bitCount(z.w);
	}
	nl0 = grep_scan(mynl, wnl);

	// The resume line's owning tile (that of the '\n' before it); tiles
	// before it have no line to run.
	uint resume = a.arg0;
	uint t0 = resume == 0u ? 0u : (resume - 1u) >> a.shift;
	p = le;
	pnl = nl0;
	run = a.tile >= t0 && ls < le;
	if (run) {
		if (ls == 0u && (flags & VYRE_GREP_F_FIRST) != 0u) {
			p = 0u;
		} else {
			uint e = grep_next_nl(a.base, ls, le, big, dummy);
			p = e + 1u;
			pnl = nl0 + 1u;
			if (e >= le)
				p = le + 1u; // no '\n' here: no line of ours
		}
	}
}

// A lane's share of a staged window: GREP_STAGE_PER 16-byte words,
// neighbouring lanes on neighbouring words (coalesced).
const uint GREP_STAGE_PER = (GREP_STAGE_VECS + VYRE_WG_SIZE - 1u) / VYRE_WG_SIZE;

// Loads the lane's share of the tile's bytes [wlo, whi) into registers.
// Issued before the lanes walk the window before it, so the loads (over
// PCIe where staging is on) are in flight while the DFA runs instead of
// between two barriers with nothing else to do.
void grep_stage_fetch(op_in a, uint wlo, uint whi, out uvec4 pf[GREP_STAGE_PER])
{
	uint nvec = (whi - wlo + 15u) >> 4;
	Vec4s v = Vec4s(a.base);
	for (uint k = 0u; k < GREP_STAGE_PER; k++) {
		uint i = gl_LocalInvocationIndex + k * VYRE_WG_SIZE;
		pf[k] = i < nvec ? v.v[(wlo >> 4) + i] : uvec4(0u);
	}
}

// Puts the fetched window [wlo, whi) into s_stage once every lane is done
// with the last one. Every lane calls it (barriers).
void grep_stage_put(uint wlo, uint whi, uvec4 pf[GREP_STAGE_PER])
{
	uint nvec = (whi - wlo + 15u) >> 4;
	barrier();
	for (uint k = 0u; k < GREP_STAGE_PER; k++) {
		uint i = gl_LocalInvocationIndex + k * VYRE_WG_SIZE;
		if (i < nvec)
			s_stage[i] = pf[k];
	}
	memoryBarrierShared();
	barrier();
	g_wlo = wlo;
	g_whi = wlo + nvec * 16u;
}
