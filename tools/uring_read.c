// SPDX-License-Identifier: MIT
/*
 * uring_read - raw io_uring read bandwidth, the peer vyrefs is measured
 * against where fio cannot be installed: reads FILE, BS bytes per read, QD
 * reads in flight, optionally IOSQE_ASYNC, O_DIRECT, and registered
 * buffers (READ_FIXED), exactly like the pump. Prints GB/s on stdout (one
 * number: tools/bench reads it) and what it set up on stderr with -v.
 *
 *   uring_read [-b BS_KIB] [-q QD] [-a] [-d] [-f] [-S SET_MIB] [-H none|thp|hugetlb]
 *              [-w BOUNDED[,UNBOUNDED]] [-c CPUS] [-A CPUS] [-t SECS] [-v] FILE
 *
 *   -S  the buffer set the reads cycle over, MiB (default BS x QD): 16 x 1 MiB
 *       stays in the LLC, the pump's arena is 32 x 4 MiB
 *   -H  back the buffers with huge pages: thp = madvise(MADV_HUGEPAGE),
 *       hugetlb = MAP_HUGETLB (needs /proc/sys/vm/nr_hugepages)
 *   -w  io_uring_register_iowq_max_workers (buffered reads of a regular
 *       file run on bounded workers)
 *   -c  pin the submitting thread to CPUS ("0-7,12")
 *   -A  pin the io-wq workers to CPUS (io_uring_register_iowq_aff: they do
 *       not follow the submitter's affinity)
 *   -t  read the file again and again until SECS have passed
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringread.h"

#define HUGE_2M (2u << 20)

enum huge { HUGE_NONE, HUGE_THP, HUGE_TLB };

static const char *const huge_names[] = {"none", "thp", "hugetlb"};

/* kB of this process's anonymous memory in THPs, or -1 if unreadable */
static long anon_huge_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * The buffer set, touched before timing so no read pays a page fault. THP
 * needs the advice before the first touch (MAP_POPULATE would fault 4 KiB
 * pages first) and a 2 MiB-aligned range, so the mapping is rounded up.
 */
struct bufset {
	void *map; /* what munmap takes */
	size_t mapped;
	uint8_t *buf; /* the buffers: map, or map's first 2 MiB boundary for THP */
};

static int buf_alloc(size_t size, enum huge huge, struct bufset *b)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	size_t *mapped = &b->mapped;
	uint8_t *p;

	*mapped = size;
	if (huge == HUGE_TLB) {
		*mapped = (size + HUGE_2M - 1) & ~(size_t)(HUGE_2M - 1);
		flags |= MAP_HUGETLB | (21 << MAP_HUGE_SHIFT);
	}
	if (huge == HUGE_THP)
		*mapped = size + HUGE_2M;
	p = mmap(NULL, *mapped, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		int ret = -errno;
		fprintf(stderr, "mmap of %zu MiB (%s) failed: %s%s\n", *mapped >> 20,
			huge_names[huge], strerror(-ret),
			huge == HUGE_TLB ? "; reserve pages: echo N > /proc/sys/vm/nr_hugepages"
					 : "");
		return ret;
	}
	if (huge == HUGE_THP) {
		uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1));
		if (madvise(a, size, MADV_HUGEPAGE) < 0) {
			int ret = -errno;
			fprintf(stderr,
				"madvise(MADV_HUGEPAGE): %s (is THP built in? "
				"/sys/kernel/mm/transparent_hugepage/enabled)\n",
				strerror(-ret));
			munmap(p, *mapped);
			return ret;
		}
		b->map = p;
		b->buf = a;
		memset(a, 0, size);
		return 0;
	}
	memset(p, 0, size);
	b->map = p;
	b->buf = p;
	return 0;
}

int main(int argc, char **argv)
{
	struct rr_opts o = {.bs = 4u << 20, .qd = 32};
	struct rr_result res = {0};
	enum huge huge = HUGE_NONE;
	cpu_set_t self_cpus, wq_cpus;
	bool pin_self = false, verbose = false;
	size_t set_bytes = 0;
	struct bufset bs = {0};
	struct io_uring ring;
	struct stat st;
	int c, fd, ret;

	while ((c = getopt(argc, argv, "b:q:adfS:H:w:c:A:t:v")) != -1) {
		switch (c) {
		case 'b':
			o.bs = (size_t)atoi(optarg) << 10;
			break;
		case 'q':
			o.qd = (unsigned)atoi(optarg);
			break;
		case 'a':
			o.async = true;
			break;
		case 'd':
			o.direct = true;
			break;
		case 'f':
			o.fixed = true;
			break;
		case 'S':
			set_bytes = (size_t)atol(optarg) << 20;
			break;
		case 'H':
			for (huge = HUGE_NONE; huge <= HUGE_TLB; huge++)
				if (!strcmp(optarg, huge_names[huge]))
					break;
			if (huge > HUGE_TLB) {
				fprintf(stderr, "uring_read: -H %s: use none, thp or hugetlb\n",
					optarg);
				return 2;
			}
			break;
		case 'w':
			if (sscanf(optarg, "%u,%u", &o.iowq[0], &o.iowq[1]) < 1) {
				fprintf(stderr,
					"uring_read: -w %s: give BOUNDED[,UNBOUNDED], e.g. -w 8\n",
					optarg);
				return 2;
			}
			break;
		case 'c':
		case 'A':
			if (rr_parse_cpus(optarg, c == 'c' ? &self_cpus : &wq_cpus)) {
				fprintf(stderr, "uring_read: -%c %s: give CPUs as 0-7,12\n", c,
					optarg);
				return 2;
			}
			if (c == 'c')
				pin_self = true;
			else
				o.iowq_cpus = &wq_cpus;
			break;
		case 't':
			o.secs = atof(optarg);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-b BS_KIB] [-q QD] [-a] [-d] [-f] [-S SET_MIB] "
				"[-H none|thp|hugetlb] [-w BOUNDED[,UNBOUNDED]] [-c CPUS] "
				"[-A CPUS] [-t SECS] [-v] FILE\n",
				argv[0]);
			return 2;
		}
	}
	if (optind >= argc || !o.bs || !o.qd) {
		fprintf(stderr, "uring_read: give a FILE, and -b and -q above 0\n");
		return 2;
	}
	if (!set_bytes)
		set_bytes = o.bs * o.qd;
	o.nbuf = set_bytes / o.bs ? (unsigned)(set_bytes / o.bs) : 1;
	if (pin_self && sched_setaffinity(0, sizeof(self_cpus), &self_cpus) < 0) {
		perror("sched_setaffinity");
		return 1;
	}
	fd = open(argv[optind], O_RDONLY | (o.direct ? O_DIRECT : 0));
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[optind]);
		return 1;
	}
	ret = buf_alloc((size_t)o.nbuf * o.bs, huge, &bs);
	if (ret)
		goto out_close;
	ret = rr_ring_open(&ring, bs.buf, &o, &res);
	if (ret)
		goto out_unmap;
	if (verbose)
		fprintf(stderr,
			"uring_read: bs %zu KiB, qd %u, %u buffers (%zu MiB), huge %s "
			"(AnonHugePages %ld kB), io-wq max workers %u,%u -> %u,%u%s%s%s\n",
			o.bs >> 10, o.qd, o.nbuf, ((size_t)o.nbuf * o.bs) >> 20, huge_names[huge],
			anon_huge_kb(), res.iowq_before[0], res.iowq_before[1], res.iowq_after[0],
			res.iowq_after[1], o.fixed ? ", registered" : "", o.async ? ", async" : "",
			pin_self ? ", pinned" : "");
	ret = rr_run(&ring, fd, (uint64_t)st.st_size, bs.buf, &o, &res);
	if (!ret) {
		printf("%.3f\n", (double)res.bytes / res.secs / 1e9);
		if (verbose)
			fprintf(stderr, "uring_read: %u passes, %.1f GB in %.2f s\n", res.passes,
				(double)res.bytes / 1e9, res.secs);
	}
	io_uring_queue_exit(&ring);
out_unmap:
	munmap(bs.map, bs.mapped);
out_close:
	close(fd);
	return ret ? 1 : 0;
}
