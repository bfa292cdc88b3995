// SPDX-License-Identifier: MIT
/*
 * regex_pdfa.c - which pattern matched, for ERE sets a DFA holds (issue
 * 26, per_pattern=1): one DFA whose states carry accept sets.
 *
 * Each pattern compiles to its own minimized line DFA (rdfa_compile, one
 * work budget for all of them); the set's DFA is their product over the
 * states a line reaches, on byte classes that refine every pattern's. A
 * pattern's DFA without '$' has one accepting state, MATCHED, a sink
 * (regex_dfa.c). A product state's accept set is the patterns whose part
 * is in MATCHED, and on the next byte such a part steps as its start
 * state does, as if the line began there: a line matched pattern i iff a
 * state it enters (its start included) has i, the rule of Aho-Corasick's
 * states (regex.h struct regex_ac), and the product is laid out as an
 * Aho-Corasick automaton all of whose states are dense, which the GPU
 * already runs with records of the sets a line enters. A later match of
 * a pattern the line already matched (a '^' taken mid-line after the
 * restart, say) only repeats a record: the host counts a pattern once a
 * line, and the first pattern is the smallest over the line's sets. What
 * this buys: a state does not remember what matched. States that did
 * (MATCHED kept as a sink) doubled with each pattern that may match
 * apart from the others, and 23 of test_regex_sets.c's EREs passed
 * 65,536 states; a part that can no longer match, or matches every line
 * (already recorded at the start), is DONE, one value every byte keeps.
 *
 * '$' makes a part's state accept at the end of the line only (accept
 * without sink): no set entered says it, since the GPU never steps the
 * '\n'. Those patterns are each state's end-of-line set (regex_ac.eol),
 * which the line adds when it ends there.
 *
 * Minimization starts from blocks of one (accept set, end-of-line set)
 * pair each (rmin_minimize's labels): states whose sets differ never
 * merge.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regex_priv.h"

/* host memory for the parts' states, one word a pattern a state */
#define RPD_TUPLE_WORDS_MAX (16u << 20)
#define RPD_DONE	    UINT32_MAX /* a part that matched, or never will */

struct rpd {
	size_t n;	       /* patterns */
	struct regex_dfa *d;   /* n */
	uint32_t k, newline;   /* the product's classes, the '\n' one */
	uint8_t cls[256];
	uint8_t *map;	       /* k * n: product class c is class map[c * n + i] of pattern i */
	uint32_t ns, cap;      /* states */
	uint32_t *tup;	       /* cap * n: each state's parts */
	uint64_t *hash;	       /* cap */
	uint32_t *next;	       /* cap * k */
	uint32_t *set, *eol;   /* cap: its accept set, its end-of-line set */
	bool any_eol;	       /* some state's end-of-line set is not empty */
	uint32_t *slot, nslot; /* states by hash: id + 1, 0 empty */
	uint32_t *cur;	       /* n: the parts being looked up */
	/* the sets, found again by their patterns */
	struct regex_accsets *sets;
	uint64_t *shash; /* scap */
	uint32_t scap;
	uint32_t *sslot, nsslot;
	uint32_t *ids; /* n: a state's patterns */
	struct rwork *work;
	struct rerr *err;
};

static uint64_t rpd_mix(uint64_t h, uint32_t x)
{
	h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xbf58476d1ce4e5b9ull;
}

static bool rpd_matched(const struct regex_dfa *d, uint32_t s)
{
	return d->accept[s] && d->sink[s];
}

static int rpd_grow(void **v, size_t want, size_t size)
{
	void *n = realloc(*v, want * size);

	if (!n)
		return -ENOMEM;
	*v = n;
	return 0;
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
static int rpd_set(struct rpd *p, uint32_t m, uint32_t *k)
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

/* The state whose parts are p->cur, found or added. */
static int rpd_state(struct rpd *p, uint32_t *id)
{
	size_t n = p->n;
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t i, m = 0;
	int ret;

	for (size_t j = 0; j < n; j++)
		h = rpd_mix(h, p->cur[j]);
	if ((p->ns + 1) * 2 > p->nslot) {
		ret = rpd_rehash(&p->slot, &p->nslot, p->hash, p->ns);
		if (ret)
			return ret;
	}
	for (i = (uint32_t)h & (p->nslot - 1); p->slot[i]; i = (i + 1) & (p->nslot - 1)) {
		uint32_t o = p->slot[i] - 1;

		if (p->hash[o] == h && !memcmp(p->tup + (size_t)o * n, p->cur, n * sizeof(*p->cur))) {
			*id = o;
			return 0;
		}
	}
	if (p->ns >= REGEX_STATES_MAX || (uint64_t)(p->ns + 1) * p->k * 4 > REGEX_TABLE_MAX / 2 ||
	    (uint64_t)(p->ns + 1) * n > RPD_TUPLE_WORDS_MAX)
		return rerr_msg(p->err, -E2BIG,
				"per_pattern=1: the patterns' DFA with accept sets needs more than "
				"%u states (or %u MiB of table), more than it holds (use fewer or "
				"simpler patterns)",
				p->ns, (REGEX_TABLE_MAX / 2) >> 20);
	if (p->ns == p->cap) {
		uint32_t c = p->cap ? p->cap * 2 : 256;

		if (rpd_grow((void **)&p->tup, (size_t)c * n, sizeof(*p->tup)) ||
		    rpd_grow((void **)&p->hash, c, sizeof(*p->hash)) ||
		    rpd_grow((void **)&p->next, (size_t)c * p->k, sizeof(*p->next)) ||
		    rpd_grow((void **)&p->set, c, sizeof(*p->set)) ||
		    rpd_grow((void **)&p->eol, c, sizeof(*p->eol)))
			return -ENOMEM;
		p->cap = c;
	}
	*id = p->ns++;
	memcpy(p->tup + (size_t)*id * n, p->cur, n * sizeof(*p->cur));
	p->hash[*id] = h;
	p->slot[i] = *id + 1;
	for (size_t j = 0; j < n; j++)
		if (p->cur[j] != RPD_DONE && rpd_matched(&p->d[j], p->cur[j]))
			p->ids[m++] = (uint32_t)j;
	ret = rpd_set(p, m, &p->set[*id]);
	m = 0;
	for (size_t j = 0; !ret && j < n; j++)
		if (p->cur[j] != RPD_DONE && p->d[j].accept[p->cur[j]] && !p->d[j].sink[p->cur[j]])
			p->ids[m++] = (uint32_t)j;
	if (!ret)
		ret = rpd_set(p, m, &p->eol[*id]);
	p->any_eol |= m != 0;
	return ret;
}

/* The classes that refine every pattern's: bytes alike in all of them share one. */
static int rpd_classes(struct rpd *p)
{
	uint16_t *of = malloc(256 * 256 * sizeof(*of)); /* (class so far, pattern's) -> new */
	uint32_t used[256];

	if (!of)
		return -ENOMEM;
	memset(of, 0xff, 256 * 256 * sizeof(*of));
	memset(p->cls, 0, sizeof(p->cls));
	p->k = 1;
	for (size_t i = 0; i < p->n; i++) {
		uint32_t k = 0;

		for (int b = 0; b < 256; b++) {
			uint32_t key = (uint32_t)p->cls[b] * 256 + p->d[i].classes[b];

			if (of[key] == UINT16_MAX) {
				used[k] = key;
				of[key] = (uint16_t)k++;
			}
			p->cls[b] = (uint8_t)of[key];
		}
		for (uint32_t j = 0; j < k; j++) /* a few keys, not the table, back to unused */
			of[used[j]] = UINT16_MAX;
		p->k = k;
	}
	free(of);
	p->newline = p->cls['\n'];
	p->map = malloc((size_t)p->k * (p->n ? p->n : 1));
	if (!p->map)
		return -ENOMEM;
	for (int b = 0; b < 256; b++)
		for (size_t i = 0; i < p->n; i++)
			p->map[(size_t)p->cls[b] * p->n + i] = (uint8_t)p->d[i].classes[b];
	return 0;
}

static int rpd_product(struct rpd *p)
{
	size_t n = p->n;
	uint32_t id;
	int ret;

	for (size_t i = 0; i < n; i++)
		p->cur[i] = p->d[i].sink[0] && !p->d[i].accept[0] ? RPD_DONE : p->d[i].start;
	ret = rpd_state(p, &id);
	for (uint32_t s = 0; !ret && s < p->ns; s++) {
		if (rwork_spend(p->work, (uint64_t)n * p->k + p->k))
			return rwork_fail(p->err, p->work);
		for (uint32_t c = 0; !ret && c < p->k; c++) {
			if (c == p->newline) { /* '\n' ends the line: back to the start */
				p->next[(size_t)s * p->k + c] = 0;
				continue;
			}
			for (size_t i = 0; i < n; i++) {
				const struct regex_dfa *d = &p->d[i];
				uint32_t t = p->tup[(size_t)s * n + i];

				if (t != RPD_DONE && rpd_matched(d, t)) /* recorded: as if the line began */
					t = rpd_matched(d, d->start) ? RPD_DONE : d->start;
				if (t == RPD_DONE || d->sink[t]) { /* matched on every line, or never will */
					p->cur[i] = RPD_DONE;
					continue;
				}
				t = d->next[(size_t)t * d->nclasses + p->map[(size_t)c * n + i]];
				p->cur[i] = d->sink[t] && !d->accept[t] ? RPD_DONE : t;
			}
			ret = rpd_state(p, &id);
			if (!ret)
				p->next[(size_t)s * p->k + c] = id;
		}
	}
	return ret;
}

/*
 * Each state's (accept set, end-of-line set) pair as one label, pairs
 * numbered from 0 in order of first use: *label (ns) and the pairs' sets
 * (*pset, *peol). -ENOMEM.
 */
static int rpd_labels(const struct rpd *p, uint32_t **label, uint32_t **pset, uint32_t **peol)
{
	uint32_t nslot = 64, np = 0, *slot;
	int ret = -ENOMEM;

	while (nslot < p->ns * 2)
		nslot *= 2;
	slot = calloc(nslot, sizeof(*slot));
	*label = malloc((size_t)p->ns * sizeof(**label));
	*pset = malloc((size_t)p->ns * sizeof(**pset));
	*peol = malloc((size_t)p->ns * sizeof(**peol));
	if (!slot || !*label || !*pset || !*peol)
		goto out_free;
	for (uint32_t s = 0; s < p->ns; s++) {
		uint32_t i = (uint32_t)rpd_mix(rpd_mix(7, p->set[s]), p->eol[s]) & (nslot - 1);

		for (; slot[i]; i = (i + 1) & (nslot - 1))
			if ((*pset)[slot[i] - 1] == p->set[s] && (*peol)[slot[i] - 1] == p->eol[s])
				break;
		if (!slot[i]) {
			(*pset)[np] = p->set[s];
			(*peol)[np] = p->eol[s];
			slot[i] = ++np;
		}
		(*label)[s] = slot[i] - 1;
	}
	ret = 0;
out_free:
	free(slot);
	return ret;
}

/* The product, minimized, as Aho-Corasick tables whose every state is dense. */
static int rpd_emit(struct rpd *p, struct regex_ac *ac)
{
	struct regex_dfa d = {.nstates = p->ns, .nclasses = p->k, .start = 0};
	uint32_t *label = NULL, *pset = NULL, *peol = NULL;
	int ret = rpd_labels(p, &label, &pset, &peol);

	if (ret)
		goto out_free;
	memcpy(d.classes, p->cls, sizeof(d.classes));
	d.next = p->next;
	p->next = NULL;
	d.accept = malloc(p->ns);
	ret = -ENOMEM;
	if (!d.accept)
		goto out_free;
	for (uint32_t s = 0; s < p->ns; s++)
		d.accept[s] = p->set[s] != 0 || p->eol[s] != 0;
	ret = rmin_minimize(&d, label, p->newline, p->work, p->err);
	if (ret) {
		if (ret == -ETIMEDOUT)
			rwork_fail(p->err, p->work);
		goto out_free;
	}
	/*
	 * The trie fields of Aho-Corasick with every state dense, never read
	 * (pump/ops/grep_pset.c's checks hold: each state's one child is the
	 * next state, its failure link state 0). The pump keeps every row
	 * only while the layout fits its region: regex_compile_prog checks.
	 */
	memset(ac, 0, sizeof(*ac));
	ac->nstates = ac->ndense = d.nstates;
	ac->nclasses = d.nclasses;
	memcpy(ac->classes, d.classes, sizeof(ac->classes));
	ac->dense = d.next;
	d.next = NULL;
	ac->child = malloc(((size_t)d.nstates + 1) * sizeof(*ac->child));
	ac->label = calloc(d.nstates, 1);
	ac->fail = calloc(d.nstates, sizeof(*ac->fail));
	ac->acc = malloc((size_t)d.nstates * sizeof(*ac->acc));
	if (p->any_eol)
		ac->eol = malloc((size_t)d.nstates * sizeof(*ac->eol));
	ret = -ENOMEM;
	if (!ac->child || !ac->label || !ac->fail || !ac->acc || (p->any_eol && !ac->eol))
		goto out_free;
	for (uint32_t s = 0; s < ac->nstates; s++) {
		ac->child[s] = s + 1;
		ac->acc[s] = pset[label[s]];
		if (ac->eol)
			ac->eol[s] = peol[label[s]];
	}
	ac->child[ac->nstates] = ac->nstates;
	ret = 0;
out_free:
	regex_dfa_free(&d);
	free(label);
	free(pset);
	free(peol);
	return ret;
}

int rpdfa_build(const char *const *pats, const size_t *lens, size_t n,
		const struct regex_opts *o, struct regex_ac *ac, struct regex_accsets *sets,
		struct rerr *e)
{
	struct rwork work = {.max = REGEX_WORK_MAX};
	struct rpd p = {.n = n, .sets = sets, .work = &work, .err = e};
	int ret = -ENOMEM;

	memset(ac, 0, sizeof(*ac));
	if (n > REGEX_PATTERNS_MAX)
		return rerr_msg(e, -E2BIG, "%zu patterns, more than %u (use fewer patterns)", n,
				REGEX_PATTERNS_MAX);
	p.d = calloc(n ? n : 1, sizeof(*p.d));
	p.cur = malloc((n ? n : 1) * sizeof(*p.cur));
	p.ids = malloc((n ? n : 1) * sizeof(*p.ids));
	if (!p.d || !p.cur || !p.ids)
		goto out_free;
	for (size_t i = 0; i < n; i++) {
		ret = rdfa_compile(&pats[i], &lens[i], 1, o, &p.d[i], &work, e);
		if (ret) {
			if (n > 1 && (ret == -E2BIG || ret == -ETIMEDOUT))
				rerr_msg(e, ret, "pattern %zu: no DFA holds it (%s)", i + 1,
					 ret == -E2BIG ? "too many states" : "its compile budget");
			goto out_free;
		}
	}
	work.used = 0; /* the product has a budget of its own */
	ret = rpd_set(&p, 0, &(uint32_t){0}); /* set 0: the empty one */
	if (!ret)
		ret = rpd_classes(&p);
	if (!ret)
		ret = rpd_product(&p);
	if (!ret)
		ret = rpd_emit(&p, ac);
out_free:
	if (ret)
		racm_free(ac);
	for (size_t i = 0; p.d && i < n; i++)
		regex_dfa_free(&p.d[i]);
	free(p.d);
	free(p.cur);
	free(p.ids);
	free(p.map);
	free(p.tup);
	free(p.hash);
	free(p.next);
	free(p.set);
	free(p.eol);
	free(p.slot);
	free(p.shash);
	free(p.sslot);
	return ret;
}
