// SPDX-License-Identifier: MIT
/*
 * count on the real megakernel equals a CPU loop: random buffers whose
 * lengths are not multiples of the workgroup width, empty and one-byte
 * chunks, a 32 MiB chunk (a careless per-lane loop would cross lavapipe's
 * 65,535-iteration cap) and a real file.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ringfix.h"

struct results {
	uint32_t got[64];
	uint32_t status[64];
	int n;
};

static void collect(void *ctx, const struct ring_done *d)
{
	struct results *r = ctx;
	r->got[d->slot] = d->result;
	r->status[d->slot] = d->status;
	r->n++;
}

static void check_one(struct ringfix *f, const uint8_t *data, uint32_t len, uint8_t byte,
		      const char *what)
{
	struct results r = {0};
	CHECK(ringfix_publish(f, 0, VYRE_OP_COUNT, byte, 0, data, len, 0) == 0, "publish");
	ringfix_drain(f, collect, &r);
	CHECK(r.n == 1 && r.status[0] == VYRE_SLOT_DONE, "%s: status %u", what, r.status[0]);
	CHECK(r.got[0] == ref_count32(data, len, byte), "%s: len %u byte 0x%02x: gpu %u cpu %u",
	      what, len, byte, r.got[0], ref_count32(data, len, byte));
	printf("ok %s len=%u byte=0x%02x count=%u\n", what, len, byte, r.got[0]);
}

int main(void)
{
	const uint32_t chunk = 32u << 20;
	struct ringfix f;
	uint64_t seed = 42;
	uint8_t *buf = malloc(chunk);
	CHECK(buf, "malloc");

	ringfix_open(&f, 8, chunk, -1);

	/* Several slots at once, random lengths, mostly odd. */
	struct results r = {0};
	uint32_t lens[8], want[8];
	uint8_t bytes[8];
	for (int s = 0; s < 8; s++) {
		lens[s] = (uint32_t)(ringfix_rand(&seed) % (3u << 20)) | 1u;
		bytes[s] = (uint8_t)ringfix_rand(&seed);
		for (uint32_t i = 0; i < lens[s]; i++)
			buf[i] = (uint8_t)(ringfix_rand(&seed) & 0x0F); /* dense hits */
		want[s] = ref_count32(buf, lens[s], bytes[s] & 0x0F);
		CHECK(ringfix_publish(&f, s, VYRE_OP_COUNT, bytes[s] & 0x0F, 0, buf, lens[s], 0) == 0,
		      "publish %d", s);
	}
	ringfix_drain(&f, collect, &r);
	CHECK(r.n == 8, "harvested %d", r.n);
	for (int s = 0; s < 8; s++)
		CHECK(r.got[s] == want[s], "slot %d len %u: gpu %u cpu %u", s, lens[s], r.got[s],
		      want[s]);
	printf("ok 8 random slots\n");

	/* Lengths around the workgroup width and vector size. */
	uint32_t odd[] = {0, 1, 2, 3, 15, 16, 17, 255, 256, 257, 4095, 4097, 65537, 262143,
			  262145, 1000003};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		for (uint32_t k = 0; k < odd[i]; k++)
			buf[k] = (uint8_t)ringfix_rand(&seed);
		check_one(&f, buf, odd[i], '\n', "edge length");
	}

	/* 32 MiB in one chunk: 131,072 bytes per lane if one workgroup looped. */
	for (uint32_t k = 0; k < chunk; k++)
		buf[k] = (uint8_t)ringfix_rand(&seed);
	buf[chunk - 1] = 0xAB;
	check_one(&f, buf, chunk, 0xAB, "32MiB chunk");

	/* A real file nobody here wrote. */
	int fd = open("/usr/share/common-licenses/GPL-3", O_RDONLY);
	CHECK(fd >= 0, "open GPL-3");
	ssize_t n = read(fd, buf, chunk);
	close(fd);
	CHECK(n > 0, "read GPL-3");
	check_one(&f, buf, (uint32_t)n, '\n', "GPL-3 newlines");
	check_one(&f, buf, (uint32_t)n, 'e', "GPL-3 'e'");

	ringfix_close(&f);
	free(buf);
	return 0;
}
