// SPDX-License-Identifier: MIT
/*
 * fence_epoch_after_batch: N fences raise the epoch exactly N times, and
 * each fence completes only after every slot of its batch is done (its
 * done word is already visible when the fence's is).
 */
#include <string.h>

#include "ringfix.h"

struct state {
	uint32_t pass;
	uint32_t pass_of[64];
	uint32_t result[64];
	uint32_t epoch[64];
	uint32_t status[64];
	int n;
};

static void collect(void *ctx, const struct ring_done *d)
{
	struct state *s = ctx;
	s->n++;
	s->pass_of[d->slot] = s->pass;
	s->result[d->slot] = d->result;
	s->epoch[d->slot] = d->epoch;
	s->status[d->slot] = d->status;
}

static int publish_in_batch(struct ringfix *f, uint32_t slot, uint32_t batch, const void *data,
			    uint32_t len)
{
	memcpy(arena_region(&f->a, slot), data, len);
	struct ring_work w = {
		.opcode = VYRE_OP_COUNT,
		.tenant = 1,
		.arg0 = '\n',
		.data_off = arena_offset(&f->a, slot),
		.data_len = len,
		.batch = batch,
	};
	return ring_publish(f->r, slot, &w);
}

static int publish_fence(struct ringfix *f, uint32_t slot, uint32_t batch, uint32_t count)
{
	struct ring_work w = {
		.opcode = VYRE_OP_BATCH_FENCE,
		.tenant = VYRE_TENANT_BITS,
		.arg0 = batch,
		.arg1 = count,
		.batch = VYRE_NO_BATCH,
	};
	return ring_publish(f->r, slot, &w);
}

int main(void)
{
	struct ringfix f;
	static uint8_t buf[1 << 20];
	const uint32_t rounds = 20;

	memset(buf, '\n', sizeof(buf));
	ringfix_open(&f, 16, 1 << 20, -1);
	for (uint32_t round = 0; round < rounds; round++) {
		struct state st = {0};
		/* two batches of 6 data slots each, fences published first */
		CHECK(publish_fence(&f, 0, 2 * round, 6) == 0, "fence A");
		CHECK(publish_fence(&f, 1, 2 * round + 1, 6) == 0, "fence B");
		for (uint32_t s = 2; s < 14; s++)
			CHECK(publish_in_batch(&f, s, s < 8 ? 2 * round : 2 * round + 1, buf,
					       (1 << 20) - s) == 0,
			      "publish %u", s);
		/* drain pass by pass: a fence's done word may never be visible in
		 * an earlier pass than any done word of its batch */
		while (ring_outstanding(f.r)) {
			CHECK(ring_kick(f.r) >= 0, "kick");
			st.pass++;
			ring_harvest(f.r, collect, &st);
		}
		CHECK(st.n == 14, "harvested %d", st.n);
		for (uint32_t d = 2; d < 14; d++)
			CHECK(st.pass_of[d < 8 ? 0 : 1] >= st.pass_of[d],
			      "fence seen in pass %u, its slot %u in pass %u", st.pass_of[d < 8 ? 0 : 1],
			      d, st.pass_of[d]);
		CHECK(st.result[0] == 6 && st.result[1] == 6, "fences saw %u and %u completions",
		      st.result[0], st.result[1]);
		CHECK(st.status[0] == VYRE_SLOT_DONE && st.status[1] == VYRE_SLOT_DONE,
		      "fence status");
		CHECK(st.epoch[0] != st.epoch[1], "two fences, one epoch %u", st.epoch[0]);
		uint32_t hi = st.epoch[0] > st.epoch[1] ? st.epoch[0] : st.epoch[1];
		CHECK(hi == 2 * round + 2, "epoch %u after %u fences", hi, 2 * round + 2);
		CHECK(ring_epoch(f.r) == 2 * round + 2, "ring epoch %u", ring_epoch(f.r));
	}
	printf("ok %u fences, epoch %u, %llu launches\n", 2 * rounds, ring_epoch(f.r),
	       (unsigned long long)ring_launches(f.r));
	ringfix_close(&f);
	return 0;
}
