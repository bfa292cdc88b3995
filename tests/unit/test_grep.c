// SPDX-License-Identifier: MIT
/*
 * grep_equals_gnu_grep: op=grep end to end through pump_submit (io_uring,
 * the real megakernel on lavapipe) selects exactly the lines
 * LC_ALL=C grep -a selects, run by popen on the same temp file:
 *   - counts (-c) and invert (-v -c) for literals and small regexes, with
 *     DFAs small enough for shared memory and too big for it;
 *   - lines=1 against grep -n -b | cut -d: -f1,2, and max=N (-m N);
 *   - generated text with NUL and high bytes, empty lines, lines longer
 *     than a lane's loop budget and than the tail window (open lines,
 *     continued in continuation slots), a 1.2 MB line over 4K and 64K
 *     chunks, no trailing newline;
 *   - chunks with more selected lines than a slot's record buffer and more
 *     open lines than its open list (the chunk reruns from what did not fit).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gpu.h"
#include "pump.h"
#include "check.h"
#include "tdfa.h"
#include "regex/regex.h"

#define CHUNK_MAX (1u << 20)

static struct pump *pump;
static char tmpdir[4096];
static unsigned nchecks;
static uint64_t last_reruns; /* the last scan's pump_job_info.reruns */
static uint64_t seed = 0x67726570;

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

/* ---- files ------------------------------------------------------------------ */

struct buf {
	uint8_t *d;
	size_t n, cap;
};

static void put(struct buf *b, const void *s, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->d = realloc(b->d, b->cap);
		CHECK(b->d, "realloc");
	}
	memcpy(b->d + b->n, s, n);
	b->n += n;
}

/* A line of len random bytes (never '\n'), "foo" or "a12x" at where (-1: none). */
static void put_line(struct buf *b, size_t len, long where, const char *word, bool nl)
{
	static const char alpha[] = "abcdefo0123456789 fx_\t\r";
	size_t start = b->n;

	for (size_t i = 0; i < len; i++) {
		uint64_t x = rnd();
		uint8_t c = x % 23 == 0 ? (uint8_t)(x >> 8)
					: (uint8_t)alpha[(x >> 16) % (sizeof(alpha) - 1)];
		if (c == '\n')
			c = 0;
		put(b, &c, 1);
	}
	if (where >= 0 && word && (size_t)where + strlen(word) <= len)
		memcpy(b->d + start + where, word, strlen(word));
	if (nl)
		put(b, "\n", 1);
}

static char *write_file(const char *name, const struct buf *b)
{
	char *path;
	int fd;

	CHECK(asprintf(&path, "%s/%s", tmpdir, name) > 0, "asprintf");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "create %s", path);
	CHECK(write(fd, b->d, b->n) == (ssize_t)b->n, "write %s", path);
	close(fd);
	return path;
}

/* Short lines, empty ones, long ones, a 1.2 MB one; no final newline. */
static char *make_mixed(void)
{
	struct buf b = {0};

	for (int i = 0; i < 3000; i++) {
		uint64_t x = rnd();
		size_t len = x % 7 == 0 ? 0 : (x >> 8) % 200;
		put_line(&b, len, (x >> 20) % 3 == 0 ? (long)((x >> 24) % (len + 1)) : -1,
			 (x >> 40) & 1 ? "foo" : "a12x", true);
		if (i == 1500) /* 1.2 MB with foo near its end; 1 MB without */
			put_line(&b, 1200000, 1150000, "foo", true);
		if (i == 2000)
			put_line(&b, 1000000, -1, NULL, true);
		if (i % 50 == 0) /* longer than a lane's budget and the tail */
			put_line(&b, 20000 + (x >> 32) % 60000, (x >> 48) & 1 ? 19990 : -1, "foo",
				 true);
	}
	put_line(&b, 77, 70, "foo", false);
	char *path = write_file("mixed", &b);
	free(b.d);
	return path;
}

/* Every line selected: far more than a slot's 1024 records per chunk. */
static char *make_dense(void)
{
	struct buf b = {0};

	for (int i = 0; i < 70000; i++)
		put_line(&b, 1 + rnd() % 3, 0, "a", true);
	char *path = write_file("dense", &b);
	free(b.d);
	return path;
}

/* 80 lines over the budget in one 1 MiB chunk: more than 32 open lines. */
static char *make_long(void)
{
	struct buf b = {0};

	for (int i = 0; i < 80; i++)
		put_line(&b, 17000 + rnd() % 3000, i % 3 ? 16990 : -1, "foo", true);
	char *path = write_file("long", &b);
	free(b.d);
	return path;
}

struct gcase {
	const char *pat;
	bool compact; /* byte classes, or 256 (a DFA too big for shared memory) */
	bool ere;     /* compile pat with the regex compiler (else tdfa.h) */
	bool icase;
	bool invert, lines;
	uint32_t chunk;
	uint64_t max;
	bool direct;
	uint64_t offset, length; /* length 0: to EOF */
};

/* ---- the reference -------------------------------------------------------- */

struct ref {
	uint64_t count;
	struct pump_line *lines;
	size_t nlines;
};

/* grep over the range [offset, offset + length) (length 0: to EOF); offsets are the file's. */
static void gnu_grep(const char *path, const struct gcase *c, struct ref *r)
{
	const char *pat = c->pat, *invert = c->invert ? "-v" : "", *icase = c->icase ? "-i" : "";
	char cmd[8192], line[256], src[4600];
	FILE *f;

	memset(r, 0, sizeof(*r));
	if (c->length)
		snprintf(src, sizeof(src), "tail -c +%llu '%s' | head -c %llu",
			 (unsigned long long)c->offset + 1, path, (unsigned long long)c->length);
	else
		snprintf(src, sizeof(src), "tail -c +%llu '%s'", (unsigned long long)c->offset + 1,
			 path);
	snprintf(cmd, sizeof(cmd), "%s | LC_ALL=C grep -a -n -b %s %s -E -e '%s' | cut -d: -f1,2",
		 src, invert, icase, pat);
	f = popen(cmd, "r");
	CHECK(f, "popen %s", cmd);
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long l, o;
		CHECK(sscanf(line, "%llu:%llu", &l, &o) == 2, "grep said %s", line);
		if (r->nlines == cap) {
			cap = cap ? 2 * cap : 1024;
			r->lines = realloc(r->lines, cap * sizeof(*r->lines));
			CHECK(r->lines, "realloc");
		}
		r->lines[r->nlines++] = (struct pump_line){l, o + c->offset, UINT32_MAX};
	}
	pclose(f);
	r->count = r->nlines;
	/* -c agrees with the lines: a second, independent reference */
	snprintf(cmd, sizeof(cmd), "%s | LC_ALL=C grep -a -c %s %s -E -e '%s'", src, invert, icase,
		 pat);
	f = popen(cmd, "r");
	CHECK(f && fgets(line, sizeof(line), f), "grep -c");
	CHECK(strtoull(line, NULL, 10) == r->count, "grep -c %s vs %zu lines", line, r->nlines);
	pclose(f);
}

/* ---- one scan --------------------------------------------------------------- */

static void run(const char *path, const struct gcase *c, const struct ref *ref)
{
	struct tdfa t;
	struct pump_job *j;
	struct pump_job_info in;
	char name[512];
	int fd, ret;

	snprintf(name, sizeof(name),
		 "%s pattern='%s'%s%s%s%s chunk=%u max=%llu%s offset=%llu length=%llu",
		 strrchr(path, '/') + 1, c->pat,
		 c->ere	      ? " (regex.h)"
		 : c->compact ? ""
			      : " classes=256",
		 c->icase ? " icase=1" : "", c->invert ? " invert=1" : "",
		 c->lines ? " lines=1" : "", c->chunk, (unsigned long long)c->max,
		 c->direct ? " direct=1" : "", (unsigned long long)c->offset,
		 (unsigned long long)c->length);
	if (c->direct) { /* O_DIRECT cannot land in BAR: direct=1 needs the relaunch kernel */
		struct pump_info pi;
		pump_info(pump, &pi);
		if (!strcmp(pi.kernel_mode, "persistent")) {
			printf("skip %s: direct=1 on a persistent kernel\n", name);
			return;
		}
	}
	struct regex_dfa rd;
	char err[256];
	if (c->ere) {
		const char *pats[1] = {c->pat};
		size_t lens[1] = {strlen(c->pat)};
		struct regex_opts o = {.icase = c->icase};
		CHECK(regex_compile(pats, lens, 1, &o, &rd, err, sizeof(err)) == 0, "%s: %s",
		      c->pat, err);
		t.d = (struct pump_dfa){rd.nstates, rd.nclasses, rd.start, rd.classes,
					rd.next,    rd.accept,	 rd.sink};
	} else {
		tdfa_build(c->pat, c->compact, &t);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open %s", path);
	struct pump_scan s = {
	    .fd = fd,
	    .op = pump_op_find("grep"),
	    .args.grep = {.dfa = &t.d,
			  .flags = (c->invert ? PUMP_GREP_INVERT : 0) | (c->lines ? PUMP_GREP_LINES : 0),
			  .max = c->max},
	    .offset = c->offset,
	    .length = c->length ? c->length : UINT64_MAX,
	    .chunk = c->chunk,
	    .direct = c->direct ? 1 : -1,
	};
	CHECK(s.op, "no grep op");
	ret = pump_submit(pump, &s, &j);
	CHECK(ret == 0, "%s: pump_submit %d", name, ret);
	if (c->ere)
		regex_dfa_free(&rd);
	else
		tdfa_free(&t);
	CHECK(pump_job_wait(j, 300000) == 0, "%s: did not end in 300 s", name);
	pump_job_info(j, &in);
	CHECK(in.state == PUMP_JOB_DONE, "%s: state %s, %llu chunks failed", name,
	      pump_job_state_name(in.state), (unsigned long long)in.chunks_failed);
	uint64_t want = c->max && c->max < ref->count ? c->max : ref->count;
	CHECK(in.result == want, "%s: gpu %llu lines, grep %llu", name,
	      (unsigned long long)in.result, (unsigned long long)want);
	if (c->lines) {
		size_t n = pump_job_lines(j, NULL, 0);
		struct pump_line *l = calloc(n + 1, sizeof(*l));
		CHECK(n == want, "%s: %zu lines listed, want %llu", name, n,
		      (unsigned long long)want);
		pump_job_lines(j, l, n);
		for (size_t i = 0; i < n; i++) {
			CHECK(l[i].line == ref->lines[i].line &&
				  l[i].offset == ref->lines[i].offset,
			      "%s: line %zu is %llu:%llu, grep %llu:%llu", name, i,
			      (unsigned long long)l[i].line, (unsigned long long)l[i].offset,
			      (unsigned long long)ref->lines[i].line,
			      (unsigned long long)ref->lines[i].offset);
		}
		free(l);
	}
	last_reruns = in.reruns;
	pump_job_put(&j);
	nchecks++;
	printf("ok %s: %llu (%llu reruns)\n", name, (unsigned long long)in.result,
	       (unsigned long long)in.reruns);
}

static void check_file(const char *path, const struct gcase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ref r;
		gnu_grep(path, &cases[i], &r);
		run(path, &cases[i], &r);
		free(r.lines);
	}
}

/* A cancelled grep ends cancelled and gives every slot back (checked at the end). */
static void test_cancel(const char *path)
{
	struct tdfa t;
	struct pump_job *j;
	struct pump_job_info in;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0, "open");
	tdfa_build("zzq", true, &t);
	struct pump_scan s = {
	    .fd = fd,
	    .op = pump_op_find("grep"),
	    .args.grep = {.dfa = &t.d, .flags = PUMP_GREP_LINES},
	    .length = UINT64_MAX,
	    .chunk = 4096,
	    .direct = -1,
	};
	CHECK(pump_submit(pump, &s, &j) == 0, "submit");
	tdfa_free(&t);
	usleep(20000);
	pump_job_cancel(j);
	CHECK(pump_job_wait(j, 120000) == 0, "cancelled grep did not end");
	pump_job_info(j, &in);
	CHECK(in.state == PUMP_JOB_CANCELLED || in.state == PUMP_JOB_DONE, "state %s",
	      pump_job_state_name(in.state));
	pump_job_put(&j);
	printf("ok cancel: %s\n", pump_job_state_name(in.state));
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
	double t0 = now_s();

	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("VYRE_VALIDATION", "1", 1);
	snprintf(tmpdir, sizeof(tmpdir), "%s/vyre-grep-XXXXXX", base ? base : "/var/tmp");
	CHECK(mkdtemp(tmpdir), "mkdtemp %s: %s", tmpdir, strerror(errno));
	atexit(tmpdir_remove);
	check_on_fail(tmpdir_remove); /* a failed CHECK runs no atexit handler */
	CHECK(pump_create(&cfg, &pump) == 0, "pump_create");

	char *mixed = make_mixed(), *dense = make_dense(), *lng = make_long();
	const struct gcase mixed_cases[] = {
	    {"foo", true, false, false, false, false, 65536, 0, false, 0, 0},
	    {"foo", true, false, false, true, false, 65536, 0, false, 0, 0},
	    {"foo", true, false, false, false, true, 4096, 0, false, 0, 0},
	    {"foo", true, false, false, false, true, 1u << 20, 0, false, 0, 0},
	    {"f[o0]+", false, false, false, false, true, 65536, 0, false, 0, 0},
	    {"a[0-9]+x", true, false, false, true, true, 1u << 20, 0, false, 0, 0},
	    {".", true, false, false, false, false, 65536, 0, false, 0, 0},
	    {"zzq", true, false, false, true, true, 65536, 0, false, 0, 0},
	    {"foo", true, false, false, false, true, 65536, 1, false, 0, 0},
	    {"foo", true, false, false, false, true, 65536, 7, false, 0, 0},
	    {"foo", true, false, false, true, true, 4096, 500, false, 0, 0},
	    /* the regex compiler's DFAs: anchors, alternation, classes, counts, icase */
	    {"^foo|a12x$", true, true, false, false, true, 65536, 0, false, 0, 0},
	    {"(fo+|a[0-9]{2}x)[^o]", true, true, false, true, true, 4096, 0, false, 0, 0},
	    {"^$", true, true, false, false, true, 65536, 0, false, 0, 0},
	    {"FOO", true, true, true, false, true, 1u << 20, 0, false, 0, 0},
	    {"[[:digit:]]{4}", true, true, false, true, false, 65536, 0, false, 0, 0},
	    /* O_DIRECT reads (continuations read 4K-aligned), ranges */
	    {"foo", true, false, false, false, true, 65536, 0, true, 0, 0},
	    {"foo", true, false, false, true, true, 4096, 0, true, 8192, 1500000},
	    {"a12x", true, false, false, false, true, 65536, 0, false, 70001, 0},
	    {"foo", true, false, false, false, true, 4096, 0, false, 123457, 2000001},
	};
	check_file(mixed, mixed_cases, sizeof(mixed_cases) / sizeof(mixed_cases[0]));
	const struct gcase dense_cases[] = {
	    {"a", true, false, false, false, true, 65536, 0, false, 0, 0},
	    {"a", true, false, false, false, true, 1u << 20, 0, false, 0, 0},
	    {"a", true, false, false, true, true, 65536, 0, false, 0, 0},
	    {"[a-f]", false, false, false, false, false, 65536, 0, false, 0, 0},
	    {"a", true, false, false, false, true, 1u << 20, 2000, false, 0, 0},
	};
	check_file(dense, dense_cases, sizeof(dense_cases) / sizeof(dense_cases[0]));
	const struct gcase long_cases[] = {
	    {"foo", true, false, false, false, true, 1u << 20, 0, false, 0, 0},
	    {"foo", true, false, false, true, true, 1u << 20, 0, false, 0, 0},
	    {"foo", true, false, false, false, false, 4096, 0, false, 0, 0},
	    {"zzq", true, false, false, true, true, 1u << 20, 0, false, 0,
	     0}, /* 80 open lines in one chunk */
	    {"zzq", true, false, false, false, false, 65536, 0, false, 0, 0},
	};
	check_file(lng, long_cases, sizeof(long_cases) / sizeof(long_cases[0]));

	/* empty files, empty lines, a file of one unterminated line */
	struct buf b = {0};
	char *empty = write_file("empty", &b);
	put(&b, "\n\n\n", 3);
	char *nls = write_file("newlines", &b);
	b.n = 0;
	put(&b, "abc", 3);
	char *one = write_file("one", &b);
	free(b.d);
	const struct gcase tiny_cases[] = {
	    {"^$", true, true, false, false, true, 4096, 0, false, 0, 0},
	    {"^$", true, true, false, true, true, 4096, 0, false, 0, 0},
	    {"b", true, true, false, false, true, 4096, 0, false, 0, 0},
	    {"b", true, true, false, true, true, 4096, 0, false, 0, 0},
	};
	check_file(empty, tiny_cases, 4);
	check_file(nls, tiny_cases, 4);
	check_file(one, tiny_cases, 4);
	free(empty);
	free(nls);
	free(one);
	test_cancel(mixed);

	struct pump_info pi;
	pump_info(pump, &pi);
	CHECK(pi.slots_free == pi.slots, "%u of %u slots free at the end", pi.slots_free, pi.slots);
	CHECK(pi.jobs_active == 0, "%llu jobs active", (unsigned long long)pi.jobs_active);
	pump_destroy(&pump);

	/*
	 * A unit of 4 KiB chunks has 1,024 records a slot (pump/ring.c
	 * ring_rec_max), 512 for the resume tile: 2-byte lines overflow them in
	 * every chunk, each lane (16 bytes) keeping its few lines from the count
	 * pass (grep.glsl grep_keep_write). Still exact, and counted as reruns.
	 */
	cfg.chunk = 4096;
	CHECK(pump_create(&cfg, &pump) == 0, "pump_create chunk=4096");
	const struct gcase small_cases[] = {
	    {"a", true, false, false, false, true, 4096, 0, false, 0, 0},
	};
	check_file(dense, small_cases, 1);
	CHECK(last_reruns > 0, "dense 2-byte lines in 4K chunks: no rerun counted");
	check_file(lng, small_cases, 1);
	pump_destroy(&pump);
	free(mixed);
	free(dense);
	free(lng);
	CHECK(gpu_validation_errors() == 0, "%u validation errors", gpu_validation_errors());
	printf("ok %u grep scans equal GNU grep in %.1f s\n", nchecks, now_s() - t0);
	return 0;
}
