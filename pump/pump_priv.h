/* SPDX-License-Identifier: MIT */
/*
 * pump_priv.h - the pump unit's insides, shared by the files of pump/
 * (ARCHITECTURE.md "Threads and ownership" lists them, top to bottom:
 * unit.c, watchdog.c, admit.c, read.c, pack.c, slot.c, pfiles.c).
 */
#ifndef VYRE_PUMP_PRIV_H
#define VYRE_PUMP_PRIV_H

#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "arena.h"
#include "cache.h"
#include "gpu.h"
#include "job_priv.h"
#include "ops/op.h"
#include "pump.h"
#include "ring.h"

/*
 * One owner (a uid, for fs/) with jobs on the ring: admission gives the next
 * free slot to the owner holding the fewest, so one user's many jobs get
 * one user's share. Pump thread only; freed when its last job retires.
 */
/*
 * One owner's ended jobs on this unit, summed (pump_retire): what
 * pump_info shows a viewer other than root (pump_info_viewer) instead of
 * everyone's counters, whose deltas told one user the size of a file
 * another had scanned (issue 21 item 13). Under p->lock; freed with the pump.
 */
struct pump_tally {
	uint32_t owner;
	uint64_t chunks_done, chunks_failed, bytes;
	uint64_t cache_hits, cache_misses; /* its jobs' chunks from the file cache, and not */
	uint64_t reruns;
	/* the slots its jobs published, by op class: the GPU's op_exec counts
	 * every owner's, a chunk count of another's file (4 KiB chunks) */
	uint64_t op_exec[VYRE_OPCLASSES];
	struct pump_tally *next;
};

#define PUMP_SLOTS_RESERVE 2 /* free slots kept for owners holding fewer (pump_slot_take) */
/*
 * A chunk read still out after this fails ETIMEDOUT and its job goes on
 * (pump_read_deadlines): a file on a source that never answers
 * (fuse_sources=1, a hung NFS server) left its job running for good, and
 * cancel and rmdir with it. Generous: a 64 MiB chunk from a slow disk.
 */
#define PUMP_READ_TIMEOUT_NS (60ull * 1000000000ull)

/*
 * A share of the slots: the active jobs of one owner (pump_scan.owner) or
 * of one flow (pump_scan.flow, fs/many.c: one per tree job) and the slots
 * they hold (reading or published). Slots go to the owner holding fewest,
 * then within it to the flow holding fewest (admit.c). Pump thread only;
 * a share goes once it has no active job and holds no slot.
 */
struct pump_share {
	uint64_t id;
	uint32_t jobs;
	uint32_t slots;
	struct pump_share *next;
};

struct pump_group;

/*
 * What a kind of job does behind the handle fs/ holds (job.c dispatches
 * every pump_job_* accessor through it): the unit job (job.c, one unit's
 * chunks; a packed job is one too) or the spread job (group.c, spans that
 * are unit jobs). free runs on the last reference.
 */
struct pump_job_ops {
	void (*info)(struct pump_job *j, struct pump_job_info *info);
	void (*hist)(struct pump_job *j, uint64_t bins[VYRE_HIST_BINS]);
	/* copies up to max lines from the first-th on; returns how many there are in all */
	size_t (*lines)(struct pump_job *j, size_t first, struct pump_line *out, size_t max);
	size_t (*errors)(struct pump_job *j, struct pump_chunk_error *out, size_t max);
	size_t (*patterns)(struct pump_job *j, uint64_t *out, size_t max);
	int (*wait)(struct pump_job *j, int timeout_ms);
	int (*cancel)(struct pump_job *j);
	void (*free)(struct pump_job *j);
};
extern const struct pump_job_ops job_unit_ops;  /* job.c */
extern const struct pump_job_ops job_group_ops; /* group.c */

struct pump {
	struct pump_config cfg;
	struct gpu *gpu;
	struct arena arena;
	struct cache *cache; /* -o cache=: NULL when off */
	struct ring *ring;
	struct io_uring uring;
	bool uring_ready;
	bool registered; /* arena registered as fixed buffers */
	bool async;      /* IOSQE_ASYNC on buffered reads */
	bool pack_async; /* a big pack's small reads on io-wq too (pack.c; VYRE_PACK_ASYNC=1) */
	const char *ingest;
	enum ring_mode mode;
	pthread_t thread;
	bool thread_started;
	int efd;
	uint64_t efd_buf;
	/* jobs submitted, not yet taken: the idle spin watches it; added to
	 * under qlock, taken from under lock (with jobs_taken) */
	atomic_uint queued;
	uint8_t *bounce;    /* PUMP_INLINE_READ_MAX of host memory when the arena is BAR */

	/* Pump thread only. */
	struct pump_slot *slots;
	uint32_t slots_free;
	struct pump_job *active; /* jobs admitted to the ring, round-robin */
	struct pump_job *rr;     /* the next job to get a chunk */
	struct pump_share *owners; /* owners of the active jobs */
	struct pump_share *flows;  /* flows of the active jobs (pump_scan.flow != 0) */
	uint64_t taken_seq;        /* jobs taken so far: each job's seq */
	/* per level: slots given to a higher level while this one had chunks ready */
	uint32_t starved[PUMP_PRIO_LEVELS];
	uint32_t *batch_free;
	uint32_t nbatch_free;
	uint32_t batches; /* ids handed out: VYRE_MAX_BATCHES, or VYRE_BATCHES (tests only) */
	uint32_t pending_sqes;
	uint32_t closes_out; /* IORING_OP_CLOSEs queued whose CQE is not in (uring_close_fd) */
	uint32_t stats_out;  /* IORING_OP_STATXs likewise (uring_statx) */
	bool wakeup_unarmed; /* the eventfd read could not be queued: retry, sleep briefly */
	/* the watchdog (pump_watchdog): since when no progress, last sample */
	uint64_t wd_since_ns; /* 0: no GPU work out, or progress in the last pass */
	/* chunk reads: how long one may take (PUMP_READ_TIMEOUT_NS, or
	 * VYRE_READ_TIMEOUT_MS for tests), when the deadlines were last checked */
	uint64_t read_timeout_ns, t_reads_checked_ns;
	struct pump_tally *tallies; /* (lock) per owner, pump_retire */
	uint64_t wd_sample_ns;
	uint64_t wd_timeout_ns, wd_every_ns;
	struct ring_life wd_life;
	/* VYRE_FAULT_GPU_STALL_AFTER (test only): no launch after this many */
	bool fault_stall, fault_stalled;
	uint64_t fault_stall_after;
	/* VYRE_FAULT_PUBLISH_FAIL=N (test only): the Nth chunk publish after
	 * the op's pack fails EIO, as a ring that refused it (0: never) */
	uint64_t fault_publish_fail, fault_publishes;
	uint64_t fault_cache_alloc; /* VYRE_FAULT_CACHE_ALLOC: cache allocations to fail */
	/* device memory pressure (budget.c): polled (a budget to read), the
	 * cache's heap, the next read; VYRE_FAULT_BUDGET (tests only): a
	 * number (fault_budget_set), or a file holding one */
	bool budget_polls, fault_budget_set;
	uint32_t budget_heap;
	uint64_t budget_next_ns, budget_shrunk_ns, fault_budget;
	char *fault_budget_path;
	uint32_t traced_out; /* traced slots on the ring (trace.c polls their claims) */
	struct debug_ring *dbg; /* gpu_debug: the drained records (debug_ring.c) */

	/*
	 * Under qlock: the queue fs/ submits into (pump_queue) and the pump
	 * thread takes from (pump_take_submitted). Its own lock, so a submit
	 * never waits behind the pump thread's job-state holds or a status
	 * reader. Never held with lock (ARCHITECTURE.md "Locks and their order").
	 */
	pthread_mutex_t qlock;
	struct pump_job *submitted, **submitted_tail;
	uint64_t t_stop_ns;
	/* set once, under qlock (so no job is queued after pump_destroy has
	 * cancelled the queue); read lock-free elsewhere */
	atomic_bool stopping;

	/* Under lock: job state (struct pump_job's shared fields) and counters. */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* broadcast when any job ends */
	/* set once, by the pump thread's watchdog; pump_dead reads it lock-free */
	atomic_bool dead;
	/* jobs taken off the queue and not ended; with queued, pump_jobs_active */
	uint64_t jobs_taken;
	uint64_t jobs_done, jobs_failed;
	uint64_t chunks_done, chunks_failed, bytes_scanned;
	uint64_t reruns; /* grep: chunk passes run again from what did not fit */
	uint32_t slots_reading, slots_published;
	/* the GPU's 32-bit per-opclass counters, accumulated 64-bit (pump_count_ops) */
	uint64_t op_exec[VYRE_OPCLASSES];
	uint32_t op_seen[VYRE_OPCLASSES]; /* the GPU value last added */
	uint64_t t_ops_counted_ns;
	uint64_t t_start_ns;
	/* drop-cache (pump_cache_drop): asked, and done by the pump thread */
	uint64_t cache_drop_req, cache_drop_done;
};

/* The unit was given up on (watchdog.c); pairs with pump_die's release store. */
static inline bool pump_is_dead(struct pump *p)
{
	return atomic_load_explicit(&p->dead, memory_order_acquire);
}

/* uring.c */
int uring_open(struct pump *p);
void uring_close(struct pump *p);
int uring_read(struct pump *p, uint32_t slot);
int uring_read_at(struct pump *p, uint32_t slot, int fd, uint32_t region_off, uint32_t len,
		  uint64_t file_off, uint64_t tag, bool blocks, bool nowait);
bool uring_reads_block(int fd);
/* pfiles.c: a packed job's files (data only) */
int pack_plan(struct pump_job *j, const struct pump_scan *scan);
void pack_forget(struct pump_job *j);
void pack_close(struct pump_job *j);
void pack_cache_unpin(struct pump *p, struct pump_job *j, uint32_t slot, uint64_t index);
void pack_cache_commit(struct pump *p, const struct pump_slot *s, uint32_t ent, bool done);
/* pack.c: a packed job's reads into its slots */
int pack_admit(struct pump *p, struct pump_job *j, uint32_t slot);
uint32_t pack_next_chunk(struct pump_job *j);
void pack_read_done(struct pump *p, uint32_t slot, uint32_t i, int res);
void pack_abandon(struct pump *p, uint32_t slot);
int uring_arm_wakeup(struct pump *p);
int uring_nop(struct pump *p, uint32_t slot);
int uring_close_fd(struct pump *p, int fd);
int uring_statx(struct pump *p, int fd, struct statx *stx, uint64_t tag);
/* pack.c: a packed job's end stats */
uint32_t pack_end_stats(struct pump *p, struct pump_job *j);
void pack_end_stat_done(struct pump *p, uint32_t batch, uint32_t i, int res);

/*
 * A CQE's tag (user_data). A read's: the slot in the low 32 bits, and for
 * a packed chunk's file its index + 1 in the high 32 (0: the slot's own
 * read). A packed file's end stat (uring_statx): URING_TAG_STAT and its
 * job's batch id in the low 32, the file's index + 1 in the high 32. All
 * ones: the wakeup eventfd's read; one less: a close. uring.c and pack.c
 * make tags, read.c's reaper splits them; nothing else looks inside one.
 */
#define URING_WAKEUP_TAG UINT64_MAX
#define URING_CLOSE_TAG  (UINT64_MAX - 1) /* uring_close_fd's: nothing to do when it is in */
#define URING_TAG_STAT	 0x80000000u
_Static_assert(VYRE_MAX_BATCHES < URING_TAG_STAT, "a batch id leaves the stat bit free");
static inline uint64_t uring_tag(uint32_t slot, uint32_t file_plus_one)
{
	return (uint64_t)slot | (uint64_t)file_plus_one << 32;
}
static inline uint64_t uring_tag_stat(uint32_t batch, uint32_t file)
{
	return uring_tag(URING_TAG_STAT | batch, file + 1);
}
/* Not the wakeup's or a close's (test those first). */
static inline bool uring_tag_is_stat(uint64_t tag)
{
	return (uint32_t)tag & URING_TAG_STAT;
}
static inline uint32_t uring_tag_slot(uint64_t tag)
{
	return (uint32_t)tag;
}
static inline uint32_t uring_tag_file_plus_one(uint64_t tag)
{
	return (uint32_t)(tag >> 32);
}

/* unit.c: the queue fs/ submits into, and the thread's wakeup */
/* Jobs queued or running on the unit; call with p->lock held. */
uint64_t pump_jobs_active_locked(struct pump *p);
static inline bool pump_is_stopping(struct pump *p)
{
	return atomic_load_explicit(&p->stopping, memory_order_acquire);
}
int pump_queue(struct pump *p, struct pump_job *j);
void pump_kick(struct pump *p);
int pump_cache_drop(struct pump *p);
/* Unit p's file cache holds the chunk at off of the file id; false off p's
 * own pump thread (the cache is that thread's alone) or without a cache. */
bool pump_cache_holds(struct pump *p, const struct cache_ident *id, uint64_t off);

/* watchdog.c */
int watchdog_init(struct pump *p);
/* budget.c: the cache under device memory pressure (pump thread, but init and fini) */
int budget_init(struct pump *p);
void budget_fini(struct pump *p);
void pump_budget(struct pump *p, uint64_t now);
/* How long the idle pump thread may sleep before pump_budget is due; 0: no limit. */
uint64_t pump_budget_wait_ns(const struct pump *p);
int pump_watchdog(struct pump *p, uint64_t now, int harvested);
bool pump_fault_stalled(struct pump *p);

/* admit.c */
int pump_take_submitted(struct pump *p);
int pump_admit(struct pump *p);
void pump_retire(struct pump *p);

/* read.c */
#define PUMP_INLINE_READ_MAX (64u << 10) /* pump_read_inline: at most this, on the pump thread */
#define PUMP_READ_CHECK_NS   100000000ull /* read deadlines are looked at every 100 ms */
int pump_admit_chunk(struct pump *p, struct pump_job *j);
int pump_reap(struct pump *p);
int pump_read_deadlines(struct pump *p, uint64_t now);

/* slot.c (and what ops/op.h declares: take, free, publish, account) */
/* a read slot's work onto the ring, with the pump's accounting */
int pump_publish_read(struct pump *p, struct pump_job *j, uint32_t slot, struct ring_work *w);
bool pump_slot_may(const struct pump *p, const struct pump_job *j);
/* the share of id in list, counting one more job; NULL without memory (unfair, not wrong) */
struct pump_share *pump_share_get(struct pump_share **list, uint64_t id);
/* *sp's job is no longer active: one job less, the share gone if it is empty */
void pump_share_put(struct pump_share **list, struct pump_share **sp);
/* a slot of the share freed */
void pump_share_slot_free(struct pump_share **list, struct pump_share *s);
uint32_t pump_flow_slots(const struct pump_job *j);
void pump_harvest_one(void *ctx, const struct ring_done *d);

/* fold.c */
void fold_skip(struct pump *p, struct pump_job *j, uint64_t index);
void fold_flush(struct pump *p, struct pump_job *j);

/* slot.c: the pump thread's half of a job */
void job_end(struct pump *p, struct pump_job *j);
void job_free(struct pump_job *j);
/* a slot's (or the active list's) reference to a unit job */
void job_hold(struct pump_job *j);
void job_drop(struct pump_job **jp);

/* job.c */
int job_file_size(int fd, uint64_t *size);
struct timespec;
void job_deadline(struct timespec *until, int timeout_ms);

#endif
