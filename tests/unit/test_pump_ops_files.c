// SPDX-License-Identifier: MIT
/*
 * Every op, end to end through pump_submit (io_uring into the arena, the
 * real megakernel on lavapipe), equals a CPU reference computed here over
 * the same bytes: libLLVM-15 (117 MB) in many chunks, the license texts,
 * random files whose sizes are not multiples of the chunk, empty and
 * one-byte files, offset/length ranges (past EOF too) and direct=1 reads
 * on a filesystem that takes O_DIRECT.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gpu.h"
#include "pump.h"
#include "check.h"

#define LLVM "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1"
#define LICENSES "/usr/share/common-licenses/"
#define CHUNK_MAX (4u << 20)

static struct pump *pump;
static char tmpdir[4096];
static unsigned nchecks;

/* Removes the test's files even when a CHECK fails (exit runs it). */
static void tmpdir_remove(void)
{
	if (tmpdir[0])
		test_rmtree(tmpdir);
}

/* ---- CPU references ----------------------------------------------------- */

static void cpu_hist(const uint8_t *d, size_t n, uint64_t bins[VYRE_HIST_BINS])
{
	memset(bins, 0, VYRE_HIST_BINS * sizeof(bins[0]));
	for (size_t i = 0; i < n; i++)
		bins[d[i]]++;
}

/* ---- files -------------------------------------------------------------- */

struct file {
	const char *path;
	uint8_t *data;
	size_t size;
};

static void file_load(struct file *f, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	CHECK(fstat(fd, &st) == 0, "fstat %s", path);
	f->path = path;
	f->size = (size_t)st.st_size;
	f->data = malloc(f->size ? f->size : 1);
	CHECK(f->data, "malloc %zu", f->size);
	for (size_t got = 0; got < f->size;) {
		ssize_t n = read(fd, f->data + got, f->size - got);
		CHECK(n > 0, "read %s: %zd", path, n);
		got += (size_t)n;
	}
	close(fd);
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A random file of size bytes from a small alphabet, so patterns hit often. */
static char *file_random(struct file *f, const char *name, size_t size, uint64_t seed)
{
	static const char alpha[] = "ab\nc\0";
	char *path = malloc(strlen(tmpdir) + strlen(name) + 2);
	int fd;

	CHECK(path, "malloc");
	sprintf(path, "%s/%s", tmpdir, name);
	f->path = path;
	f->size = size;
	f->data = malloc(size ? size : 1);
	CHECK(f->data, "malloc %zu", size);
	for (size_t i = 0; i < size; i++) {
		uint64_t r = rnd(&seed);
		/* mostly the small alphabet, sometimes any byte */
		f->data[i] = (r & 0x300) ? (uint8_t)alpha[r % 5] : (uint8_t)(r >> 24);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "create %s: %s", path, strerror(errno));
	CHECK(write(fd, f->data, size) == (ssize_t)size, "write %s", path);
	CHECK(fsync(fd) == 0, "fsync %s", path);
	close(fd);
	return path;
}

static void file_free(struct file *f)
{
	free(f->data);
	f->data = NULL;
}

/* ---- one scan ----------------------------------------------------------- */

struct scan {
	const char *op;
	uint8_t byte;
	const uint8_t *pattern;
	uint32_t pattern_len;
	uint64_t offset;
	uint64_t length; /* UINT64_MAX: to EOF */
	uint32_t chunk;
	int direct;
};

static uint64_t scan_len(const struct file *f, const struct scan *s)
{
	if (s->offset >= f->size)
		return 0;
	if (s->length == UINT64_MAX || s->length > f->size - s->offset)
		return f->size - s->offset;
	return s->length;
}

static const char *scan_name(const struct file *f, const struct scan *s, char *buf, size_t n)
{
	snprintf(buf, n, "%s op=%s byte=0x%02x pattern_len=%u offset=%llu length=%lld chunk=%u "
		 "direct=%d",
		 f->path, s->op, s->byte, s->pattern_len, (unsigned long long)s->offset,
		 s->length == UINT64_MAX ? -1LL : (long long)s->length, s->chunk, s->direct);
	return buf;
}

/* Submits s over f, waits, and checks the result against the CPU's. */
static uint64_t scan_check(const struct file *f, const struct scan *s)
{
	const struct pump_op *op = pump_op_find(s->op);
	uint64_t len = scan_len(f, s), chunk = s->chunk ? s->chunk : CHUNK_MAX;
	const uint8_t *d = f->data + (s->offset < f->size ? s->offset : f->size);
	struct pump_job_info in;
	struct pump_job *j;
	uint64_t want = 0;
	char name[4500];
	int fd, ret;

	scan_name(f, s, name, sizeof(name));
	CHECK(op, "no op %s", s->op);
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open %s: %s", f->path, strerror(errno));
	struct pump_scan ps = {
		.fd = fd,
		.op = op,
		.offset = s->offset,
		.length = s->length,
		.chunk = s->chunk,
		.direct = s->direct,
	};
	if (op->code == VYRE_OP_MATCH)
		ps.args.match = (struct pump_match_args){.pattern = s->pattern, .len = s->pattern_len};
	else
		ps.args.count.byte = s->byte;
	ret = pump_submit(pump, &ps, &j);
	CHECK(ret == 0, "%s: pump_submit: %d", name, ret);
	ret = pump_job_wait(j, 120000);
	CHECK(ret == 0, "%s: did not end in 120 s", name);
	pump_job_info(j, &in);
	CHECK(in.state == PUMP_JOB_DONE, "%s: state %s, %llu chunks failed", name,
	      pump_job_state_name(in.state), (unsigned long long)in.chunks_failed);
	CHECK(in.chunks_failed == 0 && pump_job_errors(j, NULL, 0) == 0, "%s: failed chunks",
	      name);
	CHECK(in.length == len, "%s: length %llu, want %llu", name,
	      (unsigned long long)in.length, (unsigned long long)len);
	CHECK(in.chunks == (len + chunk - 1) / chunk, "%s: chunks %llu, want %llu", name,
	      (unsigned long long)in.chunks, (unsigned long long)((len + chunk - 1) / chunk));
	CHECK(in.chunks_done == in.chunks, "%s: chunks_done %llu of %llu", name,
	      (unsigned long long)in.chunks_done, (unsigned long long)in.chunks);
	CHECK(in.bytes_done == len, "%s: bytes_done %llu, want %llu", name,
	      (unsigned long long)in.bytes_done, (unsigned long long)len);
	CHECK(in.epoch > 0, "%s: no fence epoch", name);

	if (op->result == PUMP_RESULT_HIST) {
		uint64_t got[VYRE_HIST_BINS], ref[VYRE_HIST_BINS];
		pump_job_hist(j, got);
		cpu_hist(d, len, ref);
		for (int b = 0; b < VYRE_HIST_BINS; b++)
			CHECK(got[b] == ref[b], "%s: bin 0x%02x gpu %llu cpu %llu", name, b,
			      (unsigned long long)got[b], (unsigned long long)ref[b]);
		want = ref['\n'];
	} else {
		if (!strcmp(s->op, "count"))
			want = ref_count(d, len, s->byte);
		else if (!strcmp(s->op, "match"))
			want = ref_match(d, len, s->pattern, s->pattern_len);
		else
			want = (len + chunk - 1) / chunk; /* nop: one per chunk */
		CHECK(in.result == want, "%s: gpu %llu cpu %llu", name,
		      (unsigned long long)in.result, (unsigned long long)want);
	}
	pump_job_put(&j);
	nchecks++;
	return want;
}

/* Every op over f with the given chunk (and range). */
static void scan_all_ops(const struct file *f, uint32_t chunk, uint64_t offset, uint64_t length,
			 int direct)
{
	struct scan s = {.chunk = chunk, .offset = offset, .length = length, .direct = direct};

	s.op = "nop";
	scan_check(f, &s);
	s.op = "count";
	s.byte = '\n';
	scan_check(f, &s);
	s.byte = 'a';
	scan_check(f, &s);
	s.byte = 0;
	scan_check(f, &s);
	s.byte = 0xFF;
	scan_check(f, &s);
	s.op = "histogram";
	scan_check(f, &s);
	s.op = "match";
	s.pattern = (const uint8_t *)"a";
	s.pattern_len = 1;
	scan_check(f, &s);
	s.pattern = (const uint8_t *)"aa";
	s.pattern_len = 2;
	scan_check(f, &s);
	s.pattern = (const uint8_t *)"ab\nc";
	s.pattern_len = 4;
	scan_check(f, &s);
	s.pattern = (const uint8_t *)"a\0b";
	s.pattern_len = 3;
	scan_check(f, &s);
}

/*
 * Patterns cut out of f so that they straddle the chunk edge at each given
 * offset; each must be counted once, by the chunk it starts in. The scan is
 * the whole file, or with around=1 the two chunks either side of the edge
 * (a range from a chunk before it: the edge is still a chunk edge), which
 * libLLVM's edges use: the whole 117 MB again for each of its three edges
 * was a quarter of the test's time on lavapipe.
 */
static void match_straddling(const struct file *f, uint32_t chunk, uint64_t edge, uint32_t before,
			     uint32_t plen, int direct, int around)
{
	struct scan s = {.op = "match", .chunk = chunk, .length = UINT64_MAX, .direct = direct};
	char name[4500];
	uint64_t n;

	CHECK(edge >= before && edge - before + plen <= f->size, "edge %llu",
	      (unsigned long long)edge);
	if (around) {
		CHECK(edge >= chunk && before <= chunk && plen <= before + chunk,
		      "edge %llu: the pattern is not within a chunk of it", (unsigned long long)edge);
		s.offset = edge - chunk;
		s.length = 2ull * chunk;
	}
	s.pattern = f->data + edge - before;
	s.pattern_len = plen;
	n = scan_check(f, &s);
	CHECK(n >= 1, "%s: the pattern cut from the file is not in it",
	      scan_name(f, &s, name, sizeof(name)));
}

static void test_llvm(void)
{
	static const char *const pats[] = {"LLVM", "llvm::", "\0\0\0\0\0\0\0\0", "EEEE"};
	struct scan s = {.length = UINT64_MAX};
	struct file f;
	double t0 = now_s();

	if (access(LLVM, R_OK) != 0) {
		printf("skip libLLVM-15: %s is missing\n", LLVM);
		return;
	}
	file_load(&f, LLVM);
	CHECK(f.size > 100u << 20, "%s is %zu bytes", LLVM, f.size);
	s.op = "count";
	s.chunk = 1u << 20;
	s.byte = '\n';
	scan_check(&f, &s);
	s.chunk = 4u << 20;
	s.byte = 0;
	scan_check(&f, &s);
	s.op = "nop";
	s.chunk = 1u << 20;
	scan_check(&f, &s);
	s.op = "histogram";
	s.chunk = 4u << 20;
	scan_check(&f, &s);
	s.op = "match";
	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		s.pattern = (const uint8_t *)pats[i];
		s.pattern_len = i == 2 ? 8 : (uint32_t)strlen(pats[i]);
		scan_check(&f, &s);
	}
	/* cut across the edges of 4M chunks 1|2 and 20|21, and of 1M chunks */
	match_straddling(&f, 4u << 20, 2ull * (4u << 20), 3, 16, -1, 1);
	match_straddling(&f, 4u << 20, 21ull * (4u << 20), 1, 2, -1, 1);
	match_straddling(&f, 1u << 20, 77ull * (1u << 20), 200, 256, -1, 1);
	/* a range that starts and ends mid-chunk */
	s.op = "count";
	s.byte = 'E';
	s.chunk = 1u << 20;
	s.offset = 12345678;
	s.length = 33333333;
	scan_check(&f, &s);
	file_free(&f);
	printf("ok libLLVM-15 (%zu bytes): count, nop, histogram, match (%.1f s)\n", f.size,
	       now_s() - t0);
}

static void test_licenses(void)
{
	static const char *const names[] = {"GPL-3", "GPL-2", "LGPL-2.1", "Apache-2.0",
					    "Artistic", "BSD", "MPL-2.0", "GFDL-1.3"};
	static const char *const pats[] = {"the", "License", "GNU General Public License",
					   "\n\n", "  ", "e"};
	unsigned done = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[256];
		struct file f;
		struct scan s = {.length = UINT64_MAX, .chunk = 4096};

		snprintf(path, sizeof(path), LICENSES "%s", names[i]);
		if (access(path, R_OK))
			continue;
		file_load(&f, path);
		f.path = path;
		s.op = "count";
		s.byte = '\n';
		scan_check(&f, &s);
		s.byte = 'e';
		scan_check(&f, &s);
		s.op = "histogram";
		scan_check(&f, &s);
		s.op = "nop";
		scan_check(&f, &s);
		s.op = "match";
		for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
			s.pattern = (const uint8_t *)pats[k];
			s.pattern_len = (uint32_t)strlen(pats[k]);
			scan_check(&f, &s);
		}
		/* a whole-file chunk must agree with 4K chunks */
		s.chunk = 0;
		s.pattern = (const uint8_t *)"the";
		s.pattern_len = 3;
		scan_check(&f, &s);
		if (f.size > 8192) {
			match_straddling(&f, 4096, 4096, 4, 9, -1, 0);
			match_straddling(&f, 4096, 8192, 1, 2, -1, 0);
		}
		file_free(&f);
		done++;
	}
	CHECK(done >= 4, "only %u license texts found", done);
	printf("ok %u license texts in 4K chunks\n", done);
}

static void test_random_files(void)
{
	/* sizes off the chunk multiples, and around the page and tail window */
	static const size_t sizes[] = {4095, 4097, 65536 + 1, 3 * 65536 - 1, 1000003, 4096 * 5};
	uint64_t seed = 7;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[64];
		struct file f;

		snprintf(name, sizeof(name), "random-%zu", sizes[i]);
		char *path = file_random(&f, name, sizes[i], seed + i);
		scan_all_ops(&f, 4096, 0, UINT64_MAX, -1);
		scan_all_ops(&f, 65536, 0, UINT64_MAX, -1);
		if (f.size > 3 * 4096 + 300) {
			match_straddling(&f, 4096, 4096, 1, 2, -1, 0);
			match_straddling(&f, 4096, 8192, 100, 256, -1, 0);
			match_straddling(&f, 4096, 3 * 4096, 255, 256, -1, 0);
		}
		file_free(&f);
		unlink(path);
		free(path);
	}
	printf("ok random files of %zu sizes, every op, 4K and 64K chunks\n",
	       sizeof(sizes) / sizeof(sizes[0]));
}

static void test_tiny_files(void)
{
	struct file f;
	char *path;

	path = file_random(&f, "empty", 0, 1);
	scan_all_ops(&f, 4096, 0, UINT64_MAX, -1);
	scan_all_ops(&f, 0, 0, UINT64_MAX, -1);
	file_free(&f);
	unlink(path);
	free(path);

	for (unsigned b = 0; b < 256; b += 85) {
		char name[32];
		int fd;

		snprintf(name, sizeof(name), "one-byte-%u", b);
		path = file_random(&f, name, 1, 1);
		f.data[0] = (uint8_t)b;
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		CHECK(fd >= 0 && write(fd, f.data, 1) == 1, "write %s", path);
		close(fd);
		scan_all_ops(&f, 4096, 0, UINT64_MAX, -1);
		struct scan s = {.op = "count", .byte = (uint8_t)b, .length = UINT64_MAX};
		CHECK(scan_check(&f, &s) == 1, "one byte 0x%02x counted", b);
		s.op = "match";
		s.pattern = f.data;
		s.pattern_len = 1;
		CHECK(scan_check(&f, &s) == 1, "one byte 0x%02x matched", b);
		/* a pattern longer than the file matches nothing */
		s.pattern = (const uint8_t *)"aa";
		s.pattern_len = 2;
		scan_check(&f, &s);
		file_free(&f);
		unlink(path);
		free(path);
	}
	printf("ok empty and one-byte files\n");
}

static void test_ranges(void)
{
	struct file f;
	char *path = file_random(&f, "ranges", 300007, 99);
	const uint64_t n = f.size;
	const struct {
		uint64_t offset, length;
	} r[] = {
		{0, 1},
		{1, 4095},
		{1000, 5000},
		{4095, 4098},
		{4096, 8192},
		{12345, 100000},
		{n - 1, 1},
		{n - 5000, 100000}, /* length past EOF */
		{7, UINT64_MAX},
		{0, n + 1},
		{0, n},
		{n - 1, UINT64_MAX},
		{n, 10},      /* offset at EOF */
		{n + 1, 10},  /* offset past EOF */
		{n + 99999, UINT64_MAX},
		{5000, 0},    /* empty range */
	};

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		scan_all_ops(&f, 4096, r[i].offset, r[i].length, -1);
		/* a match must lie wholly inside the range */
		if (r[i].offset < n && r[i].length > 300 && r[i].offset + 300 < n) {
			struct scan s = {.op = "match", .chunk = 4096, .offset = r[i].offset,
					 .length = r[i].length};
			uint64_t end = r[i].length > n - r[i].offset ? n : r[i].offset + r[i].length;
			s.pattern = f.data + end - 3; /* the range's last 3 bytes and one more */
			s.pattern_len = end < n ? 4 : 3;
			scan_check(&f, &s);
		}
	}
	file_free(&f);
	unlink(path);
	free(path);
	printf("ok %zu offset/length ranges, past EOF included\n", sizeof(r) / sizeof(r[0]));
}

/* O_DIRECT: a filesystem that takes it, page-aligned offsets, odd sizes. */
static void test_direct(void)
{
	struct pump_info pi;

	pump_info(pump, &pi);
	if (!strcmp(pi.kernel_mode, "persistent")) { /* O_DIRECT cannot land in BAR */
		printf("skip direct=1: a persistent kernel's arena is BAR\n");
		return;
	}
	struct file f;
	char *path = file_random(&f, "direct", 3 * 65536 + 12345, 5);
	int fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);

	if (fd < 0) {
		printf("skip direct=1: %s does not take O_DIRECT (%s)\n", tmpdir, strerror(errno));
		file_free(&f);
		unlink(path);
		free(path);
		return;
	}
	close(fd);
	scan_all_ops(&f, 4096, 0, UINT64_MAX, 1);
	scan_all_ops(&f, 65536, 0, UINT64_MAX, 1);
	scan_all_ops(&f, 65536, 8192, 100000, 1);
	scan_all_ops(&f, 65536, 4096 * 10, UINT64_MAX, 1);
	scan_all_ops(&f, 4096, f.size + 4095 - (f.size + 4095) % 4096, 10, 1);
	match_straddling(&f, 65536, 65536, 2, 7, 1, 0);
	match_straddling(&f, 65536, 3 * 65536, 255, 256, 1, 0);
	match_straddling(&f, 4096, 3 * 65536 + 8192, 1, 256, 1, 0);

	/* an unaligned offset is refused, and the fd stays the caller's */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open");
	struct pump_scan ps = {.fd = fd, .op = pump_op_find("count"), .args.count.byte = '\n', .offset = 100,
			       .length = UINT64_MAX, .direct = 1};
	struct pump_job *j = NULL;
	CHECK(pump_submit(pump, &ps, &j) == -EINVAL, "direct=1 offset=100 accepted");
	CHECK(fcntl(fd, F_GETFD) >= 0, "fd closed on a refused submit");
	close(fd);
	file_free(&f);
	unlink(path);
	free(path);
	printf("ok direct=1 on %s\n", tmpdir);
}

int main(void)
{
	struct pump_config cfg = {
		.slots = 16,
		.chunk = CHUNK_MAX,
		.kernel = CHECK_TEST_KERNEL(),
		.async = -1,
	};
	const char *base = getenv("VYRE_TEST_TMPDIR");
	struct pump_info pi;
	double t0 = now_s();
	int ret;

	/* Every Vulkan test runs under the Khronos validation layer. */
	setenv("VYRE_VALIDATION", "1", 1);
	/* the build dir is on a disk, unlike /tmp on many systems (O_DIRECT) */
	snprintf(tmpdir, sizeof(tmpdir), "%s/vyre-ops-XXXXXX", base ? base : "/var/tmp");
	CHECK(mkdtemp(tmpdir), "mkdtemp %s: %s", tmpdir, strerror(errno));
	atexit(tmpdir_remove);
	check_on_fail(tmpdir_remove); /* a failed CHECK runs no atexit handler */
	ret = pump_create(&cfg, &pump);
	CHECK(ret == 0, "pump_create: %d", ret);
	pump_info(pump, &pi);
	printf("device %s, ingest %s, kernel %s\n", pi.device, pi.ingest, pi.kernel_mode);

	test_tiny_files();
	test_ranges();
	test_random_files();
	test_licenses();
	test_direct();
	test_llvm();

	pump_info(pump, &pi);
	CHECK(pi.slots_free == pi.slots, "%u of %u slots free at the end", pi.slots_free,
	      pi.slots);
	CHECK(pi.jobs_active == 0, "%llu jobs active", (unsigned long long)pi.jobs_active);
	pump_destroy(&pump);
	rmdir(tmpdir);
	CHECK(gpu_validation_errors() == 0, "%u validation errors", gpu_validation_errors());
	printf("ok %u scans checked against the CPU in %.1f s\n", nchecks, now_s() - t0);
	return 0;
}
