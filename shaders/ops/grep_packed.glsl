// SPDX-License-Identifier: MIT
//
// grep over a packed slot of small files (megakernel.comp run_packed):
// each file's lanes, its count and, with per_pattern=1, its set records.
// Included by grep.glsl after its line loops.

// A packed tile (megakernel.comp run_packed; vyre_abi.h VYRE_TILE_PACKED):
// its VYRE_PACK_FILES_PER_TILE files side by side, each counted alone: the
// DFA starts at the file's first byte and the file's last byte ends its
// last line (one without a '\n' counts, as grep counts it). Each file gets
// GREP_PACK_LANES lanes, each a contiguous stretch of it; a lane runs the
// lines that start after the '\n's in its stretch (the file's first lane:
// its first line too). All 256 lanes on one file after another gave each
// lane 16 bytes of a 4 KiB file and most lanes no line, while lavapipe
// runs 8 lanes in lockstep: 20,000 files of 4 KiB took 19.9 s against
// 12.1 s this way (lavapipe, 2 loaded cores). No line records, no open lines,
// no '\n' counts: the result is each file's count, added into s_pack[k].
// A line the lane's budget does not finish (lavapipe's loop cap is per
// invocation) marks its file VYRE_PACK_OVER, and the host scans that file
// again alone (pump/ops/grep.c). Returns this lane's share of the slot's
// sum.
//
// per_pattern=1 (VYRE_GREP_F_PSET): each file's set records go in its own
// share of the slot's records (vyre_abi.h, after VYRE_PACK_OVER): the sets its
// lines enter, {line start in the file, VYRE_REC_SET + set}, claimed by
// its lanes from s_prec; a file whose records do not fit is
// VYRE_PACK_OVER too (scanned again alone, with continuations).
//
// lines=1 (VYRE_GREP_F_LINES; not with per_pattern=1 or invert=1, which
// the host runs a file a job): each file's share holds its line records
// the same way, {line start in the file, '\n' before it in the file},
// after its count record. A lane's first line's number is the '\n's of
// its file's lanes before it (each counts its stretch, 16 bytes a step,
// and sums its file's lower lanes' counts from s_hist). A file whose
// records pass its share is VYRE_PACK_OVER (run alone): before, every
// file with a selected line ran alone for its records.
#define GREP_PACK_LANES (VYRE_WG_SIZE / VYRE_PACK_FILES_PER_TILE)
uint grep_packed_lanes(op_in a, Vec4s tb, inout uint fault);
uint grep_packed(op_in a, Vec4s tb, inout uint fault)
{
	uint lane = gl_LocalInvocationIndex;
	if (lane < VYRE_PACK_FILES_PER_TILE)
		s_prec[lane] = 0u; // grep_dfa_load's barrier orders it before any claim
	uint sel = grep_packed_lanes(a, tb, fault);
	// the fault and the flags are the workgroup's: the barrier is uniform
	if (fault != VYRE_ERR_NONE || (a.arg1 & (VYRE_GREP_F_PSET | VYRE_GREP_F_LINES)) == 0u)
		return sel;
	memoryBarrierShared();
	barrier();
	uint per = pc.rec_max / (a.ntiles * VYRE_PACK_FILES_PER_TILE);
	if (lane < VYRE_PACK_FILES_PER_TILE && per != 0u)
		grep_rec_store(a.slot, (a.tile * VYRE_PACK_FILES_PER_TILE + lane) * per, a.seq,
			       min(s_prec[lane], (1u << VYRE_REC_START_BITS) - 1u), 0u);
	return sel;
}

uint grep_packed_lanes(op_in a, Vec4s tb, inout uint fault)
{
	uint lane = gl_LocalInvocationIndex;
	grep_dfa d;
	// the bit-parallel engine is never packed (its lanes share s_dfa in turns)
	if (!grep_dfa_load(a, d) || d.sh) {
		fault = VYRE_ERR_BAD_SLOT;
		return 0u;
	}
	// every lane checks the whole table, so the fault is uniform (lane 0 reports it)
	uint k = lane / GREP_PACK_LANES, start = 0u, end = 0u, where = 0u;
	for (uint f = 0u; f < VYRE_PACK_FILES_PER_TILE; f++) {
		uint i = a.tile * VYRE_PACK_FILES_PER_TILE + f;
		uint w0 = 2u * i, w1 = w0 + 1u;
		uint s0 = tb.v[w0 >> 2][w0 & 3u];
		uint e0 = tb.v[w1 >> 2][w1 & 3u];
		uint wh = pack_where(tb, i); // the file cache's copy, or 0 (megakernel.comp)
		if (s0 > e0 || (wh == 0u && e0 > a.len) || (s0 & 15u) != 0u)
			fault = VYRE_ERR_BAD_SLOT;
		if (f == k) {
			start = s0;
			end = e0;
			where = wh;
		}
	}
	if (fault != VYRE_ERR_NONE)
		return 0u;
	bool inv = (a.arg1 & VYRE_GREP_F_INVERT) != 0u;
	uint budget = 1u << ((a.arg1 >> VYRE_GREP_BUDGET_POS) & 31u);
	uint big = 0xFFFFFFFFu;
	bool dummy;
	uint n = end - start;
	uint64_t base = pack_base(a.base, where) + uint64_t(start);
	uint per = (((n + GREP_PACK_LANES - 1u) / GREP_PACK_LANES) + 15u) & ~15u;
	uint ls = min((lane % GREP_PACK_LANES) * per, n);
	uint le = min(ls + per, n);
	bool lines = (a.arg1 & VYRE_GREP_F_LINES) != 0u;
	uint nl = 0u; // lines=1: '\n' in the file before the line at p
	if (lines) { // every lane (a barrier): the flags are the workgroup's
		uint mynl = 0u;
		for (uint q = ls; q < le; q += 16u) {
			uvec4 z = zero_marks(Vec4s(base).v[q >> 4] ^ uvec4(0x0A0A0A0Au), q, le);
			mynl += bitCount(z.x) + bitCount(z.y) + bitCount(z.z) + bitCount(z.w);
		}
		ac_take(budget, (le - ls + 15u) / 16u);
		s_hist[lane] = mynl;
		memoryBarrierShared();
		barrier();
		for (uint l = k * GREP_PACK_LANES; l < lane; l++)
			nl += s_hist[l];
		barrier();
		s_hist[lane] = 0u; // as grep_scan leaves it
	}
	if (ls >= le)
		return 0u;
	uint p = 0u;
	if (ls != 0u) {
		uint e = grep_next_nl(base, ls, le, big, dummy);
		if (e >= le)
			return 0u; // no '\n' in the stretch: no line of ours
		p = e + 1u;
		nl++; // that one
	}
	uint sel = 0u;
	bool over = false;
	uint lr = 0u, lrmax = 0u; // lines=1: this file's records, from lr
	if (lines) {
		uint share = pc.rec_max / (a.ntiles * VYRE_PACK_FILES_PER_TILE);
		lr = (a.tile * VYRE_PACK_FILES_PER_TILE + k) * share + 1u;
		lrmax = share > 1u ? share - 1u : 0u;
	}
	if (d.pset) { // this file's area: a count record, then its set records
		uint per = pc.rec_max / (a.ntiles * VYRE_PACK_FILES_PER_TILE);
		uint i = a.tile * VYRE_PACK_FILES_PER_TILE + k;
		g_pfile = k;
		g_pslot = a.slot;
		g_pseq = a.seq;
		g_pr = i * per + 1u;
		g_prmax = per > 1u ? per - 1u : 0u;
		g_pcap = 0xFFFFFFFFu; // no cap a line: a file that overflows runs alone
		g_pover = false;
	}
	while (p < n) { // the position after the last byte starts no line
		uint e, st;
		if (d.pset)
			ac_line(p, true);
		uint kind = grep_run(d, base, p, n, d.start, budget, e, st);
		if (kind == 2u || (d.pset && g_pover)) {
			over = true;
			break;
		}
		if (d.pset) // the line ended: its '\n', or the file's end
			st = ac_eol(d, st);
		if (d.pset && g_pover) {
			over = true;
			break;
		}
		if (dfa_bit(d, d.acc, st) != inv) {
			sel++;
			if (lines) {
				uint r = atomicAdd(s_prec[k], 1u);
				if (r < lrmax)
					grep_rec_store(a.slot, lr + r, a.seq, p, nl);
				else
					over = true;
			}
		}
		if (kind == 1u || e >= le) // the file ended, or the next line is not ours
			break;
		p = e + 1u;
		nl++;
	}
	if (sel != 0u)
		atomicAdd(s_pack[k], sel);
	if (over)
		atomicOr(s_pack[k], VYRE_PACK_OVER);
	return sel;
}
