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

int fs_submit_line(struct fs *fs, fuse_req_t req, const char *line, size_t len, uint64_t *id,
		   char *err, size_t errlen)
{
	const struct fuse_ctx *fc = fuse_req_ctx(req);
	struct fs_caller caller = {.uid = fc->uid, .gid = fc->gid, .pid = fc->pid, .req = req};
	const struct fs_caller *ctx = &caller;
	struct desc d;
	struct fs_job *j;
	struct fs_user *user;
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
	ret = fs_jobs_reserve(fs, ctx->uid, &user, err, errlen);
	if (ret)
		return ret;
	ret = cred_open(fs, ctx, d.path, &fd, err, errlen);
	if (ret)
		goto out_unreserve;
	j = calloc(1, sizeof(*j));
	if (!j) {
		ret = -ENOMEM;
		goto out_close;
	}
	atomic_init(&j->refs, 1);
	j->fs = fs;
	j->user = user;
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
		ret = fs_grep_prepare(fs, ctx, &d, &grep, err, errlen);
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
		.owner = (uint32_t)ctx->uid,
		.priority = d.priority,
		.on_end = fs_job_ended,
		.on_end_arg = j,
		.dfa = grep.ready ? &grep.view : NULL,
		.grep = (d.invert ? PUMP_GREP_INVERT : 0) | (d.lines ? PUMP_GREP_LINES : 0),
		.max = d.max,
	};
	if (grep.ready) /* the ERE is in the DFA: the pump takes no pattern */
		scan.pattern_len = 0;
	fs_job_get(j); /* the pump's, dropped by fs_job_ended */
	ret = pump_submit(fs->pump, &scan, &j->pj);
	fs_grep_release(&grep);
	if (ret) {
		atomic_fetch_sub_explicit(&j->refs, 1, memory_order_relaxed); /* not the pump's */
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
	/* the pump owns fd now, and the reservation: fs_job_ended returns it */
	*id = fs_jobs_add(fs, j); /* the table takes the creator's reference */
	return 0;
out_free:
	fs_job_put(&j);
out_close:
	if (fd >= 0)
		close(fd);
out_unreserve:
	fs_jobs_unreserve(fs, user);
	return ret;
}
