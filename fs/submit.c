// SPDX-License-Identifier: MIT
/*
 * submit.c - one descriptor line becomes one job: parse, open the target
 * as the caller, hand it to the pump, enter it in the job table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

/* 8388608 -> "8M": chunks are powers of two, so this is how they are written. */
static void fs_size_name(uint64_t v, char *buf, size_t len)
{
	if (v && !(v & ((1ull << 30) - 1)))
		snprintf(buf, len, "%lluG", (unsigned long long)(v >> 30));
	else if (v && !(v & ((1ull << 20) - 1)))
		snprintf(buf, len, "%lluM", (unsigned long long)(v >> 20));
	else if (v && !(v & ((1ull << 10) - 1)))
		snprintf(buf, len, "%lluK", (unsigned long long)(v >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

int fs_submit_line(struct fs *fs, const char *line, size_t len, uint64_t *id, char *err,
		   size_t errlen)
{
	struct fuse_context *ctx = fuse_get_context();
	struct desc d;
	struct fs_job *j;
	char norm[2 * DESC_LINE_MAX];
	int fd = -1, ret;

	ret = desc_parse(line, len, &d, err, errlen);
	if (ret)
		return ret;
	if (d.chunk > fs->chunk) {
		char want[16], have[16];
		fs_size_name(d.chunk, want, sizeof(want));
		fs_size_name(fs->chunk, have, sizeof(have));
		snprintf(err, errlen, "chunk=%s: larger than this mount's arena chunk %s (try "
			 "chunk=%s, or mount with -o chunk=%s)", want, have, have, want);
		return -EINVAL;
	}
	if (d.direct == 1 && (d.offset & 4095)) {
		snprintf(err, errlen, "offset=%llu: direct=1 needs a multiple of 4096 (try "
			 "offset=%llu)", (unsigned long long)d.offset,
			 (unsigned long long)(d.offset & ~4095ull));
		return -EINVAL;
	}
	ret = cred_open(ctx, d.path, &fd, err, errlen);
	if (ret)
		return ret;
	j = calloc(1, sizeof(*j));
	if (!j) {
		ret = -ENOMEM;
		goto out_close;
	}
	atomic_init(&j->refs, 1);
	j->uid = ctx->uid;
	j->gid = ctx->gid;
	j->op = d.op;
	j->offset = d.offset;
	j->created = time(NULL);
	if (d.tenant[0])
		snprintf(j->tenant, sizeof(j->tenant), "%s", d.tenant);
	else
		snprintf(j->tenant, sizeof(j->tenant), "%u", (unsigned)ctx->uid);
	if (desc_format(&d, norm, sizeof(norm)) < 0)
		snprintf(norm, sizeof(norm), "scan path=? op=%s", d.op->name);
	j->path = strdup(d.path);
	j->descriptor = strdup(norm);
	if (!j->path || !j->descriptor) {
		ret = -ENOMEM;
		goto out_free;
	}
	struct fs_grep grep = {0};
	if (d.op->args & PUMP_OP_ARG_GREP) {
		ret = fs_grep_prepare(ctx, &d, &grep, err, errlen);
		if (ret)
			goto out_free;
	}
	struct pump_scan scan = {
		.fd = fd,
		.op = d.op,
		.byte = d.byte,
		.pattern = d.pattern,
		.pattern_len = d.pattern_len,
		.offset = d.offset,
		.length = d.length,
		.chunk = d.chunk,
		.direct = d.direct,
		.dfa = grep.ready ? &grep.view : NULL,
		.grep = (d.invert ? PUMP_GREP_INVERT : 0) | (d.lines ? PUMP_GREP_LINES : 0),
		.max = d.max,
	};
	if (grep.ready) /* the ERE is in the DFA: the pump takes no pattern */
		scan.pattern_len = 0;
	ret = pump_submit(fs->pump, &scan, &j->pj);
	fs_grep_release(&grep);
	if (ret) {
		if (ret == -EOPNOTSUPP) {
			snprintf(err, errlen, "direct=1: O_DIRECT reads cannot land in this mount's "
				 "GPU (BAR) arena; mount with -o kernel=relaunch (or direct=1) for "
				 "direct reads, or use direct=0");
			ret = -EINVAL;
		} else if (ret == -EINVAL && d.direct == 1)
			snprintf(err, errlen, "direct=1: %s does not support O_DIRECT (try direct=0)",
				 d.path);
		else
			snprintf(err, errlen, "the scan could not start: %s", strerror(-ret));
		goto out_free;
	}
	fd = -1; /* the pump owns it now */
	ret = fs_jobs_add(fs, j);
	if (ret) {
		pump_job_cancel(j->pj);
		snprintf(err, errlen, "the job table is full (rmdir finished jobs)");
		fs_job_put(&j);
		return -EAGAIN;
	}
	*id = j->id;
	return 0;
out_free:
	fs_job_put(&j);
out_close:
	if (fd >= 0)
		close(fd);
	return ret;
}
