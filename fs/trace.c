// SPDX-License-Identifier: MIT
/*
 * trace.c - jobs/N/trace (README.md "Traces and replay"): the file's
 * header (format version, job, descriptor) above the pump's records
 * (pump/trace.c), and a replay= trace read as the caller into the slots
 * the pump runs again. The record format is the pump's alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

#define FS_TRACE_FILE_MAX (64u << 20) /* a replay= trace: 16384 records fit many times */

int fs_trace_render(struct fs_job *j, struct fs_buf *b)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	/* a many-file job keeps no trace: trace=1 is refused for one */
	if (!j->pj)
		return -ENODATA;
	ret = pump_job_trace(j->pj, &text, &len);
	if (ret)
		return ret;
	ret = fs_buf_printf(b, "vyrefs-trace %d\njob %llu\ndescriptor %s\n", PUMP_TRACE_VERSION,
			    (unsigned long long)j->id, j->descriptor);
	if (!ret)
		ret = fs_buf_put(b, text, len);
	free(text);
	return ret;
}

/* The top-level debug file: the units' debug records (pump_units_debug). */
int fs_debug_render(struct fs *fs, struct fs_buf *b)
{
	char *text = NULL;
	size_t len = 0;
	int ret = pump_units_debug(fs->units, &text, &len);

	if (!ret)
		ret = fs_buf_put(b, text, len);
	free(text);
	return ret;
}

/* The trace file's text, read as the caller; err says what to fix. */
static int fs_trace_read(const struct fs *fs, const struct fs_caller *ctx, const char *path,
			 char **out, size_t *outlen, char *err, size_t errlen)
{
	char ignored[256];
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd, ret;

	ret = cred_open(fs, ctx, path, &fd, ignored, sizeof(ignored));
	if (ret) {
		snprintf(err, errlen,
			 "replay=%s: %s (name a trace you can read, e.g. a copy of "
			 "jobs/N/trace)",
			 path, strerror(-ret));
		return ret;
	}
	ret = -EINVAL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "replay=%s: not a regular file", path);
		goto out_close;
	}
	ret = -E2BIG;
	if ((uint64_t)st.st_size > FS_TRACE_FILE_MAX) {
		snprintf(err, errlen, "replay=%s: over the %u MiB limit (is it a trace?)", path,
			 FS_TRACE_FILE_MAX >> 20);
		goto out_close;
	}
	ret = -ENOMEM;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto out_close;
	ret = 0;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (ret) {
		snprintf(err, errlen, "replay=%s: %s", path, strerror(-ret));
		free(buf);
		goto out_close;
	}
	*out = buf;
	*outlen = len;
out_close:
	close(fd);
	return ret;
}

/*
 * A trace's words go to the GPU as written, checked for bounds but not for
 * sense: a crafted one could fault or stall the device every user's jobs
 * share, so replaying is root's. Checked before anything is opened.
 */
int fs_trace_may_replay(const struct fs_caller *ctx, const char *path, char *err, size_t errlen)
{
	if (ctx->uid == 0)
		return 0;
	snprintf(err, errlen,
		 "replay=%s: only root may replay a trace (run vyrectl replay as "
		 "root)",
		 path);
	return -EPERM;
}

int fs_trace_load(const struct fs *fs, const struct fs_caller *ctx, const char *path,
		  struct pump_replay_slot **out, uint32_t *n, char *err, size_t errlen)
{
	char perr[256];
	char *text;
	size_t len;
	int ret;

	ret = fs_trace_read(fs, ctx, path, &text, &len, err, errlen);
	if (ret)
		return ret;
	if (len < 13 || strncmp(text, "vyrefs-trace ", 13) ||
	    atoi(text + 13) != PUMP_TRACE_VERSION) {
		snprintf(err, errlen,
			 "replay=%s: not a version %d trace (its first line must be "
			 "'vyrefs-trace %d')",
			 path, PUMP_TRACE_VERSION, PUMP_TRACE_VERSION);
		free(text);
		return -EINVAL;
	}
	ret = pump_trace_parse(text, len, out, n, perr, sizeof(perr));
	if (ret == -EINVAL)
		snprintf(err, errlen, "replay=%s: %s", path, perr);
	free(text);
	return ret;
}
