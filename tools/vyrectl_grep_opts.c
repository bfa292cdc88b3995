// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_opts.c - grep 3.8's command line into struct grep_opts: getopt_long over grep's
 * short and long options, -NUM, GREP_COLORS, --help's text.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vyrectl_grep.h"

/* GREP_COLORS="ms=01;31:ln=32:ne": unknown names are ignored, as grep does. */
void colors_parse(const char *env)
{
	static char *copy;
	char *save = NULL;

	if (!env || !*env)
		return;
	free(copy);
	copy = strdup(env);
	for (char *t = copy ? strtok_r(copy, ":", &save) : NULL; t;
	     t = strtok_r(NULL, ":", &save)) {
		char *eq = strchr(t, '=');
		const char *v = eq ? eq + 1 : NULL;

		if (eq)
			*eq = '\0';
		if (!strcmp(t, "rv"))
			grep_col.rv = true;
		else if (!strcmp(t, "ne"))
			grep_col.ne = true;
		else if (!v)
			continue;
		else if (!strcmp(t, "mt"))
			grep_col.ms = grep_col.mc = v;
		else if (!strcmp(t, "ms"))
			grep_col.ms = v;
		else if (!strcmp(t, "mc"))
			grep_col.mc = v;
		else if (!strcmp(t, "sl"))
			grep_col.sl = v;
		else if (!strcmp(t, "cx"))
			grep_col.cx = v;
		else if (!strcmp(t, "fn"))
			grep_col.fn = v;
		else if (!strcmp(t, "ln"))
			grep_col.ln = v;
		else if (!strcmp(t, "bn"))
			grep_col.bn = v;
		else if (!strcmp(t, "se"))
			grep_col.se = v;
	}
}

static void grep_usage(FILE *f)
{
	fputs(
	    "usage: vyrectl [-m MOUNT] grep [OPTION]... PATTERNS [FILE]...\n"
	    "       vyrectl [-m MOUNT] grep [OPTION]... (-e PATTERNS | -f FILE)... [FILE]...\n"
	    "\n"
	    "Prints the lines of each FILE that match PATTERNS, as GNU grep 3.8 does; each\n"
	    "FILE is scanned by an op=grep job of the vyrefs mount. No FILE, or -: standard\n"
	    "input (copied to a private file first; so are /proc and other pseudo files).\n"
	    "\n"
	    "Patterns:\n"
	    "  -G, --basic-regexp        PATTERNS are basic regular expressions (the default)\n"
	    "  -E, --extended-regexp     PATTERNS are extended regular expressions\n"
	    "  -F, --fixed-strings       PATTERNS are strings\n"
	    "  -P, --perl-regexp         refused: the GPU runs a DFA (exit 2)\n"
	    "  -e, --regexp PATTERNS     PATTERNS, one a line; may be repeated\n"
	    "  -f, --file FILE           patterns from FILE, one a line (- for stdin)\n"
	    "  -i, -y, --ignore-case     ignore case (in a UTF-8 locale, of every letter)\n"
	    "      --no-ignore-case      do not (the default)\n"
	    "  -w, --word-regexp         match only whole words\n"
	    "  -x, --line-regexp         match only whole lines\n"
	    "\n"
	    "Selection and output:\n"
	    "  -v, --invert-match        select the lines that do not match\n"
	    "  -m, --max-count NUM       stop after NUM selected lines in each FILE\n"
	    "  -c, --count               print the number of selected lines of each FILE\n"
	    "  -l, --files-with-matches  print only the names of FILEs with selected lines\n"
	    "  -L, --files-without-match print only the names of FILEs with none\n"
	    "  -q, --quiet, --silent     print nothing; exit 0 at the first selected line\n"
	    "  -s, --no-messages         no messages about missing or unreadable files\n"
	    "  -n, --line-number         prefix each line with its line number\n"
	    "  -b, --byte-offset         prefix each line with its byte offset\n"
	    "  -H, --with-filename       prefix each line with its FILE (the default for several)\n"
	    "  -h, --no-filename         no FILE prefixes\n"
	    "      --label LABEL         the name of standard input (default (standard input))\n"
	    "  -Z, --null                a NUL after each FILE name, not ':' or a newline\n"
	    "  -A, --after-context NUM   print NUM lines after each selected line\n"
	    "  -B, --before-context NUM  print NUM lines before each selected line\n"
	    "  -C, --context NUM, -NUM   print NUM lines before and after\n"
	    "      --group-separator SEP between groups of context (default --)\n"
	    "      --no-group-separator  no separator between groups\n"
	    "      --color[=WHEN]        colour matches, names, numbers: never, always or auto\n"
	    "                            (a terminal); GREP_COLORS as grep's\n"
	    "      --line-buffered       flush each line\n"
	    "  -o, --only-matching       print each match on a line of its own (found, in the\n"
	    "                            lines the GPU selected, by glibc's regex)\n"
	    "  -T, --initial-tab         a tab before each line's text; numbers padded as grep's\n"
	    "  -z, --null-data           refused (exit 2): the daemon's lines end at '\\n'\n"
	    "      --count-matches       print the number of matches (as -o prints them) of\n"
	    "                            each FILE, not of lines; with -v, of selected lines\n"
	    "      --count-per-pattern   print COUNT<TAB>PATTERN for each pattern in order:\n"
	    "                            the lines it selects (literal patterns: -F)\n"
	    "      --json                ripgrep's JSON Lines: begin, match, context, end per\n"
	    "                            FILE with a selected line, and a summary\n"
	    "      --pattern-index       with --json -F: each match's first pattern,\n"
	    "                            \"pattern\":INDEX (from 0, in -e/-f order)\n"
	    "\n"
	    "Files:\n"
	    "  -a, --text                print the lines of binary files too\n"
	    "  -I                        a binary file matches nothing\n"
	    "      --binary-files TYPE   binary (the default), text or without-match\n"
	    "  -r, --recursive           a directory FILE: every file below it, in one job\n"
	    "                            (symlinks below it are not followed); no FILE: .\n"
	    "  -R, --dereference-recursive  as -r, following symlinks\n"
	    "  -d, --directories ACTION  read (a directory is an error), skip or recurse\n"
	    "  -D, --devices ACTION      read (the default) or skip devices, FIFOs, sockets\n"
	    "      --include GLOB        only files whose name matches GLOB\n"
	    "      --exclude GLOB        skip files whose name matches GLOB\n"
	    "      --exclude-from FILE   skip files whose name matches a GLOB of FILE\n"
	    "      --exclude-dir GLOB    skip directories whose name matches GLOB\n"
	    "  -U, --binary              no effect, as on GNU/Linux\n"
	    "  -u, --unix-byte-offsets   no effect (obsolete in grep)\n"
	    "      --mount MOUNT         the vyrefs mount (default $VYRE_MOUNT, else /mnt/vyre)\n"
	    "      --slurm[=ARGS]        each FILE in ranges over a Slurm cluster (one sbatch\n"
	    "                            array, ARGS its options), MOUNT on every node\n"
	    "  -V, --version             the version\n"
	    "      --help                this help\n"
	    "\n"
	    "Exit status: 0 a line was selected, 1 none was, 2 an error (0 with -q when a line\n"
	    "was selected), 130 interrupted. See vyrectl(1) for what differs from grep.\n",
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

/* An option the daemon's answers cannot serve: refused with why, exit 2. */
static int grep_refuse(const char *opt, const char *why)
{
	fprintf(stderr, "vyrectl grep: %s is not supported: %s\n", opt, why);
	return GREP_ERROR;
}

enum {
	GREP_OPT_MOUNT = 0x100,
	GREP_OPT_HELP,
	GREP_OPT_LABEL,
	GREP_OPT_COLOR,
	GREP_OPT_INCLUDE,
	GREP_OPT_EXCLUDE,
	GREP_OPT_EXCLUDE_FROM,
	GREP_OPT_EXCLUDE_DIR,
	GREP_OPT_BINARY_FILES,
	GREP_OPT_LINE_BUFFERED,
	GREP_OPT_GROUP_SEP,
	GREP_OPT_NO_GROUP_SEP,
	GREP_OPT_NO_ICASE,
	GREP_OPT_JSON,
	GREP_OPT_COUNT_PER_PATTERN,
	GREP_OPT_PATTERN_INDEX,
	GREP_OPT_COUNT_MATCHES,
	GREP_OPT_SLURM,
};

static const struct option grep_longopts[] = {
    {"basic-regexp", no_argument, NULL, 'G'},
    {"extended-regexp", no_argument, NULL, 'E'},
    {"fixed-strings", no_argument, NULL, 'F'},
    {"fixed-regexp", no_argument, NULL, 'F'},
    {"perl-regexp", no_argument, NULL, 'P'},
    {"regexp", required_argument, NULL, 'e'},
    {"file", required_argument, NULL, 'f'},
    {"ignore-case", no_argument, NULL, 'i'},
    {"no-ignore-case", no_argument, NULL, GREP_OPT_NO_ICASE},
    {"word-regexp", no_argument, NULL, 'w'},
    {"line-regexp", no_argument, NULL, 'x'},
    {"null-data", no_argument, NULL, 'z'},
    {"no-messages", no_argument, NULL, 's'},
    {"invert-match", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, GREP_OPT_HELP},
    {"max-count", required_argument, NULL, 'm'},
    {"byte-offset", no_argument, NULL, 'b'},
    {"line-number", no_argument, NULL, 'n'},
    {"line-buffered", no_argument, NULL, GREP_OPT_LINE_BUFFERED},
    {"with-filename", no_argument, NULL, 'H'},
    {"no-filename", no_argument, NULL, 'h'},
    {"label", required_argument, NULL, GREP_OPT_LABEL},
    {"only-matching", no_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"silent", no_argument, NULL, 'q'},
    {"binary-files", required_argument, NULL, GREP_OPT_BINARY_FILES},
    {"text", no_argument, NULL, 'a'},
    {"directories", required_argument, NULL, 'd'},
    {"devices", required_argument, NULL, 'D'},
    {"recursive", no_argument, NULL, 'r'},
    {"dereference-recursive", no_argument, NULL, 'R'},
    {"include", required_argument, NULL, GREP_OPT_INCLUDE},
    {"exclude", required_argument, NULL, GREP_OPT_EXCLUDE},
    {"exclude-from", required_argument, NULL, GREP_OPT_EXCLUDE_FROM},
    {"exclude-dir", required_argument, NULL, GREP_OPT_EXCLUDE_DIR},
    {"files-without-match", no_argument, NULL, 'L'},
    {"files-with-matches", no_argument, NULL, 'l'},
    {"count", no_argument, NULL, 'c'},
    {"initial-tab", no_argument, NULL, 'T'},
    {"null", no_argument, NULL, 'Z'},
    {"before-context", required_argument, NULL, 'B'},
    {"after-context", required_argument, NULL, 'A'},
    {"context", required_argument, NULL, 'C'},
    {"group-separator", required_argument, NULL, GREP_OPT_GROUP_SEP},
    {"no-group-separator", no_argument, NULL, GREP_OPT_NO_GROUP_SEP},
    {"color", optional_argument, NULL, GREP_OPT_COLOR},
    {"colour", optional_argument, NULL, GREP_OPT_COLOR},
    {"binary", no_argument, NULL, 'U'},
    {"unix-byte-offsets", no_argument, NULL, 'u'},
    {"mount", required_argument, NULL, GREP_OPT_MOUNT},
    {"json", no_argument, NULL, GREP_OPT_JSON},
    {"count-per-pattern", no_argument, NULL, GREP_OPT_COUNT_PER_PATTERN},
    {"pattern-index", no_argument, NULL, GREP_OPT_PATTERN_INDEX},
    {"count-matches", no_argument, NULL, GREP_OPT_COUNT_MATCHES},
    {"slurm", optional_argument, NULL, GREP_OPT_SLURM},
    {0},
};

static int num_arg(const char *arg, const char *what, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(arg, &end, 10);
	if (errno == ERANGE) {
		*v = LLONG_MAX;
		errno = 0;
	}
	if (errno || end == arg || *end || *v < 0) {
		fprintf(stderr, "vyrectl grep: %s: invalid %s argument\n", arg, what);
		return -EINVAL;
	}
	return 0;
}

/* --exclude-from FILE: a GLOB a line. */
static int exclude_from(struct grep_opts *o, const char *name, struct buf *keep)
{
	int fd = open(name, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0) {
		fprintf(stderr, "vyrectl grep: %s: %s\n", name, strerror(errno));
		return -errno;
	}
	ret = buf_read_fd(keep, fd);
	close(fd);
	if (ret)
		return ret;
	for (char *p = keep->data; p && *p;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		if (*p) {
			const char **v = realloc(o->exclude, (o->nexclude + 1) * sizeof(*v));

			if (!v)
				return -ENOMEM;
			o->exclude = v;
			o->exclude[o->nexclude++] = p;
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	return 0;
}

static int glob_push(const char ***v, size_t *n, const char *g)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[(*n)++] = g;
	return 0;
}

int grep_parse(struct vyrectl *c, struct grep_opts *o, int argc, char *argv[], struct buf *keep)
{
	static char prog[] = "vyrectl grep";
	long long ctx = -1, after = -1, before = -1, digits = -1;
	int opt, prev_optind = 1, matcher = 0;
	bool digit_run = false;

	argv[0] = prog;
	optind = 0;
	while ((opt = getopt_long(argc, argv,
				  "0123456789A:B:C:D:EFGHILPRTUVZabcd:e:f:hilLm:noqRrsuvwxyz",
				  grep_longopts, NULL)) != -1) {
		long long v;

		/* -NUM is -C NUM: digits of one word run together */
		if (opt >= '0' && opt <= '9') {
			if (!digit_run || prev_optind != optind)
				digits = digit_run && prev_optind == optind ? digits : 0;
			digits = digits > LLONG_MAX / 10 ? LLONG_MAX : digits * 10 + (opt - '0');
			ctx = digits;
			digit_run = true;
			prev_optind = optind;
			continue;
		}
		digit_run = false;
		prev_optind = optind;
		switch (opt) {
		case 'A':
		case 'B':
		case 'C':
			if (num_arg(optarg, "context length", &v))
				return grep_usage_error(NULL, NULL);
			if (opt == 'A')
				after = v;
			else if (opt == 'B')
				before = v;
			else
				ctx = v;
			break;
		case 'D':
			if (strcmp(optarg, "read") && strcmp(optarg, "skip"))
				return grep_usage_error("%s", "unknown devices method");
			o->dev_skip = !strcmp(optarg, "skip");
			break;
		case 'd':
			if (!strcmp(optarg, "recurse"))
				o->recursive = true;
			else if (!strcmp(optarg, "skip"))
				o->dir_skip = true;
			else if (strcmp(optarg, "read")) {
				/* grep 3.8's argmatch exits 1 here, not 2 */
				grep_usage_error("invalid argument '%s' for '--directories'",
						 optarg);
				return GREP_NONE;
			}
			break;
		case 'E':
		case 'F':
		case 'G':
			/* grep 3.8 takes one matcher, named as often as one likes */
			if (matcher && matcher != opt)
				return grep_usage_error("%s", "conflicting matchers specified");
			matcher = opt;
			o->dialect = opt == 'E' ? GREP_ERE : opt == 'F' ? GREP_FIXED : GREP_BRE;
			break;
		case 'P':
			return grep_refuse("-P (Perl regular expressions)",
					   "the GPU runs a DFA over POSIX regular expressions; "
					   "use -E (lookaround and back-references have no DFA)");
		case 'o':
			o->only = true;
			break;
		case 'T':
			o->tab = true;
			break;
		case 'z':
			return grep_refuse("-z (--null-data)",
					   "the daemon's lines end at '\\n', not at NUL");
		case 'H':
			o->names = 1;
			break;
		case 'h':
			o->names = -1;
			break;
		case 'I':
			o->binary = GREP_BIN_SKIP;
			break;
		case 'a':
			o->binary = GREP_BIN_TEXT;
			break;
		case GREP_OPT_BINARY_FILES:
			if (!strcmp(optarg, "binary"))
				o->binary = GREP_BIN_BINARY;
			else if (!strcmp(optarg, "text"))
				o->binary = GREP_BIN_TEXT;
			else if (!strcmp(optarg, "without-match"))
				o->binary = GREP_BIN_SKIP;
			else
				return grep_usage_error("%s", "unknown binary-files type");
			break;
		case 'L':
			o->list = GREP_LIST_OTHERS;
			break;
		case 'l':
			o->list = GREP_LIST_MATCHING;
			break;
		case 'U':
		case 'u':
			break;
		case 'V':
			printf("vyrectl grep %s (GNU grep 3.8's options; see vyrectl(1))\n",
			       VYREFS_VERSION);
			return GREP_SELECTED;
		case 'Z':
			o->null = true;
			break;
		case 'b':
			o->byteoff = true;
			break;
		case 'c':
			o->count = true;
			break;
		case 'e':
		case 'f':
			o->srcs[o->nsrcs].arg = optarg;
			o->srcs[o->nsrcs++].file = opt == 'f';
			break;
		case 'i':
		case 'y':
			o->icase = true;
			break;
		case GREP_OPT_NO_ICASE:
			o->icase = false;
			break;
		case 'm': {
			char *end;

			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (errno == ERANGE)
				v = v < 0 ? -1 : LLONG_MAX;
			else if (errno || end == optarg || *end)
				return grep_usage_error("%s", "invalid max count");
			o->max = v < 0 ? -1 : v; /* grep takes a negative as no limit */
			break;
		}
		case 'n':
			o->lineno = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'R':
			o->follow = true;
			/* fallthrough */
		case 'r':
			o->recursive = true;
			break;
		case 's':
			o->silent = true;
			break;
		case 'v':
			o->invert = true;
			break;
		case 'w':
			o->word = true;
			break;
		case 'x':
			o->xline = true;
			break;
		case GREP_OPT_LABEL:
			o->label = optarg;
			break;
		case GREP_OPT_COLOR:
			if (!optarg || !strcmp(optarg, "auto") || !strcmp(optarg, "tty") ||
			    !strcmp(optarg, "if-tty")) {
				const char *t = getenv("TERM");

				/* grep's should_colorize */
				grep_color = isatty(STDOUT_FILENO) && t && strcmp(t, "dumb");
			} else if (!strcmp(optarg, "always") || !strcmp(optarg, "yes") ||
				   !strcmp(optarg, "force")) {
				grep_color = true;
			} else if (!strcmp(optarg, "never") || !strcmp(optarg, "no") ||
				   !strcmp(optarg, "none")) {
				grep_color = false;
			} else {
				return grep_usage_error("invalid argument '%s' for '--color'",
							optarg);
			}
			break;
		case GREP_OPT_INCLUDE:
			if (glob_push(&o->include, &o->ninclude, optarg))
				return GREP_ERROR;
			break;
		case GREP_OPT_EXCLUDE:
			if (glob_push(&o->exclude, &o->nexclude, optarg))
				return GREP_ERROR;
			break;
		case GREP_OPT_EXCLUDE_DIR:
			if (glob_push(&o->exclude_dir, &o->nexclude_dir, optarg))
				return GREP_ERROR;
			break;
		case GREP_OPT_EXCLUDE_FROM:
			if (exclude_from(o, optarg, keep))
				return GREP_ERROR;
			break;
		case GREP_OPT_LINE_BUFFERED:
			grep_line_buffered = true;
			break;
		case GREP_OPT_GROUP_SEP:
			grep_group_sep = optarg;
			break;
		case GREP_OPT_NO_GROUP_SEP:
			grep_group_sep = NULL;
			break;
		case GREP_OPT_MOUNT:
			c->mount = optarg;
			break;
		case GREP_OPT_JSON:
			o->json = true;
			break;
		case GREP_OPT_COUNT_MATCHES:
			o->count_matches = true;
			break;
		case GREP_OPT_COUNT_PER_PATTERN:
			o->count_per_pattern = true;
			break;
		case GREP_OPT_PATTERN_INDEX:
			o->pattern_index = true;
			break;
		case GREP_OPT_SLURM: /* vyrectl_slurm_grep.c */
			o->slurm = true;
			o->slurm_args = optarg;
			break;
		case GREP_OPT_HELP:
			grep_usage(stdout);
			return GREP_SELECTED;
		default:
			return grep_usage_error(NULL, NULL);
		}
	}
	/* as ripgrep: JSON messages are lines; counts and file lists have none */
	if (o->json && (o->count || o->count_matches || o->list != GREP_LIST_NONE))
		return grep_usage_error("%s", "--json cannot be used with -c, --count-matches, -l "
					      "or -L (their output is not lines)");
	/* per_pattern=1 counts every selected line of one file (fs/descriptor.c) */
	if (o->count_per_pattern &&
	    (o->count || o->count_matches || o->json || o->list != GREP_LIST_NONE || o->quiet ||
	     o->invert || o->only || o->recursive || o->max >= 0))
		return grep_usage_error("%s", "--count-per-pattern cannot be used with -c, "
					      "--count-matches, --json, -l, -L, -q, -v, -o, -r or -m");
	/* ripgrep's messages stay ripgrep's unless the index is asked for */
	if (o->pattern_index && (!o->json || o->invert || o->recursive || o->max >= 0))
		return grep_usage_error("%s", "--pattern-index needs --json, and cannot be used "
					      "with -v, -r or -m");
	o->after = after >= 0 ? after : ctx > 0 ? ctx : 0;
	o->before = before >= 0 ? before : ctx > 0 ? ctx : 0;
	o->context = after >= 0 || before >= 0 || ctx >= 0;
	if (!o->nsrcs) {
		if (optind == argc)
			return grep_usage_error(NULL, NULL);
		o->srcs[o->nsrcs].arg = argv[optind++];
		o->srcs[o->nsrcs++].file = false;
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	if (!o->nfiles) {
		/* grep -r with no FILE searches ".", naming what it finds without "./" */
		static char dot[] = ".", dash[] = "-";
		static char *one[1];

		one[0] = o->recursive ? dot : dash;
		o->no_operand = o->recursive;
		o->files = one;
		o->nfiles = 1;
	}
	return -1;
}
