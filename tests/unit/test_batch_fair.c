// SPDX-License-Identifier: MIT
/*
 * Batch ids go to owners fairly (issue 21 item 7): with the unit's batch
 * ids all held by owner A's jobs and 40 more of A's queued, owner B's job
 * submitted after them takes the next id that comes free, so it ends while
 * most of A's are still to run. First come, first served, B waited for all
 * of A's jobs queued before it. VYRE_BATCHES=2 (tests only) stands for the 4096 ids a flood
 * of many-file jobs took. Every job's count is checked against the CPU's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pump.h"
#include "check.h"

#define NA	       40
#define JOB_LEN	       (256u << 10)
#define CHUNK	       4096u
#define A_BEFORE_B_MAX 8 /* A's jobs that may end while B's runs: FIFO, every one queued */

static char path[4096];

static void file_remove(void)
{
	if (path[0])
		unlink(path);
}

static struct pump_job *submit(struct pump *p, uint32_t owner, uint64_t off)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct pump_job *j;

	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	struct pump_scan s = {
	    .fd = fd,
	    .op = pump_op_find("count"),
	    .args.count.byte = '\n',
	    .offset = off,
	    .length = JOB_LEN,
	    .chunk = CHUNK,
	    .direct = 0,
	    .owner = owner,
	};
	int ret = pump_submit(p, &s, &j);
	CHECK(ret == 0, "pump_submit: %d", ret);
	return j;
}

static bool ended(struct pump_job *j)
{
	struct pump_job_info in;

	pump_job_info(j, &in);
	return in.state != PUMP_JOB_QUEUED && in.state != PUMP_JOB_RUNNING;
}

int main(void)
{
	struct pump_config cfg = {
	    .slots = 4, .chunk = CHUNK, .kernel = PUMP_KERNEL_AUTO, .async = -1};
	const char *base = getenv("VYRE_TEST_TMPDIR");
	size_t size = (size_t)NA * JOB_LEN;
	uint8_t *d = malloc(size);
	struct pump_job *a[NA], *b;
	struct pump *p;
	uint64_t seed = 7;
	int fd, a_before = 0, a_early = 0;

	CHECK(d, "malloc");
	for (size_t i = 0; i < size; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		d[i] = (seed >> 60) < 3 ? '\n' : (uint8_t)(seed >> 40);
	}
	snprintf(path, sizeof(path), "%s/vyre-batch-fair.XXXXXX", base ? base : "/tmp");
	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	atexit(file_remove);
	check_on_fail(file_remove);
	CHECK(write(fd, d, size) == (ssize_t)size, "write");
	close(fd);

	CHECK(setenv("VYRE_BATCHES", "2", 1) == 0, "setenv");
	CHECK(pump_create(&cfg, &p) == 0, "pump_create");
	for (int i = 0; i < NA; i++)
		a[i] = submit(p, 1000, (uint64_t)i * JOB_LEN);
	b = submit(p, 0, 0);
	/* on a loaded machine some of A's end while the rest are submitted:
	 * only those ending after B's submit count against it */
	for (int i = 0; i < NA; i++)
		a_early += ended(a[i]);
	CHECK(pump_job_wait(b, 120000) == 0, "owner B's job did not end in 120 s");
	for (int i = 0; i < NA; i++)
		a_before += ended(a[i]);
	a_before -= a_early;

	struct pump_job_info in;
	pump_job_info(b, &in);
	CHECK(in.state == PUMP_JOB_DONE && in.result == ref_count(d, JOB_LEN, '\n'),
	      "B: state %s, count %llu, want %llu", pump_job_state_name(in.state),
	      (unsigned long long)in.result, (unsigned long long)ref_count(d, JOB_LEN, '\n'));
	printf("owner B's job ended after %d more of owner A's %d (%d had ended at its submit; "
	       "taken after %llu us, all in %llu us)\n",
	       a_before, NA, a_early, (unsigned long long)in.taken_us,
	       (unsigned long long)in.elapsed_us);
	CHECK(a_before <= A_BEFORE_B_MAX,
	      "owner B's job waited for %d of A's jobs (at most %d): batch ids are not fair",
	      a_before, A_BEFORE_B_MAX);
	pump_job_put(&b);
	for (int i = 0; i < NA; i++) {
		uint64_t want = ref_count(d + (size_t)i * JOB_LEN, JOB_LEN, '\n');
		CHECK(pump_job_wait(a[i], 120000) == 0, "A's job %d did not end", i);
		pump_job_info(a[i], &in);
		CHECK(in.state == PUMP_JOB_DONE && in.result == want,
		      "A's job %d: state %s, count %llu, want %llu", i,
		      pump_job_state_name(in.state), (unsigned long long)in.result,
		      (unsigned long long)want);
		pump_job_put(&a[i]);
	}
	pump_destroy(&p);
	free(d);
	printf("ok\n");
	return 0;
}
