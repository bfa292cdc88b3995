// SPDX-License-Identifier: MIT
/*
 * stop_midway_then_relaunch: ring_stop() with no kernel running returns 0
 * at once. With a launch's worth of count slots (up to 3 MiB, so one to
 * several tiles each) and a fence over them published, kick, wait a
 * little, ring_stop(): the kernel exits with work left, some slots with
 * only part of their tiles claimed. Kicking and harvesting on then relaunches it, and
 * every slot completes with the CPU's count, every fence after its batch.
 * At the end the epoch equals the fences published and the done and
 * per-opcode counters equal the slots published. Over rounds of growing
 * delays, at least one stop must land mid-way (some slots done, some not),
 * or the test fails: a stop the kernel never sees would hang a real GPU.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ringfix.h"

#define NSLOTS 32
#define CHUNK  (3u << 20) /* count's tiles (ring.c) are at most 1 MiB */
#define ROUNDS 12

struct state {
	struct ring *r;
	bool harvested[NSLOTS];
	uint32_t want[NSLOTS];
	uint32_t len[NSLOTS];
	uint32_t fence_slot, batch;
	uint32_t done, fences_done, last_epoch;
	bool fence_seen;
};

static uint64_t seed = 0x73746f70;

static void harvest(void *ctx, const struct ring_done *d)
{
	struct state *st = ctx;

	CHECK(d->status == VYRE_SLOT_DONE, "slot %u: status %u error %u", d->slot, d->status,
	      d->error);
	if (d->slot == st->fence_slot) {
		/* the fence comes after every slot of its batch: each is harvested
		 * or DONE (the status word is written before the done word) */
		for (uint32_t s = 0; s < NSLOTS - 1; s++)
			CHECK(st->harvested[s] || ring_status_word(st->r, s) == VYRE_SLOT_DONE,
			      "fence done before slot %u of its batch (status %u)", s,
			      ring_status_word(st->r, s));
		CHECK(d->result == NSLOTS - 1, "fence saw %u completions, want %u", d->result,
		      NSLOTS - 1);
		CHECK(d->epoch == st->last_epoch + 1, "fence epoch %u after %u", d->epoch,
		      st->last_epoch);
		st->last_epoch = d->epoch;
		st->fence_seen = true;
	} else {
		CHECK(d->result == st->want[d->slot], "slot %u len %u: gpu %u cpu %u", d->slot,
		      st->len[d->slot], d->result, st->want[d->slot]);
		st->done++;
	}
	st->harvested[d->slot] = true;
}

static void publish_round(struct ringfix *f, struct state *st, uint32_t batch)
{
	for (uint32_t s = 0; s < NSLOTS - 1; s++) {
		uint8_t *d = arena_region(&f->a, s);
		uint32_t n = 0;

		st->len[s] = (uint32_t)(ringfix_rand(&seed) % CHUNK) + 1;
		for (uint32_t i = 0; i < st->len[s]; i += 8) {
			uint64_t x = ringfix_rand(&seed);
			for (uint32_t k = 0; k < 8 && i + k < st->len[s]; k++, x >>= 8) {
				d[i + k] = (uint8_t)(x & 0x0F);
				n += d[i + k] == 0x0A;
			}
		}
		st->want[s] = n;
		struct ring_work w = {
			.opcode = VYRE_OP_COUNT,
			.tenant = 1,
			.arg0 = 0x0A,
			.data_off = arena_offset(&f->a, s),
			.data_len = st->len[s],
			.batch = batch,
		};
		CHECK(ring_publish(f->r, s, &w) == 0, "publish slot %u", s);
	}
	/* the fence is published last but sits in slot NSLOTS - 1 */
	struct ring_work fence = {
		.opcode = VYRE_OP_BATCH_FENCE,
		.tenant = VYRE_TENANT_BITS,
		.arg0 = batch,
		.arg1 = NSLOTS - 1,
		.batch = VYRE_NO_BATCH,
	};
	CHECK(ring_publish(f->r, NSLOTS - 1, &fence) == 0, "publish fence");
	st->fence_slot = NSLOTS - 1;
	st->done = 0;
	st->fence_seen = false;
	memset(st->harvested, 0, sizeof(st->harvested));
}

int main(void)
{
	struct ringfix f;
	struct state st = {0};
	uint32_t midway = 0, count_slots = 0;
	struct timespec t0, t1;
	int ret;

	ringfix_open(&f, NSLOTS, CHUNK, -1);
	st.r = f.r;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = ring_stop(f.r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(ret == 0, "ring_stop with nothing running: %d", ret);
	CHECK(t1.tv_sec - t0.tv_sec < 2, "ring_stop with nothing running took %lds",
	      (long)(t1.tv_sec - t0.tv_sec));
	CHECK(ring_launches(f.r) == 0, "ring_stop launched something");
	printf("ok ring_stop with nothing running: 0\n");

	for (uint32_t round = 0; round < ROUNDS; round++) {
		/* delays of 0, 0.5, 1, 2, ... ms: some stop before, some after */
		useconds_t delay = round ? 500u << (round % 6 ? round % 6 - 1 : 0) : 0;
		uint64_t launches;
		uint32_t at_stop;

		/* the last round's final launch may still be running */
		CHECK(ring_stop(f.r) == 0, "ring_stop before round %u", round);
		publish_round(&f, &st, round);
		count_slots += NSLOTS - 1;
		launches = ring_launches(f.r);
		CHECK(ring_kick(f.r) >= 0, "kick");
		CHECK(ring_launches(f.r) == ++launches, "round %u: kick did not launch", round);
		usleep(delay);
		ret = ring_stop(f.r);
		CHECK(ret == 0, "round %u: ring_stop mid-way: %d", round, ret);
		/* whatever the stopped launch finished, and nothing more */
		ring_harvest(f.r, harvest, &st);
		at_stop = st.done;
		CHECK(ring_stop(f.r) == 0, "second ring_stop");
		/* a stop that lands before the work is done (on a fast GPU often
		 * before the first claim): the relaunch must finish it */
		if (at_stop < NSLOTS - 1)
			midway++;
		ringfix_drain(&f, harvest, &st);
		CHECK(st.done == NSLOTS - 1 && st.fence_seen, "round %u: %u slots, fence %d", round,
		      st.done, st.fence_seen);
		CHECK(at_stop == NSLOTS - 1 || ring_launches(f.r) > launches,
		      "round %u: work left at stop but no relaunch", round);
		printf("ok round %u: stop after %u us with %u of %u slots done, %llu launches to "
		       "finish, all correct\n",
		       round, (unsigned)delay, at_stop, NSLOTS - 1,
		       (unsigned long long)(ring_launches(f.r) - launches));
	}
	/* a persistent kernel on a real GPU finishes the rounds' work within
	 * microseconds, before any stop can land; there the stop is proven by
	 * every ring_stop above returning at all (the kernel spins otherwise) */
	CHECK(midway > 0 || ring_mode(f.r) == RING_PERSISTENT,
	      "no ring_stop of %u landed mid-way (a stop word the kernel ignores?)", ROUNDS);
	/*
	 * The kernel bumps the done counter after it writes a slot's done
	 * record: the drain can see the last record before its bump lands. A
	 * stop waits for the launch to end, so the counters are final after it.
	 */
	CHECK(ring_stop(f.r) == 0, "ring_stop after the last drain");
	CHECK(ring_epoch(f.r) == ROUNDS, "epoch %u after %u fences", ring_epoch(f.r), ROUNDS);
	CHECK(ring_done_count(f.r) == count_slots + ROUNDS, "done counter %u, published %u",
	      ring_done_count(f.r), count_slots + ROUNDS);
	CHECK(ring_op_count(f.r, VYRE_OPCLASS_COUNT) == count_slots, "count counter %u, want %u",
	      ring_op_count(f.r, VYRE_OPCLASS_COUNT), count_slots);
	CHECK(ring_op_count(f.r, VYRE_OPCLASS_FENCE) == ROUNDS, "fence counter %u, want %u",
	      ring_op_count(f.r, VYRE_OPCLASS_FENCE), ROUNDS);
	printf("ok %u of %u stops mid-way; epoch %u, done counter %u, count %u, fence %u\n",
	       midway, ROUNDS, ring_epoch(f.r), ring_done_count(f.r),
	       ring_op_count(f.r, VYRE_OPCLASS_COUNT), ring_op_count(f.r, VYRE_OPCLASS_FENCE));
	ringfix_close(&f);
	return 0;
}
