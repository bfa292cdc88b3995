// SPDX-License-Identifier: MIT
/*
 * vyrectl_slurm_task.c - the task sbatch runs on each node (vyrectl -m
 * MOUNT slurm-task RUN): its shard's descriptors through that node's
 * mount, the jobs' files copied into part.K, renamed into place only when
 * complete, so the head node (vyrectl_slurm.c) trusts a part that exists.
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

/* Job files a task copies back, per descriptor; "status" must be first (it says the job ended). */
static const char *const part_files[] = {"status", "result", "lines", "files", "failed"};

/* ---- the task, on its node ---------------------------------------------- */

/* tmp/J.name, or tmp/name for J = SIZE_MAX. */
static int sub_path(char out[PATH_MAX], const char *tmp, size_t j, const char *name)
{
	int n = j == SIZE_MAX ? snprintf(out, PATH_MAX, "%s/%s", tmp, name)
			      : snprintf(out, PATH_MAX, "%s/%zu.%s", tmp, j, name);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* One descriptor of the shard: submitted, waited for, its files copied into tmp/J.*. */
static int task_job(const struct vyrectl *c, const char *line, size_t j, const char *tmp,
		    struct buf *err)
{
	char id[VYRECTL_ID_MAX + 1], rel[VYRECTL_REL_MAX], path[PATH_MAX];
	struct buf d = {0}, answer = {0};
	struct job_status st;
	int ret = buf_puts(&d, line);

	if (!ret)
		ret = buf_puts(&d, "\n");
	if (!ret)
		ret = ctl_submit(c, &d, &answer);
	if (ret) {
		buf_puts(err, answer.data && !strncmp(answer.data, "error: ", 7) ? answer.data + 7
										 : strerror(-ret));
		goto out_free;
	}
	kv_unquote(answer.data, strcspn(answer.data, "\n"), id, sizeof(id));
	ret = job_id_check(id);
	if (!ret)
		ret = job_wait(c, id, &st);
	if (ret) {
		buf_puts(err, "waiting for the job failed");
		goto out_free;
	}
	ret = sub_path(path, tmp, j, "id");
	if (!ret)
		ret = slurm_file_put(path, id, strlen(id));
	for (size_t i = 0; i < sizeof(part_files) / sizeof(part_files[0]) && !ret; i++) {
		struct buf b = {0};
		int fd;

		job_rel(id, part_files[i], rel);
		snprintf(path, sizeof(path), "%s/%s", c->mount, rel);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* lines, files: only some jobs have them */
		ret = buf_read_fd(&b, fd);
		close(fd);
		if (!ret)
			ret = sub_path(path, tmp, j, part_files[i]);
		if (!ret)
			ret = slurm_file_put(path, b.data ? b.data : "", b.len);
		buf_free(&b);
	}
	/* a finished job is of no use on the node; a failed one stays, for its failed file */
	if (!ret && !strcmp(st.state, "done")) {
		job_rel(id, "", rel);
		snprintf(path, sizeof(path), "%s/%s", c->mount, rel);
		rmdir(path);
	}
out_free:
	buf_free(&d);
	buf_free(&answer);
	return ret;
}

/*
 * vyrectl -m MOUNT slurm-task RUN: shard $SLURM_ARRAY_TASK_ID on this
 * node. Writes part.K.tmp.JOB, then renames it to part.K: a part that
 * exists is complete. Exits 0 when the part is written, whatever the
 * jobs did (the part says); 1 when it could not be.
 */
int slurm_task_main(struct vyrectl *c, int argc, char *argv[])
{
	const char *k = getenv("SLURM_ARRAY_TASK_ID"), *job = getenv("SLURM_JOB_ID");
	const char *hold = getenv("VYRECTL_SLURM_TASK_HOLD");
	struct slurm_run r = {.c = c};
	char node[128], path[PATH_MAX], tmp[PATH_MAX], ctl[PATH_MAX];
	struct buf mount = {0}, shard = {0}, err = {0};
	size_t j = 0;
	int ret;

	if (argc != 2 || !k || strspn(k, "0123456789") != strlen(k) || !*k) {
		fprintf(stderr, "vyrectl slurm-task: run by vyrectl --slurm's sbatch array only\n");
		return VYRECTL_USAGE;
	}
	snprintf(r.dir, sizeof(r.dir), "%s", argv[1]);
	if (gethostname(node, sizeof(node)) < 0)
		snprintf(node, sizeof(node), "?");
	node[sizeof(node) - 1] = '\0';
	if (getenv("SLURMD_NODENAME"))
		snprintf(node, sizeof(node), "%s", getenv("SLURMD_NODENAME"));
	ret = slurm_run_path(&r, path, "part.%s", k);
	if (!ret && access(path, F_OK) == 0)
		return VYRECTL_OK; /* an earlier try of this shard finished it */
	if (!ret)
		ret = slurm_run_path(&r, tmp, "part.%s.tmp.%s", k, job ? job : "0");
	if (!ret && mkdir(tmp, 0700) < 0 && errno != EEXIST)
		ret = -errno;
	if (ret) {
		fprintf(stderr, "vyrectl slurm-task: %s: %s\n", r.dir, strerror(-ret));
		return VYRECTL_FAILED;
	}
	/*
	 * A test's window to kill a task mid-run (tests/bats/slurm.bats): the
	 * task waits while the file exists, so the try it cancels cannot have
	 * finished however late the cancel lands (a fixed sleep could run out
	 * first on a loaded machine). Two minutes at most.
	 */
	for (int t = 0; hold && t < 1200 && access(hold, F_OK) == 0; t++)
		nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
	ret = slurm_run_path(&r, ctl, "mount");
	if (!ret)
		ret = slurm_file_get(ctl, &mount);
	if (!ret && mount.data)
		c->mount = mount.data;
	if (!ret)
		ret = slurm_run_path(&r, ctl, "shard.%s", k);
	if (!ret)
		ret = slurm_file_get(ctl, &shard);
	if (ret) {
		fprintf(stderr, "vyrectl slurm-task: %s: %s\n", ctl, strerror(-ret));
		goto out_free;
	}
	snprintf(ctl, sizeof(ctl), "%s/ctl", c->mount);
	if (access(ctl, W_OK) < 0) {
		const char *why = strerror(errno);

		/* "node n1: /mnt/vyre: no vyrefs mount there (/mnt/vyre/ctl: ...)" */
		ret = buf_puts(&err, "node ");
		if (!ret)
			ret = buf_puts(&err, node);
		if (!ret)
			ret = buf_puts(&err, ": ");
		if (!ret)
			ret = buf_puts(&err, c->mount);
		if (!ret)
			ret = buf_puts(&err, ": no vyrefs mount there (");
		if (!ret)
			ret = buf_puts(&err, ctl);
		if (!ret)
			ret = buf_puts(&err, ": ");
		if (!ret)
			ret = buf_puts(&err, why);
		if (!ret)
			ret = buf_puts(&err,
				       "): start vyrefs there (systemctl enable --now "
				       "vyrefs@MOUNT.service) or give -m the mount every node has");
	}
	for (char *line = shard.data; !ret && !err.len && line && *line; j++) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		ret = task_job(c, line, j, tmp, &err);
		line = nl ? nl + 1 : NULL;
	}
	if (!ret && err.len) {
		if (!strstr(err.data, "no vyrefs mount")) {
			ret = buf_puts(&err, " (node ");
			if (!ret)
				ret = buf_puts(&err, node);
			if (!ret)
				ret = buf_puts(&err, ")");
		}
		if (!ret)
			ret = sub_path(path, tmp, SIZE_MAX, "error");
		if (!ret)
			ret = slurm_file_put(path, err.data, strcspn(err.data, "\n"));
	}
	if (!ret) {
		ret = sub_path(path, tmp, SIZE_MAX, "node");
		if (!ret)
			ret = slurm_file_put(path, node, strlen(node));
	}
	if (!ret) {
		ret = slurm_run_path(&r, path, "part.%s", k);
		if (!ret && rename(tmp, path) < 0)
			ret = errno == EEXIST || errno == ENOTEMPTY ? 0 : -errno;
	}
	if (ret)
		fprintf(stderr, "vyrectl slurm-task: %s: %s\n", tmp, strerror(-ret));
	if (err.len)
		fprintf(stderr, "vyrectl slurm-task: %s\n", err.data);
out_free:
	buf_free(&mount);
	buf_free(&shard);
	buf_free(&err);
	return ret ? VYRECTL_FAILED : VYRECTL_OK;
}
