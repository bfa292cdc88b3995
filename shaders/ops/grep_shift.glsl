// SPDX-License-Identifier: MIT
//
// grep on the bit-parallel engine: a pattern set no DFA holds (a{3000},
// .{20000}, (ab|cd){3000}; issue 26, ARCHITECTURE.md "Pattern sets"),
// a Glushkov NFA laid out as VYRE_SHIFT_* words by pump/ops/grep_shift.c
// (regex/regex.h struct regex_shift says what the tables mean). Included
// by grep.glsl, whose line machinery (tiles, records, open lines,
// continuations) runs it: grep_run hands a line to sh_run, and dfa_bit
// reads the state word's bits (vyre_abi.h VYRE_SHIFT_ST_*).
//
// Where the state vector lives. It has npos bits, up to 65,536: no
// register file holds 256 lanes of it, and a private array that size
// would be reserved for every invocation of the megakernel whatever op
// it runs. So a lane's vector (two buffers of nwords words: this byte's
// and the next's) lives in the workgroup's shared memory, in s_dfa,
// which a DFA uses and this engine does not: 4,096 words, so
// 4096 / (2 * nwords) lanes at a time (all 256 up to 256 positions, one
// at 65,536), and op_grep runs the lanes in that many rounds, a barrier
// between rounds. A continuation (lane 0 alone) has all of it.
//
// The vector is sparse: a line sets few positions at a time. Its live
// words [lo, hi] hold every set bit, and every word outside them, and all
// of the other buffer, is zero (grep_dfa_load zeroes s_dfa, each byte
// zeroes the words it reads, sh_clear a line's last vector). So a byte
// reads only the live words, scatters each one's follow edges (one
// shift per distance, its exceptions) into the other buffer, and adds
// the first positions of the byte's class (a list per class): its cost
// is the live words plus what they reach, not nwords. Every target is
// ANDed with the byte's class and checked against the vector's length
// as it is written.
//
// An accepting bit (last) matches the line: the state becomes MATCHED, a
// sink, and grep_run's sink path finds the '\n'. A line whose '\n' is
// not reached in a chunk pass is listed open at its start (state START):
// its continuation runs it from there, and a continuation that stops
// passes its vector on through its slot's record area (grep_cont).
//
// The budget is charged per word read or written (about one loop
// iteration each), times d.cost (sh_load_hdr), so an invocation's loop
// total stays under lavapipe's cap. One byte always finishes: it may
// overrun the budget by its own cost, live words times their shifts.

// The vector a run stopped with (or a continuation loaded): where it is
// in s_dfa, its live words and whether one has an exception source.
uint g_sh_cur;
int g_sh_lo, g_sh_hi;
bool g_sh_exc;

uint sh_w(grep_dfa d, uint i)
{
	return Words(d.addr).w[i];
}

// One target word t of the next vector (at nxt) gets bits v of byte
// class row cb; the live range, the match and exception flags follow.
void sh_put(grep_dfa d, uint nxt, uint cb, int t, uint v, inout int nlo, inout int nhi,
	    inout bool m, inout bool nx)
{
	if (t < 0 || t >= int(d.shw))
		return;
	v &= sh_w(d, cb + uint(t));
	if (v == 0u)
		return;
	s_dfa[nxt + uint(t)] |= v;
	nlo = min(nlo, t);
	nhi = max(nhi, t);
	m = m || (v & sh_w(d, sh_w(d, VYRE_SHIFT_LAST) + uint(t))) != 0u;
	nx = nx || (v & sh_w(d, sh_w(d, VYRE_SHIFT_EXC_SRC) + uint(t))) != 0u;
}

// grep.glsl's grep_run on this engine: the same kinds, positions and
// states, or 3 once the line matched (*e after the byte that did, *st
// MATCHED | ACCEPT), for grep_run's sink path. The vector it ends with
// stays in s_dfa (g_sh_*) for grep_cont to save; sh_clear drops it.
uint sh_run(grep_dfa d, uint64_t base, uint q, uint lim, uint s, inout uint budget, out uint e,
	    out uint st)
{
	// without VECTOR the line is at its start: its first byte may take first_bol
	bool bol = (s & VYRE_SHIFT_ST_VECTOR) == 0u;
	if (bol) {
		g_sh_cur = d.dbase;
		g_sh_lo = 1;
		g_sh_hi = 0;
		g_sh_exc = false;
	}
	if ((s & VYRE_SHIFT_ST_MATCHED) != 0u) {
		e = q;
		st = s;
		return 3u;
	}
	uint nw = d.shw;
	uint obyc = sh_w(d, VYRE_SHIFT_BYCLASS), odist = sh_w(d, VYRE_SHIFT_DIST);
	uint omask = sh_w(d, VYRE_SHIFT_MASK), ofirst = sh_w(d, VYRE_SHIFT_FIRST);
	uint obol = sh_w(d, VYRE_SHIFT_FIRST_BOL), oleol = sh_w(d, VYRE_SHIFT_LAST_EOL);
	uint oexs = sh_w(d, VYRE_SHIFT_EXC_SRC), oexo = sh_w(d, VYRE_SHIFT_EXC_OFF);
	uint oext = sh_w(d, VYRE_SHIFT_EXC_TO), ofoff = sh_w(d, VYRE_SHIFT_FOFF);
	uint ofw = sh_w(d, VYRE_SHIFT_FWORD), owdo = sh_w(d, VYRE_SHIFT_WDOFF);
	uint owdk = sh_w(d, VYRE_SHIFT_WDK);
	uint kmax = sh_w(d, VYRE_SHIFT_KMAX), fmax = sh_w(d, VYRE_SHIFT_FMAX);
	uint npos = sh_w(d, VYRE_SHIFT_NPOS);
	// on a GPU, and in a continuation (one lane), a run's first byte always goes
	bool go = d.cost == 1u;
	uint cur = g_sh_cur;
	int lo = g_sh_lo, hi = g_sh_hi;
	bool hx = g_sh_exc;
	Bytes b = Bytes(base);
	uint kind;
	for (;;) {
		if (q >= lim) {
			kind = 1u;
			break;
		}
		if (budget == 0u) {
			kind = 2u;
			break;
		}
		uint c = uint(b.b[q]);
		if (c == 10u) {
			kind = 0u;
			break;
		}
		// What this byte can cost at most (its live words, what they
		// reach, the first words): it starts only if the budget holds
		// it, so no lane overruns (host: grep_shift.c WORST).
		uint rng = uint(max(hi - lo + 1, 0));
		uint need = 4u + rng * (6u + kmax) + fmax;
		if (hx)
			need += 2u * rng + 3u * (sh_w(d, oexo + min(uint(hi + 1) * 32u, npos)) -
						 sh_w(d, oexo + uint(lo) * 32u));
		if (!go && budget < need * d.cost) {
			kind = 2u;
			break;
		}
		go = false;
		c = (dfa_w(d, d.cls + (c >> 2)) >> ((c & 3u) * 8u)) & 0xFFu;
		uint nxt = cur == d.dbase ? d.dbase + nw : d.dbase;
		uint cb = obyc + c * nw;
		int nlo = int(nw), nhi = -1;
		bool m = false, nx = false;
		// Units: every loop's iterations, a header that runs none
		// included (lavapipe counts those too: grep_ac.glsl).
		uint cost = 4u;
		// the exception edges of the live words (few: a loop of their own)
		if (hx) {
			for (int w = lo; w <= hi; w++) {
				uint ex = s_dfa[cur + uint(w)] & sh_w(d, oexs + uint(w));
				cost += 2u;
				while (ex != 0u) {
					uint p = uint(w) * 32u + uint(findLSB(ex));
					ex &= ex - 1u;
					uint j1 = sh_w(d, oexo + p + 1u);
					cost += 2u;
					for (uint j = sh_w(d, oexo + p); j < j1; j++) {
						uint to = sh_w(d, oext + j);
						cost++;
						sh_put(d, nxt, cb, int(to >> 5), 1u << (to & 31u), nlo, nhi,
						       m, nx);
					}
				}
			}
		}
		// the live words' shifts; each word read is zeroed
		for (int w = lo; w <= hi; w++) {
			uint x = s_dfa[cur + uint(w)];
			cost++;
			if (x == 0u)
				continue;
			s_dfa[cur + uint(w)] = 0u;
			uint k1 = sh_w(d, owdo + uint(w) + 1u);
			cost++;
			for (uint i = sh_w(d, owdo + uint(w)); i < k1; i++) {
				uint k = sh_w(d, owdk + i);
				uint y = x & sh_w(d, omask + k * nw + uint(w));
				cost++;
				int dk = int(sh_w(d, odist + k));
				uint r = uint(dk) & 31u;
				int t = w + (dk >> 5); // arithmetic: floor(dk / 32)
				sh_put(d, nxt, cb, t, y << r, nlo, nhi, m, nx);
				if (r != 0u)
					sh_put(d, nxt, cb, t + 1, y >> (32u - r), nlo, nhi, m, nx);
			}
		}
		// the first positions a byte of this class starts
		uint f1 = sh_w(d, ofoff + c + 1u);
		for (uint i = sh_w(d, ofoff + c); i < f1; i++) {
			uint w = sh_w(d, ofw + i);
			uint v = sh_w(d, ofirst + w) | (bol ? sh_w(d, obol + w) : 0u);
			cost++;
			sh_put(d, nxt, cb, int(w), v, nlo, nhi, m, nx);
		}
		ac_take(budget, cost * d.cost);
		cur = nxt;
		lo = nlo;
		hi = nhi;
		hx = nx;
		bol = false;
		q++;
		if (m) {
			kind = 3u;
			break;
		}
	}
	g_sh_cur = cur;
	g_sh_lo = lo;
	g_sh_hi = hi;
	g_sh_exc = hx;
	// sh_clear's loop, charged here
	ac_take(budget, uint(max(hi - lo + 1, 0)) * d.cost);
	if (kind == 3u) {
		e = q;
		st = VYRE_SHIFT_ST_MATCHED | VYRE_SHIFT_ST_ACCEPT;
		return 3u;
	}
	e = kind == 1u ? lim : q;
	if (bol) { // no byte read: still at the line's start
		st = d.start;
	} else {
		bool acc = false;
		for (int w = lo; w <= hi; w++)
			acc = acc || (s_dfa[cur + uint(w)] & sh_w(d, oleol + uint(w))) != 0u;
		ac_take(budget, uint(max(hi - lo + 1, 0)) * d.cost);
		st = VYRE_SHIFT_ST_VECTOR | (acc ? VYRE_SHIFT_ST_ACCEPT : 0u);
	}
	return kind;
}

// Drops the vector sh_run left: its live words back to zero.
void sh_clear()
{
	for (int w = g_sh_lo; w <= g_sh_hi; w++)
		s_dfa[g_sh_cur + uint(w)] = 0u;
	g_sh_lo = 1;
	g_sh_hi = 0;
}

// A continuation's vector, written by the host into its slot's record
// area (grep_cont.c): into s_dfa at 0, its live words found.
void sh_load(grep_dfa d, uint slot)
{
	RecW r = RecW(pc.rec_addr);
	uint oexs = sh_w(d, VYRE_SHIFT_EXC_SRC);
	g_sh_cur = 0u;
	g_sh_lo = int(d.shw);
	g_sh_hi = -1;
	g_sh_exc = false;
	for (uint w = 0u; w < d.shw; w++) {
		uint v = r.v[slot * pc.rec_max + (w >> 1)][w & 1u];
		s_dfa[w] = v;
		if (v != 0u) {
			g_sh_lo = min(g_sh_lo, int(w));
			g_sh_hi = int(w);
			g_sh_exc = g_sh_exc || (v & sh_w(d, oexs + w)) != 0u;
		}
	}
}

// A continuation that stops: its vector into its slot's record area, 8
// bytes a store, and its hash into the state's bits 3-31 (the host takes
// the words once they hash to it).
uint sh_save(grep_dfa d, uint slot, uint seq, uint st)
{
	RecW r = RecW(pc.rec_addr);
	uint h = VYRE_SHIFT_HASH_SEED(VYRE_GO_TAG(seq));
	for (uint w = 0u; w < d.shw; w += 2u) {
		uvec2 v = uvec2(0u);
		for (uint i = 0u; i < 2u && w + i < d.shw; i++) {
			int x = int(w + i);
			v[i] = x >= g_sh_lo && x <= g_sh_hi ? s_dfa[g_sh_cur + w + i] : 0u;
			h = VYRE_SHIFT_HASH(h, v[i]);
		}
		r.v[slot * pc.rec_max + (w >> 1)] = v;
	}
	memoryBarrierBuffer();
	return (st & ((1u << VYRE_SHIFT_ST_BITS) - 1u)) | (h << VYRE_SHIFT_ST_BITS);
}

// The region's header, checked against its length as far as the shader
// needs (the host checked every table, grep_shift.c). Nothing goes to
// shared memory: s_dfa holds the vectors, zeroed here (grep_dfa_load's
// barrier follows).
bool sh_load_hdr(op_in a, Words jw, inout grep_dfa d)
{
	d.sh = true;
	d.shw = jw.w[VYRE_SHIFT_NWORDS];
	d.ncls = jw.w[VYRE_SHIFT_NCLASSES];
	d.cls = VYRE_SHIFT_CLASSES;
	d.start = jw.w[VYRE_SHIFT_START] & 3u;
	d.snk = 0u; // dfa_bit: state bit 0, MATCHED
	d.acc = 1u; // bit 1, ACCEPT
	d.nsh = 0u;
	d.dbase = 0u;
	// On a CPU device a lockstep group's 8 lanes add up (grep_ac.glsl). A
	// continuation runs on lane 0 alone: its units are its own.
	d.cost = ((a.arg1 & VYRE_GREP_F_CONT) == 0u &&
		  ((a.arg1 >> VYRE_GREP_BUDGET_POS) & 31u) <= 16u) ? 8u : 1u;
	uint end = jw.w[VYRE_SHIFT_END];
	// every vector starts zero (grep_shift.glsl): the words a DFA left
	for (uint i = gl_LocalInvocationIndex; i < VYRE_GREP_SHARED_WORDS; i += VYRE_WG_SIZE)
		s_dfa[i] = 0u;
	return d.shw <= VYRE_SHIFT_WORDS_MAX && d.ncls != 0u && d.ncls <= 256u &&
	       end >= VYRE_SHIFT_HDR_WORDS && end * 4u <= a.jd &&
	       d.shw == (jw.w[VYRE_SHIFT_NPOS] + 31u) / 32u;
}
