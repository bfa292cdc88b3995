// SPDX-License-Identifier: MIT
/*
 * publish_busy_slot_is_ebusy: ring_publish onto a slot that is not EMPTY
 * returns -EBUSY and writes nothing (ARCHITECTURE.md "Ring protocol states": backpressure, never
 * overwrite). Checked on slots that are PUBLISHED before the kernel has
 * run, and on one that is DONE but not yet harvested: every host-written
 * word of every slot is byte-identical before and after the rejected
 * publish, nothing is launched or counted as outstanding, and the original
 * work completes with its own result (the rejected work differs in every
 * field: opcode, tenant (a masked one), arguments, data, length, tail and
 * batch, so a leaked field shows in the result too).
 *
 * The ring keeps its slot words private, so the test finds them the way
 * the GPU does: it interposes vkAllocateMemory/vkMapMemory/vkFreeMemory
 * (pump/gpu.c calls the loader's exports) to learn every mapping, and
 * picks the one holding the published slot's words at the offsets
 * vyre_abi.h gives.
 */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "ringfix.h"

#define NSLOTS      8
#define CHUNK       (1u << 20)
#define MASKED      9 /* tenant of the rejected work */
#define MAGIC_ARG2  0xC0FFEE42u
#define SLOT_BYTES  (VYRE_SLOT_WORDS * 4)

#include "vk_maps.h"

static uint32_t rd32(const uint8_t *p, uint32_t word)
{
	uint32_t v;

	memcpy(&v, p + 4 * word, 4);
	return v;
}

/* The mapping whose slot `slot` holds w as published: the ring's slots. */
static const uint8_t *find_slots(uint32_t slot, const struct ring_work *w)
{
	const uint8_t *found = NULL;

	for (int i = 0; i < MAX_MAPS; i++) {
		const uint8_t *p = maps[i].map + (size_t)slot * SLOT_BYTES;

		if (!maps[i].map || maps[i].size < (VkDeviceSize)NSLOTS * SLOT_BYTES)
			continue;
		if (rd32(p, VYRE_W_STATUS) == VYRE_SLOT_PUBLISHED &&
		    rd32(p, VYRE_W_OPCODE) == w->opcode && rd32(p, VYRE_W_TENANT) == w->tenant &&
		    rd32(p, VYRE_W_ARG0) == w->arg0 && rd32(p, VYRE_W_ARG1) == w->arg1 &&
		    rd32(p, VYRE_W_ARG2) == w->arg2 &&
		    rd32(p, VYRE_W_DATA_LO) == (uint32_t)w->data_off &&
		    rd32(p, VYRE_W_DATA_HI) == (uint32_t)(w->data_off >> 32) &&
		    rd32(p, VYRE_W_DATA_LEN) == w->data_len &&
		    rd32(p, VYRE_W_TAIL_LEN) == w->tail_len && rd32(p, VYRE_W_BATCH) == w->batch) {
			CHECK(!found, "two mappings hold slot %u's words", slot);
			found = maps[i].map;
		}
	}
	CHECK(found, "no mapping holds slot %u's words at vyre_abi.h's offsets", slot);
	return found;
}

struct results {
	uint32_t status[NSLOTS], error[NSLOTS], result[NSLOTS];
	int n;
};

static void collect(void *ctx, const struct ring_done *d)
{
	struct results *r = ctx;

	r->status[d->slot] = d->status;
	r->error[d->slot] = d->error;
	r->result[d->slot] = d->result;
	r->n++;
}

/* The original work for slot s: count 'q' over its own region. */
static struct ring_work original(struct ringfix *f, uint32_t s, uint32_t len)
{
	return (struct ring_work){
		.opcode = VYRE_OP_COUNT,
		.tenant = 1,
		.arg0 = 'q',
		.arg1 = 0x1234 + s,
		.arg2 = MAGIC_ARG2,
		.data_off = arena_offset(&f->a, s),
		.data_len = len,
		.tail_len = 0,
		.batch = VYRE_NO_BATCH,
	};
}

/* Rejected works: every field differs from original()'s. */
static struct ring_work rejected(struct ringfix *f, int kind)
{
	static const uint32_t ops[] = {VYRE_OP_HISTOGRAM, VYRE_OP_MATCH, VYRE_OP_BATCH_FENCE,
				       VYRE_OP_NOP, 0x555};
	return (struct ring_work){
		.opcode = ops[kind % 5],
		.tenant = MASKED,
		.arg0 = 3,
		.arg1 = 1,
		.arg2 = 0xBAD,
		.data_off = arena_offset(&f->a, NSLOTS - 1),
		.data_len = 4321,
		.tail_len = 2,
		.batch = 5,
	};
}

/* Tries every rejected work on slot; the slot words must not move. */
static void try_busy(struct ringfix *f, const uint8_t *slots, uint32_t slot, const char *what)
{
	static uint8_t before[NSLOTS * SLOT_BYTES];
	uint32_t out = ring_outstanding(f->r);
	uint64_t launches = ring_launches(f->r);

	memcpy(before, slots, sizeof(before));
	for (int k = 0; k < 5; k++) {
		struct ring_work w = rejected(f, k);
		int ret = ring_publish(f->r, slot, &w);

		CHECK(ret == -EBUSY, "%s: publish onto slot %u returned %d, want -EBUSY", what,
		      slot, ret);
		for (uint32_t i = 0; i < sizeof(before); i++)
			CHECK(slots[i] == before[i],
			      "%s: rejected publish (opcode 0x%x) changed slot %u word %u: "
			      "0x%08x -> 0x%08x",
			      what, w.opcode, i / SLOT_BYTES, i % SLOT_BYTES / 4,
			      rd32(before, i / 4), rd32(slots, i / 4));
	}
	CHECK(ring_outstanding(f->r) == out, "%s: outstanding %u -> %u", what, out,
	      ring_outstanding(f->r));
	CHECK(ring_launches(f->r) == launches, "%s: a rejected publish launched", what);
}

static void fill(struct ringfix *f, uint64_t *seed)
{
	for (uint32_t s = 0; s < NSLOTS; s++) {
		uint8_t *d = arena_region(&f->a, s);
		for (uint32_t i = 0; i < CHUNK; i++)
			d[i] = "qrstuvwxyz"[ringfix_rand(seed) % 10];
	}
	/* the rejected works' region: no 'q', so a leaked data_off shows */
	memset(arena_region(&f->a, NSLOTS - 1), 'x', CHUNK);
}

int main(void)
{
	const uint32_t lens[4] = {CHUNK - 3, 1001, 300007, 17};
	struct ringfix f;
	struct results r = {0};
	struct ring_work w;
	uint64_t seed = 0x62757379;
	const uint8_t *slots;

	ringfix_open(&f, NSLOTS, CHUNK, -1);
	ring_mask_tenant(f.r, MASKED, true);
	fill(&f, &seed);

	/* 1. four PUBLISHED slots, the kernel not yet launched */
	for (uint32_t s = 0; s < 4; s++) {
		w = original(&f, s, lens[s]);
		CHECK(ring_publish(f.r, s, &w) == 0, "publish slot %u", s);
	}
	w = original(&f, 1, lens[1]);
	slots = find_slots(1, &w);
	CHECK(ring_launches(f.r) == 0, "launched before the first kick");
	for (uint32_t s = 0; s < 4; s++)
		try_busy(&f, slots, s, "PUBLISHED");
	ringfix_drain(&f, collect, &r);
	CHECK(r.n == 4, "harvested %d", r.n);
	for (uint32_t s = 0; s < 4; s++) {
		uint32_t want = ref_count32(arena_region(&f.a, s), lens[s], 'q');
		CHECK(r.status[s] == VYRE_SLOT_DONE, "slot %u status %u error %u", s, r.status[s],
		      r.error[s]);
		CHECK(r.result[s] == want, "slot %u: gpu %u cpu %u", s, r.result[s], want);
	}
	printf("ok PUBLISHED slots: -EBUSY, %u slot words unchanged, 4 original results\n",
	       NSLOTS * VYRE_SLOT_WORDS);

	/* 2. a DONE slot not yet harvested */
	w = original(&f, 2, lens[2]);
	CHECK(ring_publish(f.r, 2, &w) == 0, "republish slot 2");
	slots = find_slots(2, &w);
	for (time_t until = time(NULL) + 60; ring_status_word(f.r, 2) != VYRE_SLOT_DONE;) {
		CHECK(ring_kick(f.r) >= 0, "kick");
		CHECK(time(NULL) < until, "slot 2 never DONE (status %u)",
		      ring_status_word(f.r, 2));
	}
	CHECK(ring_stop(f.r) == 0, "ring_stop"); /* the kernel is done with the slots */
	try_busy(&f, slots, 2, "DONE, not harvested");
	memset(&r, 0, sizeof(r));
	ringfix_drain(&f, collect, &r);
	CHECK(r.n == 1 && r.status[2] == VYRE_SLOT_DONE, "harvested %d, status %u", r.n,
	      r.status[2]);
	CHECK(r.result[2] == ref_count32(arena_region(&f.a, 2), lens[2], 'q'),
	      "slot 2: gpu %u cpu %u", r.result[2], ref_count32(arena_region(&f.a, 2), lens[2], 'q'));
	printf("ok DONE slot before harvest: -EBUSY, words unchanged, original result\n");

	/* 3. harvested: the slot takes work again */
	CHECK(ring_status_word(f.r, 2) == VYRE_SLOT_EMPTY, "slot 2 status %u after harvest",
	      ring_status_word(f.r, 2));
	w = original(&f, 2, lens[3]);
	CHECK(ring_publish(f.r, 2, &w) == 0, "publish onto the harvested slot");
	memset(&r, 0, sizeof(r));
	ringfix_drain(&f, collect, &r);
	CHECK(r.n == 1 && r.result[2] == ref_count32(arena_region(&f.a, 2), lens[3], 'q'),
	      "reused slot 2: gpu %u", r.result[2]);
	printf("ok harvested slot accepts work again\n");

	ring_mask_tenant(f.r, MASKED, false);
	ringfix_close(&f);
	return 0;
}
