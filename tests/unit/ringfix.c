// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ringfix.h"

void ringfix_open(struct ringfix *f, uint32_t nslots, uint32_t chunk, int mode)
{
	const char *dev = getenv("VYRE_TEST_DEVICE");
	const char *km = getenv("VYRE_TEST_KERNEL");
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Every Vulkan test runs under the Khronos validation layer. */
	setenv("VYRE_VALIDATION", "1", 0);
	memset(f, 0, sizeof(*f));
	f->nslots = nslots;
	f->chunk = chunk;
	ret = gpu_open(dev, &f->g);
	CHECK(ret == 0, "gpu_open: %d", ret);
	if (mode < 0) {
		mode = RING_RELAUNCH;
		if (km && !strcmp(km, "persistent"))
			mode = RING_PERSISTENT;
	}
	/*
	 * A spinning kernel cannot run on a CPU device (lavapipe caps every
	 * invocation's loops: ARCHITECTURE.md, platform fact 6) and the pump
	 * refuses it there; a ring test forced into it would only report
	 * lavapipe's truncated loops as wrong counts. A skip, counted as one.
	 */
	if (mode == RING_PERSISTENT && f->g->is_cpu) {
		fprintf(stderr, "skip: persistent mode on %s, a CPU device (the pump refuses it)\n",
			f->g->name);
		_exit(77);
	}
	ret = arena_create(f->g, nslots, chunk, mode == RING_PERSISTENT, &f->a);
	CHECK(ret == 0, "arena_create: %d", ret);
	ret = ring_create(f->g, nslots, chunk, mode, f->a.buf.addr, &f->r);
	CHECK(ret == 0, "ring_create: %d", ret);
	ret = ring_data_alloc(f->r, VYRE_MAX_BATCHES * VYRE_PATTERN_MAX, &f->pat_base);
	CHECK(ret == 0, "ring_data_alloc: %d", ret);
	fprintf(stderr, "device: %s, mode: %s, arena: %s\n", f->g->name,
		mode == RING_PERSISTENT ? "persistent" : "relaunch",
		gpu_place_name(f->g, &f->a.buf));
}

void ringfix_close(struct ringfix *f)
{
	ring_destroy(&f->r);
	arena_destroy(f->g, &f->a);
	gpu_close(&f->g);
	CHECK(gpu_validation_errors() == 0, "%u validation errors", gpu_validation_errors());
}

void ringfix_drain(struct ringfix *f, void (*fn)(void *, const struct ring_done *), void *ctx)
{
	double until = now_s() + 120;

	while (ring_outstanding(f->r)) {
		CHECK(ring_kick(f->r) >= 0, "ring_kick failed");
		/* on lavapipe the "GPU" is our own cores: sleep on the launch */
		if (ring_harvest(f->r, fn, ctx) == 0 && f->g->is_cpu)
			ring_wait_launch(f->r, 200000);
		CHECK(now_s() < until, "ring did not drain: %u outstanding",
		      ring_outstanding(f->r));
	}
}

int ringfix_publish(struct ringfix *f, uint32_t slot, uint32_t opcode, uint32_t arg0,
		    uint32_t arg1, const void *data, uint32_t len, uint32_t tail)
{
	if (data && len + tail)
		memcpy(arena_region(&f->a, slot), data, len + tail);
	struct ring_work w = {
		.opcode = opcode,
		.tenant = 1,
		.arg0 = arg0,
		.arg1 = arg1,
		.data_off = arena_offset(&f->a, slot),
		.data_len = len,
		.tail_len = tail,
		.batch = VYRE_NO_BATCH,
	};
	if (opcode == VYRE_OP_MATCH) {
		w.arg2 = ringfix_pattern_at(f, arg1 % VYRE_MAX_BATCHES);
		w.jd_len = VYRE_PATTERN_MAX;
	}
	w.tile_shift = pump_op_tile_shift(f->g, &w); /* as the pump does before it publishes */
	return ring_publish(f->r, slot, &w);
}

uint32_t ringfix_pattern_at(const struct ringfix *f, uint32_t i)
{
	return f->pat_base + i * VYRE_PATTERN_MAX;
}

void ringfix_set_pattern(struct ringfix *f, uint32_t i, const uint8_t *pat, uint32_t len)
{
	ring_data_write(f->r, ringfix_pattern_at(f, i), pat,
			len > VYRE_PATTERN_MAX ? VYRE_PATTERN_MAX : len);
}

uint64_t ringfix_rand(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}
