// SPDX-License-Identifier: MIT
/*
 * uring_read - raw io_uring read bandwidth, the peer vyrefs is measured
 * against where fio cannot be installed: reads FILE once, BS bytes per
 * read, QD reads in flight, optionally IOSQE_ASYNC, O_DIRECT, and
 * registered buffers (READ_FIXED), exactly like the pump. Prints GB/s.
 *
 *   uring_read [-b BS_KIB] [-q QD] [-a] [-d] [-f] FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t bs = 4u << 20;
	unsigned qd = 32;
	int async = 0, direct = 0, fixed = 0, c;
	struct io_uring ring;
	struct stat st;

	while ((c = getopt(argc, argv, "b:q:adf")) != -1) {
		switch (c) {
		case 'b': bs = (size_t)atoi(optarg) << 10; break;
		case 'q': qd = (unsigned)atoi(optarg); break;
		case 'a': async = 1; break;
		case 'd': direct = 1; break;
		case 'f': fixed = 1; break;
		default:
			fprintf(stderr, "usage: %s [-b BS_KIB] [-q QD] [-a] [-d] [-f] FILE\n", argv[0]);
			return 2;
		}
	}
	if (optind >= argc)
		return 2;
	int fd = open(argv[optind], O_RDONLY | (direct ? O_DIRECT : 0));
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[optind]);
		return 1;
	}
	uint8_t *buf = mmap(NULL, bs * qd, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED || io_uring_queue_init(2 * qd, &ring, 0) < 0) {
		perror("setup");
		return 1;
	}
	if (fixed) {
		struct iovec *iov = calloc(qd, sizeof(*iov));
		for (unsigned i = 0; i < qd; i++)
			iov[i] = (struct iovec){buf + i * bs, bs};
		if (io_uring_register_buffers(&ring, iov, qd) < 0) {
			perror("register");
			return 1;
		}
		free(iov);
	}
	uint64_t size = (uint64_t)st.st_size, next = 0, done = 0;
	unsigned inflight = 0;
	double t0 = now_s();
	while (done < size) {
		while (inflight < qd && next < size) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			unsigned slot = (unsigned)((next / bs) % qd);
			size_t len = size - next < bs ? (size_t)(size - next) : bs;
			if (direct)
				len = (len + 4095) & ~(size_t)4095;
			if (fixed)
				io_uring_prep_read_fixed(sqe, fd, buf + slot * bs, (unsigned)len, next,
							 (int)slot);
			else
				io_uring_prep_read(sqe, fd, buf + slot * bs, (unsigned)len, next);
			if (async)
				sqe->flags |= IOSQE_ASYNC;
			next += bs;
			inflight++;
		}
		io_uring_submit(&ring);
		struct io_uring_cqe *cqe;
		if (io_uring_wait_cqe(&ring, &cqe) < 0)
			return 1;
		if (cqe->res < 0) {
			fprintf(stderr, "read: %s\n", strerror(-cqe->res));
			return 1;
		}
		done += (uint64_t)cqe->res;
		if (cqe->res == 0)
			done = size;
		io_uring_cqe_seen(&ring, cqe);
		inflight--;
	}
	double dt = now_s() - t0;
	printf("%.3f\n", (double)size / dt / 1e9);
	return 0;
}
