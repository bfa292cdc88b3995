// SPDX-License-Identifier: MIT
/*
 * tenant_mask_faults_only_masked: in one launch, the slots of masked
 * tenants complete as FAULT with VYRE_ERR_MASKED (count over several tiles,
 * match, histogram, nop alike) while unmasked tenants' slots, including
 * tenants whose bits share a mask word with a masked one, complete DONE
 * with the CPU's results. A mask set after publishing but before the
 * kernel runs still applies (how cancel reaches the GPU). After unmasking,
 * the same tenants' slots run normally.
 */
#include <string.h>

#include "ringfix.h"

#define NSLOTS 8
#define CHUNK  (3u << 20) /* several tiles: ring.c's are <= 1 MiB */

/*
 * The slots' bytes as written: references are computed on this copy, not
 * read back from the arena, which in persistent mode is BAR (a PCIe round
 * trip per CPU read: this test took 61 s on the H200 for it).
 */
static uint8_t host_data[NSLOTS][CHUNK];

struct results {
	uint32_t status[NSLOTS], error[NSLOTS], result[NSLOTS];
	uint32_t hist[NSLOTS][VYRE_HIST_BINS];
	const struct job *jobs; /* what each slot runs: only histogram slots have bins */
	int n;
};

/* What slot s runs, and for whom. */
struct job {
	uint32_t tenant;
	uint32_t opcode;
	uint32_t len;
};

static const uint8_t pattern[] = "abca";

static void collect(void *ctx, const struct ring_done *d)
{
	struct results *r = ctx;

	r->status[d->slot] = d->status;
	r->error[d->slot] = d->error;
	r->result[d->slot] = d->result;
	memset(r->hist[d->slot], 0, sizeof(r->hist[0]));
	if (d->status == VYRE_SLOT_DONE && r->jobs[d->slot].opcode == VYRE_OP_HISTOGRAM)
		CHECK(ring_done_bins(d, r->hist[d->slot]) == 0,
		      "slot %u: bins never showed the slot's sequence", d->slot);
	r->n++;
}

static uint32_t cpu_scalar(const struct job *j, const uint8_t *d)
{
	uint32_t n = 0;

	switch (j->opcode) {
	case VYRE_OP_NOP:
		return 1;
	case VYRE_OP_COUNT:
		for (uint32_t i = 0; i < j->len; i++)
			n += d[i] == 'c';
		return n;
	case VYRE_OP_MATCH:
		for (uint32_t i = 0; i + 4 <= j->len; i++)
			n += !memcmp(d + i, pattern, 4);
		return n;
	}
	return 0;
}

static void publish(struct ringfix *f, uint32_t s, const struct job *j)
{
	struct ring_work w = {
		.opcode = j->opcode,
		.tenant = j->tenant,
		.arg0 = j->opcode == VYRE_OP_MATCH ? 4 : 'c',
		.arg2 = ringfix_pattern_at(f, 0), /* pattern entry 0 */
		.jd_len = VYRE_PATTERN_MAX,
		.data_off = arena_offset(&f->a, s),
		.data_len = j->len,
		.batch = VYRE_NO_BATCH,
	};
	w.tile_shift = pump_op_tile_shift(f->g, &w);
	CHECK(ring_publish(f->r, s, &w) == 0, "publish slot %u", s);
}

static bool is_masked(const uint32_t *masked, uint32_t tenant)
{
	for (; *masked != UINT32_MAX; masked++)
		if (*masked == tenant)
			return true;
	return false;
}

static void mask(struct ringfix *f, const uint32_t *tenants, bool on)
{
	for (; *tenants != UINT32_MAX; tenants++)
		ring_mask_tenant(f->r, *tenants, on);
}

/*
 * Runs jobs[] in one launch and checks each slot: the tenants in masked[]
 * (UINT32_MAX-terminated) must fault, all others complete. late[] are
 * masked after publishing, before the kick, and count as masked.
 */
static void run(struct ringfix *f, const struct job *jobs, const uint32_t *masked,
		const uint32_t *late, const char *what)
{
	struct results *r = calloc(1, sizeof(*r));
	uint32_t nmasked = 0;

	CHECK(r, "calloc");
	r->jobs = jobs;
	for (uint32_t s = 0; s < NSLOTS; s++)
		publish(f, s, &jobs[s]);
	mask(f, late, true);
	ringfix_drain(f, collect, r);
	CHECK(r->n == NSLOTS, "%s: harvested %d", what, r->n);
	for (uint32_t s = 0; s < NSLOTS; s++) {
		const struct job *j = &jobs[s];
		const uint8_t *d = host_data[s];

		if (is_masked(masked, j->tenant) || is_masked(late, j->tenant)) {
			bool ok = r->status[s] == VYRE_SLOT_FAULT && r->error[s] == VYRE_ERR_MASKED;

			CHECK(ok, "%s: slot %u tenant %u (masked) opcode 0x%x: status %u error %u",
			      what, s, j->tenant, j->opcode, r->status[s], r->error[s]);
			nmasked++;
			continue;
		}
		CHECK(r->status[s] == VYRE_SLOT_DONE && r->error[s] == VYRE_ERR_NONE,
		      "%s: slot %u tenant %u (unmasked) opcode 0x%x: status %u error %u", what, s,
		      j->tenant, j->opcode, r->status[s], r->error[s]);
		if (j->opcode == VYRE_OP_HISTOGRAM) {
			uint32_t want[VYRE_HIST_BINS] = {0};

			for (uint32_t i = 0; i < j->len; i++)
				want[d[i]]++;
			for (int b = 0; b < VYRE_HIST_BINS; b++)
				CHECK(r->hist[s][b] == want[b],
				      "%s: slot %u tenant %u bin 0x%02x: gpu %u cpu %u", what, s,
				      j->tenant, b, r->hist[s][b], want[b]);
		} else {
			CHECK(r->result[s] == cpu_scalar(j, d),
			      "%s: slot %u tenant %u opcode 0x%x: gpu %u cpu %u", what, s,
			      j->tenant, j->opcode, r->result[s], cpu_scalar(j, d));
		}
	}
	mask(f, late, false);
	printf("ok %s: %u slots FAULT/MASKED, %u DONE and correct\n", what, nmasked,
	       NSLOTS - nmasked);
	free(r);
}

int main(void)
{
	/* 3 and 4 share mask word 0; 32, 34 and 35 word 1; 4095 is the last bit */
	const struct job jobs[NSLOTS] = {
		{3, VYRE_OP_COUNT, CHUNK - 1},      {4, VYRE_OP_COUNT, CHUNK - 1},
		{35, VYRE_OP_HISTOGRAM, CHUNK - 5}, {34, VYRE_OP_HISTOGRAM, 300001},
		{4095, VYRE_OP_MATCH, CHUNK - 7},   {4, VYRE_OP_MATCH, 500001},
		{3, VYRE_OP_NOP, 0},                {32, VYRE_OP_NOP, 0},
	};
	const uint32_t three[] = {3, 35, 4095, UINT32_MAX};
	const uint32_t two[] = {3, 35, UINT32_MAX};
	const uint32_t last[] = {4095, UINT32_MAX};
	const uint32_t late[] = {3, 4, 34, UINT32_MAX};
	const uint32_t none[] = {UINT32_MAX};
	uint64_t seed = 0x74656e;
	struct ringfix f;

	ringfix_open(&f, NSLOTS, CHUNK, -1);
	ringfix_set_pattern(&f, 0, pattern, 4);
	for (uint32_t s = 0; s < NSLOTS; s++) {
		uint8_t *d = host_data[s];
		for (uint32_t i = 0; i < CHUNK; i++)
			d[i] = "abc"[ringfix_rand(&seed) % 3];
		memcpy(arena_region(&f.a, s), d, CHUNK);
	}
	mask(&f, three, true);
	run(&f, jobs, three, none, "tenants 3, 35, 4095 masked");
	mask(&f, two, false);
	run(&f, jobs, last, none, "3 and 35 unmasked, 4095 still masked");
	mask(&f, last, false);
	run(&f, jobs, none, none, "all unmasked");
	/* a persistent kernel is running before any kick: only a relaunched one
	 * can be relied on not to have claimed the slots yet */
	if (ring_mode(f.r) == RING_RELAUNCH) {
		run(&f, jobs, none, late, "3, 4, 34 masked after publish, before the kick");
		run(&f, jobs, none, none, "3, 4, 34 unmasked again");
	}
	ringfix_close(&f);
	return 0;
}
