// SPDX-License-Identifier: MIT
/*
 * Packed jobs (pack.c: many small files, several to a slot): counted per
 * file in one pass, with per_pattern=1 each file's sets walked into its
 * own counts (grep_packed_pcount), with lines=1 each file's line records
 * (grep_packed_flines); a file whose lines a lane's budget did not
 * finish, or whose sets or records passed its share of the slot's
 * records, is scanned again alone (grep_child_*).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "grep_priv.h"

/*
 * A lane of a packed tile runs lines of one file only (GREP_PACK_LANES
 * lanes a file), so a budget of more steps than a packed file's bytes is
 * never spent: on a GPU no file comes back VYRE_PACK_OVER, and the job's
 * fence goes out beside its slots as count's does instead of after their
 * harvest (a launch less for each pack: 4 packs of a tree job are in
 * flight at most, so their latency is the tree's rate). per_pattern=1's
 * sets may pass a file's share of the records on any device.
 */
bool grep_pack_may_over(const struct grep_job *gj)
{
	return (1ull << gj->pack_budget) <= PUMP_PACK_FILE_MAX ||
	       (gj->flags & (PUMP_GREP_PSET | PUMP_GREP_LINES));
}

/* p->lock held: file's records from its child (lines takes v), or -ENOMEM */
static int grep_flines_take(struct pump_job *j, uint32_t file, struct pump_line *v, size_t n)
{
	struct grep_job *gj = j->opstate;

	if (!gj->flines)
		gj->flines = calloc(j->npfiles ? j->npfiles : 1, sizeof(*gj->flines));
	if (!gj->flines || file >= j->npfiles) {
		free(v);
		return gj->flines ? -EINVAL : -ENOMEM;
	}
	free(gj->flines[file].v);
	gj->flines[file] = (struct grep_flines){v, n};
	return 0;
}

size_t grep_file_lines(const struct pump_job *j, size_t file, struct pump_line *out, size_t max)
{
	const struct grep_job *gj = j->opstate;
	const struct grep_flines *fl;

	if (!gj || !gj->flines || file >= j->npfiles)
		return 0;
	fl = &gj->flines[file];
	for (size_t i = 0; out && i < fl->n && i < max; i++)
		out[i] = fl->v[i];
	return fl->n;
}

static void grep_child_unlink(struct grep_job *gj, struct grep_child *c)
{
	for (struct grep_child **pp = &gj->children; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			return;
		}
	}
}

/*
 * A packed file's own job ended (pump thread, no pump lock held): its
 * count, or why it has none, becomes the file's. It read the file again,
 * so a size other than the packed read's is ESTALE, as a short read is.
 */
static void grep_child_ended(void *arg)
{
	struct grep_child *c = arg;
	struct pump_job *j = c->parent;
	struct pump_job_info in;
	struct pump_chunk_error e;
	uint64_t *pc = NULL;
	struct pump_line *lv = NULL;
	size_t np = 0, nl = 0;
	int err = 0;

	pump_job_info(c->job, &in);
	if (in.state == PUMP_JOB_CANCELLED)
		err = ECANCELED;
	else if (in.chunks_failed)
		err = pump_job_errors(c->job, &e, 1) ? e.err : EIO;
	if (!err && (grep_flags(j) & PUMP_GREP_PSET)) { /* its counts are the file's */
		np = pump_job_patterns(c->job, NULL, 0);
		pc = calloc(np ? np : 1, sizeof(*pc));
		if (!pc)
			err = ENOMEM;
		else if (pump_job_patterns(c->job, pc, np) != np ||
			 np != ((const struct grep_job *)j->opstate)->npatterns)
			err = EIO;
	}
	if (!err && (grep_flags(j) & PUMP_GREP_LINES)) { /* its records are the file's */
		nl = pump_job_lines(c->job, NULL, 0);
		lv = nl ? malloc(nl * sizeof(*lv)) : NULL;
		if (nl && !lv)
			err = ENOMEM;
		else if (nl && pump_job_lines(c->job, lv, nl) != nl)
			err = EIO;
	}
	pump_job_lock(j);
	struct pump_pfile *f = &j->pfiles[c->file];
	if (!err && in.bytes_done != f->got)
		err = ESTALE;
	if (!err && pc) {
		err = -grep_pcount_file_take(j, c->file, pc);
		pc = NULL; /* taken */
	}
	if (!err && lv) {
		err = -grep_flines_take(j, c->file, lv, nl);
		lv = NULL; /* taken */
	}
	free(pc);
	free(lv);
	if (err) {
		f->err = err;
	} else {
		f->result = in.result;
		f->scanned = true;
		j->result += in.result;
	}
	pump_job_unlock(j);
	grep_child_unlink(j->opstate, c);
	pump_job_put(&c->job); /* ours; the pump drops its own after this */
	pump_job_put(&c->parent);
	free(c);
}

/* File i of packed job j runs again alone (VYRE_PACK_OVER, or lines=1's records). */
static void grep_child_start(struct pump *p, struct pump_job *j, uint32_t i)
{
	struct grep_job *gj = j->opstate;
	struct pump_pfile *f = &j->pfiles[i];
	struct grep_child *c = calloc(1, sizeof(*c));
	int fd = -1, ret = -ENOMEM;

	if (c)
		fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	if (c && fd < 0)
		ret = -errno;
	if (fd >= 0) {
		struct pump_scan sc = {
		    .fd = fd,
		    .op = &pump_op_grep,
		    .data = j->data, /* the DFA as laid out: grep_copy */
		    .data_len = j->data_len,
		    .args.grep = {.flags = gj->flags &
					   (PUMP_GREP_INVERT | PUMP_GREP_PSET | PUMP_GREP_LINES),
				  .max = gj->max},
		    .length = UINT64_MAX,
		    .chunk = j->chunk,
		    .direct = 0,
		    .owner = j->owner,
		    .priority = j->priority,
		    .on_end = grep_child_ended,
		    .on_end_arg = c,
		    .rerun_of = j,
		};
		c->parent = j;
		c->file = i;
		pump_job_get(j);
		c->next = gj->children;
		gj->children = c;
		/* this thread runs the pump: the child cannot end before this returns */
		ret = pump_submit(p, &sc, &c->job);
		if (!ret) /* the file's scan again: a rerun, as a chunk pass's is */
			pump_account_rerun(p, j);
		if (ret) {
			gj->children = c->next;
			pump_job_put(&c->parent);
			close(fd);
		}
	}
	if (ret) {
		vlog_debug("grep: packed file %u of a job not run alone (%d)", i, ret);
		pump_job_lock(j);
		f->err = -ret;
		pump_job_unlock(j);
		free(c);
	}
}

static int line_off_cmp(const void *a, const void *b)
{
	const struct pump_line *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/*
 * File k of the slot's nfiles (the job's file i) takes its records (p->lock
 * held): per_pattern=1's sets become its counts, lines=1's line records
 * its lines in file order (as many as its count says, the first max= of
 * them), each with its first pattern when both. -EOVERFLOW: they had no
 * room, it runs alone; -EIO: lines that do not add up to its count.
 */
static int grep_packed_file_recs(struct pump_job *j, const struct ring_done *d, uint32_t k,
				 uint32_t nfiles, uint32_t i)
{
	const struct grep_job *gj = j->opstate;
	struct pump_pfile *f = &j->pfiles[i];
	struct grep_part_set *sets = NULL;
	struct pump_line *lines = NULL;
	size_t n, ns = 0, nl = 0;
	struct grep_rec *r;
	int ret = grep_packed_recs(d, k, nfiles, f->got, &r, &n);

	if (ret)
		return ret;
	if (n) {
		sets = calloc(n, sizeof(*sets));
		lines = calloc(n, sizeof(*lines));
		if (!sets || !lines)
			ret = -ENOMEM;
	}
	for (size_t x = 0; !ret && x < n; x++) {
		if (r[x].set != UINT32_MAX)
			sets[ns++] = (struct grep_part_set){.pos = r[x].start, .set = r[x].set};
		else
			lines[nl++] = (struct pump_line){.line = (uint64_t)r[x].nl + 1,
							 .offset = r[x].start,
							 .pattern = UINT32_MAX};
	}
	free(r);
	if (!ret && (gj->flags & PUMP_GREP_LINES) && nl != f->result)
		ret = -EIO;
	if (!ret && ((ns && !(gj->flags & PUMP_GREP_PSET)) || (nl && !(gj->flags & PUMP_GREP_LINES))))
		ret = -EIO; /* records of a kind the job did not ask for */
	if (!ret && nl)
		qsort(lines, nl, sizeof(*lines), line_off_cmp); /* its lanes claim in any order */
	if (!ret && (gj->flags & PUMP_GREP_PSET))
		ret = grep_pcount_file(j, i, sets, ns, lines, nl);
	if (!ret && (gj->flags & PUMP_GREP_LINES)) {
		ret = grep_flines_take(j, i, lines, gj->max && nl > gj->max ? gj->max : nl);
		lines = NULL; /* taken */
	}
	free(sets);
	free(lines);
	return ret;
}

/*
 * A packed slot is harvested: each file takes its word (pack.c), cut at
 * max=, with lines=1 its records; a file marked VYRE_PACK_OVER, or whose
 * records found no room, runs again alone. The accounting slot.c does
 * for other packed ops is done here (grep's harvest hook).
 */
int grep_packed_done(struct pump *p, uint32_t slot, const struct ring_done *d)
{
	struct pump_slot *s = pump_slot_at(p, slot);
	struct pump_job *j = s->job;
	const struct grep_job *gj = j->opstate;
	uint32_t first = j->pack_first[s->index], last = j->pack_first[s->index + 1];
	uint32_t over[VYRE_PACK_FILES_MAX], nover = 0;

	pump_job_lock(j);
	if (d->status == VYRE_SLOT_DONE)
		pump_account_chunk_locked(p, j, s->data_len);
	pack_harvest_locked(j, s, d);
	for (uint32_t i = first; i < last; i++) {
		struct pump_pfile *f = &j->pfiles[i];
		int ret = 0;
		if (f->err || !f->scanned)
			continue;
		/* its records, each file's own in the slot (grep_packed.glsl) */
		if (!(f->result & VYRE_PACK_OVER) && (gj->flags & (PUMP_GREP_PSET | PUMP_GREP_LINES)))
			ret = grep_packed_file_recs(j, d, i - first, last - first, i);
		if ((f->result & VYRE_PACK_OVER) || ret == -EOVERFLOW) {
			f->scanned = false;
			f->result = 0;
			over[nover++] = i;
			continue;
		}
		if (ret) {
			f->scanned = false;
			f->err = -ret;
			continue;
		}
		if (gj->max && f->result > gj->max)
			f->result = gj->max;
		j->result += f->result;
	}
	pump_job_unlock(j);
	if (d->status != VYRE_SLOT_DONE && d->error != VYRE_ERR_MASKED)
		job_chunk_failed(p, j, s->index, 0, pump_done_err(d));
	for (uint32_t k = 0; k < nover && !j->cancel; k++)
		grep_child_start(p, j, over[k]);
	return 0;
}
