// SPDX-License-Identifier: MIT
/*
 * eiofs - a FUSE filesystem whose reads fail where a test says, to check
 * how vyrefs reports failed chunks.
 *
 *   eiofs MOUNTPOINT -o size=N,seed=S,eio=OFF1:OFF2:...
 *
 * serves two read-only files of N bytes (K M G suffixes) holding the same
 * deterministic bytes generated from S (text-like: lowercase letters and
 * newlines):
 *
 *   data   a read that touches any of the eio offsets fails with EIO; with
 *          short=1 a read that starts before one returns the bytes up to
 *          it (a short read), and the read from it fails
 *   clean  never fails: the reference a test computes its answer from
 *
 * With slow=MS data comes at 64 KiB per MS milliseconds, in order: a read
 * at offset O answers (O / 64 KiB + 1) * MS ms after the open it reads
 * through, however many are out at once and in whatever order they come.
 * A scan of it takes about (size / 64 KiB) * MS ms and finds its first
 * chunk first, so a test can watch a job while it runs (streaming.bats).
 * The pace is the open's, not the last read at offset 0's: io_uring's
 * workers enter FUSE in no set order, so a scan's offset-0 read may come
 * after its other reads, which the previous scan's clock then found long
 * due. They answered at once, and a scan whose offset 0 came last ended
 * one MS after it began, its lines all final at its end (streaming.bats's
 * O_NONBLOCK test on CI under load: "0 done 1 0").
 *
 * Both are opened with direct_io, so every read, io_uring's included,
 * reaches this daemon with its own offset and size: the page cache cannot
 * hide a fault behind bytes an earlier read left there, and a readahead
 * cannot fail a read that does not touch a faulty offset.
 */
#define FUSE_USE_VERSION 35

#include <errno.h>
#include <time.h>
#include <fcntl.h>
#include <fuse.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EIO_MAX 256

struct eiofs_opts {
	char *size;
	unsigned long seed;
	char *eio;
	int short_reads;
	int slow_ms;
};

static struct eiofs {
	uint64_t size;
	uint64_t seed;
	uint64_t eio[EIO_MAX];
	size_t neio;
	int short_reads;
	int slow_ms;
} fs;

/* CLOCK_MONOTONIC in ns: a slow open's start, kept in its fi->fh (eiofs_open) */
static uint64_t eiofs_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* slow=MS: sleeps until the bytes at o are due for the open that began at t0 (see the top). */
static void eiofs_slow(uint64_t t0, uint64_t o)
{
	uint64_t ns = t0 + (o / 65536 + 1) * (uint64_t)fs.slow_ms * 1000000ull;
	struct timespec due = {.tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR)
		;
}

#define OPT(t, p) {t, offsetof(struct eiofs_opts, p), 1}
static const struct fuse_opt eiofs_opt_spec[] = {
	OPT("size=%s", size),
	OPT("seed=%lu", seed),
	OPT("eio=%s", eio),
	OPT("short=%d", short_reads),
	OPT("slow=%d", slow_ms),
	FUSE_OPT_END,
};

static uint64_t eiofs_mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The byte at offset i: a letter, or a newline one time in about 11. */
static char eiofs_byte(uint64_t i)
{
	unsigned v = (unsigned)(eiofs_mix(fs.seed * 0x100000001b3ull + (i >> 3)) >> ((i & 7) * 8)) &
		     0xFF;

	return v < 24 ? '\n' : (char)('a' + v % 26);
}

static int eiofs_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'G':
		v <<= 10;
		/* fallthrough */
	case 'M':
		v <<= 10;
		/* fallthrough */
	case 'K':
		v <<= 10;
		end++;
		break;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

enum eiofs_ino { EIOFS_NONE, EIOFS_ROOT, EIOFS_DATA, EIOFS_CLEAN };

static enum eiofs_ino eiofs_lookup(const char *path)
{
	if (!strcmp(path, "/"))
		return EIOFS_ROOT;
	if (!strcmp(path, "/data"))
		return EIOFS_DATA;
	if (!strcmp(path, "/clean"))
		return EIOFS_CLEAN;
	return EIOFS_NONE;
}

static void *eiofs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	cfg->use_ino = 1;
	return NULL;
}

static int eiofs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	switch (eiofs_lookup(path)) {
	case EIOFS_ROOT:
		st->st_ino = 1;
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	case EIOFS_DATA:
	case EIOFS_CLEAN:
		st->st_ino = eiofs_lookup(path);
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)fs.size;
		st->st_blksize = 4096;
		st->st_blocks = (blkcnt_t)((fs.size + 511) / 512);
		return 0;
	default:
		return -ENOENT;
	}
}

static int eiofs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
			 struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (eiofs_lookup(path) != EIOFS_ROOT)
		return -ENOTDIR;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, "data", NULL, 0, 0);
	fill(buf, "clean", NULL, 0, 0);
	return 0;
}

static int eiofs_open(const char *path, struct fuse_file_info *fi)
{
	enum eiofs_ino ino = eiofs_lookup(path);

	if (ino == EIOFS_NONE)
		return -ENOENT;
	if (ino == EIOFS_ROOT)
		return -EISDIR;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->fh = eiofs_now_ns(); /* slow=MS: this open's reads are timed from here */
	return 0;
}

static int eiofs_read(const char *path, char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	enum eiofs_ino ino = eiofs_lookup(path);
	uint64_t o = (uint64_t)off;

	if (ino != EIOFS_DATA && ino != EIOFS_CLEAN)
		return -ENOENT;
	if (o >= fs.size)
		return 0;
	if (size > fs.size - o)
		size = (size_t)(fs.size - o);
	if (ino == EIOFS_DATA && fs.slow_ms > 0)
		eiofs_slow(fi->fh, o);
	if (ino == EIOFS_DATA) {
		uint64_t first = UINT64_MAX; /* the lowest faulty offset the read touches */
		for (size_t i = 0; i < fs.neio; i++)
			if (fs.eio[i] >= o && fs.eio[i] < o + size && fs.eio[i] < first)
				first = fs.eio[i];
		if (first != UINT64_MAX) {
			/* short=1: the bytes before the fault come back first, as a
			 * short read; the read of the rest then fails */
			if (!fs.short_reads || first == o)
				return -EIO;
			size = (size_t)(first - o);
		}
	}
	for (size_t i = 0; i < size; i++)
		buf[i] = eiofs_byte(o + i);
	return (int)size;
}

static const struct fuse_operations eiofs_ops = {
	.init = eiofs_init,
	.getattr = eiofs_getattr,
	.readdir = eiofs_readdir,
	.open = eiofs_open,
	.read = eiofs_read,
};

static int eiofs_parse_eio(char *list)
{
	for (char *tok = strtok(list, ":"); tok; tok = strtok(NULL, ":")) {
		if (fs.neio == EIO_MAX || eiofs_parse_size(tok, &fs.eio[fs.neio])) {
			fprintf(stderr, "eiofs: eio=%s: want up to %d offsets OFF1:OFF2:...\n", tok,
				EIO_MAX);
			return -EINVAL;
		}
		fs.neio++;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct eiofs_opts o = {0};
	int ret;

	if (fuse_opt_parse(&args, &o, eiofs_opt_spec, NULL) < 0)
		return 1;
	fs.seed = o.seed;
	fs.short_reads = o.short_reads;
	fs.slow_ms = o.slow_ms;
	if (!o.size || eiofs_parse_size(o.size, &fs.size)) {
		fprintf(stderr, "usage: %s MOUNTPOINT -o size=N[,seed=S][,eio=OFF1:OFF2:...][,short=1][,slow=MS]\n",
			argv[0]);
		ret = 1;
		goto out;
	}
	if (o.eio && eiofs_parse_eio(o.eio)) {
		ret = 1;
		goto out;
	}
	/* read-only; without allow_other only the mounting user (root in the tests) reads it.
	 * max_threads: a slow scan's reads all wait here, each for its own time,
	 * not in the kernel's queue behind 10 (libfuse's default) later ones */
	fuse_opt_add_arg(&args, "-oro,fsname=eiofs,subtype=eiofs,max_threads=64");
	ret = fuse_main(args.argc, args.argv, &eiofs_ops, NULL);
out:
	fuse_opt_free_args(&args);
	free(o.size);
	free(o.eio);
	return ret;
}
