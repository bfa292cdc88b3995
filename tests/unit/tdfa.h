/* SPDX-License-Identifier: MIT */
/*
 * tdfa.h - a tiny DFA builder for tests, standing in for the regex
 * compiler: a pattern is a sequence of atoms (a byte, '.', or a bracket
 * set of bytes and a-b ranges), each optionally followed by '+'. The same
 * text is valid for grep -E, which the tests compare against. A line is
 * selected when the pattern occurs in it; the accepting state is a sink.
 */
#ifndef VYRE_TDFA_H
#define VYRE_TDFA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pump.h"
#include "check.h"

#define TDFA_ATOMS	60
#define TDFA_MAX_STATES 4096

struct tdfa {
	struct pump_dfa d;
	uint8_t classes[256];
	uint32_t *next;
	uint8_t *accept, *sink;
};

struct tdfa_pat {
	uint8_t set[TDFA_ATOMS][256];
	bool plus[TDFA_ATOMS];
	int k;
};

static inline void tdfa_parse(const char *pat, struct tdfa_pat *p)
{
	memset(p, 0, sizeof(*p));
	for (const char *c = pat; *c;) {
		CHECK(p->k < TDFA_ATOMS, "tdfa: pattern too long");
		uint8_t *set = p->set[p->k];
		if (*c == '.') {
			memset(set, 1, 256);
			set['\n'] = 0;
			c++;
		} else if (*c == '[') {
			for (c++; *c && *c != ']'; c++) {
				if (c[1] == '-' && c[2] && c[2] != ']') {
					for (int b = (uint8_t)c[0]; b <= (uint8_t)c[2]; b++)
						set[b] = 1;
					c += 2;
				} else {
					set[(uint8_t)*c] = 1;
				}
			}
			CHECK(*c == ']', "tdfa: unterminated [");
			c++;
		} else {
			if (*c == '\\')
				c++;
			set[(uint8_t)*c++] = 1;
		}
		if (*c == '+') {
			p->plus[p->k] = true;
			c++;
		}
		p->k++;
	}
}

/* compact: byte classes by set membership; else every byte its own class */
static inline void tdfa_build(const char *pat, bool compact, struct tdfa *t)
{
	struct tdfa_pat p;
	static uint64_t sets[TDFA_MAX_STATES];
	uint32_t n = 0, ncls = 0;
	uint8_t rep[256];

	tdfa_parse(pat, &p);
	memset(t, 0, sizeof(*t));
	/* classes: bytes in exactly the same sets share one */
	for (int b = 0; b < 256; b++) {
		int c = -1;
		if (compact) {
			for (uint32_t k = 0; k < ncls && c < 0; k++) {
				bool same = true;
				for (int a = 0; a < p.k && same; a++)
					same = p.set[a][b] == p.set[a][rep[k]];
				if (same)
					c = (int)k;
			}
		}
		if (c < 0) {
			rep[ncls] = (uint8_t)b;
			c = (int)ncls++;
		}
		t->classes[b] = (uint8_t)c;
	}
	uint64_t acc = 1ull << p.k;
	sets[n++] = 1; /* position 0 */
	t->next = calloc((size_t)TDFA_MAX_STATES * ncls, sizeof(uint32_t));
	for (uint32_t s = 0; s < n; s++) {
		for (uint32_t c = 0; c < ncls; c++) {
			uint8_t b = rep[c];
			uint64_t S = sets[s], T = 1;
			if (S & acc) {
				T = acc;
			} else {
				for (int i = 0; i < p.k; i++) {
					if ((S >> i & 1) && p.set[i][b])
						T |= 1ull << (i + 1);
					if (i > 0 && (S >> i & 1) && p.plus[i - 1] &&
					    p.set[i - 1][b])
						T |= 1ull << i;
				}
				if (T & acc)
					T = acc;
			}
			uint32_t u = 0;
			while (u < n && sets[u] != T)
				u++;
			if (u == n) {
				CHECK(n < TDFA_MAX_STATES, "tdfa: too many states");
				sets[n++] = T;
			}
			t->next[s * ncls + c] = u;
		}
	}
	t->accept = calloc(n, 1);
	t->sink = calloc(n, 1);
	for (uint32_t s = 0; s < n; s++)
		t->accept[s] = t->sink[s] = (sets[s] & acc) != 0;
	t->d = (struct pump_dfa){
	    .nstates = n,
	    .nclasses = ncls,
	    .start = 0,
	    .classes = t->classes,
	    .next = t->next,
	    .accept = t->accept,
	    .sink = t->sink,
	};
}

static inline void tdfa_free(struct tdfa *t)
{
	free(t->next);
	free(t->accept);
	free(t->sink);
}

#endif
