// SPDX-License-Identifier: MIT
/*
 * vyrectl grep - LC_ALL=C grep -a, with the scanning done by vyrefs.
 *
 *   vyrectl [-m MOUNT] grep [-c] [-n] [-b] [-i] [-v] [-F|-E] [-m N] [-H|-h]
 *                           [-e PATTERN]... [-f FILE]... [PATTERN] FILE...
 *
 * Each FILE becomes one "scan op=grep" job (README.md "grep"); up to
 * GREP_INFLIGHT of them run at once, submitted ahead and printed in command
 * line order. The GPU selects the lines; this side only prints them: with
 * lines=1 the daemon writes jobs/N/lines, "LINE:OFFSET" per selected line in
 * file order, and each line's bytes are pread from FILE at OFFSET up to its
 * '\n'. Output and exit status are grep's: 0 a line was selected, 1 none, 2
 * an error (which wins, as in grep without -q).
 *
 * Inside grep, -m is grep's --max-count and -h its --no-filename: the mount
 * is given before the command (vyrectl -m MOUNT grep ...), with --mount, or
 * in $VYRE_MOUNT.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vyrectl.h"

#define GREP_INFLIGHT	  64  /* jobs submitted ahead of the one printing */
#define GREP_PATTERN_MAX  256 /* longest pattern= value (README.md "Job descriptors"); longer ones go by file */
#define GREP_WINDOW_START (256 << 10) /* first pread window; grows for longer lines */
#define GREP_LINES_STEP	  (64 << 10)  /* reads of jobs/N/lines */

/* grep's exit statuses. */
enum grep_exit {
	GREP_SELECTED = 0,
	GREP_NONE = 1,
	GREP_ERROR = 2,
};

/* The command line, parsed; strings point into argv. */
struct grep_opts {
	bool count, lineno, byteoff, icase, invert, fixed, ere;
	bool recursive, follow; /* -r, -R: a directory FILE is one job over its tree */
	int names;     /* -1: -h, 1: -H, 0: when there are several files */
	long long max; /* -m N; negative: no limit (grep's -1) */
	const char **pats;
	size_t npats;
	const char **pfiles; /* -f FILE, "-" for stdin */
	size_t npfiles;
	char **files;
	int nfiles;
};

/*
 * One FILE: opened here first, with the caller's own rights, so a missing or
 * unreadable file gets grep's message; the fd is then the one lines are
 * pread from. Owned by grep_run, which closes fd and removes the job.
 */
struct grep_file {
	const char *name; /* as given, for messages and FILE: prefixes */
	int fd;		  /* -1: not opened (err says why) */
	int err;	  /* -errno of the open, or -EISDIR, -EINVAL for other kinds */
	bool submitted;	  /* id names a job of ours, not printed yet */
	bool dir;	  /* -r and a directory: one job over the tree, no fd */
	bool recursive;	  /* -r or -R given */
	bool cancelled;	  /* we cancelled it: remove it once it has ended */
	char id[VYRECTL_ID_MAX + 1];
};

/* A window of FILE read with pread, so most lines cost no syscall. */
struct line_reader {
	int fd;
	char *buf;
	size_t cap;
	size_t len;   /* valid bytes in buf */
	uint64_t off; /* file offset of buf[0] */
	bool eof;     /* a pread at off + len returned 0 */
};

/* Everything grep_run owns; released by grep_cleanup, also on Ctrl-C and errors. */
struct grep_state {
	const struct vyrectl *c;
	struct grep_opts *o;
	struct grep_file *f;
	char tmp[PATH_MAX]; /* the merged pattern file, "" if none */
	struct buf desc;    /* the descriptor without path=, shared by every file */
	bool names;
	uint64_t selected;
	bool error;
};

/* ---- patterns ------------------------------------------------------------- */

static bool pattern_inline(const char *p)
{
	size_t n = strlen(p);

	/* grep splits a pattern at newlines; an empty one the daemon refuses inline */
	return n && n <= GREP_PATTERN_MAX && !memchr(p, '\n', n);
}

static int fd_write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Appends FILE's patterns (stdin for "-") to fd, ending them with a newline. */
static int pattern_file_copy(int fd, const char *name)
{
	int in = strcmp(name, "-") ? open(name, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	struct buf b = {0};
	int ret;

	if (in < 0) {
		ret = -errno;
		fprintf(stderr, "vyrectl: %s: %s\n", name, strerror(-ret));
		return ret;
	}
	ret = buf_read_fd(&b, in);
	if (in != STDIN_FILENO)
		close(in);
	if (ret)
		fprintf(stderr, "vyrectl: %s: %s\n", name, strerror(-ret));
	else if (b.len)
		ret = fd_write_all(fd, b.data, b.len);
	if (!ret && b.len && b.data[b.len - 1] != '\n')
		ret = fd_write_all(fd, "\n", 1);
	buf_free(&b);
	return ret;
}

/*
 * -e and -f together, several -e, a long or multi-line pattern: one file,
 * one pattern a line, 0600 and the caller's own, so the daemon (reading it
 * with the caller's credentials) may and nobody else can. grep_cleanup
 * removes it.
 */
static int pattern_tmp_write(struct grep_state *s)
{
	const char *dir = getenv("TMPDIR");
	int fd, ret = 0;

	if (!dir || dir[0] != '/')
		dir = "/tmp";
	if (snprintf(s->tmp, sizeof(s->tmp), "%s/vyrectl-grep.XXXXXX", dir) >=
	    (int)sizeof(s->tmp)) {
		s->tmp[0] = '\0';
		fprintf(stderr, "vyrectl: TMPDIR: %s\n", strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	fd = mkstemp(s->tmp);
	if (fd < 0) {
		ret = -errno;
		fprintf(stderr, "vyrectl: %s: %s (set TMPDIR to a writable folder)\n", s->tmp,
			strerror(-ret));
		s->tmp[0] = '\0';
		return ret;
	}
	if (fchmod(fd, 0600) < 0)
		ret = -errno;
	for (size_t i = 0; i < s->o->npats && !ret; i++) {
		ret = fd_write_all(fd, s->o->pats[i], strlen(s->o->pats[i]));
		if (!ret)
			ret = fd_write_all(fd, "\n", 1);
	}
	for (size_t i = 0; i < s->o->npfiles && !ret; i++)
		ret = pattern_file_copy(fd, s->o->pfiles[i]);
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret && ret != -ENOENT && ret != -EACCES)
		fprintf(stderr, "vyrectl: %s: %s\n", s->tmp, strerror(-ret));
	return ret;
}

/* A -f FILE as the daemon will open it: checked here first for grep's message. */
static int pattern_file_check(const char *name)
{
	int fd = open(name, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int ret = -errno;

		fprintf(stderr, "vyrectl: %s: %s\n", name, strerror(-ret));
		return ret;
	}
	close(fd);
	return 0;
}

/* " op=grep pattern=... [fixed=1] ...": what every file's descriptor shares. */
static int desc_grep_build(struct grep_state *s)
{
	const struct grep_opts *o = s->o;
	struct buf *d = &s->desc;
	char num[32];
	int ret = buf_puts(d, " op=grep");

	if (ret)
		return ret;
	if (o->npats == 1 && !o->npfiles && pattern_inline(o->pats[0])) {
		ret = buf_puts(d, " pattern=");
		if (!ret)
			ret = put_quoted(d, o->pats[0], true);
	} else if (o->npfiles == 1 && !o->npats && strcmp(o->pfiles[0], "-")) {
		ret = pattern_file_check(o->pfiles[0]);
		if (!ret)
			ret = buf_puts(d, " patterns=");
		if (!ret)
			ret = put_path(d, o->pfiles[0]);
	} else {
		ret = pattern_tmp_write(s);
		if (!ret)
			ret = buf_puts(d, " patterns=");
		if (!ret)
			ret = put_path(d, s->tmp);
	}
	if (!ret && o->fixed)
		ret = buf_puts(d, " fixed=1");
	if (!ret && o->icase)
		ret = buf_puts(d, " icase=1");
	if (!ret && o->invert)
		ret = buf_puts(d, " invert=1");
	if (!ret && !o->count)
		ret = buf_puts(d, " lines=1");
	if (!ret && o->max > 0) {
		snprintf(num, sizeof(num), " max=%lld", o->max);
		ret = buf_puts(d, num);
	}
	return ret;
}

/* ---- files and jobs ------------------------------------------------------- */

/*
 * path= for FILE. A path with glob characters would be expanded by the
 * daemon (glob(3)); escaped, it names just this file.
 */
static int desc_path_put(struct buf *line, const char *name)
{
	struct buf abs = {0}, esc = {0};
	int ret = path_absolute(name, &abs);

	if (!ret && strpbrk(abs.data, "*?[")) {
		for (const char *p = abs.data; *p && !ret; p++) {
			if (strchr("*?[\\", *p))
				ret = buf_put(&esc, "\\", 1);
			if (!ret)
				ret = buf_put(&esc, p, 1);
		}
		if (!ret)
			ret = path_plain(esc.data) ? buf_puts(line, esc.data)
						   : put_quoted(line, esc.data, false);
	} else if (!ret) {
		ret = path_plain(abs.data) ? buf_puts(line, abs.data)
					   : put_quoted(line, abs.data, false);
	}
	buf_free(&esc);
	buf_free(&abs);
	return ret;
}

/* Opens FILE as grep would; vyrefs scans regular files and block devices only. */
static void file_open(struct grep_file *f)
{
	struct stat st;

	f->fd = open(f->name, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		f->err = -errno;
		return;
	}
	if (fstat(f->fd, &st) < 0)
		f->err = -errno;
	else if (S_ISDIR(st.st_mode) && f->recursive)
		f->dir = true;
	else if (S_ISDIR(st.st_mode))
		f->err = -EISDIR;
	else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		f->err = -EINVAL;
	if (f->err || f->dir) {
		close(f->fd);
		f->fd = -1;
	}
}

/* The daemon's answers that concern one file; any other refusal concerns them all. */
static bool err_per_file(int err)
{
	return err == -ENOENT || err == -EACCES || err == -EISDIR || err == -EPERM || err == -ENXIO;
}

/*
 * Opens FILE and submits its job. Returns 0 (f->err may say the file was
 * skipped) or the daemon's -errno for a refusal that would refuse every file.
 */
static int file_submit(struct grep_state *s, struct grep_file *f)
{
	struct buf line = {0};
	int ret;

	file_open(f);
	if (f->err)
		return 0;
	ret = buf_puts(&line, "scan path=");
	if (!ret)
		ret = desc_path_put(&line, f->name);
	if (!ret)
		ret = buf_put(&line, s->desc.data, s->desc.len);
	if (!ret && f->dir && s->o->follow)
		ret = buf_puts(&line, " follow=1");
	if (!ret)
		ret = buf_puts(&line, "\n");
	if (ret) {
		f->err = ret;
	} else {
		/* ctl_submit has shown the daemon's "error: ..." line */
		ret = ctl_submit_id(s->c, &line, f->id);
		if (!ret)
			f->submitted = true;
		else if (err_per_file(ret))
			f->err = ret;
	}
	buf_free(&line);
	return f->err ? 0 : ret;
}

static void job_cancel(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX];
	int fd;

	job_rel(f->id, "ctl", rel);
	/* quietly: the job may have ended, and the user has been told why we stop */
	if (mount_open(s->c, rel, O_WRONLY, &fd) == 0) {
		if (write(fd, "cancel\n", 7) < 0) {
			/* it ended first: nothing to cancel */
		}
		close(fd);
	}
	f->submitted = false;
	f->cancelled = true;
}

/* A finished job we printed is of no use to anyone: it goes, as grep leaves nothing. */
static void job_remove(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX], path[PATH_MAX];

	job_rel(f->id, "", rel);
	if (snprintf(path, sizeof(path), "%s/%s", s->c->mount, rel) < (int)sizeof(path))
		rmdir(path);
	f->submitted = false;
}

/* ---- printing ------------------------------------------------------------- */

/* Sets *p, *n to the line at off, through its '\n' (or to EOF for a last line). */
static int line_fetch(struct line_reader *r, uint64_t off, const char **p, size_t *n)
{
	if (off < r->off || off > r->off + r->len) {
		r->off = off;
		r->len = 0;
		r->eof = false;
	}
	for (;;) {
		size_t start = (size_t)(off - r->off);
		char *nl = memchr(r->buf + start, '\n', r->len - start);
		ssize_t k;

		if (nl || r->eof) {
			*p = r->buf + start;
			*n = nl ? (size_t)(nl - *p) + 1 : r->len - start;
			return 0;
		}
		if (start) {
			memmove(r->buf, r->buf + start, r->len - start);
			r->len -= start;
			r->off = off;
		}
		if (r->len == r->cap) {
			char *b = realloc(r->buf, r->cap * 2);

			if (!b)
				return -ENOMEM;
			r->buf = b;
			r->cap *= 2;
		}
		k = pread(r->fd, r->buf + r->len, r->cap - r->len, (off_t)(r->off + r->len));
		if (k < 0 && errno == EINTR && !vyrectl_interrupted)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			r->eof = true;
		r->len += (size_t)k;
	}
}

static void prefix_print(const struct grep_state *s, const char *name, size_t namelen,
			 unsigned long long line, unsigned long long off)
{
	if (s->names) {
		fwrite(name, 1, namelen, stdout);
		putchar(':');
	}
	if (s->o->lineno)
		printf("%llu:", line);
	if (s->o->byteoff)
		printf("%llu:", off);
}

/* "LINE:OFFSET", or "PATH:LINE:OFFSET" from a job over several files: read from the right. */
static int lines_entry_parse(const char *e, size_t n, unsigned long long *line,
			     unsigned long long *off, size_t *pathlen)
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
 * closes the file being read and opens the next, with the caller's rights.
 */
static int lines_switch(struct line_reader *r, struct buf *cur, const char *esc, size_t n)
{
	struct buf p = {0};
	int ret = buf_put(&p, esc, n);

	if (ret)
		return ret;
	p.len = path_unescape(p.data, p.len);
	p.data[p.len] = '\0';
	if (cur->data && cur->len == p.len && !memcmp(cur->data, p.data, p.len)) {
		buf_free(&p);
		return 0;
	}
	if (r->fd >= 0)
		close(r->fd);
	buf_free(cur);
	*cur = p;
	r->off = 0;
	r->len = 0;
	r->eof = false;
	r->fd = open(cur->data, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		fprintf(stderr, "vyrectl: %s: %s\n", cur->data, strerror(errno));
		return -errno;
	}
	return 0;
}

/* Prints FILE's selected lines as jobs/N/lines lists them. */
static int lines_print(struct grep_state *s, struct grep_file *f)
{
	struct line_reader r = {.fd = f->fd, .cap = GREP_WINDOW_START};
	char rel[VYRECTL_REL_MAX];
	struct buf b = {0}, cur = {0};
	size_t done = 0;
	int fd, ret;

	job_rel(f->id, "lines", rel);
	ret = mount_open(s->c, rel, O_RDONLY, &fd);
	if (ret)
		return ret;
	r.buf = malloc(r.cap);
	ret = r.buf ? 0 : -ENOMEM;
	while (!ret && !vyrectl_interrupted) {
		char *nl;
		ssize_t k;

		/* keep the unparsed tail, read more after it */
		if (done) {
			memmove(b.data, b.data + done, b.len - done);
			b.len -= done;
			done = 0;
		}
		ret = buf_reserve(&b, GREP_LINES_STEP);
		if (ret)
			break;
		k = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (k < 0) {
			ret = -errno;
			break;
		}
		if (k == 0) {
			if (b.len)
				ret = -EPROTO; /* a last entry without its newline */
			break;
		}
		b.len += (size_t)k;
		while (!ret && (nl = memchr(b.data + done, '\n', b.len - done))) {
			unsigned long long line, off;
			const char *p = NULL;
			size_t n = 0;

			size_t plen = 0;
			ret = lines_entry_parse(b.data + done, (size_t)(nl - b.data) - done, &line,
						&off, &plen);
			if (!ret && f->dir)
				ret = lines_switch(&r, &cur, b.data + done, plen);
			if (!ret)
				ret = line_fetch(&r, off, &p, &n);
			if (!ret) {
				if (f->dir)
					prefix_print(s, cur.data, cur.len, line, off);
				else
					prefix_print(s, f->name, strlen(f->name), line, off);
				fwrite(p, 1, n, stdout);
				if (!n || p[n - 1] != '\n')
					putchar('\n');
				s->selected++;
			}
			done = (size_t)(nl - b.data) + 1;
		}
	}
	if (ret == -EPROTO)
		fprintf(stderr, "vyrectl: %s/%s: not LINE:OFFSET lines (is it a vyrefs mount?)\n",
			s->c->mount, rel);
	else if (ret && ret != -EINTR)
		fprintf(stderr, "vyrectl: %s: %s\n", f->name, strerror(-ret));
	close(fd);
	if (f->dir && r.fd >= 0)
		close(r.fd);
	free(r.buf);
	buf_free(&b);
	buf_free(&cur);
	return ret;
}

static int count_print(struct grep_state *s, struct grep_file *f)
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
		if (s->names)
			printf("%s:", f->name);
		printf("%llu\n", n);
		s->selected += n;
	}
	buf_free(&b);
	return ret;
}

/* Waits for FILE's job and prints what grep would; -EINTR on Ctrl-C. */
static int file_finish(struct grep_state *s, struct grep_file *f)
{
	struct job_status st;
	int ret;

	if (f->err) {
		if (f->err == -EINVAL)
			fprintf(stderr,
				"vyrectl: %s: not a regular file or block device (vyrefs scans "
				"only those)\n",
				f->name);
		else
			fprintf(stderr, "vyrectl: %s: %s\n", f->name, strerror(-f->err));
		/* grep -c counts a directory's lines as 0 */
		if (f->err == -EISDIR && s->o->count)
			printf(s->names ? "%s:0\n" : "0\n", f->name);
		s->error = true;
		return 0;
	}
	if (!f->submitted)
		return 0;
	ret = job_wait(s->c, f->id, &st);
	if (ret == -EINTR)
		return ret;
	if (ret) {
		s->error = true;
		return 0;
	}
	if (!strcmp(st.state, "cancelled")) {
		fprintf(stderr, "vyrectl: %s: job %s was cancelled\n", f->name, f->id);
		s->error = true;
		f->submitted = false;
		return 0;
	}
	/* a failed job's lines still cover the chunks that were read */
	if (f->dir && s->o->count) {
		ret = files_print(s->c, f->id, s->o->names >= 0, &s->selected);
		if (ret == 1) { /* grep -r's "Permission denied": an error, the rest printed */
			s->error = true;
			ret = 0;
		}
	} else {
		ret = s->o->count ? count_print(s, f) : lines_print(s, f);
		if (!ret && f->dir && files_failed_print(s->c, f->id))
			s->error = true;
	}
	if (ret == -EINTR || vyrectl_interrupted)
		return -EINTR;
	if (ret)
		s->error = true;
	if (strcmp(st.state, "done")) {
		fprintf(stderr, "vyrectl: %s: job %s %s: %s (see %s/jobs/%s/failed)\n", f->name,
			f->id, st.state, st.error[0] ? st.error : "no error given", s->c->mount,
			f->id);
		s->error = true;
		f->submitted = false; /* kept, for its failed file */
	} else {
		job_remove(s, f);
	}
	return 0;
}

/* ---- the command ---------------------------------------------------------- */

/*
 * Cancels the jobs not printed yet (Ctrl-C, a closed pipe, a refusal), then
 * removes them once they have ended: a wait read returns at once for a
 * cancelled job, and a second Ctrl-C ends it anyway.
 */
static void grep_cleanup(struct grep_state *s)
{
	for (int i = 0; s->f && i < s->o->nfiles; i++) {
		if (s->f[i].submitted)
			job_cancel(s, &s->f[i]);
		if (s->f[i].fd >= 0)
			close(s->f[i].fd);
	}
	for (int i = 0; s->f && i < s->o->nfiles; i++) {
		char rel[VYRECTL_REL_MAX];
		struct buf b = {0};
		int fd;

		if (!s->f[i].cancelled)
			continue;
		job_rel(s->f[i].id, "wait", rel);
		if (mount_open(s->c, rel, O_RDONLY, &fd) == 0) {
			buf_read_fd(&b, fd);
			close(fd);
			buf_free(&b);
		}
		job_remove(s, &s->f[i]);
	}
	free(s->f);
	s->f = NULL;
	if (s->tmp[0])
		unlink(s->tmp);
	s->tmp[0] = '\0';
	buf_free(&s->desc);
}

static int grep_run(const struct vyrectl *c, struct grep_opts *o)
{
	struct grep_state s = {.c = c, .o = o};
	int next = 0, fd, ret = 0;

	/* grep -m 0 stops before it reads anything */
	if (o->max == 0)
		return GREP_NONE;
	/* grep -r names the files under a directory, as if there were several */
	s.names = o->names > 0 || (o->names == 0 && (o->nfiles > 1 || o->recursive));
	s.f = calloc((size_t)o->nfiles, sizeof(*s.f));
	if (!s.f) {
		fprintf(stderr, "vyrectl: %s\n", strerror(ENOMEM));
		return GREP_ERROR;
	}
	for (int i = 0; i < o->nfiles; i++)
		s.f[i] = (struct grep_file){.name = o->files[i], .fd = -1,
					    .recursive = o->recursive};
	/* the mount first, so that a refusal of ctl's later is the daemon's (mount_open says) */
	ret = mount_open(c, "ctl", O_RDWR, &fd);
	if (ret)
		goto out;
	close(fd);
	ret = desc_grep_build(&s);
	if (ret) {
		if (ret == -ENOMEM)
			fprintf(stderr, "vyrectl: %s\n", strerror(-ret));
		goto out;
	}
	/* SIGPIPE would leave jobs running and the pattern file behind */
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < o->nfiles && !ret; i++) {
		for (; next < o->nfiles && next - i < GREP_INFLIGHT && !ret; next++)
			ret = file_submit(&s, &s.f[next]);
		if (ret)
			break; /* the daemon refused the pattern or an option: every file */
		ret = file_finish(&s, &s.f[i]);
		if (s.f[i].fd >= 0)
			close(s.f[i].fd);
		s.f[i].fd = -1;
		if (!ret && ferror(stdout))
			ret = -EPIPE;
	}
out:
	grep_cleanup(&s);
	if (ret == -EINTR || vyrectl_interrupted) {
		fprintf(stderr, "vyrectl: interrupted; its jobs were cancelled\n");
		return VYRECTL_INTR;
	}
	if (ret || s.error)
		return GREP_ERROR;
	return s.selected ? GREP_SELECTED : GREP_NONE;
}

static void grep_usage(FILE *f)
{
	fputs(
	    "usage: vyrectl [-m MOUNT] grep [OPTIONS] PATTERN FILE...\n"
	    "       vyrectl [-m MOUNT] grep [OPTIONS] (-e PATTERN | -f FILE)... FILE...\n"
	    "\n"
	    "Prints the lines of each FILE that match, as LC_ALL=C grep -a -E does; each FILE\n"
	    "is scanned by one op=grep job of the vyrefs mount, the lines read back from FILE.\n"
	    "PATTERN is a POSIX extended regular expression.\n"
	    "\n"
	    "  -e, --regexp PATTERN      a pattern; several make a set (any one selects)\n"
	    "  -f, --file FILE           patterns from FILE, one a line (- for stdin)\n"
	    "  -F, --fixed-strings       patterns are literal strings\n"
	    "  -E, --extended-regexp     patterns are extended regular expressions (the default)\n"
	    "  -i, --ignore-case         ASCII case-insensitive\n"
	    "  -v, --invert-match        select the lines that do not match\n"
	    "  -m, --max-count N         stop after N selected lines in each FILE\n"
	    "  -c, --count               print the number of selected lines, not the lines\n"
	    "  -n, --line-number         prefix each line with its line number\n"
	    "  -b, --byte-offset         prefix each line with its byte offset\n"
	    "  -H, --with-filename       prefix each line with its FILE (the default for several)\n"
	    "  -h, --no-filename         no FILE prefixes\n"
	    "  -r, --recursive           a directory FILE: every regular file below it, in one\n"
	    "                            job (symlinks below it are not followed)\n"
	    "  -R, --dereference-recursive  as -r, following symlinks\n"
	    "      --mount MOUNT         the vyrefs mount (default $VYRE_MOUNT, else /mnt/vyre)\n"
	    "      --help                this help\n"
	    "\n"
	    "Exit status: 0 a line was selected, 1 none was, 2 an error (a missing FILE, a\n"
	    "pattern the daemon refused: its error: line is shown), 130 interrupted. See "
	    "vyrectl(1).\n",
	    f);
}

static int grep_usage_error(const char *fmt, const char *arg)
{
	if (fmt) {
		fputs("vyrectl grep: ", stderr);
		fprintf(stderr, fmt, arg);
		fputc('\n', stderr);
	}
	fputs("Try 'vyrectl grep --help'.\n", stderr);
	return GREP_ERROR;
}

enum {
	GREP_OPT_MOUNT = 0x100,
	GREP_OPT_HELP,
};

static const struct option grep_longopts[] = {
    {"count", no_argument, NULL, 'c'},
    {"recursive", no_argument, NULL, 'r'},
    {"dereference-recursive", no_argument, NULL, 'R'},
    {"line-number", no_argument, NULL, 'n'},
    {"byte-offset", no_argument, NULL, 'b'},
    {"ignore-case", no_argument, NULL, 'i'},
    {"invert-match", no_argument, NULL, 'v'},
    {"fixed-strings", no_argument, NULL, 'F'},
    {"extended-regexp", no_argument, NULL, 'E'},
    {"max-count", required_argument, NULL, 'm'},
    {"with-filename", no_argument, NULL, 'H'},
    {"no-filename", no_argument, NULL, 'h'},
    {"regexp", required_argument, NULL, 'e'},
    {"file", required_argument, NULL, 'f'},
    {"mount", required_argument, NULL, GREP_OPT_MOUNT},
    {"help", no_argument, NULL, GREP_OPT_HELP},
    {0},
};

static int grep_parse(struct vyrectl *c, struct grep_opts *o, int argc, char *argv[])
{
	static char prog[] = "vyrectl grep";
	char *end;
	int opt;

	argv[0] = prog;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "cnbivFEm:Hhe:f:rR", grep_longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			o->recursive = true;
			break;
		case 'R':
			o->recursive = o->follow = true;
			break;
		case 'c':
			o->count = true;
			break;
		case 'n':
			o->lineno = true;
			break;
		case 'b':
			o->byteoff = true;
			break;
		case 'i':
			o->icase = true;
			break;
		case 'v':
			o->invert = true;
			break;
		case 'F':
			o->fixed = true;
			break;
		case 'E':
			o->ere = true;
			break;
		case 'H':
			o->names = 1;
			break;
		case 'h':
			o->names = -1;
			break;
		case 'm':
			errno = 0;
			o->max = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end)
				return grep_usage_error("invalid max count: %s", optarg);
			break;
		case 'e':
			o->pats[o->npats++] = optarg;
			break;
		case 'f':
			o->pfiles[o->npfiles++] = optarg;
			break;
		case GREP_OPT_MOUNT:
			c->mount = optarg;
			break;
		case GREP_OPT_HELP:
			grep_usage(stdout);
			return GREP_SELECTED;
		default:
			return grep_usage_error(NULL, NULL);
		}
	}
	if (o->fixed && o->ere)
		return grep_usage_error("%s", "conflicting matchers specified (-E and -F)");
	if (!o->npats && !o->npfiles) {
		if (optind == argc)
			return grep_usage_error("%s", "no PATTERN");
		o->pats[o->npats++] = argv[optind++];
	}
	if (optind == argc)
		return grep_usage_error(
		    "%s", "no FILE (vyrefs scans files by their path: standard input it cannot)");
	o->files = argv + optind;
	o->nfiles = argc - optind;
	for (int i = 0; i < o->nfiles; i++)
		if (!strcmp(o->files[i], "-"))
			return grep_usage_error(
			    "%s", "-: vyrefs scans files by their path, not standard input");
	return -1;
}

int grep_main(struct vyrectl *c, int argc, char *argv[])
{
	/* no -e or -f can outnumber argv */
	struct grep_opts o = {
	    .max = -1,
	    .pats = calloc((size_t)argc, sizeof(char *)),
	    .pfiles = calloc((size_t)argc, sizeof(char *)),
	};
	int ret;

	if (!o.pats || !o.pfiles) {
		fprintf(stderr, "vyrectl: %s\n", strerror(ENOMEM));
		ret = GREP_ERROR;
		goto out_free;
	}
	c->progress = false; /* grep draws nothing on stderr */
	ret = grep_parse(c, &o, argc, argv);
	if (ret < 0)
		ret = grep_run(c, &o);
	/* a reader that went away (| head) is no error to report, as grep's SIGPIPE is not */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "vyrectl: standard output: %s\n", strerror(errno));
		ret = GREP_ERROR;
	}
out_free:
	free(o.pats);
	free(o.pfiles);
	return ret;
}
