// SPDX-License-Identifier: MIT
/*
 * match_equals_cpu_find_loop: match on the real megakernel counts the
 * overlapping occurrences of a pattern that start in the chunk, exactly as
 * a CPU loop advancing by one byte does:
 *   - dense random data (small alphabets), patterns of 1, 2, 3, 17, 255
 *     and 256 bytes, chunk lengths that are not multiples of 256, with and
 *     without a tail window;
 *   - the tail window: a pattern straddling the chunk end is counted by the
 *     chunk it starts in when tail_len = m - 1 bytes follow, not when
 *     tail_len = 0, and one starting inside the tail is never counted;
 *   - offset 0 and the very last position; an empty chunk;
 *   - an 8 MiB chunk ending in a 268 KiB run of 'a's against 256 'a's, which
 *     a lane looping over the whole chunk would take far past lavapipe's
 *     65,535 iterations (platform fact 6, ARCHITECTURE.md);
 *   - GPL-3 split into chunks with tails: the per-chunk sum equals a memmem
 *     count over the whole file.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ringfix.h"

#define NSLOTS 8
#define CHUNK  (8u << 20)
#define ANY    UINT32_MAX /* want: whatever the CPU loop says */

struct mcase {
	const uint8_t *data; /* len + tail bytes */
	uint32_t len, tail;
	const uint8_t *pat;
	uint32_t m;
	uint32_t want; /* also asserted against the CPU loop, unless ANY */
	const char *what;
};

struct results {
	uint32_t result[NSLOTS];
	uint32_t status[NSLOTS];
	uint32_t error[NSLOTS];
	int n;
};

/* Pattern table entries in use; starts near the top so index 4095 is used. */
static uint32_t next_pidx = VYRE_MAX_BATCHES - 3;
static uint64_t seed = 0x6d61746368;
static unsigned long ncases;

static void collect(void *ctx, const struct ring_done *d)
{
	struct results *r = ctx;

	r->result[d->slot] = d->result;
	r->status[d->slot] = d->status;
	r->error[d->slot] = d->error;
	r->n++;
}

/* The reference: starts in [0, len), pattern wholly inside len + tail. */
static uint32_t cpu_match(const uint8_t *d, uint32_t len, uint32_t tail, const uint8_t *pat,
			  uint32_t m)
{
	uint32_t n = 0;

	for (uint64_t p = 0; p < len && p + m <= (uint64_t)len + tail; p++)
		n += !memcmp(d + p, pat, m);
	return n;
}

/* Up to NSLOTS cases in flight at once, each with its own pattern entry. */
static void run_cases(struct ringfix *f, const struct mcase *c, size_t n)
{
	for (size_t i = 0; i < n; i += NSLOTS) {
		size_t k = n - i < NSLOTS ? n - i : NSLOTS;
		uint32_t want[NSLOTS];
		struct results r = {0};

		for (uint32_t s = 0; s < k; s++) {
			const struct mcase *mc = &c[i + s];
			uint32_t pidx = next_pidx;

			next_pidx = (next_pidx + 1) % VYRE_MAX_BATCHES;
			want[s] = cpu_match(mc->data, mc->len, mc->tail, mc->pat, mc->m);
			CHECK(mc->want == ANY || mc->want == want[s],
			      "test setup: %s: cpu %u, expected %u", mc->what, want[s], mc->want);
			ringfix_set_pattern(f, pidx, mc->pat, mc->m);
			CHECK(ringfix_publish(f, s, VYRE_OP_MATCH, mc->m, pidx, mc->data, mc->len,
					      mc->tail) == 0,
			      "publish %s", mc->what);
		}
		ringfix_drain(f, collect, &r);
		CHECK(r.n == (int)k, "harvested %d of %zu", r.n, k);
		for (uint32_t s = 0; s < k; s++) {
			const struct mcase *mc = &c[i + s];

			CHECK(r.status[s] == VYRE_SLOT_DONE, "%s: status %u error %u", mc->what,
			      r.status[s], r.error[s]);
			CHECK(r.result[s] == want[s],
			      "%s: len %u tail %u m %u pattern \"%.*s\": gpu %u cpu %u", mc->what,
			      mc->len, mc->tail, mc->m, (int)(mc->m > 32 ? 32 : mc->m),
			      (const char *)mc->pat, r.result[s], want[s]);
			ncases++;
		}
	}
}

/* Random bytes from alphabet[0..na), or 'a' with one 'b' in skew if skew. */
static void fill(uint8_t *p, size_t n, const char *alphabet, uint32_t na, uint32_t skew)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t x = ringfix_rand(&seed);
		if (skew)
			p[i] = x % skew ? 'a' : 'b';
		else
			p[i] = (uint8_t)alphabet[x % na];
	}
}

/* Dense random data; every pattern length, lengths off the 256 grid. */
static void check_random(struct ringfix *f, uint8_t *buf)
{
	static const uint32_t lens[] = {1,    2,     3,     17,     255,    257,
					1000, 4095,  4097,  65537,  262145, 1000003};
	static const uint32_t ms[] = {1, 2, 3, 17, 255, 256};
	static uint8_t pats[NSLOTS][VYRE_PATTERN_MAX];
	struct mcase c[NSLOTS];
	uint32_t nc = 0, total = 0;

	for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		for (size_t mi = 0; mi < sizeof(ms) / sizeof(ms[0]); mi++) {
			for (uint32_t tailed = 0; tailed < 2; tailed++) {
				uint32_t len = lens[li], m = ms[mi];
				uint32_t tail = tailed ? m - 1 : 0;
				/* each case its own region of buf: they are in flight together */
				uint8_t *d = buf + (size_t)nc * (1u << 20);
				uint8_t *pat = pats[nc];

				if (m <= 3)
					fill(d, len + tail, "ab", 2, 0);
				else
					fill(d, len + tail, NULL, 0, 64);
				if (m <= 3)
					fill(pat, m, "ab", 2, 0);
				else if ((li + tailed) % 2 == 0 || len < m)
					memset(pat, 'a', m);
				else
					memcpy(pat, d + ringfix_rand(&seed) % (len - m + 1), m);
				c[nc++] = (struct mcase){d, len, tail, pat, m, ANY, "random"};
				if (nc == NSLOTS) {
					run_cases(f, c, nc);
					nc = 0;
					total += NSLOTS;
				}
			}
		}
	}
	run_cases(f, c, nc);
	total += nc;
	printf("ok random: %u chunks, lengths 1..1000003, patterns of 1, 2, 3, 17, 255, 256 "
	       "bytes, tail 0 and m-1\n",
	       total);
}

/*
 * Placed occurrences in a background of 'x' that no pattern contains:
 * straddling the chunk end (with and without the tail), at offset 0, at
 * the last positions, starting in the tail, in an empty chunk.
 */
static void check_edges(struct ringfix *f, uint8_t *buf)
{
	static const uint32_t ms[] = {1, 2, 3, 17, 255, 256};
	static uint8_t pat[VYRE_PATTERN_MAX];
	const uint32_t len = 5003;
	struct mcase c[64];
	uint32_t nc = 0;
	size_t stride = 16384;

	for (size_t mi = 0; mi < sizeof(ms) / sizeof(ms[0]); mi++) {
		uint32_t m = ms[mi];
		uint8_t *d;

		nc = 0;
		fill(pat, m, "ABCD", 4, 0);
		pat[0] = 'P'; /* no self-overlap, so placed copies do not meet */

		/* straddling: starts at len - k, k bytes in the chunk */
		uint32_t ks[3] = {1, m / 2, m - 1};
		for (uint32_t ki = 0; ki < 3; ki++) {
			uint32_t k = ks[ki];

			if (k == 0 || k >= m || (ki && k == ks[ki - 1]))
				continue;
			d = buf + (size_t)nc * stride;
			memset(d, 'x', len + 4096);
			memcpy(d + len - k, pat, m);
			c[nc++] = (struct mcase){d, len, m - 1, pat, m, 1, "straddle, tail m-1"};
			c[nc++] = (struct mcase){d, len, m - k, pat, m, 1, "straddle, exact tail"};
			if (m - k > 1)
				c[nc++] = (struct mcase){d, len, m - k - 1, pat, m, 0,
							 "straddle, tail 1 short"};
			c[nc++] = (struct mcase){d, len, 0, pat, m, 0, "straddle, tail 0"};
		}
		/* offset 0 and the last position wholly inside the chunk */
		d = buf + (size_t)nc * stride;
		memset(d, 'x', len + 4096);
		memcpy(d, pat, m);
		memcpy(d + len - m, pat, m);
		c[nc++] = (struct mcase){d, len, 0, pat, m, 2, "offset 0 and len-m, tail 0"};
		c[nc++] = (struct mcase){d, len, 4096, pat, m, 2, "offset 0 and len-m, tail 4096"};
		/* the very last start position, len - 1, needs the tail when m > 1 */
		d = buf + (size_t)nc * stride;
		memset(d, 'x', len + 4096);
		memcpy(d + len - 1, pat, m);
		c[nc++] = (struct mcase){d, len, m - 1, pat, m, 1, "at len-1, tail m-1"};
		/* starting in the tail: the next chunk's, never this one's */
		d = buf + (size_t)nc * stride;
		memset(d, 'x', len + 4096);
		memcpy(d + len, pat, m);
		c[nc++] = (struct mcase){d, len, 4096, pat, m, 0, "starts in tail"};
		/* empty chunk: nothing starts in it, whatever the tail holds */
		d = buf + (size_t)nc * stride;
		memcpy(d, pat, m);
		c[nc++] = (struct mcase){d, 0, 0, pat, m, 0, "empty chunk"};
		c[nc++] = (struct mcase){d, 0, m, pat, m, 0, "empty chunk, pattern in tail"};
		/* chunk shorter than the pattern, no tail */
		c[nc++] = (struct mcase){d, m - 1, 0, pat, m, 0, "chunk of m-1 bytes"};
		c[nc++] = (struct mcase){d, m, 0, pat, m, 1, "chunk of exactly m bytes"};
		CHECK(nc <= sizeof(c) / sizeof(c[0]), "too many cases");
		run_cases(f, c, nc);
		printf("ok edges m=%u: %u cases (straddle counted only with the tail, offset 0, "
		       "last position, starts in tail, empty)\n",
		       m, nc);
	}
}

/*
 * An 8 MiB chunk of random non-'a' bytes ending in a run of R 'a's (R a bit
 * over 256 KiB, not tile aligned), against 256 'a's: R matches with a tail
 * of 255 more 'a's, R - 255 without. Untiled, each lane of one workgroup
 * would visit 32,768 positions and, in the run alone, try R / 256 of them
 * for 256 bytes: ~300,000 loop iterations, over four times lavapipe's cap
 * (platform fact 6, ARCHITECTURE.md). (All 8 MiB as 'a's works too, but costs 2^31 byte
 * compares: minutes on a loaded 2-core lavapipe.)
 */
static void check_big(struct ringfix *f, uint8_t *buf)
{
	static uint8_t pat[VYRE_PATTERN_MAX];
	const uint32_t run = (256u << 10) + 12345;
	struct mcase c[2];

	memset(pat, 'a', sizeof(pat));
	fill(buf, CHUNK, "bcdefghijklmnopqrstuvwxyz", 25, 0);
	memset(buf + CHUNK - run, 'a', run + 255);
	c[0] = (struct mcase){buf, CHUNK, 255, pat, 256, run, "8 MiB, 'a' run, tail 255"};
	c[1] = (struct mcase){buf, CHUNK, 0, pat, 256, run - 255, "8 MiB, 'a' run, tail 0"};
	run_cases(f, c, 2);
	printf("ok 8 MiB chunk ending in %u 'a's, 256-byte pattern: %u matches with the tail, "
	       "%u without\n",
	       run, run, run - 255);
}

/* Independent of cpu_match: glibc's memmem, restarted one byte on. */
static uint32_t memmem_count(const uint8_t *d, size_t n, const char *pat)
{
	size_t m = strlen(pat);
	const uint8_t *p = d, *end = d + n;
	uint32_t c = 0;

	while ((p = memmem(p, end - p, pat, m))) {
		c++;
		p++;
	}
	return c;
}

static void check_gpl3(struct ringfix *f)
{
	static const char *pats[] = {"the", "GNU", "License"};
	static const uint32_t chunks[] = {4096, 1000, 3001, 35149, 65536};
	static uint8_t file[1 << 17];
	int fd = open("/usr/share/common-licenses/GPL-3", O_RDONLY);
	ssize_t n;

	CHECK(fd >= 0, "open /usr/share/common-licenses/GPL-3");
	n = read(fd, file, sizeof(file));
	close(fd);
	CHECK(n > 0 && n < (ssize_t)sizeof(file), "read GPL-3: %zd", n);
	for (size_t pi = 0; pi < 3; pi++) {
		const uint8_t *pat = (const uint8_t *)pats[pi];
		uint32_t m = strlen(pats[pi]);
		uint32_t whole = memmem_count(file, n, pats[pi]);

		CHECK(whole > 0, "GPL-3 has no \"%s\"?", pats[pi]);
		for (size_t ci = 0; ci < sizeof(chunks) / sizeof(chunks[0]); ci++) {
			uint32_t pidx = next_pidx;
			uint32_t sum = 0, nchunks = 0;

			next_pidx = (next_pidx + 1) % VYRE_MAX_BATCHES;
			ringfix_set_pattern(f, pidx, pat, m);
			for (size_t off = 0; off < (size_t)n;) {
				struct results r = {0};
				uint32_t k = 0;

				for (; k < NSLOTS && off < (size_t)n; k++) {
					uint32_t len = n - off < chunks[ci] ? n - off : chunks[ci];
					uint32_t left = n - off - len;
					uint32_t tail = left < m - 1 ? left : m - 1;

					CHECK(ringfix_publish(f, k, VYRE_OP_MATCH, m, pidx,
							      file + off, len, tail) == 0,
					      "publish");
					off += len;
					nchunks++;
				}
				ringfix_drain(f, collect, &r);
				CHECK(r.n == (int)k, "harvested %d of %u", r.n, k);
				for (uint32_t s = 0; s < k; s++) {
					CHECK(r.status[s] == VYRE_SLOT_DONE, "status %u",
					      r.status[s]);
					sum += r.result[s];
				}
			}
			CHECK(sum == whole, "GPL-3 \"%s\" in %u-byte chunks: gpu %u, memmem %u",
			      pats[pi], chunks[ci], sum, whole);
			printf("ok GPL-3 \"%s\" in %u chunks of %u bytes with tails: %u\n",
			       pats[pi], nchunks, chunks[ci], sum);
		}
	}
}

int main(void)
{
	struct ringfix f;
	/* room for NSLOTS cases of up to 1 MiB + tail, or two 8 MiB chunks */
	uint8_t *buf = malloc(2 * ((size_t)CHUNK + 4096));

	CHECK(buf, "malloc");
	ringfix_open(&f, NSLOTS, CHUNK, -1);
	check_edges(&f, buf);
	check_random(&f, buf);
	check_gpl3(&f);
	check_big(&f, buf);
	printf("ok %lu match chunks equal the CPU\n", ncases);
	ringfix_close(&f);
	free(buf);
	return 0;
}
