// SPDX-License-Identifier: MIT
/*
 * The file cache's blocks (pump/cache_block.c): offsets split by block,
 * a shrink drops the last block's entries at once but frees its memory
 * only once no entry of it is pinned (a slot out may still name it), new
 * bytes never go into a draining or freed block, and grow makes freed
 * blocks again at their old numbers. Bookkeeping only: no shader runs
 * (cache_budget.bats runs jobs through a shrinking cache).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "check.h"

#define NSLOTS 130 /* 3 a block: 44 blocks, the last holding one */
#define REGION (64u << 10)

static struct cache_ident ident(uint64_t ino)
{
	return (struct cache_ident){.dev = 1, .ino = ino, .size = REGION, .ctime_ns = 1};
}

static uint64_t capacity(struct cache *c)
{
	return atomic_load_explicit(&c->capacity, memory_order_relaxed);
}

int main(void)
{
	struct gpu *g = NULL;
	struct cache *c = NULL;
	struct cache_ident id;
	uint32_t i, e, pin_last, pin_mid;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("VYRE_VALIDATION", "1", 0);
	ret = gpu_open(getenv("VYRE_TEST_DEVICE"), &g);
	CHECK(ret == 0, "gpu_open: %d", ret);
	ret = cache_create(g, NSLOTS, REGION, &c);
	CHECK(ret == 0, "cache_create: %d", ret);
	CHECK(c->per_block == 3 && c->nblocks == 44 && c->blocks[43].n == 1, "blocks %u x %u",
	      c->nblocks, c->per_block);
	CHECK(c->shift == 18, "shift %u: 3 x 64 KiB spans 256 KiB", c->shift);
	for (i = 0; i < NSLOTS; i++)
		CHECK(cache_offset(c, i) == ((uint64_t)(i / 3) << 18) + (uint64_t)(i % 3) * REGION,
		      "slot %u at %llu", i, (unsigned long long)cache_offset(c, i));
	CHECK(capacity(c) == (uint64_t)NSLOTS * REGION, "capacity %llu",
	      (unsigned long long)capacity(c));

	/* every slot holds one file's chunk */
	for (i = 0; i < NSLOTS; i++) {
		id = ident(i + 1);
		e = cache_reserve(c, &id, 0, REGION, REGION);
		CHECK(e != CACHE_NONE, "reserve %u", i);
		cache_commit(c, e, 0);
	}
	CHECK(atomic_load(&c->bytes) == (uint64_t)NSLOTS * REGION, "bytes");
	/* a slot reads the last block's entry, another one of block 42 */
	id = ident(NSLOTS);
	pin_last = cache_lookup(c, &id, 0, REGION);
	CHECK(pin_last == 129, "the last file in slot %u", pin_last);
	id = c->ents[127].f->id;
	pin_mid = cache_lookup(c, &id, 0, REGION);
	CHECK(pin_mid == 127, "the file in slot 127: %u", pin_mid);

	/* the last block drains: dropped at once, freed only when unpinned */
	CHECK(cache_shrink_begin(c) == 0, "shrink");
	CHECK(cache_shrink_begin(c) == -EBUSY, "a second shrink while one drains");
	CHECK(capacity(c) == (uint64_t)(NSLOTS - 1) * REGION, "capacity after one");
	CHECK(atomic_load(&c->shrinks) == 1, "shrinks");
	id = ident(NSLOTS);
	CHECK(!cache_holds(c, &id, 0), "the last block's file is dropped");
	CHECK(c->ents[129].state == CE_DEAD, "a pinned entry is DEAD until its unpin");
	CHECK(cache_shrink_idle(c) == -EBUSY, "pinned: not idle");
	cache_unpin(c, pin_last);
	CHECK(cache_shrink_idle(c) == 43, "idle once unpinned");
	cache_shrink_end(g, c);
	CHECK(!c->blocks[43].buf.buf && !c->draining, "block 43 freed");

	/* block 42: two entries go now, the pinned one at its unpin */
	CHECK(cache_shrink_begin(c) == 0, "shrink 42");
	CHECK(c->live_slots == 126, "live slots %u", c->live_slots);
	CHECK(atomic_load(&c->bytes) == 126ull * REGION, "bytes %llu",
	      (unsigned long long)atomic_load(&c->bytes));
	/* new files take room only in the live blocks, evicting there */
	for (i = 0; i < 200; i++) {
		id = ident(1000 + i);
		e = cache_reserve(c, &id, 0, REGION, REGION);
		CHECK(e != CACHE_NONE && e < 126, "new bytes in slot %u", e);
		cache_commit(c, e, 0);
	}
	CHECK(cache_shrink_idle(c) == -EBUSY, "slot 127 still pinned");
	cache_unpin(c, pin_mid);
	CHECK(cache_shrink_idle(c) == 42, "idle");
	cache_shrink_end(g, c);
	CHECK(capacity(c) == 126ull * REGION, "capacity");

	/* made again, at their numbers; the next new bytes go there first */
	CHECK(cache_grow(g, c) == 42, "grow 42");
	CHECK(c->blocks[42].buf.buf && c->live_slots == 129, "block 42 back");
	id = ident(5000);
	e = cache_reserve(c, &id, 0, REGION, REGION);
	CHECK(e >= 126 && e < 129, "new bytes in the made block: %u", e);
	CHECK(cache_offset(c, e) >> 18 == 42, "its offset names block 42");
	cache_commit(c, e, 0);
	CHECK(cache_grow(g, c) == 43, "grow 43");
	CHECK(cache_grow(g, c) == -ENOENT, "every block live");
	CHECK(capacity(c) == (uint64_t)NSLOTS * REGION, "capacity back");

	/* the whole cache given back and made again */
	while ((ret = cache_shrink_begin(c)) == 0) {
		CHECK(cache_shrink_idle(c) >= 0, "nothing pinned");
		cache_shrink_end(g, c);
	}
	CHECK(ret == -ENOENT && capacity(c) == 0 && atomic_load(&c->bytes) == 0, "all given back");
	id = ident(6000);
	CHECK(cache_reserve(c, &id, 0, REGION, REGION) == CACHE_NONE, "no room without blocks");
	for (i = 0; i < 44; i++)
		CHECK(cache_grow(g, c) == (int)i, "grow %u", i);
	e = cache_reserve(c, &id, 0, REGION, REGION);
	CHECK(e != CACHE_NONE, "room again");
	cache_commit(c, e, 0);
	CHECK(cache_holds(c, &id, 0), "held");

	cache_destroy(g, &c);
	gpu_close(&g);
	CHECK(gpu_validation_errors() == 0, "validation errors: %u", gpu_validation_errors());
	printf("ok cache blocks: offsets, shrink waits for pins, grow\n");
	return 0;
}
