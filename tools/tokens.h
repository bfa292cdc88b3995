/* SPDX-License-Identifier: MIT */
/*
 * tokens.h - literals from real data: the tokens of a text (letters,
 * digits, '.', '_', '-': words, identifiers, versions, IPs), sorted and
 * made distinct. Pattern sets are built of them by tools/bench_patterns.c
 * and tests/unit/test_regex_sets.c, so the two measure the same kind of set.
 */
#ifndef VYRE_TOOLS_TOKENS_H
#define VYRE_TOOLS_TOKENS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The tokens of p[*at..len) of minlen to maxlen bytes, each strndup'd into
 * out[*n..max); stops at len or when out is full, *at where it stopped.
 * Returns 0, or -ENOMEM (what was added stays in out[0..*n)).
 */
int tokens_split(const uint8_t *p, size_t len, size_t *at, char **out, size_t *n, size_t max,
		 size_t minlen, size_t maxlen);

/*
 * What a shell command prints (popen), at most cap bytes, in a malloc'd
 * buffer (*len bytes; the caller frees it); NULL with errno on failure.
 */
char *tokens_load(const char *cmd, size_t cap, size_t *len);

/* The C headers of /usr/include and its subfolders, one level: tokens_load's command */
#define TOKENS_HEADERS_CMD "cat /usr/include/*.h /usr/include/*/*.h 2>/dev/null"

/*
 * The i-th of a set of EREs whose alternatives differ in length, over the
 * tokens w and v, into buf (len bytes): by i % 4, "(w|v) [a-z]{2,4}",
 * "w[0-9]+" and v's first 3 bytes, "(w|v|vw)+ ", and
 * last_fmt with last_word (the caller's fourth shape). A '.' of a token is
 * made '_', so tokens stay literal.
 */
void tokens_ere(char *buf, size_t len, size_t i, const char *w, const char *v,
		const char *last_fmt, const char *last_word);

/*
 * The i-th of a set of indicator-like EREs (what security people grep
 * logs for: literals with a class or an alternation, nothing that stays
 * open to the end of the line) over the tokens w and v, into buf (len
 * bytes), by i % shapes (5 or 6): w with its first letter either case
 * ("[Ww]ord", or w and one of " =:"), "(w|v)", "w[-_ ]?v", "w=[0-9]+",
 * "w[0-9]{1,3}\\.[0-9]{1,3}", and the sixth, "w/[a-z]+\\.(php|cgi)", whose
 * loop stays open across a word (a DFA of all of them multiplies its
 * states by it); a token's '.' is escaped.
 */
void tokens_ioc(char *buf, size_t len, size_t i, size_t shapes, const char *w, const char *v);

/* v[0..n) sorted by strcmp, each string once (the others freed); returns the new n */
size_t tokens_dedup(char **v, size_t n);

#endif
