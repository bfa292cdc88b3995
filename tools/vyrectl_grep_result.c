// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_result.c - A finished job's results read back: jobs/N/lines ("LINE:OFFSET", or a
 * tree's "PATH:LINE:OFFSET") for the lines to print, jobs/N/result and a
 * tree's jobs/N/files for -c, -l, -L and -q, and a tree's jobs/N/failed.
 */
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

/* "LINE:OFFSET", or "PATH:LINE:OFFSET" from a job over several files: read from the right. */
int lines_entry_parse(const char *e, size_t n, unsigned long long *line, unsigned long long *off,
		      size_t *pathlen)
{
	const char *c2 = e ? memrchr(e, ':', n) : NULL, *c1;
	char *end;

	if (!c2 || c2 == e)
		return -EPROTO;
	c1 = memrchr(e, ':', (size_t)(c2 - e));
	*pathlen = c1 ? (size_t)(c1 - e) : 0;
	c1 = c1 ? c1 + 1 : e;
	errno = 0;
	*line = strtoull(c1, &end, 10);
	if (errno || end != c2 || c1 == c2)
		return -EPROTO;
	*off = strtoull(c2 + 1, &end, 10);
	if (errno || end != e + n || c2 + 1 == end)
		return -EPROTO;
	return 0;
}

/*
 * A tree's lines come sorted by path: a new PATH (escaped in the entry)
 * ends the file being printed and opens the next, with the caller's rights.
 * *skip is set for a file --include/--exclude leave out.
 */
static int lines_switch(struct grep_state *s, struct grep_file *f, struct grep_out *w,
			struct buf *cur, struct buf *shown, const char *esc, size_t n, bool *skip)
{
	struct buf p = {0};
	int ret = buf_put(&p, esc, n), fd;

	if (ret)
		return ret;
	p.len = path_unescape(p.data, p.len);
	p.data[p.len] = '\0';
	if (cur->data && cur->len == p.len && !memcmp(cur->data, p.data, p.len)) {
		buf_free(&p);
		return 0;
	}
	if (cur->data && !*skip) {
		ret = out_end(s, w);
		if (w->r.fd >= 0)
			close(w->r.fd);
		w->r.fd = -1;
	}
	buf_free(cur);
	*cur = p;
	*skip = tree_name(s, f, cur->data, cur->len, shown) < 0;
	if (*skip || ret)
		return ret;
	fd = open(cur->data, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (!s->o->silent)
			fprintf(stderr, "vyrectl grep: %s: %s\n", shown->data, strerror(-ret));
		return ret;
	}
	/* grep -r names what it finds below a directory, unless -h */
	{
		struct stat st;

		out_begin(s, w, fd, shown->data, shown->len, s->o->names >= 0,
			  fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1);
		w->dir_member = true;
	}
	if (w->binary && s->o->binary == GREP_BIN_SKIP)
		*skip = true;
	return 0;
}

/* One "LINE:OFFSET" (or a tree's "PATH:LINE:OFFSET") of jobs/N/lines, printed. */
static int lines_entry(struct grep_state *s, struct grep_file *f, struct grep_out *w,
		       struct buf *cur, struct buf *shown, const char *e, size_t n, bool *skip)
{
	unsigned long long line, off;
	size_t plen = 0;
	int ret = s->per_pattern && !f->dir ? pcount_entry_split(e, &n, &w->pattern) : 0;

	if (!ret)
		ret = lines_entry_parse(e, n, &line, &off, &plen);

	if (!ret && f->dir) {
		ret = lines_switch(s, f, w, cur, shown, e, plen, skip);
		if (ret && ret != -ENOMEM && ret != -EINTR) {
			s->error = true; /* that file is gone; the others print */
			*skip = true;
			ret = 0;
		}
	}
	if (!ret && !*skip)
		ret = out_line(s, w, line, off);
	return ret;
}

/*
 * Reads more of a streamed file (jobs/N/lines, jobs/N/files) after the
 * unparsed tail b holds from *done: what was printed goes out first, since
 * the read may wait for the job (a reader of our output sees each line as
 * it becomes certain, and a closed pipe is noticed here, not at the end).
 * 0 and *eof at the end of the job's file.
 */
static int stream_more(int fd, struct buf *b, size_t *done, bool *eof)
{
	ssize_t k;
	int ret;

	if (*done) {
		memmove(b->data, b->data + *done, b->len - *done);
		b->len -= *done;
		*done = 0;
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		return 0; /* the caller sees ferror: the reader has gone */
	ret = buf_reserve(b, GREP_LINES_STEP);
	if (ret)
		return ret;
	k = read(fd, b->data + b->len, b->cap - b->len - 1);
	if (k < 0)
		return -errno;
	*eof = k == 0;
	b->len += (size_t)k;
	if (*eof && b->len)
		return -EPROTO; /* a last entry without its newline */
	return 0;
}

/*
 * Prints FILE's selected lines as jobs/N/lines lists them, read as the
 * daemon finds them final, while the job runs: a tree's come in grep -r's
 * order (order=walk), a file's in file order.
 */
int lines_print(struct grep_state *s, struct grep_file *f)
{
	struct grep_out w = {.r = {.fd = -1, .cap = GREP_WINDOW_START}};
	char rel[VYRECTL_REL_MAX];
	struct buf b = {0}, cur = {0}, shown = {0};
	size_t done = 0;
	bool skip = false, eof = false;
	int fd, ret;

	job_rel(f->id, "lines", rel);
	ret = mount_open(s->c, rel, O_RDONLY, &fd);
	if (ret)
		return ret;
	w.r.buf = malloc(w.r.cap);
	ret = w.r.buf ? 0 : -ENOMEM;
	if (!ret && !f->dir) {
		out_begin(s, &w, f->fd, f->name, strlen(f->name), f->names, f->size);
		w.elapsed_ns = f->elapsed_ns;
		w.binary |= f->zapped;
		skip = w.binary && s->o->binary == GREP_BIN_SKIP;
	}
	while (!ret && !eof && !vyrectl_interrupted && !ferror(stdout)) {
		char *nl;

		ret = stream_more(fd, &b, &done, &eof);
		while (!ret && b.data && (nl = memchr(b.data + done, '\n', b.len - done))) {
			ret = lines_entry(s, f, &w, &cur, &shown, b.data + done,
					  (size_t)(nl - b.data) - done, &skip);
			done = (size_t)(nl - b.data) + 1;
			if (ferror(stdout))
				break;
		}
	}
	if (!ret && vyrectl_interrupted)
		ret = -EINTR;
	/* -I --count-matches: a binary FILE counts 0, as -c -I prints it */
	if (!ret && !ferror(stdout) && (!skip || (s->o->count_matches && !f->dir)) &&
	    (cur.data || !f->dir))
		ret = out_end(s, &w);
	if (ret == -EPROTO)
		fprintf(stderr, "vyrectl: %s/%s: not LINE:OFFSET lines (is it a vyrefs mount?)\n",
			s->c->mount, rel);
	else if (ret && ret != -EINTR)
		fprintf(stderr, "vyrectl grep: %s: %s\n", f->name, strerror(-ret));
	close(fd);
	if (f->dir && w.r.fd >= 0)
		close(w.r.fd);
	free(w.r.buf);
	buf_free(&b);
	buf_free(&cur);
	buf_free(&shown);
	return ret;
}

/* -I in count mode: a binary file of a tree counts nothing. */
static bool count_skip_binary(const struct grep_state *s, const char *path)
{
	bool bin;
	int fd;

	if (s->o->binary != GREP_BIN_SKIP)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bin = file_binary_skip(s->o, fd);
	close(fd);
	return bin;
}

int count_print(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX], *end;
	struct buf b = {0};
	unsigned long long n;
	int ret;

	job_rel(f->id, "result", rel);
	ret = mount_read(s->c, rel, &b);
	if (ret)
		return ret;
	errno = 0;
	n = strtoull(b.data ? b.data : "", &end, 10);
	if (errno || !b.data || end == b.data || (*end && *end != '\n')) {
		fprintf(stderr, "vyrectl: %s/%s: not a number (is it a vyrefs mount?)\n",
			s->c->mount, rel);
		ret = -EPROTO;
	} else {
		if (n && s->o->binary == GREP_BIN_SKIP &&
		    (f->zapped || (f->fd >= 0 && file_binary_skip(s->o, f->fd))))
			n = 0;
		count_emit(s, f->name, strlen(f->name), f->names, n);
	}
	buf_free(&b);
	return ret;
}

/*
 * --count-matches over a tree: the count out_end kept for the file named
 * shown, else 0 (it matched nothing). Both lists are in grep -r's order,
 * so one pass over the kept counts finds them.
 */
static unsigned long long tree_counts_next(struct grep_state *s, const struct buf *shown)
{
	struct buf *t = &s->tree_counts;
	const char *e, *sp, *name;
	unsigned long long v;

	if (s->tree_counts_at >= t->len)
		return 0;
	e = t->data + s->tree_counts_at;
	sp = strchr(e, ' ');
	name = sp ? sp + 1 : e;
	if (strlen(name) != shown->len || memcmp(name, shown->data, shown->len))
		return 0;
	v = strtoull(e, NULL, 10);
	s->tree_counts_at += (size_t)(name - e) + shown->len + 1;
	return v;
}

/* One "RESULT PATH" of a tree's jobs/N/files (NUL-terminated in place), as grep -r -c/-l/-L. */
static int tree_count_entry(struct grep_state *s, struct grep_file *f, char *e, struct buf *shown)
{
	char *sp = strchr(e, ' '), *end;
	unsigned long long v;
	size_t n;

	errno = 0;
	v = strtoull(e, &end, 10);
	if (!sp || end != sp || errno)
		return -EPROTO;
	n = path_unescape(sp + 1, strlen(sp + 1));
	sp[1 + n] = '\0';
	if (tree_name(s, f, sp + 1, n, shown) < 0)
		return 0;
	if (s->o->count_matches)
		v = tree_counts_next(s, shown);
	if (v && count_skip_binary(s, sp + 1))
		v = 0;
	count_emit(s, shown->data, shown->len, s->o->names >= 0, v);
	return 0;
}

/*
 * A tree's jobs/N/files, "RESULT PATH" a file in grep -r's order
 * (order=walk), printed as the daemon finds each final; -q and -l stop
 * reading once s->done.
 */
int tree_count_print(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX];
	struct buf b = {0}, shown = {0};
	size_t done = 0;
	bool eof = false;
	int fd = -1, ret;

	job_rel(f->id, "files", rel);
	ret = mount_open(s->c, rel, O_RDONLY, &fd);
	while (!ret && !eof && !s->done && !vyrectl_interrupted && !ferror(stdout)) {
		char *nl;

		ret = stream_more(fd, &b, &done, &eof);
		while (!ret && !s->done && b.data &&
		       (nl = memchr(b.data + done, '\n', b.len - done))) {
			*nl = '\0';
			ret = tree_count_entry(s, f, b.data + done, &shown);
			done = (size_t)(nl - b.data) + 1;
		}
	}
	if (!ret && vyrectl_interrupted)
		ret = -EINTR;
	if (ret == -EPROTO)
		fprintf(stderr, "vyrectl: %s/%s: not RESULT PATH lines (is it a vyrefs mount?)\n",
			s->c->mount, rel);
	if (fd >= 0)
		close(fd);
	s->tree_counts.len = 0; /* the next tree's */
	s->tree_counts_at = 0;
	buf_free(&b);
	buf_free(&shown);
	return ret;
}

/* A tree's failed entries, "PATH ERRNO_NAME", as grep -r's messages; 1 if any. */
int tree_failed_print(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX];
	struct buf b = {0}, shown = {0};
	int ret, failed = 0;

	job_rel(f->id, "failed", rel);
	ret = mount_read(s->c, rel, &b);
	for (size_t pos = 0; !ret && b.data && pos < b.len;) {
		char *nl = memchr(b.data + pos, '\n', b.len - pos);
		size_t e = nl ? (size_t)(nl - b.data) : b.len;
		char *sp = memrchr(b.data + pos, ' ', e - pos);

		if (sp) {
			size_t n = path_unescape(b.data + pos, (size_t)(sp - (b.data + pos)));

			b.data[e] = '\0';
			if (tree_name(s, f, b.data + pos, n, &shown) >= 0) {
				failed = 1;
				if (!s->o->silent)
					fprintf(stderr, "vyrectl grep: %s: %s\n", shown.data,
						sp + 1);
			}
		}
		pos = e + 1;
	}
	buf_free(&b);
	buf_free(&shown);
	return ret ? ret : failed;
}

void file_error(struct grep_state *s, const struct grep_file *f)
{
	s->error = true;
	if (!s->o->silent)
		fprintf(stderr, "vyrectl grep: %s: %s\n", f->name, strerror(-f->err));
	/* grep -c counts a directory's lines: none */
	if (f->err == -EISDIR && s->o->count && !s->o->quiet && s->o->list == GREP_LIST_NONE)
		count_emit(s, f->name, strlen(f->name), f->names, 0);
}
