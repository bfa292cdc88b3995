/* SPDX-License-Identifier: MIT */
/*
 * many.h - a job over many files (README "Many files"), private to many.c
 * and walk.c.
 *
 * One fs job, one id, one directory; its files become pump jobs of their
 * own, at most FS_MANY_INFLIGHT at once, submitted by the job's walker
 * thread (walk.c) as it finds them, so the scan starts with the first file
 * and the walk overlaps it. Each pump job's end (many_file_ended, on the
 * pump thread) folds its result into the parent and frees its place; the
 * parent ends (fs_job_ended) when the walk has stopped and no file is in
 * flight.
 *
 * Memory per file: one struct many_file (64 bytes) and its path, plus a
 * grep lines=1 file's selected lines (16 bytes each); a failed entry is a
 * path and an errno. Nothing else is kept once a file's scan has ended:
 * its pump job and fds are gone.
 */
#ifndef VYRE_FS_MANY_H
#define VYRE_FS_MANY_H

#include <limits.h>
#include <liburing.h>
#include <sys/stat.h>

#include "fs.h"

/*
 * Files in flight per job: opened, given to the pump, not yet ended. Each
 * holds one fd (the pump's; its end fstats it to see a change), so a job
 * holds at most 1024 fds. Small files go in packed pump jobs of up to
 * FS_MANY_PACK_FILES (one slot when they are 4 KiB); others one pump job
 * each, with one batch id apiece (4096 per unit).
 */
#define FS_MANY_INFLIGHT   1024
/*
 * A user's places over all its many-file jobs: 10 jobs listing one file
 * 2,000 times took 19,996 of the daemon's 20,000 fds and queued root's
 * 13-byte job for 232 s.
 */
#define FS_USER_INFLIGHT   1024 /* one fd each: 1024 fds */
#define FS_MANY_PACK_FILES 256
/*
 * order=walk streams a file once every file before it ended, and a pack's
 * files end together: its first small file goes alone (a pack of one
 * would only add grep lines=1's rerun), the first pack holds 2 files,
 * each next one twice as many, up to FS_MANY_PACK_FILES, so the first
 * lines come after a few files, not after the ~800 files of three full
 * packs (tests/bats/tree_first_file.bats). `vyrectl grep -rn GPL
 * /usr/share/doc | head -3` on lavapipe: first packs of 8 210-411 ms,
 * of 1 56-177 ms, a job a file 49-61 ms (BENCHMARKS.md).
 */
#define FS_MANY_PACK_FIRST 1
#define FS_MANY_PACK_AGE_NS 20000000ull /* a pack waits at most 20 ms for more files */
#define FS_MANY_LIST_MAX   (256u << 20) /* files= list: 1,000,000 long paths fit */

enum many_file_state {
	MF_RUNNING, /* given to the scan */
	MF_DONE,    /* scanned: in files, its result in the totals */
	MF_FAILED,  /* in failed (a read failed, or it changed under the scan), or cancelled */
};

struct many_file {
	char *path;             /* as shown: the operand and the names below it */
	enum many_file_state state;
	uint64_t result;        /* count/match/grep: the op's result; histogram: bytes */
	struct pump_line *lines; /* grep lines=1 */
	size_t nlines;
	uint64_t *pcounts;      /* per_pattern=1: lines per pattern (npc), else NULL */
	size_t npc;
};

/*
 * A pack being filled with small files, owned by one walker thread: the
 * pack's places are reserved, so a walker that waits for a place, or for
 * work, submits its pack first (many_reserve, walk_par.c).
 */
struct many_flight;
struct many_packer {
	struct many_flight *pack;
	uint32_t cap; /* files a pack takes before it goes; 0: FS_MANY_PACK_FILES */
	struct pump_file files[FS_MANY_PACK_FILES];
};

/* One file of a flight: what its end is checked against. */
struct many_entry {
	size_t idx; /* in m->files */
	int fd;     /* the pump's once submitted: fstat'ed only in on_end, while it is open */
	uint64_t size;
	struct timespec mtime;
	struct stat end; /* as the job ended: fstat (many_flight_ended), the pump's statx (packed) */
	bool end_ok;
};

/*
 * One pump job: one file, or a pack of small ones. Allocated by the
 * walker, on m->flights (lock) until its end is folded in; the pump
 * job's on_end_arg.
 */
struct many_flight {
	struct fs_many *m;
	struct pump_job *pj;  /* the submitter's reference, once pump_submit returned */
	bool end_pending;     /* ended before pj was stored: the walker finishes it */
	bool packed;
	uint64_t t_open_ns;   /* a pack: when its first file came */
	struct many_flight *prev, *next;
	uint32_t n;
	struct many_entry e[]; /* n (a pack: room for FS_MANY_PACK_FILES) */
};

struct many_fail {
	char *path;
	int err; /* positive errno */
};

/*
 * Owned by its fs_job (fs_job->many, freed with it). The walker thread
 * writes the walk's fields; everything marked (lock) is shared with the
 * pump thread's many_file_ended and with readers (render).
 */
struct fs_many {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a place in flight freed, or cancel (lock) */
	struct fs_job *j;    /* the parent (no reference: it owns this) */
	struct fs *fs;

	/* set at submit, read-only after */
	struct fs_caller caller; /* with its groups snapshot */
	int rootfd;              /* the caller's root, closed when the walk ends */
	int startfd;             /* path= a directory: opened at submit; -1 after the walk */
	struct stat startst;
	int listfd;              /* files=: the list, opened at submit; -1 after the walk */
	struct desc d;
	struct fs_grep grep;     /* released by the walker after its last submit */
	struct pump_scan scan;   /* template: fd and on_end_arg set per file */
	/* grep's max=, lines=1 and per_pattern=1, from scan.args at start (0, false: another op) */
	uint64_t grep_max;
	bool grep_lines, grep_pset;
	/* the parent's end (start.c's scan.on_end: fs_job_ended), called once
	 * the walk is over and nothing flies (many_maybe_end) */
	void (*on_end)(void *arg);
	void *on_end_arg;
	unsigned files_max;
	uint64_t t_start_ns, t_end_ns; /* t_end_ns (lock) */
	uint64_t t_walked_ns;          /* the walk ended (lock) */

	bool pack_ok;         /* the op packs (pump_op_packs) */
	uint32_t pack_file_max;
	/* the first walker thread's pack being filled (walk_par.c's helpers have their own) */
	struct many_packer pk;

	atomic_bool cancel;   /* cancel or shutdown: the walk stops, flights are cancelled */
	/* (lock) */
	bool walking;         /* the walker has not finished */
	unsigned walkers;     /* walker threads started: 1, and walk_par.c's helpers */
	bool ended;           /* fs_job_ended has been called (or is about to be) */
	bool sorted;          /* files and fails in the job's order (set once ended): path
			       * order, or order=walk's (m->order applied, then freed) */
	/* order=walk (many_order.c): the walk's directories as nodes, the
	 * prefix of its order that is certain, files[] indices in it */
	struct many_dir *oroot, *ocur, *dirs;
	size_t *order;
	size_t norder, order_cap;
	unsigned inflight;    /* places reserved: files opening or in flight */
	unsigned pending;     /* of those, reserved and not yet added (the walker's batch):
			       * they count against files_max as files */
	bool waiting;         /* counted in its user's many_waiting (many_place.c) */
	struct many_flight *flights;
	struct many_file *files;
	size_t nfiles, files_cap;
	struct many_fail *fails;
	size_t nfails, fails_cap;
	uint64_t files_done;  /* MF_DONE + MF_FAILED */
	char error[256];      /* a limit hit: ends the job failed */
	/* totals over MF_DONE files */
	uint64_t total, bytes, chunks, chunks_done, chunks_failed, reruns;
	uint64_t cached_bytes; /* of bytes, read from the file cache (its large files only) */
	uint64_t bins[VYRE_HIST_BINS];
	uint64_t *pcounts; /* per_pattern=1: lines per pattern, over the files (npc) */
	size_t npc;
};

/* many_place.c, for many.c: a job's places in flight (m->lock held; walk: not) */
bool many_place_busy(const struct fs_many *m);
void many_place_wait(struct fs_many *m);
void many_place_waiting(struct fs_many *m, bool waiting);
void many_place_take(struct fs_many *m);
void many_place_give(struct fs_many *m, unsigned n);
void many_place_walk(struct fs_many *m, bool walking);

/*
 * many_order.c: order=walk's order when several walkers list the tree.
 * A directory entered is a node, appended to its parent's items where
 * its walker found it (m->oroot: the operands); NULL parent: no order is
 * kept (*d NULL). -ENOMEM.
 */
struct many_dir;
int many_order_init(struct fs_many *m); /* the root, with order=walk */
int many_dir_open(struct fs_many *m, struct many_dir *parent, struct many_dir **d);
void many_dir_listed(struct fs_many *m, struct many_dir *d); /* no item comes after */
int many_order_add_locked(struct fs_many *m, struct many_dir *d, size_t file);
/* a's place in the walk's order comes before b's (no lock: fixed when made) */
bool many_dir_before(const struct many_dir *a, const struct many_dir *b);
/* (m->lock held) files in m->order so far: every one before them ended */
size_t many_order_settle_locked(struct fs_many *m);
/* (m->lock held, job ended) files[] put in m->order's order, if it is whole */
void many_order_apply_locked(struct fs_many *m);
void many_order_free(struct fs_many *m);

/* many.c, for walk.c: the walker's side */
/* blocks for a place, submitting pk's pack first; -ECANCELED, -E2BIG (files_max) */
int many_reserve(struct fs_many *m, struct many_packer *pk);
void many_unreserve(struct fs_many *m);
/* fd opened as the caller for path, found in dir (order=walk, else NULL);
 * takes fd; a place was reserved */
void many_add_file(struct fs_many *m, struct many_packer *pk, struct many_dir *dir,
		   const char *path, int fd, const struct stat *st);
void many_pack_flush(struct fs_many *m, struct many_packer *pk); /* submits pk's pack, if any */
int many_add_failed(struct fs_many *m, const char *path, int err); /* -E2BIG: files_max reached */
void many_walk_error(struct fs_many *m, const char *msg); /* a limit: the job ends failed */
void many_walk_done(struct fs_many *m); /* every walker thread has flushed its pack */
/* many.c: a file's pump job ended (the scan template's on_end, set by many_job.c) */
void many_flight_ended(void *arg);
uint64_t many_now_ns(void); /* CLOCK_MONOTONIC, ns: the job's phase times */

/* walk.c */
void *walk_main(void *fs_job);

/* walk_list.c: a files= list, read whole (FS_MANY_LIST_MAX), one path a line */
struct walk_list {
	char *buf;
	size_t len, pos;
};
/* -errno; a read error leaves what was read to hand out */
int walk_list_read(struct walk_list *l, int fd);
/* the next line, unescaped in place and NUL-ended (*n bytes), or NULL at
 * the end; *err EINVAL: a NUL in it, or not absolute (a failed entry) */
const char *walk_list_next(struct walk_list *l, size_t *n, int *err);
void walk_list_free(struct walk_list *l);

/*
 * walk_batch.c: a directory's regular files, opened and stat'ed through
 * io_uring WALK_BATCH at a time (two io_uring_enter calls where one at a
 * time made two system calls a file), with resolve.c's rules; owned by
 * the walker thread. 64: per-file cost stops falling well before
 * (BENCHMARKS.md "The walk"), and 64 names and stats are 32 KiB.
 */
#define WALK_BATCH 64
struct walk_batch {
	struct io_uring ring;
	bool ok;                              /* the ring is up; else one at a time */
	unsigned n;                           /* names queued */
	char names[WALK_BATCH][NAME_MAX + 1]; /* in the directory being listed */
	int res[WALK_BATCH];                  /* walk_batch_open: an fd (ours to pass on) or -errno */
	struct stat st[WALK_BATCH];           /* of each fd */
	struct statx stx[WALK_BATCH];         /* IORING_OP_STATX's answers */
};
int walk_batch_init(struct walk_batch *b); /* -errno: no ring, one at a time */
void walk_batch_exit(struct walk_batch *b);
/* names[0, n) beside dirfd (on dirdev) as resolve_open_entry's regular files: res[], st[] */
void walk_batch_open(struct walk_batch *b, const struct fs *fs, int dirfd, dev_t dirdev);

#endif
