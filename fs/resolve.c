// SPDX-License-Identifier: MIT
/*
 * resolve.c - walk a caller's path one component at a time, as the caller,
 * in the caller's root, and open the target for reading.
 *
 * Why not one open(2): the daemon is not the caller, and the kernel's walk
 * would act for the daemon where it matters:
 *  - /proc/self, /proc/thread-self and /proc/<daemon pid> name the daemon,
 *    and their fd/N magic links jump straight to files the daemon holds
 *    open for other users, past those users' 0700 directories;
 *  - a chrooted or containerised caller's "/" is not the daemon's;
 *  - a path on this very mount makes the kernel send a LOOKUP to this
 *    daemon while the thread that must answer it waits for the open
 *    (with -s, the only thread: the mount hangs for good).
 * So the walk starts at /proc/<caller>/root, opens each component O_PATH
 * with symlinks and magic links refused (symlinks are read and expanded
 * here, textually, so ".." and absolute targets stay inside the caller's
 * root), refuses the component that enters a pseudo filesystem or this
 * mount before anything is looked up inside it, and opens only the last
 * component for reading, beside its parent.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"

#define RESOLVE_DEPTH_MAX 256 /* directories deep; deeper paths fail ENAMETOOLONG */
#define RESOLVE_LINKS_MAX 40  /* symlinks expanded per path, as the kernel's MAXSYMLINKS */

/* Filesystems whose files are not data: their contents are made up per read, with
 * the reader's privileges (a sysfs PCI config file shows root more than nobody),
 * and their sizes are 0. Scanning them would read as the daemon. */
static const struct {
	unsigned long magic;
	const char *name;
} resolve_pseudo_fs[] = {
	{PROC_SUPER_MAGIC, "procfs"},	 {SYSFS_MAGIC, "sysfs"},
	{DEBUGFS_MAGIC, "debugfs"},	 {TRACEFS_MAGIC, "tracefs"},
	{SECURITYFS_MAGIC, "securityfs"}, {0x62656570, "configfs"},
	{CGROUP_SUPER_MAGIC, "cgroup"},	 {CGROUP2_SUPER_MAGIC, "cgroup2"},
	{BPF_FS_MAGIC, "bpf"},		 {EFIVARFS_MAGIC, "efivarfs"},
	{PSTOREFS_MAGIC, "pstore"},	 {DEVPTS_SUPER_MAGIC, "devpts"},
	{0x65735543, "fusectl"},	 {SELINUX_MAGIC, "selinuxfs"},
	{SMACK_MAGIC, "smackfs"},	 {BINFMTFS_MAGIC, "binfmt_misc"},
	{NSFS_MAGIC, "nsfs"},
};

struct resolve_walk {
	int dirs[RESOLVE_DEPTH_MAX]; /* dirs[0] is the caller's root */
	int depth;                   /* dirs[depth] is where the walk stands */
	dev_t dev;                   /* device of dirs[depth] */
	char rest[2 * PATH_MAX];     /* components still to walk */
	int links;
};

static struct open_how resolve_how(int flags)
{
	return (struct open_how){
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		/* one component: mount crossings are checked by the caller */
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH,
	};
}

static int resolve_component_open(int dirfd, const char *name, int flags)
{
	struct open_how how = resolve_how(flags);
	long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/*
 * The device of an fd without asking its filesystem anything: on a FUSE
 * mount, AT_STATX_DONT_SYNC answers from the inode's cached attributes and
 * sends no request (which, on this mount, nobody might be free to answer).
 */
static int resolve_fd_dev(int fd, dev_t *dev, mode_t *mode)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC,
		  STATX_TYPE, &stx) < 0)
		return -errno;
	*dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	*mode = stx.stx_mode;
	return 0;
}

static int resolve_check_fs(const struct fs *fs, int fd, dev_t dev, const char *path,
			    char *err, size_t errlen)
{
	struct statfs sfs;

	if (fs->mount_dev && dev == fs->mount_dev) {
		snprintf(err, errlen, "path=%s: on this vyrefs mount (scan files elsewhere; the "
			 "mount's own files are status, not data)", path);
		return -EINVAL;
	}
	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	if ((unsigned long)sfs.f_type == FUSE_SUPER_MAGIC && !fs->opts.fuse_sources) {
		/*
		 * Any user may mount a FUSE filesystem (fusermount3, or in a user
		 * namespace) whose lookups and reads never answer: a walk or a
		 * read on it would hold this daemon's threads and ring slots for
		 * everyone. Nothing inside it is looked up.
		 */
		snprintf(err, errlen, "path=%s: on a FUSE filesystem, whose daemon may never "
			 "answer (copy the files elsewhere, or mount vyrefs with -o "
			 "fuse_sources=1 where every FUSE mount is trusted)", path);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(resolve_pseudo_fs) / sizeof(resolve_pseudo_fs[0]); i++) {
		if ((unsigned long)sfs.f_type != resolve_pseudo_fs[i].magic)
			continue;
		snprintf(err, errlen, "path=%s: on %s, a pseudo filesystem whose files are made "
			 "up when read (scan regular files or block devices)", path,
			 resolve_pseudo_fs[i].name);
		return -EINVAL;
	}
	return 0;
}

/* Pops the next component off w->rest; "" when none is left. */
static void resolve_next(struct resolve_walk *w, char *name, size_t len)
{
	char *p = w->rest, *slash;
	size_t n;

	while (*p == '/')
		p++;
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	if (n >= len)
		n = len - 1; /* NAME_MAX is checked by the kernel on open */
	memcpy(name, p, n);
	name[n] = '\0';
	p += slash ? (size_t)(slash - p) : strlen(p);
	memmove(w->rest, p, strlen(p) + 1);
}

static bool resolve_rest_empty(const struct resolve_walk *w)
{
	for (const char *p = w->rest; *p; p++)
		if (*p != '/')
			return false;
	return true;
}

/* A symlink at dirfd/name: its target goes in front of what is left. */
static int resolve_expand_link(struct resolve_walk *w, int fd)
{
	char target[PATH_MAX];
	ssize_t n;
	size_t rest = strlen(w->rest);

	if (++w->links > RESOLVE_LINKS_MAX)
		return -ELOOP;
	n = readlinkat(fd, "", target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n + 1 + rest + 1 > sizeof(w->rest))
		return -ENAMETOOLONG;
	memmove(w->rest + n + 1, w->rest, rest + 1);
	memcpy(w->rest, target, (size_t)n);
	w->rest[n] = '/';
	if (target[0] == '/') /* absolute: from the caller's root */
		while (w->depth > 0)
			close(w->dirs[w->depth--]);
	return 0;
}

static void resolve_walk_close(struct resolve_walk *w)
{
	for (int i = 1; i <= w->depth; i++)
		close(w->dirs[i]);
	w->depth = 0;
}

static int resolve_error(int ret, const char *path, char *err, size_t errlen)
{
	if (err[0])
		return ret;
	if (ret == -ENOENT || ret == -ENOTDIR) {
		snprintf(err, errlen, "path=%s: no such file (check the path)", path);
		return -ENOENT;
	}
	if (ret == -EACCES || ret == -EPERM) {
		snprintf(err, errlen, "path=%s: permission denied (you may only scan files you "
			 "can read)", path);
		return -EACCES;
	}
	if (ret == -ELOOP)
		snprintf(err, errlen, "path=%s: too many levels of symbolic links", path);
	else
		snprintf(err, errlen, "path=%s: %s", path, strerror(-ret));
	return ret;
}

/*
 * Walks every component but the last; leaves the last one's name in last
 * and the walk standing in its parent.
 */
static int resolve_walk_dirs(const struct fs *fs, struct resolve_walk *w, const char *path,
			     char *last, char *err, size_t errlen)
{
	char name[NAME_MAX + 2];
	int ret;

	for (;;) {
		resolve_next(w, name, sizeof(name));
		if (!name[0]) { /* "/" or a path ending in "/" or "..": a directory */
			snprintf(last, NAME_MAX + 2, ".");
			return 0;
		}
		if (!strcmp(name, ".") && !resolve_rest_empty(w))
			continue;
		if (!strcmp(name, "..")) { /* at the caller's root, ".." stays there */
			if (w->depth > 0)
				close(w->dirs[w->depth--]);
			if (resolve_rest_empty(w)) {
				snprintf(last, NAME_MAX + 2, ".");
				return 0;
			}
			ret = resolve_fd_dev(w->dirs[w->depth], &w->dev, &(mode_t){0});
			if (ret)
				return ret;
			continue;
		}
		int fd = resolve_component_open(w->dirs[w->depth], name, O_PATH);
		if (fd < 0)
			return fd;
		dev_t dev = 0;
		mode_t mode = 0;
		ret = resolve_fd_dev(fd, &dev, &mode);
		if (!ret && dev != w->dev)
			ret = resolve_check_fs(fs, fd, dev, path, err, errlen);
		if (ret) {
			close(fd);
			return ret;
		}
		if (S_ISLNK(mode)) {
			ret = resolve_expand_link(w, fd);
			close(fd);
			if (ret)
				return ret;
			if (w->depth == 0) /* back at the root: its device again */
				ret = resolve_fd_dev(w->dirs[0], &w->dev, &mode);
			if (ret)
				return ret;
			continue;
		}
		if (resolve_rest_empty(w)) {
			close(fd);
			snprintf(last, NAME_MAX + 2, "%s", name);
			return 0;
		}
		if (!S_ISDIR(mode)) {
			close(fd);
			return -ENOTDIR;
		}
		if (w->depth + 1 >= RESOLVE_DEPTH_MAX) {
			close(fd);
			return -ENAMETOOLONG;
		}
		w->dirs[++w->depth] = fd;
		w->dev = dev;
	}
}

/*
 * Targets are opened O_NONBLOCK (a FIFO swapped in must not block the
 * open); reads must block: io_uring answers EAGAIN for uncached pages of
 * an O_NONBLOCK file. Hands fd, blocking, to *out; closes it on failure.
 */
static int resolve_keep(int fd, int *out)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

static int resolve_open_last(struct resolve_walk *w, const char *last, const char *path, int *out,
			     char *err, size_t errlen)
{
	struct stat st;
	int fd, ret;

	/* FIFOs and sockets are refused before any open, so nothing blocks */
	if (fstatat(w->dirs[w->depth], last, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "path=%s: is a directory (name a regular file or block device)",
			 path);
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "path=%s: not a regular file or block device", path);
		return -EINVAL;
	}
	fd = resolve_component_open(w->dirs[w->depth], last, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	/* the name may have been swapped since the stat: check what we opened */
	ret = -EINVAL;
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		snprintf(err, errlen, "path=%s: not a regular file or block device", path);
		goto out_close;
	}
	return resolve_keep(fd, out);
out_close:
	close(fd);
	return ret;
}

/*
 * From rootfd along path to its last component: that name in last, its
 * directory open in w->dirs[w->depth]. resolve_open's and
 * resolve_open_any's first part; the caller closes the walk, also on error.
 */
static int resolve_walk_to_last(const struct fs *fs, struct resolve_walk *w, int rootfd,
				const char *path, char *last, char *err, size_t errlen)
{
	mode_t mode;
	int ret;

	err[0] = '\0';
	w->dirs[0] = rootfd;
	snprintf(w->rest, sizeof(w->rest), "%s", path);
	ret = resolve_fd_dev(rootfd, &w->dev, &mode);
	if (!ret)
		ret = resolve_check_fs(fs, rootfd, w->dev, path, err, errlen);
	if (!ret)
		ret = resolve_walk_dirs(fs, w, path, last, err, errlen);
	return ret;
}

int resolve_open(const struct fs *fs, int rootfd, const char *path, int *out, char *err,
		 size_t errlen)
{
	struct resolve_walk *w = calloc(1, sizeof(*w));
	char last[NAME_MAX + 2];
	int ret;

	if (!w)
		return -ENOMEM;
	ret = resolve_walk_to_last(fs, w, rootfd, path, last, err, errlen);
	if (!ret)
		ret = resolve_open_last(w, last, path, out, err, errlen);
	resolve_walk_close(w);
	free(w);
	return ret ? resolve_error(ret, path, err, errlen) : 0;
}

/* The thread group (process) of task pid, from /proc/<pid>/status; 0 if gone. */
pid_t resolve_tgid(pid_t pid)
{
	char st[64], line[128];
	pid_t tgid = 0;
	FILE *f;

	if (pid <= 0)
		return 0;
	snprintf(st, sizeof(st), "/proc/%d/status", (int)pid);
	f = fopen(st, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

/*
 * The caller's root directory, by /proc/<pid>/root (a magic link the daemon
 * follows on purpose, as itself). A pidfd taken first and checked after
 * makes sure the root is that of the process the pidfd names, alive at both
 * points: a pid reused in between would fail the check.
 */
int resolve_caller_root(pid_t pid, int *out)
{
	char p[64];
	int pidfd, fd, ret;

	if (pid <= 0)
		return -ESRCH; /* a caller in a pid namespace this daemon cannot see */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0 && (errno == EINVAL || errno == ENOENT)) {
		/*
		 * A thread, not a process: its thread group's leader holds the
		 * pidfd. Kernels before 6.9 say EINVAL, later ones ENOENT
		 * ("not a thread-group leader").
		 */
		pid_t tgid = resolve_tgid(pid);
		pidfd = tgid > 0 ? (int)syscall(SYS_pidfd_open, tgid, 0) : -1;
	}
	if (pidfd < 0)
		return -ESRCH;
	snprintf(p, sizeof(p), "/proc/%d/root", (int)pid);
	fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ret = fd < 0 ? -errno : 0;
	if (!ret && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
		ret = -ESRCH;
		close(fd);
	}
	close(pidfd);
	if (ret)
		return ret == -ENOENT ? -ESRCH : ret;
	*out = fd;
	return 0;
}

/*
 * resolve_open as a walk's starting point: the path names a directory
 * (opened O_RDONLY | O_DIRECTORY, for getdents) or a regular file or block
 * device (opened for reading). *st is what was opened.
 */
int resolve_open_any(const struct fs *fs, int rootfd, const char *path, int *out,
		     struct stat *st, char *err, size_t errlen)
{
	struct resolve_walk *w = calloc(1, sizeof(*w));
	char last[NAME_MAX + 2];
	int ret, fd = -1;

	if (!w)
		return -ENOMEM;
	ret = resolve_walk_to_last(fs, w, rootfd, path, last, err, errlen);
	if (!ret && fstatat(w->dirs[w->depth], last, st, AT_SYMLINK_NOFOLLOW) < 0)
		ret = -errno;
	if (!ret && S_ISDIR(st->st_mode)) {
		/* walk_dirs checked its device through an O_PATH fd already */
		fd = resolve_component_open(w->dirs[w->depth], last, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			ret = fd;
		else if (fstat(fd, st) < 0 || !S_ISDIR(st->st_mode))
			ret = -EAGAIN; /* swapped since the stat */
		if (!ret)
			*out = fd;
		else if (fd >= 0)
			close(fd);
	} else if (!ret) {
		ret = resolve_open_last(w, last, path, out, err, errlen);
		if (!ret && fstat(*out, st) < 0) {
			ret = -errno;
			close(*out);
		}
	}
	resolve_walk_close(w);
	free(w);
	return ret ? resolve_error(ret, path, err, errlen) : 0;
}

/*
 * A directory's regular file is opened with these, beside its directory,
 * one component (resolve_component_open adds O_NOFOLLOW, O_CLOEXEC and the
 * RESOLVE_ rules): O_NONBLOCK so that an entry swapped for a FIFO since
 * the listing does not block the open; resolve_entry_opened clears it.
 */
#define RESOLVE_ENTRY_FLAGS (O_RDONLY | O_NOCTTY | O_NONBLOCK)

/* The open_how of a directory's regular file, for walk_batch.c's IORING_OP_OPENAT2. */
void resolve_entry_how(struct open_how *how)
{
	*how = resolve_how(RESOLVE_ENTRY_FLAGS);
}

/*
 * A directory's entry opened with resolve_entry_how and stat'ed (st):
 * kept only if it is a regular file and, on another device than its
 * directory, one resolve_check_fs allows; then reads block again. One
 * F_SETFL, not F_GETFL and F_SETFL: the open set no other flag F_SETFL
 * changes (O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME), and each system call
 * is ~1 us of the walk's ~10 a file here (BENCHMARKS.md "The walk").
 * Closes fd on error.
 */
int resolve_entry_opened(const struct fs *fs, int fd, dev_t dirdev, const char *name,
			 const struct stat *st)
{
	char ignored[256];
	int ret = -EINVAL;

	if (!S_ISREG(st->st_mode))
		goto out_close;
	if (st->st_dev != dirdev) {
		ret = resolve_check_fs(fs, fd, st->st_dev, name, ignored, sizeof(ignored));
		if (ret)
			goto out_close;
	}
	if (fcntl(fd, F_SETFL, 0) < 0) {
		ret = -errno;
		goto out_close;
	}
	return 0;
out_close:
	close(fd);
	return ret;
}

/*
 * One entry of a directory being walked, opened as the caller beside its
 * directory (dirfd, on device dirdev), with symlinks refused: a directory
 * for getdents, or a regular file for reading (anything else: -EINVAL).
 * A directory on another device is checked (pseudo filesystems, this
 * mount) through an O_PATH fd before anything in it is opened; a file
 * after its open, by the device fstat gives.
 */
int resolve_open_entry(const struct fs *fs, int dirfd, dev_t dirdev, const char *name, bool dir,
		       int *out, struct stat *st)
{
	int fd, ret;

	if (dir) {
		char ignored[256];
		dev_t dev = 0;
		mode_t mode = 0;
		int pfd = resolve_component_open(dirfd, name, O_PATH);

		if (pfd < 0)
			return pfd;
		ret = resolve_fd_dev(pfd, &dev, &mode);
		if (!ret && !S_ISDIR(mode))
			ret = -ENOTDIR;
		if (!ret && dev != dirdev)
			ret = resolve_check_fs(fs, pfd, dev, name, ignored, sizeof(ignored));
		if (!ret) {
			fd = resolve_component_open(pfd, ".", O_RDONLY | O_DIRECTORY);
			ret = fd < 0 ? fd : 0;
		}
		close(pfd);
		if (ret)
			return ret;
		if (fstat(fd, st) < 0) {
			ret = -errno;
			close(fd);
			return ret;
		}
		*out = fd;
		return 0;
	}
	fd = resolve_component_open(dirfd, name, RESOLVE_ENTRY_FLAGS);
	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = resolve_entry_opened(fs, fd, dirdev, name, st);
	if (!ret)
		*out = fd;
	return ret;
}
