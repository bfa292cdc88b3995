// SPDX-License-Identifier: MIT
/*
 * start.c - a job's scan, built from its descriptor, handed to its kind
 * (one.c: the pump; many.c: a walker). Called by submit.c on the FUSE
 * thread for every op but grep, by a compile worker (grep.c) for grep, so
 * it sits below both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

/*
 * The job's scan goes to the pump, or to a walker for many files. Takes
 * fd, rootfd and listfd whatever it returns; on error err says why and j
 * is the caller's to free (fs_many_start's m, holding the fds, with it).
 * The FUSE thread calls it for every op but grep, a compile worker (grep.c)
 * for grep once the patterns are compiled.
 */
int fs_submit_start(struct fs *fs, struct fs_job *j, struct fs_caller *ctx, const struct desc *d,
		    struct fs_grep *grep, int fd, int rootfd, int listfd, const struct stat *st,
		    char *err, size_t errlen)
{
	struct pump_scan scan = {
		.fd = fd,
		.op = d->op,
		.offset = d->offset,
		.length = d->length,
		.chunk = d->chunk,
		.direct = d->direct,
		.owner = (uint32_t)ctx->uid,
		.priority = d->priority,
		.on_end = fs_job_ended,
		.on_end_arg = j,
		.trace = d->trace || j->nreplay,
		.replay = j->replay,
		.nreplay = j->nreplay,
	};

	fs_scan_args(d, grep, &scan); /* grep's ERE is in its compiled patterns */
	return j->kind->start(fs, j, ctx, d, grep, &scan, fd, rootfd, listfd, st, err, errlen);
}
