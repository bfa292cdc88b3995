// SPDX-License-Identifier: MIT
/*
 * memcpy_bw - host memory bandwidth with N threads, the ceiling the
 * ingest's page-cache copy shares with the GPU's PCIe reads (BENCHMARKS.md
 * "Ingest breakdown"). Each thread has its own source and destination of
 * MIB MiB (far past the LLC by default), touched by that thread so they sit
 * on its node, and loops over them until SECS have passed.
 *
 *   memcpy_bw [-T THREADS] [-s MIB] [-t SECS] [-m copy|read|write]
 *
 * Prints GB/s of bytes copied (copy: each byte is read once and written
 * once, so DRAM moves at least twice that), read (a sum over 8-byte
 * words) or written (memset).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringread.h"

enum mode { MODE_COPY, MODE_READ, MODE_WRITE };

static const char *const mode_names[] = {"copy", "read", "write"};

struct worker {
	pthread_t thread;
	pthread_barrier_t *start;
	enum mode mode;
	size_t size;
	double secs;
	uint64_t bytes;
	uint64_t sink; /* read mode's sum, kept so the loads are not dropped */
	int ret;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	size_t n = w->mode == MODE_COPY ? 2 * w->size : w->size;
	uint8_t *src, *dst;
	double t0;

	src = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED) {
		w->ret = -errno;
		pthread_barrier_wait(w->start);
		return NULL;
	}
	dst = w->mode == MODE_COPY ? src + w->size : src;
	memset(src, 0x5a, n); /* first touch: this thread's node, no faults when timed */
	pthread_barrier_wait(w->start);
	t0 = rr_now_s();
	do {
		switch (w->mode) {
		case MODE_COPY:
			memcpy(dst, src, w->size);
			break;
		case MODE_READ: {
			const uint64_t *q = (const uint64_t *)src;
			uint64_t s = 0;
			for (size_t i = 0; i < w->size / 8; i++)
				s += q[i];
			w->sink += s;
			break;
		}
		case MODE_WRITE:
			memset(dst, (int)(w->bytes & 0xff), w->size);
			break;
		}
		w->bytes += w->size;
	} while (rr_now_s() - t0 < w->secs);
	munmap(src, n);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	size_t mib = 256;
	double secs = 2;
	enum mode mode = MODE_COPY;
	pthread_barrier_t start;
	struct worker *w;
	uint64_t bytes = 0;
	double t0, t1;
	int c, ret = 0;

	while ((c = getopt(argc, argv, "T:s:t:m:")) != -1) {
		switch (c) {
		case 'T':
			threads = (unsigned)atoi(optarg);
			break;
		case 's':
			mib = (size_t)atol(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'm':
			for (mode = MODE_COPY; mode <= MODE_WRITE; mode++)
				if (!strcmp(optarg, mode_names[mode]))
					break;
			if (mode > MODE_WRITE) {
				fprintf(stderr, "memcpy_bw: -m %s: use copy, read or write\n",
					optarg);
				return 2;
			}
			break;
		default:
			fprintf(stderr,
				"usage: %s [-T THREADS] [-s MIB] [-t SECS] [-m copy|read|write]\n",
				argv[0]);
			return 2;
		}
	}
	if (!threads || !mib) {
		fprintf(stderr, "memcpy_bw: -T and -s must be above 0\n");
		return 2;
	}
	w = calloc(threads, sizeof(*w));
	if (!w)
		return 1;
	ret = -pthread_barrier_init(&start, NULL, threads + 1);
	if (ret)
		goto out_free;
	unsigned started = 0;
	for (; started < threads; started++) {
		w[started] =
		    (struct worker){.start = &start, .mode = mode, .size = mib << 20, .secs = secs};
		ret = -pthread_create(&w[started].thread, NULL, worker_run, &w[started]);
		if (ret)
			break;
	}
	if (ret) {
		/* the barrier counts every thread: with one missing nobody passes it */
		fprintf(stderr, "memcpy_bw: thread %u: %s\n", started, strerror(-ret));
		exit(1);
	}
	pthread_barrier_wait(&start);
	t0 = rr_now_s();
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		bytes += w[i].bytes;
		if (w[i].ret && !ret)
			ret = w[i].ret;
	}
	t1 = rr_now_s();
	if (ret)
		fprintf(stderr, "memcpy_bw: a thread's %zu MiB mmap failed: %s (lower -s)\n", mib,
			strerror(-ret));
	else
		printf("%.3f\n", (double)bytes / (t1 - t0) / 1e9);
	pthread_barrier_destroy(&start);
out_free:
	free(w);
	return ret ? 1 : 0;
}
