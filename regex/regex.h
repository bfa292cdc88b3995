/* SPDX-License-Identifier: MIT */
/*
 * regex.h - compile grep patterns into one minimized line DFA over byte
 * classes, for op=grep. The only header other folders include from here.
 *
 * Semantics are those of `LC_ALL=C grep -a -E` (or -F with opts.fixed) line
 * selection. Where GNU grep's two engines (dfa.c matches, glibc's regcomp
 * only checks syntax) disagree, we take dfa.c's meaning and either one's
 * refusal. Deliberate differences, all refusals of what grep accepts:
 *  - an unmatched ')' (grep takes it as a literal): escape it as \).
 *  - back-references \1..\9 and \b \B \< \> \` \' : a DFA has no memory
 *    and these need context we do not track.
 *  - a trailing '\' in the last of several patterns (grep 3.8 refuses it
 *    in any other pattern, and alone, but there takes it as a literal '\').
 *  - a dup operator with nothing to repeat before a ')', as in "(*)" and
 *    "(^+)": grep refuses those too, but takes "(*)x)" with a literal ')'.
 * A leading repetition operator ("*a", "a|+b", "{2}x") repeats the empty
 * string, as in grep: "*a" matches what "a" matches.
 */
#ifndef VYRE_REGEX_H
#define VYRE_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGEX_STATES_MAX   65536u      /* hard cap on DFA states */
#define REGEX_TABLE_MAX	   (16u << 20) /* cap on the table bytes: nstates * nclasses * 4 */
#define REGEX_PATTERNS_MAX 10000u
#define REGEX_DUP_MAX	   32767u /* largest {m,n} count, as glibc's RE_DUP_MAX */

struct regex_opts {
	bool fixed; /* patterns are literals (grep -F) */
	bool icase; /* case-insensitive (grep -i): ASCII, or with utf8 every letter */
	/*
	 * Characters are UTF-8 (GNU grep in a UTF-8 locale): '.', brackets,
	 * [:class:], \w \W \s \S and -i's folding work on characters of
	 * glibc's C.UTF-8 (regex_utf8.c), compiled into byte-sequence
	 * automata; an invalid byte matches no '.' or negated set.
	 */
	bool utf8;
};

/*
 * A line DFA. Every line starts in `start`. Feed the line's bytes (never the
 * '\n'): s = next[s * nclasses + classes[byte]]. At the end of the line
 * (its '\n', or the end of the data for a last line without one) the line
 * matches iff accept[s]. '\n' has a class of its own; next[s][class('\n')]
 * is `start` for every s (a GPU may simply apply it). sink[s] is 1 when every
 * byte other than '\n' leaves s unchanged (the line already matched for
 * sure, or can no longer match): a scanner may skip to the next newline.
 * State 0 is `start`.
 *
 * regex_compile allocates next, accept and sink (malloc); regex_dfa_free
 * frees them and zeroes the struct. Nothing else is shared or locked: the
 * struct is plain host memory the caller copies to the GPU.
 */
struct regex_dfa {
	uint32_t nstates;
	uint32_t nclasses; /* 1..256 */
	uint32_t start;	   /* 0 */
	uint8_t classes[256];
	uint32_t *next;	 /* nstates * nclasses */
	uint8_t *accept; /* nstates */
	uint8_t *sink;	 /* nstates */
};

/*
 * Compiles n patterns (pattern i is pats[i], lens[i] bytes, may contain any
 * byte but '\n'), combined as alternatives (grep -e p1 -e p2 / -f FILE).
 * A '\n' inside a pattern separates two patterns, as in grep. n == 0 gives
 * a DFA that matches no line (grep -f /dev/null).
 * Returns 0, -EINVAL (syntax error: err names the pattern number when n > 1,
 * the byte position, what is wrong and the fix, e.g.
 * "pattern 3 at 5: unbalanced ')' (escape it as \\) or add a '('"),
 * -E2BIG (over REGEX_STATES_MAX or REGEX_TABLE_MAX, more than
 * REGEX_PATTERNS_MAX patterns, or an NFA or nesting too large to build:
 * err says so, names the repetition that multiplied the NFA past its cap,
 * and suggests a simpler pattern or fewer patterns), -ETIMEDOUT (the
 * compile would take more than its budget of steps, counted the same on
 * every machine, about 0.3 s: err says so and suggests a simpler pattern),
 * or -ENOMEM. Every input, however built, returns within that budget.
 * err never ends with '\n'. The caps apply while the DFA is
 * built, before minimization: (a|b)*a(a|b){20} is refused although its
 * minimal DFA is small, since determinizing it needs 2^20 subsets first.
 * Pattern numbers and byte positions count from 1. On failure *out is
 * zeroed.
 */
int regex_compile(const char *const *pats, const size_t *lens, size_t n,
		  const struct regex_opts *opts, struct regex_dfa *out, char *err, size_t errlen);
/*
 * regex_compile's syntax checks alone (its -EINVAL, with the same
 * messages, and -E2BIG past REGEX_SET_PATTERNS_MAX patterns, what
 * regex_compile_prog takes), in time linear in the patterns' bytes: what
 * a caller must refuse at once before compiling elsewhere.
 */
int regex_check(const char *const *pats, const size_t *lens, size_t n,
		const struct regex_opts *opts, char *err, size_t errlen);
void regex_dfa_free(struct regex_dfa *dfa);

/* ---- pattern sets: which pattern matched, and patterns a DFA cannot hold (issue 26) ---- */

#define REGEX_SET_PATTERNS_MAX 100000u	   /* regex_compile_prog's cap on patterns */
#define REGEX_AC_STATES_MAX    (1u << 22) /* trie nodes: 4M, 53 MiB of sparse tables */
#define REGEX_AC_DENSE_MAX     (4u << 20) /* bytes of dense Aho-Corasick rows */
#define REGEX_SHIFT_POS_MAX    65536u	   /* bit-parallel positions (bits of a state vector) */
#define REGEX_SHIFT_DIST_MAX   64u	   /* follow distances with a shift (shifts per byte) */
#define REGEX_SHIFT_EXC_MAX    65536u	   /* follow edges of the other distances */
#define REGEX_SHIFT_EDGES_MAX  (1u << 22) /* Glushkov follow edges while building */
#define REGEX_SHIFT_ANCHORS_MAX 4096u	   /* '^' and '$' in the patterns, all together */
#define REGEX_ACC_NONE	       UINT32_MAX

/*
 * Accept sets, shared by the engines that report which pattern matched.
 * Set k holds the pattern indexes ids[off[k]..off[k+1]) (ascending, from
 * 0, in the caller's order) and, when parent[k] != REGEX_ACC_NONE, every
 * index of set parent[k] (parent[k] < k). first[k] is the smallest index
 * in the whole set, REGEX_ACC_NONE for the empty set. Set 0 is empty.
 * Aho-Corasick's output sets are a node's own patterns plus its nearest
 * suffix's: one parent link each instead of a copy, so n patterns take
 * O(n) entries however they nest.
 */
struct regex_accsets {
	uint32_t n;
	uint32_t *off;	  /* n + 1 */
	uint32_t *ids;	  /* off[n] */
	uint32_t *parent; /* n */
	uint32_t *first;  /* n */
	uint32_t cap, idcap; /* allocated: sets, ids (racc_add grows them geometrically) */
};

/*
 * Aho-Corasick over byte classes, for literal sets (grep -F, or EREs
 * that are all literals). States are numbered breadth first, so state s's
 * trie children are states child[s]..child[s+1]-1, in ascending order of
 * label[] (the class on the edge into a state), and every state's fail[]
 * is shallower than it. States 0..ndense-1 (the shallowest) have full
 * rows: dense[s * nclasses + c] is the next state, failures resolved. A
 * deeper state looks for its child labelled c (binary search in its
 * range) and, if none, retries from fail[s]; the chain ends at a dense
 * state. Every line starts in state 0; a line selects pattern i iff a
 * state it enters (state 0 at its start included) has i in its accept set
 * acc[s] (an index into the prog's sets; 0: none).
 *
 * Which layout: all states dense while nstates * nclasses * 4 bytes fit
 * REGEX_AC_DENSE_MAX (then it is a plain DFA and no state is sparse);
 * otherwise the first REGEX_AC_DENSE_MAX / (nclasses * 4) states breadth
 * first, the shallow ones every byte of a line passes through, dense and
 * the rest sparse: 13 bytes a state (at most one a byte of pattern), so 100,000
 * literals stay linear in their bytes where a full DFA (states x classes)
 * would not.
 */
struct regex_ac {
	uint32_t nstates, nclasses, ndense;
	uint8_t classes[256]; /* byte -> class; class 0: bytes in no pattern */
	uint32_t *dense;      /* ndense * nclasses */
	uint32_t *child;      /* nstates + 1 */
	uint8_t *label;	      /* nstates; label[0] unused */
	uint32_t *fail;	      /* nstates; fail[0] = 0 */
	uint32_t *acc;	      /* nstates */
	/*
	 * NULL, or nstates: the set a line ending in s adds (patterns that
	 * match at the end of the line only, '$'), set 0 for none. Only a DFA
	 * with accept sets has one (regex_pdfa.c); Aho-Corasick's literals
	 * never end at the '\n'.
	 */
	uint32_t *eol;
};

/* regex_shift flags, per pattern */
#define REGEX_SHIFT_ALWAYS     1u /* matches every line (it matches the empty string) */
#define REGEX_SHIFT_EMPTY_LINE 2u /* matches the empty line (^$ and the like) */

/*
 * The second engine: a bit-parallel Glushkov NFA, for what no DFA can
 * hold (a{3000}, .{20000}, (ab|cd){3000}). Position p (0..npos-1) is one
 * byte-set occurrence of a pattern after {m,n} expansion; a line's state
 * is a vector D of npos bits (nwords 32-bit words, bit p in word p / 32,
 * bit p % 32). Every follow edge p -> q has distance q - p; the edges of
 * distance dist[k] leave the positions in mask[k], so
 *   follow(D) = OR_k shift(D & mask[k], dist[k])
 * (shift by d > 0 moves bit p to p + d, d < 0 to p + d), for the
 * REGEX_SHIFT_DIST_MAX distances with the most edges (dist[] ascending);
 * the edges of other distances are exceptions: each set bit p of
 * D & exc_src also sets bits exc_to[exc_off[p]..exc_off[p+1]). Per byte b
 * of a line, with c = classes[b]:
 *   D = (follow(D) | first | (b is the line's first byte ? first_bol : 0))
 *       & byclass[c * nwords ..]
 * and after it every set bit of D & last selects pattern owner[p]. At the
 * end of the line, every bit of D & last_eol does; and a pattern with
 * REGEX_SHIFT_ALWAYS selects every line, with REGEX_SHIFT_EMPTY_LINE every
 * empty line. '^' and '$' are resolved when compiling: a '^' reached after
 * a byte, or a byte after a '$', can never hold and its edges are dropped.
 * The bounds: REGEX_SHIFT_POS_MAX positions, REGEX_SHIFT_EDGES_MAX
 * edges, REGEX_SHIFT_EXC_MAX exception edges and REGEX_SHIFT_ANCHORS_MAX
 * anchors; past one, -E2BIG names the pattern.
 */
struct regex_shift {
	uint32_t npos, nwords, nclasses, ndist, npatterns, nexc;
	uint8_t classes[256];
	uint32_t *byclass;			   /* nclasses * nwords */
	int32_t *dist;				   /* ndist */
	uint32_t *mask;				   /* ndist * nwords */
	uint32_t *first, *first_bol, *last, *last_eol; /* nwords each */
	uint32_t *exc_src;			   /* nwords: positions with exception edges */
	uint32_t *exc_off;			   /* npos + 1 */
	uint32_t *exc_to;			   /* nexc */
	uint32_t *owner;			   /* npos: the pattern of each position */
	uint8_t *flags;				   /* npatterns */
};

/* Which engine a prog runs on; the names are what a job's status shows. */
enum regex_engine {
	REGEX_ENGINE_DFA = 1, /* struct regex_dfa, as regex_compile (no pattern indexes) */
	REGEX_ENGINE_AC,      /* struct regex_ac plus accept sets */
	REGEX_ENGINE_SHIFT,   /* struct regex_shift */
};

struct regex_prog_opts {
	bool fixed, icase, utf8; /* as regex_opts' */
	bool per_pattern; /* the caller needs to know which pattern matched a line */
	/*
	 * With per_pattern, EREs that are not all literals try a DFA with
	 * accept sets first (regex_prog.sets_dfa), the bit-parallel engine
	 * only when that refuses. Off, they go straight to the bit-parallel
	 * engine (what its tests exercise).
	 */
	bool sets_dfa;
};

/*
 * A compiled pattern set on one of three engines, chosen in this order:
 *  1. AC when every pattern (every '\n' piece) is a literal: with fixed, or
 *     an ERE without operators. Linear in the patterns' bytes, never a
 *     blow-up: 100,000 literals compile in well under 1 s.
 *  2. DFA (regex_compile, unchanged) when per_pattern is off and it
 *     compiles: the fastest scan.
 *  2b. with per_pattern and sets_dfa: AC tables that are a DFA
 *     (sets_dfa set in the prog, every state dense: ndense == nstates),
 *     the product of each pattern's DFA, each state's accept set the
 *     patterns matched so far, minimized without merging states whose
 *     sets differ (regex_pdfa.c), when it fits REGEX_STATES_MAX states and
 *     REGEX_TABLE_MAX bytes of rows before minimization, and
 *     REGEX_TABLE_MAX of layout in all after. A line matched pattern i iff a state it enters has i, as on
 *     AC, or it ends in a state whose end-of-line set (regex_ac.eol:
 *     patterns with '$') has i.
 *  3. SHIFT otherwise: per_pattern, or regex_compile refused the set
 *     -E2BIG or -ETIMEDOUT (a DFA cannot hold it). Its own bounds are
 *     regex_shift's.
 * regex_compile_prog allocates every table; regex_prog_free frees them.
 */
struct regex_prog {
	uint32_t engine;
	uint32_t npatterns;
	struct regex_dfa dfa;
	struct regex_ac ac;
	struct regex_accsets sets; /* AC's */
	bool sets_dfa; /* the AC tables are a DFA's with accept sets (2b above) */
	char sets_dfa_why[160]; /* per_pattern and sets_dfa on another engine: why not 2b */
	struct regex_shift shift;
	uint64_t bytes; /* the tables' size, what a GPU would hold */
};

/*
 * Compiles up to REGEX_SET_PATTERNS_MAX patterns as regex_compile does,
 * with the same syntax, errors and messages; pattern indexes are 0-based
 * positions in pats (a pattern's '\n' pieces share its index).
 */
int regex_compile_prog(const char *const *pats, const size_t *lens, size_t n,
		       const struct regex_prog_opts *opts, struct regex_prog *out, char *err,
		       size_t errlen);
void regex_prog_free(struct regex_prog *p);
const char *regex_engine_name(uint32_t engine);

#endif
