/* SPDX-License-Identifier: MIT */
/*
 * regex_priv.h - the stages of regex_compile, private to regex/.
 *
 * parse (regex_parse.c, regex_bracket.c) -> AST of byte sets (regex_set.c)
 * -> Thompson NFA whose literal prefixes share a trie (regex_nfa.c,
 * regex_ac.c) -> its epsilon graph compressed (regex_eps.c) -> byte
 * classes (regex_class.c) -> subset construction (regex_dfa.c) ->
 * Hopcroft minimization (regex_min.c). regex.c runs them. Each stage owns
 * what it allocates and frees it in its _free function, and counts its
 * work against one budget (struct rwork).
 */
#ifndef VYRE_REGEX_PRIV_H
#define VYRE_REGEX_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "regex.h"

/* Nesting of groups and repetitions; the parser and NFA builder recurse once per level. */
#define REGEX_DEPTH_MAX 200u
/*
 * NFA states after {m,n} expansion, every state counted (epsilon-only ones
 * too): a{32767} needs 32768 and x{32767}y{32767} 65536, while
 * ((|x){1000}){1000} would need 2,000,000. A larger NFA could not
 * determinize within REGEX_STATES_MAX anyway unless most of it is
 * epsilon-only, and each state costs about 40 bytes while the DFA is built.
 */
#define REGEX_NFA_MAX (1u << 18)
/*
 * NFA-state sets kept during subset construction, in elements (4 bytes).
 * `.*a{n}` keeps n*n/2 of them, so a{2800} fits and a{3000} does not;
 * reaching the cap took 0.35 s at -O2 while sets were sorted (1 s at
 * 1 << 24, 17 s under ASan), 0.07 s of CPU since they are hashed
 * unsorted (2026-12-06).
 */
#define REGEX_POOL_MAX (1u << 22)

/*
 * The compile's work budget, in steps: a byte of pattern parsed (8), an
 * NFA state or edge made or visited, a set element hashed or compared, a
 * DFA cell filled, a predecessor looked at while minimizing. Steps, not
 * wall time, so that a pattern fails -ETIMEDOUT at the same point on every
 * machine and under any load. The caps above bound what a compile can
 * build, not how often it walks it: (x.*(.?){300}(d|e|...)Y|a[ab]{11}$)
 * keeps 300-state sets within REGEX_POOL_MAX and would walk them for
 * seconds. Measured on the 2-core dev VM at -O2 (2026-12-06): 10,000
 * random 8-letter words (-F), 33M steps, 0.2 s; (a|b)*a(a|b){14}$ with 77
 * more alternatives, 32,770 states of 80 classes before minimization, 60M
 * steps, 0.26 s; the heaviest patterns found reach 150M steps in 0.2-0.3 s
 * of CPU.
 */
#define REGEX_WORK_MAX (150ull * 1000 * 1000)

struct rwork {
	uint64_t used;
	uint64_t max;
};

/* ---- error messages (regex.c) ---- */

struct rerr {
	char *buf;
	size_t len;
	size_t pattern; /* 1-based number to print, 0: a single pattern, print none */
	size_t base;	/* offset of the piece being parsed in its pattern ('\n' splits) */
};

/* Formats "pattern N at POS: ..." (or "at POS: ...") and returns code. */
int rerr_at(struct rerr *e, int code, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Formats a message without a position and returns code. */
int rerr_msg(struct rerr *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Writes p[0..len) for a message: printable ASCII as is, other bytes as \xHH, "..." past cap. */
void rerr_quote(char *out, size_t cap, const uint8_t *p, size_t len);

/* Adds n steps; true once over the budget (the caller then returns rwork_fail). */
static inline bool rwork_spend(struct rwork *w, uint64_t n)
{
	w->used += n;
	return w->used > w->max;
}

/* The message for a spent budget; returns -ETIMEDOUT. */
int rwork_fail(struct rerr *e, const struct rwork *w);

/*
 * Each '\n'-separated piece of each pattern to fn, e's pattern number
 * (1-based, 0 when n == 1) and offset set; -E2BIG past max patterns.
 */
int regex_each_piece(const char *const *pats, const size_t *lens, size_t n, size_t max,
		     struct rerr *e,
		     int (*fn)(void *ctx, const uint8_t *p, size_t len, struct rerr *e), void *ctx);

/* ---- byte sets (regex_set.c) ---- */

struct rset {
	uint64_t w[4];
};

static inline void rset_add(struct rset *s, unsigned c)
{
	s->w[c >> 6] |= 1ull << (c & 63);
}

static inline bool rset_has(const struct rset *s, unsigned c)
{
	return s->w[c >> 6] >> (c & 63) & 1;
}

/* Interned sets: equal sets share one index, so NFA edges and the trie compare indices. */
struct rset_tab {
	struct rset *v;
	uint32_t n, cap;
	uint32_t *slot; /* open addressing: index + 1, 0 empty */
	uint32_t nslot;
};

int rset_intern(struct rset_tab *t, const struct rset *s, uint32_t *idx);
void rset_tab_free(struct rset_tab *t);
/* The C locale's [:name:]; -ENOENT for an unknown name. */
int rset_class(const char *name, size_t len, bool icase, struct rset *out);
/* Adds the other case of every ASCII letter in s. */
void rset_fold(struct rset *s);
void rset_range(struct rset *s, unsigned lo, unsigned hi);
void rset_invert(struct rset *s);
void rset_union(struct rset *s, const struct rset *o);
uint8_t rset_upper(uint8_t c);

/* ---- AST (regex_parse.c, regex_bracket.c) ---- */

enum rast_kind {
	RAST_EMPTY, /* matches the empty string */
	RAST_SET,   /* one byte of set `arg` */
	RAST_BOL,   /* ^ */
	RAST_EOL,   /* $ */
	RAST_CAT,   /* children in order; `arg` is the first, linked by `next` */
	RAST_ALT,   /* any child */
	RAST_REP,   /* child `arg`, min..max times */
};

#define RAST_NONE UINT32_MAX
#define RAST_INF  UINT32_MAX

struct rast_node {
	uint32_t kind;
	uint32_t arg;  /* set index (SET) or first child (CAT, ALT, REP) */
	uint32_t next; /* next sibling, RAST_NONE at the end */
	uint32_t min, max;
	uint32_t pos, end; /* REP: its text, atom and operator, p[pos..end) of the piece */
};

/*
 * Nodes of one piece's tree: about one per byte of pattern, and the NFA
 * cap is reached long before a piece of this many bytes could be built.
 * Checked while parsing, so a 64 MiB patterns= line costs 14 MB, not 2 GB.
 */
#define RAST_NODES_MAX (2u * REGEX_NFA_MAX)

/* One arena for all patterns; nodes refer to each other by index. */
struct rast {
	struct rast_node *v;
	uint32_t n, cap;
};

int rast_new(struct rast *a, uint32_t kind, uint32_t arg, uint32_t *idx);
/* ret, with the message for a piece past RAST_NODES_MAX where rast_new said so. */
int rast_full(const struct rast *a, int ret, struct rerr *e, size_t pos);
void rast_free(struct rast *a);

/* The parser's state for one pattern; regex_bracket.c reads brackets with it. */
struct rparse {
	const uint8_t *p;
	size_t len, i;
	bool icase;
	bool utf8; /* characters are UTF-8 (regex_utf8.c) */
	uint32_t depth;
	size_t brace_literal; /* a '{' already found to open no interval */
	size_t dup_at;	      /* a dup operator repeating nothing before ')', SIZE_MAX: none */
	struct rast *ast;
	struct rset_tab *sets;
	struct rerr *err;
};

/*
 * Parses p[0..len) and simplifies the tree: a part that can only match the
 * empty string ("()", "(|)*", "x{0}") becomes one RAST_EMPTY, is dropped
 * from a concatenation, and kept once in an alternation; so repeating it,
 * as in ((|){1000}){1000}, builds nothing.
 */
int rast_parse(struct rast *a, struct rset_tab *sets, const uint8_t *p, size_t len, bool icase,
	       bool utf8, struct rerr *e, uint32_t *root);
/* rast_parse, or a fixed string as a CAT of its characters, folded (utf8 with icase only). */
int rast_parse_piece(struct rast *a, struct rset_tab *sets, const uint8_t *p, size_t len,
		     bool fixed, bool icase, bool utf8, struct rerr *e, uint32_t *root);
/* Reads a bracket expression; ps->i is just past its '['. */
int rbracket_parse(struct rparse *ps, struct rset *out);

/* ---- characters under utf8=1 (regex_utf8.c, regex_utf8_bracket.c) ---- */

/* A set of code points: ranges r[i][0]..r[i][1], unsorted until used. */
struct ru8_set {
	uint32_t (*r)[2];
	size_t n, cap;
};

int ru8_add(struct ru8_set *s, uint32_t lo, uint32_t hi);
void ru8_free(struct ru8_set *s);
int ru8_invert(struct ru8_set *s);
/* Adds [:name:] of C.UTF-8; -ENOENT for an unknown name. */
int ru8_class(struct ru8_set *s, const char *name, size_t len, bool icase, struct rerr *e);
int ru8_fold(struct ru8_set *s, struct rerr *e);
/* The length of the valid UTF-8 character at p (its code point in *c), 0 if none. */
size_t ru8_decode(const uint8_t *p, size_t n, uint32_t *c);
/* The AST atoms: a set as alternatives of byte-range products. */
int ru8_emit(struct rparse *ps, struct ru8_set *s, uint32_t *out, uint32_t *height);
int ru8_dot(struct rparse *ps, uint32_t *out, uint32_t *height);
int ru8_escape_class(struct rparse *ps, uint8_t c, uint32_t *out, uint32_t *height);
int ru8_char(struct rparse *ps, uint32_t *out, uint32_t *height);
int ru8_bracket(struct rparse *ps, uint32_t *out, uint32_t *height);
int ru8_literal(struct rast *a, struct rset_tab *sets, const uint8_t *p, size_t len, bool icase,
		struct rerr *e, uint32_t *root);

/* ---- NFA (regex_nfa.c, regex_ac.c) ---- */

#define RNFA_EPS UINT32_MAX
#define RNFA_BOL (UINT32_MAX - 1)
#define RNFA_EOL (UINT32_MAX - 2)

struct rnfa_edge {
	uint32_t from, to;
	uint32_t label; /* a set index, or RNFA_EPS / RNFA_BOL / RNFA_EOL */
};

/*
 * State 0 is the start and the root of the trie of literal prefixes;
 * `final` has no edges out. After rnfa_finish, the edges are sorted by
 * `from` and state s's edges are e[off[s]..off[s+1]): epsilon and anchor
 * edges in e[off[s]..coff[s]), byte edges in e[coff[s]..off[s+1]).
 */
struct rnfa {
	uint32_t nstates;
	uint32_t final;
	struct rnfa_edge *e;
	uint32_t ne, ecap;
	uint32_t *off, *coff;
	/* The trie: (state << 32 | set) -> child state, open addressing. */
	uint64_t *tkey;
	uint32_t *tval;
	uint32_t tn, tcap;
	struct rset_tab *sets;
	struct rerr *err;
	struct rwork *work;
	uint32_t byteset[256]; /* set index of each literal byte, RAST_NONE until needed */
	bool icase;
	/* the piece being added and its outermost repetition being expanded, for messages */
	const uint8_t *pat;
	size_t patlen;
	const struct rast *ast;
	uint32_t blame; /* an AST node, RAST_NONE when none */
};

int rnfa_init(struct rnfa *m, struct rset_tab *sets, bool icase, struct rerr *e, struct rwork *w);
int rnfa_state(struct rnfa *m, uint32_t *s);
int rnfa_too_big(struct rnfa *m);
int rnfa_edge(struct rnfa *m, uint32_t from, uint32_t to, uint32_t label);
/* Adds every alternative of the pattern p[0..len), parsed into a and rooted at `root`. */
int rnfa_add_ast(struct rnfa *m, const struct rast *a, uint32_t root, const uint8_t *p, size_t len);
/* The trie child of state s through set `set`, made if missing (regex_ac.c). */
int rac_child(struct rnfa *m, uint32_t s, uint32_t set, uint32_t *child);
/* Whether node is an alternation of two or more byte-set strings (regex_dawg.c). */
bool rdawg_fits(const struct rast *a, uint32_t node);
/* Builds such an alternation from s with shared prefixes and suffixes; *exit is fresh. */
int rdawg_build(struct rnfa *m, const struct rast *a, uint32_t node, uint32_t s, uint32_t *exit);
/* Adds a fixed string (grep -F) to the trie (regex_ac.c). */
int rac_add_literal(struct rnfa *m, const uint8_t *p, size_t len);
int rnfa_finish(struct rnfa *m);
void rnfa_free(struct rnfa *m);

/* ---- byte classes (regex_class.c) ---- */

/* The coarsest partition of 0..255 that every set and '\n' respect. */
struct rclass {
	uint32_t n;
	uint8_t of[256];
	uint32_t newline; /* of['\n'] */
	uint32_t *soff;	  /* set i's classes are list[soff[i]..soff[i+1]) */
	uint8_t *list;
};

int rclass_build(struct rclass *c, const struct rset_tab *sets, struct rwork *w, struct rerr *e);
void rclass_free(struct rclass *c);

/* ---- the epsilon graph, compressed (regex_eps.c) ---- */

#define REPS_NONE UINT32_MAX

/*
 * What subset construction needs of a closure over epsilon edges (not '^'):
 * the states with a byte edge in it, whether `final` is, and whether any
 * state in it reaches `final` by epsilon and '$' edges (eolfin). Every
 * state s is stood for by rep[s], a "kept" state whose closure holds the
 * same (REPS_NONE: nothing), and a kept state's epsilon successors are
 * kept states: to[off[s]..off[s] + cnt[s]). Chains and cycles of
 * epsilon-only states vanish, so a closure visits about as many states as
 * it holds.
 */
struct reps {
	uint32_t *rep;
	uint32_t *off, *cnt;
	uint32_t *to;
	uint8_t *imp;	 /* the state has a byte edge */
	uint8_t *eolfin; /* the state reaches final by epsilon and '$' edges */
};

int reps_build(struct reps *g, const struct rnfa *m, struct rwork *w, struct rerr *e);
void reps_free(struct reps *g);

/* ---- subset construction (regex_dfa.c) and minimization (regex_min.c) ---- */

/* Builds the unminimized line DFA into out (next, accept; sink left NULL). */
/* regex_compile's stages on a caller's budget and messages (regex.c) */
int rdfa_compile(const char *const *pats, const size_t *lens, size_t n,
		 const struct regex_opts *opts, struct regex_dfa *out, struct rwork *work,
		 struct rerr *e);
int rdfa_build(const struct rnfa *m, const struct reps *g, const struct rclass *c,
	       struct regex_dfa *out, struct rwork *w, struct rerr *e);
/*
 * Hopcroft's minimization; states start in blocks by label[s] (NULL: by
 * accept[s]), so no two states of different labels merge, and label is
 * renumbered with the states. Then equal classes merge and sink is set.
 */
int rmin_minimize(struct regex_dfa *d, uint32_t *label, uint32_t newline, struct rwork *w,
		  struct rerr *e);
/*
 * regex.c: a whole NFA (rnfa_add_ast's) to the minimal DFA, every stage
 * from rnfa_finish on, on m's sets, budget and messages; *built (when not
 * NULL) the DFA's states before minimization. The caller frees out.
 */
int regex_nfa_dfa(struct rnfa *m, struct regex_dfa *out, uint32_t *built);

/* ---- pattern sets (regex_prog.c, regex_acm.c, regex_shift.c) ---- */

/* One literal for Aho-Corasick: bytes p[0..len), pattern index id. */
struct rlit {
	const uint8_t *p;
	uint32_t len;
	uint32_t id;
};

/* Accept sets under construction (regex_prog.c). */
int racc_add(struct regex_accsets *s, const uint32_t *ids, uint32_t n, uint32_t parent,
	     uint32_t *k);
void racc_free(struct regex_accsets *s);

/* Builds lits (sorted in place) into ac, their output sets into sets (set 0 made here). */
int racm_build(struct rlit *lits, size_t n, bool icase, struct regex_ac *ac,
	       struct regex_accsets *sets, struct rwork *w, struct rerr *e);
void racm_free(struct regex_ac *ac);

/*
 * per_pattern=1 on one DFA (regex_pdfa.c): the product of the patterns'
 * DFAs as Aho-Corasick tables, every state dense, accept sets and
 * end-of-line sets ('$') in sets (set 0 made here). -E2BIG or -ETIMEDOUT
 * when no DFA of the caps holds it, -ENOMEM.
 */
int rpdfa_build(const char *const *pats, const size_t *lens, size_t n,
		const struct regex_opts *o, struct regex_ac *ac, struct regex_accsets *sets,
		struct rerr *e);

/* The Glushkov builder: one pattern's pieces at a time, then the tables. */
struct rshift_build;
int rshift_begin(struct rshift_build **b, struct rset_tab *sets, uint32_t npatterns,
		 struct rwork *w, struct rerr *e);
/* Adds one parsed piece of pattern `id` (ids ascending, a pattern's pieces in a row). */
int rshift_add(struct rshift_build *b, const struct rast *a, uint32_t root, uint32_t id);
int rshift_finish(struct rshift_build *b, struct regex_shift *out);
void rshift_end(struct rshift_build **b);
void rshift_free(struct regex_shift *s);

#endif
