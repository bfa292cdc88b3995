// SPDX-License-Identifier: MIT
/*
 * walk_seen.c - the directories a follow=1 walk has entered (walk.c), an
 * open-addressing set of (dev, ino).
 */
#include <stdint.h>
#include <stdlib.h>

#include "walk_par.h"

static size_t walk_dirid_hash(dev_t dev, ino_t ino, size_t cap)
{
	uint64_t h = ((uint64_t)dev * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)ino * 0xc2b2ae3d27d4eb4full);

	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/*
 * True if (dev, ino) is in the set, else adds it. follow=1 counts such
 * revisits against files_max: symlinks make a DAG of directories whose
 * paths grow as 2^depth (23 directories, each linking twice to the next,
 * spun for ever).
 */
bool walk_dirset_seen(struct walk_dirset *w, dev_t dev, ino_t ino)
{
	size_t i;

	if (w->n * 2 >= w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct walk_dirid *n = calloc(cap, sizeof(*n));
		if (!n)
			return false; /* no memory: no dedupe; the ancestor check still ends loops */
		for (size_t k = 0; k < w->cap; k++) {
			if (!w->ids[k].ino)
				continue;
			i = walk_dirid_hash(w->ids[k].dev, w->ids[k].ino, cap);
			while (n[i].ino)
				i = (i + 1) & (cap - 1);
			n[i] = w->ids[k];
		}
		free(w->ids);
		w->ids = n;
		w->cap = cap;
	}
	for (i = walk_dirid_hash(dev, ino, w->cap); w->ids[i].ino; i = (i + 1) & (w->cap - 1))
		if (w->ids[i].dev == dev && w->ids[i].ino == ino)
			return true;
	w->ids[i] = (struct walk_dirid){dev, ino};
	w->n++;
	return false;
}

void walk_dirset_free(struct walk_dirset *w)
{
	free(w->ids);
	*w = (struct walk_dirset){0};
}
