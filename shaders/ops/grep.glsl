// SPDX-License-Identifier: MIT
//
// grep: selected lines, like LC_ALL=C grep -a (-c, -v, -n -b), exact.
//
// The job data region holds a DFA over byte classes (vyre_abi.h's
// VYRE_DFA_*): a line is selected when the state after its last byte (not
// counting the '\n') accepts, xor invert. A DFA of VYRE_GREP_SHARED_WORDS
// words or fewer is copied into shared memory once per tile. A literal set
// too large for a DFA comes as Aho-Corasick (VYRE_PSET_*, grep_ac.glsl):
// grep_run hands its lines to ac_run, and dfa_bit answers for its states.
// A set no DFA holds comes on the bit-parallel engine (VYRE_SHIFT_*,
// grep_shift.glsl) the same way, its lanes taking turns in s_dfa.
//
// A chunk owns the lines that start right after each '\n' in it (the
// position after the chunk's last byte included: the next chunk never
// runs a line at its offset 0), plus the line at offset 0 when it is the
// first chunk of the scan (VYRE_GREP_F_FIRST). Each lane takes a
// contiguous stretch of the tile, finds the '\n's in it 16 bytes at a
// time, and runs each line they start to its '\n', reading past its
// stretch, its tile and the chunk into the tail window if it must, up to a
// loop budget (lavapipe silently ends an invocation after 65,535 loop
// iterations; ARCHITECTURE.md, "Platform facts", fact 6). In a sink state
// (every byte but '\n' keeps it) the lane jumps to the '\n' 16 bytes a
// step. A line whose '\n' is not reached (the data or the budget ran out)
// is *open*: its start, position reached and state go in the slot's open
// list, and the pump continues it in continuation slots
// (VYRE_GREP_F_CONT, one lane) until it ends.
//
// Result: the number of complete selected lines. With VYRE_GREP_F_LINES
// also one record (start, '\n' count from its tile's start) per selected
// line, and per tile its '\n' count, so the host can number lines. Records
// go in order within a tile (a workgroup prefix sum) into the slot's
// pc.rec_max of them (vyre_abi.h VYRE_REC_*): the tile owning the resume
// line fills [0, rhalf), enough for every line a tile can hold when the
// area is big enough, other tiles claim blocks above. A line that finds no
// room (record or open entry) sets the lowest such start; the pump runs
// the chunk again from there (arg0), so every pass records at least the
// resume line. Records are sized so that text never gets there (issue 23
// item 5); open entries past 32 still do. The counters live in the slot's
// scratch (VYRE_S_OP, zeroed by the slot's last tile) and reach the host
// in its done record: nothing the host writes is read back.

shared uint s_dfa[VYRE_GREP_SHARED_WORDS];
shared uint s_gbase;
shared uint s_gtotal;

// The job's automaton: a DFA, or Aho-Corasick (ac, grep_ac.glsl).
struct grep_dfa {
	uint64_t addr; // the region
	uint nsh;      // its first nsh words are copied into s_dfa
	uint ncls;
	uint start;
	uint acc;  // word index of the accept bits
	uint snk;  // of the sink bits
	uint nxt;  // of the next table (AC: of the dense rows)
	uint cls;  // of the byte classes
	bool ac;
	bool pset; // AC, per_pattern=1: sets recorded, no sink (grep_ac.glsl)
	uint m;	   // AC: the matched state (nstates)
	uint ndense, child, label, fail, accw; // AC: its tables
	uint eolw; // AC: its end-of-line sets (VYRE_PSET_EOL), 0: none
	uint cost; // AC: budget charged per loop iteration (grep_ac.glsl); shift: per word
	bool sh;   // the bit-parallel engine (grep_shift.glsl)
	uint shw;  // shift: words of a state vector
	uint dbase; // shift: this lane's two vectors in s_dfa
	bool coop;  // shift: every lane runs one line, a slice of its vector each
	uint lcap;  // shift: what one line may spend of a tile pass's budget
};

uint dfa_w(grep_dfa d, uint i)
{
	if (i < d.nsh)
		return s_dfa[i];
	return Words(d.addr).w[i];
}

uint dfa_step(grep_dfa d, uint s, uint b)
{
	uint c = (dfa_w(d, d.cls + (b >> 2)) >> ((b & 3u) * 8u)) & 0xFFu;
	return dfa_w(d, d.nxt + s * d.ncls + c);
}

bool dfa_bit(grep_dfa d, uint base, uint s)
{
	if (d.sh) // the state word's bits (VYRE_SHIFT_ST_*): snk 0 (per_pattern: none), acc 1
		return ((s >> base) & 1u) != 0u && !(d.pset && base == d.snk);
	if (d.pset) // per_pattern: a line that matched accepts, and no state is a sink
		return base == d.acc && (s & VYRE_AC_MATCHED) != 0u;
	if (d.ac) // accepting and sink are the matched state alone
		return s == d.m;
	return ((dfa_w(d, base + (s >> 5)) >> (s & 31u)) & 1u) != 0u;
}

// Exclusive prefix sum over the workgroup, returned to each lane; total
// gets the sum. Lane 0 walks the 256 values in s_hist (which grep does not
// otherwise use): two barriers and 256 steps of one lane.
uint grep_scan(uint v, out uint total)
{
	uint lane = gl_LocalInvocationIndex;
	s_hist[lane] = v;
	memoryBarrierShared();
	barrier();
	if (lane == 0u) {
		uint sum = 0u;
		for (uint i = 0u; i < VYRE_WG_SIZE; i++) {
			uint x = s_hist[i];
			s_hist[i] = sum;
			sum += x;
		}
		s_gtotal = sum;
	}
	memoryBarrierShared();
	barrier();
	uint before = s_hist[lane];
	total = s_gtotal;
	barrier();
	s_hist[lane] = 0u;
	return before;
}

// Where the arena is host memory on a GPU (relaunch), a DFA job's tile is
// staged into shared memory a window at a time, every lane loading
// neighbouring 16-byte words (coalesced), and its lanes run their lines
// from there; bytes outside the window (a line running past it, the tail)
// still come from global memory. On the H100 (BENCHMARKS.md, 2026-12-07
// fourth session) that took grep over host memory from 21 to 35 GB/s
// (count: 49), where lanes reading their own 256-byte stretches had a
// warp's loads on 32 lines at once over PCIe; over device memory it lost
// (54 -> 43 GB/s: the extra barriers), so there and on lavapipe the
// pipeline is built with GREP_STAGE_VECS 1 (pump/gpu_kernel.c), which
// stages nothing. s_stage beside s_dfa and s_hist stays under lavapipe's
// 32 KiB of shared memory (maxComputeSharedMemorySize).
layout(constant_id = VYRE_SPEC_GREP_STAGE) const uint GREP_STAGE_VECS = 1u;
const bool GREP_STAGE = GREP_STAGE_VECS > 1u;
layout(constant_id = VYRE_SPEC_GREP_FAST) const bool GREP_FAST = false;
const uint GREP_STAGE_BYTES = GREP_STAGE_VECS * 16u; // a multiple of 16 x VYRE_WG_SIZE
shared uvec4 s_stage[GREP_STAGE_VECS];
// The staged window, chunk bytes [g_wlo, g_whi) of the slot's base; none
// when g_whi is 0 (grep_dfa_load clears it for every slot). Per invocation.
uint g_wlo;
uint g_whi;

// The 16 bytes at w * 16 of base: from the staged window when they are in it.
uvec4 grep_vec(uint64_t base, uint w)
{
	uint q = w << 4;
	if (GREP_STAGE && q >= g_wlo && q < g_whi)
		return s_stage[(q - g_wlo) >> 4];
	return Vec4s(base).v[w];
}

// The first '\n' at or after q and below lim, 16 bytes a step (the first
// step the aligned 16 bytes holding q, the bytes below q cleared: a load a
// byte up to the alignment cost a sink-state line up to 15 dependent
// loads, each from L2 in the persistent build); lim if there is none. Each
// step costs the budget one; when it runs out the position reached comes
// back with *out = true.
uint grep_next_nl(uint64_t base, uint q, uint lim, inout uint budget, out bool out_)
{
	uvec4 nl = uvec4(0x0A0A0A0Au);
	out_ = false;
	uint lo = q; // bytes below it are not this search's
	if (lo >= lim)
		return lim;
	for (q &= ~15u; q < lim; q += 16u) {
		if (budget == 0u) {
			out_ = true;
			return max(q, lo);
		}
		budget--;
		uvec4 z = zero_marks(grep_vec(base, q >> 4) ^ nl, q, lim);
		if (q < lo) // zero_bytes is exact: clearing marks leaves no false one
			z &= ~uvec4(valid_mask(q, lo), valid_mask(q + 4u, lo), valid_mask(q + 8u, lo),
				    valid_mask(q + 12u, lo));
		for (uint w = 0u; w < 4u; w++)
			if (z[w] != 0u)
				return q + 4u * w + uint(findLSB(z[w])) / 8u;
	}
	return lim;
}

#include "grep_ac.glsl"
#include "grep_shift.glsl"

// Runs a line from position q in state s until its '\n' (kind 0, *e at
// the '\n'), the end of the data (kind 1, *e = lim) or the end of the
// budget (kind 2, *e where it stopped). *st: the state at *e.
uint grep_run(grep_dfa d, uint64_t base, uint q, uint lim, uint s, inout uint budget,
	      out uint e, out uint st)
{
	if (d.ac || d.sh) { // a loop of its own: no loop nests in the DFA's (grep_ac.glsl)
		uint k = d.ac ? ac_run(d, base, q, lim, s, budget, e, st)
			      : sh_run(d, base, q, lim, s, budget, e, st);
		if (k != 3u)
			return k;
		q = e; // matched: the sink path below finds the '\n'
		s = st;
	}
	// The line's bytes come 16 at a time into a register word: one load
	// per 16 DFA steps instead of one a step (a warp's byte loads each hit
	// 32 lines of its lanes' stretches; the persistent build's are
	// coherent, from L2). The word holding lim may run past it, as
	// grep_next_nl's do: what is there is never stepped. A sink state keeps
	// every byte but '\n', so it is looked for once a word, not once a byte
	// (a third shared-memory load on each step's dependent chain), and a
	// DFA wholly in s_dfa is stepped from there without dfa_w's test a load.
	uvec4 word = uvec4(0u);
	uint wq = 0xFFFFFFFFu; // the word's index (q >> 4), none yet
	bool in_shared = !d.ac && !d.sh && d.nsh != 0u; // nsh: all its words, or 0
	for (;;) {
		if (q >= lim) {
			e = lim;
			st = s;
			return 1u;
		}
		if (budget == 0u) {
			e = q;
			st = s;
			return 2u;
		}
		if ((q >> 4) != wq) {
			if (dfa_bit(d, d.snk, s)) {
				bool out_;
				e = grep_next_nl(base, q, lim, budget, out_);
				st = s;
				return out_ ? 2u : (e < lim ? 0u : 1u);
			}
			wq = q >> 4;
			word = grep_vec(base, wq);
		}
		budget--;
		uint c = (word[(q >> 2) & 3u] >> ((q & 3u) * 8u)) & 0xFFu;
		if (c == 10u) {
			e = q;
			st = s;
			return 0u;
		}
		if (in_shared) {
			uint k = (s_dfa[d.cls + (c >> 2)] >> ((c & 3u) * 8u)) & 0xFFu;
			s = s_dfa[d.nxt + s * d.ncls + k];
		} else {
			s = dfa_step(d, s, c);
		}
		q++;
	}
	return 0u;
}

uint grep_out(uint s, uint w)
{
	return VYRE_GS_WORDS + pc.nslots * (VYRE_DONE_WORDS + VYRE_HIST_WORDS) + s * VYRE_GO_WORDS + w;
}

// Record r of slot s (vyre_abi.h VYRE_REC_*): one 8-byte store, the tag's
// bits 0-4 above the start, 5-17 above the '\n' count. The layout's one
// writer; pump/ops/grep_out.c grep_rec_read is its one reader.
void grep_rec_store(uint s, uint r, uint seq, uint start, uint nl)
{
	uint tag = VYRE_GO_TAG(seq);
	uvec2 v;
	v[VYRE_REC_START] = start | (tag << VYRE_REC_START_BITS);
	v[VYRE_REC_NL] = nl | ((tag >> (32u - VYRE_REC_START_BITS)) << VYRE_REC_NL_BITS);
	RecW(pc.rec_addr).v[s * pc.rec_max + r] = v;
}

// Lists an open line; entry 0 is the resume line's, so a rerun always
// makes progress. One 16-byte store: NL and STATE carry the tag.
void grep_open(uint s, uint seq, uint resume, uint p, uint nl, uint e, uint st)
{
	uint c = scratch_word(s, VYRE_S_OP + VYRE_GC_OPEN);
	uint i = 0u;
	if (p == resume)
		atomicOr(dv.w[c], 1u);
	else
		i = 1u + (atomicAdd(dv.w[c], 2u) >> 1);
	if (i >= VYRE_GREP_OPEN_MAX) {
		atomicMax(dv.w[scratch_word(s, VYRE_S_OP + VYRE_GC_OPEN_MIN)], ~p);
		return;
	}
	vyre_dbg(VYRE_DBG_GREP_OPEN, VYRE_OP_GREP, s, uvec4(p, e, st, seq));
	uint tag = VYRE_GO_TAG(seq);
	uvec4 v;
	v[VYRE_GO_OPEN_NL] = nl | (tag << VYRE_GO_NL_BITS);
	v[VYRE_GO_OPEN_POS] = e;
	v[VYRE_GO_OPEN_STATE] = st | ((tag >> (32u - VYRE_GO_NL_BITS)) << VYRE_GO_STATE_BITS);
	v[VYRE_GO_OPEN_START] = p;
	gw4.v[grep_out(s, VYRE_GO_OPEN + 4u * i) >> 2] = v;
}

#include "grep_cont.glsl"

// This lane's lines: the one at p, then one after each '\n' in [p, le),
// within budget steps. Pass 1 (rec false) counts the selected ones from
// sel0 (a staged tile's earlier windows), keeps the first GREP_KEEP and
// lists the open ones; pass 2 (rec true) writes the selected ones' records
// from index *r on. *nrec: the records pass 2 writes (line records, and
// per_pattern's set records: grep_ac.glsl).
// A lane's whole lines in one flat loop, for a DFA or Aho-Corasick (not
// the shift engine, not per_pattern) in a job without lines=1, its bytes
// 16 at a time where ac_run loads one a step: each '\n' counts its line's
// verdict and resets the state where it is, instead of leaving the loop
// for grep_lines' per-line code. A warp's lanes end their lines at
// different bytes, so that per-line code ran once a lane while the warp's
// other lanes waited (ARCHITECTURE.md "grep's line walk"). A sink state
// skips to its word's '\n' as grep_run does. From p (a line start at or
// after resume): lines that end in '\n' before lim are taken, counted as
// grep_lines counts them (nl, sel, nrec, the kept lines); the return is the
// start of the first line not taken, which grep_lines' per-line code runs
// (open at lim, or the budget spent), or done when the lane has no more
// lines: its last '\n' at or past le, or the next start past len or at lim
// with eof. Its budget charges are not grep_run's (a line's start is not a
// word's, a sink's '\n' costs a step), so a lines=1 job, whose second pass
// must end the same lines as its first, steps both passes in grep_run.
uint grep_fast(grep_dfa d, uint64_t base, uint p, uint le, uint len, uint lim, bool eof,
	       bool inv, inout uint budget, inout uint sel, inout uint nl, out bool done)
{
	uvec4 word = uvec4(0u);
	uint wq = 0xFFFFFFFFu;
	uint s = d.start, lp = p, q = p;
	bool in_shared = !d.ac && d.nsh != 0u; // nsh: all its words, or 0
	done = false;
	for (;;) {
		if (q >= lim || budget == 0u)
			return lp;
		if ((q >> 4) != wq) {
			wq = q >> 4;
			word = grep_vec(base, wq);
			if (dfa_bit(d, d.snk, s)) {
				uint w0 = wq << 4;
				uvec4 z = zero_marks(word ^ uvec4(0x0A0A0A0Au), w0, lim);
				z &= ~uvec4(valid_mask(w0, q), valid_mask(w0 + 4u, q),
					    valid_mask(w0 + 8u, q), valid_mask(w0 + 12u, q));
				uint at = 16u;
				for (uint k = 0u; k < 4u; k++)
					if (at == 16u && z[k] != 0u)
						at = 4u * k + uint(findLSB(z[k])) / 8u;
				budget--;
				if (at == 16u) { // no '\n' here: the next word
					q = w0 + 16u;
					continue;
				}
				q = w0 + at; // its '\n': the line ends below
			}
		}
		if (d.ac)
			ac_take(budget, 3u); // ac_run's charge a byte
		else
			budget--;
		uint c = (word[(q >> 2) & 3u] >> ((q & 3u) * 8u)) & 0xFFu;
		if (c == 10u) {
			if (dfa_bit(d, d.acc, s) != inv)
				sel++;
			if (q >= le) {
				done = true;
				return q + 1u;
			}
			nl++;
			lp = q + 1u;
			s = d.start;
			if (lp > len || (lp == lim && eof)) {
				done = true;
				return lp;
			}
		} else if (d.ac) { // ac_run's step; its matched state d.m is a sink, no state
			if (s != d.m) {
				uint k = (dfa_w(d, d.cls + (c >> 2)) >> ((c & 3u) * 8u)) & 0xFFu;
				uint t = ac_next(d, s, k, budget);
				s = dfa_w(d, d.accw + t) != 0u ? d.m : t;
			}
		} else if (in_shared) {
			uint k = (s_dfa[d.cls + (c >> 2)] >> ((c & 3u) * 8u)) & 0xFFu;
			s = s_dfa[d.nxt + s * d.ncls + k];
		} else {
			s = dfa_step(d, s, c);
		}
		q++;
	}
	return lp;
}

uint grep_lines(op_in a, grep_dfa d, uint flags, uint p, uint le, uint nl0, bool rec,
		inout uint r, uint rmax, inout uint nrec, uint budget, uint sel0)
{
	bool lines = (flags & VYRE_GREP_F_LINES) != 0u;
	uint lim = a.len + a.tail;
	uint resume = a.arg0;
	bool inv = (flags & VYRE_GREP_F_INVERT) != 0u;
	bool eof = (flags & VYRE_GREP_F_EOF) != 0u;
	uint big = 0xFFFFFFFFu;
	uint nl = nl0; // '\n' from the tile's start to p
	uint sel = sel0;
	bool dummy;
	// the flat loop where it applies, on a CPU device (GREP_FAST: the
	// pump's choice, pump/gpu_kernel.c grep_fast; slower on the H100)
	bool fast = GREP_FAST && !lines && !rec && !d.sh && !d.pset && p >= resume;
	while (p <= a.len && !(p == lim && eof)) {
		if (fast) {
			bool done;
			p = grep_fast(d, a.base, p, le, a.len, lim, eof, inv, budget, sel, nl, done);
			if (done)
				break;
			fast = false; // open at lim, or out of budget: so would the lines after it be
			continue;
		}
		uint e, st, kind;
		// A line before resume runs too when this lane has lines at or
		// after it: it costs the budget as in the first pass, so those
		// lines end, or stay open, as they did there. The first pass's
		// count stands; without this a line open there (over the open
		// list) ended here and was never counted.
		bool mine = p >= resume;
		if (mine || le >= resume) {
			g_pr = r;
			ac_line(p, rec && mine);
			kind = grep_run(d, a.base, p, lim, d.start, budget, e, st);
			bool ended = kind == 0u || (kind == 1u && eof);
			if (d.pset && ended)
				st = d.sh ? sh_eol(d, st) : ac_eol(d, st);
			if (d.sh)
				sh_clear(); // its vector: the next line starts from zero
			if (d.pset) {
				r = g_pr;
				if (g_pover) { // its set records did not all fit: rerun from it
					atomicMax(dv.w[scratch_word(a.slot, VYRE_S_OP + VYRE_GC_REC_MIN)], ~p);
					return sel;
				}
				if (mine && !rec)
					nrec += g_pn;
			}
			if (mine && ended && (dfa_bit(d, d.acc, st) != inv)) {
				if (!rec) {
					if (sel < GREP_KEEP && lines) {
						g_keep_p[sel] = p;
						g_keep_nl[sel] = nl;
					}
					sel++;
					nrec += lines ? 1u : 0u;
				} else if (lines && r < rmax) {
					grep_rec_store(a.slot, r, a.seq, p, nl);
					r++;
				} else if (lines) {
					atomicMax(dv.w[scratch_word(a.slot, VYRE_S_OP + VYRE_GC_REC_MIN)], ~p);
					return sel;
				}
			} else if (mine && !ended && !rec) {
				// the bit-parallel engine's vector stays here: its line is
				// continued from its start (grep_shift.glsl)
				// (per_pattern's too: its sets so far are recorded)
				bool restart = d.sh && (d.pset || (st & VYRE_SHIFT_ST_MATCHED) == 0u);
				grep_open(a.slot, a.seq, resume, p, nl, restart ? p : e,
					  restart ? d.start : st);
			}
			if (kind != 0u) // look for the next '\n' of the stretch
				e = grep_next_nl(a.base, max(e, p), le, big, dummy);
		} else {
			e = grep_next_nl(a.base, p, le, big, dummy);
		}
		if (e >= le)
			break;
		p = e + 1u;
		nl++;
	}
	return sel;
}

// Pass 2 for a lane that kept all its n selected lines: their records
// from index r, as grep_lines writes them, without the DFA.
void grep_keep_write(op_in a, uint n, uint r, uint rmax)
{
	for (uint i = 0u; i < n; i++, r++) {
		if (r >= rmax) {
			atomicMax(dv.w[scratch_word(a.slot, VYRE_S_OP + VYRE_GC_REC_MIN)],
				  ~g_keep_p[i]);
			return;
		}
		grep_rec_store(a.slot, r, a.seq, g_keep_p[i], g_keep_nl[i]);
	}
}

// The job's DFA, checked against its region and copied into shared memory
// when small. Every lane calls it (a barrier); false: a bad slot.
bool grep_dfa_load(op_in a, out grep_dfa d)
{
	uint lane = gl_LocalInvocationIndex;
	Words jw = Words(pc.data_addr + a.jd_off);
	d.addr = pc.data_addr + a.jd_off;
	d.nsh = 0u;
	d.ac = false;
	d.pset = false;
	d.eolw = 0u;
	g_pres = 0u;
	g_pfile = VYRE_AC_NOFILE;
	d.m = 0u;
	d.sh = false;
	d.shw = 0u;
	d.dbase = 0u;
	g_wlo = 0u;
	g_whi = 0u;
	d.coop = false;
	d.lcap = 0xFFFFFFFFu;
	if (a.jd >= VYRE_SHIFT_HDR_WORDS * 4u && jw.w[VYRE_SHIFT_ENGINE] == VYRE_ENGINE_SHIFT) {
		if (!sh_load_hdr(a, jw, d))
			return false;
	} else if (a.jd < VYRE_PSET_HDR_WORDS * 4u || jw.w[VYRE_PSET_ENGINE] != VYRE_ENGINE_AHO) {
		uint nst = jw.w[VYRE_DFA_NSTATES];
		d.ncls = jw.w[VYRE_DFA_NCLASSES];
		d.start = jw.w[VYRE_DFA_START];
		d.cls = VYRE_DFA_CLASSES;
		uint bits = (nst + 31u) / 32u;
		d.acc = VYRE_DFA_HDR_WORDS;
		d.snk = d.acc + bits;
		d.nxt = d.snk + bits;
		uint words = d.nxt + nst * d.ncls;
		d.nsh = words <= VYRE_GREP_SHARED_WORDS ? words : 0u;
		if (nst == 0u || nst > VYRE_DFA_STATES_MAX || d.ncls == 0u || d.ncls > 256u ||
		    d.start >= nst || words * 4u > a.jd)
			return false;
	} else if (!ac_load(a, jw, d)) {
		return false;
	}
	for (uint i = lane; i < d.nsh; i += VYRE_WG_SIZE)
		s_dfa[i] = jw.w[i];
	memoryBarrierShared();
	barrier();
	return true;
}

#include "grep_packed.glsl"
#include "grep_stage.glsl"

uint op_grep(op_in a, inout uint fault)
{
	uint lane = gl_LocalInvocationIndex;
	uint flags = a.arg1;
	grep_dfa d;
	if (a.ntiles > VYRE_GREP_MAX_TILES || !grep_dfa_load(a, d)) {
		fault = VYRE_ERR_BAD_SLOT;
		return 0u;
	}
	if ((flags & VYRE_GREP_F_CONT) != 0u) {
		grep_cont(a, d, flags);
		return 0u;
	}

	// A DFA's tile runs a staged window at a time (GREP_STAGE): each lane a
	// stretch of each window, with a share of the lane's budget per window
	// (lavapipe's loop cap is per invocation). Otherwise one window, the
	// tile, each lane a contiguous stretch of it read from global memory.
	bool staged = GREP_STAGE && !d.ac && !d.sh;
	uint tlen = a.end - a.start;
	uint nwin = staged ? (tlen + GREP_STAGE_BYTES - 1u) / GREP_STAGE_BYTES : 1u;
	uint per = staged ? GREP_STAGE_BYTES / VYRE_WG_SIZE
			  : (((tlen + VYRE_WG_SIZE - 1u) / VYRE_WG_SIZE) + 15u) & ~15u;
	uint budget = max((1u << ((flags >> VYRE_GREP_BUDGET_POS) & 31u)) / nwin, 1u);
	uint ls, le, nl0, tile_nl = 0u, p, pnl;
	bool run;
	if (!staged)
		grep_stretch(a, flags, a.start, a.end, per, ls, le, nl0, tile_nl, p, pnl, run);
	uint sel = 0u, nrec = 0u;
	// Pass 0 counts and lists open lines; with lines=1, pass 1 runs the
	// same lines again to write their records. One call site: on a CPU
	// device every inlined copy of the line loop costs every slot.
	uint npass = (flags & (VYRE_GREP_F_LINES | VYRE_GREP_F_PSET)) != 0u ? 2u : 1u;
	// The bit-parallel engine's lanes keep their vectors in s_dfa, two of
	// shw words each: per_round lanes at a time (grep_shift.glsl).
	uint per_round = VYRE_WG_SIZE, nround = 1u;
	if (d.sh && d.shw != 0u) {
		per_round = min(VYRE_WG_SIZE, VYRE_GREP_SHARED_WORDS / (2u * d.shw));
		nround = (VYRE_WG_SIZE + per_round - 1u) / per_round;
		d.dbase = (lane % per_round) * 2u * d.shw;
	}
	// per_pattern: a line's set records a pass, at most what the resume
	// tile's block holds beside its line record (grep_ac.glsl)
	uint rhalf = min(pc.rec_max / 2u, (1u << a.shift) + 1u);
	g_pcap = max(rhalf, 2u) - 1u;
	g_pslot = a.slot;
	g_pseq = a.seq;
	g_prmax = 0u;
	g_pover = false;
	uint t0 = a.arg0 == 0u ? 0u : (a.arg0 - 1u) >> a.shift;
	for (uint pass = 0u; pass < npass; pass++) {
		uint r = 0u, rmax = 0u;
		if (pass == 1u) {
			uint tile_sel;
			uint before = grep_scan(d.pset ? nrec : sel, tile_sel);
			// the resume tile's block: every line a tile can hold (one
			// after each of its '\n's, and offset 0) when the area allows
			if (lane == 0u) {
				uint base = 0u, room = rhalf;
				if (a.tile != t0) {
					base = rhalf + atomicAdd(dv.w[scratch_word(a.slot, VYRE_S_OP +
										      VYRE_GS_REC_TOP)],
								 tile_sel);
					room = base < pc.rec_max ? pc.rec_max - base : 0u;
				}
				uint tag = VYRE_GO_TAG(a.seq);
				s_gbase = base;
				// one 8-byte store, tagged; past the area the host reads none
				uvec2 v;
				v[VYRE_GO_TILE_BASE] = min(base, pc.rec_max) | (tag << VYRE_GO_COUNT_BITS);
				v[VYRE_GO_TILE_N] = min(tile_sel, room) |
					((tag >> (32u - VYRE_GO_COUNT_BITS)) << VYRE_GO_COUNT_BITS);
				gw2.v[grep_out(a.slot, VYRE_GO_TILE_RECS + 2u * a.tile) >> 1] = v;
			}
			memoryBarrierShared();
			barrier();
			r = s_gbase + before;
			barrier();
			rmax = a.tile == t0 ? rhalf : pc.rec_max;
			g_prmax = rmax;
		}
		bool keep = pass == 1u && sel != 0u && sel <= GREP_KEEP && !d.pset;
		if (keep)
			grep_keep_write(a, sel, r, rmax);
		uint nlw = 0u; // a staged tile's '\n' before the window
		uvec4 pf[GREP_STAGE_PER];
		if (staged)
			grep_stage_fetch(a, a.start, min(a.start + GREP_STAGE_BYTES, a.end), pf);
		for (uint w = 0u; w < nwin; w++) {
			if (staged) {
				uint wlo = a.start + w * GREP_STAGE_BYTES;
				uint whi = min(wlo + GREP_STAGE_BYTES, a.end);
				uint wnl;
				grep_stage_put(wlo, whi, pf);
				if (w + 1u < nwin) // the next window's loads overlap this one's walk
					grep_stage_fetch(a, whi, min(whi + GREP_STAGE_BYTES, a.end), pf);
				grep_stretch(a, flags, wlo, whi, per, ls, le, nl0, wnl, p, pnl, run);
				pnl += nlw;
				nlw += wnl;
			}
			bool go = !keep && run && p <= le && (pass == 0u || sel != 0u || nrec != 0u);
			for (uint rd = 0u; rd < nround; rd++) {
				if (nround > 1u)
					barrier(); // the previous round's lanes are done with s_dfa
				if (go && lane / per_round == rd) {
					uint n = grep_lines(a, d, flags, p, le, pnl, pass == 1u, r, rmax,
							    nrec, budget, sel);
					if (pass == 0u)
						sel = n;
				}
			}
		}
		if (staged)
			tile_nl = nlw;
	}
	g_wlo = 0u;
	g_whi = 0u;
	if (lane == 0u) {
		vyre_dbg(VYRE_DBG_GREP_TILE, VYRE_OP_GREP, a.slot, uvec4(a.tile, tile_nl, a.arg0, a.seq));
		gw.w[grep_out(a.slot, VYRE_GO_TILE_NL + a.tile)] =
			tile_nl | (VYRE_GO_TAG(a.seq) << VYRE_GO_NL_BITS);
	}
	return sel;
}
