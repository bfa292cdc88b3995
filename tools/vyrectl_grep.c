// SPDX-License-Identifier: MIT
/*
 * vyrectl grep - GNU grep 3.8 on the command line, vyrefs doing the search.
 *
 *   vyrectl [-m MOUNT] grep [OPTIONS] PATTERNS [FILE...]
 *   vyrectl [-m MOUNT] grep [OPTIONS] (-e PATTERNS | -f FILE)... [FILE...]
 *
 * The daemon compiles one dialect, grep -E's, over bytes (README.md "Job
 * descriptors"). Everything else grep offers is made here, around it:
 *
 *   - patterns: BRE (-G, the default) is rewritten into the ERE it means,
 *     -F is escaped into one where -x or -w need an ERE, -x and -w wrap each
 *     pattern as grep's own dfasearch.c does ("^(P)$",
 *     "(^|[^[:alnum:]_])(P)([^[:alnum:]_]|$)"; in a UTF-8 locale -w's
 *     edges also take invalid bytes, around all patterns at once:
 *     _word.c), and in a UTF-8 locale '.',
 *     brackets, \w \s and -i's non-ASCII letters become alternations of
 *     UTF-8 byte sequences, so the byte DFA matches characters.
 *     Back-references and -P are refused: no DFA runs them.
 *   - inputs: each FILE is one "scan op=grep" job; a directory under -r one
 *     job over its tree. Standard input, /proc, /sys and other inputs the
 *     daemon refuses (pseudo files, pipes, character devices) are first
 *     copied into a private 0600 file, which is what the GPU then scans.
 *   - output: with lines=1 the daemon lists "LINE:OFFSET" per selected line
 *     in file order; the bytes of each line, and of the context lines
 *     around it (-A -B -C), are pread from FILE here. -c, -l, -L and -q ask
 *     for counts only (max=1 for -l, -L, -q).
 *   - binary files: as grep 3.8 decides them: a NUL in the first 96 KiB
 *     (grep's first read; measured with grep 3.8: a NUL at byte 97,007 made
 *     the file binary, at 98,407 not), a NUL in a line to be printed, or,
 *     in a UTF-8 locale, a line to be printed that is not valid UTF-8.
 *     Its lines are not printed; "binary file matches" goes to stderr.
 *
 *   - -o: the GPU selects the lines; where in each the matches are is
 *     found here by glibc's regex, compiled as grep compiles it.
 *
 * Up to GREP_INFLIGHT jobs run at once, submitted ahead of the one being
 * printed, printed in command line order. Exit status as grep's: 0 a line
 * was selected, 1 none, 2 an error (unless -q selected a line).
 *
 * Inside grep, -m is grep's --max-count and -h its --no-filename: the mount
 * is given before the command (vyrectl -m MOUNT grep ...), with --mount, or
 * in $VYRE_MOUNT.
 *
 * The files: vyrectl_grep.c (this: the command, its jobs in flight),
 * _opts.c (the command line), _pattern.c (grep's dialects into the
 * daemon's ERE; in a UTF-8 locale the job says utf8=1), _match.c (-o's matches), _input.c (opening and
 * spooling FILEs), _job.c (descriptors, submission, waiting), _result.c
 * (a job's lines and counts), _tree.c (grep -r's names and order) and
 * _output.c (the lines as grep prints them); vyrectl_grep.h is theirs.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <langinfo.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vyrectl_grep.h"

/*
 * Cancels the jobs not printed yet (Ctrl-C, a closed pipe, -q's answer, a
 * refusal) with jobs/N/ctl's remove: the daemon drops each job's directory
 * once it has ended, so `| head -1` returns without waiting for the
 * cancelled job's chunks in flight to drain, and nothing is left behind.
 */
static void grep_cleanup(struct grep_state *s)
{
	for (int i = 0; s->f && i < s->o->nfiles; i++) {
		if (s->f[i].submitted)
			job_cancel(s, &s->f[i]);
		if (s->f[i].fd >= 0 && s->f[i].fd != STDIN_FILENO)
			close(s->f[i].fd);
		s->f[i].fd = -1;
		if (s->f[i].spool[0])
			unlink(s->f[i].spool);
		free(s->f[i].trimmed);
		buf_free(&s->f[i].sent);
	}
	free(s->f);
	s->f = NULL;
	if (s->tmp[0])
		unlink(s->tmp);
	s->tmp[0] = '\0';
	buf_free(&s->desc);
	buf_free(&s->pats.text);
	buf_free(&s->pats.orig);
	buf_free(&s->tree_counts);
}

/*
 * s->f for o's FILE operands, named as grep names them, and whether lines
 * are printed; vyrectl_slurm_grep.c starts the same way. -ENOMEM (said).
 */
int grep_files_init(struct grep_state *s)
{
	const struct grep_opts *o = s->o;

	s->lines = !(o->count || o->quiet || o->list != GREP_LIST_NONE || o->count_per_pattern);
	s->f = calloc((size_t)o->nfiles, sizeof(*s->f));
	if (!s->f) {
		fprintf(stderr, "vyrectl grep: %s\n", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (int i = 0; i < o->nfiles; i++) {
		bool in = !strcmp(o->files[i], "-");

		s->f[i] = (struct grep_file){
		    .name = in ? (o->label ? o->label : "(standard input)") : o->files[i],
		    .path = o->files[i],
		    .fd = -1,
		};
		/* grep -r with one FILE names only what it finds below a directory */
		s->f[i].names = o->names > 0 || (o->names == 0 && o->nfiles > 1);
	}
	return 0;
}

/*
 * grep's exit status once a run is over (ret its error, 0 if none): a
 * selected line with -q wins over an error, as in GNU grep. grep_run's and
 * slurm_grep_run's.
 */
int grep_exit_of(const struct grep_opts *o, const struct grep_state *s, int ret)
{
	if (o->quiet && s->selected)
		return GREP_SELECTED;
	if (ret || s->error)
		return GREP_ERROR;
	return s->selected ? GREP_SELECTED : GREP_NONE;
}

static int grep_run(const struct vyrectl *c, struct grep_opts *o, bool *epipe)
{
	struct grep_state s = {.c = c, .o = o};
	int next = 0, fd, ret = 0;

	if (grep_files_init(&s))
		return GREP_ERROR;
	json_start(&s);
	ret = pats_build(o, &s.pats);
	if (ret)
		goto out;
	/* -f /dev/null, -v '': no line can be selected; grep reads nothing */
	if (s.pats.nothing)
		goto out;
	/* the mount first, so that a refusal of ctl's later is the daemon's (mount_open says) */
	ret = mount_open(c, "ctl", O_RDWR, &fd);
	if (ret)
		goto out;
	close(fd);
	ret = desc_grep_build(&s);
	if (ret) {
		if (ret == -ENOMEM)
			fprintf(stderr, "vyrectl grep: %s\n", strerror(-ret));
		goto out;
	}
	for (int i = 0; i < o->nfiles && !ret && !s.done; i++) {
		/*
		 * Submitted ahead, but never past an input that blocks until its
		 * writer is done (standard input, a FIFO): grep prints the files
		 * before it first, and so does this, as their jobs end.
		 */
		for (; next < o->nfiles && next - i < GREP_INFLIGHT && !ret; next++) {
			if (next > i && file_blocks(o, s.f[next].path))
				break;
			ret = file_submit(&s, &s.f[next]);
		}
		if (ret)
			break; /* the daemon refused the pattern or an option: every file */
		ret = file_finish(&s, &s.f[i]);
		if (s.f[i].fd >= 0 && s.f[i].fd != STDIN_FILENO)
			close(s.f[i].fd);
		s.f[i].fd = -1;
		if (!ret && (ferror(stdout) || fflush(stdout) == EOF)) {
			if (errno == EPIPE)
				*epipe = true;
			ret = -EPIPE;
		}
	}
out:
	/* ripgrep prints its summary whatever was found, but not after an error that stopped it */
	if (o->json && s.lines && !ret && !vyrectl_interrupted)
		json_summary(&s);
	grep_cleanup(&s);
	if (ret == -EINTR || vyrectl_interrupted) {
		fprintf(stderr, "vyrectl grep: interrupted; its jobs were cancelled\n");
		return VYRECTL_INTR;
	}
	return grep_exit_of(o, &s, ret);
}

/* Is stdout a pipe nobody reads any more? Then grep would have died of SIGPIPE. */
static bool stdout_broken(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return false;
	return write(STDOUT_FILENO, "", 0) < 0 && errno == EPIPE;
}

int grep_main(struct vyrectl *c, int argc, char *argv[])
{
	/* no -e or -f can outnumber argv */
	struct grep_opts o = {
	    .max = -1,
	    .srcs = calloc((size_t)argc, sizeof(struct grep_src)),
	};
	struct buf keep = {0};
	bool epipe = false;
	const char *cs;
	int ret;

	if (!o.srcs) {
		fprintf(stderr, "vyrectl grep: %s\n", strerror(ENOMEM));
		return GREP_ERROR;
	}
	setlocale(LC_ALL, "");
	colors_parse(getenv("GREP_COLORS"));
	cs = nl_langinfo(CODESET);
	o.utf8 = cs && !strcmp(cs, "UTF-8");
	c->progress = false; /* grep draws nothing on stderr */
	ret = grep_parse(c, &o, argc, argv, &keep);
	/* -q wins over -l, -L and -c; -l and -L over -c (grep's order) */
	if (o.quiet || o.list != GREP_LIST_NONE) {
		o.count = false;
		o.after = o.before = 0;
		o.context = false;
	}
	if (o.count_matches)
		o.count = false; /* of matches, not lines: printed as -c prints */
	if (o.count || o.count_matches) {
		o.after = o.before = 0;
		o.context = false;
		o.only = false;
	}
	/* grep -o prints matches, no context lines */
	if (o.only) {
		o.after = o.before = 0;
		o.context = false;
	}
	if (ret < 0 && o.max == 0)
		ret = GREP_NONE; /* grep -m 0 stops before it reads anything */
	if (ret < 0) {
		/* a closed pipe is noticed as EPIPE, and the jobs cancelled, not left running */
		signal(SIGPIPE, SIG_IGN);
		if (grep_line_buffered)
			setvbuf(stdout, NULL, _IOLBF, 0);
		ret = o.slurm ? slurm_grep_run(c, &o) : grep_run(c, &o, &epipe);
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (errno == EPIPE || epipe || stdout_broken())
			epipe = true;
		else
			fprintf(stderr, "vyrectl grep: standard output: %s\n", strerror(errno));
		ret = GREP_ERROR;
	}
	only_free();
	free(o.srcs);
	free(o.include);
	free(o.exclude);
	free(o.exclude_dir);
	buf_free(&keep);
	if (epipe) {
		/* die of SIGPIPE, as grep does once its reader has gone */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	return ret;
}
