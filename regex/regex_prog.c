// SPDX-License-Identifier: MIT
/*
 * regex_prog.c - regex_compile_prog: a pattern set on the engine that
 * holds it (regex.h says which, when).
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "regex_priv.h"

struct rprog {
	const struct regex_prog_opts *o;
	struct rset_tab *sets;
	struct rast *ast;
	struct rlit *lits;
	size_t nlit, clit;
	uint8_t *bytes; /* literals taken out of EREs */
	size_t nbytes, cbytes;
	bool all_literal;
	struct rshift_build *sh;
};

static uint32_t rprog_id(const struct rerr *e)
{
	return e->pattern ? (uint32_t)(e->pattern - 1) : 0;
}

/* The bytes of a tree that spells one string (a set of one byte, or a letter's two cases with
 * icase). */
static bool rprog_literal(const struct rprog *r, uint32_t node, uint8_t *out, size_t *n)
{
	const struct rast_node *a = &r->ast->v[node];

	switch (a->kind) {
	case RAST_EMPTY:
		return true;
	case RAST_SET: {
		const struct rset *s = &r->sets->v[a->arg];
		int cnt = 0, b0 = -1;

		for (unsigned c = 0; c < 256; c++)
			if (rset_has(s, c)) {
				if (cnt++ == 0)
					b0 = (int)c;
			}
		if (cnt == 1 || (cnt == 2 && r->o->icase && b0 >= 'A' && b0 <= 'Z' &&
				 rset_has(s, (unsigned)b0 - 'A' + 'a'))) {
			out[(*n)++] = (uint8_t)b0;
			return true;
		}
		return false;
	}
	case RAST_CAT:
		for (uint32_t c = a->arg; c != RAST_NONE; c = r->ast->v[c].next)
			if (!rprog_literal(r, c, out, n))
				return false;
		return true;
	case RAST_ALT:
		return a->arg != RAST_NONE && r->ast->v[a->arg].next == RAST_NONE &&
		       rprog_literal(r, a->arg, out, n);
	case RAST_REP:
		return a->min == 1 && a->max == 1 && rprog_literal(r, a->arg, out, n);
	default:
		return false;
	}
}

static int rprog_push(struct rprog *r, const uint8_t *p, size_t len, uint32_t id)
{
	if (len > UINT32_MAX)
		return -E2BIG;
	if (r->nlit == r->clit) {
		size_t c = r->clit ? r->clit * 2 : 256;
		struct rlit *v = realloc(r->lits, c * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->lits = v;
		r->clit = c;
	}
	r->lits[r->nlit++] = (struct rlit){.p = p, .len = (uint32_t)len, .id = id};
	return 0;
}

/* Pass 1: syntax, and every piece's literal if all are literals. */
static int rprog_scan_piece(void *ctx, const uint8_t *p, size_t len, struct rerr *e)
{
	struct rprog *r = ctx;
	uint32_t root;
	size_t n = 0;
	int ret;

	if (r->o->fixed && !(r->o->utf8 && r->o->icase))
		return rprog_push(r, p, len, rprog_id(e));
	r->ast->n = 0;
	ret = rast_parse_piece(r->ast, r->sets, p, len, r->o->fixed, r->o->icase, r->o->utf8, e,
			       &root);
	if (ret || !r->all_literal)
		return ret;
	/* offsets, not pointers: bytes may move while it grows */
	if (r->nbytes + len + 1 > r->cbytes) { /* +1: never a NULL buffer */
		size_t c = r->cbytes ? r->cbytes : 4096;

		while (c < r->nbytes + len + 1)
			c *= 2;
		uint8_t *v = realloc(r->bytes, c);
		if (!v)
			return -ENOMEM;
		r->bytes = v;
		r->cbytes = c;
	}
	if (!rprog_literal(r, root, r->bytes + r->nbytes, &n)) {
		r->all_literal = false;
		return 0;
	}
	ret = rprog_push(r, (const uint8_t *)(uintptr_t)r->nbytes, n, rprog_id(e));
	r->nbytes += n;
	return ret;
}

static int rprog_shift_piece(void *ctx, const uint8_t *p, size_t len, struct rerr *e)
{
	struct rprog *r = ctx;
	uint32_t root;
	int ret;

	/* fixed strings come here only folded by utf8=1's -i, which Aho-Corasick cannot hold */
	r->ast->n = 0;
	ret = rast_parse_piece(r->ast, r->sets, p, len, r->o->fixed, r->o->icase, r->o->utf8, e,
			       &root);
	if (ret)
		return ret;
	return rshift_add(r->sh, r->ast, root, rprog_id(e));
}

static uint64_t rprog_bytes(const struct regex_prog *p)
{
	const struct regex_ac *a = &p->ac;
	const struct regex_shift *s = &p->shift;
	const struct regex_dfa *d = &p->dfa;

	switch (p->engine) {
	case REGEX_ENGINE_DFA:
		return (uint64_t)d->nstates * (d->nclasses * 4 + 2) + 256;
	case REGEX_ENGINE_AC:
		return (uint64_t)a->ndense * a->nclasses * 4 + (uint64_t)a->nstates * 13 + 4 + 256 +
		       (uint64_t)p->sets.n * 12 + 4 +
		       (p->sets.n ? p->sets.off[p->sets.n] * 4ull : 0);
	case REGEX_ENGINE_SHIFT:
		return ((uint64_t)s->nclasses + s->ndist + 4) * s->nwords * 4 + s->ndist * 4ull +
		       s->npos * 4ull + s->npatterns + 256;
	}
	return 0;
}

/*
 * The words pump/ops/grep_pset.c lays the tables out in, every row kept
 * (its header counted generously): a DFA's rows are no shortcut, they
 * are the automaton, so the layout must never drop one.
 */
static uint64_t rprog_ac_words(const struct regex_prog *p)
{
	const struct regex_ac *a = &p->ac;
	const struct regex_accsets *k = &p->sets;

	return 128 + (uint64_t)a->ndense * a->nclasses + (a->eol ? 5ull : 4ull) * a->nstates + 2 +
	       3ull * k->n + 1 + (k->n ? k->off[k->n] : 0);
}

/* 2b (regex.h): 0 with out on it, or why not (kept in out->sets_dfa_why) */
static int rprog_sets_dfa(const char *const *pats, const size_t *lens, size_t n,
			  const struct regex_prog_opts *o, struct regex_prog *out)
{
	struct regex_opts ro = {.fixed = o->fixed, .icase = o->icase, .utf8 = o->utf8};
	struct rerr e = {.buf = out->sets_dfa_why, .len = sizeof(out->sets_dfa_why)};
	int ret = rpdfa_build(pats, lens, n, &ro, &out->ac, &out->sets, &e);

	if (!ret && rprog_ac_words(out) * 4 > REGEX_TABLE_MAX)
		ret = rerr_msg(&e, -E2BIG,
			       "the DFA with accept sets needs %llu bytes, more than %u MiB",
			       (unsigned long long)rprog_ac_words(out) * 4, REGEX_TABLE_MAX >> 20);
	if (!ret) {
		out->engine = REGEX_ENGINE_AC;
		out->sets_dfa = true;
		return 0;
	}
	racm_free(&out->ac);
	racc_free(&out->sets);
	return ret;
}

int regex_compile_prog(const char *const *pats, const size_t *lens, size_t n,
		       const struct regex_prog_opts *opts, struct regex_prog *out, char *err,
		       size_t errlen)
{
	struct regex_prog_opts o = opts ? *opts : (struct regex_prog_opts){0};
	struct rerr e = {.buf = err, .len = errlen};
	struct rwork work = {.max = REGEX_WORK_MAX};
	struct rset_tab sets = {0};
	struct rast ast = {0};
	struct rprog r = {.o = &o, .sets = &sets, .ast = &ast, .all_literal = true};
	int ret;

	if (err && errlen)
		err[0] = 0;
	memset(out, 0, sizeof(*out));
	out->npatterns = (uint32_t)n;
	ret = regex_each_piece(pats, lens, n, REGEX_SET_PATTERNS_MAX, &e, rprog_scan_piece, &r);
	if (ret)
		goto out_free;
	if (r.all_literal) {
		if (!o.fixed || (o.utf8 && o.icase)) /* pushed from parsed pieces: offsets */
			for (size_t i = 0; i < r.nlit; i++)
				r.lits[i].p = r.bytes + (uintptr_t)r.lits[i].p;
		out->engine = REGEX_ENGINE_AC;
		ret = racm_build(r.lits, r.nlit, o.icase, &out->ac, &out->sets, &work, &e);
		goto out_free;
	}
	if (o.per_pattern && o.sets_dfa) {
		ret = rprog_sets_dfa(pats, lens, n, &o, out);
		if (ret != -E2BIG && ret != -ETIMEDOUT)
			goto out_free;
	}
	if (!o.per_pattern && n <= REGEX_PATTERNS_MAX) {
		struct regex_opts ro = {.fixed = o.fixed, .icase = o.icase, .utf8 = o.utf8};

		ret = regex_compile(pats, lens, n, &ro, &out->dfa, err, errlen);
		if (ret != -E2BIG && ret != -ETIMEDOUT) {
			out->engine = REGEX_ENGINE_DFA;
			goto out_free;
		}
		if (err && errlen)
			err[0] = 0;
	}
	/* the DFA cannot hold it, or which pattern matched is asked: the bit-parallel NFA */
	out->engine = REGEX_ENGINE_SHIFT;
	rset_tab_free(&sets);
	work.used = 0;
	ret = rshift_begin(&r.sh, &sets, (uint32_t)n, &work, &e);
	if (!ret)
		ret = regex_each_piece(pats, lens, n, REGEX_SET_PATTERNS_MAX, &e, rprog_shift_piece,
				       &r);
	if (!ret)
		ret = rshift_finish(r.sh, &out->shift);
out_free:
	if (ret == -ENOMEM)
		rerr_msg(&e, ret, "out of memory compiling the patterns");
	/* both refused: say the first refusal too, or per_pattern=1 names only the second */
	if (ret && ret != -ENOMEM && out->sets_dfa_why[0] && err && errlen > strlen(err) + 1)
		snprintf(err + strlen(err), errlen - strlen(err),
			 "; no DFA with accept sets either: %s", out->sets_dfa_why);
	if (ret)
		regex_prog_free(out);
	else
		out->bytes = rprog_bytes(out);
	rshift_end(&r.sh);
	free(r.lits);
	free(r.bytes);
	rast_free(&ast);
	rset_tab_free(&sets);
	return ret;
}

void regex_prog_free(struct regex_prog *p)
{
	regex_dfa_free(&p->dfa);
	racm_free(&p->ac);
	racc_free(&p->sets);
	rshift_free(&p->shift);
	memset(p, 0, sizeof(*p));
}

const char *regex_engine_name(uint32_t engine)
{
	static const char *const names[] = {
	    [REGEX_ENGINE_DFA] = "dfa",
	    [REGEX_ENGINE_AC] = "ac",
	    [REGEX_ENGINE_SHIFT] = "shift",
	};

	return engine < sizeof(names) / sizeof(names[0]) && names[engine] ? names[engine] : "none";
}
