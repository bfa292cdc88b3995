// SPDX-License-Identifier: MIT
/*
 * bench_walk - where the host's microseconds go per file of a tree walk,
 * without FUSE, the pump or a GPU (issue 23 item 2; BENCHMARKS.md "The
 * walk"). It walks DIR doing, per regular file, the system calls a
 * many-file job does (fs/walk.c, fs/resolve.c resolve_open_entry,
 * fs/many.c many_add_file and many_flight_finish) and times each kind:
 *
 *   list   getdents64 (readdir), per file
 *   open   openat2(RESOLVE_NO_SYMLINKS|NO_MAGICLINKS|BENEATH, O_NONBLOCK)
 *   stat   fstat of the new fd
 *   fcntl  clearing O_NONBLOCK (-m sync: F_GETFL + F_SETFL, as resolve.c
 *          did; other modes one F_SETFL)
 *   dup    F_DUPFD_CLOEXEC (the fd the end fstats)
 *   read   pread of the file's first 64 KiB (the pump reads it by io_uring)
 *   end    fstat of the dup, two closes (many_flight_finish, the pump)
 *
 *   bench_walk [-m sync|uring|async] [-b BATCH] [-t THREADS] [-r] [-e] [-f] DIR...
 *
 *   -m sync   one system call at a time (fs/walk.c before issue 23 item 2)
 *      uring  a directory's files opened BATCH at a time as IORING_OP_OPENAT2
 *             and stat'ed as IORING_OP_STATX, one io_uring_enter each
 *      async  as uring, with IOSQE_ASYNC: the opens run on io-wq workers
 *             in parallel (as the submitter: io_uring takes its creds)
 *   -r  time the reads (pread) too; -e  time the end (fstat, closes) too;
 *   -f  uring, async: fstat each opened fd (no IORING_OP_STATX: it always
 *       goes to an io-wq worker)
 *   -t  THREADS walkers (default 1), each with its own ring, taking
 *       directories from one shared stack (fs/walk.c has one walker a job): how the
 *       walk scales with cores (the per-kind times are summed over them)
 *
 * Prints one line per kind, microseconds per file of this thread's wall
 * time in it, and the thread's CPU time per file (the rest of the
 * process, io-wq included, as process CPU). A clock_gettime pair costs
 * about 0.05 us per call timed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum kind { K_LIST, K_OPEN, K_STAT, K_FCNTL, K_DUP, K_READ, K_END, K_N };

static const char *const kind_names[K_N] = {
	[K_LIST] = "list", [K_OPEN] = "open", [K_STAT] = "stat", [K_FCNTL] = "fcntl",
	[K_DUP] = "dup",   [K_READ] = "read", [K_END] = "end",
};
_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == K_N, "a name per kind");

enum mode { M_SYNC, M_URING, M_ASYNC };

struct bw {
	enum mode mode;
	unsigned batch;
	bool reads, ends, fstat;
	struct io_uring ring;
	uint64_t ns[K_N];
	uint64_t files, bytes, errors;
	char buf[65536];
	uint64_t cpu_ns;        /* the thread's CPU time */
	struct bw_stack *stack; /* directories not yet listed, shared by the threads */
};

/* -t: directories (open fds) waiting for a thread; pending counts those queued or being listed */
struct bw_stack {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int *fds;
	size_t n, cap, pending;
};

static void bw_push(struct bw_stack *s, int fd)
{
	pthread_mutex_lock(&s->lock);
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		int *f = realloc(s->fds, cap * sizeof(*f));
		if (!f) {
			fprintf(stderr, "bench_walk: out of memory\n");
			exit(1);
		}
		s->fds = f;
		s->cap = cap;
	}
	s->fds[s->n++] = fd;
	s->pending++;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* The next directory, or -1 once none is queued or being listed. */
static int bw_pop(struct bw_stack *s, bool finished_one)
{
	int fd = -1;

	pthread_mutex_lock(&s->lock);
	if (finished_one && --s->pending == 0)
		pthread_cond_broadcast(&s->cond);
	while (!s->n && s->pending)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->n)
		fd = s->fds[--s->n];
	pthread_mutex_unlock(&s->lock);
	return fd;
}

static uint64_t bw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t bw_cpu(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const struct open_how bw_how = {
	.flags = O_RDONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC,
	.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH,
};

/* What follows the open and stat of one file: fcntl, dup, read, end. */
static void bw_rest(struct bw *w, int fd, const struct stat *st)
{
	uint64_t t = bw_now(), u;
	int fl = 0;

	if (w->mode == M_SYNC)
		fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		w->errors++;
	u = bw_now();
	w->ns[K_FCNTL] += u - t;
	int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	t = bw_now();
	w->ns[K_DUP] += t - u;
	if (w->reads) {
		ssize_t r = pread(fd, w->buf, sizeof(w->buf), 0);
		if (r < 0)
			w->errors++;
		else
			w->bytes += (uint64_t)r;
		u = bw_now();
		w->ns[K_READ] += u - t;
		t = u;
	}
	if (w->ends) {
		struct stat est;
		if (dupfd >= 0 && fstat(dupfd, &est) < 0)
			w->errors++;
	}
	if (dupfd >= 0)
		close(dupfd);
	close(fd);
	if (w->ends)
		w->ns[K_END] += bw_now() - t;
	(void)st;
	w->files++;
}

static void bw_file_sync(struct bw *w, int dirfd, const char *name)
{
	uint64_t t = bw_now(), u;
	struct stat st;
	long fd = syscall(SYS_openat2, dirfd, name, &bw_how, sizeof(bw_how));

	u = bw_now();
	w->ns[K_OPEN] += u - t;
	if (fd < 0) {
		w->errors++;
		return;
	}
	int r = fstat((int)fd, &st);
	w->ns[K_STAT] += bw_now() - u;
	if (r < 0 || !S_ISREG(st.st_mode)) {
		close((int)fd);
		return;
	}
	bw_rest(w, (int)fd, &st);
}

/* n names of one directory: their opens, then their statx, as two batches. */
static void bw_batch(struct bw *w, int dirfd, char **names, unsigned n)
{
	struct io_uring_cqe *cqe;
	struct statx stx[n];
	int fds[n];
	uint64_t t = bw_now(), u;

	for (unsigned i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
		io_uring_prep_openat2(sqe, dirfd, names[i], (struct open_how *)&bw_how);
		sqe->user_data = i;
		if (w->mode == M_ASYNC)
			sqe->flags |= IOSQE_ASYNC;
	}
	io_uring_submit_and_wait(&w->ring, n);
	for (unsigned i = 0; i < n; i++) {
		io_uring_wait_cqe(&w->ring, &cqe);
		fds[cqe->user_data] = cqe->res;
		io_uring_cqe_seen(&w->ring, cqe);
	}
	u = bw_now();
	w->ns[K_OPEN] += u - t;
	unsigned ns = 0;
	for (unsigned i = 0; i < n && w->fstat; i++) {
		struct stat st;
		if (fds[i] >= 0 && fstat(fds[i], &st) < 0) {
			close(fds[i]);
			fds[i] = -1;
		}
		stx[i].stx_mode = st.st_mode;
		stx[i].stx_size = (uint64_t)st.st_size;
	}
	for (unsigned i = 0; i < n && !w->fstat; i++) {
		if (fds[i] < 0) {
			w->errors++;
			continue;
		}
		struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
		io_uring_prep_statx(sqe, fds[i], "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
				    STATX_TYPE | STATX_SIZE | STATX_MTIME | STATX_INO, &stx[i]);
		sqe->user_data = i;
		ns++;
	}
	if (ns)
		io_uring_submit_and_wait(&w->ring, ns);
	for (unsigned i = 0; i < ns; i++) {
		io_uring_wait_cqe(&w->ring, &cqe);
		if (cqe->res < 0) {
			w->errors++;
			close(fds[cqe->user_data]);
			fds[cqe->user_data] = -1;
		}
		io_uring_cqe_seen(&w->ring, cqe);
	}
	w->ns[K_STAT] += bw_now() - u;
	for (unsigned i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		struct stat st = {.st_size = (off_t)stx[i].stx_size, .st_mode = stx[i].stx_mode};
		if (!S_ISREG(st.st_mode)) {
			close(fds[i]);
			continue;
		}
		bw_rest(w, fds[i], &st);
	}
}

static void bw_dir(struct bw *w, int dirfd)
{
	DIR *dir = fdopendir(dirfd);
	char **names = calloc(w->batch, sizeof(*names));
	unsigned n = 0;

	if (!dir || !names) {
		w->errors++;
		close(dirfd);
		free(names);
		return;
	}
	for (;;) {
		uint64_t t = bw_now();
		struct dirent *de = readdir(dir);
		w->ns[K_LIST] += bw_now() - t;
		if (!de)
			break;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_DIR) {
			long fd = syscall(SYS_openat2, dirfd, de->d_name,
					  &(struct open_how){.flags = O_RDONLY | O_DIRECTORY |
								      O_NOFOLLOW | O_CLOEXEC,
							     .resolve = bw_how.resolve},
					  sizeof(struct open_how));
			if (fd >= 0)
				bw_push(w->stack, (int)fd);
			continue;
		}
		if (de->d_type != DT_REG)
			continue;
		if (w->mode == M_SYNC) {
			bw_file_sync(w, dirfd, de->d_name);
			continue;
		}
		names[n++] = strdup(de->d_name);
		if (n == w->batch) {
			bw_batch(w, dirfd, names, n);
			for (unsigned i = 0; i < n; i++)
				free(names[i]);
			n = 0;
		}
	}
	if (n)
		bw_batch(w, dirfd, names, n);
	for (unsigned i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
}

static void *bw_thread(void *arg)
{
	struct bw *w = arg;
	uint64_t c0 = bw_cpu(CLOCK_THREAD_CPUTIME_ID);
	int fd;

	if (w->mode != M_SYNC) {
		int ret = io_uring_queue_init(2 * w->batch, &w->ring, 0);
		if (ret) {
			fprintf(stderr, "bench_walk: io_uring_queue_init: %s\n", strerror(-ret));
			exit(1);
		}
	}
	for (bool one = false; (fd = bw_pop(w->stack, one)) >= 0; one = true)
		bw_dir(w, fd);
	if (w->mode != M_SYNC)
		io_uring_queue_exit(&w->ring);
	w->cpu_ns = bw_cpu(CLOCK_THREAD_CPUTIME_ID) - c0;
	return NULL;
}

int main(int argc, char **argv)
{
	static struct bw w = {.batch = 64};
	static struct bw_stack stack = {.lock = PTHREAD_MUTEX_INITIALIZER,
					.cond = PTHREAD_COND_INITIALIZER};
	unsigned threads = 1;
	const char *usage = "usage: bench_walk [-m sync|uring|async] [-b BATCH] [-t THREADS] [-r] "
			    "[-e] [-f] DIR...\n";
	int opt;

	while ((opt = getopt(argc, argv, "m:b:t:ref")) != -1) {
		switch (opt) {
		case 'm':
			w.mode = !strcmp(optarg, "sync")    ? M_SYNC
				 : !strcmp(optarg, "uring") ? M_URING
				 : !strcmp(optarg, "async") ? M_ASYNC
							    : (enum mode)-1;
			if ((int)w.mode < 0) {
				fprintf(stderr, "bench_walk: -m %s: sync, uring or async\n", optarg);
				return 2;
			}
			break;
		case 'b':
			w.batch = (unsigned)strtoul(optarg, NULL, 0);
			if (w.batch < 1 || w.batch > 1024) {
				fprintf(stderr, "bench_walk: -b %s: 1 to 1024\n", optarg);
				return 2;
			}
			break;
		case 't':
			threads = (unsigned)strtoul(optarg, NULL, 0);
			if (threads < 1 || threads > 256) {
				fprintf(stderr, "bench_walk: -t %s: 1 to 256\n", optarg);
				return 2;
			}
			break;
		case 'r':
			w.reads = true;
			break;
		case 'e':
			w.ends = true;
			break;
		case 'f':
			w.fstat = true;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind == argc) {
		fputs(usage, stderr);
		return 2;
	}
	w.stack = &stack;
	struct bw *ws = calloc(threads, sizeof(*ws));
	pthread_t *ts = calloc(threads, sizeof(*ts));
	if (!ws || !ts) {
		fprintf(stderr, "bench_walk: out of memory\n");
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "bench_walk: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		bw_push(&stack, fd);
	}
	uint64_t t0 = bw_now(), p0 = bw_cpu(CLOCK_PROCESS_CPUTIME_ID);
	for (unsigned i = 0; i < threads; i++) {
		ws[i] = w;
		int ret = pthread_create(&ts[i], NULL, bw_thread, &ws[i]);
		if (ret) {
			fprintf(stderr, "bench_walk: pthread_create: %s\n", strerror(ret));
			return 1;
		}
	}
	uint64_t cpu = 0;
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(ts[i], NULL);
		cpu += ws[i].cpu_ns;
		w.files += ws[i].files;
		w.errors += ws[i].errors;
		w.bytes += ws[i].bytes;
		for (int k = 0; k < K_N; k++)
			w.ns[k] += ws[i].ns[k];
	}
	double wall = (double)(bw_now() - t0);
	double pcpu = (double)(bw_cpu(CLOCK_PROCESS_CPUTIME_ID) - p0);
	double f = w.files ? (double)w.files : 1;
	printf("threads %u files %llu errors %llu bytes %llu: %.0f files/s; per file %.2f us wall, "
	       "%.2f us thread CPU, %.2f us process CPU\n",
	       threads, (unsigned long long)w.files, (unsigned long long)w.errors,
	       (unsigned long long)w.bytes, f / (wall / 1e9), wall / f / 1e3, (double)cpu / f / 1e3,
	       pcpu / f / 1e3);
	for (int k = 0; k < K_N; k++)
		if (w.ns[k])
			printf("  %-6s %6.2f us\n", kind_names[k], (double)w.ns[k] / f / 1e3);
	free(ws);
	free(ts);
	return 0;
}
