// SPDX-License-Identifier: MIT
/*
 * regex_shift.c - the second engine's compiler: a Glushkov NFA (one
 * position per byte-set occurrence, no epsilon edges) as the bit vectors
 * and shift masks of regex.h's struct regex_shift.
 *
 * A{m,n} is expanded into copies: the m mandatory ones in a row, then the
 * optional ones nested, (A(A(A)?)?)?, so each copy's last positions lead
 * to the next copy's first only and a{0,20000} has 20,000 edges, not
 * 200 million. The positions of repeated structure are numbered in the
 * same pattern in every copy, so their edges fall into a few distances:
 * (ab|cd){3000} has 12,000 positions and the distances 1, 3 and 5, three
 * shifts per byte. '^' and '$' are positions of their own while the
 * follow relation is built (pseudo positions, no bit), then resolved per
 * piece: see rsh_resolve.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

#define RSH_BOL UINT32_MAX
#define RSH_EOL (UINT32_MAX - 1)

/* per-position marks, resolved */
#define RSH_FIRST     1u
#define RSH_FIRST_BOL 2u
#define RSH_LAST      4u
#define RSH_LAST_EOL  8u

struct rsh_list {
	uint32_t *v;
	uint32_t n, cap;
};

struct rsh_frag {
	struct rsh_list first, last;
	bool nullable;
};

struct rsh_edge {
	uint32_t from, to;
};

struct rshift_build {
	struct rset_tab *sets;
	struct rwork *work;
	struct rerr *err;
	const struct rast *ast;
	uint32_t id; /* the pattern being added */
	/* the piece being added: its nodes (real positions and anchors) and edges */
	uint32_t *kind; /* a set index, RSH_BOL or RSH_EOL */
	uint32_t nnode, cnode;
	struct rsh_edge *pe;
	uint32_t npe, cpe;
	uint32_t nanchors; /* over all pieces */
	uint32_t nreal;	   /* this piece's real positions */
	/* the whole set: real positions and their edges */
	uint32_t *pset, *owner;
	uint8_t *mark;
	uint32_t npos, cpos;
	struct rsh_edge *e;
	uint32_t ne, ce;
	uint8_t *flags; /* per pattern */
	uint32_t npatterns;
};

static int rsh_grow(void **v, uint32_t *cap, uint32_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	uint32_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *n = realloc(*v, (size_t)c * size);
	if (!n)
		return -ENOMEM;
	*v = n;
	*cap = c;
	return 0;
}

/* pset, owner and mark share one capacity */
static int rsh_grow_pos(struct rshift_build *b, uint32_t need)
{
	if (need <= b->cpos)
		return 0;
	uint32_t c = b->cpos ? b->cpos : 256;
	while (c < need)
		c *= 2;
	uint32_t *ps = realloc(b->pset, (size_t)c * sizeof(*ps));
	if (ps)
		b->pset = ps;
	uint32_t *ow = realloc(b->owner, (size_t)c * sizeof(*ow));
	if (ow)
		b->owner = ow;
	uint8_t *mk = realloc(b->mark, c);
	if (mk)
		b->mark = mk;
	if (!ps || !ow || !mk)
		return -ENOMEM;
	b->cpos = c;
	return 0;
}

static int rsh_push(struct rsh_list *l, uint32_t x)
{
	int ret = rsh_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));

	if (!ret)
		l->v[l->n++] = x;
	return ret;
}

/* Appends o to l and frees o. */
static int rsh_append(struct rsh_list *l, struct rsh_list *o)
{
	int ret = 0;

	if (!l->n) {
		free(l->v);
		*l = *o;
		*o = (struct rsh_list){0};
		return 0;
	}
	ret = rsh_grow((void **)&l->v, &l->cap, l->n + o->n, sizeof(*l->v));
	if (!ret && o->n) {
		memcpy(l->v + l->n, o->v, o->n * sizeof(*o->v));
		l->n += o->n;
	}
	free(o->v);
	*o = (struct rsh_list){0};
	return ret;
}

static void rsh_frag_free(struct rsh_frag *f)
{
	free(f->first.v);
	free(f->last.v);
	*f = (struct rsh_frag){0};
}

static int rsh_too_big(struct rshift_build *b, const char *what, unsigned max, const char *name)
{
	return rerr_msg(b->err, -E2BIG,
			"pattern %u needs more than %u %s (%s), more than the bit-parallel engine "
			"holds (use smaller repetition counts or fewer patterns)",
			b->id + 1, max, what, name);
}

static int rsh_node(struct rshift_build *b, uint32_t kind, uint32_t *id)
{
	int ret;

	if (kind == RSH_BOL || kind == RSH_EOL) {
		if (++b->nanchors > REGEX_SHIFT_ANCHORS_MAX)
			return rsh_too_big(b, "anchors ('^' and '$')", REGEX_SHIFT_ANCHORS_MAX,
					   "REGEX_SHIFT_ANCHORS_MAX");
	} else if (b->npos + b->nreal++ >= REGEX_SHIFT_POS_MAX) {
		return rsh_too_big(b, "positions", REGEX_SHIFT_POS_MAX, "REGEX_SHIFT_POS_MAX");
	}
	if (rwork_spend(b->work, 4))
		return rwork_fail(b->err, b->work);
	ret = rsh_grow((void **)&b->kind, &b->cnode, b->nnode + 1, sizeof(*b->kind));
	if (ret)
		return ret;
	b->kind[b->nnode] = kind;
	*id = b->nnode++;
	return 0;
}

/* a . b: edges last(a) x first(b); a and b are consumed into out. */
static int rsh_cat(struct rshift_build *b, struct rsh_frag *a, struct rsh_frag *c,
		   struct rsh_frag *out)
{
	uint64_t add = (uint64_t)a->last.n * c->first.n;
	int ret;

	if (b->npe + add + b->ne > REGEX_SHIFT_EDGES_MAX)
		return rsh_too_big(b, "follow edges", REGEX_SHIFT_EDGES_MAX,
				   "REGEX_SHIFT_EDGES_MAX");
	if (rwork_spend(b->work, add + a->first.n + c->last.n))
		return rwork_fail(b->err, b->work);
	ret = rsh_grow((void **)&b->pe, &b->cpe, b->npe + (uint32_t)add, sizeof(*b->pe));
	if (ret)
		return ret;
	for (uint32_t i = 0; i < a->last.n; i++)
		for (uint32_t j = 0; j < c->first.n; j++)
			b->pe[b->npe++] = (struct rsh_edge){a->last.v[i], c->first.v[j]};
	struct rsh_frag r = {.nullable = a->nullable && c->nullable};
	r.first = a->first;
	a->first = (struct rsh_list){0};
	if (a->nullable)
		ret = rsh_append(&r.first, &c->first);
	r.last = c->last;
	c->last = (struct rsh_list){0};
	if (!ret && c->nullable)
		ret = rsh_append(&r.last, &a->last);
	rsh_frag_free(a);
	rsh_frag_free(c);
	*out = r;
	if (ret)
		rsh_frag_free(out);
	return ret;
}

/* a+ : edges last(a) x first(a). */
static int rsh_loop(struct rshift_build *b, struct rsh_frag *a)
{
	uint64_t add = (uint64_t)a->last.n * a->first.n;
	int ret;

	if (b->npe + add + b->ne > REGEX_SHIFT_EDGES_MAX)
		return rsh_too_big(b, "follow edges", REGEX_SHIFT_EDGES_MAX,
				   "REGEX_SHIFT_EDGES_MAX");
	if (rwork_spend(b->work, add))
		return rwork_fail(b->err, b->work);
	ret = rsh_grow((void **)&b->pe, &b->cpe, b->npe + (uint32_t)add, sizeof(*b->pe));
	if (ret)
		return ret;
	for (uint32_t i = 0; i < a->last.n; i++)
		for (uint32_t j = 0; j < a->first.n; j++)
			b->pe[b->npe++] = (struct rsh_edge){a->last.v[i], a->first.v[j]};
	return 0;
}

static int rsh_frag_of(struct rshift_build *b, uint32_t node, struct rsh_frag *out);

/* x{min,max}, expanded (see the top of the file). */
static int rsh_rep(struct rshift_build *b, const struct rast_node *n, struct rsh_frag *out)
{
	struct rsh_frag acc = {.nullable = true}, x = {0};
	int ret = 0;

	for (uint32_t i = 0; i < n->min && !ret; i++) {
		ret = rsh_frag_of(b, n->arg, &x);
		if (!ret && n->max == RAST_INF && i + 1 == n->min)
			ret = rsh_loop(b, &x);
		if (!ret)
			ret = rsh_cat(b, &acc, &x, &acc);
	}
	if (!ret && n->max == RAST_INF && n->min == 0) {
		ret = rsh_frag_of(b, n->arg, &x);
		if (!ret)
			ret = rsh_loop(b, &x);
		x.nullable = true;
		if (!ret)
			ret = rsh_cat(b, &acc, &x, &acc);
	} else if (!ret && n->max != RAST_INF && n->max > n->min) {
		/* (x(x(x)?)?)? from the inside out */
		struct rsh_frag r = {.nullable = true};

		for (uint32_t i = n->min; i < n->max && !ret; i++) {
			ret = rsh_frag_of(b, n->arg, &x);
			if (!ret)
				ret = rsh_cat(b, &x, &r, &r);
			r.nullable = true;
		}
		if (!ret)
			ret = rsh_cat(b, &acc, &r, &acc);
		rsh_frag_free(&r);
	}
	rsh_frag_free(&x);
	if (ret) {
		rsh_frag_free(&acc);
		return ret;
	}
	*out = acc;
	return 0;
}

static int rsh_frag_of(struct rshift_build *b, uint32_t node, struct rsh_frag *out)
{
	const struct rast_node *n = &b->ast->v[node];
	struct rsh_frag acc = {0}, x = {0};
	uint32_t id = 0;
	int ret = 0;

	*out = (struct rsh_frag){0};
	switch (n->kind) {
	case RAST_EMPTY:
		out->nullable = true;
		return 0;
	case RAST_SET:
	case RAST_BOL:
	case RAST_EOL:
		ret = rsh_node(b,
			       n->kind == RAST_SET   ? n->arg
			       : n->kind == RAST_BOL ? RSH_BOL
						     : RSH_EOL,
			       &id);
		if (!ret)
			ret = rsh_push(&out->first, id);
		if (!ret)
			ret = rsh_push(&out->last, id);
		break;
	case RAST_CAT:
		acc.nullable = true;
		for (uint32_t c = n->arg; c != RAST_NONE && !ret; c = b->ast->v[c].next) {
			ret = rsh_frag_of(b, c, &x);
			if (!ret)
				ret = rsh_cat(b, &acc, &x, &acc);
		}
		*out = acc;
		acc = (struct rsh_frag){0};
		break;
	case RAST_ALT:
		for (uint32_t c = n->arg; c != RAST_NONE && !ret; c = b->ast->v[c].next) {
			ret = rsh_frag_of(b, c, &x);
			if (!ret)
				ret = rsh_append(&out->first, &x.first);
			if (!ret)
				ret = rsh_append(&out->last, &x.last);
			out->nullable |= x.nullable;
			rsh_frag_free(&x);
		}
		break;
	case RAST_REP:
		return rsh_rep(b, n, out);
	}
	rsh_frag_free(&x);
	rsh_frag_free(&acc);
	if (ret)
		rsh_frag_free(out);
	return ret;
}

/*
 * One piece's anchors. A line is matched from any byte on; the virtual
 * start S precedes the piece's first positions and the virtual end F
 * follows its last. From a real position (a byte was read), a '^' can
 * never hold and a '$' holds only if nothing but '$' and F follows: so
 * real -> real edges are kept, real -> '$'* -> F makes the position
 * last_eol, and every other path through an anchor is dropped. From S,
 * paths through anchors are walked with two flags, "passed '^'" (the
 * match starts at the line's start) and "passed '$'" (at its end): to a
 * real position, '^' makes it first_bol and '$' kills the path; to F,
 * both make the pattern match the empty line, either alone or none every
 * line.
 */
static int rsh_resolve(struct rshift_build *b, const struct rsh_frag *p)
{
	uint32_t nn = b->nnode;
	uint32_t *off = calloc((size_t)nn + 1, sizeof(*off));
	uint32_t *to = malloc(((size_t)b->npe + 1) * sizeof(*to));
	uint32_t *real = malloc((size_t)nn * sizeof(*real)); /* node -> global position */
	uint8_t *inlast = calloc(nn ? nn : 1, 1);
	uint8_t *eolfin = calloc(nn ? nn : 1, 1);
	uint8_t *seen = calloc(nn ? nn : 1, 1); /* bit f: reached from S with flags f */
	uint32_t *stack = malloc(((size_t)nn * 4 + 1) * sizeof(*stack));
	uint8_t flag = 0;
	int ret = -ENOMEM;

	if (!off || !to || !real || !inlast || !eolfin || !seen || !stack)
		goto out_free;
	if (rwork_spend(b->work, 4 * (uint64_t)b->npe + 8 * (uint64_t)nn)) {
		ret = rwork_fail(b->err, b->work);
		goto out_free;
	}
	for (uint32_t i = 0; i < b->npe; i++)
		off[b->pe[i].from + 1]++;
	for (uint32_t v = 0; v < nn; v++)
		off[v + 1] += off[v];
	for (uint32_t i = 0; i < b->npe; i++)
		to[off[b->pe[i].from]++] = b->pe[i].to;
	for (uint32_t v = nn; v > 0; v--)
		off[v] = off[v - 1];
	off[0] = 0;
	for (uint32_t i = 0; i < p->last.n; i++)
		inlast[p->last.v[i]] = 1;
	/* real positions, in node order */
	ret = rsh_grow_pos(b, b->npos + nn);
	if (ret)
		goto out_free;
	for (uint32_t v = 0; v < nn; v++) {
		if (b->kind[v] == RSH_BOL || b->kind[v] == RSH_EOL)
			continue;
		real[v] = b->npos;
		b->pset[b->npos] = b->kind[v];
		b->owner[b->npos] = b->id;
		b->mark[b->npos++] = 0;
	}
	/* eolfin: a '$' from which '$'s alone lead to F (to a fixed point; anchors are few) */
	for (bool changed = true; changed;) {
		changed = false;
		for (uint32_t v = 0; v < nn; v++) {
			if (b->kind[v] != RSH_EOL || eolfin[v])
				continue;
			bool f = inlast[v];
			for (uint32_t k = off[v]; k < off[v + 1] && !f; k++)
				f = b->kind[to[k]] == RSH_EOL && eolfin[to[k]];
			if (f) {
				eolfin[v] = 1;
				changed = true;
			}
		}
		if (rwork_spend(b->work, nn)) {
			ret = rwork_fail(b->err, b->work);
			goto out_free;
		}
	}
	/* edges and marks out of real positions */
	for (uint32_t v = 0; v < nn; v++) {
		if (b->kind[v] == RSH_BOL || b->kind[v] == RSH_EOL)
			continue;
		if (inlast[v])
			b->mark[real[v]] |= RSH_LAST;
		for (uint32_t k = off[v]; k < off[v + 1]; k++) {
			uint32_t t = to[k];

			if (b->kind[t] == RSH_EOL) {
				if (eolfin[t])
					b->mark[real[v]] |= RSH_LAST_EOL;
				continue;
			}
			if (b->kind[t] == RSH_BOL)
				continue;
			ret = rsh_grow((void **)&b->e, &b->ce, b->ne + 1, sizeof(*b->e));
			if (ret)
				goto out_free;
			b->e[b->ne++] = (struct rsh_edge){real[v], real[t]};
		}
	}
	/* from S: flags bit 0 passed '^', bit 1 passed '$' */
	uint32_t sp = 0;
	if (p->nullable)
		flag |= REGEX_SHIFT_ALWAYS;
	for (uint32_t i = 0; i < p->first.n; i++) {
		seen[p->first.v[i]] |= 1;
		stack[sp++] = p->first.v[i] << 2;
	}
	while (sp) {
		uint32_t v = stack[--sp], f = v & 3;

		v >>= 2;
		if (b->kind[v] != RSH_BOL && b->kind[v] != RSH_EOL) {
			if (!(f & 2))
				b->mark[real[v]] |= f & 1 ? RSH_FIRST_BOL : RSH_FIRST;
			continue;
		}
		f |= b->kind[v] == RSH_BOL ? 1 : 2;
		if (inlast[v])
			flag |= f == 3 ? REGEX_SHIFT_EMPTY_LINE : REGEX_SHIFT_ALWAYS;
		for (uint32_t k = off[v]; k < off[v + 1]; k++) {
			uint32_t t = to[k];

			if (!(seen[t] >> f & 1)) {
				seen[t] |= (uint8_t)(1u << f);
				stack[sp++] = t << 2 | f;
			}
		}
	}
	b->flags[b->id] |= flag;
	ret = 0;
out_free:
	free(off);
	free(to);
	free(real);
	free(inlast);
	free(eolfin);
	free(seen);
	free(stack);
	return ret;
}

int rshift_begin(struct rshift_build **out, struct rset_tab *sets, uint32_t npatterns,
		 struct rwork *w, struct rerr *e)
{
	struct rshift_build *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->npatterns = npatterns;
	b->flags = calloc(npatterns ? npatterns : 1, 1);
	if (!b->flags) {
		free(b);
		return -ENOMEM;
	}
	b->sets = sets;
	b->work = w;
	b->err = e;
	*out = b;
	return 0;
}

int rshift_add(struct rshift_build *b, const struct rast *a, uint32_t root, uint32_t id)
{
	struct rsh_frag p = {0};
	int ret;

	b->ast = a;
	b->id = id;
	b->nnode = 0;
	b->npe = 0;
	b->nreal = 0;
	ret = rsh_frag_of(b, root, &p);
	if (!ret)
		ret = rsh_resolve(b, &p);
	rsh_frag_free(&p);
	return ret;
}

static int rsh_cmp_i32(const void *x, const void *y)
{
	int32_t a = *(const int32_t *)x, c = *(const int32_t *)y;

	return (a > c) - (a < c);
}

/* (count, distance) pairs, most edges first */
static int rsh_cmp_count(const void *x, const void *y)
{
	const uint64_t a = *(const uint64_t *)x, c = *(const uint64_t *)y;

	return (a < c) - (a > c);
}

/*
 * Groups the edges by distance: the REGEX_SHIFT_DIST_MAX distances with
 * the most edges get a shift and mask each, the other edges are
 * exceptions, listed by source. 1,000 varied EREs have more than 64
 * distances (their alternatives differ in length), but most of their
 * edges are the +1 of a concatenation.
 */
static int rsh_shifts(struct rshift_build *b, struct regex_shift *o)
{
	int32_t *d = malloc(((size_t)b->ne + 1) * sizeof(*d));
	uint64_t *cnt = malloc(((size_t)b->ne + 1) * sizeof(*cnt));
	uint32_t nd = 0;
	int ret = -ENOMEM;

	o->dist = malloc(REGEX_SHIFT_DIST_MAX * sizeof(*o->dist));
	o->mask = calloc((size_t)REGEX_SHIFT_DIST_MAX * o->nwords + 1, sizeof(*o->mask));
	o->exc_off = calloc((size_t)o->npos + 1, sizeof(*o->exc_off));
	o->exc_src = calloc((size_t)o->nwords + 1, sizeof(*o->exc_src));
	if (!d || !cnt || !o->dist || !o->mask || !o->exc_off || !o->exc_src)
		goto out_free;
	if (rwork_spend(b->work, 24 * (uint64_t)b->ne)) { /* the sort */
		ret = rwork_fail(b->err, b->work);
		goto out_free;
	}
	for (uint32_t i = 0; i < b->ne; i++)
		d[i] = (int32_t)b->e[i].to - (int32_t)b->e[i].from;
	qsort(d, b->ne, sizeof(*d), rsh_cmp_i32);
	for (uint32_t i = 0; i < b->ne;) {
		uint32_t j = i;

		while (j < b->ne && d[j] == d[i])
			j++;
		/* count high, distance (biased to unsigned) low: ties go to the smaller distance */
		cnt[nd++] = (uint64_t)(j - i) << 32 | ((uint32_t)d[i] ^ 0x80000000u);
		i = j;
	}
	qsort(cnt, nd, sizeof(*cnt), rsh_cmp_count);
	o->ndist = nd < REGEX_SHIFT_DIST_MAX ? nd : REGEX_SHIFT_DIST_MAX;
	for (uint32_t k = 0; k < o->ndist; k++)
		o->dist[k] = (int32_t)((uint32_t)cnt[k] ^ 0x80000000u);
	qsort(o->dist, o->ndist, sizeof(*o->dist), rsh_cmp_i32);
	/* each edge: its distance's mask, or the exceptions (counted first, then placed) */
	uint32_t *slot = (uint32_t *)d; /* reused: the shift index of edge i, or UINT32_MAX */
	uint32_t nexc = 0;
	for (uint32_t i = 0; i < b->ne; i++) {
		int32_t dd = (int32_t)b->e[i].to - (int32_t)b->e[i].from;
		const int32_t *k = bsearch(&dd, o->dist, o->ndist, sizeof(*o->dist), rsh_cmp_i32);
		uint32_t f = b->e[i].from;

		slot[i] = k ? (uint32_t)(k - o->dist) : UINT32_MAX;
		if (k) {
			o->mask[(size_t)slot[i] * o->nwords + f / 32] |= 1u << (f % 32);
			continue;
		}
		if (++nexc > REGEX_SHIFT_EXC_MAX) {
			b->id = b->owner[f];
			ret = rsh_too_big(b, "follow edges outside its 64 shift distances",
					  REGEX_SHIFT_EXC_MAX, "REGEX_SHIFT_EXC_MAX");
			goto out_free;
		}
		o->exc_off[f + 1]++;
		o->exc_src[f / 32] |= 1u << (f % 32);
	}
	for (uint32_t p = 0; p < o->npos; p++)
		o->exc_off[p + 1] += o->exc_off[p];
	o->nexc = nexc;
	o->exc_to = malloc(((size_t)nexc + 1) * sizeof(*o->exc_to));
	if (!o->exc_to)
		goto out_free;
	for (uint32_t i = 0; i < b->ne; i++)
		if (slot[i] == UINT32_MAX)
			o->exc_to[o->exc_off[b->e[i].from]++] = b->e[i].to;
	for (uint32_t p = o->npos; p > 0; p--)
		o->exc_off[p] = o->exc_off[p - 1];
	o->exc_off[0] = 0;
	ret = 0;
out_free:
	free(d);
	free(cnt);
	return ret;
}

int rshift_finish(struct rshift_build *b, struct regex_shift *o)
{
	struct rclass cls = {0};
	uint32_t nw;
	int ret;

	memset(o, 0, sizeof(*o));
	ret = rclass_build(&cls, b->sets, b->work, b->err);
	if (ret)
		return ret;
	nw = o->nwords = (b->npos + 31) / 32;
	o->npos = b->npos;
	o->nclasses = cls.n;
	o->npatterns = b->npatterns;
	memcpy(o->classes, cls.of, sizeof(o->classes));
	ret = -ENOMEM;
	o->byclass = calloc((size_t)cls.n * nw + 1, sizeof(*o->byclass));
	o->first = calloc((size_t)nw * 4 + 1, sizeof(*o->first));
	o->owner = malloc(((size_t)b->npos + 1) * sizeof(*o->owner));
	o->flags = malloc(b->npatterns ? b->npatterns : 1);
	if (!o->byclass || !o->first || !o->owner || !o->flags)
		goto out_free;
	o->first_bol = o->first + nw;
	o->last = o->first + 2 * nw;
	o->last_eol = o->first + 3 * nw;
	if (rwork_spend(b->work, (uint64_t)b->npos * (4 + cls.n / 8))) {
		ret = rwork_fail(b->err, b->work);
		goto out_free;
	}
	for (uint32_t p = 0; p < b->npos; p++) {
		uint32_t s = b->pset[p], bit = 1u << (p % 32), w = p / 32;

		for (uint32_t j = cls.soff[s]; j < cls.soff[s + 1]; j++)
			o->byclass[(size_t)cls.list[j] * nw + w] |= bit;
		if (b->mark[p] & RSH_FIRST)
			o->first[w] |= bit;
		if (b->mark[p] & RSH_FIRST_BOL)
			o->first_bol[w] |= bit;
		if (b->mark[p] & RSH_LAST)
			o->last[w] |= bit;
		if (b->mark[p] & RSH_LAST_EOL)
			o->last_eol[w] |= bit;
		o->owner[p] = b->owner[p];
	}
	memcpy(o->flags, b->flags, b->npatterns);
	ret = rsh_shifts(b, o);
out_free:
	rclass_free(&cls);
	if (ret)
		rshift_free(o);
	return ret;
}

void rshift_end(struct rshift_build **pb)
{
	struct rshift_build *b = *pb;

	if (!b)
		return;
	free(b->kind);
	free(b->pe);
	free(b->pset);
	free(b->owner);
	free(b->mark);
	free(b->e);
	free(b->flags);
	free(b);
	*pb = NULL;
}

void rshift_free(struct regex_shift *s)
{
	free(s->byclass);
	free(s->dist);
	free(s->mask);
	free(s->first); /* first_bol, last and last_eol are in its block */
	free(s->owner);
	free(s->flags);
	free(s->exc_src);
	free(s->exc_off);
	free(s->exc_to);
	memset(s, 0, sizeof(*s));
}
