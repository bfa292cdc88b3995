/* SPDX-License-Identifier: MIT */
/*
 * vyrectl's private header: what vyrectl.c (the command table, the scan,
 * status, wait and cancel commands), vyrectl_mount.c (buffers, the mount's
 * files), vyrectl_job.c (a job's status, waiting, results), vyrectl_desc.c
 * (descriptor lines, ctl), vyrectl_cache.c (the cache command) and
 * vyrectl_grep*.c (the grep command) share.
 * Nothing else includes it.
 */
#ifndef VYRECTL_H
#define VYRECTL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VYRECTL_ID_MAX	19 /* digits in a 64-bit job id, as the daemon takes it */
#define VYRECTL_REL_MAX 64 /* "jobs/<id>/<file>" */

/* The exit statuses of vyrectl(1), EXIT STATUS; grep has grep's (vyrectl_grep.c). */
enum vyrectl_exit {
	VYRECTL_OK = 0,	    /* done; or submitted, cancelled, printed */
	VYRECTL_FAILED = 1, /* the job failed or was cancelled, the daemon refused, or I/O failed */
	VYRECTL_USAGE = 2,  /* a bad command line */
	VYRECTL_INTR = 130, /* Ctrl-C while waiting; the job goes on */
};

/* A growing byte buffer, always NUL-terminated once used; its declarer frees it. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

/* scan's values that pass to a descriptor key as given: the daemon checks them. */
enum scan_key {
	SCAN_OP,
	SCAN_BYTE,
	SCAN_OFFSET,
	SCAN_LENGTH,
	SCAN_CHUNK,
	SCAN_TENANT,
	SCAN_KEY_COUNT,
};

/* The command line, parsed; lives in main's frame, its strings in argv. */
struct vyrectl {
	const char *mount;
	bool progress; /* stderr is a terminal: draw a progress bar while waiting */
	const char *args[2];
	int nargs;
	/* scan's options */
	const char *val[SCAN_KEY_COUNT];
	const char *pattern;
	bool direct;
	bool wait;
	bool slurm_on;	   /* --slurm: fan out over a Slurm cluster (vyrectl_slurm*.c) */
	const char *slurm; /* --slurm=ARGS: sbatch options, or NULL */
};

/* What vyrectl reads from a job's status or wait file (README.md "Files"). */
struct job_status {
	char state[16];
	char error[256];
	uint64_t length;
	uint64_t bytes_done;
	uint64_t elapsed_us;
	bool many; /* a directory, glob or files= list: per-file results in files */
};

extern volatile sig_atomic_t vyrectl_interrupted;
extern const char *const scan_keys[SCAN_KEY_COUNT];

int buf_reserve(struct buf *b, size_t more);
int buf_put(struct buf *b, const char *s, size_t n);
int buf_puts(struct buf *b, const char *s);
void buf_free(struct buf *b);
int buf_read_fd(struct buf *b, int fd);

/* MOUNT/rel; each reports its own failure on stderr and returns -errno. */
void mount_warn(const struct vyrectl *c, const char *rel, int err);
int mount_open(const struct vyrectl *c, const char *rel, int flags, int *fd);
int mount_read(const struct vyrectl *c, const char *rel, struct buf *b);
int mount_write(const struct vyrectl *c, const char *rel, const char *s);
int mount_cat(const struct vyrectl *c, const char *rel); /* MOUNT/rel to stdout */

int job_id_check(const char *id);
void job_rel(const char *id, const char *file, char rel[VYRECTL_REL_MAX]);
void kv_unquote(const char *v, size_t n, char *out, size_t size);
/* kv_unquote up to the first newline outside quotes; returns the bytes taken */
size_t kv_unquote_len(const char *v, size_t n, char *out, size_t size);
/* Ctrl-C sets vyrectl_interrupted and a blocked read of the mount returns EINTR */
int sigint_catch(void);
int job_wait(const struct vyrectl *c, const char *id, struct job_status *st);
/* waits for job id and prints its result (wait, scan --wait); an exit status */
int job_finish(const struct vyrectl *c, const char *id);

int put_quoted(struct buf *b, const char *s, bool escape_high);
int path_absolute(const char *path, struct buf *out);
bool path_plain(const char *s);
int put_path(struct buf *b, const char *path); /* absolute, quoted when it must be */
size_t path_unescape(char *s, size_t n);
int files_print(const struct vyrectl *c, const char *id, bool names, uint64_t *sum);
/*
 * Each "RESULT PATH" line of a jobs/N/files text in b, in order, to fn
 * with PATH unescaped in place (b is changed); -EPROTO at a line of
 * another shape, else fn's first nonzero return or 0.
 */
int files_each(struct buf *b, int (*fn)(void *ctx, const char *path, size_t n, uint64_t v),
	       void *ctx);
int files_failed_print(const struct vyrectl *c, const char *id);
int ctl_submit(const struct vyrectl *c, const struct buf *line, struct buf *answer);
int ctl_submit_id(const struct vyrectl *c, const struct buf *line, char id[VYRECTL_ID_MAX + 1]);

/* vyrectl cache [drop] (vyrectl_cache.c): an exit status. */
int cmd_cache(struct vyrectl *c);

/* vyrectl replay TRACE (vyrectl_replay.c): an exit status. */
int cmd_replay(struct vyrectl *c);

/* vyrectl grep: parses its own command line (grep's options), runs, returns grep's status. */
int grep_main(struct vyrectl *c, int argc, char *argv[]);

/* vyrectl_slurm*.c: scan --slurm, and the task sbatch runs on each node (slurm-task). */
int slurm_scan(const struct vyrectl *c);
int slurm_task_main(struct vyrectl *c, int argc, char *argv[]);

#endif /* VYRECTL_H */
