// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_input.c - Inputs: each FILE opened with the caller's rights (grep's messages),
 * --include/--exclude/--exclude-dir, the binary-file test of a file's
 * first read, and the spool: standard input, pipes, /proc and other
 * files the daemon refuses are copied to a private 0600 file first.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "vyrectl_grep.h"

int fd_write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A private 0600 file of the caller's in $TMPDIR (else /tmp); its fd. */
int tmp_create(char path[PATH_MAX], const char *what)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (!dir || dir[0] != '/')
		dir = "/tmp";
	if (snprintf(path, PATH_MAX, "%s/vyrectl-%s.XXXXXX", dir, what) >= PATH_MAX) {
		path[0] = '\0';
		fprintf(stderr, "vyrectl grep: TMPDIR: %s\n", strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		int ret = -errno;

		fprintf(stderr, "vyrectl grep: %s: %s (set TMPDIR to a writable folder)\n", path,
			strerror(-ret));
		path[0] = '\0';
		return ret;
	}
	fchmod(fd, 0600);
	return fd;
}

/*
 * Filesystems whose files the daemon refuses (README.md "Security"): their
 * contents are made up per read. grep reads them; here they are copied.
 */
static bool fs_pseudo(int fd)
{
	static const long magic[] = {
	    0x9fa0,	/* proc */
	    0x62656572, /* sysfs */
	    0x64626720, /* debugfs */
	    0x74726163, /* tracefs */
	    0x73636673, /* securityfs */
	    0x62656570, /* configfs */
	    0x27e0eb,	/* cgroup */
	    0x63677270, /* cgroup2 */
	    0xcafe4a11, /* bpf */
	    0xde5e81e4, /* efivarfs */
	    0x1cd1,	/* devpts */
	    0x65735546, /* fuse: the vyrefs mount itself among them */
	};
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return false;
	for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if ((long)sf.f_type == magic[i])
			return true;
	return false;
}

/* Copies fd to a private file the daemon can scan; f->fd becomes the copy's. */
static int file_spool(struct grep_file *f)
{
	char buf[1 << 16];
	int out = tmp_create(f->spool, "input");
	int ret = 0;

	if (out < 0)
		return out;
	for (;;) {
		ssize_t k = read(f->fd, buf, sizeof(buf));

		if (k < 0 && errno == EINTR && !vyrectl_interrupted)
			continue;
		if (k < 0) {
			ret = -errno;
			break;
		}
		if (k == 0)
			break;
		ret = fd_write_all(out, buf, (size_t)k);
		if (ret)
			break;
	}
	if (f->fd != STDIN_FILENO)
		close(f->fd);
	f->fd = out;
	return ret;
}

/*
 * grep 3.8, once it finds a file binary, reads its NULs as line ends
 * (grep.c's nul_zapper): "a\0b" is two lines to -c, -v and -l. The copy
 * the daemon scans gets the same: each NUL becomes '\n', in place.
 */
static int spool_zap(int fd)
{
	char buf[1 << 16];
	uint64_t at = 0;

	for (;;) {
		ssize_t k = pread(fd, buf, sizeof(buf), (off_t)at);

		if (k < 0 && errno == EINTR && !vyrectl_interrupted)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return 0;
		for (char *p = buf; (p = memchr(p, '\0', (size_t)(buf + k - p))); p++)
			*p = '\n';
		if (pwrite(fd, buf, (size_t)k, (off_t)at) != k)
			return errno ? -errno : -EIO;
		at += (uint64_t)k;
	}
}

bool glob_any(const char *const *globs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!fnmatch(globs[i], name, 0))
			return true;
	return false;
}

/* --include and --exclude on a file's base name, as grep -r applies them. */
bool name_excluded(const struct grep_opts *o, const char *base)
{
	if (glob_any(o->exclude, o->nexclude, base))
		return true;
	return o->ninclude && !glob_any(o->include, o->ninclude, base);
}

/* A command line FILE: grep matches its whole name or a suffix after a '/'. */
static bool operand_excluded(const struct grep_opts *o, const char *name, bool dir)
{
	const char *base = strrchr(name, '/');

	base = base && base[1] ? base + 1 : name;
	if (dir)
		return strcmp(base, ".") && strcmp(base, "..") &&
		       glob_any(o->exclude_dir, o->nexclude_dir, base);
	return name_excluded(o, base) || (base != name && glob_any(o->exclude, o->nexclude, name));
}

/* Is there a NUL in fd from byte `from` to its end? */
bool file_nul_from(int fd, uint64_t from)
{
	char buf[1 << 16];

	for (;;) {
		ssize_t k = pread(fd, buf, sizeof(buf), (off_t)from);

		if (k < 0 && errno == EINTR && !vyrectl_interrupted)
			continue;
		if (k <= 0)
			return false;
		if (memchr(buf, '\0', (size_t)k))
			return true;
		from += (uint64_t)k;
	}
}

/*
 * -I in count modes: grep 3.8 reads to the end of the file (-c) and a NUL
 * anywhere makes it match nothing; where it stops at a selected line
 * (-m, -l, -L, -q) its first read is what decides here.
 */
bool file_binary_skip(const struct grep_opts *o, int fd)
{
	bool stops = o->max > 0 || o->quiet || o->list != GREP_LIST_NONE;

	return file_binary(fd) || (!stops && file_nul_from(fd, GREP_BINARY_PEEK));
}

/*
 * Would opening or spooling FILE wait for another process: standard input,
 * a FIFO, a socket or a terminal? (stat, not open: opening a FIFO waits.)
 * Devices skipped by -D skip do not.
 */
bool file_blocks(const struct grep_opts *o, const char *path)
{
	struct stat st;

	if (!strcmp(path, "-"))
		return true;
	if (stat(path, &st) < 0 || o->dev_skip)
		return false;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
	       (S_ISCHR(st.st_mode) && strcmp(path, "/dev/null"));
}

/* Opens FILE as grep would; what the daemon cannot scan is spooled. */
void file_open(const struct grep_opts *o, struct grep_file *f)
{
	struct stat st;
	int ret = 0;

	if (!strcmp(f->path, "-")) {
		f->fd = STDIN_FILENO;
	} else {
		f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0) {
			f->err = -errno;
			return;
		}
	}
	if (fstat(f->fd, &st) < 0) {
		f->err = -errno;
		goto out_close;
	}
	f->size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
	if (S_ISDIR(st.st_mode)) {
		if (o->dir_skip || operand_excluded(o, f->path, true))
			f->skip = true;
		else if (o->recursive)
			f->dir = true;
		else
			f->err = -EISDIR;
		/* grep -r x dir// names dir/a: fts drops the trailing slashes */
		if (f->dir) {
			size_t n = strlen(f->name);

			while (n > 1 && f->name[n - 1] == '/')
				n--;
			f->trimmed = strndup(f->name, n);
			if (!f->trimmed)
				f->err = -ENOMEM;
			else
				f->name = f->path = f->trimmed;
		}
	} else if (f->fd != STDIN_FILENO && operand_excluded(o, f->path, false)) {
		f->skip = true;
	} else if (f->fd != STDIN_FILENO && o->dev_skip &&
		   (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) ||
		    S_ISSOCK(st.st_mode))) {
		f->skip = true;
	} else if (f->fd == STDIN_FILENO || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) ||
		   fs_pseudo(f->fd) ||
		   (o->binary != GREP_BIN_TEXT && S_ISREG(st.st_mode) && file_binary(f->fd))) {
		ret = file_spool(f);
		if (!ret && o->binary != GREP_BIN_TEXT && file_binary(f->fd)) {
			ret = spool_zap(f->fd);
			f->zapped = true;
		}
		if (ret)
			f->err = ret;
		return;
	}
out_close:
	if (f->err || f->dir || f->skip) {
		if (f->fd != STDIN_FILENO)
			close(f->fd);
		f->fd = -1;
	}
}

/* Whether GREP_BINARY_PEEK bytes of fd from at (fewer at its end) hold a NUL. */
bool block_has_nul(int fd, uint64_t at)
{
	char *buf = malloc(GREP_BINARY_PEEK);
	size_t got = 0;
	bool nul;

	if (!buf)
		return false;
	while (got < GREP_BINARY_PEEK) {
		ssize_t k = pread(fd, buf + got, GREP_BINARY_PEEK - got, (off_t)(at + got));

		if (k < 0 && errno == EINTR && !vyrectl_interrupted)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	nul = memchr(buf, '\0', got) != NULL;
	free(buf);
	return nul;
}

/*
 * Whether FILE is binary before anything of it is printed: a NUL in its
 * first GREP_BINARY_PEEK bytes, as grep 3.8's first read finds it.
 */
bool file_binary(int fd)
{
	return block_has_nul(fd, 0);
}
