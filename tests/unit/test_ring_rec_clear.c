// SPDX-License-Identifier: MIT
/*
 * ring_rec_clear_before_first_use: the ring no longer clears its line
 * records (64 MiB at a default mount) or its job data pool at create
 * (pump/ring.c, gpu_buf_alloc_uncleared), so what they held before is
 * what a device may hand out. The test poisons every mapping of Vulkan
 * memory as it is made (it interposes vkAllocateMemory/vkMapMemory, as
 * test_publish_busy_slot does), then checks:
 *
 *  - a slot's records are zero when the host first asks for them
 *    (ring_rec) and when an op that may touch them (VYRE_OPF_RECS, or an
 *    opcode not in the table) is first published in the slot: a zero word
 *    never passes the landing check (tag 0, test_ring_seq), a poisoned one
 *    could;
 *  - what the host wrote there before the publish (a grep continuation's
 *    vector, pump/ops/grep_cont.c) is not cleared by it;
 *  - a count published in a fresh slot leaves its records untouched, and
 *    no slot's records are touched before anything ran in it (the pool
 *    is not cleared whole: the start-time cost this saves);
 *  - grep's row carries VYRE_OPF_RECS;
 *  - ring_data_write writes a data region's padding (zeros to
 *    VYRE_DATA_ALIGN) and nothing past it;
 *  - the published work then runs to its own result beside the poison
 *    (count against a CPU count, the unknown opcodes fault).
 */
#include <dlfcn.h>
#include <string.h>

#include "ringfix.h"

#define NSLOTS   8
#define CHUNK    (64u << 10)
#define POISON   0xA5u
#define POISON32 0xA5A5A5A5u
#define UNKNOWN  0x555u /* no row of vyre_ops.h */
#define DATA_LEN 100u

#define VK_MAPS_POISON POISON
#include "vk_maps.h"

/* n words at w all v */
static int all_words(const uint32_t *w, uint32_t n, uint32_t v)
{
	for (uint32_t i = 0; i < n; i++)
		if (w[i] != v)
			return 0;
	return 1;
}

/* The op table's VYRE_OPF_RECS column for opcode, as ring.c reads it. */
static int op_recs(uint32_t opcode)
{
	switch (opcode) {
#define TEST_RECS_CASE(name, NAME, code, opclass, flags)                                           \
	case VYRE_OP_##NAME:                                                                       \
		return ((flags) & VYRE_OPF_RECS) != 0;
		VYRE_OPS(TEST_RECS_CASE)
#undef TEST_RECS_CASE
	}
	return -1;
}

struct results {
	uint32_t status[NSLOTS], error[NSLOTS], result[NSLOTS];
	int seen[NSLOTS];
};

static void on_done(void *ctx, const struct ring_done *d)
{
	struct results *r = ctx;

	r->status[d->slot] = d->status;
	r->error[d->slot] = d->error;
	r->result[d->slot] = d->result;
	r->seen[d->slot]++;
}

int main(void)
{
	uint8_t data[DATA_LEN], src[DATA_LEN];
	uint32_t words, *base, off, want = 0;
	struct results res = {0};
	const uint8_t *pool = NULL;
	struct ringfix f;

	for (uint32_t i = 0; i < DATA_LEN; i++) {
		data[i] = i % 7 == 3 ? '\n' : (uint8_t)('a' + i % 26);
		src[i] = (uint8_t)(0x40 + i);
		want += data[i] == '\n';
	}
	CHECK(op_recs(VYRE_OP_GREP) == 1, "grep's row lacks VYRE_OPF_RECS: its records would not be cleared");
	CHECK(op_recs(VYRE_OP_COUNT) == 0, "count's row has VYRE_OPF_RECS");

	ringfix_open(&f, NSLOTS, CHUNK, -1);
	base = ring_rec(f.r, 0, &words);
	CHECK(words > 0, "no records a slot");
	CHECK(all_words(base, words, 0), "slot 0's records not zero when first asked for");
	for (uint32_t s = 1; s < NSLOTS; s++)
		CHECK(all_words(base + (size_t)s * words, words, POISON32),
		      "slot %u's records touched before anything ran in it", s);

	/* a continuation's vector, written before its publish, survives it */
	for (uint32_t i = 0; i < 16; i++)
		base[i] = 0x1234 + i;
	CHECK(ringfix_publish(&f, 0, UNKNOWN, 0, 0, data, DATA_LEN, 0) == 0, "publish slot 0");
	for (uint32_t i = 0; i < 16; i++)
		CHECK(base[i] == 0x1234 + i, "slot 0 word %u: 0x%x after its publish, written 0x%x",
		      i, base[i], 0x1234 + i);

	CHECK(ringfix_publish(&f, 1, VYRE_OP_COUNT, '\n', 0, data, DATA_LEN, 0) == 0,
	      "publish slot 1");
	CHECK(all_words(base + (size_t)1 * words, words, POISON32),
	      "a count's publish touched its slot's records");
	CHECK(ringfix_publish(&f, 2, UNKNOWN, 0, 0, data, DATA_LEN, 0) == 0, "publish slot 2");
	CHECK(all_words(base + (size_t)2 * words, words, 0),
	      "slot 2's records not zero after an opcode not in the table was published in it");

	/* the data pool: a region's padding written, the bytes past it not */
	CHECK(ring_data_alloc(f.r, DATA_LEN, &off) == 0, "ring_data_alloc");
	ring_data_write(f.r, off, src, DATA_LEN);
	for (int i = 0; i < MAX_MAPS; i++)
		if (maps[i].map && maps[i].alloc >= VYRE_DATA_POOL_BYTES &&
		    !memcmp(maps[i].map + off, src, DATA_LEN))
			pool = maps[i].map;
	CHECK(pool, "no mapping holds the data written at %u", off);
	for (uint32_t i = DATA_LEN; i < VYRE_DATA_ALIGN; i++)
		CHECK(pool[off + i] == 0, "data byte %u of the region: 0x%x, not zeroed", i,
		      pool[off + i]);
	CHECK(pool[off + VYRE_DATA_ALIGN] == POISON, "past the region's padding: 0x%x",
	      pool[off + VYRE_DATA_ALIGN]);
	ring_data_free(f.r, off, DATA_LEN);

	ringfix_drain(&f, on_done, &res);
	for (uint32_t s = 0; s < 3; s++)
		CHECK(res.seen[s] == 1, "slot %u harvested %d times", s, res.seen[s]);
	CHECK(res.status[1] == VYRE_SLOT_DONE && res.result[1] == want,
	      "count beside the poison: status %u result %u, want %u %u", res.status[1],
	      res.result[1], VYRE_SLOT_DONE, want);
	for (uint32_t s = 0; s < 3; s += 2)
		CHECK(res.status[s] == VYRE_SLOT_FAULT && res.error[s] == VYRE_ERR_UNKNOWN_OP,
		      "slot %u: status %u error %u, want FAULT UNKNOWN_OP", s, res.status[s],
		      res.error[s]);
	ringfix_close(&f);
	printf("ok a slot's records are zero when first used, not before, and a host-written "
	       "vector survives its publish; data padding zeroed; count = %u beside the poison\n",
	       want);
	return 0;
}
