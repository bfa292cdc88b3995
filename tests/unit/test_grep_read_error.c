// SPDX-License-Identifier: MIT
/*
 * grep_read_error_fails_only_its_chunk: a grep over a file whose reads
 * fail at chosen offsets (eiofs, tests/helpers/eiofs.c, mounted here) lists
 * exactly the chunks that hold a faulty offset, and counts every line of
 * the other chunks whose bytes can be read (issue 20 item 3: grep read
 * 64 KiB past every chunk, so EIO in chunk 2 failed chunk 1 too and
 * dropped its lines: 630 counted instead of 786).
 *
 * A chunk owns the lines that start after its '\n's (the first chunk also
 * the one at offset 0). The reference, computed here over eiofs's
 * fault-free twin: lines owned by a chunk with no faulty offset, whose
 * bytes up to their '\n' hold none either, that contain the pattern; with
 * no fault it is checked against LC_ALL=C grep -c -a. The faults sit mid
 * chunk, at a chunk's first bytes (inside the previous chunk's tail
 * window), right after a line that crosses into the chunk (readable) and
 * inside one (not), at 64K and 4K chunks.
 *
 * Needs FUSE (/dev/fuse, root or fusermount3): skips (77) without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpu.h"
#include "pump.h"
#include "check.h"
#include "tdfa.h"

#define SEED 7

static char tmpdir[4096], mnt[4200], eiofs[PATH_MAX];
static bool mounted;
static struct pump *pump;

static void unmount(void)
{
	char cmd[9000];

	if (!mounted)
		return;
	snprintf(cmd, sizeof(cmd), "fusermount3 -u '%s' 2>/dev/null || umount -l '%s'", mnt, mnt);
	if (system(cmd) == 0)
		mounted = false;
}

static void cleanup(void)
{
	pump_destroy(&pump);
	unmount();
	if (tmpdir[0]) {
		rmdir(mnt);
		rmdir(tmpdir);
	}
}

/* Serves size bytes whose reads fail at eio[] (in "data"; "clean" never fails). */
static void mount_eiofs(uint64_t size, const uint64_t *eio, size_t neio)
{
	char cmd[8192];
	size_t n;

	unmount();
	n = (size_t)snprintf(cmd, sizeof(cmd), "'%s' '%s' -o size=%llu,seed=%d", eiofs, mnt,
			     (unsigned long long)size, SEED);
	for (size_t i = 0; i < neio; i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s%llu", i ? ":" : ",eio=",
				      (unsigned long long)eio[i]);
	if (system(cmd) != 0) {
		printf("skip: cannot mount eiofs (%s): FUSE unavailable here\n", cmd);
		cleanup();
		exit(T_EXIT_SKIP);
	}
	mounted = true;
}

static uint8_t *read_clean(uint64_t size)
{
	char path[4300];
	uint8_t *d = malloc(size + 1);
	uint64_t got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/clean", mnt);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && d, "open %s", path);
	while (got < size) {
		ssize_t n = pread(fd, d + got, size - got, (off_t)got);
		CHECK(n > 0, "read %s", path);
		got += (uint64_t)n;
	}
	close(fd);
	return d;
}

static bool holds_eio(uint64_t from, uint64_t to, const uint64_t *eio, size_t neio)
{
	for (size_t i = 0; i < neio; i++)
		if (eio[i] >= from && eio[i] <= to)
			return true;
	return false;
}

/* The faults at eio[0..n), for ref_grep_lines */
struct eio_set {
	const uint64_t *eio;
	size_t n;
	uint32_t chunk;
};

/* The reference of the header comment: lost, a line whose chunk or own bytes hold a fault */
static int lost_eio(const void *ctx, uint64_t owner, uint64_t st, uint64_t e)
{
	const struct eio_set *f = ctx;

	return holds_eio(owner * f->chunk, (owner + 1) * f->chunk - 1, f->eio, f->n) ||
	       holds_eio(st, e, f->eio, f->n);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One grep of eiofs's data at chunk with reads failing at eio[]. */
static void check_case(const char *name, uint64_t size, uint32_t chunk, const uint64_t *eio,
		       size_t neio, const char *pat)
{
	struct pump_chunk_error errs[64];
	struct pump_job_info in;
	struct pump_job *j;
	struct tdfa t;
	uint64_t want_failed[64];
	size_t nwant = 0, nerr;
	char path[4300];
	int fd;

	mount_eiofs(size, eio, neio);
	uint8_t *d = read_clean(size);
	struct eio_set faults = {eio, neio, chunk};
	uint64_t want = ref_grep_lines(d, size, chunk, pat, lost_eio, &faults);
	snprintf(path, sizeof(path), "%s/clean", mnt);
	if (!neio)
		CHECK(want == ref_grep_c(path, pat), "%s: the reference says %llu, grep -c %llu",
		      name, (unsigned long long)want, (unsigned long long)ref_grep_c(path, pat));
	for (size_t i = 0; i < neio; i++) {
		uint64_t k = eio[i] / chunk;
		bool seen = false;
		for (size_t w = 0; w < nwant; w++)
			seen |= want_failed[w] == k;
		if (!seen)
			want_failed[nwant++] = k;
	}
	qsort(want_failed, nwant, sizeof(*want_failed), cmp_u64);

	snprintf(path, sizeof(path), "%s/data", mnt);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open %s", path);
	tdfa_build(pat, true, &t);
	struct pump_scan s = {
	    .fd = fd,
	    .op = pump_op_find("grep"),
	    .args.grep = {.dfa = &t.d},
	    .length = UINT64_MAX,
	    .chunk = chunk,
	    .direct = -1,
	};
	CHECK(pump_submit(pump, &s, &j) == 0, "%s: submit", name);
	tdfa_free(&t);
	CHECK(pump_job_wait(j, 120000) == 0, "%s: did not end", name);
	pump_job_info(j, &in);
	nerr = pump_job_errors(j, errs, 64);
	for (size_t i = 0; i < nerr && i < 64; i++)
		printf("  %s: failed chunk %llu at %llu: %s\n", name,
		       (unsigned long long)errs[i].index, (unsigned long long)errs[i].offset,
		       strerror(errs[i].err));
	CHECK(nerr == nwant && in.chunks_failed == nwant, "%s: %zu chunks listed failed, %llu "
	      "counted, want %zu", name, nerr, (unsigned long long)in.chunks_failed, nwant);
	for (size_t i = 0; i < nerr; i++) {
		bool listed = false;
		for (size_t w = 0; w < nwant; w++)
			listed |= errs[i].index == want_failed[w];
		CHECK(listed && errs[i].err == EIO && errs[i].offset == errs[i].index * chunk,
		      "%s: chunk %llu (offset %llu, %s) is not one that holds a fault", name,
		      (unsigned long long)errs[i].index, (unsigned long long)errs[i].offset,
		      strerror(errs[i].err));
	}
	CHECK(in.state == (nwant ? PUMP_JOB_FAILED : PUMP_JOB_DONE), "%s: state %s", name,
	      pump_job_state_name(in.state));
	CHECK(in.result == want, "%s: %llu lines counted, want %llu", name,
	      (unsigned long long)in.result, (unsigned long long)want);
	pump_job_put(&j);
	free(d);
	printf("ok %s: %zu chunks failed, %llu lines\n", name, nwant, (unsigned long long)want);
}

/*
 * A line that crosses a chunk edge (of chunk 5 or later, two bytes at
 * least on each side): the offset of its '\n', and of its last byte.
 */
static void crossing_line(uint64_t size, uint32_t chunk, uint64_t *end, uint64_t *inside)
{
	mount_eiofs(size, NULL, 0);
	uint8_t *d = read_clean(size);
	uint64_t off = 0;

	for (uint64_t k = 5; (k + 1) * chunk < size && !off; k++)
		if (d[k * chunk - 2] != '\n' && d[k * chunk - 1] != '\n' && d[k * chunk] != '\n' &&
		    d[k * chunk + 1] != '\n')
			off = k * chunk;
	CHECK(off, "no line crosses a chunk edge");
	*end = (uint64_t)((const uint8_t *)memchr(d + off, '\n', size - off) - d);
	*inside = *end - 1;
	free(d);
}

int main(void)
{
	const uint32_t C = 65536, K = 4096;
	const uint64_t size = 17ull * C + 4567;
	/*
	 * The daemon's default chunk: a job's chunk= below it has room for any
	 * tail. Relaunch whatever VYRE_TEST_KERNEL says: what is tested is the
	 * host's, and a persistent kernel's arena is BAR, into which eiofs's
	 * direct_io reads failed: on the H100 every chunk of the fault-free
	 * file failed in persistent mode (a limit of its own, not tested here).
	 */
	struct pump_config cfg = {.slots = 8, .chunk = 4u << 20, .kernel = PUMP_KERNEL_RELAUNCH,
				  .async = -1};
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	uint64_t end, inside;

	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("VYRE_VALIDATION", "1", 0);
	CHECK(n > 0, "readlink /proc/self/exe");
	self[n] = '\0';
	snprintf(eiofs, sizeof(eiofs), "%.*s/eiofs", (int)(strrchr(self, '/') - self), self);
	if (access(eiofs, X_OK) || access("/dev/fuse", R_OK | W_OK)) {
		printf("skip: needs %s and /dev/fuse\n", eiofs);
		return T_EXIT_SKIP;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/vyre-eio-XXXXXX",
		 getenv("VYRE_TEST_TMPDIR") ? getenv("VYRE_TEST_TMPDIR") : "/tmp");
	CHECK(mkdtemp(tmpdir), "mkdtemp %s: %s", tmpdir, strerror(errno));
	snprintf(mnt, sizeof(mnt), "%s/mnt", tmpdir);
	CHECK(mkdir(mnt, 0700) == 0, "mkdir %s", mnt);
	atexit(cleanup);
	check_on_fail(cleanup);
	CHECK(pump_create(&cfg, &pump) == 0, "pump_create");

	check_case("no fault", size, C, NULL, 0, "e");
	/* the issue's: mid chunk 2 and 7 */
	const uint64_t mid[] = {2 * C + C / 2, 7 * C + C / 2};
	check_case("EIO mid chunks 2 and 7", size, C, mid, 2, "e");
	/* in the first bytes of chunks 3 and 10: the tail windows of 2 and 9 */
	const uint64_t start[] = {3 * C + 100, 10 * C + 5};
	check_case("EIO at the start of chunks 3 and 10", size, C, start, 2, "e");
	/* the last byte of chunk 11, the last chunk's first byte */
	const uint64_t last[] = {12 * C - 1, 17 * C};
	check_case("EIO at the last byte of chunk 11 and the first of 17", size, C, last, 2, "e");
	/* a line that crosses into chunk 5: a fault just after its '\n' (it is
	 * read and counted), then one inside it (it is not) */
	crossing_line(size, C, &end, &inside);
	const uint64_t after[] = {end + 1};
	check_case("EIO just after a line crossing into the chunk", size, C, after, 1, "e");
	const uint64_t in_line[] = {inside};
	check_case("EIO inside a line crossing into the chunk", size, C, in_line, 1, "e");
	/* 4K chunks: 256-byte tails */
	const uint64_t small[] = {5 * K + 3, 9 * K + 2000, 30 * K + 4095};
	check_case("EIO in chunks 5, 9 and 30 at chunk=4K", 40 * K + 77, K, small, 3, "e");

	pump_destroy(&pump);
	unmount();
	CHECK(gpu_validation_errors() == 0, "%u validation errors", gpu_validation_errors());
	printf("ok grep read errors fail only the chunks that hold them\n");
	return 0;
}
