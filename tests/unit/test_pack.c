// SPDX-License-Identifier: MIT
/*
 * Packed jobs (pump/pack.c, vyre_abi.h VYRE_TILE_PACKED): many small files
 * in one pump job, several to a slot, each with its own result equal to a
 * CPU count or match over that file alone. Files of random sizes 0-64 KiB
 * (so boundaries fall anywhere, often with no gap between two files' bytes);
 * a pattern planted across every boundary is never counted; a file that
 * shrinks before its read is ESTALE; cancel leaves no slot, and every fd
 * the pump was given is closed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpu.h"
#include "pump.h"
#include "check.h"

#define NFILES 3000

static char tmpdir[4096];

static void tmpdir_remove(void)
{
	if (tmpdir[0])
		test_rmtree(tmpdir);
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
	return n - 1;
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct tfile {
	char path[4200];
	uint8_t *data;
	uint32_t size;
};

static struct tfile files[NFILES];

/* Sizes: many multiples of 16 (the next file's bytes follow with no gap), some 0. */
static void make_files(uint64_t *seed)
{
	for (int i = 0; i < NFILES; i++) {
		struct tfile *f = &files[i];
		uint64_t r = rnd(seed);
		uint32_t size = (uint32_t)(r % 65537);
		if (i % 3 == 0)
			size &= ~15u;
		if (i % 97 == 0)
			size = 0;
		f->size = size;
		f->data = malloc(size ? size : 1);
		CHECK(f->data, "malloc");
		for (uint32_t k = 0; k < size; k++)
			f->data[k] = "ab\ncd\n"[rnd(seed) % 6];
		/* "cd" split by the boundary: c at the end, d at the start of the next */
		if (size)
			f->data[size - 1] = 'c';
		if (size > 1)
			f->data[0] = 'd';
		snprintf(f->path, sizeof(f->path), "%s/f%d", tmpdir, i);
		FILE *o = fopen(f->path, "wb");
		CHECK(o && fwrite(f->data, 1, size, o) == size && fclose(o) == 0, "%s", f->path);
	}
}

static int run_packed(struct pump *p, const struct pump_op *op, const uint8_t *pat,
		      uint32_t patlen, int first, int n, struct pump_file_result *res,
		      bool cancel)
{
	struct pump_file *pf = calloc((size_t)n, sizeof(*pf));
	struct pump_job *j = NULL;
	struct pump_job_info in;

	CHECK(pf, "calloc");
	for (int i = 0; i < n; i++) {
		pf[i].fd = open(files[first + i].path, O_RDONLY | O_CLOEXEC);
		CHECK(pf[i].fd >= 0, "open %s", files[first + i].path);
		pf[i].size = files[first + i].size;
	}
	struct pump_scan scan = {
		.fd = -1,
		.files = pf,
		.nfiles = (uint32_t)n,
		.op = op,
		.length = UINT64_MAX,
		.direct = 0,
	};
	if (op->code == VYRE_OP_MATCH)
		scan.args.match = (struct pump_match_args){pat, patlen};
	else
		scan.args.count.byte = '\n';
	CHECK(pump_submit(p, &scan, &j) == 0, "pump_submit of %d packed files", n);
	if (cancel)
		pump_job_cancel(j);
	CHECK(pump_job_wait(j, 120000) == 0, "packed job did not end");
	pump_job_info(j, &in);
	CHECK(pump_job_files(j, res, (size_t)n) == (size_t)n, "per-file results");
	pump_job_put(&j);
	free(pf);
	return in.state;
}

/*
 * Files [first, first + n) leave the page cache (their own pages only):
 * their first packed read, with RWF_NOWAIT, fails EAGAIN and is asked
 * again as any read (pump/pack.c pack_read_done). How many did leave;
 * none where the filesystem keeps its pages (tmpfs).
 */
static int evict(int first, int n)
{
	int gone = 0;

	for (int i = first; i < first + n; i++) {
		int fd = open(files[i].path, O_RDONLY | O_CLOEXEC);
		CHECK(fd >= 0, "open %s", files[i].path);
		CHECK(fdatasync(fd) == 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0,
		      "evicting %s", files[i].path);
		void *m = files[i].size ? mmap(NULL, files[i].size, PROT_READ, MAP_SHARED, fd, 0)
					: MAP_FAILED;
		unsigned char v = 1;
		if (m != MAP_FAILED) {
			CHECK(mincore(m, 1, &v) == 0, "mincore");
			munmap(m, files[i].size);
		}
		gone += !(v & 1);
		close(fd);
	}
	return gone;
}

int main(void)
{
	struct pump_config cfg = {.slots = 16, .chunk = 1u << 20, .kernel = PUMP_KERNEL_AUTO,
				  .async = -1};
	const char *base = getenv("VYRE_TEST_TMPDIR");
	struct pump_file_result *res = calloc(NFILES, sizeof(*res));
	struct pump *p;
	uint64_t seed = 12;
	int fds_start = fd_count();

	CHECK(res, "calloc");
	snprintf(tmpdir, sizeof(tmpdir), "%s/vyre-pack.XXXXXX", base ? base : "/tmp");
	CHECK(mkdtemp(tmpdir), "mkdtemp");
	atexit(tmpdir_remove);
	check_on_fail(tmpdir_remove); /* a failed CHECK runs no atexit handler */
	make_files(&seed);
	CHECK(pump_create(&cfg, &p) == 0, "pump_create");
	int fds_unit = fd_count(); /* the unit's own: its device, ring, eventfd */
	const struct pump_op *count = pump_op_find("count"), *match = pump_op_find("match");
	CHECK(pump_op_packs(count) && pump_op_packs(match) && pump_op_packs(pump_op_find("grep")) &&
	      !pump_op_packs(pump_op_find("histogram")),
	      "which ops pack (grep's per-file counts: test_grep_pack)");

	/* count: each file its own newlines, in jobs of 1, 7, 256, 1000 and the rest */
	const int sizes[] = {1, 7, 256, 1000, NFILES - 1264};
	for (int s = 0, first = 0; s < 5; first += sizes[s], s++) {
		if (sizes[s] == 256)
			printf("test_pack: %d of %d files read from disk\n", evict(first, sizes[s]),
			       sizes[s]);
		int st = run_packed(p, count, NULL, 0, first, sizes[s], res, false);
		CHECK(st == PUMP_JOB_DONE, "count job of %d: state %d", sizes[s], st);
		for (int i = 0; i < sizes[s]; i++) {
			struct tfile *f = &files[first + i];
			uint64_t want = ref_count(f->data, f->size, '\n');
			CHECK(res[i].err == 0 && res[i].bytes == f->size && res[i].result == want,
			      "count %s (%u bytes): got %llu err %d, want %llu", f->path, f->size,
			      (unsigned long long)res[i].result, res[i].err,
			      (unsigned long long)want);
		}
	}
	/* every file of an ended job is closed while the unit runs, not only
	 * at pump_destroy (the ring closes them: pump/uring.c uring_close_fd) */
	for (int t = 0; t < 200 && fd_count() != fds_unit; t++)
		usleep(10000);
	CHECK(fd_count() == fds_unit, "%d fds with the unit up after its jobs, %d before them",
	      fd_count(), fds_unit);
	/* match: "cd" at every boundary never counts across files; "\nc" and "a" within */
	const char *pats[] = {"cd", "\nc", "a", "ab\ncd\n"};
	for (int k = 0; k < 4; k++) {
		const uint8_t *pat = (const uint8_t *)pats[k];
		uint32_t m = (uint32_t)strlen(pats[k]);
		int st = run_packed(p, match, pat, m, 0, 1500, res, false);
		CHECK(st == PUMP_JOB_DONE, "match job: state %d", st);
		for (int i = 0; i < 1500; i++) {
			uint64_t want = ref_match(files[i].data, files[i].size, pat, m);
			CHECK(res[i].err == 0 && res[i].result == want,
			      "match %s in %s: got %llu, want %llu", pats[k], files[i].path,
			      (unsigned long long)res[i].result, (unsigned long long)want);
		}
	}
	/* a file shrunk after it was planned reads short: ESTALE, its neighbours right */
	CHECK(truncate(files[10].path, files[10].size / 2) == 0, "truncate");
	int st = run_packed(p, count, NULL, 0, 0, 40, res, false);
	CHECK(st == PUMP_JOB_DONE, "state %d", st);
	CHECK(files[10].size < 32 || res[10].err == ESTALE, "shrunk file: err %d", res[10].err);
	CHECK(res[11].err == 0 && res[11].result == ref_count(files[11].data, files[11].size, '\n'),
	      "the file after the shrunk one");
	/* each file as the job ended, statx'ed by the pump on the fd it read
	 * (pump_file_result.end_*): what stat(2) says of the path now */
	for (int i = 0; i < 40; i++) {
		struct stat st;
		CHECK(stat(files[i].path, &st) == 0, "stat %s", files[i].path);
		CHECK(res[i].end_ok && res[i].end_size == (uint64_t)st.st_size &&
			      res[i].end_nlink == st.st_nlink &&
			      res[i].end_mtime_sec == st.st_mtim.tv_sec &&
			      res[i].end_mtime_nsec == (uint32_t)st.st_mtim.tv_nsec,
		      "end stat of %s: ok %d size %llu links %u, stat says %lld links %u", files[i].path,
		      res[i].end_ok, (unsigned long long)res[i].end_size, res[i].end_nlink,
		      (long long)st.st_size, (unsigned)st.st_nlink);
	}
	CHECK(res[10].end_size == files[10].size / 2, "the shrunk file's end size");
	/* a file grown after it was planned reads its planned bytes, no error:
	 * only its end stat shows the change (fs/many.c fails it ESTALE) */
	int i12 = files[12].size ? 12 : 13;
	FILE *g = fopen(files[i12].path, "ab");
	CHECK(g && fwrite("grown\n", 1, 6, g) == 6 && fclose(g) == 0, "append %s", files[i12].path);
	st = run_packed(p, count, NULL, 0, 0, 40, res, false);
	CHECK(st == PUMP_JOB_DONE, "state %d", st);
	CHECK(res[i12].err == 0 && res[i12].bytes == files[i12].size && res[i12].end_ok &&
		      res[i12].end_size == (uint64_t)files[i12].size + 6,
	      "grown file: err %d, %u bytes read of %u, end size %llu", res[i12].err, res[i12].bytes,
	      files[i12].size, (unsigned long long)res[i12].end_size);
	CHECK(truncate(files[i12].path, files[i12].size) == 0, "truncate");
	/* cancel: ends cancelled, unscanned files say so, every slot comes back */
	st = run_packed(p, count, NULL, 0, 0, NFILES, res, true);
	CHECK(st == PUMP_JOB_CANCELLED, "cancelled job: state %d", st);
	for (int i = 0; i < NFILES; i++)
		CHECK(res[i].err == 0 || res[i].err == ECANCELED || (i == 10 && res[i].err == ESTALE),
		      "file %d after cancel: err %d", i, res[i].err);
	struct pump_info info;
	for (int t = 0; t < 100; t++) {
		pump_info(p, &info);
		if (info.slots_free == info.slots)
			break;
		usleep(20000);
	}
	CHECK(info.slots_free == info.slots, "%u of %u slots free", info.slots_free, info.slots);
	/* a file over the packed limit, or an op that does not pack, is refused */
	struct pump_file big = {.fd = 0, .size = PUMP_PACK_FILE_MAX + 1};
	struct pump_job *j = NULL;
	struct pump_scan bad = {.fd = -1, .files = &big, .nfiles = 1, .op = count,
				.length = UINT64_MAX};
	CHECK(pump_submit(p, &bad, &j) == -EINVAL, "a file over PUMP_PACK_FILE_MAX");
	big.size = 1;
	bad.op = pump_op_find("histogram");
	CHECK(pump_submit(p, &bad, &j) == -EINVAL, "histogram does not pack");

	/* a job still running at pump_destroy: it is cancelled and ends as the
	 * unit stops, and the closes its end queues are in before the ring goes
	 * (pump/unit.c pump_drain_closes); the fd count below proves it */
	struct pump_file *pf = calloc(NFILES, sizeof(*pf));
	CHECK(pf, "calloc");
	for (int i = 0; i < NFILES; i++) {
		pf[i].fd = open(files[i].path, O_RDONLY | O_CLOEXEC);
		CHECK(pf[i].fd >= 0, "open %s", files[i].path);
		pf[i].size = files[i].size;
	}
	struct pump_scan last = {.fd = -1, .files = pf, .nfiles = NFILES, .op = count,
				 .length = UINT64_MAX};
	last.args.count.byte = '\n';
	CHECK(pump_submit(p, &last, &j) == 0, "pump_submit of the job left running");
	pump_destroy(&p);
	pump_job_put(&j);
	free(pf);
	for (int i = 0; i < NFILES; i++)
		free(files[i].data);
	free(res);
	CHECK(fd_count() == fds_start, "%d fds before, %d after", fds_start, fd_count());
	CHECK(gpu_validation_errors() == 0, "%u validation errors", gpu_validation_errors());
	printf("test_pack: %d files in packed jobs, count and match per file: ok\n", NFILES);
	return 0;
}
