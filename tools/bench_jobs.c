// SPDX-License-Identifier: MIT
/*
 * bench_jobs - job latency and small-job rate through a mounted vyrefs,
 * using only its files, as a script would:
 *
 *   bench_jobs latency MOUNT FILE N        p50/p99 of write(ctl) .. end of read(wait)
 *   bench_jobs rate MOUNT FILE N SHELLS    jobs/s from SHELLS processes, N jobs in all
 *
 * latency-ctl and rate-ctl: the same through one open ctl per process and
 * wait=1, the answer (id, then the final status) read back from it: two
 * FUSE requests a job instead of about seven.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static const char *const split_keys[] = {"taken_us", "read_us",	   "published_us", "harvested_us",
					  "fence_us", "fence_done_us", "elapsed_us"};
#define NSPLITS 7
static double splits[NSPLITS];

/* The daemon's own timestamps for the job, from its final status. */
static void parse_splits(const char *status)
{
	for (int k = 0; k < NSPLITS; k++) {
		char key[32];
		snprintf(key, sizeof(key), "\n%s=", split_keys[k]);
		const char *at = strstr(status, key);
		splits[k] = at ? strtod(at + strlen(key), NULL) : 0;
	}
}

/* One job, as "exec 3<>ctl; echo >&3; read id <&3; cat jobs/$id/wait". */
static int one_job(const char *mnt, const char *line)
{
	char path[4096], buf[4096], status[8192];
	size_t have = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/ctl", mnt);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	if (write(fd, line, strlen(line)) < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0) {
		fprintf(stderr, "bench_jobs: submit: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	buf[n] = '\0';
	snprintf(path, sizeof(path), "%s/jobs/%llu/wait", mnt, strtoull(buf, NULL, 10));
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "bench_jobs: %s: %s (the answer was \"%s\")\n", path, strerror(errno),
			buf);
		return -1;
	}
	while ((n = read(fd, status + have, sizeof(status) - 1 - have)) > 0)
		have += (size_t)n;
	close(fd);
	status[have] = '\0';
	parse_splits(status);
	return n < 0 ? -1 : 0;
}

/* One job on an open ctl with wait=1: write, then the answer when it has ended. */
static int one_job_ctl(int fd, const char *line)
{
	char status[8192];
	ssize_t n;

	if (write(fd, line, strlen(line)) < 0 || (n = read(fd, status, sizeof(status) - 1)) <= 0) {
		fprintf(stderr, "bench_jobs: wait=1 submit: %s\n", strerror(errno));
		return -1;
	}
	status[n] = '\0';
	if (!strstr(status, "\nstate=done\n")) {
		fprintf(stderr, "bench_jobs: the job did not end done: %.200s\n", status);
		return -1;
	}
	parse_splits(status);
	return 0;
}

/* A job of the chosen mode; ctl is the process's open ctl (ctl modes). */
static int job(int ctl, const char *mnt, const char *line)
{
	return ctl >= 0 ? one_job_ctl(ctl, line) : one_job(mnt, line);
}

static int open_ctl(const char *mnt, bool ctl_mode)
{
	char path[4096];

	if (!ctl_mode)
		return -1;
	snprintf(path, sizeof(path), "%s/ctl", mnt);
	return open(path, O_RDWR);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	char line[4096];

	if (argc < 5) {
		fprintf(stderr, "usage: %s latency|latency-ctl MOUNT FILE N | "
				"rate|rate-ctl MOUNT FILE N SHELLS\n",
			argv[0]);
		return 2;
	}
	const char *mnt = argv[2];
	int n = atoi(argv[4]);
	bool ctl_mode = strstr(argv[1], "-ctl") != NULL;
	snprintf(line, sizeof(line), "scan path=%s op=count%s\n", argv[3], ctl_mode ? " wait=1" : "");
	if (!strncmp(argv[1], "latency", 7)) {
		int ctl = open_ctl(mnt, ctl_mode);
		if (ctl_mode && ctl < 0) {
			fprintf(stderr, "bench_jobs: %s/ctl: %s\n", mnt, strerror(errno));
			return 1;
		}
		double *t = calloc((size_t)n, sizeof(*t));
		double *sp[NSPLITS];
		for (int k = 0; k < NSPLITS; k++)
			sp[k] = calloc((size_t)n, sizeof(double));
		for (int i = 0; i < 10; i++) /* warm the path */
			job(ctl, mnt, line);
		for (int i = 0; i < n; i++) {
			double t0 = now_us();
			if (job(ctl, mnt, line))
				return 1;
			t[i] = now_us() - t0;
			for (int k = 0; k < NSPLITS; k++)
				sp[k][i] = splits[k];
		}
		qsort(t, (size_t)n, sizeof(*t), cmp);
		printf("%.1f %.1f\n", t[n / 2], t[(n * 99) / 100]);
		/* stderr: the daemon's split of the median job, from submit */
		fprintf(stderr, "p50 from submit (daemon clock, us):");
		for (int k = 0; k < NSPLITS; k++) {
			qsort(sp[k], (size_t)n, sizeof(double), cmp);
			fprintf(stderr, " %s=%.0f", split_keys[k], sp[k][n / 2]);
		}
		fprintf(stderr, "\n");
		return 0;
	}
	int shells = argc > 5 ? atoi(argv[5]) : 1;
	double t0 = now_us();
	for (int s = 0; s < shells; s++) {
		if (fork() == 0) {
			int ctl = open_ctl(mnt, ctl_mode);
			if (ctl_mode && ctl < 0)
				_exit(1);
			for (int i = s; i < n; i += shells)
				if (job(ctl, mnt, line))
					_exit(1);
			_exit(0);
		}
	}
	int bad = 0, st;
	while (wait(&st) > 0)
		bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	printf("%.0f\n", n / ((now_us() - t0) / 1e6));
	return bad;
}
