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

struct pump_owner {
	uint32_t id;
	uint32_t jobs;  /* active jobs of this owner */
	uint32_t slots; /* slots its jobs hold (reading or published) */
	struct pump_owner *next;
};

/* One file of a packed job (pack.c); result, got, err, scanned under p->lock. */
struct pump_pfile {
	int fd;
	uint32_t size; /* planned */
	uint32_t off;  /* its first byte in the slot's region (16-aligned) */
	bool reads_block; /* on FUSE and the like (pack_read): closed by io-wq (job_end) */
	uint32_t got;
	int err;
	bool scanned;
	uint64_t result;
	/* the file cache (cache.c, pfiles.c): the identity at submit (cid_ok:
	 * cacheable), and this admission's copy in the cache (cache_ent,
	 * CACHE_NONE: read from the file), at cache_at there, pinned by slot
	 * pin_slot - 1 */
	bool cid_ok;
	struct cache_ident cid;
	uint32_t cache_ent, cache_at, pin_slot;
};

/* A packed file's room in its slot's region: 16-byte aligned starts. */
static inline uint32_t pack_round(uint32_t v)
{
	return (v + 15u) & ~15u;
}

/* A slot as the pump thread sees it; the GPU-visible words are in ring.c. */
enum pump_slot_state {
	PSLOT_FREE,      /* EMPTY, region unused */
	PSLOT_READING,   /* io_uring read in flight into the region */
	PSLOT_PUBLISHED, /* PUBLISHED/CLAIMED on the ring, waiting for its done word */
	PSLOT_HELD,      /* harvested, kept by the job's op to publish again */
};

/*
 * What a taken slot holds: its reads complete, time out and harvest by
 * kind (read.c, pack.c, slot.c). Set when it is filled; 0 after a free.
 */
enum pump_slot_kind {
	PSLOT_CHUNK,  /* a chunk of its job's file (read.c) */
	PSLOT_PACKED, /* a packed chunk: several files, one read each (pack.c) */
	PSLOT_OPREAD, /* an op's own read (pump_op_read: grep's continuations) */
	PSLOT_FENCE,  /* its job's batch fence (admit.c): no data, no read */
};

struct pump_slot {
	enum pump_slot_state state;
	enum pump_slot_kind kind;
	struct pump_job *job; /* holds a reference while not FREE */
	uint64_t index;    /* chunk index within the job */
	uint64_t file_off; /* file offset of the chunk's first byte */
	uint32_t want;     /* bytes asked of the file: chunk + tail window */
	uint32_t got;      /* bytes read so far (short reads resubmit the rest) */
	uint32_t data_len; /* bytes of the chunk proper, once read */
	int tail_err;      /* the read with the tail window failed: reread alone (read.c) */
	uint32_t pack_pending; /* a packed chunk: file reads still out */
	void *op_ctx;      /* the op's record of what the slot holds */
	struct pump_owner *po; /* the owner whose share counts it (pump_slot_take) */
	uint64_t read_ns;  /* a chunk's read: when it was queued (deadline) */
	/* its read outlived PUMP_READ_TIMEOUT or its job's cancel: the chunk
	 * failed and the job went on; the slot is freed when the read returns,
	 * and counts against its owner until then */
	bool abandoned;
	/* the file cache (cache.c), each an entry's index + 1, 0: none. A
	 * chunk read from the cache instead of the file (pinned until the
	 * slot is freed); a cache slot the GPU copies the chunk into
	 * (committed at the slot's first harvest) */
	uint32_t cache_read, cache_fill;
	uint32_t cache_skip; /* an op's read from the cache: its first byte in the cache slot */
};

/*
 * One chunk's result for an ordered fold (PUMP_RESULT_FOLD), built by the
 * op and folded in chunk order (fold.c). The op owns it until fold_part.
 */
struct pump_part_line {
	uint64_t pos; /* chunk-relative line start */
	uint64_t nl;  /* '\n' in the chunk before it */
};

struct pump_part {
	uint64_t index;    /* chunk index: parts fold in this order */
	uint64_t file_off; /* the chunk's first byte */
	uint64_t count;    /* selected lines */
	uint64_t nl;       /* '\n' in the chunk proper */
	struct pump_part_line *lines; /* lines=1: the selected lines, any order */
	size_t nlines, cap;
	bool skip;         /* failed or cancelled: only its place in the order */
	struct pump_part *next; /* fold.c's pending list */
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
	int (*wait)(struct pump_job *j, int timeout_ms);
	int (*cancel)(struct pump_job *j);
	void (*free)(struct pump_job *j);
};
extern const struct pump_job_ops job_unit_ops;  /* job.c */
extern const struct pump_job_ops job_group_ops; /* group.c */

struct pump_job {
	atomic_int refs;
	const struct pump_job_ops *ops; /* set at creation, never changes */
	struct pump *p;         /* its unit; NULL for a spread job */
	struct pump_group *grp; /* a spread job's group (group.c's alone) */
	struct pump_job *next; /* on a pump list: submitted (p->lock) or active */

	/* Set by pump_submit, read-only after. */
	int fd;
	const struct pump_op *op;
	uint32_t byte;
	uint8_t *data;      /* the op's data blob (op->prep), freed with the job */
	uint32_t data_len;  /* 0: no data region */
	uint64_t offset;
	uint32_t chunk;
	bool direct;
	uint32_t tail; /* bytes read past each chunk (op->prep: match's pattern_len - 1) */
	uint64_t t_submit_ns;
	uint32_t owner; /* pump_scan.owner */
	enum pump_priority priority; /* never PUMP_PRIO_DEFAULT */
	void (*on_end)(void *arg);
	void *on_end_arg;
	/* a packed job (pack.c): set at submit */
	struct pump_pfile *pfiles;
	uint32_t npfiles;
	uint32_t *pack_first; /* chunks + 1: chunk k holds files [pack_first[k], pack_first[k+1]) */
	/* pump thread: chunks to read again without the files a hung read
	 * held (pack_abandon), taken before next_index; room for every chunk */
	uint32_t *pack_redo;
	uint32_t npack_redo;

	/* The file cache (cache.c): the file's identity at submit; cached
	 * when the unit has a cache and the identity proves a change (set at
	 * submit, read-only after). Hits and misses: pump thread. */
	struct cache_ident cache_id;
	bool cached;
	uint64_t cache_hits, cache_misses;

	/* Pump thread only. */
	bool reads_block;  /* its file has no non-blocking reads (FUSE): every read via io-wq */
	uint64_t end;      /* file offset the chunks stop at; shrinks at EOF */
	/* The whole scan's bounds: [offset, end) unless the job is one span of
	 * a job spread over units (units.c), whose tail windows and grep lines
	 * cross into the next span's bytes; scan_end shrinks at EOF too. */
	uint64_t scan_start, scan_end;
	uint64_t next_off; /* next chunk to read */
	uint64_t next_index;
	struct pump_owner *po; /* its owner's share of the slots */
	uint32_t reads;     /* chunks reading */
	uint32_t published; /* data slots published, not harvested */
	uint64_t published_total;
	uint32_t batch; /* fence batch, pattern index and GPU tenant id */
	uint32_t data_off;  /* the data region in the ring's pool, once placed */
	bool data_placed;
	uint32_t grep;      /* PUMP_GREP_* (set at submit) */
	uint64_t max;       /* max= (set at submit) */
	void *opstate;      /* the op's per-job state (pump thread) */
	bool stop_admit;    /* the fold has what it needs (max=): no more chunks */
	/* ordered fold (fold.c), pump thread */
	uint64_t fold_next; /* index of the next chunk to fold */
	uint64_t fold_nl;   /* '\n' in the chunks folded so far (under p->lock) */
	struct pump_part *fold_pending; /* parts waiting for earlier ones, by index */
	bool fence_published;
	bool fence_done;
	/* trace=1 or a replay (trace.c): set at submit; records under p->lock */
	struct trace *trace;
	bool replay; /* publishes a trace's slots, not its own chunks */

	/* Under p->lock; read by job.c's accessors from any thread. */
	enum pump_job_state state;
	atomic_bool cancel;
	uint64_t length;
	uint64_t chunks, chunks_done, chunks_failed, bytes_done;
	uint64_t cached_bytes; /* of its chunks' bytes, those read from the file cache */
	uint64_t reruns; /* grep: chunk passes run again from what did not fit */
	uint64_t result;
	uint64_t hist[VYRE_HIST_BINS];
	struct pump_chunk_error *errors;
	size_t nerrors, errors_cap;
	struct pump_line *lines; /* grep lines=1, in file order */
	size_t nlines, lines_cap;
	uint32_t epoch;
	uint64_t t_end_ns;
	/* where a job's time goes (pump thread writes, under p->lock) */
	uint64_t t_taken_ns, t_read_ns, t_published_ns, t_harvested_ns, t_fence_ns, t_fence_done_ns;
};

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
	const char *ingest;
	enum ring_mode mode;
	pthread_t thread;
	bool thread_started;
	int efd;
	uint64_t efd_buf;
	atomic_uint queued; /* jobs submitted, not yet taken: the idle spin watches it */
	uint8_t *bounce;    /* PUMP_INLINE_READ_MAX of host memory when the arena is BAR */

	/* Pump thread only. */
	struct pump_slot *slots;
	uint32_t slots_free;
	struct pump_job *active; /* jobs admitted to the ring, round-robin */
	struct pump_job *rr;     /* the next job to get a chunk */
	struct pump_owner *owners; /* owners of the active jobs */
	/* per level: slots given to a higher level while this one had chunks ready */
	uint32_t starved[PUMP_PRIO_LEVELS];
	uint32_t *batch_free;
	uint32_t nbatch_free;
	uint32_t batches; /* ids handed out: VYRE_MAX_BATCHES, or VYRE_BATCHES (tests only) */
	uint32_t pending_sqes;
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
	uint32_t traced_out; /* traced slots on the ring (trace.c polls their claims) */
	struct debug_ring *dbg; /* gpu_debug: the drained records (debug_ring.c) */

	/* Under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* broadcast when any job ends */
	struct pump_job *submitted, **submitted_tail;
	bool stopping;
	/* set once, by the pump thread's watchdog; pump_dead reads it lock-free */
	atomic_bool dead;
	uint64_t t_stop_ns;
	uint64_t jobs_active, jobs_done, jobs_failed;
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

/*
 * Where a slot's chunk is for the GPU (ring_work.data_off): its arena
 * region, or the cache slot it is read from.
 */
static inline uint64_t pump_slot_data(const struct pump *p, uint32_t slot)
{
	uint32_t c = p->slots[slot].cache_read;

	return c ? RING_DATA_CACHED | (cache_offset(p->cache, c - 1) + p->slots[slot].cache_skip)
		 : arena_offset(&p->arena, slot);
}

static inline uint64_t pump_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The unit was given up on (watchdog.c); pairs with pump_die's release store. */
static inline bool pump_is_dead(struct pump *p)
{
	return atomic_load_explicit(&p->dead, memory_order_acquire);
}

/* The errno a slot that did not complete records: the host's (a dead unit), else EIO. */
static inline int pump_done_err(const struct ring_done *d)
{
	return d->host_err ? d->host_err : EIO;
}

/* uring.c */
int uring_open(struct pump *p);
void uring_close(struct pump *p);
int uring_read(struct pump *p, uint32_t slot);
int uring_read_at(struct pump *p, uint32_t slot, int fd, uint32_t region_off, uint32_t len,
		  uint64_t file_off, uint64_t tag, bool blocks);
bool uring_reads_block(int fd);
/* pfiles.c: a packed job's files (data only) */
int pack_plan(struct pump_job *j, const struct pump_scan *scan);
void pack_forget(struct pump_job *j);
void pack_close(struct pump_job *j);
struct ring_done;
void pack_harvest_locked(struct pump_job *j, const struct pump_slot *s, const struct ring_done *d);
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

/*
 * A read's CQE tag (user_data): the slot in the low 32 bits, and for a
 * packed chunk's file its index + 1 in the high 32 (0: the slot's own
 * read); all ones: the wakeup eventfd's read. uring.c and pack.c make
 * tags, read.c's reaper splits them; nothing else looks inside one.
 */
#define URING_WAKEUP_TAG UINT64_MAX
#define URING_CLOSE_TAG  (UINT64_MAX - 1) /* uring_close_fd's: nothing to do when it is in */
static inline uint64_t uring_tag(uint32_t slot, uint32_t file_plus_one)
{
	return (uint64_t)slot | (uint64_t)file_plus_one << 32;
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
int pump_queue(struct pump *p, struct pump_job *j);
void pump_kick(struct pump *p);
int pump_cache_drop(struct pump *p);
/* Unit p's file cache holds the chunk at off of the file id; false off p's
 * own pump thread (the cache is that thread's alone) or without a cache. */
bool pump_cache_holds(struct pump *p, const struct cache_ident *id, uint64_t off);

/* watchdog.c */
int watchdog_init(struct pump *p);
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
/* For ops' hooks: start an op read of want bytes at off into the slot. */
int pump_op_read(struct pump *p, uint32_t slot, uint64_t off, uint32_t want);

/* slot.c. For ops' hooks: a free slot for j (or -EBUSY), free it, publish
 * with the pump's accounting. */
int pump_slot_take(struct pump *p, struct pump_job *j);
void pump_slot_free(struct pump *p, uint32_t slot);
int pump_slot_publish(struct pump *p, uint32_t slot, const struct ring_work *w);
/* a read slot's work onto the ring, with the pump's accounting */
int pump_publish_read(struct pump *p, struct pump_job *j, uint32_t slot, struct ring_work *w);
bool pump_slot_may(const struct pump *p, const struct pump_job *j);
struct pump_owner *pump_owner_get(struct pump *p, uint32_t id);
void pump_owner_put(struct pump *p, struct pump_job *j);
void pump_harvest_one(void *ctx, const struct ring_done *d);

/* fold.c */
void fold_part(struct pump *p, struct pump_job *j, struct pump_part *part);
void fold_skip(struct pump *p, struct pump_job *j, uint64_t index);
void fold_flush(struct pump *p, struct pump_job *j);
void fold_lines(struct pump_job *j, const struct pump_part *part);
void part_free(struct pump_part *part);
int part_add_line(struct pump_part *part, uint64_t pos, uint64_t nl);

/* slot.c: the pump thread's half of a job */
void job_end(struct pump *p, struct pump_job *j);
void job_chunk_failed(struct pump *p, struct pump_job *j, uint64_t index, uint64_t off,
		      int err);
/* As job_chunk_failed, unless the chunk is listed already. */
void job_chunk_failed_once(struct pump *p, struct pump_job *j, uint64_t index, uint64_t off,
			   int err);
void job_free(struct pump_job *j);
/* a slot's (or the active list's) reference to a unit job */
void job_hold(struct pump_job *j);
void job_drop(struct pump_job **jp);

/* job.c */
int job_file_size(int fd, uint64_t *size);
struct timespec;
void job_deadline(struct timespec *until, int timeout_ms);

#endif
