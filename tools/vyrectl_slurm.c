// SPDX-License-Identifier: MIT
/*
 * vyrectl_slurm.c - One scan over many hosts through Slurm: the shared run
 * directory, one sbatch --array for every shard, the wait, one retry of
 * the shards whose task left no result (the task itself, on each node, is
 * vyrectl_slurm_task.c).
 *
 * Slurm is driven through its commands (sbatch, squeue, scancel, sinfo),
 * as a user would: no library, no accounting database (sacct needs
 * slurmdbd, which small clusters often lack). A task's only output is its
 * part.K directory, renamed into place when complete, so the head node
 * trusts a part that exists and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vyrectl_slurm.h"

/* ---- running Slurm's commands ------------------------------------------ */

/*
 * Runs argv (PATH searched), its stdout and stderr into *out when out is
 * given. Returns its exit status (0-255), or -errno when it did not run.
 */
static int cmd_run(char *const argv[], struct buf *out)
{
	int pfd[2] = {-1, -1}, status, ret = 0;
	pid_t pid;

	if (out && pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out_close;
	}
	if (pid == 0) {
		if (out && (dup2(pfd[1], STDOUT_FILENO) < 0 || dup2(pfd[1], STDERR_FILENO) < 0))
			_exit(127);
		signal(SIGINT, SIG_IGN); /* Ctrl-C is ours to act on: scancel, not a half sbatch */
		execvp(argv[0], argv);
		_exit(127);
	}
	if (out) {
		close(pfd[1]);
		pfd[1] = -1;
		ret = buf_read_fd(out, pfd[0]);
		if (ret == -EINTR)
			ret = buf_read_fd(out, pfd[0]);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			goto out_close;
		}
	}
	if (!ret)
		ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out_close:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	return ret;
}

static int nap(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
	return vyrectl_interrupted ? -EINTR : 0;
}

static void on_sigint(int sig)
{
	(void)sig;
	vyrectl_interrupted = 1;
}

/* ---- the run directory -------------------------------------------------- */

int slurm_run_path(const struct slurm_run *r, char out[PATH_MAX], const char *fmt, ...)
{
	char rel[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	n = snprintf(out, PATH_MAX, "%s/%s", r->dir, rel);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int slurm_file_put(const char *path, const char *s, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), ret = 0;
	ssize_t w;

	if (fd < 0)
		return -errno;
	while (n && !ret) {
		w = write(fd, s, n);
		if (w < 0 && errno != EINTR)
			ret = -errno;
		if (w > 0) {
			s += w;
			n -= (size_t)w;
		}
	}
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

int slurm_file_get(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = buf_read_fd(b, fd);
	close(fd);
	return ret;
}

/*
 * RUN is made in the current directory, as sbatch writes slurm-%j.out
 * there: a cluster's submit directory is on the shared filesystem. Or in
 * $VYRECTL_SLURM_DIR, which must be shared too.
 */
int slurm_open(struct slurm_run *r, const struct vyrectl *c, const char *sbatch_args)
{
	const char *base = getenv("VYRECTL_SLURM_DIR");
	char path[PATH_MAX], cwd[PATH_MAX];
	int n, ret;

	*r = (struct slurm_run){.c = c, .sbatch_args = sbatch_args};
	if (!base || !*base) {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		base = cwd;
	}
	n = snprintf(r->dir, sizeof(r->dir), "%s/.vyrectl-slurm.XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof(r->dir))
		return -ENAMETOOLONG;
	if (!mkdtemp(r->dir)) {
		ret = -errno;
		fprintf(stderr,
			"vyrectl: %s: %s (--slurm needs a directory every node sees: "
			"run it from the shared filesystem or set VYRECTL_SLURM_DIR)\n",
			r->dir, strerror(-ret));
		r->dir[0] = '\0';
		return ret;
	}
	/* the tasks run as the user too; 0700 keeps other users out */
	ret = slurm_run_path(r, path, "mount");
	if (!ret)
		ret = slurm_file_put(path, c->mount, strlen(c->mount));
	if (ret)
		fprintf(stderr, "vyrectl: %s: %s\n", path, strerror(-ret));
	return ret;
}

/* Shard K's descriptor lines; K is the number of shards added before it. */
int slurm_shard_add(struct slurm_run *r, const struct buf *lines)
{
	char path[PATH_MAX];
	int ret = slurm_run_path(r, path, "shard.%zu", r->nshards);

	if (!ret)
		ret = slurm_file_put(path, lines->data, lines->len);
	if (ret) {
		fprintf(stderr, "vyrectl: %s: %s\n", path, strerror(-ret));
		return ret;
	}
	r->nshards++;
	return 0;
}

/* RUN/name holding b; *path (when given) gets its absolute path. */
int slurm_file_add(struct slurm_run *r, const char *name, const struct buf *b, struct buf *path)
{
	char dst[PATH_MAX];
	int ret = slurm_run_path(r, dst, "%s", name);

	if (!ret)
		ret = slurm_file_put(dst, b->data ? b->data : "", b->len);
	if (!ret && path)
		ret = buf_puts(path, dst);
	if (ret)
		fprintf(stderr, "vyrectl: %s: %s\n", dst, strerror(-ret));
	return ret;
}

/* A file the nodes must read (a -f patterns file): copied into RUN; *path is the copy. */
int slurm_shared_copy(struct slurm_run *r, const char *src, const char *name, struct buf *path)
{
	struct buf b = {0};
	int ret = slurm_file_get(src, &b);

	if (ret)
		fprintf(stderr, "vyrectl: %s: %s\n", src, strerror(-ret));
	else
		ret = slurm_file_add(r, name, &b, path);
	buf_free(&b);
	return ret;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Removes RUN, or with keep says where it stays (a shard failed: its logs are the evidence). */
void slurm_close(struct slurm_run *r, bool keep)
{
	if (!r->dir[0])
		return;
	if (keep)
		fprintf(stderr, "vyrectl: kept %s (the shards, their results and Slurm's logs)\n",
			r->dir);
	else
		nftw(r->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	r->dir[0] = '\0';
}

/* ---- submitting and waiting --------------------------------------------- */

/* 'it'\''s': one word for sh, whatever the bytes. */
static int sh_quote(struct buf *b, const char *s)
{
	int ret = buf_puts(b, "'");

	for (; *s && !ret; s++)
		ret = *s == '\'' ? buf_puts(b, "'\\''") : buf_put(b, s, 1);
	return ret ? ret : buf_puts(b, "'");
}

/* The batch script every task runs: this vyrectl, on the node, over RUN. */
static int script_write(struct slurm_run *r, char path[PATH_MAX])
{
	char self[PATH_MAX];
	struct buf b = {0};
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int ret;

	if (n < 0)
		return -errno;
	self[n] = '\0';
	ret = slurm_run_path(r, path, "task.sh");
	if (!ret)
		ret = buf_puts(&b, "#!/bin/sh\n# vyrectl --slurm: one shard on this node\nexec ");
	if (!ret)
		ret = sh_quote(&b, self);
	if (!ret)
		ret = buf_puts(&b, " slurm-task ");
	if (!ret)
		ret = sh_quote(&b, r->dir);
	if (!ret)
		ret = buf_puts(&b, "\n");
	if (!ret)
		ret = slurm_file_put(path, b.data, b.len);
	if (!ret && chmod(path, 0700) < 0)
		ret = -errno;
	buf_free(&b);
	return ret;
}

/* Does any node offer a GPU gres? Then each task asks for one. */
static bool gres_gpu(void)
{
	char *argv[] = {"sinfo", "-h", "-o", "%G", NULL};
	struct buf out = {0};
	bool gpu = cmd_run(argv, &out) == 0 && out.data && strstr(out.data, "gpu");

	buf_free(&out);
	return gpu;
}

static bool part_exists(const struct slurm_run *r, size_t k)
{
	char path[PATH_MAX];

	return !slurm_run_path(r, path, "part.%zu", k) && access(path, F_OK) == 0;
}

/*
 * sbatch --array=LIST: one job, one task per shard in LIST. --requeue lets
 * Slurm itself put back a task whose node failed or was pre-empted;
 * --parsable makes the answer just the id.
 */
static int array_submit(struct slurm_run *r, const char *list, const char *script, bool gpu,
			char id[32])
{
	char outp[PATH_MAX + 16];
	char *argv[96];
	struct buf args = {0}, out = {0}, arrlist = {0};
	int argc = 0, ret;

	argv[argc++] = "sbatch";
	argv[argc++] = "--parsable";
	argv[argc++] = "--requeue";
	argv[argc++] = "--job-name=vyrectl";
	if (gpu)
		argv[argc++] = "--gres=gpu:1";
	if (snprintf(outp, sizeof(outp), "--output=%s/task.%%A.%%a.log", r->dir) >=
	    (int)sizeof(outp))
		return -ENAMETOOLONG;
	argv[argc++] = outp;
	ret = buf_puts(&arrlist, "--array=");
	if (!ret)
		ret = buf_puts(&arrlist, list);
	if (ret)
		goto out_free;
	argv[argc++] = arrlist.data;
	/* the user's options last: they may override ours (--output, --job-name) */
	if (r->sbatch_args) {
		ret = buf_puts(&args, r->sbatch_args);
		if (ret)
			goto out_free;
		for (char *t = strtok(args.data, " \t\n"); t && argc < 94;
		     t = strtok(NULL, " \t\n"))
			argv[argc++] = t;
	}
	argv[argc++] = (char *)script;
	argv[argc] = NULL;
	ret = cmd_run(argv, &out);
	if (ret < 0) {
		fprintf(stderr,
			"vyrectl: sbatch: %s (is Slurm installed here? --slurm runs "
			"sbatch, squeue and scancel)\n",
			strerror(-ret));
		goto out_free;
	}
	if (ret) {
		fprintf(stderr, "vyrectl: sbatch refused the array: %s",
			out.data ? out.data : "\n");
		ret = -EIO;
		goto out_free;
	}
	/* "123" or "123;cluster" */
	snprintf(id, 32, "%.*s", (int)strcspn(out.data ? out.data : "", ";\n"),
		 out.data ? out.data : "");
	if (!id[0] || strspn(id, "0123456789") != strlen(id)) {
		fprintf(stderr, "vyrectl: sbatch answered \"%s\", not a job id\n", id);
		ret = -EPROTO;
	}
out_free:
	buf_free(&args);
	buf_free(&out);
	buf_free(&arrlist);
	return ret;
}

/*
 * Until no task of job ID is pending, running or being requeued: squeue's
 * default states. A controller that does not answer for a minute ends
 * the wait; the parts then say what is missing.
 */
static int array_wait(const char *id)
{
	char *argv[] = {"squeue", "-h", "-r", "-j", (char *)id, "-o", "%i %T", NULL};
	unsigned int failing = 0;
	int ret;

	for (;;) {
		struct buf out = {0};

		ret = cmd_run(argv, &out);
		if (ret == 0 && (!out.data || !out.len)) {
			buf_free(&out);
			return 0;
		}
		/* purged already (MinJobAge passed): ended */
		if (ret > 0 && out.data && strstr(out.data, "Invalid job id")) {
			buf_free(&out);
			return 0;
		}
		if (ret != 0 && ++failing * SLURM_POLL_MS > 60000) {
			fprintf(stderr, "vyrectl: squeue -j %s: %s", id,
				out.data ? out.data : "failed\n");
			buf_free(&out);
			return -EIO;
		}
		if (ret == 0)
			failing = 0;
		buf_free(&out);
		ret = nap(SLURM_POLL_MS);
		if (ret) {
			char *cancel[] = {"scancel", (char *)id, NULL};

			cmd_run(cancel, NULL);
			return ret;
		}
	}
}

/* "3,7,12": the shards with no part yet; empty when all came back. */
static int missing_list(const struct slurm_run *r, struct buf *list)
{
	char num[24];
	int ret = buf_puts(list, "");

	for (size_t k = 0; k < r->nshards && !ret; k++) {
		if (part_exists(r, k))
			continue;
		snprintf(num, sizeof(num), "%s%zu", list->len ? "," : "", k);
		ret = buf_puts(list, num);
	}
	return ret;
}

/*
 * Submits every shard as one array and waits for it; a task that left no
 * part (killed, cancelled, out of time, its node gone) gets one more try
 * in a second array. Returns 0 when the waiting ended (the parts say what
 * came back), -EINTR on Ctrl-C (the arrays cancelled), or -errno when
 * Slurm could not be asked.
 */
int slurm_submit_wait(struct slurm_run *r)
{
	struct sigaction sa = {.sa_handler = on_sigint}, old;
	char script[PATH_MAX], list[48], id[32];
	struct buf retry = {0};
	bool gpu = gres_gpu();
	int ret;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, &old) < 0)
		return -errno;
	ret = script_write(r, script);
	if (ret) {
		fprintf(stderr, "vyrectl: %s/task.sh: %s\n", r->dir, strerror(-ret));
		goto out;
	}
	snprintf(list, sizeof(list), "0-%zu", r->nshards - 1);
	ret = array_submit(r, list, script, gpu, id);
	if (ret)
		goto out;
	snprintf(r->jobid, sizeof(r->jobid), "%s", id);
	if (getenv("VYRECTL_SLURM_VERBOSE"))
		fprintf(stderr, "vyrectl: job %s: %zu shard(s) in %s\n", id, r->nshards, r->dir);
	ret = array_wait(id);
	if (ret)
		goto out;
	ret = missing_list(r, &retry);
	if (ret || !retry.len)
		goto out;
	fprintf(stderr, "vyrectl: job %s: shard(s) %s left no result; trying them once more\n", id,
		retry.data);
	ret = array_submit(r, retry.data, script, gpu, id);
	if (!ret)
		ret = array_wait(id);
out:
	buf_free(&retry);
	sigaction(SIGINT, &old, NULL);
	return ret;
}

/* ---- reading the parts back --------------------------------------------- */

int slurm_part_get(const struct slurm_run *r, size_t k, struct slurm_part *p)
{
	char path[PATH_MAX];
	struct buf b = {0};
	int ret;

	*p = (struct slurm_part){0};
	p->present = part_exists(r, k);
	if (!p->present)
		return 0;
	ret = slurm_run_path(r, path, "part.%zu/node", k);
	if (!ret && !slurm_file_get(path, &b) && b.data)
		snprintf(p->node, sizeof(p->node), "%.*s", (int)strcspn(b.data, "\n"), b.data);
	buf_free(&b);
	if (!ret)
		ret = slurm_run_path(r, path, "part.%zu/error", k);
	if (!ret && !slurm_file_get(path, &b) && b.data)
		snprintf(p->error, sizeof(p->error), "%.*s", (int)strcspn(b.data, "\n"), b.data);
	buf_free(&b);
	return ret;
}

/* part.K/J.file whole; -ENOENT when the job wrote no such file. */
int slurm_part_read(const struct slurm_run *r, size_t k, size_t j, const char *file, struct buf *b)
{
	char path[PATH_MAX];
	int ret = slurm_run_path(r, path, "part.%zu/%zu.%s", k, j, file);

	return ret ? ret : slurm_file_get(path, b);
}

static void str_fit(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* state= and error= of part.K/J.status (README.md "Files"). */
int slurm_job_state(const struct slurm_run *r, size_t k, size_t j, struct job_status *st)
{
	struct buf b = {0};
	int ret = slurm_part_read(r, k, j, "status", &b);
	const char *end;

	*st = (struct job_status){0};
	if (ret)
		return ret;
	end = b.data + b.len;
	for (const char *line = b.data; line && line < end;) {
		size_t klen = strcspn(line, "=\n");
		char val[512];
		const char *key = line;

		if (line[klen] != '=') {
			line += klen + (line[klen] ? 1 : 0);
			continue;
		}
		line += klen + 1;
		line += kv_unquote_len(line, (size_t)(end - line), val, sizeof(val));
		if (klen == 5 && !memcmp(key, "state", 5))
			str_fit(st->state, sizeof(st->state), val);
		else if (klen == 5 && !memcmp(key, "error", 5))
			str_fit(st->error, sizeof(st->error), val);
		line += line < end;
	}
	buf_free(&b);
	return st->state[0] ? 0 : -EPROTO;
}
