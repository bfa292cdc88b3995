/* SPDX-License-Identifier: MIT */
/*
 * regex_priv.h - the stages of regex_compile, private to pump/regex/.
 *
 * parse (regex_parse.c, regex_bracket.c) -> AST of byte sets (regex_set.c)
 * -> Thompson NFA whose literal prefixes share a trie (regex_nfa.c,
 * regex_ac.c) -> byte classes (regex_class.c) -> subset construction
 * (regex_dfa.c) -> Hopcroft minimization (regex_min.c). regex.c runs them.
 * Each stage owns what it allocates and frees it in its _free function.
 */
#ifndef VYRE_REGEX_PRIV_H
#define VYRE_REGEX_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "regex.h"

/* Nesting of groups and repetitions; the parser and NFA builder recurse once per level. */
#define REGEX_DEPTH_MAX 200u
/* NFA states after {m,n} expansion: a{32767} needs 32768. */
#define REGEX_NFA_MAX (1u << 21)
/*
 * NFA-state sets kept during subset construction, in elements (4 bytes).
 * `.*a{n}` keeps n*n/2 of them, so a{2800} fits and a{3000} does not;
 * reaching the cap takes 0.35 s at -O2 (1 s at 1 << 24, 17 s under ASan).
 */
#define REGEX_POOL_MAX (1u << 22)

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
};

/* One arena for all patterns; nodes refer to each other by index. */
struct rast {
	struct rast_node *v;
	uint32_t n, cap;
};

int rast_new(struct rast *a, uint32_t kind, uint32_t arg, uint32_t *idx);
void rast_free(struct rast *a);

/* The parser's state for one pattern; regex_bracket.c reads brackets with it. */
struct rparse {
	const uint8_t *p;
	size_t len, i;
	bool icase;
	uint32_t depth;
	size_t brace_literal; /* a '{' already found to open no interval */
	struct rast *ast;
	struct rset_tab *sets;
	struct rerr *err;
};

int rast_parse(struct rast *a, struct rset_tab *sets, const uint8_t *p, size_t len, bool icase,
	       struct rerr *e, uint32_t *root);
/* Reads a bracket expression; ps->i is just past its '['. */
int rbracket_parse(struct rparse *ps, struct rset *out);

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
	uint32_t byteset[256]; /* set index of each literal byte, RAST_NONE until needed */
	bool icase;
};

int rnfa_init(struct rnfa *m, struct rset_tab *sets, bool icase, struct rerr *e);
int rnfa_state(struct rnfa *m, uint32_t *s);
int rnfa_edge(struct rnfa *m, uint32_t from, uint32_t to, uint32_t label);
/* Adds every alternative of the pattern rooted at `root`. */
int rnfa_add_ast(struct rnfa *m, const struct rast *a, uint32_t root);
/* The trie child of state s through set `set`, made if missing (regex_ac.c). */
int rac_child(struct rnfa *m, uint32_t s, uint32_t set, uint32_t *child);
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

int rclass_build(struct rclass *c, const struct rset_tab *sets);
void rclass_free(struct rclass *c);

/* ---- subset construction (regex_dfa.c) and minimization (regex_min.c) ---- */

/* Builds the unminimized line DFA into out (next, accept; sink left NULL). */
int rdfa_build(const struct rnfa *m, const struct rclass *c, struct regex_dfa *out, struct rerr *e);
/* Minimizes d in place, merges classes with equal columns, fills sink. */
int rmin_minimize(struct regex_dfa *d, uint32_t newline);

#endif
