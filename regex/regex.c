// SPDX-License-Identifier: MIT
/*
 * regex.c - regex_compile: runs the stages of regex_priv.h in order and
 * formats their errors.
 *
 * Compile times, measured by tests/unit/test_regex_compile.c (it prints
 * them) on the 2-core dev VM, -O2, 2026-12-01: 10,000 English-like words
 * (-F, -F -i or -E) 40-60 ms for 4,300 states of 24 classes; 10,000
 * random 8-letter words, the trie's worst case, 250-280 ms for 47,000
 * states of 28 classes; (a|b)*a(a|b){12}$ 5 ms for 8,192 states.
 * Bombs (issue 21), 2026-12-06, CPU time: ((|){1000}){1000}a[ab]{14}$
 * (about 10 minutes before) 12 ms for 32,768 states; ((^|){100}){1000}
 * a[ab]{12}$, 200,000 NFA states, 12 ms; the slowest failures, at
 * REGEX_WORK_MAX or a cap, 0.15-0.3 s.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

/*
 * Each '\n'-separated piece of each pattern (pieces are alternatives, as
 * grep's), in order, to fn, with e's pattern number and offset set for its
 * messages; the cap on the pattern count (max) first. regex_compile,
 * regex_check and regex_compile_prog walk the patterns through this.
 */
int regex_each_piece(const char *const *pats, const size_t *lens, size_t n, size_t max,
		     struct rerr *e,
		     int (*fn)(void *ctx, const uint8_t *p, size_t len, struct rerr *e), void *ctx)
{
	if (n > max)
		return rerr_msg(e, -E2BIG, "%zu patterns, more than %zu (use fewer patterns)", n,
				max);
	if (n && (!pats || !lens))
		return rerr_msg(e, -EINVAL, "no pattern array given");
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = (const uint8_t *)pats[i];
		size_t a = 0;

		e->pattern = n > 1 ? i + 1 : 0;
		do {
			const uint8_t *nl = lens[i] > a ? memchr(p + a, '\n', lens[i] - a) : NULL;
			size_t b = nl ? (size_t)(nl - p) : lens[i];
			int ret;

			e->base = a;
			ret = fn(ctx, p + a, b - a, e);
			if (ret)
				return ret;
			a = b + 1;
		} while (a <= lens[i]);
	}
	return 0;
}

struct regex_build {
	struct rnfa *m;
	struct rast *ast;
	struct rset_tab *sets;
	const struct regex_opts *o;
};

/* One pattern, or one of its '\n'-separated pieces. */
static int regex_add(struct rnfa *m, struct rast *ast, struct rset_tab *sets,
		     const struct regex_opts *o, const uint8_t *p, size_t len, struct rerr *e)
{
	uint32_t root;
	int ret;

	/* parsing and the trie cost about as much a byte as a closure does a state */
	if (rwork_spend(m->work, 8 * (uint64_t)len + 8))
		return rwork_fail(e, m->work);
	if (o->fixed && !(o->utf8 && o->icase))
		return rac_add_literal(m, p, len);
	ast->n = 0;
	ret = rast_parse_piece(ast, sets, p, len, o->fixed, o->icase, o->utf8, e, &root);
	if (ret)
		return ret;
	return rnfa_add_ast(m, ast, root, p, len);
}

static int regex_add_piece(void *ctx, const uint8_t *p, size_t len, struct rerr *e)
{
	struct regex_build *b = ctx;

	return regex_add(b->m, b->ast, b->sets, b->o, p, len, e);
}

/* regex_check's: the syntax only (nothing to check for fixed strings). */
static int regex_parse_piece(void *ctx, const uint8_t *p, size_t len, struct rerr *e)
{
	struct regex_build *b = ctx;
	uint32_t root;

	if (b->o->fixed && !(b->o->utf8 && b->o->icase))
		return 0;
	b->ast->n = 0;
	return rast_parse_piece(b->ast, b->sets, p, len, b->o->fixed, b->o->icase, b->o->utf8, e,
				&root);
}

/* regex_compile's stages after the NFA, which regex/bench/regex_stages.c runs too. */
int regex_nfa_dfa(struct rnfa *m, struct regex_dfa *out, uint32_t *built)
{
	struct rclass cls = {0};
	struct reps eps = {0};
	int ret = rnfa_finish(m);

	if (!ret)
		ret = reps_build(&eps, m, m->work, m->err);
	if (!ret)
		ret = rclass_build(&cls, m->sets, m->work, m->err);
	if (!ret)
		ret = rdfa_build(m, &eps, &cls, out, m->work, m->err);
	if (built)
		*built = out->nstates;
	if (!ret)
		ret = rmin_minimize(out, NULL, cls.newline, m->work, m->err);
	rclass_free(&cls);
	reps_free(&eps);
	return ret;
}

int rdfa_compile(const char *const *pats, const size_t *lens, size_t n,
		 const struct regex_opts *opts, struct regex_dfa *out, struct rwork *work,
		 struct rerr *e)
{
	struct regex_opts o = opts ? *opts : (struct regex_opts){0};
	struct rset_tab sets = {0};
	struct rast ast = {0};
	struct rnfa m;
	struct regex_build b = {.m = &m, .ast = &ast, .sets = &sets, .o = &o};
	int ret;

	memset(out, 0, sizeof(*out));
	rnfa_init(&m, &sets, o.icase, e, work);
	ret = regex_each_piece(pats, lens, n, REGEX_PATTERNS_MAX, e, regex_add_piece, &b);
	if (ret)
		goto out_free;
	ret = regex_nfa_dfa(&m, out, NULL);
out_free:
	if (ret)
		regex_dfa_free(out);
	rnfa_free(&m);
	rast_free(&ast);
	rset_tab_free(&sets);
	return ret;
}

int regex_compile(const char *const *pats, const size_t *lens, size_t n,
		  const struct regex_opts *opts, struct regex_dfa *out, char *err, size_t errlen)
{
	struct rerr e = {.buf = err, .len = errlen};
	struct rwork work = {.max = REGEX_WORK_MAX};
	int ret;

	if (err && errlen)
		err[0] = 0;
	ret = rdfa_compile(pats, lens, n, opts, out, &work, &e);
	if (ret == -ENOMEM)
		rerr_msg(&e, ret, "out of memory compiling the patterns");
	return ret;
}

/*
 * Only the syntax, so a ctl write can refuse a bad pattern at once while
 * the costly part (NFA, DFA, minimization) runs on a worker: parsing is
 * linear in the patterns' bytes and builds nothing that grows with a
 * repetition count.
 */
int regex_check(const char *const *pats, const size_t *lens, size_t n,
		const struct regex_opts *opts, char *err, size_t errlen)
{
	struct rerr e = {.buf = err, .len = errlen};
	struct regex_opts o = opts ? *opts : (struct regex_opts){0};
	struct rset_tab sets = {0};
	struct rast ast = {0};
	struct regex_build b = {.ast = &ast, .sets = &sets, .o = &o};
	int ret;

	if (err && errlen)
		err[0] = 0;
	ret = regex_each_piece(pats, lens, n, REGEX_SET_PATTERNS_MAX, &e, regex_parse_piece, &b);
	if (ret == -ENOMEM)
		rerr_msg(&e, ret, "out of memory compiling the patterns");
	rast_free(&ast);
	rset_tab_free(&sets);
	return ret;
}

void regex_dfa_free(struct regex_dfa *dfa)
{
	free(dfa->next);
	free(dfa->accept);
	free(dfa->sink);
	memset(dfa, 0, sizeof(*dfa));
}
