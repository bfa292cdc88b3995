// SPDX-License-Identifier: MIT
/* dfa_sim.c - a tiny simulator of regex_compile's DFA, and its promises (dfa_sim.h). */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "dfa_sim.h"

void dfa_check_shape(const struct regex_dfa *d)
{
	uint32_t nl = d->classes['\n'];

	CHECK(d->nstates >= 1 && d->nstates <= REGEX_STATES_MAX, "nstates %u", d->nstates);
	CHECK(d->nclasses >= 1 && d->nclasses <= 256, "nclasses %u", d->nclasses);
	CHECK((uint64_t)d->nstates * d->nclasses * 4 <= REGEX_TABLE_MAX, "table too big");
	CHECK(d->start == 0, "start %u", d->start);
	for (int b = 0; b < 256; b++) {
		CHECK(d->classes[b] < d->nclasses, "class of %d", b);
		CHECK(b == '\n' || d->classes[b] != nl, "byte %d shares the newline class", b);
	}
	for (uint32_t s = 0; s < d->nstates; s++) {
		bool sink = true;

		for (uint32_t c = 0; c < d->nclasses; c++) {
			uint32_t t = d->next[(size_t)s * d->nclasses + c];

			CHECK(t < d->nstates, "next[%u][%u] = %u", s, c, t);
			if (c == nl)
				CHECK(t == 0, "next[%u][newline] = %u", s, t);
			else if (t != s)
				sink = false;
		}
		CHECK(d->sink[s] == sink, "sink[%u] = %u, should be %u", s, d->sink[s], sink);
	}
}

uint64_t dfa_run(const struct regex_dfa *d, const uint8_t *t, size_t n, bool skip, uint8_t *hit,
		 size_t hit_max, uint64_t *lines)
{
	uint64_t count = 0, line = 0;
	uint32_t s = 0;

	for (size_t i = 0; i < n; i++) {
		if (t[i] == '\n') {
			count += d->accept[s];
			if (hit && line < hit_max)
				hit[line] = d->accept[s];
			line++;
			s = d->next[(size_t)s * d->nclasses + d->classes['\n']];
			continue;
		}
		if (skip && d->sink[s]) {
			const uint8_t *nl = memchr(t + i, '\n', n - i);

			i = (nl ? (size_t)(nl - t) : n) - 1;
			continue;
		}
		s = d->next[(size_t)s * d->nclasses + d->classes[t[i]]];
	}
	if (n && t[n - 1] != '\n') {
		count += d->accept[s];
		if (hit && line < hit_max)
			hit[line] = d->accept[s];
		line++;
	}
	*lines = line;
	return count;
}
