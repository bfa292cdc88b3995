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
 * regular files (no standard input, no spooled copies of binary files).
 *
 * -r: a directory FILE is walked here as the daemon's order=walk walks it
 * (fs/walk.c: readdir order, a subdirectory's files right after its entry,
 * regular files only, no symlinks) and each file it finds, named and
 * filtered as grep -r names it (vyrectl_grep_tree.c's tree_name), becomes
 * one more unit in that order. A file bigger than a shard is cut into
 * ranges as a FILE is; smaller ones are packed, several whole-file
 * descriptors to a shard, up to about a shard's bytes. The units are
 * printed in walk order whatever shard ran them, so the output is the
 * one-host grep -r's. -R, --json and --count-matches over a tree are
 * refused (their tree output is not made here).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vyrectl_grep.h"
#include "vyrectl_slurm.h"

/*
 * A unit's shards: [first, first + n) of the run, in file order; its grep
 * job is descriptor `job` of each (a count job, for ranges, the next).
 */
struct sg_span {
	size_t first, n, job;
};

/*
 * What is printed, in order: a FILE operand (f points into s->f), or a
 * file of a -r tree (f is own; name and path are its strings, fd its).
 */
struct sg_unit {
	struct grep_file *f;
	struct grep_file own;
	struct buf name, path;
	bool member;
	bool packed; /* a whole file in a shard of several: sp.first set when it is written */
	struct sg_span sp;
};

/* The units, grown as the walk finds files. */
struct sg_units {
	struct sg_unit *u;
	size_t n, cap;
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
	if (f->spool[0] && f->zapped)
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
	sp->job = 0;
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
static int sg_shard_check(const struct slurm_run *r, size_t k, size_t j0, size_t jobs,
			  const struct grep_file *f, bool *kept)
{
	struct slurm_part part;
	char what[PATH_MAX + 16];
	int ret;

	snprintf(what, sizeof(what), "%s", f->name);
	ret = slurm_part_get(r, k, &part);
	if (!ret)
		ret = slurm_shard_say(r, k, &part, what);
	for (size_t j = j0; !ret && j < j0 + jobs; j++) {
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
		if (sg_shard_check(r, sp->first + i, sp->job, 1, f, kept) ||
		    sg_number(r, sp->first + i, sp->job, &v)) {
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
		/*
		 * plen: a path with glob characters, escaped (sg_path_put), is a
		 * job over the files it names, just this one: its entries begin
		 * with the path, as vyrectl_grep_result.c's lines_print takes them too
		 */
		ret = lines_entry_parse(b->data + pos, (size_t)(nl - b->data) - pos, &line, &off,
					&plen);
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
		    const struct sg_span *sp, bool member, bool *kept)
{
	struct grep_out w = {.r = {.fd = -1, .cap = GREP_WINDOW_START}};
	uint64_t base = 0, taken = 0, v;
	bool skip;
	int ret = 0;

	w.r.buf = malloc(w.r.cap);
	if (!w.r.buf)
		return -ENOMEM;
	out_begin(s, &w, f->fd, f->name, strlen(f->name), f->names, f->size);
	w.dir_member = member;
	skip = w.binary && s->o->binary == GREP_BIN_SKIP;
	for (size_t i = 0; i < sp->n && !ret; i++) {
		size_t k = sp->first + i;
		bool last = i + 1 == sp->n;
		struct buf b = {0};

		/* a range that is missing leaves every line after it unnumbered: stop there */
		if (sg_shard_check(r, k, sp->job, last ? 1 : 2, f, kept)) {
			s->error = true;
			break;
		}
		ret = slurm_part_read(r, k, sp->job, "lines", &b);
		if (ret == -ENOENT)
			ret = 0;
		if (!ret)
			ret = sg_range_lines(s, &w, &b, base, skip, &taken);
		buf_free(&b);
		if (!ret && !last && sg_number(r, k, sp->job + 1, &v) == 0)
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

/* One more unit, zeroed; NULL without memory. */
static struct sg_unit *sg_unit_new(struct sg_units *us)
{
	if (us->n == us->cap) {
		size_t cap = us->cap ? 2 * us->cap : 64;
		struct sg_unit *u = realloc(us->u, cap * sizeof(*u));

		if (!u)
			return NULL;
		us->u = u;
		us->cap = cap;
	}
	us->u[us->n] = (struct sg_unit){.own = {.fd = -1}};
	return &us->u[us->n++];
}

/* A file the walk found: a unit unless --include/--exclude/--exclude-dir leave it out. */
static int sg_member(struct grep_state *s, struct grep_file *op, const struct buf *path,
		     struct sg_units *us)
{
	struct sg_unit *u;
	struct stat st;
	int ret;

	u = sg_unit_new(us);
	if (!u)
		return -ENOMEM;
	ret = tree_name(s, op, path->data, path->len, &u->name);
	if (ret < 0) {
		buf_free(&u->name);
		us->n--;
		return ret == -1 ? 0 : ret;
	}
	ret = buf_put(&u->path, path->data, path->len);
	if (ret)
		return ret;
	u->member = true;
	/* grep -r names what it finds below a directory, unless -h */
	u->own.names = s->o->names >= 0;
	u->own.fd = open(u->path.data, O_RDONLY | O_CLOEXEC);
	if (u->own.fd < 0 || fstat(u->own.fd, &st) < 0)
		u->own.err = -errno;
	else
		u->own.size = (int64_t)st.st_size;
	return 0;
}

/* Says a walk's failure as grep -r does, and goes on with the rest. */
static void sg_walk_fail(struct grep_state *s, struct grep_file *op, const struct buf *path,
			 int err)
{
	struct buf shown = {0};

	if (tree_name(s, op, path->data, path->len, &shown) < 0 || !shown.data)
		buf_put(&shown, path->data, path->len);
	if (!s->o->silent)
		fprintf(stderr, "vyrectl grep: %s: %s\n", shown.data ? shown.data : "?",
			strerror(err));
	s->error = true;
	buf_free(&shown);
}

/* path's entries in readdir order, each directory's right after its entry (fs/walk.c). */
static int sg_walk(struct grep_state *s, struct grep_file *op, struct buf *path,
		   struct sg_units *us)
{
	size_t plen = path->len;
	DIR *d = opendir(path->data);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		sg_walk_fail(s, op, path, errno);
		return 0;
	}
	while (!ret && !vyrectl_interrupted) {
		unsigned char type;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				sg_walk_fail(s, op, path, errno);
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path->len = plen;
		ret = buf_puts(path, path->data[plen - 1] == '/' ? "" : "/");
		if (!ret)
			ret = buf_puts(path, de->d_name);
		if (ret)
			break;
		type = de->d_type;
		if (type == DT_UNKNOWN) {
			struct stat st;

			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				sg_walk_fail(s, op, path, errno);
				continue;
			}
			type = DT_UNKNOWN;
			if (S_ISDIR(st.st_mode))
				type = DT_DIR;
			else if (S_ISREG(st.st_mode))
				type = DT_REG;
		}
		/* symlinks, devices, FIFOs, sockets: grep -r skips them, as fs/walk.c does */
		if (type == DT_DIR)
			ret = sg_walk(s, op, path, us);
		else if (type == DT_REG)
			ret = sg_member(s, op, path, us);
	}
	path->len = plen;
	path->data[plen] = '\0';
	closedir(d);
	if (!ret && vyrectl_interrupted)
		ret = -EINTR;
	return ret;
}

/* The units in output order: each FILE, a -r directory replaced by its files as walked. */
static int sg_units_build(struct grep_state *s, struct sg_units *us)
{
	int ret = 0;

	for (int i = 0; i < s->o->nfiles && !ret; i++) {
		struct grep_file *f = &s->f[i];
		struct sg_unit *u;
		struct buf path = {0};

		if (!f->dir || f->err || f->skip) {
			u = sg_unit_new(us);
			if (!u)
				return -ENOMEM;
			u->f = f;
			continue;
		}
		/* the daemon's paths: what tree_name takes the operand off */
		ret = path_absolute(f->path, &f->sent);
		if (!ret)
			ret = buf_put(&path, f->sent.data, f->sent.len);
		if (!ret)
			ret = sg_walk(s, f, &path, us);
		buf_free(&path);
	}
	for (size_t i = 0; i < us->n; i++)
		if (us->u[i].member) {
			us->u[i].own.name = us->u[i].name.data;
			us->u[i].own.path = us->u[i].path.data;
			us->u[i].f = &us->u[i].own;
		}
	return ret;
}

/* The open shard of whole files written; its units learn where they are. */
static int sg_pack_flush(struct slurm_run *r, struct sg_units *us, struct buf *pack)
{
	int ret = 0;

	if (!pack->len)
		return 0;
	for (size_t i = 0; i < us->n; i++)
		if (us->u[i].packed) {
			us->u[i].sp.first = r->nshards;
			us->u[i].packed = false;
		}
	ret = slurm_shard_add(r, pack);
	pack->len = 0;
	return ret;
}

/*
 * The units' shards: a unit bigger than a shard (or a FILE operand) in
 * ranges of its own, a tree's smaller files packed whole into shards of
 * about a shard's bytes.
 */
static int sg_plan_all(struct grep_state *s, struct slurm_run *r, struct sg_units *us,
		       uint64_t shard)
{
	struct buf pack = {0};
	uint64_t fill = 0;
	size_t jobs = 0;
	int ret = 0;

	for (size_t i = 0; i < us->n && !ret; i++) {
		struct sg_unit *u = &us->u[i];

		if (u->f->err || u->f->skip)
			continue;
		if (!u->member || (uint64_t)u->f->size > shard) {
			ret = sg_plan(s, r, u->f, shard, &u->sp);
			continue;
		}
		ret = buf_puts(&pack, "scan path=");
		if (!ret)
			ret = sg_path_put(&pack, u->f->path);
		if (!ret)
			ret = buf_put(&pack, s->desc.data, s->desc.len);
		if (!ret)
			ret = buf_puts(&pack, "\n");
		u->packed = true;
		u->sp = (struct sg_span){.n = 1, .job = jobs++};
		fill += (uint64_t)u->f->size;
		if (!ret && fill >= shard) {
			ret = sg_pack_flush(r, us, &pack);
			fill = 0;
			jobs = 0;
		}
	}
	if (!ret)
		ret = sg_pack_flush(r, us, &pack);
	buf_free(&pack);
	return ret;
}

/* Everything slurm_grep_run made; the descriptor, patterns and files as grep_run's cleanup. */
static void sg_cleanup(struct grep_state *s, struct sg_units *us)
{
	for (int i = 0; s->f && i < s->o->nfiles; i++) {
		if (s->f[i].fd >= 0 && s->f[i].fd != STDIN_FILENO)
			close(s->f[i].fd);
		if (s->f[i].spool[0])
			unlink(s->f[i].spool);
		free(s->f[i].trimmed);
		buf_free(&s->f[i].sent);
	}
	for (size_t i = 0; i < us->n; i++) {
		if (us->u[i].own.fd >= 0)
			close(us->u[i].own.fd);
		buf_free(&us->u[i].name);
		buf_free(&us->u[i].path);
	}
	free(us->u);
	free(s->f);
	s->f = NULL;
	if (s->tmp[0])
		unlink(s->tmp);
	buf_free(&s->desc);
	buf_free(&s->pats.text);
	buf_free(&s->tree_counts);
}

/* Shards every unit, runs the array, prints each unit in order. */
static int sg_fan_out(struct grep_state *s, struct slurm_run *r, struct sg_units *us, bool *kept)
{
	const struct grep_opts *o = s->o;
	uint64_t total = 0;
	int ret = 0;

	for (int i = 0; i < o->nfiles; i++)
		file_open(o, &s->f[i]);
	ret = sg_units_build(s, us);
	for (size_t i = 0; i < us->n && !ret; i++)
		if (sg_file_ok(s, us->u[i].f))
			total += (uint64_t)us->u[i].f->size;
	/*
	 * sized for twice the bytes: a file's ranges round up (a file of 1.5
	 * shards is 2) and a packed shard ends past its size, so the shards
	 * of a tree stay under 2 * total / shard + 1, within SLURM_TASKS_MAX
	 */
	if (!ret)
		ret = sg_plan_all(s, r, us, slurm_shard_size(2 * total));
	if (!ret && r->nshards)
		ret = slurm_submit_wait(r);
	for (size_t i = 0; i < us->n && !ret && !s->done; i++) {
		struct sg_unit *u = &us->u[i];
		struct grep_file *f = u->f;

		if (f->err && u->member) {
			if (!o->silent)
				fprintf(stderr, "vyrectl grep: %s: %s\n", f->name,
					strerror(-f->err));
			s->error = true;
			continue;
		}
		if (f->err)
			file_error(s, f);
		if (f->err || f->skip)
			continue;
		ret = s->lines ? sg_lines(s, r, f, &u->sp, u->member, kept)
			       : sg_counts(s, r, f, &u->sp, kept);
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
	struct sg_units us = {0};
	bool kept = false;
	int ret;

	if (o->recursive && (o->follow || o->json || o->count_matches)) {
		const char *opt = o->follow ? "-R" : o->json ? "--json" : "--count-matches";

		fprintf(stderr,
			"vyrectl grep: --slurm with -r takes no %s: its tree output is made on "
			"one host only (leave --slurm out)\n",
			opt);
		return GREP_ERROR;
	}
	if (grep_files_init(&s))
		return GREP_ERROR;
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
	ret = sg_fan_out(&s, &r, &us, &kept);
	if (ret == -ENOMEM)
		fprintf(stderr, "vyrectl grep: %s\n", strerror(-ret));
out:
	if (o->json && s.lines && !ret && !vyrectl_interrupted)
		json_summary(&s);
	sg_cleanup(&s, &us);
	slurm_close(&r, kept);
	if (ret == -EINTR || vyrectl_interrupted) {
		fprintf(stderr, "vyrectl grep: interrupted; Slurm job %s was cancelled\n",
			r.jobid[0] ? r.jobid : "(none yet)");
		return VYRECTL_INTR;
	}
	return grep_exit_of(o, &s, ret);
}
