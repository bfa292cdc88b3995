/* SPDX-License-Identifier: MIT */
/*
 * vyrectl's Slurm fan-out (--slurm): what vyrectl_slurm*.c share. Nothing
 * else includes it; vyrectl.c and vyrectl_grep.c reach it through the
 * three entry points in vyrectl.h and vyrectl_grep.h.
 *
 * A run lives in one shared directory (RUN below, ARCHITECTURE.md "Many
 * hosts (Slurm)"): "mount" names the vyrefs mount on every node, shard.K
 * holds shard K's descriptor lines, part.K is what task K wrote back
 * (node, error, and per descriptor J: J.id, J.status, J.result, J.lines,
 * J.files, J.failed), task.JOB.K.log is Slurm's output of the task.
 */
#ifndef VYRECTL_SLURM_H
#define VYRECTL_SLURM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vyrectl.h"

// clang-format off
#define SLURM_SHARD_DEFAULT (4ULL << 30) /* bytes a task scans; VYRECTL_SLURM_SHARD overrides */
#define SLURM_TASKS_MAX	    1000	 /* indices 0-999 fit Slurm's default MaxArraySize=1001 */
#define SLURM_POLL_MS	    250		 /* squeue polls while the array runs */
// clang-format on

/* One run: owned by the command that fans out; slurm_close removes RUN. */
struct slurm_run {
	const struct vyrectl *c; /* c->mount: the mount on every node */
	const char *sbatch_args; /* --slurm=ARGS: blank-separated sbatch options, or NULL */
	char dir[PATH_MAX];	 /* RUN, made in the current directory */
	size_t nshards;
	char jobid[32]; /* the first array's id, for messages */
};

/* What task K reported for its shard, read back from part.K. */
struct slurm_part {
	bool present;	 /* part.K exists: the task ran to its end */
	char node[128];	 /* where it ran */
	char error[512]; /* the task could not run the shard (no mount, a refusal) */
};

/* vyrectl_slurm.c: the run directory, sbatch, the wait and the retry */
int slurm_open(struct slurm_run *r, const struct vyrectl *c, const char *sbatch_args);
int slurm_shard_add(struct slurm_run *r, const struct buf *lines);
int slurm_submit_wait(struct slurm_run *r);
int slurm_part_get(const struct slurm_run *r, size_t k, struct slurm_part *p);
int slurm_part_read(const struct slurm_run *r, size_t k, size_t j, const char *file, struct buf *b);
int slurm_job_state(const struct slurm_run *r, size_t k, size_t j, struct job_status *st);
void slurm_close(struct slurm_run *r, bool keep);
int slurm_file_add(struct slurm_run *r, const char *name, const struct buf *b, struct buf *path);
int slurm_shared_copy(struct slurm_run *r, const char *src, const char *name, struct buf *path);

/* vyrectl_slurm_plan.c: shard sizes and range cuts */
uint64_t slurm_shard_size(uint64_t total);
int slurm_size_parse(const char *s, uint64_t *v);
int slurm_cuts(int fd, uint64_t start, uint64_t end, uint64_t shard, bool at_lines, uint64_t **cuts,
	       size_t *n);
int slurm_shard_say(const struct slurm_run *r, size_t k, const struct slurm_part *p,
		    const char *what);

/* vyrectl_slurm.c's file helpers, shared with the task (vyrectl_slurm_task.c) */
int slurm_run_path(const struct slurm_run *r, char out[PATH_MAX], const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int slurm_file_put(const char *path, const char *s, size_t n);
int slurm_file_get(const char *path, struct buf *b);

#endif /* VYRECTL_SLURM_H */
