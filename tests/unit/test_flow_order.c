// SPDX-License-Identifier: MIT
/*
 * A flow's jobs go oldest first, and a cancelled job that published
 * nothing costs no fence (issue 23, "first line"). fs/many.c submits a
 * tree job's files as pump jobs of one flow; order=walk shows a file only
 * once every file before it has ended. The pump took new jobs onto its
 * active list newest first and gave slots in that order within an owner,
 * and a cancelled predecessor fenced each of its ~1,000 never-read files:
 * the next tree job's first file ended after ~1,000 of its later files
 * (2.6-7 s on lavapipe).
 *
 * One owner: X, a long job without a flow, keeps the 4 slots busy. P, 40
 * one-chunk jobs of flow 1, cancelled at once: the fences that ran for
 * them (the owner's tally) are exactly those of the P jobs that published
 * a chunk. Then F, 40 one-chunk jobs of flow 2: from the pump's own
 * timestamps, few of F's later jobs end before F's first (newest first,
 * all 39 did), and F's first ends while X still runs. Every count that
 * ended done is checked against the CPU's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pump.h"
#include "check.h"

#define OWNER	    1000u
#define NP	    40
#define NF	    40
#define CHUNK	    4096u
#define X_LEN	    (4u << 20) /* 1,024 chunks on 4 slots: it outlives F */
#define BEFORE_MAX  (NF / 4) /* F's jobs that may end before F's first (slots: 4) */
#define WAIT_MS	    120000

static char path[4096];

static void file_remove(void)
{
	if (path[0])
		unlink(path);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct pump_job *submit(struct pump *p, uint64_t flow, uint64_t off, uint64_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct pump_job *j;

	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	struct pump_scan s = {
	    .fd = fd,
	    .op = pump_op_find("count"),
	    .args.count.byte = '\n',
	    .offset = off,
	    .length = len,
	    .chunk = CHUNK,
	    .direct = 0,
	    .owner = OWNER,
	    .flow = flow,
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

/* the fences that ran for the owner's ended jobs (its tally) */
static uint64_t fences(struct pump *p)
{
	struct pump_info in;

	pump_info_viewer(OWNER);
	pump_info(p, &in);
	pump_info_viewer(-1);
	return in.op_exec[VYRE_OPCLASS_FENCE];
}

static void check_done(struct pump_job *j, const uint8_t *d, uint64_t len, const char *what)
{
	struct pump_job_info in;
	uint64_t want = ref_count(d, len, '\n');

	pump_job_info(j, &in);
	CHECK(in.state == PUMP_JOB_DONE && in.result == want, "%s: state %s, count %llu, want %llu",
	      what, pump_job_state_name(in.state), (unsigned long long)in.result,
	      (unsigned long long)want);
}

int main(void)
{
	struct pump_config cfg = {
	    .slots = 4, .chunk = CHUNK, .kernel = PUMP_KERNEL_AUTO, .async = -1};
	const char *base = getenv("VYRE_TEST_TMPDIR");
	uint8_t *d = malloc(X_LEN);
	struct pump_job *x, *pj[NP], *f[NF];
	uint64_t sub_ns[NF], end_ns[NF], fence0;
	struct pump_job_info in;
	struct pump *p;
	uint64_t seed = 11;
	int fd, published = 0, before = 0;
	bool x_ended;

	CHECK(d, "malloc");
	for (size_t i = 0; i < X_LEN; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		d[i] = (seed >> 60) < 3 ? '\n' : (uint8_t)(seed >> 40);
	}
	snprintf(path, sizeof(path), "%s/vyre-flow-order.XXXXXX", base ? base : "/tmp");
	fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	atexit(file_remove);
	check_on_fail(file_remove);
	CHECK(write(fd, d, X_LEN) == (ssize_t)X_LEN, "write");
	close(fd);

	CHECK(pump_create(&cfg, &p) == 0, "pump_create");
	x = submit(p, 0, 0, X_LEN);
	fence0 = fences(p);

	/* P: cancelled as it is submitted; a job may end (or publish) first */
	for (int i = 0; i < NP; i++) {
		pj[i] = submit(p, 1, (uint64_t)i * CHUNK, CHUNK);
		pump_job_cancel(pj[i]);
	}
	for (int i = 0; i < NP; i++) {
		CHECK(pump_job_wait(pj[i], WAIT_MS) == 0, "P's job %d did not end", i);
		pump_job_info(pj[i], &in);
		published += in.published_us != 0;
		if (in.state == PUMP_JOB_DONE)
			check_done(pj[i], d + (size_t)i * CHUNK, CHUNK, "P's job (ended before its cancel)");
		else
			CHECK(in.state == PUMP_JOB_CANCELLED, "P's job %d: state %s", i,
			      pump_job_state_name(in.state));
		pump_job_put(&pj[i]);
	}
	x_ended = ended(x);
	uint64_t ran = fences(p) - fence0 - x_ended;
	printf("P: %d of %d cancelled jobs published a chunk; %llu fences ran for them\n",
	       published, NP, (unsigned long long)ran);
	CHECK(ran == (uint64_t)published,
	      "%llu fences ran for P's jobs, %d of which published a chunk: a cancelled job "
	      "that published nothing must not fence", (unsigned long long)ran, published);
	CHECK(!x_ended, "X ended before F was submitted: make X_LEN longer");

	/* F: one flow, submitted while X holds the slots */
	for (int i = 0; i < NF; i++) {
		sub_ns[i] = now_ns();
		f[i] = submit(p, 2, (uint64_t)i * CHUNK, CHUNK);
	}
	CHECK(pump_job_wait(f[0], WAIT_MS) == 0, "F's first job did not end");
	x_ended = ended(x);
	for (int i = 0; i < NF; i++) {
		CHECK(pump_job_wait(f[i], WAIT_MS) == 0, "F's job %d did not end", i);
		check_done(f[i], d + (size_t)i * CHUNK, CHUNK, "F's job");
		pump_job_info(f[i], &in);
		end_ns[i] = sub_ns[i] + in.elapsed_us * 1000; /* the pump's submit follows sub_ns */
	}
	for (int i = 1; i < NF; i++)
		before += end_ns[i] + 1000 < end_ns[0]; /* 1 us: elapsed_us rounds down */
	printf("F: %d of its %d later jobs ended before its first; X %s at its first's end\n",
	       before, NF - 1, x_ended ? "had ended" : "still ran");
	CHECK(before <= BEFORE_MAX,
	      "%d of F's later jobs ended before its first (at most %d): a flow's jobs must go "
	      "oldest first", before, BEFORE_MAX);
	CHECK(!x_ended, "F's first job waited for X, a job of its owner without a flow, to end");
	for (int i = 0; i < NF; i++)
		pump_job_put(&f[i]);

	CHECK(pump_job_wait(x, WAIT_MS) == 0, "X did not end");
	check_done(x, d, X_LEN, "X");
	pump_job_put(&x);
	pump_destroy(&p);
	free(d);
	printf("ok\n");
	return 0;
}
