/* SPDX-License-Identifier: MIT */
/*
 * op.h - all an op (pump/ops/<name>.c, one row of abi/vyre_ops.h) sees of
 * the pump, as io_uring/opdef.h is all an io_uring opcode sees of the
 * ring: the job and slot it works on (job_priv.h), the work and completion
 * formats (ring_work.h), and the calls below. struct pump is opaque here:
 * an op takes, publishes, reads and frees slots, fails chunks and counts
 * them only through these calls, each of which keeps the pump's slot
 * accounting, counters and locks. An op never includes pump_priv.h, ring.h
 * or arena.h.
 *
 * Threads: every call here is the pump thread's (an op's hooks run there;
 * prep on the submitter's, before the job is queued), except the ones that
 * say otherwise.
 */
#ifndef VYRE_PUMP_OP_H
#define VYRE_PUMP_OP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../job_priv.h"
#include "../log.h"
#include "../pump.h"
#include "../ring_work.h"

/* ---- slots: take, publish, free ----------------------------------------- */

/* Slot i of the unit: its job, chunk index and offset, and the op's op_ctx. */
struct pump_slot *pump_slot_at(struct pump *p, uint32_t slot);
/* A free slot for j (held by j, counted against its owner), or -EBUSY. */
int pump_slot_take(struct pump *p, struct pump_job *j);
void pump_slot_free(struct pump *p, uint32_t slot);
/* Free slots now: an op starts no read it cannot place. */
uint32_t pump_slots_free(const struct pump *p);
/*
 * Publishes a slot the op holds (a rerun, a continuation), with the
 * pump's accounting and trace; a work without a tile size gets the op
 * row's (pump_op_tile_shift). 0, or a negative errno: nothing went out.
 */
int pump_slot_publish(struct pump *p, uint32_t slot, const struct ring_work *w);
/* The slot's line record area (host-coherent), *words long (ring_rec): an
 * op may leave words there for the GPU before it publishes the slot. */
uint32_t *pump_slot_rec(struct pump *p, uint32_t slot, uint32_t *words);
/* ring_work.data_off for the slot's chunk: its arena region, or the file
 * cache's copy it was read from. */
uint64_t pump_slot_data(const struct pump *p, uint32_t slot);

/* ---- reads ---------------------------------------------------------------- */

/* Starts an op read of want bytes at file offset off into a slot the op
 * took; the op's read_done hook gets the bytes read, or a negative errno. */
int pump_op_read(struct pump *p, uint32_t slot, uint64_t off, uint32_t want);

/* ---- failing and counting chunks ----------------------------------------- */

/* Chunk index (first byte at off) failed with positive errno err: listed
 * in the job's errors, counted in its and the unit's chunks_failed. */
void job_chunk_failed(struct pump *p, struct pump_job *j, uint64_t index, uint64_t off,
		      int err);
/* As job_chunk_failed, unless the chunk is listed already. */
void job_chunk_failed_once(struct pump *p, struct pump_job *j, uint64_t index, uint64_t off,
			   int err);
/* A chunk of bytes bytes was scanned: the job's and the unit's counters. */
void pump_account_chunk(struct pump *p, struct pump_job *j, uint32_t bytes);
/* The same, with the job's lock held (pump_job_lock). */
void pump_account_chunk_locked(struct pump *p, struct pump_job *j, uint32_t bytes);
/* A chunk pass runs again over bytes already run (grep's reruns). */
void pump_account_rerun(struct pump *p, struct pump_job *j);
/*
 * The lock over a unit job's shared state (result, counters, a packed
 * job's files), which readers on other threads take (pump_job_info): held
 * for a few stores, across no call but the _locked ones, nothing taken
 * under it. Any thread.
 */
void pump_job_lock(struct pump_job *j);
void pump_job_unlock(struct pump_job *j);

/* ---- the unit ------------------------------------------------------------- */

/* Bytes of a slot's region (a chunk, its tail window, an op read's most). */
uint64_t pump_region_bytes(const struct pump *p);
/* The unit's device is a CPU (lavapipe): ops keep lanes' loops under its cap. */
bool pump_is_cpu(const struct pump *p);

/* ---- the ordered fold (fold.c), for PUMP_RESULT_FOLD ops ------------------ */

/* Takes part: folded (the op's fold hook, under the job's lock) once
 * every chunk before it has been. */
void fold_part(struct pump *p, struct pump_job *j, struct pump_part *part);
/* A part not folded (the ring refused its chunk): freed, with its opstate
 * (the row's part_cleanup hook). */
void part_free(const struct pump_job *j, struct pump_part *part);
/*
 * Room for need elements of size bytes in arr (*cap now), doubling from
 * first: arr or its successor (*cap grown), NULL when memory runs out
 * (arr and *cap untouched). The parts' and a fold's growing arrays.
 */
void *fold_grow(void *arr, size_t *cap, size_t need, size_t size, size_t first);

/* ---- packed jobs (pfiles.c) ----------------------------------------------- */

/* A packed slot's per-file words into its files' results (job's lock held). */
void pack_harvest_locked(struct pump_job *j, const struct pump_slot *s, const struct ring_done *d);

/* ---- small helpers ---------------------------------------------------------- */

static inline uint64_t pump_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The errno a slot that did not complete records: the host's (a dead unit), else EIO. */
static inline int pump_done_err(const struct ring_done *d)
{
	return d->host_err ? d->host_err : EIO;
}

#endif
