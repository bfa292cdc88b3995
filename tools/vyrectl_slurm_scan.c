// SPDX-License-Identifier: MIT
/*
 * vyrectl_slurm_scan.c - vyrectl scan PATH --op OP --slurm[=ARGS]: the
 * scan cut into shards, run as one Slurm array, merged into what
 * "vyrectl scan PATH --op OP --wait" prints on one host.
 *
 * A file is cut into byte ranges (count, histogram: at any byte; grep: at
 * line starts, vyrectl_slurm_plan.c); nop counts chunks and match counts
 * patterns that may straddle a cut, so their files go whole. A directory
 * is walked here as the daemon walks it (fs/walk.c: regular files, no
 * symlinks followed) and its files packed into files= lists of about a
 * shard's bytes; a file bigger than a shard is cut into ranges as above.
 * The merge adds: results of a file's ranges, histogram bins, and a
 * tree's "RESULT PATH" lines, printed sorted by path as jobs/N/files is.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vyrectl_slurm.h"

#define SCAN_BINS 256 /* histogram's "0xHH N" lines */

/* How an op's results add across ranges of one file. */
enum scan_merge {
	MERGE_WHOLE, /* not cut: nop (chunks), match (a pattern may straddle a cut) */
	MERGE_SUM,   /* count, grep: one number */
	MERGE_BINS,  /* histogram: 256 numbers, per tree file their sum */
};

static const struct {
	const char *op;
	enum scan_merge merge;
	bool at_lines;
} scan_ops[] = {
    {"count", MERGE_SUM, false},
    {"grep", MERGE_SUM, true},
    {"histogram", MERGE_BINS, false},
};

/* One file of a tree (or the one file), as walked here. */
struct scan_file {
	char *path;
	uint64_t size;
	uint64_t sum; /* its ranges' results added */
	bool ranged;  /* cut into range shards */
	bool got;     /* a range came back */
	bool lost;    /* a range did not: its sum would be short, so it is not printed */
};

/* One shard: a range of a file, or a files= list of whole files. */
struct scan_shard {
	size_t file; /* a range: files[file]; a list: its first file */
	size_t end;  /* a list: files [file, end), the ranged ones left out */
	uint64_t off, len;
	bool list; /* a files= list: list.K in RUN */
};

/* The walk's and the plan's state; owned by slurm_scan's frame. */
struct scan_plan {
	struct scan_file *files;
	size_t nfiles, cap;
	struct buf walk_failed; /* "PATH: ERRNO_NAME\n", said on stderr as the daemon's failed */
	struct scan_shard *shards;
	size_t nshards;
	enum scan_merge merge;
	bool at_lines;
	bool tree;
};

static struct scan_plan *walk_plan; /* nftw has no user pointer */

static int walk_add(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct scan_plan *p = walk_plan;

	(void)ftw;
	if (type == FTW_DNR || type == FTW_NS) {
		const char *name = strerrorname_np(type == FTW_DNR ? EACCES : errno);
		int ret = buf_puts(&p->walk_failed, path);

		if (!ret)
			ret = buf_puts(&p->walk_failed, ": ");
		if (!ret)
			ret = buf_puts(&p->walk_failed, name ? name : "EIO");
		return ret ? ret : buf_puts(&p->walk_failed, "\n");
	}
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	if (p->nfiles == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct scan_file *f = realloc(p->files, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		p->files = f;
		p->cap = cap;
	}
	p->files[p->nfiles] =
	    (struct scan_file){.path = strdup(path), .size = (uint64_t)st->st_size};
	if (!p->files[p->nfiles].path)
		return -ENOMEM;
	p->nfiles++;
	return 0;
}

static int shard_push(struct scan_plan *p, struct scan_shard s)
{
	struct scan_shard *n = realloc(p->shards, (p->nshards + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	p->shards = n;
	p->shards[p->nshards++] = s;
	return 0;
}

/* A file's ranges as shards (one when it is small or its op is not cut). */
static int plan_ranges(struct scan_plan *p, size_t fi, uint64_t start, uint64_t end, uint64_t shard)
{
	uint64_t *cuts = NULL;
	size_t n = 0;
	int fd, ret;

	if (p->merge == MERGE_WHOLE)
		return shard_push(
		    p, (struct scan_shard){.file = fi, .off = start, .len = end - start});
	fd = open(p->files[fi].path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = slurm_cuts(fd, start, end, shard, p->at_lines, &cuts, &n);
	close(fd);
	for (size_t i = 0; i + 1 < n && !ret; i++)
		ret = shard_push(p, (struct scan_shard){
					.file = fi, .off = cuts[i], .len = cuts[i + 1] - cuts[i]});
	p->files[fi].ranged = true;
	free(cuts);
	return ret;
}

/* files= lines as the daemon reads them (fs/walk.c): \\ \n \xHH for control bytes. */
static int list_put(struct buf *b, const char *path)
{
	static const char hex[] = "0123456789abcdef";
	int ret = 0;

	for (const unsigned char *s = (const unsigned char *)path; *s && !ret; s++) {
		char esc[4] = {'\\', 'x', hex[*s >> 4], hex[*s & 15]};

		if (*s == '\\' || *s == '\n')
			ret = buf_put(b, *s == '\\' ? "\\\\" : "\\n", 2);
		else if (*s < 0x20 || *s == 0x7f)
			ret = buf_put(b, esc, 4);
		else
			ret = buf_put(b, (const char *)s, 1);
	}
	return ret ? ret : buf_puts(b, "\n");
}

/* The scan's keys but offset= and length=, which each range sets. */
static int desc_tail(const struct vyrectl *c, struct buf *t)
{
	int ret = 0;

	for (int k = 0; k < SCAN_KEY_COUNT && !ret; k++) {
		if (!c->val[k] || k == SCAN_OFFSET || k == SCAN_LENGTH)
			continue;
		ret = buf_puts(t, " ");
		if (!ret)
			ret = buf_puts(t, scan_keys[k]);
		if (!ret)
			ret = buf_puts(t, "=");
		if (!ret)
			ret = buf_puts(t, c->val[k]);
	}
	if (!ret && c->pattern) {
		ret = buf_puts(t, " pattern=");
		if (!ret)
			ret = put_quoted(t, c->pattern, true);
	}
	if (!ret && c->direct)
		ret = buf_puts(t, " direct=1");
	return ret;
}

/* A tree: files bigger than a shard are cut; the rest go in lists of about a shard. */
static int plan_tree(struct scan_plan *p, uint64_t shard)
{
	uint64_t fill = 0;
	size_t open = SIZE_MAX; /* the list being filled */
	int ret = 0;

	for (size_t i = 0; i < p->nfiles && !ret; i++) {
		if (p->files[i].size > shard && p->merge != MERGE_WHOLE) {
			ret = plan_ranges(p, i, 0, p->files[i].size, shard);
			continue;
		}
		if (open == SIZE_MAX || fill >= shard) {
			if (open != SIZE_MAX)
				p->shards[open].end = i;
			ret = shard_push(p, (struct scan_shard){.list = true, .file = i});
			open = p->nshards - 1;
			fill = 0;
		}
		fill += p->files[i].size;
	}
	if (open != SIZE_MAX)
		p->shards[open].end = p->nfiles;
	return ret;
}

/* Shard K's descriptor written to RUN (a list's paths to RUN/list.K first). */
static int shard_write(struct slurm_run *r, const struct scan_plan *p, size_t k,
		       const struct buf *tail)
{
	const struct scan_shard *s = &p->shards[k];
	struct buf line = {0}, list = {0};
	char name[32], num[64];
	int ret = 0;

	if (s->list) {
		for (size_t i = s->file; i < s->end && !ret; i++)
			if (!p->files[i].ranged)
				ret = list_put(&list, p->files[i].path);
		snprintf(name, sizeof(name), "list.%zu", k);
		if (!ret)
			ret = buf_puts(&line, "scan files=");
		if (!ret)
			ret = slurm_file_add(r, name, &list, &line);
	} else {
		ret = buf_puts(&line, "scan path=");
		if (!ret)
			ret = put_path(&line, p->files[s->file].path);
		snprintf(num, sizeof(num), " offset=%llu length=%llu", (unsigned long long)s->off,
			 (unsigned long long)s->len);
		if (!ret)
			ret = buf_puts(&line, num);
	}
	if (!ret)
		ret = buf_put(&line, tail->data ? tail->data : "", tail->len);
	if (!ret)
		ret = buf_puts(&line, "\n");
	if (!ret)
		ret = slurm_shard_add(r, &line);
	buf_free(&line);
	buf_free(&list);
	return ret;
}

/* PATH as the daemon would take it: absolute, no trailing slashes (fs/walk.c). */
static int plan_walk(struct scan_plan *p, const char *arg, uint64_t *total)
{
	struct buf abs = {0};
	struct stat st;
	int ret = path_absolute(arg, &abs);

	if (ret)
		return ret;
	while (abs.len > 1 && abs.data[abs.len - 1] == '/')
		abs.data[--abs.len] = '\0';
	if (stat(abs.data, &st) < 0) {
		ret = -errno;
		goto out_free;
	}
	p->tree = S_ISDIR(st.st_mode);
	walk_plan = p;
	if (p->tree) {
		ret = nftw(abs.data, walk_add, 32, FTW_PHYS);
		if (ret > 0)
			ret = -EIO;
		if (ret < 0 && ret != -ENOMEM)
			ret = -errno ? -errno : -EIO;
	} else {
		ret = walk_add(abs.data, &st, FTW_F, NULL);
		if (!ret && !S_ISREG(st.st_mode))
			ret = -EINVAL; /* a block device: its size is not st_size */
	}
	walk_plan = NULL;
	*total = 0;
	for (size_t i = 0; i < p->nfiles; i++)
		*total += p->files[i].size;
out_free:
	buf_free(&abs);
	return ret;
}

/* One number, "N\n", as a result file holds it. */
static int result_number(const struct buf *b, uint64_t *v)
{
	char *end;

	if (!b->data || !b->len)
		return -EPROTO;
	errno = 0;
	*v = strtoull(b->data, &end, 10);
	return errno || end == b->data || (*end && *end != '\n') ? -EPROTO : 0;
}

/* A tree's "RESULT PATH" entry, kept for the sorted print. */
struct scan_entry {
	char *path; /* unescaped */
	size_t len;
	uint64_t v;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct scan_entry *x = a, *y = b;
	int c = memcmp(x->path, y->path, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

struct scan_merged {
	struct scan_entry *e;
	size_t n;
	uint64_t sum;
	uint64_t bins[SCAN_BINS];
	struct buf whole;  /* MERGE_WHOLE's one result, as it came */
	struct buf failed; /* a tree's failed files, "PATH: ERRNO\n" */
	bool error;
	bool lost; /* a shard never came back: no total that would lack it is printed */
};

static int entry_add(struct scan_merged *m, const char *path, size_t len, uint64_t v)
{
	struct scan_entry *n = realloc(m->e, (m->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	m->e = n;
	m->e[m->n].path = malloc(len + 1);
	if (!m->e[m->n].path)
		return -ENOMEM;
	memcpy(m->e[m->n].path, path, len);
	m->e[m->n].path[len] = '\0';
	m->e[m->n].len = len;
	m->e[m->n].v = v;
	m->n++;
	return 0;
}

static int entry_add_one(void *m, const char *path, size_t len, uint64_t v)
{
	return entry_add(m, path, len, v);
}

/* A list shard's jobs/N/files and jobs/N/failed into the merge. */
static int merge_list(const struct slurm_run *r, size_t k, struct scan_merged *m)
{
	struct buf b = {0}, f = {0};
	int ret = slurm_part_read(r, k, 0, "files", &b);

	if (!ret)
		ret = files_each(&b, entry_add_one, m);
	if (ret == -ENOENT)
		ret = 0; /* no file of the list was scanned */
	if (!ret && slurm_part_read(r, k, 0, "failed", &f) == 0) {
		for (size_t pos = 0; f.data && pos < f.len && !ret;) {
			char *nl = memchr(f.data + pos, '\n', f.len - pos);
			size_t e = nl ? (size_t)(nl - f.data) : f.len;
			char *sp = memrchr(f.data + pos, ' ', e - pos);

			if (sp) {
				size_t n =
				    path_unescape(f.data + pos, (size_t)(sp - (f.data + pos)));

				ret = buf_put(&m->failed, f.data + pos, n);
				if (!ret)
					ret = buf_puts(&m->failed, ": ");
				if (!ret)
					ret = buf_put(&m->failed, sp + 1,
						      e - (size_t)(sp + 1 - f.data));
				if (!ret)
					ret = buf_puts(&m->failed, "\n");
			}
			pos = e + 1;
		}
	}
	buf_free(&b);
	buf_free(&f);
	return ret;
}

/* A range's (or a whole file's) result into the merge. */
static int merge_range(const struct slurm_run *r, size_t k, struct scan_plan *p,
		       struct scan_merged *m)
{
	struct scan_file *f = &p->files[p->shards[k].file];
	struct buf b = {0};
	uint64_t v = 0;
	int ret = slurm_part_read(r, k, 0, "result", &b);

	if (!ret && p->merge == MERGE_WHOLE) {
		ret = buf_put(&m->whole, b.data ? b.data : "", b.len);
		if (!ret)
			ret = result_number(&b, &v); /* a tree file's RESULT */
		if (!p->tree)
			ret = 0; /* printed as it came */
	} else if (!ret && p->merge == MERGE_BINS) {
		/* "0xHH N" a line, the bins in order */
		const char *s = b.data ? b.data : "";

		for (int i = 0; i < SCAN_BINS && !ret; i++) {
			unsigned int bin;
			unsigned long long n;
			int used;

			if (sscanf(s, "0x%x %llu\n%n", &bin, &n, &used) != 2 || (int)bin != i)
				ret = -EPROTO;
			else {
				m->bins[i] += n;
				v += n;
				s += used;
			}
		}
	} else if (!ret) {
		ret = result_number(&b, &v);
	}
	if (!ret) {
		f->sum += v;
		f->got = true;
		m->sum += v;
	}
	buf_free(&b);
	return ret;
}

/* A shard that did not come back: what it held is not printed (a list's files are simply absent).
 */
static void shard_lost(struct scan_plan *p, const struct scan_shard *s, struct scan_merged *m)
{
	m->error = true;
	m->lost = true;
	if (!s->list)
		p->files[s->file].lost = true;
}

/* Each shard into the merge; a shard that did not come back whole is said and marks the error. */
static int merge_all(const struct slurm_run *r, struct scan_plan *p, struct scan_merged *m)
{
	int ret = 0;

	for (size_t k = 0; k < p->nshards && !ret; k++) {
		const struct scan_shard *s = &p->shards[k];
		struct slurm_part part;
		struct job_status st;
		char what[PATH_MAX + 64];

		size_t nlist = 0;

		for (size_t i = s->file; s->list && i < s->end; i++)
			nlist += !p->files[i].ranged;
		if (s->list)
			snprintf(what, sizeof(what), "%zu file(s) from %s", nlist,
				 p->files[s->file].path);
		else
			snprintf(what, sizeof(what), "%s bytes %llu-%llu", p->files[s->file].path,
				 (unsigned long long)s->off, (unsigned long long)(s->off + s->len));
		ret = slurm_part_get(r, k, &part);
		if (!ret && slurm_shard_say(r, k, &part, what)) {
			shard_lost(p, s, m);
			continue;
		}
		if (!ret && slurm_job_state(r, k, 0, &st)) {
			fprintf(stderr,
				"vyrectl: shard %zu (%s): no job status came back (see %s)\n", k,
				what, r->dir);
			shard_lost(p, s, m);
			continue;
		}
		if (!ret)
			ret = s->list ? merge_list(r, k, m) : merge_range(r, k, p, m);
		if (ret == -EPROTO) {
			fprintf(stderr,
				"vyrectl: shard %zu (%s): its result is not a vyrefs "
				"result (see %s/part.%zu)\n",
				k, what, r->dir, k);
			shard_lost(p, s, m);
			ret = 0;
		}
		if (!ret && strcmp(st.state, "done")) {
			struct buf id = {0};

			slurm_part_read(r, k, 0, "id", &id);
			fprintf(stderr,
				"vyrectl: shard %zu (%s): job %s on %s %s: %s (see "
				"%s/jobs/%s/failed there)\n",
				k, what, id.data ? id.data : "?", part.node, st.state,
				st.error[0] ? st.error : "no error given", r->c->mount,
				id.data ? id.data : "?");
			buf_free(&id);
			m->error = true;
		}
	}
	for (size_t i = 0; i < p->nfiles && !ret; i++)
		if (p->tree && p->files[i].ranged && p->files[i].got && !p->files[i].lost)
			ret = entry_add(m, p->files[i].path, strlen(p->files[i].path),
					p->files[i].sum);
	return ret;
}

/* What scan --wait prints (vyrectl.c job_finish), from the merge. */
static int merged_print(const struct scan_plan *p, struct scan_merged *m, struct buf *walk_failed)
{
	bool failed = walk_failed->len || m->failed.len;

	if (p->tree) {
		qsort(m->e, m->n, sizeof(*m->e), entry_cmp);
		for (size_t i = 0; i < m->n; i++) {
			fwrite(m->e[i].path, 1, m->e[i].len, stdout);
			printf(":%llu\n", (unsigned long long)m->e[i].v);
		}
		fflush(stdout);
		for (const char *s = walk_failed->data; s && *s; s += strcspn(s, "\n") + 1)
			fprintf(stderr, "vyrectl: %.*s\n", (int)strcspn(s, "\n"), s);
		if (m->failed.len)
			for (const char *s = m->failed.data; *s; s += strcspn(s, "\n") + 1)
				fprintf(stderr, "vyrectl: %.*s\n", (int)strcspn(s, "\n"), s);
	} else if (m->lost) {
		/* a file's total without one of its ranges would be a wrong answer */
	} else if (p->merge == MERGE_WHOLE) {
		fwrite(m->whole.data ? m->whole.data : "", 1, m->whole.len, stdout);
	} else if (p->merge == MERGE_BINS) {
		for (int i = 0; i < SCAN_BINS; i++)
			printf("0x%02x %llu\n", i, (unsigned long long)m->bins[i]);
	} else {
		printf("%llu\n", (unsigned long long)m->sum);
	}
	return failed || m->error ? VYRECTL_FAILED : VYRECTL_OK;
}

static void plan_free(struct scan_plan *p)
{
	for (size_t i = 0; i < p->nfiles; i++)
		free(p->files[i].path);
	free(p->files);
	free(p->shards);
	buf_free(&p->walk_failed);
}

static void merged_free(struct scan_merged *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].path);
	free(m->e);
	buf_free(&m->whole);
	buf_free(&m->failed);
}

/* The user's offset= and length= for one file: the span the ranges tile. */
static int span_get(const struct vyrectl *c, uint64_t size, uint64_t *start, uint64_t *end)
{
	uint64_t off = 0, len = UINT64_MAX;
	const char *l = c->val[SCAN_LENGTH];

	if (c->val[SCAN_OFFSET] && slurm_size_parse(c->val[SCAN_OFFSET], &off))
		return -EINVAL;
	if (l && strcmp(l, "eof") && slurm_size_parse(l, &len))
		return -EINVAL;
	*start = off < size ? off : size;
	*end = len > size - *start ? size : *start + len;
	return 0;
}

/*
 * vyrectl scan PATH --op OP --slurm[=ARGS]: as scan --wait, over the
 * cluster. Returns vyrectl's exit status.
 */
int slurm_scan(const struct vyrectl *c)
{
	struct scan_plan p = {0};
	struct scan_merged m = {0};
	struct slurm_run r = {0};
	struct buf tail = {0};
	const char *op = c->val[SCAN_OP] ? c->val[SCAN_OP] : "";
	uint64_t total = 0, shard, start, end;
	int ret, status = VYRECTL_FAILED;

	if (strpbrk(c->args[0], "*?[")) {
		fprintf(stderr,
			"vyrectl: %s: --slurm takes a file or a directory, not a glob "
			"(give the directory)\n",
			c->args[0]);
		return VYRECTL_USAGE;
	}
	p.merge = MERGE_WHOLE;
	for (size_t i = 0; i < sizeof(scan_ops) / sizeof(scan_ops[0]); i++) {
		if (!strcmp(op, scan_ops[i].op)) {
			p.merge = scan_ops[i].merge;
			p.at_lines = scan_ops[i].at_lines;
		}
	}
	ret = plan_walk(&p, c->args[0], &total);
	if (ret) {
		fprintf(stderr, "vyrectl: %s: %s%s\n", c->args[0], strerror(-ret),
			ret == -EINVAL ? " (--slurm scans regular files and directories)" : "");
		goto out_free;
	}
	if ((p.tree && (c->val[SCAN_OFFSET] || c->val[SCAN_LENGTH])) ||
	    span_get(c, p.tree ? 0 : p.files[0].size, &start, &end)) {
		fprintf(stderr, "vyrectl: --offset and --length: a size, and for a file only "
				"(e.g. --offset 1G)\n");
		status = VYRECTL_USAGE;
		goto out_free;
	}
	shard = slurm_shard_size(total);
	ret = p.tree ? plan_tree(&p, shard) : plan_ranges(&p, 0, start, end, shard);
	if (!ret && !p.nshards) {
		/* an empty tree: nothing to fan out, nothing to print */
		status = merged_print(&p, &m, &p.walk_failed);
		goto out_free;
	}
	if (!ret)
		ret = desc_tail(c, &tail);
	if (!ret)
		ret = slurm_open(&r, c, c->slurm);
	for (size_t k = 0; k < p.nshards && !ret; k++)
		ret = shard_write(&r, &p, k, &tail);
	if (!ret)
		ret = slurm_submit_wait(&r);
	if (ret == -EINTR) {
		fprintf(stderr, "vyrectl: interrupted; Slurm job %s was cancelled\n", r.jobid);
		status = VYRECTL_INTR;
		goto out_close;
	}
	if (!ret)
		ret = merge_all(&r, &p, &m);
	if (!ret)
		status = merged_print(&p, &m, &p.walk_failed);
	else if (ret == -ENOMEM)
		fprintf(stderr, "vyrectl: %s\n", strerror(-ret));
out_close:
	slurm_close(&r, m.error || ret);
out_free:
	buf_free(&tail);
	merged_free(&m);
	plan_free(&p);
	return status;
}
