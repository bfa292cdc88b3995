/* SPDX-License-Identifier: MIT */
/*
 * fs.h - the FUSE front-end's private header: options, the job table,
 * rendering, credentials.
 */
#ifndef VYRE_FS_H
#define VYRE_FS_H

#define FUSE_USE_VERSION 35

#include <fuse.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "descriptor.h"
#include "pump.h"
#include "regex/regex.h"

#define FS_JOBS_CAP_DEFAULT 1024u

struct fs_opts {
	char *mountpoint;
	unsigned slots;
	char *chunk;
	char *device;
	char *kernel;
	int direct;
	int async;
	unsigned jobs_cap;
	char *log;
	int foreground;
	int debug;
	int show_help;
	int show_version;
};

/*
 * One submitted job. Created by a ctl write, owned by the job table (one
 * reference) and by each open file of the job (one each).
 */
struct fs_job {
	atomic_int refs;
	uint64_t id;
	uid_t uid;
	gid_t gid;
	struct pump_job *pj;
	const struct pump_op *op;
	char *path;
	char *descriptor; /* normalized, one line */
	char tenant[DESC_TENANT_MAX];
	uint64_t offset;
	time_t created;
};

struct fs {
	struct pump *pump;
	struct fs_opts opts;
	uint32_t chunk; /* mount default */
	time_t started;

	pthread_mutex_t lock; /* guards the job table below */
	struct fs_job **jobs; /* sorted by id */
	size_t njobs, jobs_alloc;
	uint64_t next_id;
	uint64_t jobs_submitted;
};

extern struct fs *fs_global;

/* jobs.c */
int fs_jobs_add(struct fs *fs, struct fs_job *j);
struct fs_job *fs_job_lookup(struct fs *fs, uint64_t id); /* takes a reference */
struct fs_job *fs_job_latest(struct fs *fs, uid_t uid);   /* takes a reference */
int fs_job_remove(struct fs *fs, uint64_t id);            /* rmdir: -EBUSY while running */
void fs_job_put(struct fs_job **j);
size_t fs_job_ids(struct fs *fs, uint64_t *ids, size_t max);
bool fs_job_finished(struct fs_job *j);

/* submit.c: one ctl line -> one job; message for the caller in err */
int fs_submit_line(struct fs *fs, const char *line, size_t len, uint64_t *id, char *err,
		   size_t errlen);

/* cred.c: open path for reading with the caller's credentials */
int cred_open(const struct fuse_context *ctx, const char *path, int *fd, char *err,
	      size_t errlen);

/* grep.c: a grep descriptor's patterns compiled for the pump (scan.dfa) */
struct fs_grep {
	struct regex_dfa dfa; /* the compiler's, freed by fs_grep_release */
	struct pump_dfa view; /* what pump_scan.dfa points at */
	bool ready;
};
int fs_grep_prepare(const struct fuse_context *ctx, const struct desc *d, struct fs_grep *g,
		    char *err, size_t errlen);
void fs_grep_release(struct fs_grep *g);

/* render.c: file contents into a malloc'd buffer */
struct fs_buf {
	char *data;
	size_t len, cap;
};
int fs_buf_printf(struct fs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fs_buf_free(struct fs_buf *b);
int render_job_status(struct fs_job *j, struct fs_buf *b);
int render_job_result(struct fs_job *j, struct fs_buf *b);
int render_job_failed(struct fs_job *j, struct fs_buf *b);
int render_job_lines(struct fs_job *j, struct fs_buf *b);
int render_status(struct fs *fs, struct fs_buf *b);
int render_metrics(struct fs *fs, struct fs_buf *b);
int render_ops(struct fs_buf *b);
int render_readme(struct fs_buf *b);

/* tree.c */
extern const struct fuse_operations fs_ops;

#endif
