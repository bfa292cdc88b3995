// SPDX-License-Identifier: MIT
/*
 * many_order.c - grep -r's order for an order=walk job whose tree is
 * listed by several walker threads (walk.c, walk_par.c).
 *
 * grep -r shows a directory's entries in listing order, a subdirectory's
 * files where the subdirectory stands in it. One walker found them in
 * that order; several do not: each lists the directory it took, and a
 * file found by one may come before files another found earlier. So each
 * directory a walk enters is a node (struct many_dir) holding its items
 * in listing order, each a file (its index in m->files) or the node of a
 * subdirectory, appended as its walker finds them. The job's order is the
 * tree's depth-first order, and what is certain of it (streaming,
 * render_many_certain) is its prefix up to the first file still running
 * or the first directory not yet wholly listed (a file found later may
 * belong there): many_order_settle walks that prefix once, amortized one
 * step an item, and appends it to m->order.
 *
 * Nodes are freed with the job (m->dirs); a node's items once the prefix
 * has passed it. Everything here is under m->lock except what never
 * changes after a node is made (parent, pos, depth: many_dir_before).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "many.h"

struct many_ditem {
	struct many_dir *dir; /* a subdirectory, or NULL: file */
	size_t file;          /* index in m->files */
};

struct many_dir {
	struct many_dir *parent; /* NULL: the job's operands */
	size_t pos;              /* its index in parent's items */
	unsigned depth;
	struct many_dir *all;    /* m->dirs, freed with the job */
	struct many_ditem *items;
	size_t n, cap;
	size_t next;             /* items before it are in m->order (or entered) */
	bool listed;             /* its walker is done: no item comes after n */
};

/* (m->lock held) one more item at the end of d; -ENOMEM */
static int many_dir_push_locked(struct many_dir *d, struct many_dir *sub, size_t file)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 8;
		struct many_ditem *t = realloc(d->items, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		d->items = t;
		d->cap = cap;
	}
	d->items[d->n++] = (struct many_ditem){.dir = sub, .file = file};
	return 0;
}

int many_order_init(struct fs_many *m)
{
	if (!m->d.walk_order)
		return 0;
	m->oroot = calloc(1, sizeof(*m->oroot));
	if (!m->oroot)
		return -ENOMEM;
	m->dirs = m->oroot;
	m->ocur = m->oroot;
	return 0;
}

int many_dir_open(struct fs_many *m, struct many_dir *parent, struct many_dir **dp)
{
	struct many_dir *d;
	int ret;

	*dp = NULL;
	if (!parent)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->parent = parent;
	d->depth = parent->depth + 1;
	pthread_mutex_lock(&m->lock);
	d->pos = parent->n;
	ret = many_dir_push_locked(parent, d, 0);
	if (!ret) {
		d->all = m->dirs;
		m->dirs = d;
	}
	pthread_mutex_unlock(&m->lock);
	if (ret) {
		free(d);
		return ret;
	}
	*dp = d;
	return 0;
}

void many_dir_listed(struct fs_many *m, struct many_dir *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&m->lock);
	d->listed = true;
	pthread_mutex_unlock(&m->lock);
}

int many_order_add_locked(struct fs_many *m, struct many_dir *d, size_t file)
{
	(void)m;
	return d ? many_dir_push_locked(d, NULL, file) : 0;
}

bool many_dir_before(const struct many_dir *a, const struct many_dir *b)
{
	/* up to one depth, then up to the common parent: its items' order */
	while (a->depth > b->depth) {
		if (a->parent == b)
			return false; /* b is a's ancestor: b's place comes first */
		a = a->parent;
	}
	while (b->depth > a->depth) {
		if (b->parent == a)
			return true;
		b = b->parent;
	}
	while (a->parent != b->parent) {
		a = a->parent;
		b = b->parent;
	}
	return a->pos < b->pos;
}

/* (m->lock held) o's room for every file: m->order grows with m->files */
static int many_order_room_locked(struct fs_many *m)
{
	if (m->norder < m->order_cap)
		return 0;
	size_t cap = m->order_cap ? 2 * m->order_cap : 64;
	size_t *t = realloc(m->order, cap * sizeof(*t));
	if (!t)
		return -ENOMEM;
	m->order = t;
	m->order_cap = cap;
	return 0;
}

size_t many_order_settle_locked(struct fs_many *m)
{
	struct many_dir *d = m->ocur;

	if (!d) /* not order=walk, or applied */
		return m->norder;
	while (d) {
		if (d->next < d->n) {
			const struct many_ditem *it = &d->items[d->next];
			if (it->dir) {
				d->next++;
				d = it->dir;
				continue;
			}
			if (m->files[it->file].state == MF_RUNNING || many_order_room_locked(m))
				break;
			m->order[m->norder++] = it->file;
			d->next++;
			continue;
		}
		if (!d->listed)
			break;
		free(d->items); /* passed: only its place in m->dirs is left */
		d->items = NULL;
		d->n = d->cap = d->next = 0;
		d = d->parent;
	}
	m->ocur = d ? d : m->oroot;
	return m->norder;
}

void many_order_apply_locked(struct fs_many *m)
{
	if (!m->oroot)
		return;
	/* whole: every node listed and every file ended, each index once */
	if (many_order_settle_locked(m) == m->nfiles) {
		/* in place, one cycle at a time: files[k] takes files[order[k]];
		 * a place done is marked SIZE_MAX in order */
		for (size_t i = 0; i < m->nfiles; i++) {
			if (m->order[i] == SIZE_MAX)
				continue;
			struct many_file first = m->files[i];
			size_t k = i;
			for (;;) {
				size_t from = m->order[k];
				m->order[k] = SIZE_MAX;
				if (from == i) {
					m->files[k] = first;
					break;
				}
				m->files[k] = m->files[from];
				k = from;
			}
		}
	}
	/* else (no memory for m->order): the files stay as they were found */
	many_order_free(m);
}

void many_order_free(struct fs_many *m)
{
	while (m->dirs) {
		struct many_dir *d = m->dirs;
		m->dirs = d->all;
		free(d->items);
		free(d);
	}
	free(m->order);
	m->order = NULL;
	m->oroot = m->ocur = NULL;
}
