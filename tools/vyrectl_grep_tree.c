// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_tree.c - A tree job's files as grep -r names and orders them: the operand as
 * given ("./a.txt", "sub/b.txt"), --include/--exclude/--exclude-dir
 * applied below it, and fts(3)'s readdir preorder instead of the daemon's
 * path order.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vyrectl_grep.h"

/*
 * A tree entry's path (unescaped, absolute as the daemon wrote it) as grep
 * -r names it: the operand as given, then the part below it ("./a.txt",
 * "sub/b.txt"; "a.txt" for -r without FILE). -1 if --include,
 * --exclude or --exclude-dir leave it out.
 */
int tree_name(const struct grep_state *s, const struct grep_file *f, const char *path, size_t n,
	      struct buf *out)
{
	const struct grep_opts *o = s->o;
	const char *rel = path;
	size_t sl = f->sent.len;
	int ret;

	out->len = 0;
	if (n > sl && !memcmp(path, f->sent.data, sl) &&
	    (path[sl] == '/' || f->sent.data[sl - 1] == '/'))
		rel = path + sl + (path[sl] == '/');
	/* the directories below the operand, then the file's own name */
	for (const char *c = rel, *sep; (sep = memchr(c, '/', n - (size_t)(c - path)));
	     c = sep + 1) {
		char comp[NAME_MAX + 1];
		size_t k = (size_t)(sep - c);

		if (rel == path || k > NAME_MAX)
			break;
		memcpy(comp, c, k);
		comp[k] = '\0';
		if (glob_any(o->exclude_dir, o->nexclude_dir, comp))
			return -1;
	}
	{
		const char *base = memrchr(path, '/', n);
		char comp[NAME_MAX + 1];
		size_t k;

		base = base ? base + 1 : path;
		k = n - (size_t)(base - path);
		if (k <= NAME_MAX) {
			memcpy(comp, base, k);
			comp[k] = '\0';
			if (name_excluded(o, comp))
				return -1;
		}
	}
	if (rel == path)
		return buf_put(out, path, n);
	if (o->no_operand)
		return buf_put(out, rel, n - (size_t)(rel - path));
	ret = buf_puts(out, f->name);
	if (!ret && (!out->len || out->data[out->len - 1] != '/'))
		ret = buf_put(out, "/", 1);
	if (!ret)
		ret = buf_put(out, rel, n - (size_t)(rel - path));
	return ret;
}

/*
 * grep -r walks with fts(3) and no comparison function: each directory's
 * entries in readdir order, a subdirectory's entries right after its own
 * (preorder). The daemon lists a tree's files sorted by path; this puts
 * them back in grep's order: each path's key is the readdir position of
 * each of its components, read here as the caller. (gnulib's fts sorts a
 * directory of over 10,000 entries by inode number on some filesystems;
 * that is not followed.)
 */
struct tree_dir {
	char *path;
	char **names;	   /* readdir order */
	uint32_t *by_name; /* indexes into names, sorted by name */
	size_t n;
};

struct tree_order {
	struct tree_dir *dirs;
	size_t n, cap;
	size_t last; /* the directory looked up last: the next is often the same */
};

struct tree_seg {
	size_t start, end; /* bytes of its records in the buffer */
	uint32_t *key;
	size_t klen;
	size_t ord; /* its place in path order, which breaks ties */
};

static char **tree_sort_names;

static int tree_name_cmp(const void *a, const void *b)
{
	return strcmp(tree_sort_names[*(const uint32_t *)a], tree_sort_names[*(const uint32_t *)b]);
}

static void tree_dir_free(struct tree_dir *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->names);
	free(d->by_name);
	free(d->path);
}

/* DIR's entries in readdir order; a directory that cannot be read lists nothing. */
static struct tree_dir *tree_dir_get(struct tree_order *t, const char *path)
{
	struct tree_dir *d;
	size_t cap = 0;
	DIR *dir;
	struct dirent *e;

	if (t->n && !strcmp(t->dirs[t->last].path, path))
		return &t->dirs[t->last];
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->dirs[i].path, path)) {
			t->last = i;
			return &t->dirs[i];
		}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		struct tree_dir *v = realloc(t->dirs, nc * sizeof(*v));

		if (!v)
			return NULL;
		t->dirs = v;
		t->cap = nc;
	}
	d = &t->dirs[t->n];
	*d = (struct tree_dir){.path = strdup(path)};
	if (!d->path)
		return NULL;
	dir = opendir(path);
	while (dir && (e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (d->n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **v = realloc(d->names, nc * sizeof(*v));

			if (!v)
				break;
			d->names = v;
			cap = nc;
		}
		d->names[d->n] = strdup(e->d_name);
		if (!d->names[d->n])
			break;
		d->n++;
	}
	if (dir)
		closedir(dir);
	d->by_name = malloc((d->n ? d->n : 1) * sizeof(*d->by_name));
	if (!d->by_name) {
		tree_dir_free(d);
		return NULL;
	}
	for (size_t i = 0; i < d->n; i++)
		d->by_name[i] = (uint32_t)i;
	tree_sort_names = d->names;
	qsort(d->by_name, d->n, sizeof(*d->by_name), tree_name_cmp);
	t->last = t->n++;
	return d;
}

static uint32_t tree_dir_index(const struct tree_dir *d, const char *name)
{
	size_t lo = 0, hi = d ? d->n : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(d->names[d->by_name[mid]], name);

		if (!c)
			return d->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT32_MAX; /* gone since: last */
}

/* The key of PATH (absolute, below the operand sent): its components' readdir positions. */
static int tree_key(struct tree_order *t, const struct grep_file *f, const char *path,
		    struct tree_seg *g)
{
	size_t sl = f->sent.len;
	struct buf dir = {0};
	const char *rel = path;
	int ret;

	if (!strncmp(path, f->sent.data, sl) && (path[sl] == '/' || f->sent.data[sl - 1] == '/'))
		rel = path + sl + (path[sl] == '/');
	ret = buf_put(&dir, path, (size_t)(rel - path));
	while (!ret && *rel) {
		const char *sep = strchr(rel, '/');
		size_t k = sep ? (size_t)(sep - rel) : strlen(rel);
		char name[NAME_MAX + 1];
		uint32_t *v;

		if (k > NAME_MAX)
			break;
		memcpy(name, rel, k);
		name[k] = '\0';
		v = realloc(g->key, (g->klen + 1) * sizeof(*v));
		if (!v) {
			ret = -ENOMEM;
			break;
		}
		g->key = v;
		g->key[g->klen++] =
		    tree_dir_index(tree_dir_get(t, dir.data ? dir.data : "/"), name);
		if (dir.len && dir.data[dir.len - 1] != '/')
			ret = buf_put(&dir, "/", 1);
		if (!ret)
			ret = buf_put(&dir, name, k);
		rel += k + (sep ? 1 : 0);
	}
	buf_free(&dir);
	return ret;
}

static int tree_seg_cmp(const void *a, const void *b)
{
	const struct tree_seg *x = a, *y = b;

	for (size_t i = 0; i < x->klen && i < y->klen; i++)
		if (x->key[i] != y->key[i])
			return x->key[i] < y->key[i] ? -1 : 1;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* The escaped path of one record: "PATH:LINE:OFFSET" (lines) or "RESULT PATH" (files). */
static void tree_record_path(const char *r, size_t n, bool lines, const char **p, size_t *len)
{
	if (lines) {
		unsigned long long line, off;
		size_t plen = 0;

		*p = r;
		*len = lines_entry_parse(r, n, &line, &off, &plen) ? n : plen;
	} else {
		const char *sp = memchr(r, ' ', n);

		*p = sp ? sp + 1 : r;
		*len = sp ? n - (size_t)(sp + 1 - r) : n;
	}
}

/* Reorders b's records (each ending in '\n', grouped by path) into grep -r's order. */
int tree_reorder(const struct grep_file *f, struct buf *b, bool lines)
{
	struct tree_order t = {0};
	struct tree_seg *segs = NULL;
	size_t nseg = 0, cap = 0;
	struct buf out = {0}, path = {0};
	const char *lp = NULL; /* the last segment's path */
	size_t llen = 0;
	int ret = 0;

	for (size_t pos = 0; pos < b->len && !ret;) {
		char *nl = memchr(b->data + pos, '\n', b->len - pos);
		size_t e = nl ? (size_t)(nl - b->data) + 1 : b->len, plen;
		const char *p;

		tree_record_path(b->data + pos, e - pos - (nl ? 1 : 0), lines, &p, &plen);
		/* the records of one path are adjacent: one segment */
		if (nseg && plen == llen && !memcmp(p, lp, plen)) {
			segs[nseg - 1].end = e;
			pos = e;
			continue;
		}
		lp = p;
		llen = plen;
		if (nseg == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct tree_seg *v = realloc(segs, nc * sizeof(*v));

			if (!v) {
				ret = -ENOMEM;
				break;
			}
			segs = v;
			cap = nc;
		}
		segs[nseg] = (struct tree_seg){.start = pos, .end = e, .ord = nseg};
		path.len = 0;
		ret = buf_put(&path, p, plen);
		if (!ret) {
			path.len = path_unescape(path.data, path.len);
			path.data[path.len] = '\0';
			ret = tree_key(&t, f, path.data, &segs[nseg]);
		}
		nseg++;
		pos = e;
	}
	if (!ret)
		qsort(segs, nseg, sizeof(*segs), tree_seg_cmp);
	for (size_t i = 0; i < nseg && !ret; i++)
		ret = buf_put(&out, b->data + segs[i].start, segs[i].end - segs[i].start);
	if (!ret) {
		buf_free(b);
		*b = out;
	} else {
		buf_free(&out);
	}
	for (size_t i = 0; i < nseg; i++)
		free(segs[i].key);
	free(segs);
	for (size_t i = 0; i < t.n; i++)
		tree_dir_free(&t.dirs[i]);
	free(t.dirs);
	buf_free(&path);
	return ret;
}
