// SPDX-License-Identifier: MIT
/*
 * grep_counts_exact_under_load: hundreds of grep jobs in flight at once
 * through the pump, each job's count equal to LC_ALL=C grep -c -a on the
 * same file (issue 20, item 1: on an H100 a tree of 8 MiB log files gave
 * counts a few lines off, differently each run; lavapipe never showed it).
 *
 * The files: generated log text whose sizes sit on chunk and span edges
 * (C-1, C, C+1, 2C-1, 2C+1, 16C+-1 for C = 4K, 64K, 1M), files whose lines
 * cross every chunk edge (some longer than the tail window, so continuation
 * slots finish them), and with VYRE_STRESS_BIG=N, N files of
 * VYRE_STRESS_BIG_MB (8) MiB like the tree. Every job picks a
 * file, a pattern (frequent, rare, one only the long lines hold), invert
 * or not, lines=1 or not and a chunk size, and batches of jobs run
 * concurrently (all submitted, then all waited for), first on one unit,
 * then on two units of the same device (large jobs split into spans).
 *
 * The reference: GNU grep, run once per (file, pattern, invert), checked
 * in turn against a count made here line by line (memmem), so a broken
 * grep cannot make the test pass. The kernel mode is VYRE_TEST_KERNEL's.
 *
 *   VYRE_STRESS_JOBS   jobs per unit layout (default 160: 20-40 s on lavapipe)
 *   VYRE_STRESS_BIG    big files (default 0)
 *   VYRE_STRESS_BIG_MB their size (default 8)
 *   VYRE_STRESS_UNITS  "1", "2" or "12" (default): the layouts to run
 *   VYRE_STRESS_SEED   the job mix (default fixed; the files never change)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpu.h"
#include "pump.h"
#include "check.h"
#include "tdfa.h"

#define SLOTS	  32
#define CHUNK_MAX (4u << 20) /* the daemon's default chunk */
#define BATCH_MAX 96	     /* jobs in flight at once */

static const char *const pats[] = {"ERROR", "e", "q7z"};
#define NPATS (sizeof(pats) / sizeof(pats[0]))
static const uint32_t chunks[] = {4096, 65536, 1u << 20, 4u << 20};
#define NCHUNKS (sizeof(chunks) / sizeof(chunks[0]))

struct file {
	char *path;
	uint64_t size;
	int64_t ref[NPATS][2]; /* grep -c [-v]: -1 until asked */
};

static char tmpdir[4096];
static struct file *files;
static size_t nfiles;
static struct tdfa dfas[NPATS];
static uint64_t seed;

static void tmpdir_remove(void)
{
	if (tmpdir[0])
		test_rmtree(tmpdir);
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

/* ---- files ------------------------------------------------------------------ */

static const char *const words[] = {
    "request", "served", "cache", "miss", "upstream", "timeout", "retry", "conn",
    "closed",  "user",	 "id",	  "ok",	  "bytes",    "took",	 "ms",	  "path",
};

/* One log line of about len bytes (never a '\n' inside), its '\n' after. */
static size_t log_line(char *out, size_t len, uint64_t *s)
{
	static const char *const lvl[] = {"INFO", "INFO", "WARN", "DEBUG", "INFO", "ERROR"};
	uint64_t x = rnd(s);
	size_t n = (size_t)snprintf(out, len + 64, "2026-12-06T13:%02u:%02u.%06uZ h%02u %s ",
				    (unsigned)(x % 60), (unsigned)(x >> 8) % 60,
				    (unsigned)(x >> 16) % 1000000, (unsigned)(x >> 40) % 32,
				    lvl[(x >> 48) % 6]);

	while (n < len) {
		const char *w = words[rnd(s) % 16];
		size_t k = strlen(w);
		if (n + k + 1 > len)
			k = len - n - 1;
		memcpy(out + n, w, k);
		n += k;
		if (n < len)
			out[n++] = ' ';
	}
	out[n++] = '\n';
	return n;
}

/*
 * size bytes of log text; with edge, a line crossing every multiple of
 * edge, alternately short and longer than the tail window (70,000 bytes
 * of 'x's with q7z near their end), so continuations decide them.
 */
static void make_file(const char *name, uint64_t size, uint64_t edge, bool last_nl, uint64_t s)
{
	struct file *f = &files[nfiles++];
	char *buf = malloc(size + 80000), line[400];
	uint64_t n = 0, k = 1;
	int fd;

	CHECK(buf, "malloc %llu", (unsigned long long)size);
	while (n < size) {
		if (edge && n + 200 > k * edge && n < k * edge) {
			size_t len = k & 1 ? 70000 : 300;
			memset(buf + n, 'x', len);
			if (k & 2)
				memcpy(buf + n + len - 10, "q7z", 3);
			buf[n + len] = '\n';
			n += len + 1;
			k++;
			continue;
		}
		size_t len = log_line(line, 20 + rnd(&s) % 180, &s);
		memcpy(buf + n, line, len);
		n += len;
		while (edge && k * edge <= n)
			k++;
	}
	if (!last_nl && buf[size - 1] == '\n')
		buf[size - 1] = 'E';
	CHECK(asprintf(&f->path, "%s/%s", tmpdir, name) > 0, "asprintf");
	f->size = size;
	memset(f->ref, 0xff, sizeof(f->ref));
	fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "create %s", f->path);
	CHECK(write(fd, buf, size) == (ssize_t)size, "write %s", f->path);
	close(fd);
	free(buf);
}

static void make_files(uint64_t big, uint64_t big_mb)
{
	static const uint64_t edges[] = {4096, 65536, 1u << 20};
	char name[64];
	uint64_t s = 0x6c6f6773;

	files = calloc(64 + big, sizeof(*files));
	CHECK(files, "calloc");
	for (size_t e = 0; e < 3; e++) {
		uint64_t c = edges[e];
		const uint64_t sizes[] = {c - 1, c, c + 1, 2 * c - 1, 2 * c + 1, 16 * c - 1,
					  16 * c + 1};
		for (size_t i = 0; i < 7; i++) {
			if (sizes[i] > (3u << 20))
				continue; /* 16 MiB: the big files cover sizes this large */
			snprintf(name, sizeof(name), "edge%llu_%zu", (unsigned long long)c, i);
			make_file(name, sizes[i], 0, i & 1, s + e * 16 + i);
		}
		snprintf(name, sizeof(name), "cross%llu", (unsigned long long)c);
		make_file(name, c == (1u << 20) ? 3 * c + 4567 : 20 * c + 17, c, true, s + 99 + e);
	}
	/* 2 MiB + 1 of short lines at 64K chunks: 33 chunks, spans of 16 */
	make_file("span", (2u << 20) + 1, 0, false, s + 200);
	make_file("empty", 0, 0, true, s + 201);
	for (uint64_t i = 0; i < big; i++) {
		snprintf(name, sizeof(name), "big%03llu", (unsigned long long)i);
		make_file(name, (big_mb << 20) + rnd(&s) % 4096, i & 1 ? 1u << 20 : 0, true,
			  s + 1000 + i);
	}
}

/* ---- the reference ------------------------------------------------------------ */

/* Lines of the file holding pat (or not, with invert), counted here. */
static uint64_t own_count(const char *path, const char *pat, bool invert)
{
	FILE *f = fopen(path, "rb");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t c = 0;

	CHECK(f, "open %s", path);
	while ((n = getline(&line, &cap, f)) > 0) {
		size_t len = (size_t)n - (line[n - 1] == '\n');
		bool has = memmem(line, len, pat, strlen(pat)) != NULL;
		c += has != invert;
	}
	free(line);
	fclose(f);
	return c;
}

static uint64_t reference(struct file *f, size_t pat, bool invert)
{
	char cmd[8192], out[64];
	FILE *p;

	if (f->ref[pat][invert] >= 0)
		return (uint64_t)f->ref[pat][invert];
	snprintf(cmd, sizeof(cmd), "LC_ALL=C grep -c -a %s -e '%s' '%s'", invert ? "-v" : "",
		 pats[pat], f->path);
	p = popen(cmd, "r");
	CHECK(p && fgets(out, sizeof(out), p), "%s", cmd);
	pclose(p);
	f->ref[pat][invert] = (int64_t)strtoull(out, NULL, 10);
	uint64_t own = own_count(f->path, pats[pat], invert);
	CHECK(own == (uint64_t)f->ref[pat][invert], "%s: grep says %lld, counted here %llu", cmd,
	      (long long)f->ref[pat][invert], (unsigned long long)own);
	return own;
}

/* ---- jobs ----------------------------------------------------------------------- */

struct job {
	struct pump_job *j;
	size_t file, pat;
	bool invert, lines;
	uint32_t chunk;
};

struct layout {
	struct pump *p;	       /* one unit */
	struct pump_units *u;  /* or several */
	const char *name;
};

static void layout_close(struct layout *l)
{
	pump_destroy(&l->p);
	pump_units_destroy(&l->u);
}

static struct layout *failing; /* stopped before a failed check exits */

static void stop_failing(void)
{
	if (failing)
		layout_close(failing);
}

static void pick(struct job *jb, uint64_t *s)
{
	uint64_t x = rnd(s);
	const struct file *f;

	jb->file = x % nfiles;
	f = &files[jb->file];
	jb->pat = (x >> 16) % NPATS;
	jb->invert = (x >> 24) % 5 == 0;
	jb->lines = (x >> 28) % 4 == 0;
	/* at most 512 chunks a job: 4K chunks go to the small files */
	do
		jb->chunk = chunks[rnd(s) % NCHUNKS];
	while (f->size / jb->chunk > 512);
}

static void submit(struct layout *l, struct job *jb)
{
	const struct file *f = &files[jb->file];
	int fd = open(f->path, O_RDONLY | O_CLOEXEC), ret;

	CHECK(fd >= 0, "open %s", f->path);
	struct pump_scan s = {
	    .fd = fd,
	    .op = pump_op_find("grep"),
	    .args.grep = {.dfa = &dfas[jb->pat].d,
			  .flags = (jb->invert ? PUMP_GREP_INVERT : 0) | (jb->lines ? PUMP_GREP_LINES : 0)},
	    .length = UINT64_MAX,
	    .chunk = jb->chunk,
	    .direct = -1,
	    .owner = (uint32_t)(jb->file % 3),
	};
	ret = l->u ? pump_units_submit(l->u, &s, &jb->j) : pump_submit(l->p, &s, &jb->j);
	CHECK(ret == 0, "submit %s: %d", f->path, ret);
}

/* 0 if the job's answer is grep's, else 1 (and says why). */
static int check_job(struct job *jb)
{
	struct file *f = &files[jb->file];
	struct pump_job_info in;
	uint64_t want = reference(f, jb->pat, jb->invert);
	int bad = 0;

	CHECK(pump_job_wait(jb->j, 300000) == 0, "%s: did not end in 300 s", f->path);
	pump_job_info(jb->j, &in);
	if (in.state != PUMP_JOB_DONE || in.chunks_failed || in.result != want) {
		printf("WRONG %s (%llu bytes) pattern=%s%s%s chunk=%u: %s, %llu chunks failed, "
		       "%llu lines, grep -c says %llu\n",
		       strrchr(f->path, '/') + 1, (unsigned long long)f->size, pats[jb->pat],
		       jb->invert ? " invert=1" : "", jb->lines ? " lines=1" : "", jb->chunk,
		       pump_job_state_name(in.state), (unsigned long long)in.chunks_failed,
		       (unsigned long long)in.result, (unsigned long long)want);
		bad = 1;
	}
	if (jb->lines && !bad) {
		size_t n = pump_job_lines(jb->j, NULL, 0);
		struct pump_line *ln = calloc(n + 1, sizeof(*ln));
		CHECK(ln, "calloc");
		n = pump_job_lines(jb->j, ln, n);
		for (size_t i = 1; i < n && !bad; i++)
			bad = ln[i].line <= ln[i - 1].line || ln[i].offset <= ln[i - 1].offset;
		if (n != want || bad) {
			printf("WRONG %s pattern=%s chunk=%u lines=1: %zu lines listed%s, want %llu\n",
			       strrchr(f->path, '/') + 1, pats[jb->pat], jb->chunk, n,
			       bad ? " out of order" : "", (unsigned long long)want);
			bad = 1;
		}
		free(ln);
	}
	pump_job_put(&jb->j);
	return bad;
}

static void run_layout(struct layout *l, uint64_t njobs, uint64_t *s)
{
	struct job batch[BATCH_MAX];
	uint64_t done = 0, wrong = 0, bytes = 0;
	double t0 = now_s();

	failing = l;
	while (done < njobs) {
		uint64_t n = njobs - done < BATCH_MAX ? njobs - done : BATCH_MAX;
		n = 1 + rnd(s) % n; /* batches of every size up to BATCH_MAX */
		for (uint64_t i = 0; i < n; i++) {
			pick(&batch[i], s);
			submit(l, &batch[i]);
		}
		for (uint64_t i = 0; i < n; i++) {
			bytes += files[batch[i].file].size;
			wrong += (uint64_t)check_job(&batch[i]);
		}
		done += n;
	}
	CHECK(wrong == 0, "%s: %llu of %llu grep jobs wrong", l->name, (unsigned long long)wrong,
	      (unsigned long long)njobs);
	printf("ok %s: %llu grep jobs (%.1f MB) equal grep -c in %.1f s\n", l->name,
	       (unsigned long long)njobs, (double)bytes / 1e6, now_s() - t0);
	failing = NULL;
}

int main(void)
{
	uint64_t njobs = env_u64("VYRE_STRESS_JOBS", 160);
	uint64_t big = env_u64("VYRE_STRESS_BIG", 0), big_mb = env_u64("VYRE_STRESS_BIG_MB", 8);
	const char *layouts = getenv("VYRE_STRESS_UNITS") ? getenv("VYRE_STRESS_UNITS") : "12";
	const char *base = getenv("VYRE_TEST_TMPDIR");
	struct pump_config cfg = {
		.slots = SLOTS,
		.chunk = CHUNK_MAX,
		.kernel = CHECK_TEST_KERNEL(),
		.async = -1,
	};
	struct pump_info pi;
	char devs[600];
	double t0 = now_s();

	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("VYRE_VALIDATION", "1", 0);
	seed = env_u64("VYRE_STRESS_SEED", 0x73747265);
	snprintf(tmpdir, sizeof(tmpdir), "%s/vyre-grep-stress-XXXXXX", base ? base : "/var/tmp");
	CHECK(mkdtemp(tmpdir), "mkdtemp %s: %s", tmpdir, strerror(errno));
	atexit(tmpdir_remove);
	check_on_fail(tmpdir_remove);
	check_on_fail(stop_failing); /* first: the pump stops before the files go */
	make_files(big, big_mb);
	for (size_t i = 0; i < NPATS; i++)
		tdfa_build(pats[i], true, &dfas[i]);
	printf("%zu files in %.1f s; %llu jobs per layout, seed %#llx\n", nfiles, now_s() - t0,
	       (unsigned long long)njobs, (unsigned long long)seed);

	struct layout one = {.name = "1 unit"};
	CHECK(pump_create(&cfg, &one.p) == 0, "pump_create");
	pump_info(one.p, &pi);
	printf("device: %s, kernel: %s\n", pi.device, pi.kernel_mode);
	/* two units of the one device: its name, twice (device=LIST) */
	snprintf(devs, sizeof(devs), "%s:%s", pi.device, pi.device);
	if (strchr(layouts, '1'))
		run_layout(&one, njobs, &seed);
	layout_close(&one);

	if (strchr(layouts, '2')) {
		struct layout two = {.name = "2 units"};
		int ret = pump_units_create(&cfg, devs, &two.u);
		CHECK(ret == 0, "pump_units_create %s: %d", devs, ret);
		CHECK(pump_units_count(two.u) == 2, "%u units", pump_units_count(two.u));
		run_layout(&two, njobs, &seed);
		layout_close(&two);
	}
	for (size_t i = 0; i < NPATS; i++)
		tdfa_free(&dfas[i]);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i].path);
	free(files);
	CHECK(gpu_validation_errors() == 0, "%u validation errors", gpu_validation_errors());
	printf("ok grep stress in %.1f s\n", now_s() - t0);
	return 0;
}
