// SPDX-License-Identifier: MIT
/*
 * The pump under concurrency: 1,000 small jobs submitted from several
 * threads beside one large scan all finish, correctly, while the large one
 * is still running (round-robin admission, ARCHITECTURE.md "Threads and ownership"); a large scan cancelled
 * mid-way ends cancelled promptly and the pump keeps serving; a file
 * truncated while it is scanned ends the job without hanging, its range
 * cut at the new size. At the end every slot is free and no fd leaked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gpu.h"
#include "pump.h"
#include "check.h"

/* a big real file nobody here wrote; VYRE_TEST_BIG_FILE names another
 * where it is missing (tools/device-run.sh: a large library of the GPU box) */
#define LLVM_DEFAULT "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1"
static const char *big_file(void)
{
	const char *e = getenv("VYRE_TEST_BIG_FILE");

	return e && *e ? e : LLVM_DEFAULT;
}
#define LLVM big_file()
#define NSMALL 1000
#define NSUBMITTERS 4
#define SMALL_LEN 4096u
#define SMALL_FILE (4u << 20)

static struct pump *pump;
static char tmpdir[4096];

/* Removes the test's files even when a CHECK fails (exit runs it). */
static void tmpdir_remove(void)
{
	if (tmpdir[0])
		test_rmtree(tmpdir);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	CHECK(d, "opendir /proc/self/fd");
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint8_t *load(const char *path, size_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *d;

	CHECK(fd >= 0 && fstat(fd, &st) == 0, "open %s: %s", path, strerror(errno));
	*size = (size_t)st.st_size;
	d = malloc(*size + 1);
	CHECK(d, "malloc");
	for (size_t got = 0; got < *size;) {
		ssize_t n = read(fd, d + got, *size - got);
		CHECK(n > 0, "read %s", path);
		got += (size_t)n;
	}
	close(fd);
	return d;
}

static char *make_file(const char *name, size_t size, uint64_t seed, uint8_t **data)
{
	char *path = malloc(strlen(tmpdir) + strlen(name) + 2);
	uint8_t *d = malloc(size);
	int fd;

	CHECK(path && d, "malloc");
	sprintf(path, "%s/%s", tmpdir, name);
	for (size_t i = 0; i < size; i++) {
		uint64_t r = rnd(&seed);
		d[i] = (r & 3) ? (uint8_t)"ab\nc"[(r >> 8) & 3] : (uint8_t)(r >> 16);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "create %s: %s", path, strerror(errno));
	CHECK(write(fd, d, size) == (ssize_t)size, "write %s", path);
	close(fd);
	*data = d;
	return path;
}

static struct pump_job *submit(const char *path, const char *op, uint8_t byte, const char *pat,
			       uint64_t offset, uint64_t length, uint32_t chunk)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct pump_job *j;
	int ret;

	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	struct pump_scan s = {
		.fd = fd,
		.op = pump_op_find(op),
		.offset = offset,
		.length = length,
		.chunk = chunk,
		.direct = -1,
	};
	if (s.op->code == VYRE_OP_MATCH)
		s.args.match = (struct pump_match_args){(const uint8_t *)pat, pat ? (uint32_t)strlen(pat) : 0};
	else
		s.args.count.byte = byte;
	ret = pump_submit(pump, &s, &j);
	CHECK(ret == 0, "pump_submit %s op=%s: %d", path, op, ret);
	return j;
}

static struct pump_job_info info_of(struct pump_job *j)
{
	struct pump_job_info in;

	pump_job_info(j, &in);
	return in;
}

/* Waits until the job has done at least n chunks (and is still running). */
static void wait_chunks(struct pump_job *j, uint64_t n, const char *what)
{
	double until = now_s() + 60;

	for (;;) {
		struct pump_job_info in = info_of(j);
		if (in.chunks_done >= n)
			return;
		CHECK(in.state == PUMP_JOB_QUEUED || in.state == PUMP_JOB_RUNNING,
		      "%s ended (%s) before %llu chunks", what, pump_job_state_name(in.state),
		      (unsigned long long)n);
		CHECK(now_s() < until, "%s: %llu chunks done after 60 s", what,
		      (unsigned long long)in.chunks_done);
		sleep_ms(1);
	}
}

/* ---- 1,000 small jobs beside a large one -------------------------------- */

static const char *small_path;
static const uint8_t *small_data;
static struct pump_job *small_jobs[NSMALL];

/* Job i: a 4 KiB range, its op chosen by i. */
static void small_range(int i, uint64_t *off)
{
	*off = (uint64_t)i * (SMALL_FILE / NSMALL) + (uint64_t)(i % 13);
}

static const char *const small_ops[] = {"count", "match", "histogram", "nop"};

static double small_t0[NSMALL]; /* when each small job was submitted */

static void *small_submitter(void *arg)
{
	int first = (int)(intptr_t)arg;

	for (int i = first; i < NSMALL; i += NSUBMITTERS) {
		uint64_t off;
		small_range(i, &off);
		small_t0[i] = now_s();
		small_jobs[i] = submit(small_path, small_ops[i % 4], (uint8_t)i, "ab", off,
				       SMALL_LEN, 0);
	}
	return NULL;
}

static void small_check(int i)
{
	struct pump_job *j = small_jobs[i];
	struct pump_job_info in = info_of(j);
	const char *op = small_ops[i % 4];
	uint64_t off, want;
	const uint8_t *d;

	small_range(i, &off);
	d = small_data + off;
	CHECK(in.state == PUMP_JOB_DONE, "small job %d (%s): %s", i, op,
	      pump_job_state_name(in.state));
	CHECK(in.bytes_done == SMALL_LEN && in.chunks == 1 && in.chunks_done == 1,
	      "small job %d: bytes_done %llu chunks %llu/%llu", i,
	      (unsigned long long)in.bytes_done, (unsigned long long)in.chunks_done,
	      (unsigned long long)in.chunks);
	if (!strcmp(op, "histogram")) {
		uint64_t got[VYRE_HIST_BINS], ref[VYRE_HIST_BINS] = {0};
		pump_job_hist(j, got);
		for (uint32_t k = 0; k < SMALL_LEN; k++)
			ref[d[k]]++;
		CHECK(!memcmp(got, ref, sizeof(got)), "small job %d: histogram differs", i);
		return;
	}
	if (!strcmp(op, "count"))
		want = ref_count(d, SMALL_LEN, (uint8_t)i);
	else if (!strcmp(op, "match"))
		want = ref_match(d, SMALL_LEN, (const uint8_t *)"ab", 2);
	else
		want = 1;
	CHECK(in.result == want, "small job %d (%s at %llu): gpu %llu cpu %llu", i, op,
	      (unsigned long long)off, (unsigned long long)in.result,
	      (unsigned long long)want);
}

static void test_small_beside_large(const uint8_t *llvm, size_t llvm_size)
{
	pthread_t th[NSUBMITTERS];
	struct pump_job *big;
	struct pump_job_info in;
	double t0, t_small;

	double t_big = now_s();
	big = submit(LLVM, "count", '\n', NULL, 0, UINT64_MAX, 16u << 10);
	wait_chunks(big, 2, "large job");
	t0 = now_s();
	for (int t = 0; t < NSUBMITTERS; t++)
		CHECK(pthread_create(&th[t], NULL, small_submitter, (void *)(intptr_t)t) == 0,
		      "pthread_create");
	for (int t = 0; t < NSUBMITTERS; t++)
		pthread_join(th[t], NULL);
	for (int i = 0; i < NSMALL; i++)
		CHECK(pump_job_wait(small_jobs[i], 120000) == 0, "small job %d did not end", i);
	t_small = now_s() - t0;
	CHECK(pump_job_wait(big, 120000) == 0, "large job did not end");
	/*
	 * Small jobs are not queued behind the large one: small jobs submitted
	 * while it ran ended before it did (by each job's own elapsed time).
	 * Not "all of them before it": on the H200 it is over in tens of ms.
	 */
	in = info_of(big);
	double big_end = t_big + (double)in.elapsed_us / 1e6;
	int early = 0;
	for (int i = 0; i < NSMALL; i++)
		early += small_t0[i] + (double)info_of(small_jobs[i]).elapsed_us / 1e6 < big_end;
	CHECK(early > 0, "no small job ended before the large one (%.3f s): small jobs waited for it",
	      (double)in.elapsed_us / 1e6);
	printf("ok %d of %d small jobs ended before the large one (%.3f s); all in %.2f s\n", early,
	       NSMALL, (double)in.elapsed_us / 1e6, t_small);
	for (int i = 0; i < NSMALL; i++) {
		small_check(i);
		pump_job_put(&small_jobs[i]);
	}

	/* the large one, interleaved with all of that, is still right */
	CHECK(pump_job_wait(big, 120000) == 0, "large job did not end");
	in = info_of(big);
	CHECK(in.state == PUMP_JOB_DONE && in.bytes_done == llvm_size,
	      "large job: %s, %llu bytes", pump_job_state_name(in.state),
	      (unsigned long long)in.bytes_done);
	CHECK(in.result == ref_count(llvm, llvm_size, '\n'), "large job: gpu %llu cpu %llu",
	      (unsigned long long)in.result, (unsigned long long)ref_count(llvm, llvm_size, '\n'));
	printf("ok large job (%llu chunks) correct after %.2f s\n", (unsigned long long)in.chunks,
	       now_s() - t0);
	pump_job_put(&big);
}

/* ---- cancel ------------------------------------------------------------- */

static void test_cancel(void)
{
	struct pump_job *big, *q, *after;
	struct pump_job_info in;
	double t0;

	big = submit(LLVM, "histogram", 0, NULL, 0, UINT64_MAX, 64u << 10);
	wait_chunks(big, 8, "job to cancel");
	t0 = now_s();
	CHECK(pump_job_cancel(big) == 0, "cancel a running job");
	CHECK(pump_job_wait(big, 10000) == 0, "a cancelled job still runs after 10 s");
	in = info_of(big);
	CHECK(in.state == PUMP_JOB_CANCELLED, "cancelled job is %s",
	      pump_job_state_name(in.state));
	CHECK(in.chunks_done < in.chunks, "cancelled job did all %llu chunks",
	      (unsigned long long)in.chunks);
	CHECK(pump_job_cancel(big) == -EALREADY, "cancelling an ended job");
	printf("ok cancelled at chunk %llu of %llu, ended in %.3f s\n",
	       (unsigned long long)in.chunks_done, (unsigned long long)in.chunks, now_s() - t0);
	pump_job_put(&big);

	/* cancelled before its first chunk */
	q = submit(LLVM, "count", '\n', NULL, 0, UINT64_MAX, 64u << 10);
	CHECK(pump_job_cancel(q) == 0, "cancel a new job");
	CHECK(pump_job_wait(q, 10000) == 0, "a job cancelled at once still runs after 10 s");
	in = info_of(q);
	CHECK(in.state == PUMP_JOB_CANCELLED, "job cancelled at once is %s",
	      pump_job_state_name(in.state));
	pump_job_put(&q);

	/* the pump keeps serving */
	after = submit(small_path, "count", '\n', NULL, 0, UINT64_MAX, 0);
	CHECK(pump_job_wait(after, 30000) == 0, "job after the cancels did not end");
	in = info_of(after);
	CHECK(in.state == PUMP_JOB_DONE && in.result == ref_count(small_data, SMALL_FILE, '\n'),
	      "job after the cancels: %s, gpu %llu cpu %llu", pump_job_state_name(in.state),
	      (unsigned long long)in.result,
	      (unsigned long long)ref_count(small_data, SMALL_FILE, '\n'));
	pump_job_put(&after);
	printf("ok the pump serves after cancels\n");
}

/* ---- truncation while scanned ------------------------------------------- */

struct truncator {
	struct pump_job *j;
	const char *path;
	uint64_t new_size;
	uint64_t done_at_cut;
};

static void *truncator(void *arg)
{
	struct truncator *t = arg;

	/* spin, not sleep: the pump does a 64K chunk in well under a millisecond */
	while (info_of(t->j).chunks_done < 4) {
		CHECK(info_of(t->j).state <= PUMP_JOB_RUNNING, "job to truncate under ended");
		sched_yield();
	}
	CHECK(truncate(t->path, (off_t)t->new_size) == 0, "truncate: %s", strerror(errno));
	/* an upper bound on the chunks harvested when the file shrank */
	t->done_at_cut = info_of(t->j).chunks_done;
	return NULL;
}

/*
 * One try: returns false when the truncation came too late to tell (the
 * reads had already passed the new end before the file shrank).
 */
static bool truncate_once(int attempt)
{
	const uint32_t chunk = 4096; /* 16,384 chunks: the cut lands long before the new end */
	struct truncator t = {.new_size = (32u << 20) + 1234};
	struct pump_job_info in;
	uint8_t *data;
	char *path = make_file("shrinking", 64u << 20, 3 + (uint64_t)attempt, &data);
	uint64_t slack;
	bool early;
	pthread_t th;
	double t0;

	t.path = path;
	t.j = submit(path, "count", 'a', NULL, 0, UINT64_MAX, chunk);
	t0 = now_s();
	CHECK(pthread_create(&th, NULL, truncator, &t) == 0, "pthread_create");
	pthread_join(th, NULL);
	CHECK(pump_job_wait(t.j, 60000) == 0, "the job on a truncated file hangs");
	in = info_of(t.j);
	printf("truncated to %llu at chunk %llu: %s, %llu bytes in %llu chunks, %.2f s\n",
	       (unsigned long long)t.new_size, (unsigned long long)t.done_at_cut,
	       pump_job_state_name(in.state), (unsigned long long)in.bytes_done,
	       (unsigned long long)in.chunks_done, now_s() - t0);
	CHECK(in.state == PUMP_JOB_DONE || in.state == PUMP_JOB_FAILED, "state %s",
	      pump_job_state_name(in.state));
	/*
	 * Reads run at most one slot each (16) ahead of the chunks harvested,
	 * so what was read before the cut ends by (done_at_cut + 16) chunks.
	 */
	slack = (t.done_at_cut + 16) * chunk;
	early = slack < t.new_size;
	if (slack < t.new_size + chunk)
		slack = t.new_size + chunk;
	CHECK(in.bytes_done <= slack, "bytes_done %llu past the new size %llu",
	      (unsigned long long)in.bytes_done, (unsigned long long)t.new_size);
	CHECK(in.length <= slack, "length %llu past the new size %llu",
	      (unsigned long long)in.length, (unsigned long long)t.new_size);
	if (early) {
		/* cut before the reads got there: the job saw exactly the new file */
		CHECK(in.state == PUMP_JOB_DONE, "state %s", pump_job_state_name(in.state));
		CHECK(in.chunks == (t.new_size + chunk - 1) / chunk && in.chunks_done == in.chunks,
		      "chunks %llu/%llu, want %llu", (unsigned long long)in.chunks_done,
		      (unsigned long long)in.chunks,
		      (unsigned long long)((t.new_size + chunk - 1) / chunk));
		CHECK(in.bytes_done == t.new_size, "bytes_done %llu, new size %llu",
		      (unsigned long long)in.bytes_done, (unsigned long long)t.new_size);
		CHECK(in.result == ref_count(data, t.new_size, 'a'), "gpu %llu cpu %llu",
		      (unsigned long long)in.result,
		      (unsigned long long)ref_count(data, t.new_size, 'a'));
	}
	pump_job_put(&t.j);
	unlink(path);
	free(path);
	free(data);
	return early;
}

static void test_truncate(void)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		if (truncate_once(attempt)) {
			printf("ok a file truncated while scanned ends the job at its new size\n");
			return;
		}
	}
	CHECK(0, "three tries, and the truncating thread never ran before the scan passed "
		 "the new end");
}

int main(void)
{
	struct pump_config cfg = {
		.slots = 16,
		.chunk = 1u << 20,
		.kernel = CHECK_TEST_KERNEL(),
		.async = -1,
	};
	const char *base = getenv("VYRE_TEST_TMPDIR");
	struct pump_info pi;
	struct rlimit rl;
	uint8_t *llvm, *small;
	size_t llvm_size;
	int fds_start, fds_before, fds_after;
	double t0 = now_s();
	char *spath;

	/* 1,000 jobs hold 1,000 fds */
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	if (rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	setenv("VYRE_VALIDATION", "1", 1);
	snprintf(tmpdir, sizeof(tmpdir), "%s/vyre-conc-XXXXXX", base ? base : "/var/tmp");
	CHECK(mkdtemp(tmpdir), "mkdtemp %s: %s", tmpdir, strerror(errno));
	atexit(tmpdir_remove);
	check_on_fail(tmpdir_remove); /* a failed CHECK runs no atexit handler */
	SKIP_UNLESS_READABLE(LLVM);
	llvm = load(LLVM, &llvm_size);
	spath = make_file("small", SMALL_FILE, 11, &small);
	small_path = spath;
	small_data = small;

	fds_start = fd_count();
	CHECK(pump_create(&cfg, &pump) == 0, "pump_create");
	fds_before = fd_count();

	test_small_beside_large(llvm, llvm_size);
	test_cancel();
	test_truncate();

	pump_info(pump, &pi);
	CHECK(pi.slots_free == pi.slots, "%u of %u slots free at the end", pi.slots_free,
	      pi.slots);
	CHECK(pi.slots_reading == 0 && pi.slots_published == 0 && pi.slots_claimed == 0,
	      "slots reading %u published %u claimed %u", pi.slots_reading, pi.slots_published,
	      pi.slots_claimed);
	CHECK(pi.jobs_active == 0, "%llu jobs active", (unsigned long long)pi.jobs_active);
	fds_after = fd_count();
	CHECK(fds_after == fds_before, "%d fds open before the jobs, %d after", fds_before,
	      fds_after);
	printf("ok every slot free, %d fds before and after\n", fds_after);
	pump_destroy(&pump);
	fds_after = fd_count();
	CHECK(fds_after == fds_start, "%d fds open before pump_create, %d after pump_destroy",
	      fds_start, fds_after);
	CHECK(gpu_validation_errors() == 0, "%u validation errors", gpu_validation_errors());
	unlink(spath);
	free(spath);
	free(small);
	free(llvm);
	rmdir(tmpdir);
	printf("ok concurrency in %.1f s\n", now_s() - t0);
	return 0;
}
