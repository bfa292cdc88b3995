// SPDX-License-Identifier: MIT
/*
 * vyrectl - submit and follow vyrefs jobs through the mount's files only.
 *
 *   vyrectl [-m MOUNT] scan PATH --op OP [--byte N] [--pattern P] [--offset N]
 *           [--length N] [--chunk SIZE] [--tenant T] [--direct] [--wait]
 *   vyrectl [-m MOUNT] status [ID]
 *   vyrectl [-m MOUNT] wait ID
 *   vyrectl [-m MOUNT] cancel ID
 *   vyrectl [-m MOUNT] cache [drop]                             (vyrectl_cache.c)
 *   vyrectl [-m MOUNT] grep [GREP OPTIONS] PATTERNS [FILE...]   (vyrectl_grep.c)
 *
 * It does what a script does with "exec 3<>ctl", cat and echo, and no more:
 * the daemon parses and checks every value and says what is wrong, so
 * vyrectl checks only what would change the shape of the line (a blank in
 * a value would start another token, a newline another job) and passes the
 * daemon's "error: ..." through as it is.
 *
 * Functions that touch the mount report their own failures on stderr
 * (naming the file and, where it helps, the fix) and return -errno; the
 * commands turn that into the exit status of vyrectl(1).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vyre_ops.h"
#include "vyrectl.h"

#define VYRECTL_MOUNT_DEFAULT "/mnt/vyre"

/*
 * The op names of this build, from the one op table (abi/vyre_ops.h, a
 * header only: vyrectl links nothing of pump/): --help and "vyrectl ops"
 * print them, the bash completion asks "vyrectl ops" when no mount answers.
 */
#define VYRECTL_OP_NAME(name, NAME, code, opclass, flags) #name,
static const char *const vyrectl_ops[] = {VYRE_OPS(VYRECTL_OP_NAME)};

const char *const scan_keys[] = {
    [SCAN_OP] = "op",	      [SCAN_BYTE] = "byte",   [SCAN_OFFSET] = "offset",
    [SCAN_LENGTH] = "length", [SCAN_CHUNK] = "chunk", [SCAN_TENANT] = "tenant",
};
_Static_assert(sizeof(scan_keys) / sizeof(scan_keys[0]) == SCAN_KEY_COUNT,
	       "scan_keys[] needs one row per SCAN_*");

/* getopt values of scan's long-only options; a SCAN_* key is SCAN_OPT_KEY + key. */
enum {
	SCAN_OPT_PATTERN = 0x100,
	SCAN_OPT_DIRECT,
	SCAN_OPT_WAIT,
	SCAN_OPT_SLURM,
	SCAN_OPT_KEY,
};

/* One row per command: main parses its options, checks its arguments, runs it. */
struct vyrectl_cmd {
	const char *name;
	int min_args;
	int max_args;
	bool job_id;		       /* args[0], when given, is a job id */
	const struct option *longopts; /* NULL: only the common ones */
	int (*opt)(struct vyrectl *c, int opt, const char *val); /* 0 or -EINVAL */
	int (*run)(struct vyrectl *c);				 /* an exit status */
	/* a command with a command line of its own (grep's): parses and runs it */
	int (*main)(struct vyrectl *c, int argc, char *argv[]);
	bool hidden; /* run by vyrectl itself (slurm-task): not offered to users */
};

/* "scan path=... op=... [key=value ...]\n", one line, one job. */
static int desc_build(const struct vyrectl *c, struct buf *line)
{
	int ret = buf_puts(line, "scan path=");

	if (!ret)
		ret = put_path(line, c->args[0]);
	for (int k = 0; k < SCAN_KEY_COUNT && !ret; k++) {
		if (!c->val[k])
			continue;
		ret = buf_puts(line, " ");
		if (!ret)
			ret = buf_puts(line, scan_keys[k]);
		if (!ret)
			ret = buf_puts(line, "=");
		if (!ret)
			ret = buf_puts(line, c->val[k]);
	}
	if (!ret && c->pattern) {
		ret = buf_puts(line, " pattern=");
		if (!ret)
			ret = put_quoted(line, c->pattern, true);
	}
	if (!ret && c->direct)
		ret = buf_puts(line, " direct=1");
	return ret ? ret : buf_puts(line, "\n");
}

/* ---- commands ----------------------------------------------------------- */

/* A value is one token: a blank would start another token, a newline another job. */
static int scan_value_check(int key, const char *val)
{
	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		if (*p > ' ' && *p != 0x7f)
			continue;
		fprintf(stderr, "vyrectl: --%s: a value cannot hold blanks or control characters\n",
			scan_keys[key]);
		return -EINVAL;
	}
	return 0;
}

static int scan_opt(struct vyrectl *c, int opt, const char *val)
{
	switch (opt) {
	case SCAN_OPT_PATTERN:
		c->pattern = val;
		return 0;
	case SCAN_OPT_DIRECT:
		c->direct = true;
		return 0;
	case SCAN_OPT_WAIT:
		c->wait = true;
		return 0;
	case SCAN_OPT_SLURM:
		c->slurm_on = true;
		c->slurm = val;
		return 0;
	}
	if (opt < SCAN_OPT_KEY || opt >= SCAN_OPT_KEY + SCAN_KEY_COUNT)
		return -EINVAL;
	c->val[opt - SCAN_OPT_KEY] = val;
	return scan_value_check(opt - SCAN_OPT_KEY, val);
}

static int cmd_scan(struct vyrectl *c)
{
	struct buf line = {0};
	char id[VYRECTL_ID_MAX + 1];
	int ret;

	if (c->slurm_on)
		return slurm_scan(c);
	ret = desc_build(c, &line);
	if (ret) {
		fprintf(stderr, "vyrectl: %s: %s\n", c->args[0], strerror(-ret));
		goto out_free;
	}
	ret = ctl_submit_id(c, &line, id);
	if (!ret && !c->wait)
		printf("%s\n", id);
out_free:
	buf_free(&line);
	if (ret)
		return VYRECTL_FAILED;
	return c->wait ? job_finish(c, id) : VYRECTL_OK;
}

static int cmd_status(struct vyrectl *c)
{
	char rel[VYRECTL_REL_MAX] = "status";

	if (c->nargs)
		job_rel(c->args[0], "status", rel);
	return mount_cat(c, rel) ? VYRECTL_FAILED : VYRECTL_OK;
}

static int cmd_wait(struct vyrectl *c)
{
	return job_finish(c, c->args[0]);
}

static int cmd_cancel(struct vyrectl *c)
{
	char rel[VYRECTL_REL_MAX];

	job_rel(c->args[0], "ctl", rel);
	return mount_write(c, rel, "cancel\n") ? VYRECTL_FAILED : VYRECTL_OK;
}

/* The ops this vyrectl knows, one a line (the mount's ops file says what its daemon runs). */
static int cmd_ops(struct vyrectl *c)
{
	(void)c;
	for (size_t i = 0; i < sizeof(vyrectl_ops) / sizeof(vyrectl_ops[0]); i++)
		puts(vyrectl_ops[i]);
	return VYRECTL_OK;
}

/* ---- the command line --------------------------------------------------- */

static const struct option scan_longopts[] = {
    {"op", required_argument, NULL, SCAN_OPT_KEY + SCAN_OP},
    {"byte", required_argument, NULL, SCAN_OPT_KEY + SCAN_BYTE},
    {"offset", required_argument, NULL, SCAN_OPT_KEY + SCAN_OFFSET},
    {"length", required_argument, NULL, SCAN_OPT_KEY + SCAN_LENGTH},
    {"chunk", required_argument, NULL, SCAN_OPT_KEY + SCAN_CHUNK},
    {"tenant", required_argument, NULL, SCAN_OPT_KEY + SCAN_TENANT},
    {"pattern", required_argument, NULL, SCAN_OPT_PATTERN},
    {"direct", no_argument, NULL, SCAN_OPT_DIRECT},
    {"wait", no_argument, NULL, SCAN_OPT_WAIT},
    {"slurm", optional_argument, NULL, SCAN_OPT_SLURM},
    {"mount", required_argument, NULL, 'm'},
    {"help", no_argument, NULL, 'h'},
    {0},
};

/* status, wait, cancel, cache and the other commands without options of their own */
static const struct option common_longopts[] = {
    {"mount", required_argument, NULL, 'm'},
    {"help", no_argument, NULL, 'h'},
    {0},
};

static const struct option global_longopts[] = {
    {"mount", required_argument, NULL, 'm'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {0},
};

static const struct vyrectl_cmd vyrectl_cmds[] = {
    {.name = "scan",
     .min_args = 1,
     .max_args = 1,
     .longopts = scan_longopts,
     .opt = scan_opt,
     .run = cmd_scan},
    {.name = "status", .min_args = 0, .max_args = 1, .job_id = true, .run = cmd_status},
    {.name = "wait", .min_args = 1, .max_args = 1, .job_id = true, .run = cmd_wait},
    {.name = "cancel", .min_args = 1, .max_args = 1, .job_id = true, .run = cmd_cancel},
    {.name = "cache", .min_args = 0, .max_args = 1, .run = cmd_cache},
    {.name = "grep", .main = grep_main},
    {.name = "replay", .min_args = 1, .max_args = 1, .run = cmd_replay},
    {.name = "slurm-task", .main = slurm_task_main, .hidden = true},
    {.name = "ops", .run = cmd_ops},
};

/* Prints the op names as "a, b or c". */
static void usage_ops(FILE *f)
{
	size_t n = sizeof(vyrectl_ops) / sizeof(vyrectl_ops[0]);

	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", vyrectl_ops[i]);
}

/* Prints the names of the commands users run as "a, b or c", in the table's order. */
static void usage_cmds(FILE *f)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < sizeof(vyrectl_cmds) / sizeof(vyrectl_cmds[0]); i++)
		n += !vyrectl_cmds[i].hidden;
	for (size_t i = 0; i < sizeof(vyrectl_cmds) / sizeof(vyrectl_cmds[0]); i++) {
		if (vyrectl_cmds[i].hidden)
			continue;
		fprintf(f, "%s%s", k == 0 ? "" : k + 1 == n ? " or " : ", ", vyrectl_cmds[i].name);
		k++;
	}
}

static void usage(FILE *f, const char *mount)
{
	fputs("usage: vyrectl [-m MOUNT] COMMAND [ARGS]\n"
	      "\n"
	      "Submits and follows vyrefs scan jobs through the files of a mounted vyrefs.\n"
	      "\n"
	      "commands:\n"
	      "  scan PATH --op OP [options]  submit a job; print its id (with --wait, its result)\n"
	      "      --op OP        ", f);
	usage_ops(f);
	fprintf(
	    f,
	    " (see MOUNT/ops)\n"
	    "      --byte N       count's byte, decimal or 0xHH (default 0x0a)\n"
	    "      --pattern P    match's 1-256 bytes, taken literally; grep's ERE\n"
	    "      --offset N     where the range starts (K M G suffixes; default 0)\n"
	    "      --length N     bytes to scan (default: to EOF)\n"
	    "      --chunk SIZE   bytes per ring slot, a power of two from 4K\n"
	    "      --tenant T     an accounting label (default: your uid)\n"
	    "      --direct       O_DIRECT reads\n"
	    "      --wait         wait for the job and print its result\n"
	    "      --slurm[=ARGS] run it over a Slurm cluster, one sbatch array, each node's\n"
	    "                     vyrefs at MOUNT; merge and print as --wait (vyrectl(1))\n"
	    "  status [ID]        the global status, or job ID's (key=value lines, for eval)\n"
	    "  wait ID            wait for job ID and print its result\n"
	    "  cancel ID          cancel job ID\n"
	    "  cache [drop]       the file cache (-o cache=) as key=value lines: capacity,\n"
	    "                     bytes, hits, misses, evictions, hit ratio (not root: your\n"
	    "                     own hits and misses, 0 bytes and evictions); drop: empty\n"
	    "                     it (root only)\n"
	    "  grep [OPTIONS] PATTERNS [FILE...]\n"
	    "                     print the lines that match, as GNU grep does, each FILE\n"
	    "                     scanned by an op=grep job (vyrectl grep --help)\n"
	    "  replay TRACE       run a job's traced slots (MOUNT/jobs/N/trace) again on\n"
	    "                     MOUNT's device; exit 1 if any slot's result differs\n"
	    "  ops                the ops this vyrectl knows, one a line\n"
	    "ID is a job number as scan printed it, or latest.\n"
	    "\n"
	    "options:\n"
	    "  -m, --mount MOUNT  the vyrefs mount (default $VYRE_MOUNT, else %s; now %s)\n"
	    "  -h, --help         this help\n"
	    "  -V, --version      the version\n"
	    "\n"
	    "Exit status: 0 done, 1 the job failed or was cancelled or the daemon refused,\n"
	    "2 a bad command line, 130 interrupted (the job goes on); grep exits as grep does.\n"
	    "See vyrectl(1).\n",
	    VYRECTL_MOUNT_DEFAULT, mount);
}

static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fputs("vyrectl: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fputs("Try 'vyrectl --help'.\n", stderr);
	return VYRECTL_USAGE;
}

static const struct vyrectl_cmd *cmd_find(const char *name)
{
	for (size_t i = 0; i < sizeof(vyrectl_cmds) / sizeof(vyrectl_cmds[0]); i++)
		if (!strcmp(vyrectl_cmds[i].name, name))
			return &vyrectl_cmds[i];
	return NULL;
}

/*
 * The command's options and arguments; getopt permutes, so options may
 * follow PATH. Returns -1 to go on and run it, else the exit status.
 */
static int cmd_parse(struct vyrectl *c, const struct vyrectl_cmd *cmd, int argc, char *argv[])
{
	static char prog[32];
	const struct option *longopts = cmd->longopts ? cmd->longopts : common_longopts;
	int opt;

	/* getopt's messages name argv[0]: "vyrectl scan: unrecognized option" */
	snprintf(prog, sizeof(prog), "vyrectl %s", cmd->name);
	argv[0] = prog;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
		if (opt == 'm') {
			c->mount = optarg;
		} else if (opt == 'h') {
			usage(stdout, c->mount);
			return VYRECTL_OK;
		} else if (opt == '?' || !cmd->opt || cmd->opt(c, opt, optarg)) {
			/* getopt or the option's check said what is wrong */
			return usage_error(NULL);
		}
	}
	for (; optind < argc; optind++) {
		if (c->nargs == cmd->max_args)
			return usage_error("%s: one argument too many", argv[optind]);
		c->args[c->nargs++] = argv[optind];
	}
	if (c->nargs < cmd->min_args)
		return usage_error("%s: missing argument", cmd->name);
	if (cmd->job_id && c->nargs && job_id_check(c->args[0]))
		return usage_error("%s: not a job id (a number as scan printed it, or latest)",
				   c->args[0]);
	return -1;
}

int main(int argc, char *argv[])
{
	const char *env = getenv("VYRE_MOUNT");
	struct vyrectl c = {
	    .mount = env && *env ? env : VYRECTL_MOUNT_DEFAULT,
	    .progress = isatty(STDERR_FILENO),
	};
	const struct vyrectl_cmd *cmd;
	int opt, ret;

	/* "+": stop at the command, whose own options follow it */
	while ((opt = getopt_long(argc, argv, "+m:hV", global_longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			c.mount = optarg;
			break;
		case 'h':
			usage(stdout, c.mount);
			return VYRECTL_OK;
		case 'V':
			printf("vyrectl %s\n", VYREFS_VERSION);
			return VYRECTL_OK;
		default:
			return usage_error(NULL);
		}
	}
	if (optind == argc) {
		usage(stderr, c.mount);
		return VYRECTL_USAGE;
	}
	cmd = cmd_find(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "vyrectl: %s: unknown command (", argv[optind]);
		usage_cmds(stderr);
		fputs(")\n", stderr);
		return usage_error(NULL);
	}
	if (cmd->main) /* it flushes standard output itself */
		return cmd->main(&c, argc - optind, argv + optind);
	ret = cmd_parse(&c, cmd, argc - optind, argv + optind);
	if (ret < 0)
		ret = cmd->run(&c);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "vyrectl: standard output: %s\n", strerror(errno));
		return VYRECTL_FAILED;
	}
	return ret;
}
