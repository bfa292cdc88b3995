// SPDX-License-Identifier: MIT
/*
 * unknown_opcode_faults_alone: a slot whose opcode the megakernel does not
 * know (0x555; 6, DFA_STEP, reserved; 0x80000001, PACKED_SLOT, a system
 * opcode) completes as FAULT with VYRE_ERR_UNKNOWN_OP, empty or over
 * several tiles, while count and nop slots published beside it in the same
 * launch complete DONE with the CPU's results. The faulted slots are then
 * reused for count: the fault does not stick to the slot. Nothing hangs:
 * every round must drain within ringfix_drain's deadline.
 */
#include <string.h>

#include "ringfix.h"

#define NSLOTS 8
#define CHUNK  (3u << 20)

/* The bytes as written, for the reference: BAR reads are a PCIe round trip each. */
static uint8_t host_data[NSLOTS][CHUNK];

struct results {
	uint32_t status[NSLOTS], error[NSLOTS], result[NSLOTS];
	int n;
};

struct work {
	uint32_t opcode;
	uint32_t len; /* bytes of random data */
};

static uint64_t seed = 0x756e6b;

static void collect(void *ctx, const struct ring_done *d)
{
	struct results *r = ctx;

	r->status[d->slot] = d->status;
	r->error[d->slot] = d->error;
	r->result[d->slot] = d->result;
	r->n++;
}

static bool known(uint32_t op)
{
	return op == VYRE_OP_NOP || op == VYRE_OP_COUNT;
}

/* One launch's worth: w[s] in slot s; checks every slot. */
static void run_round(struct ringfix *f, const struct work *w, const char *what)
{
	uint32_t unknown0 = ring_op_count(f->r, VYRE_OPCLASS_UNKNOWN);
	uint32_t count0 = ring_op_count(f->r, VYRE_OPCLASS_COUNT);
	uint32_t done0 = ring_done_count(f->r);
	uint32_t want[NSLOTS], nunknown = 0, ncount = 0;
	struct results r = {0};

	for (uint32_t s = 0; s < NSLOTS; s++) {
		uint8_t *d = host_data[s];

		for (uint32_t i = 0; i < w[s].len; i++)
			d[i] = (uint8_t)(ringfix_rand(&seed) & 0x0F);
		memcpy(arena_region(&f->a, s), d, w[s].len);
		want[s] = w[s].opcode == VYRE_OP_NOP ? 1 : ref_count32(d, w[s].len, 0x07);
		nunknown += !known(w[s].opcode);
		ncount += w[s].opcode == VYRE_OP_COUNT;
		CHECK(ringfix_publish(f, s, w[s].opcode, 0x07, 0, NULL, w[s].len, 0) == 0,
		      "%s: publish slot %u opcode 0x%x", what, s, w[s].opcode);
	}
	ringfix_drain(f, collect, &r);
	CHECK(r.n == NSLOTS, "%s: harvested %d", what, r.n);
	for (uint32_t s = 0; s < NSLOTS; s++) {
		if (known(w[s].opcode)) {
			CHECK(r.status[s] == VYRE_SLOT_DONE && r.error[s] == VYRE_ERR_NONE,
			      "%s: slot %u opcode 0x%x: status %u error %u", what, s, w[s].opcode,
			      r.status[s], r.error[s]);
			CHECK(r.result[s] == want[s],
			      "%s: slot %u opcode 0x%x len %u: gpu %u cpu %u", what, s, w[s].opcode,
			      w[s].len, r.result[s], want[s]);
		} else {
			CHECK(r.status[s] == VYRE_SLOT_FAULT && r.error[s] == VYRE_ERR_UNKNOWN_OP,
			      "%s: slot %u opcode 0x%x len %u: status %u error %u, want %u %u",
			      what, s, w[s].opcode, w[s].len, r.status[s], r.error[s],
			      VYRE_SLOT_FAULT, VYRE_ERR_UNKNOWN_OP);
		}
	}
	/* one completion per slot, however many tiles faulted */
	CHECK(ring_op_count(f->r, VYRE_OPCLASS_UNKNOWN) - unknown0 == nunknown,
	      "%s: unknown-opcode counter +%u, published %u", what,
	      ring_op_count(f->r, VYRE_OPCLASS_UNKNOWN) - unknown0, nunknown);
	CHECK(ring_op_count(f->r, VYRE_OPCLASS_COUNT) - count0 == ncount,
	      "%s: count counter +%u, published %u", what,
	      ring_op_count(f->r, VYRE_OPCLASS_COUNT) - count0, ncount);
	CHECK(ring_done_count(f->r) - done0 == NSLOTS, "%s: done counter +%u", what,
	      ring_done_count(f->r) - done0);
	printf("ok %s: %u unknown opcodes faulted UNKNOWN_OP, %u others correct\n", what,
	       nunknown, NSLOTS - nunknown);
}

int main(void)
{
	const uint32_t big = (2u << 20) + 4097; /* several tiles: ring.c's are <= 1 MiB */
	struct ringfix f;
	const struct work mixed[NSLOTS] = {
		{VYRE_OP_COUNT, big},     {0x555, 0},
		{VYRE_OP_DFA_STEP, 0},    {VYRE_OP_PACKED_SLOT, 600001},
		{0x555, big},             {VYRE_OP_COUNT, 1001},
		{VYRE_OP_NOP, 0},         {VYRE_OP_DFA_STEP, big},
	};
	struct work reuse[NSLOTS], swapped[NSLOTS];

	ringfix_open(&f, NSLOTS, CHUNK, -1);
	run_round(&f, mixed, "unknown beside count and nop");
	/* the faulted slots again, now as count */
	for (uint32_t s = 0; s < NSLOTS; s++)
		reuse[s] = (struct work){VYRE_OP_COUNT, mixed[s].len ? mixed[s].len : 77};
	run_round(&f, reuse, "faulted slots reused for count");
	/* and the other way round: unknown opcodes where counts just ran */
	for (uint32_t s = 0; s < NSLOTS; s++)
		swapped[s] = mixed[(s + 1) % NSLOTS];
	run_round(&f, swapped, "unknown in the other slots");
	ringfix_close(&f);
	return 0;
}
