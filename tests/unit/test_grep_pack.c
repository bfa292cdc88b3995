// SPDX-License-Identifier: MIT
/*
 * grep_packed_counts_equal_gnu_grep: op=grep over packed jobs (pump/pack.c,
 * many small files several to a slot, grep_packed in the shader) gives
 * every file the count LC_ALL=C grep -c -a gives it, run over the same
 * directory (grep -R -c -a -E [-v] [-m N]):
 *   - a generated tree: files of 0 and 1 byte, only '\n's, no final
 *     newline, NUL, CR and high bytes, one line of 60,000 bytes (past a
 *     CPU device's budget for a packed tile: the file is scanned again
 *     alone), exactly the packed limit, random line lengths, the pattern
 *     at a file's first and last bytes;
 *   - a real tree where one is readable (/usr/include's small files);
 *   - invert and max=, several patterns, DFAs in and out of shared memory;
 *   - a packed grep with lines=1 is refused (fs/ packs grep without it).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpu.h"
#include "pump.h"
#include "check.h"
#include "tdfa.h"

#define NGEN	  1500
#define NREAL_MAX 3000
#define JOB_FILES 700 /* files per packed job: several jobs, several slots each */

static struct pump *pump;
static char tmpdir[4096];
static uint64_t seed = 0x7061636b;
static unsigned nchecks;

static void tmpdir_remove(void)
{
	if (tmpdir[0])
		test_rmtree(tmpdir);
}

static uint64_t rnd(void)
{
	uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

struct tfile {
	char *path;
	uint32_t size;
	uint64_t want; /* grep -c's count for the case being run */
	bool seen;
	/* lines=1 cases: grep -n -b's (line, offset) pairs, in file order */
	uint64_t *wl;
	size_t nwl, wl_cap;
};

struct tree {
	const char *dir; /* what grep -r is run over */
	struct tfile *f;
	size_t n, cap;
};

static void tree_add(struct tree *t, const char *path, uint32_t size)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 1024;
		t->f = realloc(t->f, t->cap * sizeof(*t->f));
		CHECK(t->f, "realloc");
	}
	t->f[t->n++] = (struct tfile){.path = strdup(path), .size = size};
	CHECK(t->f[t->n - 1].path, "strdup");
}

static void write_file(struct tree *t, const char *name, const uint8_t *d, size_t n)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	FILE *o = fopen(path, "wb");
	CHECK(o && fwrite(d, 1, n, o) == n && fclose(o) == 0, "write %s", path);
	tree_add(t, path, (uint32_t)n);
}

/* Lines of random length from an alphabet with the patterns' bytes, some binary. */
static size_t gen_text(uint8_t *d, size_t n)
{
	static const char alpha[] = "abcdefo0123456789 fx_\t\r";
	size_t i = 0;

	while (i < n) {
		uint64_t x = rnd();
		size_t len = x % 11 == 0 ? 0 : (x >> 8) % (x % 5 == 0 ? 700 : 90);
		for (size_t k = 0; k < len && i < n; k++) {
			uint64_t y = rnd();
			d[i++] =
			    y % 31 == 0 ? (uint8_t)(y >> 8 | 1) : (uint8_t)alpha[(y >> 16) % 23];
			if (d[i - 1] == '\n')
				d[i - 1] = 0;
			if (y % 97 == 0 && i + 3 <= n) {
				memcpy(d + i, (y >> 20) & 1 ? "foo" : "a12x", 3);
				i += 3;
			}
		}
		if (i < n)
			d[i++] = '\n';
	}
	return n;
}

static void make_generated(struct tree *t)
{
	size_t cap = PUMP_PACK_FILE_MAX;
	uint8_t *d = calloc(1, cap); /* zeroed: gcc -O0 -fsanitize takes the empty write as a read */
	char name[64];

	CHECK(d, "malloc");
	write_file(t, "empty", d, 0);
	write_file(t, "one_f", (const uint8_t *)"f", 1);
	write_file(t, "one_nl", (const uint8_t *)"\n", 1);
	write_file(t, "nls", (const uint8_t *)"\n\n\n\n", 4);
	write_file(t, "foo_no_nl", (const uint8_t *)"xx\nfoo", 6);
	write_file(t, "foo_first", (const uint8_t *)"foo\nbar\n", 8);
	write_file(t, "cr_lines", (const uint8_t *)"foo\r\n\r\na12x\r", 12);
	write_file(t, "nul_foo", (const uint8_t *)"\0foo\0\n\0\n", 8);
	/* one 60,000-byte line: past a CPU lane's budget for a packed tile */
	memset(d, 'o', 60000);
	memcpy(d + 59990, "foo", 3);
	write_file(t, "long_line", d, 60000);
	memset(d, 'b', 60000);
	d[59999] = '\n';
	write_file(t, "long_line_nomatch", d, 60000);
	/* exactly the packed limit, the pattern in its last bytes, no final newline */
	gen_text(d, cap);
	memcpy(d + cap - 3, "foo", 3);
	write_file(t, "limit", d, cap);
	for (int i = 0; t->n < NGEN; i++) {
		uint64_t x = rnd();
		size_t n = x % 4 == 0 ? x % 64 : x % 3 == 0 ? (x >> 8) % cap : (x >> 8) % 8192;
		gen_text(d, n);
		if (n && (x >> 40) % 5 == 0)
			d[n - 1] = 'x'; /* no final newline */
		if (n > 3 && (x >> 44) % 7 == 0)
			memcpy(d, "foo", 3);
		snprintf(name, sizeof(name), "g%05d", i);
		write_file(t, name, d, n);
	}
	free(d);
}

/* /usr/include's regular files of at most the packed limit, up to NREAL_MAX. */
static struct tree *real_tree;
static int real_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_F && S_ISREG(st->st_mode) && st->st_size <= PUMP_PACK_FILE_MAX &&
	    !strchr(path, ':') && access(path, R_OK) == 0)
		tree_add(real_tree, path, (uint32_t)st->st_size);
	return real_tree->n >= NREAL_MAX;
}

struct gcase {
	const char *pat;
	bool compact; /* tdfa byte classes, or 256 (a DFA too big for shared memory) */
	bool invert;
	uint64_t max;
	bool lines; /* lines=1: each file's records against grep -n -b */
};

/* grep -R -n -b over the tree's directory: each file's (line, offset) pairs. */
static void reference_lines(struct tree *t, const struct gcase *c)
{
	char cmd[8192], maxs[32] = "";
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	if (c->max)
		snprintf(maxs, sizeof(maxs), "-m %llu", (unsigned long long)c->max);
	snprintf(cmd, sizeof(cmd), "LC_ALL=C grep -R -n -b -a -E %s %s -e '%s' '%s' 2>/dev/null",
		 c->invert ? "-v" : "", maxs, c->pat, t->dir);
	for (size_t i = 0; i < t->n; i++)
		t->f[i].nwl = 0;
	f = popen(cmd, "r");
	CHECK(f, "popen %s", cmd);
	/* PATH:LINE:OFFSET:TEXT; the test's paths hold no ':' */
	size_t at = 0;
	while (getline(&line, &cap, f) > 0) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		CHECK(c1 && c2, "grep -n -b said %s", line);
		*c1 = 0;
		if (strcmp(t->f[at].path, line)) /* grep's order is the tree's, mostly */
			for (at = 0; at < t->n && strcmp(t->f[at].path, line); at++)
				;
		CHECK(at < t->n, "grep -n -b named %s", line);
		struct tfile *tf = &t->f[at];
		if (tf->nwl + 2 > tf->wl_cap) {
			tf->wl_cap = tf->wl_cap ? 2 * tf->wl_cap : 16;
			tf->wl = realloc(tf->wl, tf->wl_cap * sizeof(*tf->wl));
			CHECK(tf->wl, "realloc");
		}
		tf->wl[tf->nwl++] = strtoull(c1 + 1, NULL, 10);
		tf->wl[tf->nwl++] = strtoull(c2 + 1, NULL, 10);
	}
	free(line);
	pclose(f);
}

/* File i of packed job j: its records are grep -n -b's. */
static void check_file_lines(struct pump_job *j, size_t i, const struct tfile *f,
			     const char *what, const char *pat)
{
	size_t n = pump_job_file_lines(j, i, NULL, 0);
	struct pump_line *v = calloc(n ? n : 1, sizeof(*v));

	CHECK(v, "calloc");
	CHECK(n * 2 == f->nwl && pump_job_file_lines(j, i, v, n) == n,
	      "%s pattern='%s' lines=1: %s: %zu records, grep -n -b %zu", what, pat, f->path, n,
	      f->nwl / 2);
	for (size_t k = 0; k < n; k++)
		CHECK(v[k].line == f->wl[2 * k] && v[k].offset == f->wl[2 * k + 1],
		      "%s pattern='%s' lines=1: %s record %zu: %llu:%llu, grep %llu:%llu", what, pat,
		      f->path, k, (unsigned long long)v[k].line, (unsigned long long)v[k].offset,
		      (unsigned long long)f->wl[2 * k], (unsigned long long)f->wl[2 * k + 1]);
	free(v);
}

/* grep -R -c over the tree's directory: each file's count, by path. */
static void reference(struct tree *t, const struct gcase *c)
{
	char cmd[8192], line[8192], maxs[32] = "";
	FILE *f;
	size_t found = 0;

	if (c->max)
		snprintf(maxs, sizeof(maxs), "-m %llu", (unsigned long long)c->max);
	/* -R: the real tree's files are symlinks in one directory */
	snprintf(cmd, sizeof(cmd), "LC_ALL=C grep -R -c -a -E %s %s -e '%s' '%s' 2>/dev/null",
		 c->invert ? "-v" : "", maxs, c->pat, t->dir);
	for (size_t i = 0; i < t->n; i++)
		t->f[i].seen = false;
	f = popen(cmd, "r");
	CHECK(f, "popen %s", cmd);
	/* paths in grep's order; a hash would be faster, a sorted index is enough */
	while (fgets(line, sizeof(line), f)) {
		char *colon = strrchr(line, ':');
		CHECK(colon, "grep said %s", line);
		*colon = 0;
		for (size_t i = 0; i < t->n; i++) {
			if (!t->f[i].seen && !strcmp(t->f[i].path, line)) {
				t->f[i].want = strtoull(colon + 1, NULL, 10);
				t->f[i].seen = true;
				found++;
				break;
			}
		}
	}
	pclose(f);
	CHECK(found == t->n, "grep -R -c listed %zu of %zu files", found, t->n);
}

/* Runs the tree in packed jobs of JOB_FILES; every file's count must be grep's. */
static void run_case(struct tree *t, const struct gcase *c, const char *what)
{
	struct tdfa d;
	struct pump_file *pf = calloc(JOB_FILES, sizeof(*pf));
	struct pump_file_result *res = calloc(JOB_FILES, sizeof(*res));
	uint64_t total = 0;

	CHECK(pf && res, "calloc");
	reference(t, c);
	if (c->lines)
		reference_lines(t, c);
	tdfa_build(c->pat, c->compact, &d);
	for (size_t first = 0; first < t->n; first += JOB_FILES) {
		size_t n = t->n - first < JOB_FILES ? t->n - first : JOB_FILES;
		struct pump_job *j = NULL;
		struct pump_job_info in;

		for (size_t i = 0; i < n; i++) {
			pf[i].fd = open(t->f[first + i].path, O_RDONLY | O_CLOEXEC);
			CHECK(pf[i].fd >= 0, "open %s", t->f[first + i].path);
			pf[i].size = t->f[first + i].size;
		}
		struct pump_scan s = {
		    .fd = -1,
		    .files = pf,
		    .nfiles = (uint32_t)n,
		    .op = pump_op_find("grep"),
		    .args.grep = {.dfa = &d.d,
				  .flags = (c->invert ? PUMP_GREP_INVERT : 0) |
					   (c->lines ? PUMP_GREP_LINES : 0),
				  .max = c->max},
		    .length = UINT64_MAX,
		    .direct = 0,
		};
		CHECK(pump_submit(pump, &s, &j) == 0, "%s: pump_submit of %zu packed files", what,
		      n);
		CHECK(pump_job_wait(j, 300000) == 0, "%s: packed grep did not end", what);
		pump_job_info(j, &in);
		CHECK(in.state == PUMP_JOB_DONE, "%s: state %s", what,
		      pump_job_state_name(in.state));
		CHECK(pump_job_files(j, res, n) == n, "%s: per-file results", what);
		uint64_t sum = 0;
		for (size_t i = 0; i < n; i++) {
			const struct tfile *f = &t->f[first + i];
			CHECK(
			    res[i].err == 0 && res[i].bytes == f->size && res[i].result == f->want,
			    "%s pattern='%s'%s max=%llu: %s (%u bytes): vyrefs %llu (err %d), grep "
			    "-c "
			    "%llu",
			    what, c->pat, c->invert ? " invert=1" : "", (unsigned long long)c->max,
			    f->path, f->size, (unsigned long long)res[i].result, res[i].err,
			    (unsigned long long)f->want);
			if (c->lines)
				check_file_lines(j, i, f, what, c->pat);
			sum += res[i].result;
		}
		CHECK(in.result == sum, "%s: job result %llu, files' sum %llu", what,
		      (unsigned long long)in.result, (unsigned long long)sum);
		total += sum;
		pump_job_put(&j);
	}
	tdfa_free(&d);
	free(pf);
	free(res);
	nchecks++;
	printf("ok %s pattern='%s'%s%s%s max=%llu: %zu files, %llu lines\n", what, c->pat,
	       c->compact ? "" : " classes=256", c->invert ? " invert=1" : "",
	       c->lines ? " lines=1" : "",
	       (unsigned long long)c->max, t->n, (unsigned long long)total);
}

/*
 * The file of one long line is counted only after it ran again alone on a
 * CPU device (its own job: jobs_done moves by more than the packed one's;
 * the file after it in the tile may run alone too: its lane's budget is
 * spent).
 */
static void check_rerun(struct tree *t)
{
	struct tdfa d;
	struct pump_file pf[2];
	struct pump_file_result res[2];
	struct pump_info a, b;
	struct pump_job *j = NULL;
	const char *names[2] = {"long_line", "foo_first"};

	tdfa_build("foo", true, &d);
	for (int i = 0; i < 2; i++) {
		size_t k = 0;
		while (k < t->n && strcmp(strrchr(t->f[k].path, '/') + 1, names[i]))
			k++;
		CHECK(k < t->n, "%s not generated", names[i]);
		pf[i].fd = open(t->f[k].path, O_RDONLY | O_CLOEXEC);
		pf[i].size = t->f[k].size;
		CHECK(pf[i].fd >= 0, "open");
	}
	pump_info(pump, &a);
	struct pump_scan s = {.fd = -1,
			      .files = pf,
			      .nfiles = 2,
			      .op = pump_op_find("grep"),
			      .args.grep = {.dfa = &d.d},
			      .length = UINT64_MAX,
			      .direct = 0};
	CHECK(pump_submit(pump, &s, &j) == 0, "submit");
	CHECK(pump_job_wait(j, 120000) == 0, "wait");
	CHECK(pump_job_files(j, res, 2) == 2 && res[0].err == 0 && res[0].result == 1 &&
		  res[1].err == 0 && res[1].result == 1,
	      "long line %llu (err %d), first line %llu (err %d)",
	      (unsigned long long)res[0].result, res[0].err, (unsigned long long)res[1].result,
	      res[1].err);
	pump_job_put(&j);
	tdfa_free(&d);
	pump_info(pump, &b);
	printf("ok a 60,000-byte line: %llu jobs ran for a packed job of 2 files on %s\n",
	       (unsigned long long)(b.jobs_done - a.jobs_done), b.device);
	if (strstr(b.device, "llvmpipe"))
		CHECK(b.jobs_done - a.jobs_done >= 2, "on a CPU device the long line runs alone");
}

int main(void)
{
	struct pump_config cfg = {
	    .slots = 16, .chunk = 1u << 20, .kernel = CHECK_TEST_KERNEL(), .async = -1};
	const char *base = getenv("VYRE_TEST_TMPDIR");
	struct tree gen = {0}, real = {0};
	double t0 = now_s();

	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("VYRE_VALIDATION", "1", 1);
	snprintf(tmpdir, sizeof(tmpdir), "%s/vyre-grep-pack.XXXXXX", base ? base : "/var/tmp");
	CHECK(mkdtemp(tmpdir), "mkdtemp %s: %s", tmpdir, strerror(errno));
	atexit(tmpdir_remove);
	check_on_fail(tmpdir_remove); /* a failed CHECK runs no atexit handler */
	gen.dir = tmpdir;
	make_generated(&gen);
	CHECK(pump_create(&cfg, &pump) == 0, "pump_create");

	const struct gcase cases[] = {
	    {"foo", true, false, 0, false},	 {"foo", true, true, 0, false},   {"a[0-9]+x", true, false, 0, false},
	    {"f[o0]+", false, false, 0, false}, {".", true, true, 0, false},	   {"zzq", true, true, 0, false},
	    {"o", true, false, 3, false},	 {"[a-f]", true, true, 2, false},
	    /* lines=1: each file's records in its share of the slot's
	     * (grep_packed.glsl), a file whose records pass it run alone;
	     * invert=1 too */
	    {"foo", true, false, 0, true}, {"f[o0]+", false, false, 0, true},
	    {"o", true, false, 3, true},   {"foo", true, true, 0, true},
	    {"[a-f]", true, true, 2, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&gen, &cases[i], "generated");
	check_rerun(&gen);

	real.dir = getenv("VYRE_GREP_PACK_TREE") ? getenv("VYRE_GREP_PACK_TREE") : "/usr/include";
	real_tree = &real;
	if (access(real.dir, R_OK) == 0)
		nftw(real.dir, real_add, 32, FTW_PHYS);
	if (real.n == NREAL_MAX) {
		/* grep -R must see exactly these files: link them into one directory */
		char dir[4400], link[4500];
		snprintf(dir, sizeof(dir), "%s/real", tmpdir);
		CHECK(mkdir(dir, 0700) == 0, "mkdir");
		for (size_t i = 0; i < real.n; i++) {
			snprintf(link, sizeof(link), "%s/r%05zu", dir, i);
			CHECK(symlink(real.f[i].path, link) == 0, "symlink");
			free(real.f[i].path);
			real.f[i].path = strdup(link);
		}
		real.dir = dir;
		const struct gcase rc[] = {{"int", true, false, 0, false},
					   {"define", true, true, 0, false},
					   {"_[A-Z]+_H", true, false, 0, false},
					   {"_[A-Z]+_H", true, false, 0, true}};
		for (size_t i = 0; i < sizeof(rc) / sizeof(rc[0]); i++)
			run_case(&real, &rc[i], "real");
	} else {
		printf("note: %s has %zu small files; the real-tree cases need %d\n", real.dir,
		       real.n, NREAL_MAX);
	}

	struct pump_info pi;
	pump_info(pump, &pi);
	CHECK(pi.slots_free == pi.slots, "%u of %u slots free at the end", pi.slots_free, pi.slots);
	CHECK(pi.jobs_active == 0, "%llu jobs active", (unsigned long long)pi.jobs_active);
	pump_destroy(&pump);
	for (size_t i = 0; i < gen.n; i++) {
		free(gen.f[i].path);
		free(gen.f[i].wl);
	}
	for (size_t i = 0; i < real.n; i++) {
		free(real.f[i].path);
		free(real.f[i].wl);
	}
	free(gen.f);
	free(real.f);
	CHECK(gpu_validation_errors() == 0, "%u validation errors", gpu_validation_errors());
	printf("ok %u packed grep cases equal grep -R -c per file in %.1f s\n", nchecks,
	       now_s() - t0);
	return 0;
}
