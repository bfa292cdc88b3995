/* SPDX-License-Identifier: MIT */
/*
 * fs.h - the FUSE front-end's private header: options, the job table,
 * rendering, credentials.
 */
#ifndef VYRE_FS_H
#define VYRE_FS_H

#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "descriptor.h"
#include "pump.h"
#include "regex/regex.h"

#define FS_JOBS_CAP_DEFAULT    1024u /* ended jobs kept per user */
#define FS_JOBS_ACTIVE_DEFAULT 256u  /* queued or running jobs per user */
#define FS_THREADS_MAX         16    /* FUSE workers; none ever waits on a job */
#define FS_THREADS_IDLE        4
#define FS_FILES_MAX_DEFAULT   1000000u /* files per many-file job */

struct fs_opts {
	char *mountpoint;
	/* numbers as given; main.c checks them into the fields below */
	char *slots_s, *direct_s, *async_s, *jobs_cap_s, *jobs_active_s, *files_max_s;
	char *gpu_timeout_s, *fuse_sources_s;
	char *priority_group; /* a group (name or gid) whose members may ask for high and critical */
	gid_t priority_gid;   /* (gid_t)-1: root only */
	unsigned slots;
	unsigned fuse_sources; /* 1: files on FUSE mounts may be scanned (resolve.c) */
	unsigned gpu_timeout; /* ms; 0: the pump's default */
	char *chunk;
	char *cache; /* cache=SIZE|auto: the file cache's device memory per unit (pump/cache.c) */
	char *device;
	char *kernel;
	int direct;
	int async;
	unsigned jobs_cap;
	unsigned jobs_active;
	unsigned files_max; /* files (and failed entries) per many-file job */
	char *log;
	int gpu_debug; /* the kernel's debug variant and the debug file (README "The GPU debug log") */
	int foreground;
	int debug;
	int show_help;
	int show_version;
};

struct fs;
struct fs_job;
struct fs_many;
struct fs_buf;
struct fs_grep;
struct fs_waiter;
struct fs_handle;

/* The nodes of the tree (tree.c's fs_nodes has a row for each). */
enum fs_node {
	N_NONE,
	N_ROOT, /* FUSE_ROOT_ID */
	N_README,
	N_CTL,
	N_STATUS,
	N_STATUS_JSON, /* status as one JSON object (render.c) */
	N_EPOCH,
	N_OPS,
	N_METRICS,
	N_METRICS_PROM, /* metrics in the Prometheus text format (render.c) */
	N_DEBUG,        /* gpu_debug: the kernel's debug records (trace.c), root only */
	N_JOBS,
	N_LATEST,
	N_JOB, /* jobs/N and everything below it: inodes per job */
	N_JDESC,
	N_JSTATUS,
	N_JFAILED,
	N_JRESULT,
	N_JLINES,
	N_JFILES,
	N_JWAIT,
	N_JCTL,
	N_JSTATUS_JSON,
	N_JTRACE, /* trace=1: every slot the job published (trace.c) */
	N_JPATTERNS, /* per_pattern=1: lines per pattern (one.c) */
	N__COUNT
};

struct fs_node_def {
	const char *name; /* NULL: jobs/N, named by its id */
	enum fs_node parent;
	mode_t mode;
	bool cacheable; /* its name and attributes never change */
};
extern const struct fs_node_def fs_nodes[N__COUNT]; /* ino.c */

#define CRED_GROUPS_MAX 256

/*
 * Who asked. cred.c takes the groups from req while ngroups is -1; a
 * thread acting for the caller after the request has been answered (the
 * walker of a many-file job) uses the snapshot cred_snapshot_groups took.
 */
static inline size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

struct fs_caller {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	fuse_req_t req; /* only while the request is live */
	int ngroups;    /* -1: ask req */
	gid_t groups[CRED_GROUPS_MAX];
	pid_t tgid;     /* the process of pid, 0 until looked up (ctl.c: who ends a line) */
	/* a ctl write answered EINTR by its interrupt: submit nothing more
	 * (ctl.c; NULL in copies that outlive the write) */
	const atomic_bool *abandoned;
};

/* The thread's own credentials while it acts for a caller (cred_enter). */
struct cred_saved {
	gid_t groups[CRED_GROUPS_MAX];
	int ngroups;
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
	bool caps_dropped;
};

/* One user's share of the table (jobs.c); never freed while the daemon runs. */
struct fs_user {
	uid_t uid;
	/* under fs->lock */
	unsigned active;                     /* queued or running (reserved at submit) */
	unsigned finished;                   /* ended and still in the table */
	/* files of this user's many-file jobs opening or in flight, all jobs
	 * together (many.c: each holds an fd and a pump job) */
	atomic_uint files_inflight;
	/* of its tree jobs, those walking and those waiting for a place:
	 * they share files_inflight's cap fairly (many_place.c) */
	atomic_uint many_walking, many_waiting;
	unsigned stuck; /* (fs->lock) fs_user_stuck */
	unsigned streams; /* (fs->lock) this user's parked reads of streamed files (stream.c) */
	struct fs_job *head, *tail;          /* this user's jobs, in id order */
	struct fs_job *fin_head, *fin_tail;  /* ended jobs, oldest first: reaped first */
	struct fs_user *hnext;
};

/*
 * One submitted job. Created by a ctl write, owned by the job table (one
 * reference), by the pump until it ends (one, dropped in fs_job_ended) and
 * by each open file of the job (one each).
 */
/* a job's tenant label: a non-root caller's tenant= is "UID:label" (submit.c) */
#define FS_TENANT_MAX (DESC_TENANT_MAX + 12)

/*
 * Where a job is before the pump has it. Only a grep job passes through
 * COMPILING: its ctl write returns its id at once and a compile worker
 * (grep.c) compiles its patterns, then starts it (pj or many set, then
 * STARTED with release) or fails it (FAILED: it never had a pump job).
 * Readers of pj and many first load stage with acquire (fs_job_started).
 */
enum fs_stage {
	FS_STAGE_STARTED,   /* pj or many is set and never changes again (0: calloc'd jobs) */
	FS_STAGE_COMPILING, /* queued for or on a compile worker */
	FS_STAGE_FAILED,    /* the compile failed, or cancel came first: ended, no pump job */
};

/*
 * A job's numbers in pump_job_info's shape come with these (status's
 * files=, walking= and error=); a one-file job is one file.
 */
struct fs_many_counts {
	uint64_t files, files_done, files_failed;
	bool walking;
	unsigned walkers; /* walker threads the job has had (fs/walk_par.c) */
	uint64_t walk_us; /* from submit to the walk's end (so far, while walking) */
	char error[256];
};

/*
 * Where a reader of a streamed file (jobs/N/lines, jobs/N/files: stream.c)
 * is in its records: unit is a line of a one-file job's lines, or a file
 * of a many-file job (in the file's order); sub a line within that file.
 */
struct fs_cursor {
	uint64_t unit, sub;
};

/*
 * What a job does, by kind: one file (one.c: one pump job, j->pj) or many
 * files (many.c: a walk and a pump job per file or per packed slot,
 * j->many). submit.c sets j->kind when it creates the job, and it never
 * changes; start is called once, the others only once fs_job_started(j)
 * (a job not started renders from its placeholder, j->hold). No code
 * outside a kind's file tests which kind a job is.
 */
struct fs_job_kind {
	const char *name;
	bool many; /* status's many= */
	/* hands the scan (start.c built it) to the pump or a walker; takes fd,
	 * rootfd and listfd whatever it returns; err says why not */
	int (*start)(struct fs *fs, struct fs_job *j, struct fs_caller *ctx, const struct desc *d,
		     struct fs_grep *grep, const struct pump_scan *scan, int fd, int rootfd,
		     int listfd, const struct stat *st, char *err, size_t errlen);
	bool (*ended)(struct fs_job *j);
	int (*cancel)(struct fs_job *j); /* 0, or -EALREADY once ended */
	void (*info)(struct fs_job *j, struct pump_job_info *in, struct fs_many_counts *c);
	/* the job's files (README's "Files"), rendered into b */
	int (*result)(struct fs_job *j, struct fs_buf *b);
	int (*failed)(struct fs_job *j, struct fs_buf *b);
	int (*lines)(struct fs_job *j, struct fs_buf *b);
	int (*files)(struct fs_job *j, struct fs_buf *b);
	int (*patterns)(struct fs_job *j, struct fs_buf *b); /* NULL: none */
	/*
	 * Streaming (stream.c) of node N_JLINES or N_JFILES: certain is how
	 * many units are final so far (never less than before; all of them once
	 * the job has ended), stream renders the final units from *c on into b
	 * until b holds want bytes or none is left, and moves *c. What stream
	 * renders over a job's life is its file, byte for byte. Called with
	 * fs->lock held or not; each takes only its own kind's locks.
	 */
	uint64_t (*certain)(struct fs_job *j, enum fs_node n);
	int (*stream)(struct fs_job *j, enum fs_node n, struct fs_cursor *c, struct fs_buf *b,
		      size_t want);
	void (*free)(struct fs_job *j); /* the last reference went (jobs.c) */
};
extern const struct fs_job_kind fs_job_one;  /* one.c */
extern const struct fs_job_kind fs_job_many; /* many.c */

/*
 * One party told when a job ends, as the kernel's wait_queue_entry: jobs.c
 * calls ended under fs->lock on the thread that ends the job (the pump
 * thread, a walker, a compile worker), once, after taking it off the job's
 * list. ended only records and wakes: it never replies, renders or blocks.
 * The owner embeds it and keeps it alive while it observes.
 */
struct fs_job_obs {
	void (*ended)(struct fs *fs, struct fs_job_obs *o, struct fs_job *j);
	struct fs_job_obs *next; /* the job's observers (fs->lock) */
};

struct fs_job {
	atomic_int refs;
	atomic_int stage; /* enum fs_stage */
	/* while not STARTED: a pump placeholder (pump_job_placeholder) its
	 * files render from; set at submit, freed with the job */
	struct pump_job *hold;
	char prep_error[320]; /* FAILED: why (status's error=), written before stage */
	const char *engine;   /* grep: status's engine= (a static name), written before stage */
	bool prep_cancel;     /* cancel came while compiling (fs->prep_lock) */
	struct fs *fs;
	struct fs_user *user;
	uint64_t id;
	uid_t uid;
	gid_t gid;
	const struct fs_job_kind *kind; /* set at creation, never changes */
	struct pump_job *pj;     /* one file (one.c's); NULL for many files */
	struct fs_many *many;    /* many files (many.c's, many.h); NULL for one */
	const struct pump_op *op;
	char *path;
	char *descriptor; /* normalized, one line */
	/* replay=: the trace's slots (fs_trace_load), set at submit, freed with the job */
	struct pump_replay_slot *replay;
	uint32_t nreplay;
	char tenant[FS_TENANT_MAX];
	uint64_t offset;
	time_t created;
	/* under fs->lock (jobs.c); remove_on_end: jobs/N/ctl's remove while it ran */
	bool in_table, ended, remove_on_end;
	struct fs_job *prev, *next;   /* every job, in id order */
	struct fs_job *uprev, *unext; /* the user's jobs, in id order */
	struct fs_job *fprev, *fnext; /* the user's ended jobs, in end order */
	struct fs_job *hnext;         /* id hash chain */
	struct fs_job_obs *observers; /* told of the end (parked reads, polls: wait.c) */
	/* an ended job's big files, rendered once for every open of them (handle.c) */
	struct fs_render *renders[N__COUNT - N_JOB];
};

struct fs {
	struct pump_units *units; /* one per device=LIST entry */
	struct fs_opts opts;
	uint32_t chunk; /* mount default */
	time_t started;

	const char *source; /* the SOURCE label of "vyrefs SOURCE MOUNTPOINT", or NULL */
	dev_t mount_dev; /* this mount's device: paths on it are refused (resolve.c) */
	bool single_threaded; /* -s: walks run bounded on a thread of their own (cred.c) */

	pthread_mutex_t lock; /* guards the job table below */
	struct fs_job **hash; /* id -> job, chained by hnext */
	size_t hash_size;     /* a power of two */
	struct fs_job *head, *tail;
	struct fs_user **users; /* uid -> user, chained by hnext */
	size_t njobs;
	uint64_t next_id;
	uint64_t jobs_submitted;
	struct fs_waiter *waiters; /* every parked read of wait, for interrupts */
	bool stopping;             /* shutting down: wait answers at once */
	/* stream.c: stream reads on waiters plus handles on spolls; the
	 * answerer ticks while it is not 0 */
	unsigned nstream;
	struct fs_handle *spolls;
	void (*stream_tick)(struct fs *fs); /* fs_stream_tick_locked (main.c sets it) */
	/* the answerer (wait.c): replies to reads whose job ended, off the
	 * ending thread; its queue and answer_stop under fs->lock */
	struct fs_waiter *answer_head, *answer_tail;
	pthread_cond_t answer_cond;
	pthread_t answerer;
	bool answering;   /* the thread runs (main thread only) */
	bool answer_stop; /* answer what is queued, then exit */
	/* counts an ended job in metrics before its observers are told
	 * (main.c: fs_latency_job_ended) */
	void (*job_counted)(struct fs_job *j);
	unsigned walkers;          /* walker threads of many-file jobs (walk.c) */
	size_t render_bytes;       /* every open file's rendered contents (handle.c) */
	struct fs_handle *handles; /* every open file, freed at exit if no release came (files.c) */
	pthread_cond_t walkers_cond; /* walkers dropped (shutdown waits for 0) */
	/* grep compiles (grep.c): a queue served by at most FS_PREP_THREADS
	 * workers, one compile per owner at a time; all under prep_lock,
	 * which is taken before fs->lock and never under it */
	pthread_mutex_t prep_lock;
	pthread_cond_t prep_cond; /* a worker exited */
	struct fs_prep *prep_head, *prep_tail;
	unsigned prep_alive;  /* bit k: worker k is running */
	uid_t prep_owner[8];  /* FS_PREP_THREADS: whose compile worker k runs */
	bool prep_busy[8];    /* worker k is compiling */
	bool prep_stopping;
	struct fuse_session *se;
};

/* jobs.c */
int fs_jobs_init(struct fs *fs);
void fs_jobs_destroy(struct fs *fs);
/* a place for one more active job of uid, or -EAGAIN past jobs_active (err says) */
int fs_jobs_reserve(struct fs *fs, uid_t uid, struct fs_user **u, char *err, size_t errlen);
void fs_jobs_unreserve(struct fs *fs, struct fs_user *u);
/* uid's ctl writes answered EINTR whose threads still wait (ctl.c): adds delta,
 * returns the count before */
unsigned fs_user_stuck(struct fs *fs, uid_t uid, int delta);
/* fs->lock held: uid's share of the table (NULL: none and !create, or no memory) */
struct fs_user *fs_user_locked(struct fs *fs, uid_t uid, bool create);
uint64_t fs_jobs_add(struct fs *fs, struct fs_job *j);    /* takes j's reference; its id */
void fs_job_ended(void *fs_job);                          /* pump_scan.on_end */
/* fs->lock held: o is told when j ends (never if j has ended) */
void fs_job_observe_locked(struct fs_job *j, struct fs_job_obs *o);
void fs_job_unobserve_locked(struct fs_job *j, struct fs_job_obs *o); /* if still there */
struct fs_job *fs_job_lookup(struct fs *fs, uint64_t id); /* takes a reference */
struct fs_job *fs_job_latest(struct fs *fs, uid_t uid);   /* takes a reference */
int fs_job_remove(struct fs *fs, uint64_t id);            /* rmdir: -EBUSY while running */
/* jobs/N/ctl remove: out of the table now if ended, else as it ends */
void fs_job_remove_on_end(struct fs *fs, struct fs_job *j);
/* job.c */
void fs_job_get(struct fs_job *j);
void fs_job_put(struct fs_job **j);
uint64_t *fs_job_ids(struct fs *fs, uid_t uid, size_t *n); /* what uid may list; free() it */
void fs_jobs_cancel_walks(struct fs *fs); /* shutdown: every many-file job still walking */
bool fs_job_finished(struct fs_job *j);
static inline bool fs_job_started(struct fs_job *j)
{
	return atomic_load_explicit(&j->stage, memory_order_acquire) == FS_STAGE_STARTED;
}

/* submit.c: one ctl line -> one job; message for the caller in err */
/* *waitj: a reference to the new job when the line says wait=1, else NULL */
/* caller: its groups snapshotted and req NULL (ctl.c fs_ctl_caller) */
int fs_submit_line(struct fs *fs, struct fs_caller *caller, const char *line, size_t len,
		   uint64_t *id, struct fs_job **waitj, char *err, size_t errlen);

/* cred.c: open path for reading with the caller's credentials, in the caller's root */
int cred_may_serve(const struct fs_caller *ctx, char *err, size_t errlen);
int cred_open(const struct fs *fs, const struct fs_caller *ctx, const char *path, int *fd,
	      char *err, size_t errlen);
/* also a directory; *st is what was opened; rootfd (may be NULL): the caller's root,
 * kept open on success for a walk that goes on after the request */
struct stat;
int cred_open_any(const struct fs *fs, const struct fs_caller *ctx, const char *path, int *fd,
		  struct stat *st, int *rootfd, char *err, size_t errlen);
void cred_snapshot_groups(struct fs_caller *ctx);
/* this thread takes ctx's fsuid/fsgid/groups and drops its effective caps; undo with
 * cred_leave even on error */
int cred_enter(const struct fs_caller *ctx, struct cred_saved *saved);
void cred_leave(const struct cred_saved *saved);

/* resolve.c: the walk cred_open does (as the caller) */
int resolve_caller_root(pid_t pid, int *rootfd);
pid_t resolve_tgid(pid_t pid); /* a task's process; 0 if gone */
int resolve_open(const struct fs *fs, int rootfd, const char *path, int *fd, char *err,
		 size_t errlen);
struct stat;
int resolve_open_any(const struct fs *fs, int rootfd, const char *path, int *fd,
		     struct stat *st, char *err, size_t errlen);
int resolve_open_entry(const struct fs *fs, int dirfd, dev_t dirdev, const char *name, bool dir,
		       int *fd, struct stat *st);
/* the same rules for a regular file opened elsewhere (walk_batch.c, through io_uring) */
struct open_how;
void resolve_entry_how(struct open_how *how);
int resolve_entry_opened(const struct fs *fs, int fd, dev_t dirdev, const char *name,
			 const struct stat *st);
/* mount.c: this daemon's mount in /proc/self/mountinfo */
int mount_find(const char *mountpoint, dev_t *dev);

/*
 * grep.c: a grep descriptor's patterns compiled for the pump: a DFA
 * (scan.args.grep.dfa), a literal set too large for one on Aho-Corasick
 * (ac, .ac), or a set no DFA holds on the bit-parallel engine (shift,
 * .shift). The views point into the compiled tables, some of them
 * arrays inside this struct: whoever moves it calls fs_grep_views.
 */
struct fs_grep {
	struct regex_dfa dfa;	/* the compiler's, freed by fs_grep_release */
	struct regex_prog prog; /* with ac: the pattern set's, freed the same way */
	struct pump_dfa view;	/* what pump_scan.args.grep.dfa points at */
	struct pump_ac acview;	/* with ac: what .ac points at */
	struct pump_shift shview; /* with shift: what .shift points at */
	bool ready, ac, shift;
};
void fs_grep_views(struct fs_grep *g);
/*
 * scan->args, the union of the ops' own arguments, for d's op: its keys
 * as desc_args lays them out (fs/desc_op.c's table), and for grep
 * (PUMP_OP_ARG_GREP) the patterns as compiled (none while not ready).
 * The pointers point into d and g: whoever copies them calls it again on
 * the copies.
 */
static inline void fs_scan_args(const struct desc *d, struct fs_grep *g, struct pump_scan *scan)
{
	union pump_op_args *a = &scan->args;

	desc_args(d, a);
	if (d->op->args & PUMP_OP_ARG_GREP) {
		a->grep.dfa = g->ready && !g->ac && !g->shift ? &g->view : NULL;
		a->grep.ac = g->ready && g->ac ? &g->acview : NULL;
		a->grep.shift = g->ready && g->shift ? &g->shview : NULL;
	}
}
/* grep's arguments of d (desc_args), or NULL for another op */
static inline const struct pump_grep_args *fs_grep_args(const struct desc *d,
							 union pump_op_args *a)
{
	if (!(d->op->args & PUMP_OP_ARG_GREP))
		return NULL;
	desc_args(d, a);
	return &a->grep;
}
/* status's engine=: what runs the patterns ("" before a compile) */
static inline const char *fs_grep_engine(const struct fs_grep *g)
{
	/* per_pattern=1's DFA with accept sets runs as AC tables: it is a DFA */
	return !g->ready ? ""
			 : regex_engine_name(g->ac && !g->prog.sets_dfa ? REGEX_ENGINE_AC
					     : g->shift ? REGEX_ENGINE_SHIFT
							: REGEX_ENGINE_DFA);
}
/* frees the compiled patterns: whoever holds the struct (grep.c's worker, many.c) */
static inline void fs_grep_release(struct fs_grep *g)
{
	if (g->ready) {
		regex_dfa_free(&g->dfa);
		regex_prog_free(&g->prog);
	}
	g->ready = false;
}

/*
 * A grep job waiting for its compile: what the ctl write opened and read
 * as the caller, handed to a worker. Owns its fds, text and a reference
 * to j (the pump's, until the job starts or fails).
 */
#define FS_PREP_THREADS 8 /* = the size of fs->prep_owner */
struct fs_prep {
	struct fs_job *j;
	struct fs_caller caller; /* groups snapshotted when many */
	struct desc d;
	int fd, rootfd, listfd;
	struct stat st;
	bool many;
	char *text; /* patterns=: the file's bytes, read at submit; else NULL */
	size_t textlen;
	struct fs_prep *next;
};
/* FUSE thread, as the caller: patterns= read into *text (err says why not) */
int fs_grep_load(const struct fs *fs, const struct fs_caller *ctx, const struct desc *d,
		 char **text, size_t *textlen, char *err, size_t errlen);
/* FUSE thread: the patterns' syntax only (regex_check): what must be refused at once */
int fs_grep_check(const struct desc *d, char *text, size_t textlen, char *err, size_t errlen);
/* queues p for a worker (takes it); the job renders from j->hold meanwhile */
void fs_prep_queue(struct fs *fs, struct fs_prep *p);
void fs_prep_free(struct fs_prep *p);
/* shutdown: queued compiles end cancelled, running ones are waited for */
void fs_prep_stop_all(struct fs *fs);
/* start.c: hand the job's scan to its kind (FUSE thread, or a compile worker for grep) */
int fs_submit_start(struct fs *fs, struct fs_job *j, struct fs_caller *ctx, const struct desc *d,
		    struct fs_grep *grep, int fd, int rootfd, int listfd, const struct stat *st,
		    char *err, size_t errlen);
/* jobs.c: a job that never reached the pump ends (state FAILED or CANCELLED) */
void fs_job_prep_failed(struct fs_job *j, enum pump_job_state state, const char *why);

/* many.c: a job over many files (path= a directory or a glob, files=) */
struct stat;
int fs_many_start(struct fs *fs, struct fs_job *j, struct fs_caller *ctx, const struct desc *d,
		  struct fs_grep *grep, const struct pump_scan *scan, int rootfd, int startfd,
		  const struct stat *startst, int listfd);
void fs_many_free(struct fs_many **m);
bool fs_many_ended(struct fs_job *j);
int fs_many_cancel(struct fs_job *j);
void fs_many_wait_walkers(struct fs *fs); /* shutdown: until no walker is left */
void fs_many_info(struct fs_job *j, struct pump_job_info *in, struct fs_many_counts *c);

/* buf.c: file contents into a malloc'd buffer */
struct fs_buf {
	char *data;
	size_t len, cap;
};
int fs_buf_printf(struct fs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fs_buf_reserve(struct fs_buf *b, size_t need);
int fs_buf_put(struct fs_buf *b, const void *p, size_t len);
/* PATH with \\, \n and other control bytes escaped, as in descriptors */
int fs_buf_put_path(struct fs_buf *b, const char *path);
void fs_buf_free(struct fs_buf *b);

/* trace.c: jobs/N/trace, and a replay= trace's slots (read as the caller; root only) */
int fs_trace_render(struct fs_job *j, struct fs_buf *b);
int fs_debug_render(struct fs *fs, struct fs_buf *b); /* the debug file (gpu_debug) */
int fs_trace_may_replay(const struct fs_caller *ctx, const char *path, char *err, size_t errlen);
int fs_trace_load(const struct fs *fs, const struct fs_caller *ctx, const char *path,
		  struct pump_replay_slot **out, uint32_t *n, char *err, size_t errlen);

/* render.c */
int render_job_status(struct fs_job *j, struct fs_buf *b);
int render_many_files(struct fs_job *j, struct fs_buf *b);
int render_many_lines(struct fs_job *j, struct fs_buf *b);
int render_many_patterns(struct fs_job *j, struct fs_buf *b);
int render_many_failed(struct fs_job *j, struct fs_buf *b);
int render_many_result(struct fs_job *j, struct fs_buf *b);
uint64_t render_many_certain(struct fs_job *j, enum fs_node n);
int render_many_stream(struct fs_job *j, enum fs_node n, struct fs_cursor *c, struct fs_buf *b,
		       size_t want);
int render_status(struct fs *fs, struct fs_buf *b);
int render_metrics(struct fs *fs, struct fs_buf *b);
int render_ops(struct fs_buf *b);
int render_readme(struct fs_buf *b);

/* tree.c */
extern const struct fuse_lowlevel_ops fs_ops;

/* ino.c: nodes and inode numbers */
struct fs *fs_of(fuse_req_t req);
fuse_ino_t fs_ino(enum fs_node n, uint64_t id);
fuse_ino_t fs_ino_ctl(uid_t uid); /* uid's own ctl */
enum fs_node fs_ino_node(fuse_ino_t ino, uint64_t *id);
int fs_parse_id(const char *s, size_t len, uint64_t *id);

/* files.c */
void fs_file_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_file_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		  struct fuse_file_info *fi);
void fs_file_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi);
void fs_file_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_file_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fs_files_free_all(struct fs *fs); /* at exit, once no request can come */

void fs_stream_tick_locked(struct fs *fs); /* stream.c: the answerer's tick, fs->lock held */
/* files.c */
void fs_file_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		  struct fuse_pollhandle *ph);
void fs_wait_release_all(struct fs *fs);

/* wait.c: the answerer thread, started before the first job, stopped after the pump */
int fs_answer_start(struct fs *fs);
void fs_answer_stop(struct fs *fs);

#endif
