// SPDX-License-Identifier: MIT
/*
 * vyrectl_slurm_grep.c - vyrectl grep ... --slurm[=ARGS]: each FILE cut
 * at line starts into ranges of about a shard (vyrectl_slurm_plan.c), all
 * ranges of all FILEs one Slurm array, and what comes back printed by the
 * same code as on one host (vyrectl_grep_output.c), so the output is the
 * one-host command's byte for byte.
 *
 * A range job numbers its lines from 1 and gives file offsets; its lines
 * are renumbered by the '\n's of the ranges before it, which a count job
 * over each range but the last counts beside the grep job (-n, context
 * and --json need the numbers; -c, -l, -L and -q only add counts). -m N
 * goes to each range as max=N and is applied again here, in file order.
 *
 * FILEs are read on the nodes, so only what every node sees can go:
 * regular files (no standard input, no spooled copies of binary files,
 * no -r trees: vyrectl scan DIR --op grep --slurm counts a tree's lines).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vyrectl_grep.h"
#include "vyrectl_slurm.h"

/* A FILE's shards: [first, first + n) of the run, in file order. */
struct sg_span {
	size_t first, n;
};

/* path= escaped as vyrectl_grep_job.c's desc_path_put does: a glob character names itself. */
static int sg_path_put(struct buf *line, const char *path)
{
	struct buf abs = {0}, esc = {0};
	int ret = path_absolute(path, &abs);

	for (const char *p = abs.data; !ret && p && *p; p++) {
		if (strchr("*?[\\", *p))
			ret = buf_put(&esc, "\\", 1);
		if (!ret)
			ret = buf_put(&esc, p, 1);
	}
	if (!ret)
		ret = path_plain(esc.data) ? buf_puts(line, esc.data)
					   : put_quoted(line, esc.data, false);
	buf_free(&abs);
	buf_free(&esc);
	return ret;
}

/* The patterns file, if one was made, moved into RUN: the nodes cannot read our /tmp. */
static int sg_patterns_share(struct grep_state *s, struct slurm_run *r)
{
	struct buf from = {0}, to = {0}, shared = {0}, d = {0};
	char *at;
	int ret;

	if (!s->tmp[0])
		return 0;
	ret = slurm_shared_copy(r, s->tmp, "patterns", &shared);
	if (!ret)
		ret = put_path(&from, s->tmp);
	if (!ret)
		ret = put_path(&to, shared.data);
	at = ret ? NULL : strstr(s->desc.data, from.data);
	if (!ret && !at)
		ret = -EPROTO;
	if (!ret)
		ret = buf_put(&d, s->desc.data, (size_t)(at - s->desc.data));
	if (!ret)
		ret = buf_puts(&d, to.data);
	if (!ret)
		ret = buf_puts(&d, at + from.len);
	if (!ret) {
		buf_free(&s->desc);
		s->desc = d;
		d = (struct buf){0};
	}
	buf_free(&from);
	buf_free(&to);
	buf_free(&shared);
	buf_free(&d);
	return ret;
}

/* Can FILE go to the nodes? Says why not, grep's way, and marks it done with. */
static bool sg_file_ok(struct grep_state *s, struct grep_file *f)
{
	const char *why = NULL;

	if (f->err || f->skip)
		return false;
	if (f->dir)
		why = "a directory: --slurm searches files (vyrectl scan DIR --op grep --slurm "
		      "counts a tree's lines)";
	else if (f->spool[0] && f->zapped)
		why = "a binary file: --slurm reads it on the nodes as it is (give -a)";
	else if (f->spool[0])
		why = "not a regular file every node can read (--slurm reads FILE on the nodes)";
	if (!why)
		return true;
	fprintf(stderr, "vyrectl grep: %s: %s\n", f->name, why);
	s->error = true;
	f->skip = true;
	return false;
}

/* FILE's ranges as shards: grep over each, and a '\n' count of each but the last. */
static int sg_plan(struct grep_state *s, struct slurm_run *r, struct grep_file *f, uint64_t shard,
		   struct sg_span *sp)
{
	uint64_t *cuts = NULL;
	size_t n = 0;
	int ret = slurm_cuts(f->fd, 0, (uint64_t)f->size, shard, true, &cuts, &n);

	sp->first = r->nshards;
	sp->n = 0;
	for (size_t i = 0; i + 1 < n && !ret; i++) {
		struct buf line = {0};
		char range[64];

		snprintf(range, sizeof(range), " offset=%llu length=%llu",
			 (unsigned long long)cuts[i], (unsigned long long)(cuts[i + 1] - cuts[i]));
		ret = buf_puts(&line, "scan path=");
		if (!ret)
			ret = sg_path_put(&line, f->path);
		if (!ret)
			ret = buf_put(&line, s->desc.data, s->desc.len);
		/* one range: the file whole, as on one host (an empty file has no range) */
		if (!ret && n > 2)
			ret = buf_puts(&line, range);
		if (!ret && s->lines && i + 2 < n) {
			ret = buf_puts(&line, "\nscan path=");
			if (!ret)
				ret = sg_path_put(&line, f->path);
			if (!ret)
				ret = buf_puts(&line, " op=count byte=0x0a");
			if (!ret)
				ret = buf_puts(&line, range);
		}
		if (!ret)
			ret = buf_puts(&line, "\n");
		if (!ret)
			ret = slurm_shard_add(r, &line);
		buf_free(&line);
		sp->n++;
	}
	free(cuts);
	return ret;
}

static int sg_number(const struct slurm_run *r, size_t k, size_t j, uint64_t *v)
{
	struct buf b = {0};
	char *end;
	int ret = slurm_part_read(r, k, j, "result", &b);

	if (!ret) {
		errno = 0;
		*v = strtoull(b.data ? b.data : "", &end, 10);
		if (errno || !b.data || end == b.data || (*end && *end != '\n'))
			ret = -EPROTO;
	}
	buf_free(&b);
	return ret;
}

/*
 * Did shard K come back whole (its part, and every job done)? Says what
 * went wrong once, for FILE, and returns -EIO if not.
 */
static int sg_shard_check(const struct slurm_run *r, size_t k, size_t jobs,
			  const struct grep_file *f, bool *kept)
{
	struct slurm_part part;
	char what[PATH_MAX + 16];
	int ret;

	snprintf(what, sizeof(what), "%s", f->name);
	ret = slurm_part_get(r, k, &part);
	if (!ret)
		ret = slurm_shard_say(r, k, &part, what);
	for (size_t j = 0; !ret && j < jobs; j++) {
		struct job_status st;
		struct buf id = {0};

		ret = slurm_job_state(r, k, j, &st);
		if (ret) {
			fprintf(stderr, "vyrectl grep: %s: shard %zu: no job status came back\n",
				f->name, k);
			break;
		}
		if (!strcmp(st.state, "done"))
			continue;
		slurm_part_read(r, k, j, "id", &id);
		fprintf(stderr,
			"vyrectl grep: %s: shard %zu: job %s on %s %s: %s (see "
			"%s/jobs/%s/failed there)\n",
			f->name, k, id.data ? id.data : "?", part.node, st.state,
			st.error[0] ? st.error : "no error given", r->c->mount,
			id.data ? id.data : "?");
		buf_free(&id);
		ret = -EIO;
	}
	if (ret)
		*kept = true;
	return ret;
}

/* -c, -l, -L, -q: FILE's ranges' counts added, capped by -m as one job's max= would be. */
static int sg_counts(struct grep_state *s, const struct slurm_run *r, struct grep_file *f,
		     const struct sg_span *sp, bool *kept)
{
	uint64_t n = 0, v;

	for (size_t i = 0; i < sp->n; i++) {
		if (sg_shard_check(r, sp->first + i, 1, f, kept) ||
		    sg_number(r, sp->first + i, 0, &v)) {
			s->error = true;
			return 0; /* no count is printed that could be short */
		}
		n += v;
	}
	if (s->o->max > 0 && n > (uint64_t)s->o->max)
		n = (uint64_t)s->o->max;
	if (n && s->o->binary == GREP_BIN_SKIP && file_binary_skip(s->o, f->fd))
		n = 0;
	count_emit(s, f->name, strlen(f->name), f->names, n);
	return 0;
}

/*
 * One range's "LINE:OFFSET" entries, LINE renumbered by base, printed;
 * *taken counts them against -m.
 */
static int sg_range_lines(struct grep_state *s, struct grep_out *w, const struct buf *b,
			  uint64_t base, bool skip, uint64_t *taken)
{
	int ret = 0;

	for (size_t pos = 0; b->data && pos < b->len && !ret;) {
		char *nl = memchr(b->data + pos, '\n', b->len - pos);
		unsigned long long line, off;
		size_t plen;

		if (!nl)
			return -EPROTO;
		ret = lines_entry_parse(b->data + pos, (size_t)(nl - b->data) - pos, &line, &off,
					&plen);
		if (!ret && plen)
			ret = -EPROTO;
		if (ret)
			break;
		pos = (size_t)(nl - b->data) + 1;
		if (s->o->max > 0 && *taken >= (uint64_t)s->o->max)
			break;
		(*taken)++;
		if (!skip)
			ret = out_line(s, w, base + line, off);
		if (ferror(stdout) || s->done)
			break;
	}
	return ret;
}

/* FILE's lines in file order across its ranges, printed as one job's would be. */
static int sg_lines(struct grep_state *s, const struct slurm_run *r, struct grep_file *f,
		    const struct sg_span *sp, bool *kept)
{
	struct grep_out w = {.r = {.fd = -1, .cap = GREP_WINDOW_START}};
	uint64_t base = 0, taken = 0, v;
	bool skip;
	int ret = 0;

	w.r.buf = malloc(w.r.cap);
	if (!w.r.buf)
		return -ENOMEM;
	out_begin(s, &w, f->fd, f->name, strlen(f->name), f->names, f->size);
	skip = w.binary && s->o->binary == GREP_BIN_SKIP;
	for (size_t i = 0; i < sp->n && !ret; i++) {
		size_t k = sp->first + i;
		bool last = i + 1 == sp->n;
		struct buf b = {0};

		/* a range that is missing leaves every line after it unnumbered: stop there */
		if (sg_shard_check(r, k, last ? 1 : 2, f, kept)) {
			s->error = true;
			break;
		}
		ret = slurm_part_read(r, k, 0, "lines", &b);
		if (ret == -ENOENT)
			ret = 0;
		if (!ret)
			ret = sg_range_lines(s, &w, &b, base, skip, &taken);
		buf_free(&b);
		if (!ret && !last && sg_number(r, k, 1, &v) == 0)
			base += v;
		else if (!ret && !last)
			ret = -EPROTO;
		if (ferror(stdout) || s->done || vyrectl_interrupted ||
		    (s->o->max > 0 && taken >= (uint64_t)s->o->max))
			break;
	}
	if (!ret && (!skip || s->o->count_matches))
		ret = out_end(s, &w);
	if (ret == -EPROTO) {
		fprintf(stderr,
			"vyrectl grep: %s: a shard's result is not a vyrefs result (see %s)\n",
			f->name, r->dir);
		*kept = true;
		s->error = true;
		ret = 0;
	}
	free(w.r.buf);
	return ret;
}

/* Everything slurm_grep_run made; the descriptor, patterns and files as grep_run's cleanup. */
static void sg_cleanup(struct grep_state *s, struct sg_span *sp)
{
	for (int i = 0; s->f && i < s->o->nfiles; i++) {
		if (s->f[i].fd >= 0 && s->f[i].fd != STDIN_FILENO)
			close(s->f[i].fd);
		if (s->f[i].spool[0])
			unlink(s->f[i].spool);
		free(s->f[i].trimmed);
		buf_free(&s->f[i].sent);
	}
	free(s->f);
	s->f = NULL;
	free(sp);
	if (s->tmp[0])
		unlink(s->tmp);
	buf_free(&s->desc);
	buf_free(&s->pats.text);
	buf_free(&s->tree_counts);
}

/* Shards every FILE, runs the array, prints each FILE in order. */
static int sg_fan_out(struct grep_state *s, struct slurm_run *r, struct sg_span *sp, bool *kept)
{
	const struct grep_opts *o = s->o;
	uint64_t total = 0;
	int ret = 0;

	for (int i = 0; i < o->nfiles; i++) {
		file_open(o, &s->f[i]);
		if (sg_file_ok(s, &s->f[i]))
			total += (uint64_t)s->f[i].size;
	}
	for (int i = 0; i < o->nfiles && !ret; i++)
		if (!s->f[i].err && !s->f[i].skip)
			ret = sg_plan(s, r, &s->f[i], slurm_shard_size(total), &sp[i]);
	if (!ret && r->nshards)
		ret = slurm_submit_wait(r);
	for (int i = 0; i < o->nfiles && !ret && !s->done; i++) {
		struct grep_file *f = &s->f[i];

		if (f->err)
			file_error(s, f);
		if (f->err || f->skip)
			continue;
		ret = s->lines ? sg_lines(s, r, f, &sp[i], kept) : sg_counts(s, r, f, &sp[i], kept);
		if (!ret && (ferror(stdout) || fflush(stdout) == EOF))
			ret = -EPIPE;
	}
	return ret;
}

/* grep_run's twin for --slurm (vyrectl_grep.c): grep's exit status. */
int slurm_grep_run(const struct vyrectl *c, struct grep_opts *o)
{
	struct grep_state s = {.c = c, .o = o};
	struct slurm_run r = {0};
	struct sg_span *sp;
	bool kept = false;
	int ret;

	if (grep_files_init(&s))
		return GREP_ERROR;
	sp = calloc((size_t)o->nfiles, sizeof(*sp));
	if (!sp) {
		free(s.f);
		fprintf(stderr, "vyrectl grep: %s\n", strerror(ENOMEM));
		return GREP_ERROR;
	}
	json_start(&s);
	ret = pats_build(o, &s.pats);
	if (ret || s.pats.nothing)
		goto out;
	ret = slurm_open(&r, c, o->slurm_args);
	if (!ret)
		ret = desc_grep_build(&s);
	if (!ret)
		ret = sg_patterns_share(&s, &r);
	if (ret) {
		if (ret == -ENOMEM || ret == -EPROTO)
			fprintf(stderr, "vyrectl grep: %s\n", strerror(-ret));
		goto out;
	}
	ret = sg_fan_out(&s, &r, sp, &kept);
out:
	if (o->json && s.lines && !ret && !vyrectl_interrupted)
		json_summary(&s);
	sg_cleanup(&s, sp);
	slurm_close(&r, kept);
	if (ret == -EINTR || vyrectl_interrupted) {
		fprintf(stderr, "vyrectl grep: interrupted; Slurm job %s was cancelled\n",
			r.jobid[0] ? r.jobid : "(none yet)");
		return VYRECTL_INTR;
	}
	if (o->quiet && s.selected)
		return GREP_SELECTED;
	if (ret || s.error)
		return GREP_ERROR;
	return s.selected ? GREP_SELECTED : GREP_NONE;
}
