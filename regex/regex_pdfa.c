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
 *
 * A product state is not stored as one value per pattern: with 1,000
 * patterns that is 1,000 words to hash and step for each state and
 * class, and 1,000 EREs ran out of the work budget at a few thousand
 * states. Each part has a default (rpd_parts: where it sits while the
 * bytes are of no use to it), and a state is a base plus the parts that
 * differ from it. The base is what the last byte's class made of the
 * parts at their defaults (rpd_bases; the line's start for state 0), so
 * the patterns one byte starts are kept once per class, not in every
 * state entered on it. Stepping a state costs the parts it holds and the
 * base's parts that move on that class, not the number of patterns.
 * Equal states with different bases may both be made; minimization
 * merges them (their sets and steps are the same). Measured on the
 * 2-core dev VM (2026-12-07, BENCH_ONLY="dfa sets" tools/bench_patterns):
 * 1,000 indicator-like EREs (tools/tokens.h tokens_ioc, 5 shapes) give
 * 45,357 states of 70 classes in 0.75 s of CPU, most of it the 1,000
 * patterns' own DFAs (0.25-0.35 s in test_regex_sets' process). What stays
 * a refusal is a product whose states really multiply: with the caps
 * lifted, 1,000 of them with a "[a-z]+" loop (6 shapes) reach 266,325
 * states, of which minimization merges 8, and bench_patterns' 1,000 EREs
 * with "^...: .*[0-9]{1,3}$" 259,280, of which it merges none.
 */
#include <string.h>

#include "regex_pdfa.h"

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
	p.mark = calloc(n ? n : 1, sizeof(*p.mark));
	p.mark2 = calloc(n ? n : 1, sizeof(*p.mark2));
	p.ids = malloc((n ? n : 1) * sizeof(*p.ids));
	if (!p.d || !p.mark || !p.mark2 || !p.ids)
		goto out_free;
	for (size_t i = 0; i < n; i++) {
		ret = rdfa_compile(&pats[i], &lens[i], 1, o, &p.d[i], &work, e);
		if (ret) {
			/* the budget is all the patterns': running out is the set's size */
			if (n > 1 && ret == -E2BIG)
				rerr_msg(e, ret, "pattern %zu: no DFA holds it (too many states)",
					 i + 1);
			else if (n > 1 && ret == -ETIMEDOUT)
				rerr_msg(e, ret,
					 "the patterns' own DFAs need more than REGEX_WORK_MAX (%llu "
					 "million steps) by pattern %zu of %zu (use fewer patterns)",
					 (unsigned long long)(work.max / 1000000), i + 1, n);
			goto out_free;
		}
	}
	work.used = 0; /* the product has a budget of its own */
	ret = rpd_set(&p, 0, &(uint32_t){0}); /* set 0: the empty one */
	if (!ret)
		ret = rpd_classes(&p);
	if (!ret)
		ret = rpd_parts(&p);
	if (!ret)
		ret = rpd_bases(&p);
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
	free(p.map);
	free(p.def);
	free(p.poff);
	free(p.dstep);
	free(p.ioff);
	free(p.inv);
	free(p.bof);
	free(p.aof);
	free(p.oof);
	free(p.bpool.v);
	free(p.apool.v);
	free(p.opool.v);
	free(p.base);
	free(p.doff);
	free(p.dcnt);
	free(p.dpool.v);
	free(p.hash);
	free(p.next);
	free(p.set);
	free(p.eol);
	free(p.slot);
	free(p.cand.v);
	for (int c = 0; c < 256; c++)
		free(p.bk[c].v);
	free(p.mark);
	free(p.mark2);
	free(p.shash);
	free(p.sslot);
	free(p.ids);
	return ret;
}
