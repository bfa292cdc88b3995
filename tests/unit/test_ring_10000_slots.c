// SPDX-License-Identifier: MIT
/*
 * ring_10000_slots_through_16: 10,000 count slots through a 16-slot ring,
 * each slot republished as soon as it is harvested, every result checked
 * against the CPU, so different generations of a slot race each other.
 * One chunk in 8 is 1 byte to 1 MiB (a whole count tile), the rest 1 byte
 * to 64 KiB: the same races at a sixth of the bytes (all up to 1 MiB made
 * this the suite's slowest ring test on lavapipe, 40 s of scanning).
 */
#include <string.h>

#include "ringfix.h"

#define NSLOTS 16
#define TOTAL 10000u

struct state {
	struct ringfix *f;
	uint64_t seed;
	uint32_t want[NSLOTS];
	uint32_t len[NSLOTS];
	uint32_t published, done;
};

static uint32_t fill(struct state *st, uint32_t slot)
{
	uint8_t *p = arena_region(&st->f->a, slot);
	uint64_t x = ringfix_rand(&st->seed);
	uint32_t len = (uint32_t)((x >> 3) % (x % 8 == 0 ? 1u << 20 : 1u << 16)) + 1;
	uint32_t n = 0;

	for (uint32_t i = 0; i < len; i += 8) {
		uint64_t r = ringfix_rand(&st->seed);
		for (uint32_t k = 0; k < 8 && i + k < len; k++) {
			p[i + k] = (uint8_t)(r >> (8 * k)) & 0x07;
			n += p[i + k] == 5;
		}
	}
	st->len[slot] = len;
	return n;
}

static void publish(struct state *st, uint32_t slot)
{
	st->want[slot] = fill(st, slot);
	CHECK(ringfix_publish(st->f, slot, VYRE_OP_COUNT, 5, 0, NULL, st->len[slot], 0) == 0,
	      "publish %u", slot);
	st->published++;
}

static void harvest(void *ctx, const struct ring_done *d)
{
	struct state *st = ctx;

	CHECK(d->status == VYRE_SLOT_DONE, "slot %u status %u", d->slot, d->status);
	CHECK(d->result == st->want[d->slot], "slot %u (#%u) len %u: gpu %u cpu %u", d->slot,
	      st->done, st->len[d->slot], d->result, st->want[d->slot]);
	st->done++;
}

int main(void)
{
	struct ringfix f;
	struct state st = {.f = &f, .seed = 7};

	ringfix_open(&f, NSLOTS, 1u << 20, -1);
	for (uint32_t s = 0; s < NSLOTS; s++)
		publish(&st, s);
	while (st.done < TOTAL) {
		CHECK(ring_kick(f.r) >= 0, "kick");
		uint32_t before = st.done;
		/* harvest, then refill exactly the slots that came back */
		for (uint32_t s = 0; s < NSLOTS; s++) {
			(void)s;
		}
		ring_harvest(f.r, harvest, &st);
		for (uint32_t s = 0; s < NSLOTS && st.published < TOTAL; s++)
			if (ring_status_word(f.r, s) == VYRE_SLOT_EMPTY)
				publish(&st, s);
		(void)before;
	}
	printf("ok %u slots through %u, %llu launches\n", st.done, NSLOTS,
	       (unsigned long long)ring_launches(f.r));
	ringfix_close(&f);
	return 0;
}
