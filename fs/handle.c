// SPDX-License-Identifier: MIT
/*
 * handle.c - one open file of the tree and its rendered contents.
 *
 * Dynamic files are rendered into a per-open buffer when opened (wait:
 * when the job has ended) and served with direct_io, like /proc's seq
 * files: a cat sees one consistent snapshot. An ended job's big files are
 * rendered once and shared by the opens that hold them.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "files.h"
#include "latency.h"

/*
 * A job not started yet (grep: its patterns compiling on a worker, or
 * failed to compile) renders from its placeholder pump job: a view of j's
 * fixed fields with pj = hold. pj and many are read only once
 * fs_job_started has seen the worker's release.
 */
static struct fs_job *fs_job_view(struct fs_job *j, struct fs_job *view)
{
	*view = (struct fs_job){.fs = j->fs, .user = j->user, .id = j->id, .uid = j->uid,
				.gid = j->gid, .kind = &fs_job_one, .pj = j->hold, .op = j->op, .path = j->path,
				.descriptor = j->descriptor, .offset = j->offset,
				.created = j->created};
	memcpy(view->tenant, j->tenant, sizeof(view->tenant));
	return view;
}

/* Replaces status's error= line with why, single-quoted as render.c quotes. */
static int fs_status_error(struct fs_buf *b, const char *why)
{
	struct fs_buf nb = {0};
	char *at = b->len ? memmem(b->data, b->len, "\nerror=", 7) : NULL;
	char *eol = at ? memchr(at + 1, '\n', b->len - (size_t)(at + 1 - b->data)) : NULL;
	int ret;

	if (!eol)
		return 0;
	ret = fs_buf_printf(&nb, "%.*serror='", (int)(at + 1 - b->data), b->data);
	for (const unsigned char *c = (const unsigned char *)why; *c && !ret; c++) {
		if (*c == '\'')
			ret = fs_buf_printf(&nb, "'\\''");
		else /* a control byte would end the line: the pattern is in descriptor */
			ret = fs_buf_printf(&nb, "%c", *c < 0x20 || *c == 0x7f ? '?' : *c);
	}
	if (!ret)
		ret = fs_buf_printf(&nb, "'%.*s", (int)(b->len - (size_t)(eol - b->data)), eol);
	if (ret) {
		fs_buf_free(&nb);
		return ret;
	}
	fs_buf_free(b);
	*b = nb;
	return 0;
}

int fs_render_status(struct fs_job *j, struct fs_buf *b)
{
	int stage = atomic_load_explicit(&j->stage, memory_order_acquire);
	struct fs_job view;
	int ret;

	if (stage == FS_STAGE_STARTED)
		return render_job_status(j, b);
	ret = render_job_status(fs_job_view(j, &view), b);
	return ret || stage != FS_STAGE_FAILED ? ret : fs_status_error(b, j->prep_error);
}

int fs_render(struct fs *fs, struct fs_handle *h)
{
	struct fs_job view, *j = h->job;

	if (j && h->node != N_JSTATUS && h->node != N_JWAIT && !fs_job_started(j))
		j = fs_job_view(j, &view);
	switch (h->node) {
	case N_README:
		return render_readme(&h->buf);
	case N_STATUS:
		return render_status(fs, &h->buf);
	case N_STATUS_JSON:
		return render_status_json(fs, &h->buf);
	case N_EPOCH: {
		struct pump_info in;
		pump_units_info(fs->units, &in, NULL);
		return fs_buf_printf(&h->buf, "%u\n", in.epoch);
	}
	case N_OPS:
		return render_ops(&h->buf);
	case N_METRICS:
		return render_metrics(fs, &h->buf);
	case N_METRICS_PROM:
		return render_metrics_prom(fs, &h->buf);
	case N_JDESC:
		return fs_buf_printf(&h->buf, "%s\n", j->descriptor);
	case N_JSTATUS:
	case N_JWAIT:
		return fs_render_status(j, &h->buf);
	case N_JSTATUS_JSON: /* the job itself: it renders a compiling one (render.c) */
		return render_job_status_json(h->job, &h->buf);
	case N_JFAILED:
		return j->kind->failed(j, &h->buf);
	case N_JRESULT:
		return j->kind->result(j, &h->buf);
	case N_JLINES:
		return j->kind->lines(j, &h->buf);
	case N_JFILES:
		return j->kind->files(j, &h->buf);
	case N_JTRACE:
		return fs_trace_render(j, &h->buf);
	case N_JPATTERNS:
		return j->kind->patterns ? j->kind->patterns(j, &h->buf) : 0;
	case N_DEBUG:
		return fs_debug_render(fs, &h->buf);
	default:
		return 0;
	}
}

static bool fs_node_shared(enum fs_node n)
{
	return n == N_JFAILED || n == N_JLINES || n == N_JFILES || n == N_JRESULT;
}

/* Lets go of h's rendered contents and their count. */
void fs_render_release(struct fs *fs, struct fs_handle *h)
{
	struct fs_render *r = h->shared;

	pthread_mutex_lock(&fs->lock);
	fs->render_bytes -= h->counted;
	h->counted = 0;
	if (r && --r->refs == 0) {
		h->job->renders[h->node - N_JOB] = NULL;
		fs->render_bytes -= r->buf.cap;
	} else {
		r = NULL;
	}
	pthread_mutex_unlock(&fs->lock);
	h->shared = NULL;
	if (r) {
		fs_buf_free(&r->buf);
		free(r);
	}
}

/* Counts bytes against FS_RENDER_BYTES_MAX (fs->lock held): -ENOMEM past it. */
static int fs_render_charge_locked(struct fs *fs, size_t bytes)
{
	if (fs->render_bytes + bytes > FS_RENDER_BYTES_MAX)
		return -ENOMEM;
	fs->render_bytes += bytes;
	return 0;
}

/*
 * Renders h at its open: an ended job's big file is shared with the opens
 * that hold it already; anything else is h's own. Both count against
 * FS_RENDER_BYTES_MAX.
 */
int fs_render_open(struct fs *fs, struct fs_handle *h)
{
	struct fs_job *j = h->job;
	struct fs_render *r = NULL;
	struct fs_buf b = {0};
	bool share;
	int ret;

	pthread_mutex_lock(&fs->lock);
	share = j && fs_node_shared(h->node) && j->ended;
	if (share && (r = j->renders[h->node - N_JOB]))
		r->refs++;
	pthread_mutex_unlock(&fs->lock);
	if (r) {
		h->shared = r;
		return 0;
	}
	ret = fs_render(fs, h); /* into h->buf, no lock held: it may be long */
	if (ret)
		return ret;
	if (share) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return -ENOMEM;
	}
	pthread_mutex_lock(&fs->lock);
	if (share && j->renders[h->node - N_JOB]) { /* another open rendered it meanwhile */
		h->shared = j->renders[h->node - N_JOB];
		h->shared->refs++;
		b = h->buf;
		h->buf = (struct fs_buf){0};
	} else {
		ret = fs_render_charge_locked(fs, h->buf.cap);
		if (!ret && share) {
			r->refs = 1;
			r->buf = h->buf;
			h->buf = (struct fs_buf){0};
			j->renders[h->node - N_JOB] = r;
			h->shared = r;
			r = NULL;
		} else if (!ret) {
			h->counted = h->buf.cap;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	free(r);
	fs_buf_free(&b);
	if (ret)
		vlog_err("files: %zu MiB of open files' contents already: an open of a %zu KiB "
			 "file fails ENOMEM", (size_t)(FS_RENDER_BYTES_MAX >> 20), h->buf.cap >> 10);
	return ret;
}

void fs_handle_link(struct fs *fs, struct fs_handle *h)
{
	pthread_mutex_lock(&fs->lock);
	h->hnext = fs->handles;
	if (h->hnext)
		h->hnext->hprev = h;
	fs->handles = h;
	pthread_mutex_unlock(&fs->lock);
}

void fs_handle_unlink(struct fs *fs, struct fs_handle *h)
{
	pthread_mutex_lock(&fs->lock);
	*(h->hprev ? &h->hprev->hnext : &fs->handles) = h->hnext;
	if (h->hnext)
		h->hnext->hprev = h->hprev;
	h->hprev = h->hnext = NULL;
	pthread_mutex_unlock(&fs->lock);
}

void fs_handle_free(struct fs_handle *h)
{
	fs_job_put(&h->job);
	fs_buf_free(&h->buf);
	pthread_mutex_destroy(&h->lock);
	free(h);
}


/* Replies with what buf holds from off (ctl: from its own read position). */
void fs_reply_slice(fuse_req_t req, struct fs_handle *h, size_t size, off_t off)
{
	const struct fs_buf *b = h->shared ? &h->shared->buf : &h->buf;
	size_t n = 0;

	if (h->node == N_CTL || h->node == N_JCTL) {
		/*
		 * Read-after-write on one open ctl ("exec 3<>ctl"): the file
		 * position is past what was written, so the answer is read from
		 * its own position, reset by each write.
		 */
		off = (off_t)h->rpos;
	}
	if (off >= 0 && (size_t)off < b->len) {
		n = b->len - (size_t)off;
		if (n > size)
			n = size;
		h->rpos = (size_t)off + n;
	}
	fuse_reply_buf(req, n ? b->data + off : NULL, n);
}

