// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_tree.c - A tree job's files as grep -r names them: the operand as
 * given ("./a.txt", "sub/b.txt"), --include/--exclude/--exclude-dir
 * applied below it.
 *
 * Their order needs nothing here: grep -r walks with fts(3) and no
 * comparison function, each directory's entries in readdir order, a
 * subdirectory's right after its own entry (preorder), and a tree job
 * submitted with order=walk lists its files and lines in the order the
 * daemon's walk (fs/walk.c) finds them, which is that same order. (gnulib's
 * fts sorts a directory of over 10,000 entries by inode number on some
 * filesystems; that is not followed.)
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
