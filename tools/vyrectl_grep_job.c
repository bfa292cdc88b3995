// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_job.c - Jobs: the op=grep descriptor shared by every FILE, each FILE's
 * submission through ctl, waiting for its job and handing its results to
 * the printers, cancelling and removing jobs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vyrectl_grep.h"

/* One pattern inline, else all of them in a 0600 file the daemon reads as the caller. */
int desc_grep_build(struct grep_state *s)
{
	const struct grep_opts *o = s->o;
	struct grep_pats *p = &s->pats;
	struct buf *d = &s->desc;
	char num[32];
	int ret = buf_puts(d, " op=grep");

	if (ret)
		return ret;
	/* what the daemon gets, for a user who wonders why a line was (not) selected */
	if (getenv("VYRECTL_GREP_DEBUG"))
		fprintf(stderr, "vyrectl grep: %zu pattern(s)%s:\n%.*s", p->n,
			p->fixed ? ", fixed=1" : "", (int)p->text.len,
			p->text.data ? p->text.data : "");
	if (p->n == 1 && p->text.len > 1 && p->text.len - 1 <= GREP_PATTERN_MAX &&
	    !memchr(p->text.data, '\0', p->text.len)) {
		p->text.data[--p->text.len] = '\0'; /* its newline */
		ret = buf_puts(d, " pattern=");
		if (!ret)
			ret = put_quoted(d, p->text.data, true);
	} else {
		int fd = tmp_create(s->tmp, "patterns");

		if (fd < 0)
			return fd;
		ret = fd_write_all(fd, p->text.data ? p->text.data : "", p->text.len);
		if (close(fd) < 0 && !ret)
			ret = -errno;
		if (ret)
			fprintf(stderr, "vyrectl grep: %s: %s\n", s->tmp, strerror(-ret));
		if (!ret)
			ret = buf_puts(d, " patterns=");
		if (!ret)
			ret = put_path(d, s->tmp);
	}
	if (!ret && p->fixed)
		ret = buf_puts(d, " fixed=1");
	if (!ret && o->icase)
		ret = buf_puts(d, " icase=1");
	/* a UTF-8 locale: the compiler reads characters, as grep does (regex/regex_utf8.c) */
	if (!ret && o->utf8)
		ret = buf_puts(d, " utf8=1");
	if (!ret && p->invert)
		ret = buf_puts(d, " invert=1");
	if (!ret && s->lines)
		ret = buf_puts(d, " lines=1");
	/* --pattern-index: literal sets, or EREs a DFA with accept sets holds
	 * (else the job fails, naming the fix), one file a job, every line
	 * (fs/descriptor.c) */
	s->per_pattern = o->count_per_pattern || o->pattern_index;
	if (!ret && s->per_pattern)
		ret = buf_puts(d, " per_pattern=1");
	if (!ret && (o->quiet || o->list != GREP_LIST_NONE)) {
		ret = buf_puts(d, " max=1"); /* one selected line decides */
	} else if (!ret && o->max > 0) {
		snprintf(num, sizeof(num), " max=%lld", o->max);
		ret = buf_puts(d, num);
	}
	return ret;
}

/*
 * path= for FILE. A path with glob characters would be expanded by the
 * daemon (glob(3)); escaped, it names just this file. sent keeps the
 * absolute path unescaped, as a tree job's entries begin with it.
 */
static int desc_path_put(struct buf *line, const char *name, struct buf *sent)
{
	struct buf esc = {0};
	int ret = path_absolute(name, sent);

	if (!ret && strpbrk(sent->data, "*?[")) {
		for (const char *p = sent->data; *p && !ret; p++) {
			if (strchr("*?[\\", *p))
				ret = buf_put(&esc, "\\", 1);
			if (!ret)
				ret = buf_put(&esc, p, 1);
		}
		if (!ret)
			ret = path_plain(esc.data) ? buf_puts(line, esc.data)
						   : put_quoted(line, esc.data, false);
	} else if (!ret) {
		ret = path_plain(sent->data) ? buf_puts(line, sent->data)
					     : put_quoted(line, sent->data, false);
	}
	buf_free(&esc);
	return ret;
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
int file_submit(struct grep_state *s, struct grep_file *f)
{
	struct buf line = {0};
	int ret;

	file_open(s->o, f);
	if (f->err || f->skip)
		return 0;
	ret = buf_puts(&line, "scan path=");
	if (!ret)
		ret = desc_path_put(&line, f->spool[0] ? f->spool : f->path, &f->sent);
	if (!ret)
		ret = buf_put(&line, s->desc.data, s->desc.len);
	if (!ret && f->dir && s->o->follow)
		ret = buf_puts(&line, " follow=1");
	/* a tree's files in grep -r's order, streamed as each becomes final */
	if (!ret && f->dir)
		ret = buf_puts(&line, " order=walk");
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

/* remove: cancelled, and gone once it has ended (fs/ctl.c) */
void job_cancel(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX], path[PATH_MAX];
	int fd;

	job_rel(f->id, "ctl", rel);
	/* quietly: the job may have ended, and the user has been told why we stop */
	if (snprintf(path, sizeof(path), "%s/%s", s->c->mount, rel) < (int)sizeof(path)) {
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "remove\n", 7) < 0) {
				/* it was removed first: nothing to do */
			}
			close(fd);
		}
	}
	f->submitted = false;
}

/* A finished job we printed is of no use to anyone: it goes, as grep leaves nothing. */
void job_remove(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX], path[PATH_MAX];

	job_rel(f->id, "", rel);
	if (snprintf(path, sizeof(path), "%s/%s", s->c->mount, rel) < (int)sizeof(path))
		rmdir(path);
	f->submitted = false;
}

/* A job's end after its output: cancelled, failed (kept for its failed file) or removed. */
static int file_ended(struct grep_state *s, struct grep_file *f, const struct job_status *st)
{
	if (!strcmp(st->state, "cancelled")) {
		fprintf(stderr, "vyrectl grep: %s: job %s was cancelled\n", f->name, f->id);
		s->error = true;
		f->submitted = false;
	} else if (strcmp(st->state, "done")) {
		fprintf(stderr, "vyrectl grep: %s: job %s %s: %s (see %s/jobs/%s/failed)\n",
			f->name, f->id, st->state, st->error[0] ? st->error : "no error given",
			s->c->mount, f->id);
		s->error = true;
		f->submitted = false; /* kept, for its failed file */
	} else {
		job_remove(s, f);
	}
	return 0;
}

/* f's job's end in st: 0, -EINTR (Ctrl-C), or 1: no answer (s->error is set) */
static int file_wait(struct grep_state *s, struct grep_file *f, struct job_status *st)
{
	int ret = job_wait(s->c, f->id, st);

	if (ret == -EINTR)
		return ret;
	if (ret) {
		s->error = true;
		return 1;
	}
	return 0;
}

/*
 * Prints FILE's results as the daemon finds them final, then waits for
 * its job's end; -EINTR on Ctrl-C. Lines (and a tree's files) stream
 * while the job runs (jobs/N/lines, jobs/N/files block at their end until
 * more is final or the job ends), so the first line is out as soon as it
 * is certain; a file's count is read at its job's end. A reader that has
 * gone (EPIPE), or -q's answer, stops here: the job is cancelled by
 * grep_cleanup, not waited for.
 */
int file_finish(struct grep_state *s, struct grep_file *f)
{
	struct job_status st;
	/* --json's end message carries the job's time: it is printed after the end */
	bool stream = (s->lines || f->dir) && !s->o->json;
	int ret;

	if (f->skip)
		return 0;
	if (f->err) {
		file_error(s, f);
		return 0;
	}
	if (!f->submitted)
		return 0;
	if (!stream) {
		ret = file_wait(s, f, &st);
		if (ret)
			return ret < 0 ? ret : 0;
		if (!strcmp(st.state, "cancelled"))
			return file_ended(s, f, &st);
		f->elapsed_ns = st.elapsed_us * 1000;
	}
	ret = sigint_catch();
	/* a failed job's lines still cover the chunks that were read */
	if (!ret && s->o->count_per_pattern) {
		ret = pcount_print(s, f);
	} else if (!ret && !s->lines) {
		ret = f->dir ? tree_count_print(s, f) : count_print(s, f);
	} else if (!ret) {
		ret = lines_print(s, f);
		/* a tree's counts of matches, with its files that matched nothing */
		if (!ret && f->dir && s->o->count_matches)
			ret = tree_count_print(s, f);
	}
	if (ret == -EINTR || vyrectl_interrupted)
		return -EINTR;
	if (ret)
		s->error = true;
	if (stream) {
		if (ferror(stdout) || s->done)
			return 0;
		ret = file_wait(s, f, &st);
		if (ret)
			return ret < 0 ? ret : 0;
	}
	if (f->dir && tree_failed_print(s, f))
		s->error = true;
	return file_ended(s, f, &st);
}
