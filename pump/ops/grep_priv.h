/* SPDX-License-Identifier: MIT */
/*
 * grep's private header: its budgets, its per-chunk and per-job state,
 * and the functions its files share (grep.c: the op's row and its passes; grep_chunk.c: what they
 * share; grep_dfa.c: the DFA in the data region; grep_out.c: reading a pass's tagged out words;
 * grep_cont.c: open lines continued; grep_packed.c: packed jobs; grep_fold.c and
 * grep_pcount.c: the ordered fold).
 */
#ifndef VYRE_PUMP_OPS_GREP_PRIV_H
#define VYRE_PUMP_OPS_GREP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "op.h"

/*
 * log2 of the steps one lane may spend on its lines per pass, and a
 * continuation's lane per hop. On lavapipe an invocation that loops 65,535
 * times in all is silently stopped (ARCHITECTURE.md, "Platform facts",
 * fact 6), and a DFA step costs about three of those: measured, a lane's
 * lines broke past ~21,800 steps in one invocation (lines=1 runs them
 * twice: count, then record). 2 x 8192 steps per pass, 16384 per hop, stay
 * clear. A GPU has no cap; the budget there only bounds one lane's share.
 */
#define GREP_BUDGET_CPU	     13
#define GREP_BUDGET_GPU	     20
#define GREP_CONT_BUDGET_CPU 14
#define GREP_CONT_BUDGET_GPU 22
/*
 * The tail window read past a chunk, for the line that crosses its end:
 * chunk/16, 256 bytes to 64 KiB. A line longer than that is run on by
 * continuation reads. A fixed 64 KiB read every byte of 64K chunks twice,
 * and a fault in the next chunk failed this one (issue 20 item 3).
 */
#define GREP_TAIL_MAX	65536u
#define GREP_TAIL_MIN	256u
#define GREP_TAIL_SHIFT 4
/* A continuation's first read: a line longer than the tail is often not
 * much longer; the reads double from here to the lane's budget. */
#define GREP_CONT_FIRST	    65536u
#define GREP_TILE_MIN_SHIFT 16 /* 64 KiB tiles: 256 bytes per lane */
#define GREP_CONT_SHIFT	    27 /* a continuation is one tile */
/*
 * log2 of the steps one lane may spend on a whole packed tile (16 files of
 * up to 64 KiB, one pass, no records; a lane runs one file's lines): on a
 * CPU device one count pass's worth, below the ~21,800 measured to break
 * lavapipe's cap; on a GPU more than a packed file's bytes, so no packed
 * file there is ever run again (grep_pack_may_over).
 */
#define GREP_PACK_BUDGET_CPU 14
#define GREP_PACK_BUDGET_GPU 22

enum grep_kind { GREP_CHUNK = 1, GREP_CONT };

/* A chunk until its part is folded. Pump thread only. */
struct grep_chunk {
	enum grep_kind kind; /* first: slot op_ctx tells chunks and continuations apart */
	struct pump_part *part;
	uint32_t slot;	 /* its slot, while a rerun waits (on grep_job.held) */
	uint32_t resume; /* where the next pass starts */
	uint32_t flags;	 /* arg1 of its passes */
	uint32_t shift, ntiles;
	uint32_t data_len, tail_len;
	uint32_t *tile_pre; /* '\n' in the chunk before each tile */
	uint32_t pending;   /* open lines still running */
	bool first_done;
	bool passes_done;
	bool failed;
	struct grep_chunk *next;
};

/*
 * A chunk's lines and sets for the fold, hung on its part (pump_part
 * opstate): lines=1's selected lines and per_pattern=1's accept sets, any
 * order, repeats allowed. Allocated with the first line or set the chunk
 * adds (grep_part_add_line, grep_part_add_set), freed with the part by the
 * row's part_cleanup hook (grep_part_free). Pump thread only.
 */
struct grep_part_line {
	uint64_t pos; /* chunk-relative line start */
	uint64_t nl;  /* '\n' in the chunk before it */
};

struct grep_part_set { /* VYRE_REC_SET records: an accept set a line entered */
	uint64_t pos;	   /* chunk-relative line start */
	uint32_t set;
};

struct grep_part {
	struct grep_part_line *lines;
	size_t nlines, lines_cap;
	struct grep_part_set *sets;
	size_t nsets, sets_cap;
};

/* One open line being continued. */
struct grep_cont {
	enum grep_kind kind;
	struct grep_chunk *gc;
	uint64_t pos, nl; /* the line: chunk-relative start, '\n' before it in the chunk */
	uint64_t at;	  /* file offset reached */
	uint32_t state;	  /* DFA state there */
	uint32_t *vec;	  /* the bit-parallel engine's vector there (VYRE_SHIFT_ST_VECTOR), or NULL */
	uint32_t skip;	  /* bytes of the read before at (O_DIRECT alignment) */
	uint64_t cap;	  /* most bytes past at the next read asks: doubles each hop */
	bool retry;	  /* after a failed read: reads stay within the chunk holding at */
	struct grep_cont *next;
};

/*
 * A packed file whose lines did not fit its tile's budget, scanned again
 * as a job of its own (unpacked: open lines, continuations). Allocated by
 * grep_child_start, freed by grep_child_ended; pump thread only.
 */
struct grep_child {
	struct pump_job *parent; /* the packed job: holds a reference */
	struct pump_job *job;	 /* the file's own job: holds the submitter's reference */
	uint32_t file;		 /* its index in parent->pfiles */
	bool cancelled;
	struct grep_child *next;
};

/*
 * The op's per-job blob (j->opstate): grep_prep allocates it at submit,
 * the row's cleanup hook frees it with the job. Its arguments are set at
 * submit and read-only after; its results (lines, pcounts) are written by
 * the fold under the job's lock (pump_job_lock: fold.c holds it) and read
 * by the row's lines and patterns hooks under it, from any thread; the
 * rest is the pump thread's.
 */
struct grep_job {
	/* arguments, from pump_scan at submit */
	uint32_t flags; /* PUMP_GREP_* */
	uint64_t max;	/* max=: stop after this many selected lines (0: no limit) */
	/* results */
	struct pump_line *lines; /* lines=1, in file order (grep_fold.c) */
	size_t nlines, lines_cap;
	uint64_t *pcounts; /* per_pattern=1: npatterns counts (grep_pcount.c) */
	/* per_pattern=1 packed: each file's npatterns counts (NULL: none yet, or all 0) */
	uint64_t **fpcounts;
	/* lines=1 packed: each file's records, from its child (grep_packed.c) */
	struct grep_flines {
		struct pump_line *v;
		size_t n;
	} *flines;
	uint32_t npatterns;

	struct grep_chunk *held;	  /* chunks waiting to rerun */
	struct grep_cont *queue, **qtail; /* open lines waiting for a read */
	uint32_t open_chunks;		  /* chunks not yet folded */
	uint32_t budget, cont_budget;	  /* log2 */
	uint32_t pack_budget;		  /* log2, a packed tile's */
	uint32_t coop;			  /* VYRE_GREP_F_COOP or 0 (grep_coop) */
	struct grep_child *children;	  /* a packed job's files running alone */
	/* per_pattern=1 (grep_pcount.c): the line each pattern and set was last
	 * counted for, so a line counts once per pattern */
	uint64_t *pstamp, *sstamp;
	uint64_t serial;
};

/* The job's PUMP_GREP_* flags (set once grep_prep has run). */
static inline uint32_t grep_flags(const struct pump_job *j)
{
	return ((const struct grep_job *)j->opstate)->flags;
}

/*
 * How long the host waits for a word whose tag is not yet the slot's: a
 * lane's store lands in microseconds; past this the chunk fails (EIO) with
 * a line in the log rather than a wrong answer.
 */
#define GREP_LAND_NS (1000ull * 1000000ull)

extern const struct pump_op pump_op_grep;

/* grep_dfa.c */
bool grep_dfa_bit(const struct pump_job *j, bool sink, uint32_t s);
bool grep_selected(const struct pump_job *j, uint32_t state);
int grep_dfa_layout(const struct pump_dfa *d, uint32_t **out, uint32_t *nwords);
int grep_layout(struct pump_job *j, const struct pump_dfa *d);
int grep_copy(struct pump_job *j, const void *data, uint32_t len);

/*
 * A table's indexes, checked once on the host where a region is laid out
 * (grep_pset.c, grep_shift.c): the shader follows them without bounds
 * checks. true when each of v's n words is below max.
 */
static inline bool grep_all_below(const uint32_t *v, uint64_t n, uint32_t max)
{
	for (uint64_t i = 0; i < n; i++)
		if (v[i] >= max)
			return false;
	return true;
}

/* The same for a region's 256 byte classes, each below nclasses. */
static inline bool grep_classes_below(const uint8_t *classes, uint32_t nclasses)
{
	for (uint32_t b = 0; b < 256; b++)
		if (classes[b] >= nclasses)
			return false;
	return true;
}

/* grep_pset.c: a literal set on Aho-Corasick (VYRE_PSET_* words) */
int grep_layout_ac(struct pump_job *j, const struct pump_ac *a);
int grep_pset_words(const uint32_t *w, uint32_t len, uint64_t *words);

/* grep_shift.c: a set on the bit-parallel engine (VYRE_SHIFT_* words) */
int grep_shift_layout(const struct pump_shift *s, uint32_t **words, uint32_t *nwords);
int grep_layout_shift(struct pump_job *j, const struct pump_shift *s);
int grep_shift_words(const uint32_t *w, uint32_t len);
int grep_shift_fits(const uint32_t *w, bool cpu);
/*
 * A bit-parallel byte's most budget units on a CPU device: with a
 * continuation's 2^14 and a vector's load and save (2 x 2,048 words and
 * their loop) it stays under lavapipe's 65,535 iterations.
 */
#define GREP_SHIFT_WORST_CPU 40000u
_Static_assert(GREP_SHIFT_WORST_CPU == PUMP_SHIFT_CPU_COST_MAX, "pump.h says the same cap");
_Static_assert(VYRE_SHIFT_PSET_FIXED_MAX == PUMP_SHIFT_PSET_FIXED_MAX, "pump.h says the same bound");
uint32_t grep_shift_nwords(const struct pump_job *j);
bool grep_shift_live(const struct pump_job *j, uint32_t state);
uint32_t grep_shift_hash(uint32_t seq, const uint32_t *v, uint32_t n);

/* A line record (vyre_abi.h VYRE_REC_*), as grep_out.c reads it. */
struct grep_rec {
	uint32_t start; /* chunk-relative */
	uint32_t nl;	/* '\n' from its tile's start to it */
	uint32_t set;	/* per_pattern=1: a set record's accept set, else UINT32_MAX */
};

/* grep_out.c */
bool grep_wait_landed(const uint32_t *w, uint32_t n, uint32_t *v,
		      bool (*landed)(const uint32_t *v, uint32_t n, const void *ctx), const void *ctx);
bool grep_landed(const uint32_t *w, uint32_t n, uint32_t tag, uint32_t (*tag_of)(const uint32_t *v),
		 uint32_t *v);
uint32_t grep_tag_nl(const uint32_t *v);
uint32_t grep_tag_cont(const uint32_t *v);
uint32_t grep_low_bits(uint32_t v, uint32_t bits);
uint32_t grep_low(const struct pump_job *j, const struct ring_done *d);
uint32_t grep_owner_tile(const struct grep_chunk *gc, uint64_t pos);
int grep_collect(struct pump_job *j, struct grep_chunk *gc, const struct ring_done *d);
int grep_cont_sets(const struct ring_done *d, uint32_t n, struct pump_part *part, uint64_t pos);
int grep_packed_recs(const struct ring_done *d, uint32_t k, uint32_t nfiles, uint64_t size,
		     struct grep_rec **recs, size_t *n);

/* grep_pcount.c: per_pattern=1's counts, from the sets each line entered */
int grep_pcount_prep(struct pump_job *j);
void grep_pcount_fold(struct pump_job *j, const struct pump_part *part, size_t first);
int grep_pcount_file(struct pump_job *j, uint32_t file, struct grep_part_set *sets, size_t n,
		     struct pump_line *lines, size_t nlines);
int grep_pcount_file_take(struct pump_job *j, uint32_t file, uint64_t *counts);
size_t grep_file_patterns(const struct pump_job *j, size_t file, uint64_t *out, size_t max);
/* grep_packed.c: lines=1 packed, a file's records (the row's file_lines hook) */
size_t grep_file_lines(const struct pump_job *j, size_t file, struct pump_line *out, size_t max);

/* grep_fold.c: a part's lines and sets, the row's fold and part_cleanup
 * hooks, and its lines and patterns readers */
int grep_part_reserve(struct pump_part *part, size_t n);
int grep_part_add_line(struct pump_part *part, uint64_t pos, uint64_t nl);
int grep_part_add_set(struct pump_part *part, uint64_t pos, uint32_t set);
void grep_part_free(void *opstate);
void grep_fold(struct pump_job *j, const struct pump_part *part);
size_t grep_lines(const struct pump_job *j, size_t first, struct pump_line *out, size_t max);
void grep_lines_free(struct grep_job *gj);
size_t grep_patterns(const struct pump_job *j, uint64_t *out, size_t max);

/* grep_chunk.c */
void grep_work(struct pump *p, uint32_t slot, struct ring_work *w);
void grep_chunk_check(struct pump *p, struct pump_job *j, struct grep_chunk *gc);
void grep_queue(struct grep_job *gj, struct grep_cont *c);
struct grep_cont *grep_dequeue(struct grep_job *gj);

/* grep_cont.c */
void grep_cont_end(struct pump *p, struct pump_job *j, struct grep_cont *c, bool sel);
int grep_cont_done(struct pump *p, uint32_t slot, const struct ring_done *d);
int grep_cont_read(struct pump *p, struct pump_job *j, struct grep_cont *c);
void grep_read_done(struct pump *p, uint32_t slot, int got);

/* grep_packed.c */
bool grep_pack_may_over(const struct grep_job *gj);
int grep_packed_done(struct pump *p, uint32_t slot, const struct ring_done *d);

#endif
