// SPDX-License-Identifier: MIT
//
// grep on Aho-Corasick: a literal set too large for a DFA (issue 26;
// ARCHITECTURE.md "Pattern sets"), laid out as VYRE_PSET_* words by
// pump/ops/grep_pset.c. Included by grep.glsl, whose line machinery
// (tiles, open lines, continuations, packed files) runs it unchanged:
// grep_run hands an AC line to ac_run, and dfa_bit answers for it.
//
// A line's state is an automaton state s < nstates, or nstates once the
// line has entered a state with a non-empty accept set: that state is
// the only accepting one and a sink (the line is selected whatever
// follows, so the lane skips to the '\n'), which is what grep.glsl asks
// of a DFA's states. The host agrees (pump/ops/grep_dfa.c grep_dfa_bit).
//
// The first ndense states (breadth first: those every byte passes
// through) have full rows with failures resolved, read like a DFA's. A
// deeper state finds its child labelled c by binary search in its range
// and, without one, retries from its failure link, which is shallower:
// the chain ends in a dense row.
//
// The budget. lavapipe caps an invocation's loop iterations
// (ARCHITECTURE.md, "Platform facts", fact 6) and runs 8 lanes in
// lockstep under masks: a loop nested in the byte loop costs an iteration
// per byte even where no lane enters it (a DFA byte loop with this
// engine's loops inside it lost a 70,000-byte line's match on lavapipe),
// and the 8 lanes' inner loops add up. So the AC byte loop is ac_run's,
// apart from the DFA's; each byte costs its lane 3 (its loop and the two
// inner loops' first iteration, shared by the group), each search step or
// failure hop d.cost: 8 (a lockstep group's lanes, whose steps add up)
// when the slot's budget is a CPU device's (2^16 or less), else 1. A
// group's loops then run at most twice its lanes' budget. A byte always
// finishes its step, so a lane's last byte may overrun its budget by its
// failure chain (bounded by the deepest literal).

// per_pattern=1 (VYRE_GREP_F_PSET): the line is not a sink once it
// matched. It carries VYRE_AC_MATCHED beside its state and runs on to its
// '\n', and each accept set it enters is one record {start, VYRE_REC_SET +
// set} (vyre_abi.h), unless it is one of the line's last VYRE_AC_SEEN sets
// (the host drops the other repeats and expands sets into patterns:
// pump/ops/grep_pcount.c). The caller sets the line up (ac_line) and
// says whether to write (g_pw) or only count (g_pn). A line takes at most
// g_pcap records a run: past it the run stops before the byte, as if its
// budget ran out, so the line goes open there and continuations (each
// with its own slot's records) take the rest. That bounds what one line
// needs in one pass below what the resume line is always given, so every
// rerun makes progress. Private per invocation, like grep.glsl's keep lists.
bool g_pw;		// write the records (else count them only)
uint g_pslot, g_pseq;	// the slot whose records these are
uint g_pstart;		// the line's start, the records' START
uint g_pr, g_prmax;	// next record index, the end of the lane's area
uint g_pn, g_pcap;	// records this line took this run, and the most it may
bool g_pover;		// a record found no room: the line is cut (REC_MIN)
uvec4 g_seen0, g_seen1; // the line's last VYRE_AC_SEEN sets
// A packed file's records (grep.glsl grep_packed): its lanes claim them
// from s_prec[g_pfile] in its own area of the slot's records, g_prmax of
// them from g_pr; g_pfile VYRE_AC_NOFILE: a lane's own area (g_pr on).
#define VYRE_AC_NOFILE 0xFFFFFFFFu
uint g_pfile;
shared uint s_prec[VYRE_PACK_FILES_PER_TILE];
// End-of-line sets (VYRE_PSET_EOL: per_pattern=1's DFA with accept sets,
// its '$' patterns): the set of the state a line ends in is one more
// record, taken when the line ends (ac_eol). A run keeps room for it:
// the sets entered take at most g_pcap - g_pres, so the end's always
// fits, and a line that ends never has to go open for it.
uint g_pres;

void grep_rec_store(uint s, uint r, uint seq, uint start, uint nl);

void ac_line(uint start, bool write)
{
	g_pstart = start;
	g_pw = write;
	g_pn = 0u;
	g_seen0 = uvec4(0u);
	g_seen1 = uvec4(0u);
}

// Set k (!= 0) reached: recorded once; false when the line has no room
// left below cap.
bool ac_note_in(uint k, uint cap)
{
	if (any(equal(g_seen0, uvec4(k))) || any(equal(g_seen1, uvec4(k))))
		return true;
	if (g_pn >= cap)
		return false;
	g_seen1 = uvec4(g_seen0.w, g_seen1.xyz);
	g_seen0 = uvec4(k, g_seen0.xyz);
	g_pn++;
	if (g_pw && g_pfile != VYRE_AC_NOFILE) {
		uint r = atomicAdd(s_prec[g_pfile], 1u);
		if (r < g_prmax)
			grep_rec_store(g_pslot, g_pr + r, g_pseq, g_pstart, VYRE_REC_SET + k);
		else
			g_pover = true;
	} else if (g_pw) {
		if (g_pr < g_prmax)
			grep_rec_store(g_pslot, g_pr, g_pseq, g_pstart, VYRE_REC_SET + k);
		else
			g_pover = true;
		g_pr++;
	}
	return true;
}

// Set k (!= 0) entered, below the room kept for the line's end.
bool ac_note(uint k)
{
	return ac_note_in(k, g_pcap > g_pres ? g_pcap - g_pres : g_pcap);
}

// per_pattern: the line ended in st (its '\n', or the file's end): the
// end-of-line set of its state, if any, recorded; st with MATCHED if so.
uint ac_eol(grep_dfa d, uint st)
{
	if (!d.pset || d.eolw == 0u || st == VYRE_AC_FRESH)
		return st;
	uint k = dfa_w(d, d.eolw + (st & (VYRE_AC_MATCHED - 1u)));
	if (k != 0u && ac_note_in(k, g_pcap))
		st |= VYRE_AC_MATCHED;
	return st;
}

uint ac_label(grep_dfa d, uint s)
{
	return (dfa_w(d, d.label + (s >> 2)) >> ((s & 3u) * 8u)) & 0xFFu;
}

void ac_take(inout uint budget, uint c)
{
	budget = budget > c ? budget - c : 0u;
}

// The state after class c from s (< nstates), failures followed.
uint ac_next(grep_dfa d, uint s, uint c, inout uint budget)
{
	if (s < d.ndense)
		return dfa_w(d, d.nxt + s * d.ncls + c);
	for (;;) {
		uint lo = dfa_w(d, d.child + s), end = dfa_w(d, d.child + s + 1u), hi = end;
		while (lo < hi) {
			ac_take(budget, d.cost);
			uint mid = (lo + hi) >> 1;
			if (ac_label(d, mid) < c)
				lo = mid + 1u;
			else
				hi = mid;
		}
		if (lo < end && ac_label(d, lo) == c)
			return lo;
		ac_take(budget, d.cost);
		s = dfa_w(d, d.fail + s);
		if (s < d.ndense)
			return dfa_w(d, d.nxt + s * d.ncls + c);
	}
	return 0u;
}

// grep.glsl's grep_run on this engine: the same kinds, positions and
// states, or 3 once the line matched (at *e, in the matched state *st),
// for grep_run's sink path to find the '\n': one copy of that search,
// which inlined into every call site costs lavapipe's compile time.
uint ac_run(grep_dfa d, uint64_t base, uint q, uint lim, uint s, inout uint budget, out uint e,
	    out uint st)
{
	Bytes b = Bytes(base);
	if (s == VYRE_AC_FRESH) { // per_pattern: a line's start, its root set (the empty pattern)
		uint k0 = dfa_w(d, d.accw);
		s = k0 != 0u && ac_note(k0) ? VYRE_AC_MATCHED : 0u; // g_pcap >= 1: room
	}
	for (;;) {
		if (s == d.m) {
			e = q;
			st = s;
			return 3u;
		}
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
		uint c = uint(b.b[q]);
		if (c == 10u) {
			e = q;
			st = s;
			return 0u;
		}
		ac_take(budget, 3u);
		c = (dfa_w(d, d.cls + (c >> 2)) >> ((c & 3u) * 8u)) & 0xFFu;
		uint t = ac_next(d, s & (VYRE_AC_MATCHED - 1u), c, budget);
		uint k = dfa_w(d, d.accw + t);
		if (!d.pset) {
			s = k != 0u ? d.m : t;
		} else if (k != 0u && !ac_note(k)) {
			e = q; // no room: the line stops before this byte
			st = s;
			return 2u;
		} else {
			s = t | (s & VYRE_AC_MATCHED) | (k != 0u ? VYRE_AC_MATCHED : 0u);
		}
		q++;
	}
	return 0u;
}

// The region's tables, checked against its length as far as the shader
// needs: the host checked every index (grep_pset.c) and the shader
// follows them unchecked. The header, the classes and as many dense rows
// as fit go to shared memory (grep.glsl's loader copies d.nsh words).
bool ac_load(op_in a, Words jw, inout grep_dfa d)
{
	uint nst = jw.w[VYRE_PSET_NSTATES];
	uint words = jw.w[VYRE_PSET_FIRST] + jw.w[VYRE_PSET_NSETS];
	d.ac = true;
	d.ncls = jw.w[VYRE_PSET_NCLASSES];
	d.ndense = jw.w[VYRE_PSET_NDENSE];
	d.cls = VYRE_PSET_CLASSES;
	d.nxt = jw.w[VYRE_PSET_DENSE];
	d.child = jw.w[VYRE_PSET_CHILD];
	d.label = jw.w[VYRE_PSET_LABEL];
	d.fail = jw.w[VYRE_PSET_FAIL];
	d.accw = jw.w[VYRE_PSET_ACC];
	d.eolw = jw.w[VYRE_PSET_EOL];
	d.pset = (a.arg1 & VYRE_GREP_F_PSET) != 0u;
	d.m = d.pset ? 0xFFFFFFFFu : nst; // per_pattern: no matched sink
	d.acc = 0u; // dfa_bit's base: accepting, or
	d.snk = 1u; // sink
	d.cost = ((a.arg1 >> VYRE_GREP_BUDGET_POS) & 31u) <= 16u ? 8u : 1u;
	d.nsh = min(words, VYRE_GREP_SHARED_WORDS);
	g_pres = d.pset && d.eolw != 0u ? 1u : 0u;
	if (nst == 0u || nst > VYRE_AC_STATES_MAX || d.ncls == 0u || d.ncls > 256u ||
	    d.ndense == 0u || d.ndense > nst || words < VYRE_PSET_HDR_WORDS || words * 4u > a.jd ||
	    (d.eolw != 0u && (d.eolw != VYRE_PSET_HDR_WORDS || VYRE_PSET_HDR_WORDS + nst > words)))
		return false;
	// a line starts in state 0, matched at once when the empty literal is in the set
	d.start = d.pset ? VYRE_AC_FRESH : (jw.w[d.accw] != 0u ? d.m : 0u);
	return true;
}
