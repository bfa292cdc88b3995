// SPDX-License-Identifier: MIT
/*
 * hangfs - a FUSE filesystem that stops answering where a test says, to
 * check that one user's hanging source cannot stall anyone else's jobs.
 *
 *   hangfs MOUNTPOINT -o hang=SECONDS [FUSE options]
 *
 *   /f      a 1 MiB file whose every read hangs
 *   /g      128 KiB: 4096 lines "matchme\n", then one line of 'a's to the
 *           end; a read that starts in its first 64 KiB answers at once,
 *           one that starts after hangs (grep's reads past a chunk's tail)
 *   /s      a 1000-byte file whose every read hangs (a packed job's file)
 *   /d/     a directory: looking up any name in it hangs
 *
 * A request that hangs answers after SECONDS (default 30): EIO for a
 * read, ENOENT for a lookup, so the daemon and the test always end.
 * A test that has seen what it waited on a hang for need not sit out the
 * rest: SIGUSR1 ends the hangs under way (those that come later hang
 * afresh), SIGUSR2 every hang, now and to come; each answers at once what
 * it would have at its end (hardening_hang.bats: release_hangfs, stop_hangfs).
 * SECONDS stays the bound on a test that sends neither.
 */
#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fuse.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define HANGFS_G_SIZE   (128 << 10)
#define HANGFS_G_LINES  (32 << 10) /* bytes of "matchme\n" lines */
#define HANGFS_G_ANSWER (64 << 10) /* reads that start below answer */

struct hangfs_opts {
	int hang;
};

static struct hangfs_opts opts = {.hang = 30};

static const struct fuse_opt hangfs_opt_spec[] = {
	{"hang=%d", offsetof(struct hangfs_opts, hang), 0},
	FUSE_OPT_END,
};

/* The hangs' end: hangfs_signals moves it, hangfs_hang waits on it */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t moved; /* CLOCK_MONOTONIC */
	unsigned gen;	      /* SIGUSR1s so far: a hang begun before one has ended */
	bool open;	      /* SIGUSR2 came: no hang any more */
} hangfs_end = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* opts.hang seconds, or until a SIGUSR1 or SIGUSR2 */
static void hangfs_hang(void)
{
	struct timespec end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += opts.hang;
	pthread_mutex_lock(&hangfs_end.lock);
	for (unsigned gen = hangfs_end.gen; !hangfs_end.open && hangfs_end.gen == gen;)
		if (pthread_cond_timedwait(&hangfs_end.moved, &hangfs_end.lock, &end) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&hangfs_end.lock);
}

/*
 * SIGUSR1 and SIGUSR2, blocked in every other thread, are taken here: a
 * condition variable may not be signalled from a signal handler.
 */
static void *hangfs_signals(void *set)
{
	int sig;

	while (sigwait(set, &sig) == 0) {
		pthread_mutex_lock(&hangfs_end.lock);
		hangfs_end.gen++;
		hangfs_end.open |= sig == SIGUSR2;
		pthread_cond_broadcast(&hangfs_end.moved);
		pthread_mutex_unlock(&hangfs_end.lock);
	}
	return NULL;
}

static int hangfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (!strcmp(path, "/") || !strcmp(path, "/d")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (!strcmp(path, "/f") || !strcmp(path, "/g") || !strcmp(path, "/s")) {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = path[1] == 'f' ? 1 << 20 : path[1] == 'g' ? HANGFS_G_SIZE : 1000;
		return 0;
	}
	if (!strncmp(path, "/d/", 3))
		hangfs_hang();
	return -ENOENT;
}

static int hangfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
			  struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/"))
		return strcmp(path, "/d") ? -ENOENT : 0;
	fill(buf, "f", NULL, 0, 0);
	fill(buf, "g", NULL, 0, 0);
	fill(buf, "s", NULL, 0, 0);
	fill(buf, "d", NULL, 0, 0);
	return 0;
}

static int hangfs_open(const char *path, struct fuse_file_info *fi)
{
	if (strcmp(path, "/f") && strcmp(path, "/g") && strcmp(path, "/s"))
		return -ENOENT;
	fi->direct_io = 1; /* every read reaches here, none is served from the cache */
	return 0;
}

static int hangfs_read(const char *path, char *buf, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)fi;
	if (!strcmp(path, "/g") && off < HANGFS_G_ANSWER) {
		size_t n = 0;

		for (; n < size && off + (off_t)n < HANGFS_G_SIZE; n++) {
			off_t k = off + (off_t)n;
			buf[n] = k < HANGFS_G_LINES ? "matchme\n"[k % 8] :
				 k == HANGFS_G_SIZE - 1 ? '\n' : 'a';
		}
		return (int)n;
	}
	hangfs_hang();
	return -EIO;
}

static const struct fuse_operations hangfs_ops = {
	.getattr = hangfs_getattr,
	.readdir = hangfs_readdir,
	.open = hangfs_open,
	.read = hangfs_read,
};

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	static sigset_t set;
	pthread_condattr_t ca;
	pthread_t th;
	int ret = 1;

	if (fuse_opt_parse(&args, &opts, hangfs_opt_spec, NULL) < 0)
		return 1;
	/* blocked before fuse_main starts its threads, so they inherit it */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&hangfs_end.moved, &ca) || pthread_sigmask(SIG_BLOCK, &set, NULL) ||
	    pthread_create(&th, NULL, hangfs_signals, &set)) {
		fprintf(stderr, "hangfs: cannot set up SIGUSR1 and SIGUSR2\n");
		goto out_free;
	}
	ret = fuse_main(args.argc, args.argv, &hangfs_ops, NULL);
out_free:
	fuse_opt_free_args(&args);
	return ret;
}
