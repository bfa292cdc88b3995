// SPDX-License-Identifier: MIT
/*
 * grep_publish_fail_frees_its_chunk: a grep chunk the ring refuses after
 * grep's pack step (VYRE_FAULT_PUBLISH_FAIL=N fails the Nth chunk publish
 * of the unit EIO, as a ring_publish that said no) fails that chunk alone,
 * and the job ends. Without the op's fail hook (pump/ops/grep.c grep_fail)
 * the record pack made for the chunk was never freed and still counted as
 * open, so the job's fence waited for it forever (issue 22: latent).
 *
 * The reference: the lines containing the pattern, less those the failed
 * chunk owns (a line belongs to the chunk that holds the '\n' before it;
 * the first line to chunk 0), as test_grep_read_error.c counts (check.h:
 * ref_grep_lines); with no chunk failed it is checked against LC_ALL=C
 * grep -c -a. A second job on the same unit, past the fault, must then
 * count everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpu.h"
#include "pump.h"
#include "check.h"
#include "tdfa.h"

#define CHUNK	65536u
#define NCHUNKS 9u
#define FAIL_AT "3" /* the third chunk published fails */

static char tmpdir[4096], path[4200];
static struct pump *pump;

static void cleanup(void)
{
	pump_destroy(&pump);
	if (path[0])
		unlink(path);
	if (tmpdir[0])
		rmdir(tmpdir);
}

/* Lines of 1-300 bytes, some holding "foo", some crossing chunk edges. */
static uint8_t *make_data(uint64_t size)
{
	uint8_t *d = malloc(size);
	uint32_t x = 12345;
	uint64_t i = 0;

	CHECK(d, "malloc");
	while (i < size) {
		x = x * 1103515245u + 12345u;
		uint32_t len = 1 + (x >> 16) % 300;
		bool foo = (x >> 8) % 3 == 0;
		for (uint32_t k = 0; k < len && i < size; k++, i++)
			d[i] = (uint8_t)('a' + (x >> (k % 16)) % 23);
		if (foo && i >= 3 && d[i - 1] != '\n')
			memcpy(d + i - 3, "foo", 3);
		if (i < size)
			d[i++] = '\n';
	}
	return d;
}

/* ref_grep_lines: the lines chunk *skip owns are lost */
static int lost_skip(const void *skip, uint64_t owner, uint64_t st, uint64_t e)
{
	(void)st;
	(void)e;
	return owner == *(const uint64_t *)skip;
}

/* One grep job over the file; errs gets its failed chunks. */
static void run(const char *pat, struct pump_job_info *in, struct pump_chunk_error *errs,
		size_t *nerr)
{
	struct pump_job *j;
	struct tdfa t;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0, "open %s", path);
	tdfa_build(pat, true, &t);
	struct pump_scan s = {
	    .fd = fd,
	    .op = pump_op_find("grep"),
	    .args.grep = {.dfa = &t.d},
	    .length = UINT64_MAX,
	    .chunk = CHUNK,
	    .direct = -1,
	};
	CHECK(pump_submit(pump, &s, &j) == 0, "submit");
	tdfa_free(&t);
	CHECK(pump_job_wait(j, 120000) == 0,
	      "the job did not end in 120 s (a refused chunk's state held its fence)");
	pump_job_info(j, in);
	*nerr = pump_job_errors(j, errs, 16);
	pump_job_put(&j);
}

int main(void)
{
	const uint64_t size = (uint64_t)NCHUNKS * CHUNK + 777;
	struct pump_config cfg = {
	    .slots = 8, .chunk = 1u << 20, .kernel = CHECK_TEST_KERNEL(), .async = -1};
	struct pump_chunk_error errs[16];
	struct pump_job_info in;
	size_t nerr;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("VYRE_VALIDATION", "1", 0);
	setenv("VYRE_FAULT_PUBLISH_FAIL", FAIL_AT, 1);
	snprintf(tmpdir, sizeof(tmpdir), "%s/vyre-pubfail-XXXXXX",
		 getenv("VYRE_TEST_TMPDIR") ? getenv("VYRE_TEST_TMPDIR") : "/tmp");
	CHECK(mkdtemp(tmpdir), "mkdtemp %s: %s", tmpdir, strerror(errno));
	snprintf(path, sizeof(path), "%s/data", tmpdir);
	atexit(cleanup);
	check_on_fail(cleanup);

	uint8_t *d = make_data(size);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && write(fd, d, size) == (ssize_t)size && close(fd) == 0, "write %s", path);
	uint64_t all = ref_grep_lines(d, size, CHUNK, "foo", NULL, NULL);
	CHECK(all == ref_grep_c(path, "foo") && all > 100, "the reference says %llu, grep -c %llu",
	      (unsigned long long)all, (unsigned long long)ref_grep_c(path, "foo"));
	CHECK(pump_create(&cfg, &pump) == 0, "pump_create");

	/* the job the fault hits: one chunk, whichever was published third */
	run("foo", &in, errs, &nerr);
	CHECK(nerr == 1 && in.chunks_failed == 1, "%zu chunks listed failed, %llu counted, want 1",
	      nerr, (unsigned long long)in.chunks_failed);
	CHECK(errs[0].err == EIO && errs[0].index < NCHUNKS + 1 &&
		  errs[0].offset == errs[0].index * CHUNK,
	      "failed chunk %llu at %llu: %s, want EIO at its own offset",
	      (unsigned long long)errs[0].index, (unsigned long long)errs[0].offset,
	      strerror(errs[0].err));
	CHECK(in.state == PUMP_JOB_FAILED, "state %s", pump_job_state_name(in.state));
	CHECK(in.chunks_done == in.chunks - 1, "%llu of %llu chunks done",
	      (unsigned long long)in.chunks_done, (unsigned long long)in.chunks);
	uint64_t want = ref_grep_lines(d, size, CHUNK, "foo", lost_skip, &errs[0].index);
	CHECK(in.result == want, "%llu lines counted with chunk %llu failed, want %llu",
	      (unsigned long long)in.result, (unsigned long long)errs[0].index,
	      (unsigned long long)want);
	printf("ok a refused publish fails chunk %llu alone: %llu of %llu lines\n",
	       (unsigned long long)errs[0].index, (unsigned long long)want,
	       (unsigned long long)all);

	/* past the fault the unit serves as before */
	run("foo", &in, errs, &nerr);
	CHECK(nerr == 0 && in.state == PUMP_JOB_DONE && in.result == all,
	      "the next job: %s, %zu failed, %llu lines, want %llu", pump_job_state_name(in.state),
	      nerr, (unsigned long long)in.result, (unsigned long long)all);
	printf("ok the next job counts all %llu lines\n", (unsigned long long)all);

	pump_destroy(&pump);
	free(d);
	CHECK(gpu_validation_errors() == 0, "%u validation errors", gpu_validation_errors());
	return 0;
}
