// SPDX-License-Identifier: MIT
/*
 * regex_pdfa_prod.c - the product of the patterns' DFAs for regex_pdfa.c,
 * each state a base and the parts that differ from it (regex_pdfa.c's
 * comment says why), with each state's accept sets.
 */
#include <string.h>

#include "regex_pdfa.h"

static int rpd_push(struct rpd *p, struct rpd_vec *v, uint32_t i, uint32_t t)
{
	if (v->n == v->cap) {
		uint32_t c = v->cap ? v->cap * 2 : 64;

		if (v->cap >= RPD_PAIRS_MAX)
			return rerr_msg(p->err, -E2BIG,
					"per_pattern=1: the patterns' DFA with accept sets needs "
					"more than %u (pattern, state) pairs, RPD_PAIRS_MAX (use "
					"fewer or simpler patterns)",
					RPD_PAIRS_MAX);
		if (rpd_grow((void **)&v->v, c, sizeof(*v->v)))
			return -ENOMEM;
		v->cap = c;
	}
	v->v[v->n++] = (struct rpd_pair){i, t};
	return 0;
}

static int rpd_append(struct rpd *p, struct rpd_vec *v, const struct rpd_pair *a, uint32_t m)
{
	int ret = 0;

	for (uint32_t j = 0; !ret && j < m; j++)
		ret = rpd_push(p, v, a[j].i, a[j].t);
	return ret;
}

/* Doubles a hash table of ids + 1 keyed by h[id]. */
static int rpd_rehash(uint32_t **slot, uint32_t *nslot, const uint64_t *h, uint32_t count)
{
	uint32_t n = *nslot ? *nslot * 2 : 1024, *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (uint32_t id = 0; id < count; id++) {
		uint32_t i = (uint32_t)h[id] & (n - 1);

		while (s[i])
			i = (i + 1) & (n - 1);
		s[i] = id + 1;
	}
	free(*slot);
	*slot = s;
	*nslot = n;
	return 0;
}

/* The set of exactly ids[0..m), ascending: found, or added. */
int rpd_set(struct rpd *p, uint32_t m, uint32_t *k)
{
	struct regex_accsets *s = p->sets;
	uint64_t h = 0x51ed2701u;
	uint32_t i;
	int ret;

	for (uint32_t j = 0; j < m; j++)
		h = rpd_mix(h, p->ids[j]);
	if ((s->n + 1) * 2 > p->nsslot) {
		ret = rpd_rehash(&p->sslot, &p->nsslot, p->shash, s->n);
		if (ret)
			return ret;
	}
	for (i = (uint32_t)h & (p->nsslot - 1); p->sslot[i]; i = (i + 1) & (p->nsslot - 1)) {
		uint32_t o = p->sslot[i] - 1;

		if (p->shash[o] == h && s->off[o + 1] - s->off[o] == m &&
		    !memcmp(s->ids + s->off[o], p->ids, m * sizeof(*p->ids))) {
			*k = o;
			return 0;
		}
	}
	if ((s->n ? s->off[s->n] : 0) + (uint64_t)m > RPD_TUPLE_WORDS_MAX)
		return rerr_msg(p->err, -E2BIG,
				"per_pattern=1: the patterns' accept sets need more than %u entries "
				"(use fewer patterns that match together)",
				RPD_TUPLE_WORDS_MAX);
	if (s->n + 1 > p->scap) {
		uint32_t c = p->scap ? p->scap * 2 : 64;

		if (rpd_grow((void **)&p->shash, c, sizeof(*p->shash)))
			return -ENOMEM;
		p->scap = c;
	}
	ret = racc_add(s, p->ids, m, REGEX_ACC_NONE, k);
	if (ret)
		return ret;
	p->shash[*k] = h;
	p->sslot[i] = *k + 1;
	return 0;
}

/*
 * The patterns of pairs a[0..m) (ascending) and of the base's accepting
 * pairs b[0..nb) not in a (mark2), whose value passes acc: into p->ids,
 * ascending. Returns how many.
 */
static uint32_t rpd_accepting(struct rpd *p, const struct rpd_pair *a, uint32_t m,
			      const struct rpd_pair *b, uint32_t nb, bool eol)
{
	uint32_t j = 0, l = 0, out = 0;

	while (j < m || l < nb) {
		const struct rpd_pair *x;

		if (l == nb || (j < m && a[j].i < b[l].i)) {
			x = &a[j++];
		} else {
			x = &b[l++];
			if (p->mark2[x->i] == p->stamp2)
				continue; /* the state's own value replaces the base's */
		}
		if (x->t != RPD_DONE && p->d[x->i].accept[x->t] && p->d[x->i].sink[x->t] == !eol)
			p->ids[out++] = x->i;
	}
	return out;
}

/* The state of base b and parts a[0..m) (ascending, none at the base's value), found or added. */
static int rpd_state(struct rpd *p, uint32_t b, const struct rpd_pair *a, uint32_t m,
		     uint32_t *id)
{
	const struct rpd_pair *acc = p->apool.v ? p->apool.v + p->aof[b] : NULL;
	uint32_t nacc = p->aof[b + 1] - p->aof[b];
	uint64_t h = rpd_mix(0xcbf29ce484222325ull, b);
	uint32_t i;
	int ret;

	for (uint32_t j = 0; j < m; j++)
		h = rpd_mix(rpd_mix(h, a[j].i), a[j].t);
	if ((p->ns + 1) * 2 > p->nslot) {
		ret = rpd_rehash(&p->slot, &p->nslot, p->hash, p->ns);
		if (ret)
			return ret;
	}
	for (i = (uint32_t)h & (p->nslot - 1); p->slot[i]; i = (i + 1) & (p->nslot - 1)) {
		uint32_t o = p->slot[i] - 1;

		if (p->hash[o] == h && p->base[o] == b && p->dcnt[o] == m &&
		    (!m || !memcmp(p->dpool.v + p->doff[o], a, m * sizeof(*a)))) {
			*id = o;
			return 0;
		}
	}
	if (p->ns >= REGEX_STATES_MAX || (uint64_t)(p->ns + 1) * p->k * 4 > REGEX_TABLE_MAX)
		return rerr_msg(p->err, -E2BIG,
				"per_pattern=1: the patterns' DFA with accept sets needs more than "
				"%u states of %u classes, over REGEX_STATES_MAX (%u) or %u MiB of "
				"rows (REGEX_TABLE_MAX) (use fewer patterns, or fewer that stay "
				"open across bytes: .*, [a-z]+)",
				p->ns, p->k, REGEX_STATES_MAX, REGEX_TABLE_MAX >> 20);
	if (p->ns == p->cap) {
		uint32_t c = p->cap ? p->cap * 2 : 256;

		if (rpd_grow((void **)&p->base, c, sizeof(*p->base)) ||
		    rpd_grow((void **)&p->doff, c, sizeof(*p->doff)) ||
		    rpd_grow((void **)&p->dcnt, c, sizeof(*p->dcnt)) ||
		    rpd_grow((void **)&p->hash, c, sizeof(*p->hash)) ||
		    rpd_grow((void **)&p->next, (size_t)c * p->k, sizeof(*p->next)) ||
		    rpd_grow((void **)&p->set, c, sizeof(*p->set)) ||
		    rpd_grow((void **)&p->eol, c, sizeof(*p->eol)))
			return -ENOMEM;
		p->cap = c;
	}
	p->base[p->ns] = b;
	p->doff[p->ns] = p->dpool.n;
	p->dcnt[p->ns] = m;
	ret = rpd_append(p, &p->dpool, a, m);
	if (ret)
		return ret;
	*id = p->ns++;
	p->hash[*id] = h;
	p->slot[i] = *id + 1;
	p->stamp2++;
	for (uint32_t j = 0; j < m; j++)
		p->mark2[a[j].i] = p->stamp2;
	ret = rpd_set(p, rpd_accepting(p, a, m, acc, nacc, false), &p->set[*id]);
	if (ret)
		return ret;
	m = rpd_accepting(p, a, m, acc, nacc, true);
	p->any_eol |= m != 0;
	return rpd_set(p, m, &p->eol[*id]);
}

/*
 * Each part's default: its value after a byte of its widest class (the
 * bytes it has no use for, most often), or DONE where that value accepts
 * (a default never adds to a state's sets). Then its steps, and which
 * product classes each of its classes covers ('\n' in none: it ends the
 * line). Any default is sound (a state is its parts that differ from
 * theirs, whatever they are); this one keeps the differing parts few.
 */
int rpd_parts(struct rpd *p)
{
	size_t n = p->n;
	uint32_t *pos = NULL;
	int ret = -ENOMEM;

	p->def = malloc((n ? n : 1) * sizeof(*p->def));
	p->poff = malloc((n + 1) * sizeof(*p->poff));
	if (!p->def || !p->poff)
		return -ENOMEM;
	p->poff[0] = 0;
	for (size_t i = 0; i < n; i++)
		p->poff[i + 1] = p->poff[i] + p->d[i].nclasses;
	p->dstep = malloc(((size_t)p->poff[n] + 1) * sizeof(*p->dstep));
	p->ioff = calloc((size_t)p->poff[n] + 1, sizeof(*p->ioff));
	pos = malloc(((size_t)p->poff[n] + 1) * sizeof(*pos));
	p->inv = malloc((size_t)p->k * (n ? n : 1));
	if (!p->dstep || !p->ioff || !pos || !p->inv)
		goto out_free;
	for (size_t i = 0; i < n; i++) {
		const struct regex_dfa *d = &p->d[i];
		uint32_t cnt[256] = {0}, big = 0, t = rpd_init(d), *ds = p->dstep + p->poff[i];

		for (int c = 0; c < 256; c++)
			cnt[d->classes[c]] += c != '\n';
		for (uint32_t pc = 1; pc < d->nclasses; pc++)
			big = cnt[pc] > cnt[big] ? pc : big;
		t = t == RPD_DONE ? RPD_DONE : rpd_step(d, t, big);
		p->def[i] = t != RPD_DONE && d->accept[t] ? RPD_DONE : t;
		for (uint32_t pc = 0; pc < d->nclasses; pc++)
			ds[pc] = rpd_step(d, p->def[i], pc);
	}
	for (uint32_t c = 0; c < p->k; c++)
		for (size_t i = 0; c != p->newline && i < n; i++)
			p->ioff[p->poff[i] + p->map[(size_t)c * n + i] + 1]++;
	for (uint32_t x = 0; x < p->poff[n]; x++) {
		p->ioff[x + 1] += p->ioff[x];
		pos[x] = p->ioff[x];
	}
	for (uint32_t c = 0; c < p->k; c++)
		for (size_t i = 0; c != p->newline && i < n; i++)
			p->inv[pos[p->poff[i] + p->map[(size_t)c * n + i]]++] = (uint8_t)c;
	ret = rwork_spend(p->work, 3ull * p->k * n + p->poff[n]) ? rwork_fail(p->err, p->work) : 0;
out_free:
	free(pos);
	return ret;
}

/*
 * Part i, at value t, steps on each of its classes: where it comes to
 * another value than its default does on that class, (i, value) goes to
 * p->bk[c] for each product class c of it. Returns the steps taken, or
 * -errno.
 */
static int64_t rpd_fan(struct rpd *p, uint32_t i, uint32_t t)
{
	const struct regex_dfa *d = &p->d[i];
	const uint32_t *ds = p->dstep + p->poff[i], *io = p->ioff + p->poff[i];
	int64_t steps = d->nclasses;
	int ret;

	for (uint32_t pc = 0; pc < d->nclasses; pc++) {
		uint32_t u = rpd_step(d, t, pc);

		if (u == ds[pc])
			continue;
		for (uint32_t x = io[pc]; x < io[pc + 1]; x++) {
			ret = rpd_push(p, &p->bk[p->inv[x]], i, u);
			if (ret)
				return ret;
		}
		steps += io[pc + 1] - io[pc];
	}
	return steps;
}

/*
 * The base of class c (c == k: the line's start), found among the bases
 * made so far or added, in *b. The parts at bpool's end are its own.
 */
static int rpd_base(struct rpd *p, uint32_t c, uint64_t *bh, uint32_t *b)
{
	size_t n = p->n;
	uint32_t at = p->bpool.n, m;
	uint64_t h = 7;
	int ret;

	for (size_t i = 0; i < n; i++) {
		uint32_t t = c == p->k ? rpd_init(&p->d[i])
				       : p->dstep[p->poff[i] + p->map[(size_t)c * n + i]];

		if (t != p->def[i] && (ret = rpd_push(p, &p->bpool, (uint32_t)i, t)))
			return ret;
	}
	m = p->bpool.n - at;
	for (uint32_t j = at; j < p->bpool.n; j++)
		h = rpd_mix(rpd_mix(h, p->bpool.v[j].i), p->bpool.v[j].t);
	for (uint32_t o = 0; o < p->nb; o++)
		if (bh[o] == h && p->bof[o + 1] - p->bof[o] == m &&
		    (m == 0 || /* an empty pool has no array yet: no pointer sums on NULL */
		     !memcmp(p->bpool.v + p->bof[o], p->bpool.v + at, m * sizeof(*p->bpool.v)))) {
			p->bpool.n = at;
			*b = o;
			return 0;
		}
	bh[p->nb] = h;
	*b = p->nb++;
	p->bof[p->nb] = p->bpool.n;
	return 0;
}

/*
 * The bases. A state is a base and its parts that differ from the base:
 * base 0 is the line's start, base beta[c] what a byte of class c makes
 * of every part at its default (the parts that byte starts; identical
 * bases shared). A state entered on class c has base beta[c], so the
 * parts one byte starts, as many as the patterns beginning with it, are
 * neither stored nor stepped for each state, only each base's once: its
 * accepting parts (apool), and what each class makes of its parts where
 * that is not the next base's value (opool).
 */
int rpd_bases(struct rpd *p)
{
	uint64_t bh[257];
	int64_t steps = 0;
	int ret;

	p->bof = malloc(258 * sizeof(*p->bof));
	p->aof = malloc(258 * sizeof(*p->aof));
	if (!p->bof || !p->aof)
		return -ENOMEM;
	p->bof[0] = 0;
	ret = rpd_base(p, p->k, bh, &(uint32_t){0}); /* base 0 */
	for (uint32_t c = 0; !ret && c < p->k; c++)
		if (c != p->newline)
			ret = rpd_base(p, c, bh, &p->beta[c]);
	if (ret)
		return ret;
	p->oof = malloc(((size_t)p->nb * p->k + 1) * sizeof(*p->oof));
	if (!p->oof)
		return -ENOMEM;
	p->aof[0] = 0;
	for (uint32_t b = 0; b < p->nb; b++) {
		for (uint32_t c = 0; c < p->k; c++)
			p->bk[c].n = 0;
		for (uint32_t j = p->bof[b]; j < p->bof[b + 1]; j++) {
			struct rpd_pair x = p->bpool.v[j];
			int64_t st = rpd_fan(p, x.i, x.t);

			if (st < 0)
				return (int)st;
			steps += st;
			if (x.t != RPD_DONE && p->d[x.i].accept[x.t] &&
			    (ret = rpd_push(p, &p->apool, x.i, x.t)))
				return ret;
		}
		p->aof[b + 1] = p->apool.n;
		for (uint32_t c = 0; c < p->k; c++) {
			p->oof[(size_t)b * p->k + c] = p->opool.n;
			ret = rpd_append(p, &p->opool, p->bk[c].v, p->bk[c].n);
			if (ret)
				return ret;
			steps += p->bk[c].n + 1;
		}
	}
	p->oof[(size_t)p->nb * p->k] = p->opool.n;
	return rwork_spend(p->work, (uint64_t)steps + (uint64_t)p->nb * p->n)
		       ? rwork_fail(p->err, p->work)
		       : 0;
}

/*
 * The product, breadth first from the line's start. State s (base b,
 * parts D) steps on class c to base beta[c] with the parts that differ
 * from it: what c makes of D's parts (rpd_fan), and of base b's parts
 * not in D (opool); every other part is at its default and c makes it
 * the next base's value. '\n' ends the line: back to state 0.
 */
int rpd_product(struct rpd *p)
{
	uint32_t id = 0;
	int ret = rpd_state(p, 0, NULL, 0, &id);

	for (uint32_t s = 0; !ret && s < p->ns; s++) {
		uint32_t b = p->base[s];
		int64_t steps = p->k;

		p->stamp++;
		for (uint32_t c = 0; c < p->k; c++)
			p->bk[c].n = 0;
		/* dpool may move as states are added below: D is read only here */
		for (uint32_t j = 0; j < p->dcnt[s]; j++) {
			struct rpd_pair x = p->dpool.v[p->doff[s] + j];
			int64_t st = rpd_fan(p, x.i, x.t);

			if (st < 0)
				return (int)st;
			steps += st;
			p->mark[x.i] = p->stamp;
		}
		for (uint32_t c = 0; !ret && c < p->k; c++) {
			/* an empty pool's array is NULL: no offset is added to it */
			const struct rpd_pair *ov = p->opool.v, *f = p->bk[c].v;
			const struct rpd_pair *o = ov ? ov + p->oof[(size_t)b * p->k + c] : NULL,
					      *oe = ov ? ov + p->oof[(size_t)b * p->k + c + 1] : NULL,
					      *fe = f ? f + p->bk[c].n : NULL;

			if (c == p->newline) {
				p->next[(size_t)s * p->k + c] = 0;
				continue;
			}
			p->cand.n = 0;
			steps += (oe - o) + (fe - f);
			while (!ret && (o < oe || f < fe)) { /* both ascending, no pattern in both */
				if (o < oe && p->mark[o->i] == p->stamp)
					o++; /* D's own value stepped, in f */
				else if (f == fe || (o < oe && o->i < f->i))
					ret = rpd_push(p, &p->cand, o->i, o->t), o++;
				else
					ret = rpd_push(p, &p->cand, f->i, f->t), f++;
			}
			if (!ret)
				ret = rpd_state(p, p->beta[c], p->cand.v, p->cand.n, &id);
			if (!ret)
				p->next[(size_t)s * p->k + c] = id;
		}
		if (!ret && rwork_spend(p->work, (uint64_t)steps))
			return rwork_fail(p->err, p->work);
	}
	return ret;
}
