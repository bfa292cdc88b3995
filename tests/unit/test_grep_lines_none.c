// SPDX-License-Identifier: MIT
/*
 * grep_lines_none_reads_defined: a lines=1 grep job that selects no line
 * (an empty file, a file with no match, a job spread over two units whose
 * spans select none) lists 0 lines, into a buffer or not, and reading them
 * is defined behaviour: pump_job_lines once passed memcpy a NULL source
 * (issue 20 item 5, UBSan at pump/job.c:266). The defect only shows under
 * -fsanitize=undefined: tools/run-tests.sh's sanitizer build runs this.
 * The reference is LC_ALL=C grep -c -a on the same file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pump.h"
#include "check.h"
#include "tdfa.h"

static char tmpdir[4096];
static struct pump *p;
static struct pump_units *u;

static void tmpdir_remove(void)
{
	if (tmpdir[0])
		test_rmtree(tmpdir);
}

/* a failed CHECK: the pump stops before the process ends (check.h) */
static void stop(void)
{
	pump_destroy(&p);
	pump_units_destroy(&u);
}

static char *make(const char *name, const char *text, size_t n)
{
	char *path;
	int fd;

	CHECK(asprintf(&path, "%s/%s", tmpdir, name) > 0, "asprintf");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "create %s", path);
	for (size_t done = 0; done < n;) {
		size_t k = n - done < strlen(text) ? n - done : strlen(text);
		CHECK(write(fd, text, k) == (ssize_t)k, "write %s", path);
		done += k;
	}
	close(fd);
	return path;
}

/* pat over path with lines=1 on p (spread: on the units u): no line, read three ways. */
static void check_none(bool spread, const char *path, const char *pat, uint32_t chunk)
{
	struct pump_line buf[4];
	struct pump_job_info in;
	struct pump_job *j;
	struct tdfa t;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0, "open %s", path);
	CHECK(ref_grep_c(path, pat) == 0, "%s: grep selects lines of %s", pat, path);
	tdfa_build(pat, true, &t);
	struct pump_scan s = {
	    .fd = fd,
	    .op = pump_op_find("grep"),
	    .args.grep = {.dfa = &t.d, .flags = PUMP_GREP_LINES},
	    .length = UINT64_MAX,
	    .chunk = chunk,
	    .direct = -1,
	};
	CHECK((spread ? pump_units_submit(u, &s, &j) : pump_submit(p, &s, &j)) == 0, "submit");
	tdfa_free(&t);
	CHECK(pump_job_wait(j, 120000) == 0, "%s: did not end", path);
	pump_job_info(j, &in);
	CHECK(in.state == PUMP_JOB_DONE && in.result == 0, "%s: %s, %llu lines", path,
	      pump_job_state_name(in.state), (unsigned long long)in.result);
	memset(buf, 0xa5, sizeof(buf));
	CHECK(pump_job_lines(j, NULL, 0) == 0, "lines without a buffer");
	CHECK(pump_job_lines(j, buf, 0) == 0, "lines into a buffer of 0");
	CHECK(pump_job_lines(j, buf, 4) == 0, "lines into a buffer of 4");
	CHECK(buf[0].line == 0xa5a5a5a5a5a5a5a5ull, "the buffer was written");
	pump_job_put(&j);
	printf("ok %s%s: no line, read without a NULL memcpy\n", strrchr(path, '/') + 1,
	       spread ? " (2 units)" : "");
}

int main(void)
{
	struct pump_config cfg = {.slots = 4, .chunk = 65536, .kernel = CHECK_TEST_KERNEL(),
				  .async = -1};
	const char *base = getenv("VYRE_TEST_TMPDIR");
	struct pump_info pi;
	char devs[600];

	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("VYRE_VALIDATION", "1", 0);
	snprintf(tmpdir, sizeof(tmpdir), "%s/vyre-lines-none-XXXXXX", base ? base : "/var/tmp");
	CHECK(mkdtemp(tmpdir), "mkdtemp %s: %s", tmpdir, strerror(errno));
	atexit(tmpdir_remove);
	check_on_fail(tmpdir_remove);
	check_on_fail(stop);
	char *empty = make("empty", "", 0);
	char *text = make("text", "no match on this line\nnor this one\n", 40000);
	/* 20 chunks of 4K: spans of 2 chunks over two units */
	char *wide = make("spread", "abc def\n", 20 * 4096);

	CHECK(pump_create(&cfg, &p) == 0, "pump_create");
	check_none(false, empty, "zzq", 4096);
	check_none(false, text, "zzq", 4096);
	pump_info(p, &pi);
	pump_destroy(&p);

	snprintf(devs, sizeof(devs), "%s:%s", pi.device, pi.device);
	CHECK(pump_units_create(&cfg, devs, &u) == 0, "pump_units_create %s", devs);
	check_none(true, wide, "zzq", 4096);
	check_none(true, empty, "zzq", 4096);
	pump_units_destroy(&u);
	free(empty);
	free(text);
	free(wide);
	return 0;
}
