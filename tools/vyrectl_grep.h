/* SPDX-License-Identifier: MIT */
/*
 * vyrectl grep's private header: what its files (vyrectl_grep*.c) share.
 * Nothing else includes it; vyrectl.c reaches grep through grep_main in
 * vyrectl.h. The state lives in grep_run's frame (struct grep_state); the
 * few globals are output settings the command line sets once.
 */
#ifndef VYRECTL_GREP_H
#define VYRECTL_GREP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vyrectl.h"

// clang-format off
#define GREP_INFLIGHT	  64  /* jobs submitted ahead of the one printing */
#define GREP_PATTERN_MAX  256 /* longest pattern= value (README.md "Job descriptors"); longer ones go by file */
#define GREP_WINDOW_START (256 << 10) /* first pread window; grows for longer lines */
#define GREP_LINES_STEP	  (64 << 10)  /* reads of jobs/N/lines */
#define GREP_BINARY_PEEK  (96 << 10)  /* grep 3.8's first read: a NUL in it makes a binary file */
#define GREP_BACK_STEP	  (16 << 10)  /* reads backwards for -B context */
// clang-format on

/* grep's exit statuses. */
enum grep_exit {
	GREP_SELECTED = 0,
	GREP_NONE = 1,
	GREP_ERROR = 2,
};

enum grep_dialect {
	GREP_BRE,   /* -G, the default */
	GREP_ERE,   /* -E */
	GREP_FIXED, /* -F */
};

enum grep_binary {
	GREP_BIN_BINARY, /* the default: "binary file matches" instead of lines */
	GREP_BIN_TEXT,	 /* -a */
	GREP_BIN_SKIP,	 /* -I: a binary file matches nothing */
};

enum grep_list {
	GREP_LIST_NONE,
	GREP_LIST_MATCHING, /* -l */
	GREP_LIST_OTHERS,   /* -L */
};

/* A -e PATTERNS or -f FILE, in command line order. */
struct grep_src {
	const char *arg;
	bool file;
};

/* The command line, parsed; strings point into argv. */
struct grep_opts {
	enum grep_dialect dialect;
	enum grep_binary binary;
	enum grep_list list;
	bool count, lineno, byteoff, icase, invert, word, xline, quiet, silent, null;
	bool only;		 /* -o */
	bool json;		 /* --json: ripgrep's JSON Lines (vyrectl_grep_json.c) */
	bool count_matches;	 /* --count-matches: -c of matches, not lines */
	bool count_per_pattern;	 /* --count-per-pattern: COUNT<TAB>PATTERN (vyrectl_grep_pcount.c) */
	bool pattern_index;	 /* --pattern-index: --json's matches carry their first pattern */
	bool tab;		 /* -T */
	bool recursive, follow;	 /* -r, -R: a directory FILE is one job over its tree */
	bool utf8;		 /* LC_CTYPE is UTF-8: match characters, not bytes */
	bool dir_skip;		 /* -d skip */
	bool dev_skip;		 /* -D skip: devices, FIFOs and sockets named as FILE */
	int names;		 /* -1: -h, 1: -H, 0: when there are several files */
	long long max;		 /* -m N; negative: no limit (grep's -1) */
	long long after, before; /* -A, -B (-C sets both); 0: none */
	bool context;		 /* -A, -B or -C given, even 0: groups get separators */
	const char *label;	 /* --label: standard input's name */
	struct grep_src *srcs;
	size_t nsrcs;
	const char **include, **exclude, **exclude_dir;
	size_t ninclude, nexclude, nexclude_dir;
	char **files;
	int nfiles;
	bool no_operand; /* -r without FILE: ".", printed without "./" */
	bool slurm;		 /* --slurm: over a Slurm cluster (vyrectl_slurm_grep.c) */
	const char *slurm_args;	 /* --slurm=ARGS: sbatch options */
};

/*
 * --color: GREP_COLORS's capabilities with grep 3.8's defaults (selected
 * and context lines, selected and context matches, file names, line
 * numbers, byte offsets, separators; rv, ne).
 */
struct grep_colors {
	const char *sl, *cx, *ms, *mc, *fn, *ln, *bn, *se;
	bool rv, ne;
};

/* The patterns as the daemon gets them: one a line, and whether literal. */
struct grep_pats {
	struct buf text; /* each pattern followed by '\n' */
	size_t n;
	bool fixed;   /* fixed=1 */
	bool invert;  /* invert=1: -v, or no pattern at all under -v */
	bool nothing; /* grep 3.8 sees no line can be selected: it reads nothing, exits 1 */
	struct buf orig; /* --count-per-pattern: the patterns as given, one a line */
};

/*
 * One FILE operand: opened here first, with the caller's own rights, so a
 * missing or unreadable file gets grep's message; the fd is then the one
 * lines are pread from. Owned by grep_run, which closes fd, removes the
 * job and the spool.
 */
struct grep_file {
	const char *name;     /* as given (or --label), for messages and FILE: prefixes */
	const char *path;     /* what is opened: name, or "." for -r without FILE */
	struct buf sent;      /* the absolute path the daemon was given, for a tree's names */
	int fd;		      /* -1: not opened (err says why) */
	int err;	      /* -errno of the open, or -EISDIR */
	bool submitted;	      /* id names a job of ours, not printed yet */
	bool dir;	      /* -r and a directory: one job over the tree, no fd */
	bool skip;	      /* excluded, or -d skip: no job, no output */
	bool names;	      /* print FILE: prefixes for it */
	bool zapped;	      /* binary: the copy scanned has newlines for its NULs */
	char *trimmed;	      /* a directory's name without its trailing slashes */
	int64_t size;	      /* a regular file's size as opened, else -1 (for -T) */
	char spool[PATH_MAX]; /* a private copy scanned instead (stdin, /proc, ...) */
	uint64_t elapsed_ns;  /* its job's time, for --json */
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

/* What is printed of one file: its context and binary state. */
struct grep_out {
	const char *name;
	size_t namelen;
	bool names;
	struct line_reader r;
	uint64_t next_line, next_off; /* the first line not printed yet */
	uint64_t after_left;	      /* -A lines still owed */
	bool started;		      /* a line of it was printed */
	bool binary;		      /* print no more lines of it */
	uint64_t selected;
	uint64_t hidden;       /* selected lines not printed: it is binary */
	uint64_t last_sel;     /* the last selected line, 0 before the first */
	int width;	       /* -T: the width of line numbers and offsets */
	bool enc_err;	       /* a line was not printed: not UTF-8 in a UTF-8 locale */
	uint64_t nul_seen;     /* bytes from the start looked through for a NUL, whole blocks */
	uint64_t matches;      /* --json's submatches of its match lines; --count-matches' count */
	bool json_begun;       /* --json: its "begin" was printed */
	uint64_t json_printed; /* --json: bytes of its begin, match and context messages */
	uint64_t elapsed_ns;   /* --json: its job's time (0 for a tree's files) */
	uint32_t pattern;      /* per_pattern=1: the line being printed's first pattern */
	bool dir_member;       /* a file of a tree job (-r), not a FILE operand */
};

/* --json's summary: the run's totals (vyrectl_grep_json.c). */
struct grep_json {
	uint64_t start_ns; /* CLOCK_MONOTONIC at the run's start */
	uint64_t searches, with_match, searched, printed, matched_lines, matches, elapsed_ns;
};

/* Everything grep_run owns; released by grep_cleanup, also on Ctrl-C and errors. */
struct grep_state {
	const struct vyrectl *c;
	struct grep_opts *o;
	struct grep_file *f;
	struct grep_pats pats;
	char tmp[PATH_MAX]; /* the pattern file, "" if none */
	struct buf desc;    /* the descriptor without path=, shared by every file */
	bool lines;	    /* lines=1: print lines, not counts */
	bool per_pattern;   /* per_pattern=1 sent: lines carry ":INDEX" (the first pattern) */
	bool printed;	    /* a context group was printed: the next needs "--" */
	bool done;	    /* -q selected a line: stop */
	uint64_t selected;
	bool error;
	struct grep_json json;
	/* --count-matches over a tree: "COUNT NAME\0" of each file with matches, in grep -r's order
	 */
	struct buf tree_counts;
	size_t tree_counts_at; /* the next of them tree_count_print looks for */
};

/* Output settings, set by the command line (vyrectl_grep_output.c owns them). */
extern const char *grep_group_sep; /* --group-separator; NULL for --no-group-separator */
extern bool grep_line_buffered;
extern struct grep_colors grep_col;
extern bool grep_color;

/* vyrectl_grep_pcount.c */
int pcount_print(struct grep_state *s, struct grep_file *f);
int pcount_entry_split(const char *e, size_t *n, uint32_t *pattern);

/* vyrectl_grep_opts.c */
void colors_parse(const char *env);
/* -w's wrapping of one pattern's ERE core in a UTF-8 locale (vyrectl_grep_word.c). */
int word_wrap_utf8(struct buf *b, const char *core, size_t n);
int grep_parse(struct vyrectl *c, struct grep_opts *o, int argc, char *argv[], struct buf *keep);

/* vyrectl_grep_pattern.c */
int grep_pattern_error(const char *pat, const char *what);
int pats_build(const struct grep_opts *o, struct grep_pats *pats);

/* vyrectl_grep.c */
int grep_files_init(struct grep_state *s);
int grep_exit_of(const struct grep_opts *o, const struct grep_state *s, int ret);

/* vyrectl_grep_match.c */
void only_free(void);
int only_compile(const struct grep_opts *o, const char *p, size_t n);
bool match_next(const struct grep_opts *o, const char *p, size_t n, size_t pos, size_t *ms,
		size_t *ml);

/* vyrectl_grep_input.c */
int fd_write_all(int fd, const char *s, size_t n);
int tmp_create(char path[PATH_MAX], const char *what);
bool file_binary(int fd);
bool block_has_nul(int fd, uint64_t at);
bool glob_any(const char *const *globs, size_t n, const char *name);
bool name_excluded(const struct grep_opts *o, const char *base);
void file_open(const struct grep_opts *o, struct grep_file *f);
bool file_blocks(const struct grep_opts *o, const char *path);
bool file_nul_from(int fd, uint64_t from);
bool file_binary_skip(const struct grep_opts *o, int fd);

/* vyrectl_grep_job.c */
int desc_grep_build(struct grep_state *s);
int file_submit(struct grep_state *s, struct grep_file *f);
void job_cancel(struct grep_state *s, struct grep_file *f);
void job_remove(struct grep_state *s, struct grep_file *f);
int file_finish(struct grep_state *s, struct grep_file *f);

/* vyrectl_grep_result.c */
int lines_entry_parse(const char *e, size_t n, unsigned long long *line, unsigned long long *off,
		      size_t *pathlen);
int lines_print(struct grep_state *s, struct grep_file *f);
int count_print(struct grep_state *s, struct grep_file *f);
int tree_count_print(struct grep_state *s, struct grep_file *f);
int tree_failed_print(struct grep_state *s, struct grep_file *f);
void file_error(struct grep_state *s, const struct grep_file *f);

/* vyrectl_grep_tree.c */
int tree_name(const struct grep_state *s, const struct grep_file *f, const char *path, size_t n,
	      struct buf *out);

/* vyrectl_grep_json.c */
void json_start(struct grep_state *s);
int json_line(struct grep_state *s, struct grep_out *w, uint64_t line, uint64_t off, const char *p,
	      size_t n, bool match);
int json_end(struct grep_state *s, struct grep_out *w);
int json_summary(struct grep_state *s);

/* vyrectl_grep_output.c */
int out_line(struct grep_state *s, struct grep_out *w, uint64_t line, uint64_t off);
int out_end(struct grep_state *s, struct grep_out *w);
void out_begin(struct grep_state *s, struct grep_out *w, int fd, const char *name, size_t namelen,
	       bool names, int64_t size);
void count_emit(struct grep_state *s, const char *name, size_t namelen, bool names,
		unsigned long long n);

/* vyrectl_slurm_grep.c */
int slurm_grep_run(const struct vyrectl *c, struct grep_opts *o);

#endif /* VYRECTL_GREP_H */
