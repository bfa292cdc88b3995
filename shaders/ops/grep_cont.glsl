// SPDX-License-Identifier: MIT
//
// grep's continuations: an open line run on past its chunk, from the
// state its last run stopped in (pump/ops/grep_cont.c submits them).
// Included by grep.glsl where its line machinery is defined.

// A continuation: lane 0 runs one open line on from the given state.
//
// On the bit-parallel engine every lane runs it (d.coop): each owns a
// slice of the vector (grep_shift.glsl), and lane 0 alone writes what
// the host reads.
void grep_cont(op_in a, grep_dfa d, uint flags)
{
	if ((!d.coop && gl_LocalInvocationIndex != 0u) || a.tile != 0u)
		return;
	uint budget = 1u << ((flags >> VYRE_GREP_BUDGET_POS) & 31u);
	uint q = flags >> VYRE_GREP_START_POS;
	uint e, st;
	// the bit-parallel engine's vector from the host (grep_shift.glsl)
	if (d.sh && sh_live(d, a.arg0))
		sh_load(d, a.slot);
	// per_pattern: the sets it enters go in this slot's records, as many
	// as fit (then it stops there, open); the host files them under the
	// line's start and reads their number beside SEL
	g_pslot = a.slot;
	g_pseq = a.seq;
	g_pr = 0u;
	// the bit-parallel engine's vector is saved above them (VYRE_SHIFT_VEC_REC)
	g_prmax = d.sh ? VYRE_SHIFT_VEC_REC(pc.rec_max, d.shw) : pc.rec_max;
	g_pcap = g_prmax;
	g_pover = false;
	ac_line(0u, true);
	uint kind;
	if (d.coop) { // every lane: grep_shift.glsl; a matched line's sink path after
		kind = shc_run(d, a.base, q, a.len, a.arg0, budget, e, st);
		if (kind == 3u) {
			uint q3 = e, s3 = st;
			kind = grep_run(d, a.base, q3, a.len, s3, budget, e, st);
		}
		if (gl_LocalInvocationIndex != 0u)
			return;
	} else {
		kind = grep_run(d, a.base, q, a.len, a.arg0, budget, e, st);
	}
	bool ended = kind == 0u || (kind == 1u && (flags & VYRE_GREP_F_EOF) != 0u);
	if (d.pset && ended)
		st = d.sh ? sh_eol(d, st) : ac_eol(d, st);
	bool sel = dfa_bit(d, d.acc, st) != ((flags & VYRE_GREP_F_INVERT) != 0u);
	if (d.sh && !ended && sh_live(d, st))
		st = sh_save(d, a.slot, a.seq, st);
	// One 16-byte store, the kind word tagged: even the done-writer's own
	// stores were read stale on the H100 (a continued line ended or
	// selected by the slot's previous continuation: +1/-1 lines).
	uvec4 v;
	v[VYRE_GO_CONT_KIND - VYRE_GO_CONT_KIND] = (ended ? 1u : 2u) |
		(VYRE_GO_TAG(a.seq) << VYRE_GO_CONT_KIND_BITS);
	v[VYRE_GO_CONT_SEL - VYRE_GO_CONT_KIND] = (ended && sel ? 1u : 0u) | (d.pset ? g_pn << 1 : 0u);
	v[VYRE_GO_CONT_POS - VYRE_GO_CONT_KIND] = e;
	v[VYRE_GO_CONT_STATE - VYRE_GO_CONT_KIND] = st;
	gw4.v[grep_out(a.slot, VYRE_GO_CONT_KIND) >> 2] = v;
}

// A lane's first GREP_KEEP selected lines, kept by its count pass: a lane
// with no more writes their records from here instead of running its
// lines through the DFA a second time. A lane's stretch is 256 bytes of a
// 64 KiB tile, about 7 lines of text, so in dense text most lanes keep
// all theirs (BENCHMARKS.md "Line records"). Per invocation (private).
#define GREP_KEEP 8u
uint g_keep_p[GREP_KEEP];
uint g_keep_nl[GREP_KEEP];
