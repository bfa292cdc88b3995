// SPDX-License-Identifier: MIT
/*
 * ring_claim_wrap: 6,000 slots of mixed nop, count, match and histogram
 * through a 64-slot ring. Every slot is republished with new work as soon
 * as it is harvested, often while a launch is still running, so slot
 * generations race, and the 16-bit claim generation wraps: the ring
 * starts at sequence SEQ0 (ring_seq_start, as if it had run that long),
 * 1,024 slots before the wrap, 4,976 (about 78 generations of each) after.
 * It was 70,000 slots from sequence 1, 24 s on an idle 2-core box and
 * 137-157 s in CI beside lane B (each slot a workgroup of ~1 ms on
 * lavapipe), for the same wrap. Every result is checked against the CPU:
 * nop's is 1, count's and match's are CPU loops, histogram's 256 bins are
 * CPU byte counts. At the end the ring's done and per-opcode counters equal
 * what was published. Chunks are small (0-4 KiB) so this stays fast.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "ringfix.h"

#define NSLOTS  64
#define SEQ0    (65536u - 1024u)
#define TOTAL   6000u
#define MAXLEN  4096u
#define NPATS   8

/* the claim generation (16 bits of the sequence) wraps, with generations of every slot after it */
_Static_assert(SEQ0 + TOTAL > 65536u + 64u * NSLOTS,
	       "TOTAL must pass the 16-bit claim generation");

struct slotwork {
	uint32_t opcode, arg0, arg1;
	uint32_t len, tail;
	uint32_t want; /* scalar ops */
};

struct state {
	struct ringfix *f;
	uint64_t seed;
	struct slotwork w[NSLOTS];
	/*
	 * What each slot holds, as written. The references are computed on
	 * this copy, never read back from the arena: in persistent mode the
	 * arena is BAR, and byte reads of it cost a PCIe round trip each (the
	 * histogram check alone took over 120 s on the H200).
	 */
	uint8_t data[NSLOTS][MAXLEN + VYRE_PATTERN_MAX];
	uint32_t freed[NSLOTS];
	uint32_t nfreed;
	uint32_t published, done;
	uint32_t per_class[4];
};

static const uint32_t pat_len[NPATS] = {1, 2, 3, 5, 17, 64, 255, 256};
static uint8_t pats[NPATS][VYRE_PATTERN_MAX];
static const uint32_t ops[4] = {VYRE_OP_NOP, VYRE_OP_COUNT, VYRE_OP_MATCH, VYRE_OP_HISTOGRAM};

static uint32_t cpu_scalar(const struct slotwork *w, const uint8_t *d)
{
	uint32_t n = 0;

	switch (w->opcode) {
	case VYRE_OP_NOP:
		return 1;
	case VYRE_OP_COUNT:
		for (uint32_t i = 0; i < w->len; i++)
			n += d[i] == w->arg0;
		return n;
	case VYRE_OP_MATCH:
		for (uint32_t i = 0; i < w->len && i + w->arg0 <= w->len + w->tail; i++)
			n += !memcmp(d + i, pats[w->arg1], w->arg0);
		return n;
	}
	return 0;
}

/* New random work in slot: data, op, and the CPU's answer. */
static void publish(struct state *st, uint32_t slot)
{
	struct slotwork *w = &st->w[slot];
	uint8_t *d = st->data[slot];
	uint64_t x = ringfix_rand(&st->seed);
	uint32_t k = x & 3, dense = (x >> 2) & 1;

	*w = (struct slotwork){.opcode = ops[k]};
	w->len = (x >> 8) % 8 == 0 ? 0 : (uint32_t)((x >> 16) % (MAXLEN + 1));
	if (w->opcode == VYRE_OP_MATCH) {
		w->arg1 = (x >> 40) % NPATS;
		w->arg0 = pat_len[w->arg1];
		w->tail = (x >> 48) & 1 ? w->arg0 - 1 : 0;
	} else if (w->opcode == VYRE_OP_COUNT) {
		w->arg0 = 'a' + (x >> 40) % 3;
	}
	/* "ab" uniform, or mostly 'a': dense hits for short and long patterns */
	for (uint32_t i = 0; i < w->len + w->tail; i += 8) {
		uint64_t r = ringfix_rand(&st->seed);
		for (uint32_t b = 0; b < 8 && i + b < w->len + w->tail; b++, r >>= 8)
			d[i + b] = dense ? ((r & 0xFF) < 8 ? 'b' : 'a') : "ab"[r & 1];
	}
	if (w->opcode != VYRE_OP_HISTOGRAM)
		w->want = cpu_scalar(w, d);
	CHECK(ringfix_publish(st->f, slot, w->opcode, w->arg0, w->arg1, d, w->len, w->tail) == 0,
	      "publish slot %u (#%u)", slot, st->published);
	st->per_class[k]++;
	st->published++;
}

static void harvest(void *ctx, const struct ring_done *d)
{
	struct state *st = ctx;
	const struct slotwork *w = &st->w[d->slot];

	CHECK(d->status == VYRE_SLOT_DONE, "slot %u (#%u) opcode 0x%x: status %u error %u",
	      d->slot, st->done, w->opcode, d->status, d->error);
	if (w->opcode == VYRE_OP_HISTOGRAM) {
		const uint8_t *p = st->data[d->slot];
		uint32_t want[VYRE_HIST_BINS] = {0}, got[VYRE_HIST_BINS];

		for (uint32_t i = 0; i < w->len; i++)
			want[p[i]]++;
		CHECK(ring_done_bins(d, got) == 0, "slot %u (#%u): bins never showed its sequence",
		      d->slot, st->done);
		for (int b = 0; b < VYRE_HIST_BINS; b++)
			CHECK(got[b] == want[b],
			      "slot %u (#%u) histogram len %u bin 0x%02x: gpu %u cpu %u", d->slot,
			      st->done, w->len, b, got[b], want[b]);
	} else {
		CHECK(d->result == w->want,
		      "slot %u (#%u) opcode 0x%x arg0 %u arg1 %u len %u tail %u: gpu %u cpu %u",
		      d->slot, st->done, w->opcode, w->arg0, w->arg1, w->len, w->tail, d->result,
		      w->want);
	}
	st->freed[st->nfreed++] = d->slot;
	st->done++;
}

int main(void)
{
	static const uint32_t classes[4] = {VYRE_OPCLASS_NOP, VYRE_OPCLASS_COUNT,
					    VYRE_OPCLASS_MATCH, VYRE_OPCLASS_HIST};
	struct ringfix f;
	static struct state st;
	time_t until;

	st = (struct state){.f = &f, .seed = 100000};
	ringfix_open(&f, NSLOTS, MAXLEN, -1);
	CHECK(ring_seq_start(f.r, 0) == -EINVAL && ring_seq_start(f.r, 1u << 18) == -EINVAL,
	      "ring_seq_start took a sequence of tag 0");
	CHECK(ring_seq_start(f.r, SEQ0) == 0, "ring_seq_start");
	for (uint32_t i = 0; i < NPATS; i++) {
		/* mostly 'a', with a 'b' in the short ones so "ab"-data hits them */
		memset(pats[i], 'a', pat_len[i]);
		if (pat_len[i] > 1 && pat_len[i] < 17)
			pats[i][1] = 'b';
		ringfix_set_pattern(&f, i, pats[i], pat_len[i]);
	}
	for (uint32_t s = 0; s < NSLOTS; s++)
		publish(&st, s);
	CHECK(ring_seq_start(f.r, SEQ0) == -EBUSY, "ring_seq_start after a publish");
	/* a hang is no completion for 120 s; a loaded box is merely slow */
	until = time(NULL) + 120;
	while (st.done < TOTAL) {
		CHECK(ring_kick(f.r) >= 0, "kick");
		st.nfreed = 0;
		if (!ring_harvest(f.r, harvest, &st)) {
			CHECK(time(NULL) < until, "stuck: %u done, %u outstanding, %llu launches",
			      st.done, ring_outstanding(f.r),
			      (unsigned long long)ring_launches(f.r));
			/*
			 * On a CPU device a spinning host starves the device's
			 * threads (2.5x slower on 2 cores): sleep on the launch
			 * briefly, so slots still come back while it runs.
			 */
			if (f.g->is_cpu)
				ring_wait_launch(f.r, 200 * 1000);
			else
				sched_yield();
			continue;
		}
		until = time(NULL) + 120;
		/* ring_harvest empties a slot after the callback: refill now */
		for (uint32_t i = 0; i < st.nfreed && st.published < TOTAL; i++)
			publish(&st, st.freed[i]);
	}
	CHECK(ring_outstanding(f.r) == 0, "%u outstanding", ring_outstanding(f.r));
	CHECK(ring_done_count(f.r) == TOTAL, "done counter %u, want %u", ring_done_count(f.r),
	      TOTAL);
	for (int k = 0; k < 4; k++)
		CHECK(ring_op_count(f.r, classes[k]) == st.per_class[k],
		      "opcode 0x%x: counter %u, published %u", ops[k],
		      ring_op_count(f.r, classes[k]), st.per_class[k]);
	printf("ok %u slots through %u (%u nop, %u count, %u match, %u histogram), "
	       "%llu launches\n",
	       st.done, NSLOTS, st.per_class[0], st.per_class[1], st.per_class[2],
	       st.per_class[3], (unsigned long long)ring_launches(f.r));
	ringfix_close(&f);
	return 0;
}
