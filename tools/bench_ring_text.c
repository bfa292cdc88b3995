// SPDX-License-Identifier: MIT
/*
 * bench_ring_text.c - the text bench_ring scans, and the independent CPU
 * count of the lines a grep pass selects: POSIX regcomp / regexec
 * (REG_EXTENDED, the C locale: bench_ring never calls setlocale), one line
 * at a time, no code shared with the project's compiler. Built without the
 * project's include folders (tools/meson.build): its regex/regex.h would
 * hide libc's <regex.h>.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_ring.h"

static const char *const words[] = {
    "the",	  "request",  "from",	  "client",    "timeout", "after",  "retry",
    "connection", "user",     "session",  "error",     "warning", "info",   "debug",
    "cache",	  "miss",     "hit",	  "read",      "write",	  "disk",   "queue",
    "worker",	  "started",  "finished", "latency",   "bytes",	  "status", "ok",
    "failed",	  "upstream", "handler",  "GET",       "POST",	  "path",   "index",
    "json",	  "token",    "expired",  "scheduler", "backend", "node",   "shard",
};

static uint64_t text_rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/*
 * Log-like lines of 60 to 100 bytes: a timestamp, a host, words. One line
 * in 997 carries the word "vyre", one in 1,499 a 32-letter word (for
 * [A-Za-z]{30}): sparse hits, as the probe's rare literal
 * (tools/bench-grep-probe.sh). Ends with '\n' when n allows.
 */
void bench_text_fill(uint8_t *p, size_t n, uint64_t seed)
{
	size_t at = 0;
	uint64_t line = 0;

	while (at < n) {
		char buf[160];
		uint64_t want = 60 + text_rnd(&seed) % 41;
		int k = snprintf(buf, sizeof(buf), "2026-12-07T%02u:%02u:%02u.%03u host%02u ",
				 (unsigned)(line / 3600000 % 24), (unsigned)(line / 60000 % 60),
				 (unsigned)(line / 1000 % 60), (unsigned)(line % 1000),
				 (unsigned)(text_rnd(&seed) % 64));
		size_t len = (size_t)k;

		if (line % 997 == 500)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "vyre ");
		if (line % 1499 == 700) {
			for (int i = 0; i < 32; i++)
				buf[len++] = (char)('a' + text_rnd(&seed) % 26);
			buf[len++] = ' ';
		}
		while (len < want) {
			const char *w = words[text_rnd(&seed) % (sizeof(words) / sizeof(words[0]))];
			size_t wl = strlen(w);
			if (len + wl + 1 >= sizeof(buf) - 1)
				break;
			memcpy(buf + len, w, wl);
			len += wl;
			buf[len++] = text_rnd(&seed) % 8 ? ' ' : '=';
		}
		buf[len++] = '\n';
		if (len > n - at)
			len = n - at;
		memcpy(p + at, buf, len);
		at += len;
		line++;
	}
	if (n)
		p[n - 1] = '\n';
}

/*
 * The lines a middle chunk's pass owns: each one starting right after a
 * '\n' in [0, chunk), run to its '\n' within chunk + tail. Counts those
 * regexec selects into *sel; -EOVERFLOW if a line has no '\n' there (it
 * would be open, continued by the pump: the bench's text never has one).
 */
int bench_grep_ref(const char *pat, const uint8_t *p, uint32_t chunk, uint32_t tail, uint64_t *sel,
		   uint64_t *lines)
{
	regex_t re;
	char *line = NULL;
	size_t cap = 0;
	const uint8_t *end = p + (size_t)chunk + tail;
	int ret = 0;

	*sel = *lines = 0;
	if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB))
		return -EINVAL;
	for (const uint8_t *q = p; (q = memchr(q, '\n', (size_t)(p + chunk - q))); q++) {
		const uint8_t *s = q + 1;
		const uint8_t *e = s < end ? memchr(s, '\n', (size_t)(end - s)) : NULL;
		size_t n;

		if (!e) {
			ret = -EOVERFLOW;
			break;
		}
		n = (size_t)(e - s);
		if (n + 1 > cap) {
			char *nl = realloc(line, n + 1);
			if (!nl) {
				ret = -ENOMEM;
				break;
			}
			line = nl;
			cap = n + 1;
		}
		memcpy(line, s, n);
		line[n] = 0;
		(*lines)++;
		if (regexec(&re, line, 0, NULL, 0) == 0)
			(*sel)++;
	}
	free(line);
	regfree(&re);
	return ret;
}
