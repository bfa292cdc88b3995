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
		uint t = ac_next(d, s, c, budget);
		s = dfa_w(d, d.accw + t) != 0u ? d.m : t;
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
	d.m = nst;
	d.cost = ((a.arg1 >> VYRE_GREP_BUDGET_POS) & 31u) <= 16u ? 8u : 1u;
	d.nsh = min(words, VYRE_GREP_SHARED_WORDS);
	if (nst == 0u || nst > VYRE_AC_STATES_MAX || d.ncls == 0u || d.ncls > 256u ||
	    d.ndense == 0u || d.ndense > nst || words < VYRE_PSET_HDR_WORDS || words * 4u > a.jd)
		return false;
	// a line starts in state 0, matched at once when the empty literal is in the set
	d.start = jw.w[d.accw] != 0u ? d.m : 0u;
	return true;
}
