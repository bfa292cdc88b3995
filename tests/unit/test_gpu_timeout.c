// SPDX-License-Identifier: MIT
/*
 * stalled_gpu_fails_jobs_etimedout: a pump whose GPU never completes
 * (VYRE_FAULT_GPU_STALL_AFTER=0: nothing is ever launched) declares its
 * unit dead after gpu_timeout. A job of more chunks than slots ends
 * failed within the bound, every chunk failed ETIMEDOUT at its offset (the
 * published ones and those never admitted); a packed job's files are
 * ETIMEDOUT each; pump_dead and pump_info say so, every slot is back, a
 * new submit returns -ETIMEDOUT at once, and pump_destroy returns within
 * a few seconds. First, a pump with the same bound and no fault runs a
 * job to the CPU's count and is not dead: the watchdog does not fire on a
 * healthy lavapipe.
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

#define CHUNK	   (64u << 10)
#define NCHUNKS	   10u /* more than SLOTS: some are never admitted */
#define SLOTS	   4u
#define NPACKED	   3u
#define TIMEOUT_MS 1000u

static char tmpdir[4096];

static void tmpdir_remove(void)
{
	if (tmpdir[0])
		test_rmtree(tmpdir);
}

/* A file of len pseudo-random bytes (some '\n'); its '\n' count in *nl. */
static char *make_file(const char *name, size_t len, uint64_t *nl)
{
	static char path[4200];
	uint8_t *d = malloc(len);
	uint64_t x = 0x77617463;
	int fd;

	CHECK(d, "malloc");
	for (size_t i = 0; i < len; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		d[i] = (uint8_t)(x >> 56) & 0x1F;
	}
	*nl = ref_count(d, len, '\n');
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && write(fd, d, len) == (ssize_t)len, "write %s", path);
	close(fd);
	free(d);
	return strdup(path);
}

static int submit_count(struct pump *p, const char *path, struct pump_job **j)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct pump_scan s = {
	    .fd = fd,
	    .op = pump_op_find("count"),
	    .args.count.byte = '\n',
	    .length = UINT64_MAX,
	    .chunk = CHUNK,
	    .direct = -1,
	};
	int ret;

	CHECK(fd >= 0, "open %s", path);
	ret = pump_submit(p, &s, j);
	if (ret)
		close(fd); /* the caller's on error */
	return ret;
}

static struct pump *pump_open(void)
{
	struct pump_config cfg = {
	    .slots = SLOTS,
	    .chunk = CHUNK,
	    .kernel = PUMP_KERNEL_RELAUNCH,
	    .async = -1,
	    .gpu_timeout = TIMEOUT_MS,
	};
	struct pump *p;

	CHECK(pump_create(&cfg, &p) == 0, "pump_create");
	return p;
}

static int by_index(const void *a, const void *b)
{
	const struct pump_chunk_error *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

int main(void)
{
	const char *base = getenv("VYRE_TEST_TMPDIR");
	struct pump_chunk_error errs[NCHUNKS + 1];
	struct pump_file_result fr[NPACKED];
	struct pump_file pf[NPACKED];
	struct pump_job *j, *pk, *late;
	struct pump_job_info in;
	struct pump_info pi;
	struct pump *p;
	uint64_t nl, small_nl;
	char *path, *small;
	double t0;
	size_t n;

	setenv("VYRE_VALIDATION", "1", 1);
	unsetenv("VYRE_FAULT_GPU_STALL_AFTER");
	snprintf(tmpdir, sizeof(tmpdir), "%s/vyre-wd-XXXXXX", base ? base : "/var/tmp");
	CHECK(mkdtemp(tmpdir), "mkdtemp %s: %s", tmpdir, strerror(errno));
	atexit(tmpdir_remove);
	check_on_fail(tmpdir_remove); /* a failed CHECK runs no atexit handler */
	path = make_file("data", (size_t)NCHUNKS * CHUNK - 1234, &nl);
	small = make_file("small", 3000, &small_nl);

	/* a healthy unit with the same bound: the job is right, the unit alive */
	p = pump_open();
	CHECK(submit_count(p, path, &j) == 0, "submit on a healthy pump");
	CHECK(pump_job_wait(j, 60000) == 0, "healthy job did not end");
	pump_job_info(j, &in);
	CHECK(in.state == PUMP_JOB_DONE && in.result == nl, "healthy job: %s, gpu %llu cpu %llu",
	      pump_job_state_name(in.state), (unsigned long long)in.result, (unsigned long long)nl);
	CHECK(!pump_dead(p), "a healthy unit was declared dead");
	pump_job_put(&j);
	pump_destroy(&p);
	printf("ok healthy unit with gpu_timeout=%u: count right, not dead\n", TIMEOUT_MS);

	/* the GPU never runs anything */
	setenv("VYRE_FAULT_GPU_STALL_AFTER", "0", 1);
	p = pump_open();
	t0 = now_s();
	CHECK(submit_count(p, path, &j) == 0, "submit before the stall is seen");
	for (uint32_t i = 0; i < NPACKED; i++) {
		pf[i].fd = open(small, O_RDONLY | O_CLOEXEC);
		pf[i].size = 3000;
		CHECK(pf[i].fd >= 0, "open %s", small);
	}
	struct pump_scan ps = {
	    .fd = -1,
	    .files = pf,
	    .nfiles = NPACKED,
	    .op = pump_op_find("count"),
	    .args.count.byte = '\n',
	    .length = UINT64_MAX,
	    .direct = -1,
	};
	CHECK(pump_submit(p, &ps, &pk) == 0, "submit a packed job");
	CHECK(pump_job_wait(j, 10000) == 0, "job on a stalled GPU still runs after 10 s");
	CHECK(pump_job_wait(pk, 5000) == 0, "packed job on a stalled GPU still runs");
	double took = now_s() - t0;
	CHECK(took >= TIMEOUT_MS / 1000.0 && took < TIMEOUT_MS / 1000.0 + 4,
	      "the job ended after %.2f s, gpu_timeout is %u ms", took, TIMEOUT_MS);

	pump_job_info(j, &in);
	CHECK(in.state == PUMP_JOB_FAILED, "job is %s", pump_job_state_name(in.state));
	CHECK(in.chunks == NCHUNKS && in.chunks_failed == NCHUNKS && in.chunks_done == 0,
	      "chunks %llu failed %llu done %llu", (unsigned long long)in.chunks,
	      (unsigned long long)in.chunks_failed, (unsigned long long)in.chunks_done);
	n = pump_job_errors(j, errs, NCHUNKS + 1);
	CHECK(n == NCHUNKS, "%zu chunk errors, want %u", n, NCHUNKS);
	qsort(errs, n, sizeof(*errs), by_index);
	for (uint32_t i = 0; i < NCHUNKS; i++)
		CHECK(errs[i].index == i && errs[i].offset == (uint64_t)i * CHUNK &&
			  errs[i].err == ETIMEDOUT,
		      "error %u: chunk %llu at %llu errno %d", i, (unsigned long long)errs[i].index,
		      (unsigned long long)errs[i].offset, errs[i].err);
	pump_job_put(&j);

	pump_job_info(pk, &in);
	CHECK(in.state == PUMP_JOB_FAILED, "packed job is %s", pump_job_state_name(in.state));
	CHECK(pump_job_files(pk, fr, NPACKED) == NPACKED, "packed job's files");
	for (uint32_t i = 0; i < NPACKED; i++)
		CHECK(fr[i].err == ETIMEDOUT, "packed file %u: errno %d", i, fr[i].err);
	pump_job_put(&pk);
	printf("ok stalled GPU: %u chunks and %u packed files failed ETIMEDOUT after %.2f s\n",
	       NCHUNKS, NPACKED, took);

	CHECK(pump_dead(p), "pump_dead after the timeout");
	pump_info(p, &pi);
	CHECK(pi.dead && pi.slots_free == SLOTS && pi.jobs_active == 0 && pi.launches == 0,
	      "info: dead %d, %u of %u slots free, %llu jobs active, %llu launches", pi.dead,
	      pi.slots_free, SLOTS, (unsigned long long)pi.jobs_active,
	      (unsigned long long)pi.launches);
	t0 = now_s();
	CHECK(submit_count(p, path, &late) == -ETIMEDOUT, "submit on a dead unit");
	CHECK(now_s() - t0 < 0.5, "submit on a dead unit took %.2f s", now_s() - t0);
	printf("ok dead unit: pump_dead, info.dead, all slots free, submit -ETIMEDOUT\n");

	t0 = now_s();
	pump_destroy(&p);
	CHECK(now_s() - t0 < 3, "pump_destroy of a dead unit took %.2f s", now_s() - t0);
	printf("ok pump_destroy of the dead unit in %.2f s\n", now_s() - t0);
	free(path);
	free(small);
	return 0;
}
