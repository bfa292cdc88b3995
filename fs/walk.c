// SPDX-License-Identifier: MIT
/*
 * walk.c - the walker thread of a many-file job: finds its files as the
 * caller and hands each, opened, to many.c.
 *
 * The thread takes the caller's fsuid/fsgid/groups (the snapshot taken at
 * submit) and drops its effective capabilities for its whole life, so
 * every directory it lists and every file it opens is one the caller
 * could; its root is the caller's (/proc/<pid>/root, opened at submit).
 *
 * Operands (path=, each glob match, each line of files=) are resolved by
 * resolve.c's walk, symlinks included, as grep -r follows those named on
 * its command line. Below a directory every entry is opened beside its
 * directory with symlinks refused (resolve_open_entry; a directory's
 * regular files up to WALK_BATCH at a time through io_uring, walk_batch.c,
 * with the same rules, given to the scan in listing order); a symlink is
 * skipped, or with follow=1 resolved from the caller's root by its full
 * path like an operand. A directory whose (dev, ino) is one of its own
 * ancestors is a loop: a failed entry ELOOP, not entered. With follow=1 a
 * directory reached again by another path is entered again, as grep -R
 * does, but such revisits are bounded by files_max.
 *
 * A job that follows no symlinks is walked by several threads
 * (walk_par.c: up to VYRE_WALK_THREADS, default the online CPUs up to 8):
 * the first walker takes the operands (a directory, globs, a files= list)
 * as before, and each subdirectory it opens waits in a shared queue for
 * any of them, each thread with its own batch ring and pack, all as the
 * caller (a thread started by the walker has its creds: fsuid, groups, no
 * capabilities). Which thread finds a file then says nothing of its place
 * in grep -r's order, so with order=walk each directory entered is a node
 * of many_order.c's tree, holding its files and subdirectories where its
 * listing had them, and the queue hands out the directory first in that
 * order (walk_qdir_before).
 *
 * Globs: each component with *, ? or [ is matched with fnmatch(3) against
 * the directory's entries (a leading dot only by a leading dot), as
 * glob(3) would, but through the same walk as the caller; matches are
 * taken in strcmp order. No match at all: the path is taken literally.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "many.h"
#include "walk_par.h"

#define WALK_DEPTH_MAX 256 /* directories below an operand; deeper: ENAMETOOLONG */
#define WALK_PATH_MAX  (4 * PATH_MAX)

#define WALK_THREADS_DEFAULT 8 /* or the online CPUs, if fewer */

struct walk_anc {
	dev_t dev;
	ino_t ino;
};

struct walk {
	struct fs_many *m;
	struct fs *fs;
	struct many_packer *pk; /* the pack this thread fills: m->pk for the first walker */
	struct walk_par *par;   /* directories shared with the job's other walkers, or NULL */
	struct many_dir *dir;   /* order=walk: the directory being listed (many_order.c) */
	struct walk_anc anc[WALK_DEPTH_MAX + 1];
	int depth;
	char path[WALK_PATH_MAX]; /* the entry being looked at */
	bool stop;                /* cancelled or a limit: no more entries */
	struct walk_dirset seen; /* follow=1: every directory entered */
	unsigned long revisits;  /* directories entered again by another path */
	/* the listed directory's regular files, a place reserved for each,
	 * opened together (walk_batch.c); empty whenever walk_dir recurses */
	struct walk_batch batch;
};

static bool walk_stopped(struct walk *w)
{
	if (!w->stop && atomic_load_explicit(&w->m->cancel, memory_order_relaxed))
		w->stop = true;
	return w->stop;
}

static void walk_fail(struct walk *w, const char *path, int err)
{
	if (many_add_failed(w->m, path, err < 0 ? -err : err))
		w->stop = true; /* files_max */
}

static void walk_enter(struct walk *w, int dirfd, const struct stat *st, size_t plen, bool queue);

/* A regular file opened as the caller: to the scan, once it has a place. */
static void walk_file(struct walk *w, int fd, const struct stat *st)
{
	int ret = many_reserve(w->m, w->pk);

	if (ret) {
		close(fd);
		w->stop = true;
		return;
	}
	many_add_file(w->m, w->pk, w->dir, w->path, fd, st);
}

/* Opens w->path from the caller's root, symlinks followed: an operand, or follow=1. */
static void walk_resolve(struct walk *w, size_t plen, bool quiet_enoent)
{
	char err[512];
	struct stat st;
	int fd, ret;

	ret = resolve_open_any(w->fs, w->m->rootfd, w->path, &fd, &st, err, sizeof(err));
	if (ret) {
		if (!(quiet_enoent && ret == -ENOENT))
			walk_fail(w, w->path, ret);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		walk_enter(w, fd, &st, plen, false);
		return;
	}
	walk_file(w, fd, &st);
}

/* Appends "/name" to w->path at plen; the new length, or 0 if it does not fit. */
static size_t walk_join(struct walk *w, size_t plen, const char *name)
{
	size_t n = strlen(name);
	bool slash = plen == 0 || w->path[plen - 1] != '/';

	if (plen + slash + n + 1 > sizeof(w->path))
		return 0;
	if (slash)
		w->path[plen++] = '/';
	memcpy(w->path + plen, name, n + 1);
	return plen + n;
}

/*
 * The batch's files, each with a place reserved, opened beside dirfd (the
 * directory at w->path[0, plen)) and given to the scan in listing order.
 * Stopped (cancel, files_max): their places go back unopened.
 */
static void walk_flush(struct walk *w, int dirfd, dev_t dirdev, size_t plen)
{
	struct walk_batch *b = &w->batch;
	bool opened = !walk_stopped(w);

	if (!b->n)
		return;
	if (opened)
		walk_batch_open(b, w->fs, dirfd, dirdev);
	for (unsigned i = 0; i < b->n; i++) {
		int ret = opened ? b->res[i] : -ECANCELED;
		if (ret >= 0 && w->stop) { /* files_max, reached by a failure just before */
			close(ret);
			ret = -ECANCELED;
		}
		walk_join(w, plen, b->names[i]); /* fits: checked when listed */
		if (ret >= 0) {
			many_add_file(w->m, w->pk, w->dir, w->path, ret, &b->st[i]);
			continue;
		}
		many_unreserve(w->m);
		/* swapped for something else since the listing: as grep, skip it */
		if (ret != -EINVAL && ret != -ELOOP && ret != -ECANCELED)
			walk_fail(w, w->path, ret);
	}
	b->n = 0;
	w->path[plen] = '\0';
}

/* A subdirectory opened, waiting for any walker thread of the job (walk_par.c). */
struct walk_qdir {
	struct walk_qnode q;
	struct many_dir *dir; /* order=walk: its place in the order */
	int fd;
	struct stat st;
	size_t plen;
	int depth;
	struct walk_anc anc[]; /* depth of them, then the path */
};

/* With a queue: dirfd (w->path[0, plen)) goes to it, for any walker; false: list it now. */
static bool walk_queue_dir(struct walk *w, int dirfd, const struct stat *st, size_t plen,
			   struct many_dir *node)
{
	struct walk_qdir *d;

	if (!w->par)
		return false;
	d = malloc(sizeof(*d) + (size_t)w->depth * sizeof(d->anc[0]) + plen + 1);
	if (!d)
		return false;
	*d = (struct walk_qdir){.dir = node, .fd = dirfd, .st = *st, .plen = plen, .depth = w->depth};
	memcpy(d->anc, w->anc, (size_t)w->depth * sizeof(d->anc[0]));
	memcpy((char *)&d->anc[w->depth], w->path, plen + 1);
	if (walk_par_push(w->par, &d->q))
		return true;
	free(d);
	return false;
}

/* One directory, opened (dirfd is ours to close), its path in w->path[0, plen). */
static int walk_dir_list(struct walk *w, int dirfd, const struct stat *st, size_t plen)
{
	DIR *dir;
	struct dirent *de;

	for (int i = 0; i < w->depth; i++) {
		if (w->anc[i].dev == st->st_dev && w->anc[i].ino == st->st_ino) {
			walk_fail(w, w->path, ELOOP);
			close(dirfd);
			return 0;
		}
	}
	if (w->depth >= WALK_DEPTH_MAX) {
		walk_fail(w, w->path, ENAMETOOLONG);
		close(dirfd);
		return 0;
	}
	if (w->m->d.follow && st->st_ino && walk_dirset_seen(&w->seen, st->st_dev, st->st_ino) &&
	    ++w->revisits > w->m->files_max) {
		/* grep -R enters a directory by every path, as this does; but
		 * a DAG of symlinks has 2^depth of them, files or not */
		walk_fail(w, w->path, ELOOP);
		many_walk_error(w->m, "follow=1: more directories entered again by other paths "
				"than files_max allows (a web of symlinks?): the walk stopped there");
		w->stop = true;
		close(dirfd);
		return 0;
	}
	dir = fdopendir(dirfd);
	if (!dir) {
		walk_fail(w, w->path, errno);
		close(dirfd);
		return 0;
	}
	w->anc[w->depth].dev = st->st_dev;
	w->anc[w->depth].ino = st->st_ino;
	w->depth++;
	for (;;) {
		if (walk_stopped(w))
			break;
		errno = 0;
		de = readdir(dir);
		if (!de) {
			if (errno) {
				w->path[plen] = '\0';
				walk_fail(w, w->path, errno);
			}
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		size_t n = walk_join(w, plen, de->d_name);
		if (!n) {
			w->path[plen] = '\0';
			walk_fail(w, w->path, ENAMETOOLONG);
			continue;
		}
		unsigned char type = de->d_type;
		if (type == DT_UNKNOWN) {
			struct stat est;
			if (fstatat(dirfd, de->d_name, &est, AT_SYMLINK_NOFOLLOW) < 0) {
				walk_fail(w, w->path, errno);
				continue;
			}
			type = S_ISDIR(est.st_mode) ? DT_DIR : S_ISREG(est.st_mode) ? DT_REG
			       : S_ISLNK(est.st_mode) ? DT_LNK : DT_UNKNOWN;
		}
		struct stat cst;
		int cfd, ret;
		switch (type) {
		case DT_DIR:
			walk_flush(w, dirfd, st->st_dev, plen); /* the order stays the listing's */
			walk_join(w, plen, de->d_name);
			ret = resolve_open_entry(w->fs, dirfd, st->st_dev, de->d_name, true, &cfd,
						 &cst);
			if (ret)
				walk_fail(w, w->path, ret);
			else
				walk_enter(w, cfd, &cst, n, true);
			break;
		case DT_REG:
			ret = many_reserve(w->m, w->pk);
			if (ret) { /* files_max: the files before it are scanned */
				walk_flush(w, dirfd, st->st_dev, plen);
				w->stop = true;
				break;
			}
			snprintf(w->batch.names[w->batch.n++], NAME_MAX + 1, "%s", de->d_name);
			if (w->batch.n == WALK_BATCH)
				walk_flush(w, dirfd, st->st_dev, plen);
			break;
		case DT_LNK:
			if (w->m->d.follow) {
				walk_flush(w, dirfd, st->st_dev, plen);
				walk_join(w, plen, de->d_name);
				walk_resolve(w, n, false);
			}
			break;
		default: /* devices, FIFOs, sockets: grep -r skips them too */
			break;
		}
	}
	walk_flush(w, dirfd, st->st_dev, plen);
	w->depth--;
	w->path[plen] = '\0';
	closedir(dir);
	return 0;
}

/* walk_dir_list with w->dir set to node, then node is listed (order=walk) */
static void walk_dir(struct walk *w, int dirfd, const struct stat *st, size_t plen,
		     struct many_dir *node)
{
	struct many_dir *up = w->dir;

	w->dir = node;
	walk_dir_list(w, dirfd, st, plen);
	many_dir_listed(w->m, node);
	w->dir = up;
}

/*
 * A directory opened below w->dir, its path w->path[0, plen): its place in
 * the order taken now, where its walker found it; then listed now, or (a
 * subdirectory, queue) by any walker.
 */
static void walk_enter(struct walk *w, int dirfd, const struct stat *st, size_t plen, bool queue)
{
	struct many_dir *node;
	int ret = many_dir_open(w->m, w->dir, &node);

	if (ret) {
		walk_fail(w, w->path, ret);
		close(dirfd);
		return;
	}
	if (!queue || !walk_queue_dir(w, dirfd, st, plen, node))
		walk_dir(w, dirfd, st, plen, node);
}

static bool walk_has_glob(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == '\\')
			return true;
	return false;
}

static int walk_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Expands rest (what follows w->path[0, plen)) component by component;
 * returns the number of matches found at the leaves.
 */
static size_t walk_glob(struct walk *w, size_t plen, const char *rest)
{
	while (*rest == '/')
		rest++;
	if (!*rest) { /* a whole match: an operand */
		if (!plen) {
			w->path[0] = '/';
			w->path[1] = '\0';
			plen = 1;
		}
		walk_resolve(w, plen, true);
		return 1;
	}
	const char *slash = strchr(rest, '/');
	size_t clen = slash ? (size_t)(slash - rest) : strlen(rest);
	const char *after = rest + clen;
	char comp[NAME_MAX + 1];

	if (clen > NAME_MAX)
		return 0;
	memcpy(comp, rest, clen);
	comp[clen] = '\0';
	if (!walk_has_glob(comp, clen)) {
		size_t n = walk_join(w, plen, comp);
		size_t got = n ? walk_glob(w, n, after) : 0;
		w->path[plen] = '\0';
		return got;
	}

	/* list the directory so far, as the caller */
	char err[512];
	struct stat st;
	int fd;
	if (!plen) {
		w->path[0] = '/';
		w->path[1] = '\0';
	}
	if (resolve_open_any(w->fs, w->m->rootfd, w->path, &fd, &st, err, sizeof(err))) {
		w->path[plen] = '\0';
		return 0;
	}
	w->path[plen] = '\0';
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		return 0;
	}
	DIR *dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return 0;
	}
	char **names = NULL;
	size_t nn = 0, cap = 0, got = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fnmatch(comp, de->d_name, FNM_PERIOD))
			continue;
		if (nn == cap) {
			cap = cap ? 2 * cap : 16;
			char **t = realloc(names, cap * sizeof(*t));
			if (!t)
				break;
			names = t;
		}
		names[nn] = strdup(de->d_name);
		if (names[nn])
			nn++;
	}
	closedir(dir);
	if (nn)
		qsort(names, nn, sizeof(*names), walk_name_cmp);
	for (size_t i = 0; i < nn; i++) {
		if (!walk_stopped(w)) {
			size_t n = walk_join(w, plen, names[i]);
			if (n)
				got += walk_glob(w, n, after);
			w->path[plen] = '\0';
		}
		free(names[i]);
	}
	free(names);
	return got;
}

/* One operand as written: a glob, or a path. */
static void walk_operand(struct walk *w, const char *path)
{
	size_t n = strlen(path);

	if (n >= sizeof(w->path)) {
		walk_fail(w, path, ENAMETOOLONG);
		return;
	}
	if (walk_has_glob(path, n)) {
		w->path[0] = '\0';
		if (walk_glob(w, 0, path) || walk_stopped(w))
			return;
	}
	memcpy(w->path, path, n + 1);
	while (n > 1 && w->path[n - 1] == '/') /* shown as grep shows "dir/" + name */
		w->path[--n] = '\0';
	walk_resolve(w, n, false);
}

/* files=: one path a line, each an operand; the list was opened at submit. */
static void walk_files_list(struct walk *w)
{
	struct fs_many *m = w->m;
	struct walk_list l;
	const char *p;
	size_t n;
	int ret = walk_list_read(&l, m->listfd);

	if (ret)
		walk_fail(w, m->d.files, ret); /* a read error: what was read still goes */
	while (!walk_stopped(w) && (p = walk_list_next(&l, &n, &ret))) {
		if (ret) {
			walk_fail(w, p, ret);
		} else if (n >= sizeof(w->path)) {
			walk_fail(w, p, ENAMETOOLONG);
		} else if (n) {
			/* a literal path, globs in it are just bytes */
			memcpy(w->path, p, n + 1);
			while (n > 1 && w->path[n - 1] == '/')
				w->path[--n] = '\0';
			walk_resolve(w, n, false);
		}
	}
	walk_list_free(&l);
}

/* A queued directory, taken by this thread: listed as if reached from its parent. */
static void walk_queued(struct walk *w, struct walk_qnode *n)
{
	struct walk_qdir *d = (struct walk_qdir *)n; /* q is its first member */
	struct many_dir *node;
	struct stat st = d->st;
	size_t plen = d->plen;
	int fd = d->fd;

	w->depth = d->depth;
	memcpy(w->anc, d->anc, (size_t)d->depth * sizeof(d->anc[0]));
	memcpy(w->path, (char *)&d->anc[d->depth], plen + 1);
	node = d->dir;
	free(d);
	walk_dir(w, fd, &st, plen, node);
}

/* Before a walker waits for a directory: its pack holds places another may wait for. */
static void walk_idle(void *arg)
{
	struct walk *w = arg;

	many_pack_flush(w->m, w->pk);
}

/* A helper walker thread: the first walker's creds, its own ring and pack. */
static void *walk_helper_main(void *arg)
{
	const struct walk *first = arg;
	struct walk_par *par = first->par;
	struct {
		struct walk w;
		struct many_packer pk;
	} *h = calloc(1, sizeof(*h));
	struct walk_qnode *n;

	(void)pthread_setname_np(pthread_self(), "vyre-walk"); /* top -H; cosmetic */
	pthread_mutex_lock(&first->m->lock);
	first->m->walkers++;
	pthread_mutex_unlock(&first->m->lock);
	if (h) {
		h->w = (struct walk){.m = first->m, .fs = first->fs, .pk = &h->pk, .par = par};
		/* order=walk: packs that grow, as the first walker's (FS_MANY_PACK_FIRST) */
		h->pk.cap = first->m->d.walk_order ? 2 : 0;
		walk_batch_init(&h->w.batch);
	}
	while ((n = walk_par_next(par, h ? walk_idle : NULL, h ? &h->w : NULL))) {
		if (h) {
			walk_queued(&h->w, n);
			continue;
		}
		/* no memory for a walker: the directory is reported, not lost */
		struct walk_qdir *d = (struct walk_qdir *)n;
		many_add_failed(first->m, (char *)&d->anc[d->depth], ENOMEM);
		many_dir_listed(first->m, d->dir);
		close(d->fd);
		free(d);
	}
	if (h) {
		many_pack_flush(h->w.m, &h->pk);
		walk_batch_exit(&h->w.batch);
		free(h);
	}
	return NULL;
}

/* Walker threads for m's walk: 1 where follow=1's set of directories is kept. */
static unsigned walk_threads(const struct fs_many *m)
{
	const char *v = getenv("VYRE_WALK_THREADS"); /* tests and benchmarks */
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (m->d.follow)
		return 1;
	if (v && *v)
		n = strtol(v, NULL, 10);
	else if (n > WALK_THREADS_DEFAULT)
		n = WALK_THREADS_DEFAULT;
	return n < 1 ? 1 : n > WALK_PAR_THREADS_MAX ? WALK_PAR_THREADS_MAX : (unsigned)n;
}

static bool walk_qdir_before(const struct walk_qnode *a, const struct walk_qnode *b)
{
	return many_dir_before(((const struct walk_qdir *)a)->dir, ((const struct walk_qdir *)b)->dir);
}

/* After cred_enter: helpers may share the walk (true); they start as directories wait. */
static bool walk_par_begin(struct walk *w, struct walk_par *par)
{
	unsigned nt = walk_threads(w->m);

	/* order=walk: the directory first in the order is listed first, so
	 * what streams (its prefix) grows as the walk goes */
	if (nt < 2 || walk_par_init(par, nt, walk_helper_main, w,
				    w->m->d.walk_order ? walk_qdir_before : NULL))
		return false;
	w->par = par;
	return true;
}

/* The first walker's operands are done: it takes queued directories until none is left. */
static void walk_par_end(struct walk *w, struct walk_par *par)
{
	struct walk_qnode *n;

	while ((n = walk_par_next(par, walk_idle, w)))
		walk_queued(w, n);
	walk_par_exit(par);
	w->par = NULL;
}

void *walk_main(void *arg)
{
	struct fs_job *j = arg;
	struct fs_many *m = j->many;
	struct fs *fs = m->fs;
	struct cred_saved saved;
	struct walk *w = calloc(1, sizeof(*w));
	bool creds = geteuid() == 0;
	int ret = 0;

	pthread_setname_np(pthread_self(), "vyre-walk"); /* top -H; BENCHMARKS.md's CPU split */
	if (!w) {
		many_add_failed(m, m->d.files[0] ? m->d.files : m->d.path, ENOMEM);
		goto out;
	}
	w->m = m;
	w->fs = fs;
	w->pk = &m->pk;
	w->dir = m->oroot;
	/* before cred_enter: kernel.io_uring_disabled=1 lets only the
	 * privileged set a ring up; its requests run as the walker's creds */
	walk_batch_init(&w->batch);
	if (creds)
		ret = cred_enter(&m->caller, &saved);
	if (ret) {
		many_add_failed(m, m->d.files[0] ? m->d.files : m->d.path, -ret);
	} else {
		struct walk_par par;
		bool par_ok = walk_par_begin(w, &par);
		if (m->listfd >= 0) {
			walk_files_list(w);
		} else if (m->startfd >= 0) {
			size_t n = strlen(m->d.path);
			memcpy(w->path, m->d.path, n + 1);
			while (n > 1 && w->path[n - 1] == '/')
				w->path[--n] = '\0';
			int fd = m->startfd;
			m->startfd = -1;
			walk_enter(w, fd, &m->startst, n, false);
		} else {
			walk_operand(w, m->d.path);
		}
		many_dir_listed(m, m->oroot); /* the operands are in it */
		if (par_ok)
			walk_par_end(w, &par);
	}
	if (creds)
		cred_leave(&saved);
	walk_batch_exit(&w->batch);
	walk_dirset_free(&w->seen);
	free(w);
out:
	if (m->listfd >= 0) {
		close(m->listfd);
		m->listfd = -1;
	}
	/*
	 * Only the walk opens through the caller's root: a finished job must
	 * not hold it (a chrooted caller's filesystem could not be unmounted).
	 */
	if (m->rootfd >= 0) {
		close(m->rootfd);
		m->rootfd = -1;
	}
	many_walk_done(m);
	fs_job_put(&j);
	pthread_mutex_lock(&fs->lock);
	fs->walkers--;
	pthread_cond_broadcast(&fs->walkers_cond);
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}
