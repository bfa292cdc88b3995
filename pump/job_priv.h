/* SPDX-License-Identifier: MIT */
/*
 * job_priv.h - a unit job and a slot of the ring as the pump's files and
 * its ops share them (ops/op.h includes it; fs/ never does). Which thread
 * writes which field, and under which lock, is said beside each; an op
 * reads the job's fields and owns only its own: j->opstate, the data blob
 * and tail its prep sets, and a slot's op_ctx.
 */
#ifndef VYRE_JOB_PRIV_H
#define VYRE_JOB_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h" /* struct cache_ident, a job's file identity */
#include "pump.h"

struct pump_share;
struct pump_group;
struct pump_job_ops;
struct trace;

/* One file of a packed job (pack.c); result, got, err, scanned under p->lock. */
struct pump_pfile {
	int fd;
	uint32_t size; /* planned */
	uint32_t off;  /* its first byte in the slot's region (16-aligned) */
	/* whether its reads block (FUSE and the like: then they go to io-wq),
	 * asked by its first read itself (pack.c pack_read) */
	enum pump_pfile_rb {
		PF_RB_UNKNOWN, /* not asked yet */
		PF_RB_ASKING,  /* its first read is out with RWF_NOWAIT */
		PF_RB_NO,      /* RWF_NOWAIT was taken: reads go inline */
		PF_RB_YES,     /* RWF_NOWAIT failed EOPNOTSUPP: reads go to io-wq */
	} rb;
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
	/* its statx as the job ended (pack_end_stats; pump thread, then read
	 * under p->lock after the end): end_ok false if it failed */
	bool end_ok;
	uint32_t end_nlink;
	uint64_t end_size;
	int64_t end_mtime_sec;
	uint32_t end_mtime_nsec;
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
	struct pump_share *po; /* the owner whose share counts it (pump_slot_take) */
	struct pump_share *pf; /* the flow whose share counts it, if its job has one */
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
 * What only the op reads (grep: its selected lines and per_pattern=1's
 * sets) hangs off opstate, the op's to lay out, freed with the part by
 * the row's part_cleanup hook.
 */
struct pump_part {
	uint64_t index;    /* chunk index: parts fold in this order */
	uint64_t file_off; /* the chunk's first byte */
	uint64_t count;    /* the chunk's count, for the op's fold (grep: selected lines) */
	uint64_t nl;       /* '\n' in the chunk proper */
	void *opstate;     /* the op's per-part state, or NULL */
	bool skip;         /* failed or cancelled: only its place in the order */
	struct pump_part *next; /* fold.c's pending list */
};

struct pump_job {
	atomic_int refs;
	const struct pump_job_ops *ops; /* set at creation, never changes */
	struct pump *p;         /* its unit; NULL for a spread job */
	struct pump_group *grp; /* a spread job's group (group.c's alone) */
	struct pump_job *next; /* on a pump list: submitted (p->lock) or active */

	/* Set by pump_submit, read-only after. */
	int fd;
	const struct pump_op *op;
	uint8_t *data;      /* the op's data blob (op->prep), freed with the job */
	uint32_t data_len;  /* 0: no data region */
	uint64_t offset;
	uint32_t chunk;
	bool direct;
	uint32_t tail; /* bytes read past each chunk (op->prep: match's pattern length - 1) */
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
	/* pump thread: the files' end stats (pack_end_stats), asked once
	 * every slot of the job is in; their IORING_OP_STATX buffers, which the
	 * kernel writes until each CQE is in (so job_free leaves them to a
	 * stat still out at unit stop), and how many are out */
	bool end_asked;
	struct statx *end_stx;
	uint32_t end_out;

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
	struct pump_share *po; /* its owner's share of the slots */
	uint64_t flow;        /* pump_scan.flow; 0: its own */
	struct pump_share *pf; /* flow != 0: its flow's share (NULL without memory) */
	uint32_t slots;       /* slots it holds: its share when it is its own flow */
	uint64_t seq;         /* taken order (p->taken_seq): a flow's oldest goes first */
	uint64_t rank_seq;    /* a rerun: its packed job's seq, taken as its own */
	uint32_t reads;     /* chunks reading */
	uint32_t published; /* data slots published, not harvested */
	uint64_t published_total;
	uint32_t batch; /* fence batch, pattern index and GPU tenant id */
	uint32_t data_off;  /* the data region in the ring's pool, once placed */
	bool data_placed;
	/* the op's per-job blob: its arguments (from pump_scan, at prep),
	 * state and results, its own to lay out and lock (grep: struct
	 * grep_job); freed by the row's cleanup hook */
	void *opstate;
	bool stop_admit;    /* the op has what it needs (grep's max=): no more chunks */
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
	uint32_t epoch;
	uint64_t t_end_ns;
	/* where a job's time goes (pump thread writes, under p->lock) */
	uint64_t t_taken_ns, t_read_ns, t_published_ns, t_harvested_ns, t_fence_ns, t_fence_done_ns;
};

#endif
