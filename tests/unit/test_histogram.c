// SPDX-License-Identifier: MIT
/*
 * histogram_equals_cpu_byte_counts: the 256 bins a histogram slot returns
 * equal a CPU loop's byte counts on random data of odd lengths, an empty
 * chunk (after the slot last held a full histogram), a 32 MiB chunk (32
 * tiles or more), GPL-3, and eight multi-tile histograms in flight at once whose
 * byte ranges do not overlap, run twice on the same slots, so a bin that
 * leaked between slots or survived from the last use of a slot shows.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ringfix.h"

#define NSLOTS 8
#define CHUNK  (32u << 20)

struct results {
	uint32_t hist[NSLOTS][VYRE_HIST_BINS];
	uint32_t status[NSLOTS];
	uint32_t error[NSLOTS];
	int n;
};

static uint64_t seed = 0x68697374;

static void collect(void *ctx, const struct ring_done *d)
{
	struct results *r = ctx;

	/* the bins live in the ring until the slot is reused: copy them now */
	r->status[d->slot] = d->status;
	if (d->status == VYRE_SLOT_DONE)
		CHECK(ring_done_bins(d, r->hist[d->slot]) == 0,
		      "slot %u: bins never showed the slot's sequence", d->slot);
	r->error[d->slot] = d->error;
	r->n++;
}

static void cpu_hist(const uint8_t *p, size_t n, uint32_t h[VYRE_HIST_BINS])
{
	memset(h, 0, VYRE_HIST_BINS * sizeof(h[0]));
	for (size_t i = 0; i < n; i++)
		h[p[i]]++;
}

static void check_slot(const struct results *r, uint32_t s, const uint8_t *data, uint32_t len,
		       const char *what)
{
	uint32_t want[VYRE_HIST_BINS];

	cpu_hist(data, len, want);
	CHECK(r->status[s] == VYRE_SLOT_DONE, "%s: slot %u status %u error %u", what, s,
	      r->status[s], r->error[s]);
	for (int b = 0; b < VYRE_HIST_BINS; b++)
		CHECK(r->hist[s][b] == want[b], "%s: slot %u len %u bin 0x%02x: gpu %u cpu %u",
		      what, s, len, b, r->hist[s][b], want[b]);
}

/* Publishes lens[i] bytes of data[i] in slot i, i < n, and checks them all. */
static void run(struct ringfix *f, uint8_t *const *data, const uint32_t *lens, uint32_t n,
		const char *what)
{
	struct results *r = calloc(1, sizeof(*r));

	CHECK(r, "calloc");
	for (uint32_t s = 0; s < n; s++)
		CHECK(ringfix_publish(f, s, VYRE_OP_HISTOGRAM, 0, 0, data[s], lens[s], 0) == 0,
		      "%s: publish slot %u", what, s);
	ringfix_drain(f, collect, r);
	CHECK(r->n == (int)n, "%s: harvested %d of %u", what, r->n, n);
	for (uint32_t s = 0; s < n; s++)
		check_slot(r, s, data[s], lens[s], what);
	free(r);
}

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t x = ringfix_rand(&seed);
		memcpy(p + i, &x, n - i < 8 ? n - i : 8);
	}
}

static void check_odd_lengths(struct ringfix *f, uint8_t *buf)
{
	static const uint32_t lens[] = {1,     2,      3,      15,     16,     17,
					255,   256,    257,    4095,   4097,   65537,
					262143, 262144, 262145, 1000003};
	const size_t n = sizeof(lens) / sizeof(lens[0]);

	for (size_t i = 0; i < n; i += NSLOTS) {
		uint8_t *data[NSLOTS];
		uint32_t k = n - i < NSLOTS ? n - i : NSLOTS;

		for (uint32_t s = 0; s < k; s++) {
			data[s] = buf + (size_t)s * (1u << 20);
			fill_random(data[s], lens[i + s]);
		}
		run(f, data, lens + i, k, "random, odd length");
	}
	printf("ok random data, %zu lengths from 1 to 1000003\n", n);
}

/* Slot 0 first holds a full histogram, then an empty chunk: all bins 0. */
static void check_empty(struct ringfix *f, uint8_t *buf)
{
	uint8_t *data[1] = {buf};
	uint32_t len = 300001;

	fill_random(buf, len);
	run(f, data, &len, 1, "before empty");
	len = 0;
	run(f, data, &len, 1, "empty chunk");
	printf("ok empty chunk: 256 zero bins (after a 300001-byte histogram in the slot)\n");
}

static void check_32mib(struct ringfix *f, uint8_t *buf)
{
	uint8_t *data[1] = {buf};
	uint32_t len = CHUNK;

	fill_random(buf, CHUNK);
	memset(buf + 12345, 0x5A, 1u << 20); /* one tall bin across tiles */
	run(f, data, &len, 1, "32 MiB chunk");
	printf("ok 32 MiB chunk\n");
}

/*
 * Eight histograms of 3 tiles or more in flight together; slot s only holds
 * bytes of [32s, 32s + 32) (skewed), so every bin of a slot but those is
 * zero. The second round shifts the ranges by one slot.
 */
static void check_in_flight(struct ringfix *f, uint8_t *buf)
{
	for (uint32_t round = 0; round < 2; round++) {
		uint8_t *data[NSLOTS];
		uint32_t lens[NSLOTS];

		for (uint32_t s = 0; s < NSLOTS; s++) {
			uint32_t lo = 32 * ((s + round) % NSLOTS);

			data[s] = buf + (size_t)s * (3u << 20);
			lens[s] = (2u << 20) + 1 + (uint32_t)(ringfix_rand(&seed) % 100000);
			for (uint32_t i = 0; i < lens[s]; i++) {
				uint64_t x = ringfix_rand(&seed);
				/* half the bytes on one bin, the rest over 32 */
				data[s][i] = (uint8_t)(lo + ((x & 1) ? s : (x >> 8) % 32));
			}
		}
		run(f, data, lens, NSLOTS, round ? "in flight, round 2" : "in flight, round 1");
	}
	printf("ok 8 histograms in flight at once, twice on the same slots: no bin mixed\n");
}

static void check_gpl3(struct ringfix *f, uint8_t *buf)
{
	int fd = open("/usr/share/common-licenses/GPL-3", O_RDONLY);
	uint8_t *data[1] = {buf};
	uint32_t len;
	ssize_t n;

	CHECK(fd >= 0, "open /usr/share/common-licenses/GPL-3");
	n = read(fd, buf, CHUNK);
	close(fd);
	CHECK(n > 0, "read GPL-3: %zd", n);
	len = n;
	run(f, data, &len, 1, "GPL-3");
	printf("ok GPL-3 (%u bytes)\n", len);
}

int main(void)
{
	struct ringfix f;
	uint8_t *buf = malloc(CHUNK);

	CHECK(buf, "malloc");
	ringfix_open(&f, NSLOTS, CHUNK, -1);
	check_odd_lengths(&f, buf);
	check_empty(&f, buf);
	check_gpl3(&f, buf);
	check_in_flight(&f, buf);
	check_32mib(&f, buf);
	ringfix_close(&f);
	free(buf);
	return 0;
}
