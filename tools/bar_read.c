// SPDX-License-Identifier: MIT
/*
 * bar_read - ingest into a BAR mapping alone: a DEVICE_LOCAL|HOST_VISIBLE
 * Vulkan buffer (what the persistent kernel's arena is, pump/arena.c),
 * mapped, and filled either the way the pump's persistent path fills it
 * (pump/uring.c: plain IORING_OP_READ, not registered, IOSQE_ASYNC for
 * reads of 256 KiB and more) or by CPU threads' memcpy from host memory,
 * the copy's ceiling with io_uring out of the way. Prints GB/s.
 *
 *   bar_read [-m uring|memcpy] [-b BS_KIB] [-q QD] [-S SET_MIB] [-a] [-f]
 *            [-w BOUNDED] [-T THREADS] [-t SECS] [-d DEVICE] [-v] [FILE]
 *
 *   -m uring   read FILE into the mapping (the default; FILE is needed)
 *   -m memcpy  THREADS threads copy a host buffer into slices of the mapping
 *   -f         try registering the mapping (fails EFAULT on NVIDIA: fact 4)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpu.h"
#include "ringread.h"

struct copier {
	pthread_t thread;
	pthread_barrier_t *start;
	uint8_t *dst; /* this thread's slice of the mapping */
	size_t size;
	double secs;
	uint64_t bytes;
	int ret;
};

static void *copier_run(void *arg)
{
	struct copier *c = arg;
	uint8_t *src =
	    mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0;

	if (src == MAP_FAILED) {
		c->ret = -errno;
		pthread_barrier_wait(c->start);
		return NULL;
	}
	memset(src, 0x5a, c->size);
	pthread_barrier_wait(c->start);
	t0 = rr_now_s();
	do {
		memcpy(c->dst, src, c->size);
		c->bytes += c->size;
	} while (rr_now_s() - t0 < c->secs);
	munmap(src, c->size);
	return NULL;
}

static int bar_memcpy(uint8_t *map, size_t total, unsigned threads, double secs, double *gbs)
{
	struct copier *c = calloc(threads, sizeof(*c));
	pthread_barrier_t start;
	uint64_t bytes = 0;
	unsigned started;
	double t0;
	int ret;

	if (!c)
		return -ENOMEM;
	ret = -pthread_barrier_init(&start, NULL, threads + 1);
	if (ret)
		goto out_free;
	size_t slice = (total / threads) & ~(size_t)4095;
	for (started = 0; started < threads; started++) {
		c[started] = (struct copier){
		    .start = &start, .dst = map + started * slice, .size = slice, .secs = secs};
		ret = -pthread_create(&c[started].thread, NULL, copier_run, &c[started]);
		if (ret) {
			/* the barrier counts every thread: with one missing nobody passes it */
			fprintf(stderr, "bar_read: thread %u: %s\n", started, strerror(-ret));
			exit(1);
		}
	}
	pthread_barrier_wait(&start);
	t0 = rr_now_s();
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(c[i].thread, NULL);
		bytes += c[i].bytes;
		if (c[i].ret && !ret)
			ret = c[i].ret;
	}
	*gbs = (double)bytes / (rr_now_s() - t0) / 1e9;
	pthread_barrier_destroy(&start);
out_free:
	free(c);
	return ret;
}

static int bar_uring(uint8_t *map, const char *path, struct rr_opts *o, bool verbose, double *gbs)
{
	struct rr_result res = {0};
	struct io_uring ring;
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		fprintf(stderr, "bar_read: %s: %s\n", path, strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	ret = rr_ring_open(&ring, map, o, &res);
	if (ret)
		goto out_close;
	ret = rr_run(&ring, fd, (uint64_t)st.st_size, map, o, &res);
	if (!ret) {
		*gbs = (double)res.bytes / res.secs / 1e9;
		if (verbose)
			fprintf(stderr, "bar_read: %u passes, %.1f GB in %.2f s, io-wq max %u,%u\n",
				res.passes, (double)res.bytes / 1e9, res.secs, res.iowq_after[0],
				res.iowq_after[1]);
	}
	io_uring_queue_exit(&ring);
out_close:
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	struct rr_opts o = {.bs = 4u << 20, .qd = 32};
	const char *mode = "uring", *dev = getenv("VYRE_DEVICE");
	unsigned threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	size_t set_bytes = 0;
	bool verbose = false;
	struct gpu_buf buf;
	struct gpu *g;
	double gbs = 0;
	int c, ret;

	while ((c = getopt(argc, argv, "m:b:q:S:afw:T:t:d:v")) != -1) {
		switch (c) {
		case 'm':
			mode = optarg;
			break;
		case 'b':
			o.bs = (size_t)atoi(optarg) << 10;
			break;
		case 'q':
			o.qd = (unsigned)atoi(optarg);
			break;
		case 'S':
			set_bytes = (size_t)atol(optarg) << 20;
			break;
		case 'a':
			o.async = true;
			break;
		case 'f':
			o.fixed = true;
			break;
		case 'w':
			o.iowq[0] = (unsigned)atoi(optarg);
			break;
		case 'T':
			threads = (unsigned)atoi(optarg);
			break;
		case 't':
			o.secs = atof(optarg);
			break;
		case 'd':
			dev = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-m uring|memcpy] [-b BS_KIB] [-q QD] [-S SET_MIB] "
				"[-a] [-f] [-w BOUNDED] [-T THREADS] [-t SECS] [-d DEVICE] "
				"[-v] [FILE]\n",
				argv[0]);
			return 2;
		}
	}
	bool uring = !strcmp(mode, "uring");
	if ((!uring && strcmp(mode, "memcpy")) || (uring && optind >= argc) || !o.bs || !o.qd ||
	    !threads) {
		fprintf(stderr, "bar_read: -m uring FILE or -m memcpy; -b, -q, -T above 0\n");
		return 2;
	}
	if (!set_bytes)
		set_bytes = o.bs * o.qd;
	o.nbuf = set_bytes / o.bs ? (unsigned)(set_bytes / o.bs) : 1;
	set_bytes = (size_t)o.nbuf * o.bs;
	ret = gpu_open(dev, &g);
	if (ret) {
		fprintf(stderr, "bar_read: no Vulkan device: %s\n", strerror(-ret));
		return 1;
	}
	ret = gpu_buf_alloc(g, set_bytes, GPU_PLACE_BAR, &buf);
	if (ret) {
		fprintf(stderr, "bar_read: %zu MiB of BAR memory: %s\n", set_bytes >> 20,
			strerror(-ret));
		goto out_close;
	}
	if (verbose)
		fprintf(stderr, "bar_read: %s, %zu MiB in %s memory (type %u), %s\n", g->name,
			set_bytes >> 20, gpu_place_name(g, &buf), buf.type, mode);
	if (uring)
		ret = bar_uring(buf.map, argv[optind], &o, verbose, &gbs);
	else
		ret = bar_memcpy(buf.map, set_bytes, threads, o.secs > 0 ? o.secs : 2, &gbs);
	if (!ret)
		printf("%.3f\n", gbs);
	gpu_buf_free(g, &buf);
out_close:
	gpu_close(&g);
	return ret ? 1 : 0;
}
