/* SPDX-License-Identifier: MIT */
/*
 * ring.h - the host side of the ring protocol (ARCHITECTURE.md "Ring protocol states"). Private to pump/.
 *
 * A ring is owned by one pump thread; no function here is thread-safe.
 */
#ifndef VYRE_RING_H
#define VYRE_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "gpu.h"
#include "ring_work.h"
#include "vyre_abi.h"

enum ring_mode {
	RING_RELAUNCH = VYRE_MODE_RELAUNCH,
	RING_PERSISTENT = VYRE_MODE_PERSISTENT,
};

/*
 * A histogram slot's 256 bins, or the first n per-file counts of a packed
 * slot, as d's completion left them. The GPU stores each value beside the
 * slot's sequence in one 8-byte store; a value is taken only once that
 * sequence is d's (vyre_abi.h, VYRE_HIST_WORDS). 0, or -EIO when one never
 * showed it within RING_TAGGED_WAIT_NS: the chunk fails, no stale value is
 * used. Microseconds when a store is late; call without pump locks held
 * where that can be arranged.
 */
#define RING_TAGGED_WAIT_NS (1000ull * 1000000ull)
int ring_done_bins(const struct ring_done *d, uint32_t bins[VYRE_HIST_BINS]);
int ring_done_packed(const struct ring_done *d, uint32_t n, uint32_t *vals);

/*
 * Signs of life a GPU gives while slots are out, for the pump's watchdog:
 * any field changing means the GPU answered. Launches: in relaunch mode a
 * new launch happens only once the last one completed. Claims: the tiles
 * claimed in the claim words of the slots out, summed (the words' low
 * half: the high half is the generation the host wrote at publish, which
 * made a first launch still in lavapipe's cold JIT compile look alive and
 * lose its grace; a fence's claim that is rewound sums to nothing), so one
 * long dispatch still shows progress.
 */
struct ring_life {
	uint64_t launches;
	uint32_t heartbeat; /* persistent kernels only */
	uint32_t done;      /* slots completed, ever (device memory) */
	uint32_t claims;
};

struct ring;

/*
 * Creates the ring's buffers, placed for mode, and the megakernel bound to
 * them. chunk: the unit's largest chunk (sizes grep's line records);
 * arena_addr is the device address chunk offsets are relative to.
 */
int ring_create(struct gpu *g, uint32_t nslots, uint32_t chunk, enum ring_mode mode,
		uint64_t arena_addr, struct ring **out);
/*
 * As ring_create, the kernel also reaching the file cache: its blocks span
 * 1 << cache_shift cache offsets each, their addresses set by
 * ring_cache_block (vyre_abi.h VYRE_CI_CACHE_BLOCK).
 */
int ring_create_cached(struct gpu *g, uint32_t nslots, uint32_t chunk, enum ring_mode mode,
		       uint64_t arena_addr, uint32_t cache_shift, struct ring **out);
/* File cache block b is at device address addr (0: gone). */
void ring_cache_block(struct ring *r, uint32_t b, uint64_t addr);
/* 0, or -ETIMEDOUT: the kernel was hung and its objects were left (ring.c). */
int ring_destroy(struct ring **r);

/* Publishes work into an EMPTY slot; -EBUSY (nothing written) otherwise. */
int ring_publish(struct ring *r, uint32_t slot, const struct ring_work *w);
/* Calls fn for each slot whose done word has come; returns how many. */
int ring_harvest(struct ring *r, void (*fn)(void *ctx, const struct ring_done *d), void *ctx);
/* Launches the kernel if work is published and none is running. */
int ring_kick(struct ring *r);
/*
 * Sleeps until the running launch ends, at most timeout_ns. For a CPU
 * device only: there the "GPU" is our own cores, and polling its done words
 * would take a core from it. Completions are still read from done words.
 */
int ring_wait_launch(struct ring *r, uint64_t timeout_ns);
/* Slots published and not yet harvested. */
uint32_t ring_outstanding(const struct ring *r);
/* Asks a running kernel to exit and waits for it. */
int ring_stop(struct ring *r);
/* Reads the signs of life (a few device reads: not for every poll). */
void ring_life(const struct ring *r, struct ring_life *life);
/*
 * The GPU is given up on: every slot out is ended by the host, fn called
 * for each with status VYRE_SLOT_FAULT and host_err; the stop word is set
 * so a kernel that still runs exits. The ring must not be published to
 * again: the GPU may still read (or write) those slots. Returns how many.
 */
int ring_abandon(struct ring *r, int host_err, void (*fn)(void *ctx, const struct ring_done *d),
		 void *ctx);

uint32_t ring_epoch(const struct ring *r);
/* The debug ring's words (vyre_abi.h, VYRE_DBG_*), GPU-written; NULL without gpu_debug. */
const uint32_t *ring_debug(const struct ring *r);
/* A published slot's tiles word (VYRE_W_TILES) and sequence, as ring_publish wrote them. */
uint32_t ring_slot_tiles(const struct ring *r, uint32_t slot);
uint32_t ring_slot_seq(const struct ring *r, uint32_t slot);
uint32_t ring_status_word(const struct ring *r, uint32_t slot);
/* Published and not yet harvested (the host's record; no device read). */
bool ring_slot_busy(const struct ring *r, uint32_t slot);
uint64_t ring_launches(const struct ring *r);
uint32_t ring_heartbeat(const struct ring *r);
uint32_t ring_op_count(const struct ring *r, uint32_t opclass);
uint32_t ring_done_count(const struct ring *r);
/*
 * Job data regions in the pool (VYRE_DATA_POOL_BYTES, placed like the
 * slots): alloc returns the offset a slot's arg2 carries, or -ENOSPC while
 * the pool is full; write copies a job's blob in before its first slot.
 */
/* The slot's op output words (GPU-written, host-coherent); an op resets
 * what it needs before publishing. */
uint32_t *ring_out(struct ring *r, uint32_t slot);
/* The slot's line record area (host-coherent), *words long: a grep
 * continuation's state vector goes in there too (vyre_abi.h VYRE_SHIFT_ST_VECTOR).
 * Zero when first asked for (ring.c ring_rec_clear). */
uint32_t *ring_rec(struct ring *r, uint32_t slot, uint32_t *words);
int ring_data_alloc(struct ring *r, uint32_t len, uint32_t *off);
/* len bytes at off (a region's start, or a VYRE_DATA_ALIGN multiple inside
 * one), then zeros to the next VYRE_DATA_ALIGN boundary: the pool is not
 * cleared, so the padding a GPU read may cover is written too. */
void ring_data_write(struct ring *r, uint32_t off, const void *src, uint32_t len);
void ring_data_free(struct ring *r, uint32_t off, uint32_t len);
void ring_mask_tenant(struct ring *r, uint32_t tenant, bool masked);
enum ring_mode ring_mode(const struct ring *r);
const char *ring_place(const struct ring *r);

/*
 * Tests only: the ring's next publish takes sequence seq (a valid one:
 * ring_seq_after's), as if the ring had run that long, so a test reaches
 * the 16-bit claim generation's wrap without 65,536 publishes first.
 * Before any publish; -EBUSY after, -EINVAL for seq 0 or tag 0.
 */
int ring_seq_start(struct ring *r, uint32_t seq);

/*
 * The sequence published after seq. 0 means "not published", and a seq
 * whose out-word tag (VYRE_GO_TAG, its low 18 bits) is 0 would let words
 * of the record and out areas that no pass has written yet (zero since
 * gpu_buf_alloc) pass the host's landing check (pump/ops/grep_out.c) as
 * that seq's: both are skipped.
 */
static inline uint32_t ring_seq_after(uint32_t seq)
{
	do
		seq++;
	while (!VYRE_GO_TAG(seq));
	return seq;
}

#endif
