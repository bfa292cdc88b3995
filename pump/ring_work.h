/* SPDX-License-Identifier: MIT */
/*
 * ring_work.h - what a slot carries onto the ring and what its completion
 * brings back: the two formats the pump, its ops (ops/op.h) and ring.c
 * share. Types only: an op reaches the ring through the pump (op.h), never
 * by ring.c's functions.
 */
#ifndef VYRE_RING_WORK_H
#define VYRE_RING_WORK_H

#include <stdint.h>

#include "vyre_abi.h"

/* What one slot carries; ring_publish writes it into the slot's words. */
struct ring_work {
	uint32_t opcode;
	uint32_t tenant;   /* GPU tenant id: bit in the mask table */
	uint32_t arg0, arg1, arg2; /* arg2: the job data region's offset, if any */
	uint64_t data_off; /* chunk's offset in the arena, or RING_DATA_CACHED | its offset in the cache */
	uint32_t data_len;
	uint32_t tail_len;
	uint32_t batch;    /* VYRE_NO_BATCH or the fence batch it counts toward */
	uint32_t jd_len;   /* bytes of the job data region at arg2 (0: none) */
	uint32_t tile_shift; /* log2 of tile bytes; 0: RING_TILE_SHIFT_DEFAULT */
	uint32_t packed;     /* a packed slot of this many files (tail_len: its table) */
	uint32_t tee;        /* VYRE_W_TEE: 0, or the cache slot to copy the chunk into */
};

/* A work's tile size when it names none: 1 MiB (count and histogram lanes
 * then do 256 16-byte loads). */
#define RING_TILE_SHIFT_DEFAULT 20u

/* data_off's bit for VYRE_DATA_CACHED (the high bit of W_DATA_HI) */
#define RING_DATA_CACHED ((uint64_t)VYRE_DATA_CACHED << 32)

struct ring_done {
	uint32_t slot;
	uint32_t status; /* VYRE_SLOT_DONE or VYRE_SLOT_FAULT */
	uint32_t error;  /* VYRE_ERR_* */
	uint32_t epoch;  /* fences */
	uint32_t result;
	const uint32_t *hist; /* VYRE_HIST_WORDS: (count, sequence) per bin; read with ring_done_bins */
	const uint32_t *out;  /* VYRE_GO_WORDS of op output (grep) */
	const uint32_t *rec;  /* grep's line records (VYRE_REC_*), rec_max of them */
	uint32_t rec_max;
	uint32_t op[VYRE_OP_WORDS]; /* the op's counters (VYRE_D_OP) */
	uint32_t seq;     /* the sequence the slot was published with (grep's out tags) */
	int host_err; /* 0: the GPU's record; else the host ended the slot (ring_abandon), this errno */
};

#endif
