// SPDX-License-Identifier: MIT
/*
 * ringread.c - the shared read loop of tools/uring_read and tools/bar_read
 * (ringread.h says what it does).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "ringread.h"

double rr_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int rr_parse_cpus(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s || a < 0 || a >= CPU_SETSIZE)
			return -EINVAL;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b >= CPU_SETSIZE)
				return -EINVAL;
		}
		for (long c = a; c <= b; c++)
			CPU_SET((int)c, set);
		if (*end == ',')
			end++;
		else if (*end)
			return -EINVAL;
		s = end;
	}
	return CPU_COUNT(set) ? 0 : -EINVAL;
}

int rr_ring_open(struct io_uring *ring, uint8_t *buf, const struct rr_opts *o,
		 struct rr_result *res)
{
	struct iovec *iov = NULL;
	int ret;

	ret = io_uring_queue_init(2 * o->qd, ring, 0);
	if (ret < 0) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return ret;
	}
	/* zeros only read the current limits back; the kernel writes them here */
	unsigned cur[2] = {0, 0};
	ret = io_uring_register_iowq_max_workers(ring, cur);
	if (ret < 0) {
		fprintf(stderr, "io_uring_register_iowq_max_workers: %s\n", strerror(-ret));
		goto out_exit;
	}
	res->iowq_before[0] = cur[0];
	res->iowq_before[1] = cur[1];
	if (o->iowq[0] || o->iowq[1]) {
		unsigned want[2] = {o->iowq[0], o->iowq[1]};
		ret = io_uring_register_iowq_max_workers(ring, want);
		if (ret < 0) {
			fprintf(stderr, "io_uring_register_iowq_max_workers(%u, %u): %s\n",
				o->iowq[0], o->iowq[1], strerror(-ret));
			goto out_exit;
		}
	}
	/*
	 * Read back what the kernel holds now: on the H200 (6.18) a bound of
	 * 2 moved the copy as fast as 64 did, so report, don't assume, the limit.
	 */
	cur[0] = cur[1] = 0;
	ret = io_uring_register_iowq_max_workers(ring, cur);
	if (ret < 0) {
		fprintf(stderr, "io_uring_register_iowq_max_workers: %s\n", strerror(-ret));
		goto out_exit;
	}
	res->iowq_after[0] = cur[0];
	res->iowq_after[1] = cur[1];
	if (o->iowq_cpus) {
		ret = io_uring_register_iowq_aff(ring, sizeof(*o->iowq_cpus), o->iowq_cpus);
		if (ret < 0) {
			fprintf(stderr, "io_uring_register_iowq_aff: %s\n", strerror(-ret));
			goto out_exit;
		}
	}
	if (!o->fixed)
		return 0;
	iov = calloc(o->nbuf, sizeof(*iov));
	if (!iov) {
		ret = -ENOMEM;
		goto out_exit;
	}
	for (unsigned i = 0; i < o->nbuf; i++)
		iov[i] = (struct iovec){buf + i * o->bs, o->bs};
	ret = io_uring_register_buffers(ring, iov, o->nbuf);
	free(iov);
	if (ret < 0) {
		/* BAR mappings fail EFAULT here (platform fact 4, ARCHITECTURE.md) */
		fprintf(stderr, "io_uring_register_buffers (%u x %zu KiB): %s%s\n", o->nbuf,
			o->bs >> 10, strerror(-ret),
			ret == -ENOMEM ? "; raise RLIMIT_MEMLOCK (ulimit -l)" : "");
		goto out_exit;
	}
	return 0;
out_exit:
	io_uring_queue_exit(ring);
	return ret;
}

/*
 * Read i of a pass goes to buffer i % nbuf: with nbuf < qd two reads in
 * flight share a buffer, which costs nothing here (the bytes are never
 * looked at) and lets a buffer set smaller than the queue stay in the LLC.
 */
int rr_run(struct io_uring *ring, int fd, uint64_t size, uint8_t *buf, const struct rr_opts *o,
	   struct rr_result *res)
{
	uint64_t next = 0, done = 0, reads = 0;
	unsigned inflight = 0;
	double t0 = rr_now_s(), t1;

	res->bytes = 0;
	res->passes = 0;
	for (;;) {
		while (inflight < o->qd && next < size) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
			unsigned b = (unsigned)(reads % o->nbuf);
			size_t len = size - next < o->bs ? (size_t)(size - next) : o->bs;

			if (!sqe)
				break; /* the ring is 2 * qd: cannot happen, but never spin on it */
			if (o->direct)
				len = (len + 4095) & ~(size_t)4095;
			if (o->fixed)
				io_uring_prep_read_fixed(sqe, fd, buf + b * o->bs, (unsigned)len,
							 next, (int)b);
			else
				io_uring_prep_read(sqe, fd, buf + b * o->bs, (unsigned)len, next);
			if (o->async)
				sqe->flags |= IOSQE_ASYNC;
			next += o->bs;
			reads++;
			inflight++;
		}
		int ret = io_uring_submit(ring);
		if (ret < 0) {
			fprintf(stderr, "io_uring_submit: %s\n", strerror(-ret));
			return ret;
		}
		struct io_uring_cqe *cqe;
		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret < 0) {
			fprintf(stderr, "io_uring_wait_cqe: %s\n", strerror(-ret));
			return ret;
		}
		if (cqe->res < 0) {
			ret = cqe->res;
			fprintf(stderr, "read: %s\n", strerror(-ret));
			io_uring_cqe_seen(ring, cqe);
			return ret;
		}
		/* a short read past EOF (direct) or a shrunk file: count what came */
		res->bytes += (uint64_t)cqe->res;
		done += o->bs;
		io_uring_cqe_seen(ring, cqe);
		inflight--;
		if (done >= size && !inflight) {
			res->passes++;
			if (o->secs <= 0 || rr_now_s() - t0 >= o->secs)
				break;
			next = done = 0;
		}
	}
	t1 = rr_now_s();
	res->secs = t1 - t0;
	return 0;
}
