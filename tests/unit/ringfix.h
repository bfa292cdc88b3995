/* SPDX-License-Identifier: MIT */
/*
 * ringfix.h - a GPU, an arena and a ring for tests that drive the ring
 * protocol directly (no pump thread), always under the validation layer.
 */
#ifndef VYRE_RINGFIX_H
#define VYRE_RINGFIX_H

#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "gpu.h"
#include "pump.h"
#include "ring.h"
#include "check.h"

struct ringfix {
	struct gpu *g;
	struct arena a;
	struct ring *r;
	uint32_t nslots;
	uint32_t chunk;
	uint32_t pat_base; /* VYRE_MAX_BATCHES pattern entries in the job data pool */
};

/* mode: -1 picks as kernel=auto would (relaunch on lavapipe). */
void ringfix_open(struct ringfix *f, uint32_t nslots, uint32_t chunk, int mode);
/* Destroys everything; fails the test if the validation layer said anything. */
void ringfix_close(struct ringfix *f);
/* Kicks and harvests until nothing is outstanding (fails after 120 s). */
void ringfix_drain(struct ringfix *f, void (*fn)(void *, const struct ring_done *), void *ctx);
/* Copies len bytes into slot's region and publishes op over them. */
int ringfix_publish(struct ringfix *f, uint32_t slot, uint32_t opcode, uint32_t arg0,
		    uint32_t arg1, const void *data, uint32_t len, uint32_t tail);
uint64_t ringfix_rand(uint64_t *state);
/*
 * Pattern entry i (of VYRE_MAX_BATCHES, VYRE_PATTERN_MAX bytes each): a job
 * data region of the pool that ringfix_open reserves, so a test can keep
 * many match patterns in flight. ringfix_publish gives a match slot entry
 * arg1's region.
 */
void ringfix_set_pattern(struct ringfix *f, uint32_t i, const uint8_t *pat, uint32_t len);
uint32_t ringfix_pattern_at(const struct ringfix *f, uint32_t i);

#endif
