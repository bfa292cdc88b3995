/* SPDX-License-Identifier: MIT */
/*
 * ringread.h - the read loop the ingest tools share (uring_read into host
 * memory, bar_read into a BAR mapping): one io_uring, BS-byte reads, QD in
 * flight, cycling over NBUF buffers of BS bytes, optionally IOSQE_ASYNC,
 * O_DIRECT, registered buffers, bounded io-wq workers and io-wq affinity.
 */
#ifndef VYRE_RINGREAD_H
#define VYRE_RINGREAD_H

#include <liburing.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rr_opts {
	size_t bs;	      /* bytes per read */
	unsigned qd;	      /* reads in flight */
	unsigned nbuf;	      /* buffers of bs bytes the reads cycle over (>= 1) */
	bool async;	      /* IOSQE_ASYNC */
	bool direct;	      /* the file is open O_DIRECT: lengths rounded up to 4 KiB */
	bool fixed;	      /* READ_FIXED into registered buffers */
	unsigned iowq[2];     /* io-wq max workers, bounded and unbounded; 0 leaves one as is */
	cpu_set_t *iowq_cpus; /* io-wq workers' affinity; NULL leaves it as is */
	double secs;	      /* read the file again until this long has passed; 0: once */
};

/* What a run moved, and the io-wq limits the kernel reported before and after ours. */
struct rr_result {
	uint64_t bytes;
	double secs;
	unsigned passes;
	unsigned iowq_before[2];
	unsigned iowq_after[2];
};

/*
 * Sets up ring for o over buf (o->nbuf * o->bs bytes): queue, io-wq
 * bounds and affinity, buffer registration. 0 or a negative errno, with a
 * line on stderr naming the step that failed.
 */
int rr_ring_open(struct io_uring *ring, uint8_t *buf, const struct rr_opts *o,
		 struct rr_result *res);
/* Reads fd (size bytes) as o says; 0 or a negative errno (a failed read). */
int rr_run(struct io_uring *ring, int fd, uint64_t size, uint8_t *buf, const struct rr_opts *o,
	   struct rr_result *res);
/* Parses "0-3,8,10-11" into set; 0 or -EINVAL. */
int rr_parse_cpus(const char *s, cpu_set_t *set);
double rr_now_s(void);

#endif
