// SPDX-License-Identifier: MIT
/*
 * pfiles.c - a packed job's files (pack.c packs them into slots): the
 * plan made at submit (which files share which chunk, each 16-aligned in
 * the slot's region), the per-file results harvest hands out, and the
 * fds closed at the end. Data only: no slot, no read, no ring publish.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pump_priv.h"

#define PACK_TABLE_BYTES ((uint32_t)VYRE_PACK_TABLE_BYTES) /* pairs, then places */
_Static_assert(VYRE_PACK_FILES_MAX % VYRE_PACK_FILES_PER_TILE == 0, "whole tiles of files");

/* The op table's VYRE_OPF_PACKS column (vyre_ops.h). */
#define PACK_FLAGS_CASE(name, NAME, code, opclass, flags)                                          \
	case VYRE_OP_##NAME:                                                                       \
		return (flags) & VYRE_OPF_PACKS;

static uint32_t pack_op_flag(uint32_t code)
{
	switch (code) {
		VYRE_OPS(PACK_FLAGS_CASE)
	}
	return 0;
}

bool pump_op_packs(const struct pump_op *op)
{
	return op && pack_op_flag(op->code);
}

uint32_t pump_pack_file_max(uint32_t chunk)
{
	uint32_t room = chunk > PACK_TABLE_BYTES ? chunk - PACK_TABLE_BYTES : 0;

	return room < PUMP_PACK_FILE_MAX ? room : PUMP_PACK_FILE_MAX;
}

/*
 * Each file's identity, as a one-file job's (job.c): taken after the size
 * fs/ planned it with, so a file that changed between the two has another
 * size and is not cached. On the submitter's thread; a statx and an ioctl
 * a file (the filesystem's verdict is asked once a device).
 */
static void pack_idents(struct pump_job *j)
{
	struct cache_fs_memo memo = {0};

	if (!j->cached)
		return;
	for (uint32_t i = 0; i < j->npfiles; i++) {
		struct pump_pfile *f = &j->pfiles[i];
		f->cid_ok = cache_ident_of_memo(f->fd, &f->cid, &memo) == 0 && f->cid.size == f->size;
	}
}

int pack_plan(struct pump_job *j, const struct pump_scan *scan)
{
	uint32_t cap = j->chunk - PACK_TABLE_BYTES, off = 0, cnt = 0, chunk = 0;
	uint32_t n = scan->nfiles;

	if (!pump_op_packs(j->op) || j->direct || !scan->files || n > PUMP_PACK_JOB_MAX ||
	    j->chunk <= PACK_TABLE_BYTES)
		return -EINVAL;
	j->pfiles = calloc(n, sizeof(*j->pfiles));
	j->pack_first = calloc((size_t)n + 1, sizeof(*j->pack_first));
	if (!j->pfiles || !j->pack_first)
		return -ENOMEM;
	j->length = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t size = scan->files[i].size;
		if (size > pump_pack_file_max(j->chunk) || scan->files[i].fd < 0)
			return -EINVAL;
		j->pfiles[i].cache_ent = CACHE_NONE;
		if (cnt && (off + pack_round(size) > cap || cnt == VYRE_PACK_FILES_MAX)) {
			j->pack_first[++chunk] = i;
			off = 0;
			cnt = 0;
		}
		j->pfiles[i].fd = scan->files[i].fd;
		j->pfiles[i].size = size;
		j->pfiles[i].off = off;
		off += pack_round(size);
		cnt++;
		j->length += size;
	}
	j->npfiles = n;
	pack_idents(j);
	j->chunks = n ? chunk + 1 : 0;
	j->pack_first[j->chunks] = n;
	j->end = j->length;
	j->scan_end = j->end;
	return 0;
}

/* The job's files give their fds back to the caller (a failed submit). */
void pack_forget(struct pump_job *j)
{
	free(j->pfiles);
	free(j->pack_first);
	free(j->pack_redo);
	j->pfiles = NULL;
	j->pack_first = NULL;
	j->pack_redo = NULL;
	j->npack_redo = 0;
	j->npfiles = 0;
}

void pack_close(struct pump_job *j)
{
	for (uint32_t i = 0; i < j->npfiles; i++) {
		if (j->pfiles[i].fd >= 0)
			close(j->pfiles[i].fd);
		j->pfiles[i].fd = -1;
	}
}

/* p->lock held, from harvest: each file of the slot takes its tile's result. */
void pack_harvest_locked(struct pump_job *j, const struct pump_slot *s, const struct ring_done *d)
{
	uint32_t first = j->pack_first[s->index], last = j->pack_first[s->index + 1];
	uint32_t vals[VYRE_PACK_FILES_MAX];
	int err = 0;

	/* each count beside the slot's sequence: a late store spins here, a lost one fails EIO */
	if (d->status == VYRE_SLOT_DONE && ring_done_packed(d, last - first, vals)) {
		vlog_err("pack: slot %u: the GPU's per-file counts never showed the slot's sequence "
			 "(%llu ms); its %u files fail", d->slot, RING_TAGGED_WAIT_NS / 1000000,
			 last - first);
		err = EIO;
	}
	for (uint32_t i = first; i < last; i++) {
		struct pump_pfile *f = &j->pfiles[i];
		if (f->err)
			continue;
		if (d->status == VYRE_SLOT_DONE && !err) {
			f->result = vals[i - first];
			f->scanned = true;
		} else
			f->err = err ? err : d->error == VYRE_ERR_MASKED ? ECANCELED : pump_done_err(d);
	}
}

/* The files of packed chunk index that slot read from the cache let their cache slots go. */
void pack_cache_unpin(struct pump *p, struct pump_job *j, uint32_t slot, uint64_t index)
{
	uint32_t first = j->pack_first[index], last = j->pack_first[index + 1];

	for (uint32_t i = first; i < last; i++) {
		struct pump_pfile *f = &j->pfiles[i];
		if (f->cache_ent == CACHE_NONE || f->pin_slot != slot + 1)
			continue;
		cache_unpin(p->cache, f->cache_ent);
		f->cache_ent = CACHE_NONE;
		f->pin_slot = 0;
	}
}

/*
 * A packed slot that copied its files read from disk into cache entry ent
 * is harvested (done: every tile ran): each such file read whole whose
 * identity is still the one taken at submit is the entry's (the bytes were
 * read between two equal observations: cache.c), then the entry is
 * committed. Files read from the cache, failed or short are not in it.
 */
void pack_cache_commit(struct pump *p, const struct pump_slot *s, uint32_t ent, bool done)
{
	struct pump_job *j = s->job;
	uint32_t first = j->pack_first[s->index], last = j->pack_first[s->index + 1];

	for (uint32_t i = first; done && i < last; i++) {
		struct pump_pfile *f = &j->pfiles[i];
		if (f->cid_ok && f->cache_ent == CACHE_NONE && !f->err && f->got == f->size &&
		    f->size && cache_ident_same(f->fd, &f->cid))
			cache_pack_add(p->cache, ent, &f->cid, f->off);
	}
	cache_commit(p->cache, ent, done ? 0 : -EIO);
}

size_t pump_job_files(struct pump_job *j, struct pump_file_result *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&j->p->lock);
	n = j->npfiles;
	for (size_t i = 0; out && i < n && i < max; i++) {
		const struct pump_pfile *f = &j->pfiles[i];
		out[i] = (struct pump_file_result){.result = f->result, .bytes = f->got,
						   .err = f->err, .end_ok = f->end_ok,
						   .end_nlink = f->end_nlink, .end_size = f->end_size,
						   .end_mtime_sec = f->end_mtime_sec,
						   .end_mtime_nsec = f->end_mtime_nsec};
		/* cancelled (or its job ended) before its slot came: never scanned */
		if (!f->err && !f->scanned)
			out[i].err = j->cancel ? ECANCELED : EIO;
	}
	pthread_mutex_unlock(&j->p->lock);
	return n;
}

size_t pump_job_file_lines(struct pump_job *j, size_t file, struct pump_line *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&j->p->lock);
	if (file < j->npfiles && j->op && j->op->file_lines)
		n = j->op->file_lines(j, file, out, max);
	pthread_mutex_unlock(&j->p->lock);
	return n;
}

size_t pump_job_file_patterns(struct pump_job *j, size_t file, uint64_t *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&j->p->lock);
	if (file < j->npfiles && j->op && j->op->file_patterns)
		n = j->op->file_patterns(j, file, out, max);
	pthread_mutex_unlock(&j->p->lock);
	return n;
}
