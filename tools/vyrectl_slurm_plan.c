// SPDX-License-Identifier: MIT
/*
 * vyrectl_slurm_plan.c - How --slurm cuts work into shards: the shard
 * size, and where a file's byte ranges begin.
 *
 * Counts and byte histograms add over any cut. grep's selected lines do
 * too, once every cut falls at a line start: a range job counts its first
 * byte as a line start (ARCHITECTURE.md "Many hosts (Slurm)"), numbers
 * its lines from 1 and gives file offsets; a range that ends right after
 * a '\n' owns exactly the lines that start in it, and no line crosses
 * into the next range. So each cut is moved forward to just past the
 * first '\n' at or after it, found here with pread on the shared file:
 * one short read a cut, as grep's own ranges (pump/group.c's whole_start
 * and whole_end) cannot be asked for through a descriptor.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vyrectl_slurm.h"

#define SLURM_CUT_STEP (64 << 10) /* pread size while looking for a cut's '\n' */

/* "1G", "64K", "4096", "0x1000": as descriptors take sizes (README.md "Job descriptors"). */
int slurm_size_parse(const char *s, uint64_t *v)
{
	unsigned long long n;
	unsigned int shift = 0;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	else if (*end)
		return -EINVAL;
	if (shift && end[1])
		return -EINVAL;
	if (n > (UINT64_MAX >> shift))
		return -ERANGE;
	*v = (uint64_t)n << shift;
	return 0;
}

/*
 * Bytes a task scans: VYRECTL_SLURM_SHARD (default 4G), grown until the
 * work fits in SLURM_TASKS_MAX tasks. 4G is 0.1-0.4 s of a GPU's scan at
 * BENCHMARKS.md's 11-36 GB/s and 1-4 s of a shared filesystem's 1-5 GB/s
 * a client, against 0.2-0.3 s from a task's launch to its end for a
 * shard of a few bytes (slurmd's log, tests/bats/slurm.bats' cluster).
 */
uint64_t slurm_shard_size(uint64_t total)
{
	uint64_t s = SLURM_SHARD_DEFAULT;
	const char *env = getenv("VYRECTL_SLURM_SHARD");

	if (env && slurm_size_parse(env, &s) == 0 && s == 0)
		s = SLURM_SHARD_DEFAULT;
	if (total / s >= SLURM_TASKS_MAX)
		s = total / (SLURM_TASKS_MAX - 1) + 1;
	return s;
}

/* The first '\n' at or after `from`, before `limit`; limit when there is none. */
static int newline_after(int fd, uint64_t from, uint64_t limit, uint64_t *at)
{
	char buf[SLURM_CUT_STEP];

	while (from < limit) {
		size_t want = limit - from < sizeof(buf) ? (size_t)(limit - from) : sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)from);
		char *nl;

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		nl = memchr(buf, '\n', (size_t)n);
		if (nl) {
			*at = from + (uint64_t)(nl - buf);
			return 0;
		}
		from += (uint64_t)n;
	}
	*at = limit;
	return 0;
}

/*
 * The cuts of [start, end) into ranges of about `shard` bytes: *cuts gets
 * start, the cut points, and end (n = ranges + 1), in increasing order.
 * With at_lines each inner cut sits just past a '\n'; a stretch with no
 * '\n' up to the next nominal cut merges the two ranges (one long line is
 * one task's).
 */
int slurm_cuts(int fd, uint64_t start, uint64_t end, uint64_t shard, bool at_lines, uint64_t **cuts,
	       size_t *n)
{
	uint64_t *c, ranges = end > start ? (end - start + shard - 1) / shard : 1;
	size_t k = 0;
	int ret = 0;

	c = calloc((size_t)ranges + 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c[k++] = start;
	for (uint64_t i = 1; i < ranges && !ret; i++) {
		uint64_t cut = start + i * shard, nl;

		if (at_lines) {
			/* from cut - 1: a '\n' right before the nominal cut leaves it there */
			ret = newline_after(fd, cut - 1, end, &nl);
			if (ret)
				break;
			cut = nl + 1;
		}
		if (cut >= end || cut <= c[k - 1])
			continue;
		c[k++] = cut;
	}
	if (ret) {
		free(c);
		return ret;
	}
	c[k++] = end;
	*cuts = c;
	*n = k;
	return 0;
}

/* "shard 3 (what), on node n1: ..." said once for a shard that did not come back whole. */
int slurm_shard_say(const struct slurm_run *r, size_t k, const struct slurm_part *p,
		    const char *what)
{
	if (!p->present) {
		fprintf(stderr,
			"vyrectl: shard %zu (%s): its Slurm task ended without a result twice "
			"(job %s; see %s/task.*.%zu.log)\n",
			k, what, r->jobid, r->dir, k);
		return -EIO;
	}
	if (p->error[0]) {
		fprintf(stderr, "vyrectl: shard %zu (%s): %s\n", k, what, p->error);
		return -EIO;
	}
	return 0;
}
