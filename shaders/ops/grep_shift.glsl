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
//
// Where a long line runs: every lane at once (d.coop). One lane steps a
// byte in the live words' time, and a line whose vector fills (a{3000}
// after 3,000 a's: 94 words; (ab|cd){3000}: 188) costs each byte all of
// them, one after another, in dependent loads of the tables: 6,000 bytes
// of such a line were seconds of one lane on the H100 (BENCHMARKS.md, "The
// bit-parallel engine"), and lavapipe ran it 8 bytes a continuation hop.
// So a tile pass gives a line at most d.lcap of its lane's budget (a
// 16th on a GPU, half on a CPU device) while its vector is wider than
// SH_COOP_WORDS: one that costs more stops there (kind 2) and is listed
// open from its start, and its lane goes on to its other lines. Its continuation runs it on every lane of the
// workgroup: lane l owns the live words lo + l, lo + l + 256, ... of the
// vector, reads and zeroes them, scatters their shifts and exceptions
// into the next vector with atomicOr (a word's shift lands in the words
// of other lanes: no carry chain, every target is an OR), takes every
// 256th of the class's first words, and folds its new live range and
// match/exception flags into s_sh (atomicMin/Max/Or); one barrier ends
// the byte, and every lane reads the next range from s_sh. A byte then
// costs a lane its share, ceil(live / 256) words, and the budget charges
// that share, the same for every lane (the loops stay uniform: every
// lane stops at the same byte). s_sh has three sets of the flags: a byte
// reads one, folds into the next, and lane 0 resets the one after, which
// every lane read before the last barrier; so one barrier a byte. A line
// that continues hands its vector on as before (sh_save, lane 0, after the
// byte's barrier made every lane's words visible).

// The vector a run stopped with (or a continuation loaded): where it is
// in s_dfa, its live words and whether one has an exception source.
uint g_sh_cur;
int g_sh_lo, g_sh_hi;
bool g_sh_exc;

// A wider vector is worth a cooperative run (one word a lane instead of
// all of them: 8x or more fewer dependent steps a byte).
#define SH_COOP_WORDS 8u

// Cooperative runs (d.coop): a byte's live range and flags (bit 0: an
// accepting bit, 1: an exception source), three sets in turn, and the
// set the next byte folds into (g_sh_set); s_sh_acc: the end's accept.
shared int s_sh_lo[3];
shared int s_sh_hi[3];
shared uint s_sh_f[3];
shared uint s_sh_acc;
uint g_sh_set;

// Lane 0: set i empty again (a range no word is in, no flag).
void sh_set_reset(uint i, uint nw)
{
	s_sh_lo[i] = int(nw);
	s_sh_hi[i] = -1;
	s_sh_f[i] = 0u;
}

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
	// a cooperative run's lanes share the word; a lane alone (sh_run)
	// keeps the plain OR it had
	if (d.coop)
		atomicOr(s_dfa[nxt + uint(t)], v);
	else
		s_dfa[nxt + uint(t)] |= v;
	nlo = min(nlo, t);
	nhi = max(nhi, t);
	m = m || (v & sh_w(d, sh_w(d, VYRE_SHIFT_LAST) + uint(t))) != 0u;
	nx = nx || (v & sh_w(d, sh_w(d, VYRE_SHIFT_EXC_SRC) + uint(t))) != 0u;
}

// The tables' offsets, read once a run.
struct sh_tab {
	uint byc, dist, mask, first, bol, last, leol, exs, exo, ext, own, foff, fw, wdo, wdk;
	uint kmax, fmax, npos;
};

sh_tab sh_tables(grep_dfa d)
{
	sh_tab t;
	t.byc = sh_w(d, VYRE_SHIFT_BYCLASS);
	t.dist = sh_w(d, VYRE_SHIFT_DIST);
	t.mask = sh_w(d, VYRE_SHIFT_MASK);
	t.first = sh_w(d, VYRE_SHIFT_FIRST);
	t.bol = sh_w(d, VYRE_SHIFT_FIRST_BOL);
	t.last = sh_w(d, VYRE_SHIFT_LAST);
	t.own = sh_w(d, VYRE_SHIFT_OWNER);
	t.leol = sh_w(d, VYRE_SHIFT_LAST_EOL);
	t.exs = sh_w(d, VYRE_SHIFT_EXC_SRC);
	t.exo = sh_w(d, VYRE_SHIFT_EXC_OFF);
	t.ext = sh_w(d, VYRE_SHIFT_EXC_TO);
	t.foff = sh_w(d, VYRE_SHIFT_FOFF);
	t.fw = sh_w(d, VYRE_SHIFT_FWORD);
	t.wdo = sh_w(d, VYRE_SHIFT_WDOFF);
	t.wdk = sh_w(d, VYRE_SHIFT_WDK);
	t.kmax = sh_w(d, VYRE_SHIFT_KMAX);
	t.fmax = sh_w(d, VYRE_SHIFT_FMAX);
	t.npos = sh_w(d, VYRE_SHIFT_NPOS);
	return t;
}

// What a byte can cost a lane that steps live words [lo, hi] every
// wstep-th from its own (its loops, each word's shifts, the first words,
// the exceptions' words and edges): a byte starts only if the budget
// holds it, so no lane overruns (host: grep_shift.c WORST).
uint sh_need(grep_dfa d, sh_tab t, int lo, int hi, bool hx, uint wstep)
{
	uint rng = uint(max(hi - lo + 1, 0));
	uint wl = (rng + wstep - 1u) / wstep;
	uint need = 4u + wl * (6u + t.kmax) + (t.fmax + wstep - 1u) / wstep;
	if (hx)
		need += 2u * wl + 3u * (sh_w(d, t.exo + min(uint(hi + 1) * 32u, t.npos)) -
					sh_w(d, t.exo + uint(lo) * 32u));
	return need;
}

// One byte of class c: this lane's live words of the vector at cur (lo +
// lane0, then every wstep-th), read and zeroed, their exceptions and
// shifts, and its share of the class's first words, into the vector at
// nxt; *nlo, *nhi, *m, *nx: what it wrote. Returns its units: every
// loop's iterations, a header that runs none included (lavapipe counts
// those too: grep_ac.glsl). zero false: the words read stay (per_pattern
// may take the byte back: sh_run).
uint sh_step(grep_dfa d, sh_tab t, uint cur, uint nxt, uint c, bool bol, int lo, int hi, bool hx,
	     int lane0, int wstep, bool zero, out int nlo, out int nhi, out bool m, out bool nx)
{
	uint nw = d.shw;
	uint cb = t.byc + c * nw;
	nlo = int(nw);
	nhi = -1;
	m = false;
	nx = false;
	uint cost = 4u;
	// the exception edges of the live words (few: a loop of their own)
	if (hx) {
		for (int w = lo + lane0; w <= hi; w += wstep) {
			uint ex = s_dfa[cur + uint(w)] & sh_w(d, t.exs + uint(w));
			cost += 2u;
			while (ex != 0u) {
				uint p = uint(w) * 32u + uint(findLSB(ex));
				ex &= ex - 1u;
				uint j1 = sh_w(d, t.exo + p + 1u);
				cost += 2u;
				for (uint j = sh_w(d, t.exo + p); j < j1; j++) {
					uint to = sh_w(d, t.ext + j);
					cost++;
					sh_put(d, nxt, cb, int(to >> 5), 1u << (to & 31u), nlo, nhi, m, nx);
				}
			}
		}
	}
	// the live words' shifts; each word read is zeroed
	for (int w = lo + lane0; w <= hi; w += wstep) {
		uint x = s_dfa[cur + uint(w)];
		cost++;
		if (x == 0u)
			continue;
		if (zero)
			s_dfa[cur + uint(w)] = 0u;
		uint k1 = sh_w(d, t.wdo + uint(w) + 1u);
		cost++;
		for (uint i = sh_w(d, t.wdo + uint(w)); i < k1; i++) {
			uint k = sh_w(d, t.wdk + i);
			uint y = x & sh_w(d, t.mask + k * nw + uint(w));
			cost++;
			int dk = int(sh_w(d, t.dist + k));
			uint r = uint(dk) & 31u;
			int tw = w + (dk >> 5); // arithmetic: floor(dk / 32)
			sh_put(d, nxt, cb, tw, y << r, nlo, nhi, m, nx);
			if (r != 0u)
				sh_put(d, nxt, cb, tw + 1, y >> (32u - r), nlo, nhi, m, nx);
		}
	}
	// the first positions a byte of this class starts
	uint f1 = sh_w(d, t.foff + c + 1u);
	for (uint i = sh_w(d, t.foff + c) + uint(lane0); i < f1; i += uint(wstep)) {
		uint w = sh_w(d, t.fw + i);
		uint v = sh_w(d, t.first + w) | (bol ? sh_w(d, t.bol + w) : 0u);
		cost++;
		sh_put(d, nxt, cb, int(w), v, nlo, nhi, m, nx);
	}
	return cost;
}

// per_pattern=1 (VYRE_GREP_F_PSET): a line is no sink once it matched.
// Bit 0 of its state (MATCHED) then says only that it matched: it runs
// on to its '\n' with its vector, and every pattern whose last position a
// byte sets is one record {start, VYRE_REC_SET + pattern + 1} (grep_ac.glsl
// ac_note: the line's last few repeats dropped, g_pcap a run). A byte
// whose records find no room is taken back (its words were not zeroed:
// sh_step's zero) and the run stops before it, open (kind 2), as AC's
// does; the patterns a line matches at its start (ALWAYS) are recorded
// before its first byte, and its end's (sh_eol) in the room kept for them
// (g_pres). The host counts each pattern once a line
// (pump/ops/grep_pcount.c). No cooperative run: one lane's records.

// per_pattern: the patterns whose last positions are set in the vector at
// nxt's words [nlo, nhi] (the byte just stepped), one record each; false
// when one found no room.
bool sh_note_hits(grep_dfa d, sh_tab t, uint nxt, int nlo, int nhi, inout uint budget)
{
	for (int w = nlo; w <= nhi; w++) {
		uint x = s_dfa[nxt + uint(w)] & sh_w(d, t.last + uint(w));
		ac_take(budget, d.cost);
		while (x != 0u) {
			uint p = uint(w) * 32u + uint(findLSB(x));
			x &= x - 1u;
			ac_take(budget, d.cost);
			if (!ac_note(sh_w(d, t.own + p) + 1u))
				return false;
		}
	}
	return true;
}

// per_pattern: patterns n of the list at word l, one record each, within cap.
bool sh_note_list(grep_dfa d, uint l, uint n, uint cap)
{
	for (uint i = 0u; i < n; i++)
		if (!ac_note_in(sh_w(d, l + i) + 1u, cap))
			return false;
	return true;
}

// grep.glsl's grep_run on this engine: the same kinds, positions and
// states, or 3 once the line matched (*e after the byte that did, *st
// MATCHED | ACCEPT), for grep_run's sink path. The vector it ends with
// stays in s_dfa (g_sh_*) for grep_cont to save; sh_clear drops it. A
// tile pass's line that spent d.lcap stops (kind 2) once its vector is
// wider than SH_COOP_WORDS.
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
	if ((s & VYRE_SHIFT_ST_MATCHED) != 0u && !d.pset) {
		e = q;
		st = s;
		return 3u;
	}
	uint nw = d.shw;
	sh_tab t = sh_tables(d);
	// per_pattern: whether the line matched before this run, and its
	// start's patterns (g_pcap holds them: pump_shift_pset_fits)
	bool hit = (s & VYRE_SHIFT_ST_MATCHED) != 0u;
	if (d.pset && bol)
		sh_note_list(d, sh_w(d, VYRE_SHIFT_ALW), sh_w(d, VYRE_SHIFT_NALW), g_pcap);
	// on a GPU, and in a continuation (one lane), a run's first byte always goes
	bool go = d.cost == 1u;
	uint b0 = budget;
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
		// past d.lcap with a wide vector: a cooperative continuation's
		// (a long line whose vector stays narrow gains little there)
		if (b0 - budget >= d.lcap && hi - lo >= int(SH_COOP_WORDS)) {
			kind = 2u;
			break;
		}
		if (!go && budget < sh_need(d, t, lo, hi, hx, 1u) * d.cost) {
			kind = 2u;
			break;
		}
		go = false;
		c = (dfa_w(d, d.cls + (c >> 2)) >> ((c & 3u) * 8u)) & 0xFFu;
		uint nxt = cur == d.dbase ? d.dbase + nw : d.dbase;
		int nlo, nhi;
		bool m, nx;
		uint cost = sh_step(d, t, cur, nxt, c, bol, lo, hi, hx, 0, 1, !d.pset, nlo, nhi, m,
				    nx);
		ac_take(budget, cost * d.cost);
		if (d.pset) {
			// the byte stands once its records are taken: then the
			// words it read go back to zero, else the ones it wrote
			bool keep = !m || sh_note_hits(d, t, nxt, nlo, nhi, budget);
			uint z = keep ? cur : nxt;
			int zlo = keep ? lo : nlo, zhi = keep ? hi : nhi;
			for (int w = zlo; w <= zhi; w++)
				s_dfa[z + uint(w)] = 0u;
			ac_take(budget, (uint(max(zhi - zlo + 1, 0)) + 3u) * d.cost);
			if (!keep) {
				kind = 2u;
				break;
			}
			hit = hit || m;
			m = false;
		}
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
	// sh_clear's loop, charged here; per_pattern: sh_eol's too
	ac_take(budget, uint(max(hi - lo + 1, 0)) * (d.pset ? 3u : 1u) * d.cost);
	if (kind == 3u) {
		e = q;
		st = VYRE_SHIFT_ST_MATCHED | VYRE_SHIFT_ST_ACCEPT;
		return 3u;
	}
	e = kind == 1u ? lim : q;
	if (bol) { // no byte read: still at the line's start
		st = d.start;
	} else {
		bool acc = hit;
		for (int w = lo; w <= hi; w++)
			acc = acc || (s_dfa[cur + uint(w)] & sh_w(d, t.leol + uint(w))) != 0u;
		ac_take(budget, uint(max(hi - lo + 1, 0)) * d.cost);
		st = VYRE_SHIFT_ST_VECTOR | (acc ? VYRE_SHIFT_ST_ACCEPT : 0u) |
			(hit ? VYRE_SHIFT_ST_MATCHED : 0u);
	}
	return kind;
}

// per_pattern: the line sh_run left ended in st (its '\n', or the file's
// end): the patterns its end matches recorded (an empty line's, or those
// of the vector's bits in last_eol), in the room kept for them; st with
// MATCHED and ACCEPT once one did. Before sh_clear.
uint sh_eol(grep_dfa d, uint st)
{
	if (!d.pset)
		return st;
	if ((st & VYRE_SHIFT_ST_VECTOR) == 0u) { // an empty line
		uint n = sh_w(d, VYRE_SHIFT_NEMP);
		if (n != 0u && sh_note_list(d, sh_w(d, VYRE_SHIFT_EMP), n, g_pcap))
			st |= VYRE_SHIFT_ST_MATCHED | VYRE_SHIFT_ST_ACCEPT;
		return st;
	}
	uint leol = sh_w(d, VYRE_SHIFT_LAST_EOL), own = sh_w(d, VYRE_SHIFT_OWNER);
	for (int w = g_sh_lo; w <= g_sh_hi; w++) {
		uint x = s_dfa[g_sh_cur + uint(w)] & sh_w(d, leol + uint(w));
		while (x != 0u) {
			uint p = uint(w) * 32u + uint(findLSB(x));
			x &= x - 1u;
			if (ac_note_in(sh_w(d, own + p) + 1u, g_pcap))
				st |= VYRE_SHIFT_ST_MATCHED | VYRE_SHIFT_ST_ACCEPT;
		}
	}
	return st;
}

// Whether a line's state st carries a vector the next hop needs: not the
// matched sink, which per_pattern has none of.
bool sh_live(grep_dfa d, uint st)
{
	return (st & VYRE_SHIFT_ST_VECTOR) != 0u &&
	       (d.pset || (st & VYRE_SHIFT_ST_MATCHED) == 0u);
}

// sh_run on every lane of the workgroup at once (a continuation,
// d.coop): each lane steps every 256th live word (sh_step), folds what it
// wrote into s_sh, and one barrier ends the byte (grep_shift.glsl's
// head). Every lane charges the byte's bound for a lane's share, so all
// stop at the same byte. Its own function, called from grep_cont alone:
// lavapipe compiles a barrier in a loop as a coroutine, and with this
// loop inlined into grep_run's three callers its first compile of the
// megakernel ran past 8 minutes (38 s without).
uint shc_run(grep_dfa d, uint64_t base, uint q, uint lim, uint s, inout uint budget, out uint e,
	     out uint st)
{
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
	sh_tab t = sh_tables(d);
	int lane = int(gl_LocalInvocationIndex);
	uint cur = g_sh_cur;
	int lo = g_sh_lo, hi = g_sh_hi;
	bool hx = g_sh_exc;
	Bytes b = Bytes(base);
	bool first = true; // a run's first byte always goes
	uint kind;
	for (;;) {
		uint c = q < lim ? uint(b.b[q]) : 10u;
		uint need = sh_need(d, t, lo, hi, hx, VYRE_WG_SIZE);
		kind = q >= lim ? 1u : budget == 0u ? 2u : c == 10u ? 0u
			: (!first && budget < need) ? 2u : 4u;
		if (kind != 4u)
			break;
		first = false;
		c = (dfa_w(d, d.cls + (c >> 2)) >> ((c & 3u) * 8u)) & 0xFFu;
		uint nxt = cur == d.dbase ? d.dbase + nw : d.dbase;
		int nlo, nhi;
		bool m, nx;
		sh_step(d, t, cur, nxt, c, bol, lo, hi, hx, lane, int(VYRE_WG_SIZE), true, nlo, nhi, m,
			nx);
		uint ni = g_sh_set;
		if (nhi >= 0) {
			atomicMin(s_sh_lo[ni], nlo);
			atomicMax(s_sh_hi[ni], nhi);
		}
		if (m || nx)
			atomicOr(s_sh_f[ni], (m ? 1u : 0u) | (nx ? 2u : 0u));
		if (lane == 0)
			sh_set_reset((ni + 1u) % 3u, nw);
		memoryBarrierShared();
		barrier();
		lo = s_sh_lo[ni];
		hi = s_sh_hi[ni];
		uint f = s_sh_f[ni];
		hx = (f & 2u) != 0u;
		g_sh_set = (ni + 1u) % 3u;
		ac_take(budget, need);
		cur = nxt;
		bol = false;
		q++;
		if ((f & 1u) != 0u) {
			kind = 3u;
			break;
		}
	}
	g_sh_cur = cur;
	g_sh_lo = lo;
	g_sh_hi = hi;
	g_sh_exc = hx;
	uint wl = (uint(max(hi - lo + 1, 0)) + VYRE_WG_SIZE - 1u) / VYRE_WG_SIZE;
	ac_take(budget, 2u * wl);
	if (kind == 3u) {
		e = q;
		st = VYRE_SHIFT_ST_MATCHED | VYRE_SHIFT_ST_ACCEPT;
		return 3u;
	}
	e = kind == 1u ? lim : q;
	if (bol) {
		st = d.start;
		return kind;
	}
	// the end's accepting bits: every lane's words, one answer for all
	bool acc = false;
	for (int w = lo + lane; w <= hi; w += int(VYRE_WG_SIZE))
		acc = acc || (s_dfa[cur + uint(w)] & sh_w(d, t.leol + uint(w))) != 0u;
	if (lane == 0)
		s_sh_acc = 0u;
	barrier();
	if (acc)
		atomicOr(s_sh_acc, 1u);
	memoryBarrierShared();
	barrier();
	acc = s_sh_acc != 0u;
	st = VYRE_SHIFT_ST_VECTOR | (acc ? VYRE_SHIFT_ST_ACCEPT : 0u);
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
// area's end (grep_cont.c, VYRE_SHIFT_VEC_REC): into s_dfa at 0, its live words found. A
// cooperative run's lanes each read every word (the same range in each)
// and store their own.
void sh_load(grep_dfa d, uint slot)
{
	RecW r = RecW(pc.rec_addr);
	uint oexs = sh_w(d, VYRE_SHIFT_EXC_SRC);
	g_sh_cur = 0u;
	g_sh_lo = int(d.shw);
	g_sh_hi = -1;
	g_sh_exc = false;
	uint at = slot * pc.rec_max + VYRE_SHIFT_VEC_REC(pc.rec_max, d.shw);
	for (uint w = 0u; w < d.shw; w++) {
		uint v = r.v[at + (w >> 1)][w & 1u];
		if (!d.coop || w % VYRE_WG_SIZE == gl_LocalInvocationIndex)
			s_dfa[w] = v;
		if (v != 0u) {
			g_sh_lo = min(g_sh_lo, int(w));
			g_sh_hi = int(w);
			g_sh_exc = g_sh_exc || (v & sh_w(d, oexs + w)) != 0u;
		}
	}
	if (d.coop)
		barrier();
}

// A continuation that stops: its vector into its slot's record area's
// end (VYRE_SHIFT_VEC_REC: per_pattern's records are below it), 8
// bytes a store, and its hash into the state's bits 3-31 (the host takes
// the words once they hash to it).
uint sh_save(grep_dfa d, uint slot, uint seq, uint st)
{
	RecW r = RecW(pc.rec_addr);
	uint h = VYRE_SHIFT_HASH_SEED(VYRE_GO_TAG(seq));
	uint at = slot * pc.rec_max + VYRE_SHIFT_VEC_REC(pc.rec_max, d.shw);
	for (uint w = 0u; w < d.shw; w += 2u) {
		uvec2 v = uvec2(0u);
		for (uint i = 0u; i < 2u && w + i < d.shw; i++) {
			int x = int(w + i);
			v[i] = x >= g_sh_lo && x <= g_sh_hi ? s_dfa[g_sh_cur + w + i] : 0u;
			h = VYRE_SHIFT_HASH(h, v[i]);
		}
		r.v[at + (w >> 1)] = v;
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
	// continuation runs on every lane, each charging its share of a byte,
	// the same share in all (sh_run): its units are its own.
	bool cont = (a.arg1 & VYRE_GREP_F_CONT) != 0u;
	// per_pattern: one lane's records (the host sends no COOP with it)
	d.pset = (a.arg1 & VYRE_GREP_F_PSET) != 0u;
	g_pres = d.pset ? max(jw.w[VYRE_SHIFT_NEMP], jw.w[VYRE_SHIFT_NEOL]) : 0u;
	bool coop = (a.arg1 & VYRE_GREP_F_COOP) != 0u && !d.pset;
	uint bits = (a.arg1 >> VYRE_GREP_BUDGET_POS) & 31u;
	d.cost = !cont && bits <= 16u ? 8u : 1u;
	d.coop = cont && coop;
	// With COOP, a tile pass's line: a 16th of its lane's budget on a GPU
	// (2^16 of 2^20: a line past it is one a continuation runs on 256
	// lanes), half on a CPU device, whose lanes' budgets hold a few lines
	// each. Without, the lane's whole budget, as for a DFA.
	d.lcap = cont || !coop ? 0xFFFFFFFFu : (1u << bits) >> (bits <= 16u ? 1u : 4u);
	uint end = jw.w[VYRE_SHIFT_END];
	// every vector starts zero (grep_shift.glsl): the words a DFA left
	for (uint i = gl_LocalInvocationIndex; i < VYRE_GREP_SHARED_WORDS; i += VYRE_WG_SIZE)
		s_dfa[i] = 0u;
	g_sh_set = 0u;
	if (gl_LocalInvocationIndex == 0u) {
		for (uint i = 0u; i < 3u; i++)
			sh_set_reset(i, d.shw);
		s_sh_acc = 0u;
	}
	return d.shw <= VYRE_SHIFT_WORDS_MAX && d.ncls != 0u && d.ncls <= 256u &&
	       end >= VYRE_SHIFT_HDR_WORDS && end * 4u <= a.jd &&
	       d.shw == (jw.w[VYRE_SHIFT_NPOS] + 31u) / 32u;
}
