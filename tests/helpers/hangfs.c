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
 */
#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fuse.h>
#include <stddef.h>
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

static void hangfs_hang(void)
{
	struct timespec ts = {.tv_sec = opts.hang};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
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
	int ret;

	if (fuse_opt_parse(&args, &opts, hangfs_opt_spec, NULL) < 0)
		return 1;
	ret = fuse_main(args.argc, args.argv, &hangfs_ops, NULL);
	fuse_opt_free_args(&args);
	return ret;
}
