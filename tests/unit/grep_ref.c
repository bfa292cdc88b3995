// SPDX-License-Identifier: MIT
/* grep_ref.c - GNU grep, the regex tests' reference (grep_ref.h). */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "grep_ref.h"

int grep_ref_run(char *const argv[], struct gout *o)
{
	char *envp[] = {"LC_ALL=C", "PATH=/usr/bin:/bin", NULL};
	posix_spawn_file_actions_t fa;
	int pfd[2], status;
	pid_t pid;

	o->n = 0;
	CHECK(pipe(pfd) == 0, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	CHECK(posix_spawnp(&pid, "grep", &fa, NULL, argv, envp) == 0, "spawn grep");
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	for (;;) {
		if (o->cap - o->n < 65536) {
			o->cap = o->cap ? o->cap * 2 : 1 << 20;
			o->p = realloc(o->p, o->cap);
			CHECK(o->p, "realloc");
		}
		ssize_t r = read(pfd[0], o->p + o->n, o->cap - o->n - 1);
		if (r <= 0)
			break;
		o->n += (size_t)r;
	}
	o->p[o->n] = 0;
	close(pfd[0]);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status), "grep died");
	return WEXITSTATUS(status);
}

void grep_ref_write(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	CHECK(f, "fopen %s", path);
	CHECK(fwrite(p, 1, n, f) == n, "fwrite %s", path);
	CHECK(fclose(f) == 0, "fclose %s", path);
}
