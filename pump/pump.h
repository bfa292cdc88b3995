/* SPDX-License-Identifier: MIT */
/*
 * pump.h - the one header fs/ (and tools/, tests/) may include from pump/.
 *
 * A pump is one unit of ARCHITECTURE.md "Threads and ownership": a GPU device, its ring and arena, one
 * io_uring and the thread that owns it. Nothing in it is global, so a later
 * device=all runs one pump per GPU.
 */
#ifndef VYRE_PUMP_H
#define VYRE_PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
/* by path, not through abi/ on the include path: a build that names only
 * -Ipump (tools/run-tests.sh's descriptor fuzzer) still finds it */
#include "../abi/vyre_abi.h"

/* ---- ops: one row per op (vyre_ops.h; the rows in ops/<name>.c) ------- */

enum pump_result_kind {
	PUMP_RESULT_SCALAR, /* one number, the sum of the chunks' results */
	PUMP_RESULT_HIST,   /* 256 bins, summed per bin */
	PUMP_RESULT_FOLD,   /* the op's own fold over the chunks in file order */
};

/* fs/ compiles the op's pattern= or patterns= (fs/grep.c) into its args'
 * dfa, ac or shift before the job starts. Which descriptor keys an op
 * takes is fs/desc_op.c's table, not the row's. */
#define PUMP_OP_ARG_GREP (1u << 2)

struct pump;
struct pump_scan;
struct pump_job;
struct pump_part;
struct pump_line;
union pump_op_args;
struct ring_work;
struct ring_done;
struct gpu;

/*
 * One op's host row. fs/ reads the descriptive fields; the hooks belong to
 * pump/ and are called on the pump thread (prep on the submitter's).
 * A NULL hook means the default given beside it.
 */
struct pump_op {
	const char *name;
	uint32_t code;    /* VYRE_OP_* */
	uint32_t opclass; /* VYRE_OPCLASS_*: index of its execution counter */
	uint32_t args;    /* PUMP_OP_ARG_GREP or 0 */
	enum pump_result_kind result;
	const char *usage;   /* arguments and result, for the ops file and errors */
	const char *summary; /* one line for README */

	/* At submit: check the scan, build the job's data blob (j->data,
	 * j->data_len: its GPU data region) and tail window (j->tail).
	 * NULL: the scan's data blob as given, no tail. */
	int (*prep)(struct pump_job *j, const struct pump_scan *scan);
	/* A chunk's argument words (arg0, arg1; arg2 and the region length
	 * are the job data region's, already set) for the chunk in slot.
	 * 0 or a negative errno (the chunk fails). NULL: none. */
	int (*pack)(struct pump *p, uint32_t slot, struct ring_work *w);
	/* The ring refused the chunk pack prepared (it is failed and its slot
	 * freed): drop what pack kept for it. NULL: pack keeps nothing. */
	void (*fail)(struct pump *p, uint32_t slot);
	/* log2 of a tile's bytes on this device, keeping every lane's loop
	 * far below lavapipe's cap. NULL: 20 (1 MiB). */
	uint32_t (*tile_shift)(const struct gpu *g, const struct ring_work *w);
	/* A spread job (group.c) gives one scan to many units, submitted
	 * after the caller's arguments are gone: copy what the op's own point
	 * at into one blob (malloc'd into *words, freed with the group) and
	 * set span (a copy of scan->args) to what the spans keep. The blob's
	 * first *nwords words are every span's scan data (grep: its DFA or
	 * pattern set laid out once; span keeps flags and max=, no pointers);
	 * 0: span's pointers point into it (match: the pattern). *words
	 * NULL: nothing to copy. NULL hook: the op's arguments hold no
	 * pointer. */
	int (*share)(const struct pump_scan *scan, uint32_t **words, uint32_t *nwords,
		     union pump_op_args *span);
	/* The most the scan's result may reach (grep's max=), 0: no limit.
	 * A spread job stops submitting spans once the spans ended in order
	 * reach it, and cuts its result and lines there. NULL: no limit. */
	uint64_t (*limit)(const struct pump_scan *scan);

	/* Ops whose chunks may need more GPU work than one pass (grep: a
	 * rerun of the chunk, continuations of open lines). All NULL for
	 * one-pass ops. */
	/* A harvested chunk or op slot: 1 keeps the slot for the op (it
	 * republishes it from admit), 0 frees it. Does its own accounting. */
	int (*harvest)(struct pump *p, uint32_t slot, const struct ring_done *d);
	/* Before new chunks: republish kept slots, start op reads. Returns
	 * the work started. */
	int (*admit)(struct pump *p, struct pump_job *j);
	/* An op read (pump_op_read) finished: got bytes, or a negative errno. */
	void (*read_done)(struct pump *p, uint32_t slot, int got);
	/* Op work still outstanding: the job's fence waits for it. */
	bool (*busy)(const struct pump_job *j);
	/* PUMP_RESULT_FOLD: combines one chunk's part into the job, called in
	 * file order under p->lock. */
	void (*fold)(struct pump_job *j, const struct pump_part *part);
	/* Frees a part's opstate (what the op hung on it for its fold),
	 * folded or not. NULL: the op hangs nothing there. */
	void (*part_cleanup)(void *opstate);
	/* What the fold keeps beside the scalar result, copied for readers on
	 * any thread (pump_job_lines_at, pump_job_patterns) with the job's
	 * lock held: up to max from first on; return how many there are in
	 * all. NULL: none (0). */
	size_t (*lines)(const struct pump_job *j, size_t first, struct pump_line *out, size_t max);
	size_t (*patterns)(const struct pump_job *j, uint64_t *out, size_t max);
	/* A packed job's file's per-pattern counts, as patterns (p->lock
	 * held). NULL: none. */
	size_t (*file_patterns)(const struct pump_job *j, size_t file, uint64_t *out, size_t max);
	/* A packed job's file's line records, as lines (p->lock held). NULL: none. */
	size_t (*file_lines)(const struct pump_job *j, size_t file, struct pump_line *out,
			     size_t max);
	/* Frees the op's per-job blob (j->opstate: its arguments, state and
	 * results), on every path a job that ran prep ends by: its last
	 * reference (job_free) or a failed submit. NULL: prep keeps none. */
	void (*cleanup)(struct pump_job *j);
};

/* The ops a user may name in a descriptor, in table order. */
extern const struct pump_op *const pump_ops[];
extern const size_t pump_ops_count;
const struct pump_op *pump_op_find(const char *name);
const struct pump_op *pump_op_by_code(uint32_t code);
/*
 * The tile size a work names (ring_work.tile_shift) when its publisher set
 * none: the row of its opcode says (its tile_shift hook), else 0, the
 * ring's default. The pump asks before each publish (slot.c), so the ring
 * never looks an op up; tests that publish on a bare ring ask it too.
 */
uint32_t pump_op_tile_shift(const struct gpu *g, const struct ring_work *w);
/* Name of an execution counter (VYRE_OPCLASS_*) for metrics; NULL if unused. */
const char *pump_opclass_name(uint32_t opclass);

/* ---- the unit ----------------------------------------------------------- */

enum pump_kernel {
	PUMP_KERNEL_AUTO,
	PUMP_KERNEL_PERSISTENT,
	PUMP_KERNEL_RELAUNCH,
};

struct pump_config {
	uint32_t slots;    /* ring slots (and arena regions) */
	uint32_t chunk;    /* default and largest chunk, bytes, power of two */
	const char *device; /* "INDEX" or a substring of the device name; NULL: best */
	enum pump_kernel kernel;
	bool direct;        /* default for jobs that do not say */
	int async;          /* IOSQE_ASYNC: 1 on, 0 off, -1 pick by core count */
	/* ms the GPU may show no progress while work is out before the unit is
	 * declared dead (pump_dead); 0: PUMP_GPU_TIMEOUT_DEFAULT */
	uint32_t gpu_timeout;
	uint32_t unit; /* its index among the units (units.c), for logs and fault injection */
	/* the file cache's bytes of device memory (cache.c); 0: off;
	 * PUMP_CACHE_AUTO: a share of the device's memory */
	uint64_t cache_bytes;
	/* gpu_debug: records in the kernel's debug ring, a power of two up to
	 * VYRE_DBG_RECORDS (pump_units_debug); 0: the production kernel */
	uint32_t debug;
};
#define PUMP_CACHE_AUTO UINT64_MAX

/* ARCHITECTURE.md "When the GPU stops answering": what counts as progress */
#define PUMP_GPU_TIMEOUT_DEFAULT 10000u
/* below a second a busy lavapipe was declared dead between two tile claims
 * (grep icase=1 lines=1, 64M chunks, 2 cores: gpu_timeout=100 tripped) */
#define PUMP_GPU_TIMEOUT_MIN     1000u
#define PUMP_GPU_TIMEOUT_MAX     86400000u /* a day */

#define PUMP_CHUNK_MIN   4096u
#define PUMP_CHUNK_MAX   (64u << 20)
#define PUMP_SLOTS_MAX   1024u

struct pump;
struct pump_job;

int pump_create(const struct pump_config *cfg, struct pump **out);
void pump_destroy(struct pump **p);
/*
 * The unit's GPU made no progress for gpu_timeout ms with work out: every
 * chunk it held failed ETIMEDOUT, and pump_submit now returns -ETIMEDOUT.
 * A unit never comes back to life; another layer may skip it.
 */
bool pump_dead(struct pump *p);

/* A scan to submit. On success the pump owns fd and closes it; on error the caller does. */
/*
 * Admission priority: vyre-runtime's five levels, level = value - 1
 * (critical 0 .. idle 4). PUMP_PRIO_DEFAULT (a zeroed pump_scan) is normal.
 */
enum pump_priority {
	PUMP_PRIO_DEFAULT,
	PUMP_PRIO_CRITICAL,
	PUMP_PRIO_HIGH,
	PUMP_PRIO_NORMAL,
	PUMP_PRIO_LOW,
	PUMP_PRIO_IDLE,
	PUMP_PRIO_END
};
#define PUMP_PRIO_LEVELS (PUMP_PRIO_END - PUMP_PRIO_CRITICAL)
const char *pump_priority_name(enum pump_priority p);
int pump_priority_parse(const char *s, size_t len, enum pump_priority *out); /* 0, -EINVAL */

/*
 * Packed jobs: small files share slots (pack.c). pump_scan.files lists
 * them, each at most pump_pack_file_max(chunk) bytes; its op must pack
 * (pump_op_packs). Each file gets its own result (pump_job_files).
 */
#define PUMP_PACK_FILE_MAX (64u << 10)
#define PUMP_PACK_JOB_MAX  4096u /* files in one packed job */
struct pump_file {
	int fd;        /* the pump's once submitted, like pump_scan.fd */
	uint32_t size; /* bytes to read (its size at open) */
};
struct pump_file_result {
	uint64_t result; /* the op's result for this file alone */
	uint32_t bytes;  /* bytes read */
	int err;         /* positive errno: read failed, ESTALE shrank, ECANCELED */
	/* The file as its job ended: statx'ed on the fd that was read, after
	 * its last read and before its close (pump/pack.c pack_end_stats);
	 * end_ok false where that failed. fs/many.c checks it for a change. */
	bool end_ok;
	uint32_t end_nlink;
	uint64_t end_size;
	int64_t end_mtime_sec;
	uint32_t end_mtime_nsec;
};
bool pump_op_packs(const struct pump_op *op);
uint32_t pump_pack_file_max(uint32_t chunk);
/* Copies up to max of a packed job's per-file results; returns how many files it has. */
size_t pump_job_files(struct pump_job *j, struct pump_file_result *out, size_t max);
/*
 * per_pattern=1: copies up to max of packed file file's per-pattern counts
 * (as pump_job_patterns, that file's lines alone; 0 for a file that failed
 * or was not scanned); returns how many patterns there are (0: none).
 */
size_t pump_job_file_patterns(struct pump_job *j, size_t file, uint64_t *out, size_t max);
/*
 * grep lines=1: copies up to max of packed file file's line records (as
 * pump_job_lines, that file's alone); returns how many it has.
 */
size_t pump_job_file_lines(struct pump_job *j, size_t file, struct pump_line *out, size_t max);

/*
 * grep's arguments (pump_scan.args.grep): the compiled patterns on one of three
 * engines, laid out by the op at submit (the pump keeps no pointer), and
 * its flags. Only pump/ops/grep*.c reads them: the generic job keeps none.
 */
struct pump_grep_args {
	const struct pump_dfa *dfa; /* the compiled patterns on the DFA engine */
	const struct pump_ac *ac;   /* or instead: a literal set on Aho-Corasick */
	const struct pump_shift *shift; /* or instead: a set on the bit-parallel engine */
	uint32_t flags;		    /* PUMP_GREP_* */
	uint64_t max;		    /* stop after this many selected lines (0: no limit) */
	/* What fs/grep.c compiles the above from, as the descriptor gave it
	 * (pattern= or patterns=; PUMP_GREP_FIXED, _ICASE, _UTF8): the pump
	 * never reads them, and a spread job's spans keep none (grep_share). */
	const uint8_t *pattern; /* pattern=, NULL: not given (patterns= instead) */
	uint32_t pattern_len;
	const char *patterns;	/* patterns=: an absolute path, read at submit; NULL: none */
};

/* count's: the byte to count (0..255). */
struct pump_count_args {
	uint32_t byte;
};

/* match's: the pattern, copied by the op at submit. */
struct pump_match_args {
	const uint8_t *pattern;
	uint32_t len; /* 1..VYRE_PATTERN_MAX */
};

/* Each op's own arguments, tagged by pump_scan.op: only that op's hooks
 * read its member (an op with none leaves it zero). */
union pump_op_args {
	struct pump_count_args count;
	struct pump_match_args match;
	struct pump_grep_args grep;
};

struct pump_scan {
	int fd;                        /* -1 for a packed job */
	const struct pump_file *files; /* a packed job's files (fd is then -1) */
	uint32_t nfiles;
	const struct pump_op *op;
	const void *data;       /* the op's data blob, copied by the pump */
	uint32_t data_len;      /* at most VYRE_JOB_DATA_MAX */
	union pump_op_args args; /* the op's own (tag: op), read by its hooks alone */
	uint64_t offset;
	uint64_t length; /* UINT64_MAX: to EOF */
	/* One span of a larger scan (units.c): that scan's [whole_start,
	 * whole_end), which the span's tail windows and grep's lines cross
	 * into. whole_end 0: the scan is whole. */
	uint64_t whole_start, whole_end;
	uint32_t chunk;  /* 0: the pump's default */
	uint32_t tenant; /* small tenant id for the mask table, < VYRE_TENANT_BITS */
	int direct;      /* -1: the pump's default */
	uint32_t owner;  /* who asked (fs/: the uid): admission is fair across owners */
	/* Jobs of one flow (fs/: a many-file job's files, its job id) take
	 * their owner's turns as one job would, oldest first; 0: its own. */
	uint64_t flow;
	/* A packed file run again alone (pump/ops/grep_packed.c): the running
	 * job it came from, whose flow and place in it the rerun takes, so a
	 * tree's first files' reruns go before its later packs (order=walk
	 * streams a file once every file before it ended). NULL otherwise. */
	const struct pump_job *rerun_of;
	enum pump_priority priority;
	/* Called once on the pump thread after the job's final state is set,
	 * with no pump lock held; may be NULL. The scan's fds (fd, files[].fd)
	 * are still open while it runs and closed after it returns (slot.c
	 * job_end, group.c group_finish): fs/many.c fstats a one-file job's
	 * here (a packed job's files the pump statx'es: pump_file_result). */
	void (*on_end)(void *arg);
	void *on_end_arg;
	/* trace=1: keep a record of every slot published (pump_job_trace).
	 * replay: publish exactly these slots, read from fd, instead of the
	 * job's own chunks (pump/trace.c); both place the job on one unit. */
	bool trace;
	const struct pump_replay_slot *replay;
	uint32_t nreplay;
};

/*
 * One slot of a trace to run again (README.md "Traces and replay"): the
 * words the replayed job's slot is published with, its chunk read from the
 * file at off (len bytes of chunk, tail more after them).
 */
struct pump_replay_slot {
	uint32_t ref; /* its record's number in the trace */
	uint32_t opcode, arg0, arg1;
	uint32_t tiles; /* the slot's VYRE_W_TILES word (tile size from it) */
	uint64_t off;
	uint32_t len, tail;
};
#define PUMP_TRACE_VERSION 1
/*
 * A traced job's records as text, one a line after a header (the unit,
 * job data, records and dropped counts), malloc'd into *text. -ENODATA:
 * the job keeps no trace (trace=1 not given, or its grep compiling yet).
 */
int pump_job_trace(struct pump_job *j, char **text, size_t *len);
/*
 * The slots of a trace text (pump_job_trace's lines, however headed) to
 * replay, malloc'd into *out; fences are skipped (the replay has its own).
 * -EINVAL with err naming the line and the fault, -ENOMEM.
 */
int pump_trace_parse(const char *text, size_t len, struct pump_replay_slot **out, uint32_t *n,
		     char *err, size_t errlen);

/*
 * grep's DFA, as the regex compiler (regex/regex.h, struct regex_dfa)
 * produces it; the fields alias the compiler's, nothing is copied until
 * pump_submit lays the table out in the job's data region.
 */
struct pump_dfa {
	uint32_t nstates;   /* state 0 = start; at most 65536 */
	uint32_t nclasses;  /* 1..256 */
	uint32_t start;
	const uint8_t *classes; /* 256: byte -> class */
	const uint32_t *next;   /* nstates * nclasses: s = next[s * nclasses + classes[byte]] */
	const uint8_t *accept;  /* nstates: a line ending in s is selected */
	const uint8_t *sink;    /* nstates: every byte but '\n' keeps s */
};

/*
 * A literal set's Aho-Corasick tables as the pump takes them (regex/'s
 * struct regex_ac and accept sets, regex/regex.h, without the pump
 * depending on regex/). The caller owns every array; the pump lays them
 * out in the job's data region (pump/ops/grep_pset.c, VYRE_PSET_* words)
 * at submit and keeps no pointer.
 */
struct pump_ac {
	uint32_t npatterns;
	uint32_t nstates, nclasses, ndense;
	const uint8_t *classes; /* 256 */
	const uint32_t *dense;	/* ndense * nclasses */
	const uint32_t *child;	/* nstates + 1 */
	const uint8_t *label;	/* nstates */
	const uint32_t *fail;	/* nstates */
	const uint32_t *acc;	/* nstates */
	uint32_t nsets;
	const uint32_t *setoff; /* nsets + 1 */
	const uint32_t *ids;	/* setoff[nsets] */
	const uint32_t *parent; /* nsets; UINT32_MAX: none */
	const uint32_t *first;	/* nsets; UINT32_MAX: the empty set */
	const uint32_t *eol;	/* NULL, or nstates: the set a line ending there adds ('$') */
	bool dfa; /* a DFA with accept sets: every row is the automaton, none may go */
};

/*
 * A pattern set on the bit-parallel engine (regex/'s struct regex_shift,
 * regex/regex.h, described there), as the pump takes it: the caller owns
 * every array; the pump checks and lays them out (pump/ops/grep_shift.c,
 * VYRE_SHIFT_* words) at submit and keeps no pointer.
 */
struct pump_shift {
	uint32_t npos, nwords, nclasses, ndist, npatterns, nexc;
	const uint8_t *classes;	  /* 256 */
	const uint32_t *byclass;  /* nclasses * nwords */
	const int32_t *dist;	  /* ndist */
	const uint32_t *mask;	  /* ndist * nwords */
	const uint32_t *first, *first_bol, *last, *last_eol; /* nwords each */
	const uint32_t *exc_src;  /* nwords */
	const uint32_t *exc_off;  /* npos + 1 */
	const uint32_t *exc_to;	  /* nexc */
	const uint32_t *owner;	  /* npos */
	const uint8_t *flags;	  /* npatterns: regex.h REGEX_SHIFT_ALWAYS, _EMPTY_LINE */
};
/*
 * The bit-parallel engine's bound on a CPU device (lavapipe's loop cap,
 * ARCHITECTURE.md "Pattern sets"), asked at compile time: 0 when one
 * byte of s costs at most PUMP_SHIFT_CPU_COST_MAX, else -E2BIG with
 * *pattern the last pattern (0-based) of the smallest leading part of s
 * over it and *cost what a byte of that part may cost. -EINVAL for tables
 * the pump would refuse, -ENOMEM. A unit on a CPU device refuses such a
 * job at submit (pump_units_any_cpu says whether one is).
 */
#define PUMP_SHIFT_CPU_COST_MAX 40000u /* = pump/ops/grep_priv.h GREP_SHIFT_WORST_CPU */
int pump_shift_cpu_fits(const struct pump_shift *s, uint32_t *pattern, uint64_t *cost);
/*
 * per_pattern=1 on this engine: 0 when what a line records at its start
 * and end fits (pump/ops/grep_shift.c), else -E2BIG with *pattern the
 * last pattern counted. A job past it is refused at submit.
 */
#define PUMP_SHIFT_PSET_FIXED_MAX 256u /* = abi/vyre_abi.h VYRE_SHIFT_PSET_FIXED_MAX */
int pump_shift_pset_fits(const struct pump_shift *s, uint32_t *pattern);
#define PUMP_SHIFT_ALWAYS     1u /* = REGEX_SHIFT_ALWAYS */
#define PUMP_SHIFT_EMPTY_LINE 2u /* = REGEX_SHIFT_EMPTY_LINE */

#define PUMP_GREP_INVERT (1u << 0) /* select lines that do not match */
#define PUMP_GREP_LINES  (1u << 1) /* keep LINE:OFFSET of each selected line */
#define PUMP_GREP_PSET   (1u << 2) /* per_pattern=1: lines per pattern, and each line's first (ac only) */
/* the compile's options (regex/regex.h struct regex_opts), fs/grep.c's alone */
#define PUMP_GREP_FIXED (1u << 3) /* fixed=1: literal patterns, like grep -F */
#define PUMP_GREP_ICASE (1u << 4) /* icase=1 */
#define PUMP_GREP_UTF8  (1u << 5) /* utf8=1: characters are UTF-8 */

int pump_submit(struct pump *p, const struct pump_scan *scan, struct pump_job **out);

enum pump_job_state {
	PUMP_JOB_QUEUED,
	PUMP_JOB_RUNNING,
	PUMP_JOB_DONE,
	PUMP_JOB_FAILED,    /* finished, at least one chunk failed */
	PUMP_JOB_CANCELLED,
};
const char *pump_job_state_name(enum pump_job_state s);

struct pump_chunk_error {
	uint64_t index;
	uint64_t offset;
	int err; /* positive errno */
};

struct pump_job_info {
	enum pump_job_state state;
	enum pump_priority priority;
	uint64_t chunk;
	uint64_t chunks;        /* planned; may shrink when the file does */
	uint64_t chunks_done;
	uint64_t chunks_failed;
	uint64_t reruns;        /* grep: chunk passes, packed files alone: run again (pump_info.reruns) */
	uint64_t bytes_done;
	uint64_t length;        /* planned bytes */
	uint64_t result;        /* scalar ops */
	uint32_t epoch;         /* epoch of the job's fence, 0 before */
	uint64_t elapsed_us;
	/* microseconds from submit to: the pump taking the job, its first read
	 * done, its first chunk published, its last chunk harvested, its fence
	 * published, its fence harvested (0 while not reached) */
	uint64_t taken_us, read_us, published_us, harvested_us, fence_us, fence_done_us;
	uint64_t newlines; /* grep: '\n' in the chunks folded so far (a spread job numbers lines by it) */
	uint64_t cached_bytes; /* bytes of its chunks read from the file cache, not the file */
};

void pump_job_info(struct pump_job *j, struct pump_job_info *info);
/* 256 bins; valid for PUMP_RESULT_HIST jobs */
void pump_job_hist(struct pump_job *j, uint64_t bins[VYRE_HIST_BINS]);
/* One selected line of a grep job: 1-based line number, byte offset of its first byte. */
struct pump_line {
	uint64_t line, offset;
	uint32_t pattern; /* per_pattern=1: the first pattern (0-based) that matches it; else UINT32_MAX */
};
/* Copies up to max of a lines=1 grep job's lines, in file order; returns how many there are. */
size_t pump_job_lines(struct pump_job *j, struct pump_line *out, size_t max);
/*
 * The same from the first-th line on. The lines a running job has are
 * final (numbered, in file order) and only ever added to, so a reader that
 * streams them (fs/stream.c) copies from where it left off.
 */
size_t pump_job_lines_at(struct pump_job *j, size_t first, struct pump_line *out, size_t max);
/*
 * per_pattern=1: copies up to max of the job's per-pattern counts (lines
 * selected because of pattern i, a line counted once per pattern it
 * matches), in pattern order; returns how many patterns there are (0: not
 * a per_pattern job). Final once the job ended; before, the chunks folded.
 */
size_t pump_job_patterns(struct pump_job *j, uint64_t *out, size_t max);
/* Copies up to max failed chunks; returns how many there are in all. */
size_t pump_job_errors(struct pump_job *j, struct pump_chunk_error *out, size_t max);
/* Blocks until the job ends. Returns 0, or -ETIMEDOUT after timeout_ms (<0: forever). */
int pump_job_wait(struct pump_job *j, int timeout_ms);
int pump_job_cancel(struct pump_job *j);
void pump_job_get(struct pump_job *j);
void pump_job_put(struct pump_job **j);

/* ---- units (units.c): one pump per device of device=LIST --------------- */

#define PUMP_UNITS_MAX 16u
struct pump_units;
/*
 * devices: NULL or "" (the best device), "all" (every GPU), or entries
 * separated by ':' (each an index or part of a name, as pump_config.device;
 * one may repeat). cfg is every unit's config but for its device.
 */
int pump_units_create(const struct pump_config *cfg, const char *devices,
		      struct pump_units **out);
void pump_units_destroy(struct pump_units **u);
uint32_t pump_units_count(const struct pump_units *u);
const char *pump_unit_cpus(const struct pump_units *u, uint32_t k); /* pinned to, or "any" */
/* Whether a unit's device is a CPU (lavapipe), whose loop cap bounds what a job may ask. */
bool pump_units_any_cpu(const struct pump_units *u);
/* As pump_submit, on the units: a large job's chunks spread over all of them. */
int pump_units_submit(struct pump_units *u, const struct pump_scan *scan, struct pump_job **out);
/*
 * A job that no unit runs (yet): the accessors read it as queued (its
 * offset, chunk, priority from scan) until pump_job_placeholder_end sets
 * its final state. fs/ shows a grep job through one while its patterns
 * compile. Freed by pump_job_put.
 */
int pump_job_placeholder(struct pump_units *u, const struct pump_scan *scan,
			 struct pump_job **out);
void pump_job_placeholder_end(struct pump_job *j, enum pump_job_state state);

struct pump_info {
	char device[256];
	char driver[520];
	const char *ingest;      /* e.g. "read_fixed+host_import" */
	const char *kernel_mode; /* "persistent" or "relaunch" */
	uint32_t slots;
	uint32_t slots_free, slots_reading, slots_published, slots_claimed;
	uint32_t chunk;
	uint32_t epoch;
	uint64_t jobs_active, jobs_done, jobs_failed;
	uint64_t chunks_done, chunks_failed, bytes_scanned;
	/* grep: chunk passes run again over bytes already run, because records
	 * or open lines did not fit the slot's (0 for text: issue 23 item 5) */
	uint64_t reruns;
	uint64_t op_exec[VYRE_OPCLASSES]; /* per VYRE_OPCLASS_* */
	uint64_t launches;
	bool dead; /* pump_dead */
	/* the file cache (-o cache=): bytes of file data held, chunks read from
	 * it and from disk by jobs that may use it, entries evicted for room;
	 * a viewer other than root (pump_info_viewer) sees its own hits and
	 * misses and 0 for the others (their change tells what others scan) */
	uint64_t cache_bytes, cache_hits, cache_misses, cache_evictions;
	uint64_t cache_capacity; /* bytes of device memory it has, 0: off */
	uint64_t cache_shrinks;	 /* blocks it gave back under device memory pressure (budget.c) */
};
void pump_info(struct pump *p, struct pump_info *info);
/*
 * This thread's later pump_info calls (and pump_units_info's) show owner's
 * own chunks_done, chunks_failed and bytes_scanned, summed over its ended
 * jobs, instead of everyone's; -1: everyone's (root's view). fs/ sets it
 * around rendering status and metrics for a reader other than root.
 */
void pump_info_viewer(int64_t owner);
/*
 * The units' counters summed; names, modes and epoch are unit 0's. each:
 * NULL, or room for pump_units_count entries, each unit's own (one read of
 * every unit either way).
 */
void pump_units_info(struct pump_units *u, struct pump_info *info, struct pump_info *each);
/*
 * drop-cache: every unit's file cache forgets what it holds (a chunk a
 * slot reads now goes when the slot is done). Waits until each pump
 * thread has done it (at most 5 s each). 0, or -ETIMEDOUT.
 */
int pump_units_cache_drop(struct pump_units *u);
/*
 * gpu_debug: every unit's debug records the pump has kept (the newest
 * 4096 a unit), with its taken and dropped counts, as text malloc'd into
 * *text (README.md "The GPU debug log"). -ENODATA: mounted without it.
 */
int pump_units_debug(struct pump_units *u, char **text, size_t *len);

#endif
