// SPDX-License-Identifier: MIT
/*
 * vyrectl_grep_pcount.c - per_pattern=1's answers read back: --count-per-pattern
 * prints jobs/N/patterns ("COUNT INDEX" a pattern, in order) as
 * COUNT<TAB>PATTERN with the pattern as given, and a lines=1 record's
 * ":INDEX" (the line's first pattern) is split off for --json.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vyrectl_grep.h"

/*
 * "LINE:OFFSET:INDEX" -> *n shortened to "LINE:OFFSET", *pattern = INDEX;
 * a record without INDEX is left as it is (*pattern UINT32_MAX).
 */
int pcount_entry_split(const char *e, size_t *n, uint32_t *pattern)
{
	const char *c3 = memrchr(e, ':', *n), *c2 = c3 ? memrchr(e, ':', (size_t)(c3 - e)) : NULL;
	unsigned long v = 0;

	*pattern = UINT32_MAX;
	if (!c2)
		return 0;
	for (const char *q = c3 + 1; q < e + *n; q++) {
		if (*q < '0' || *q > '9' || v > UINT32_MAX / 10)
			return -EPROTO;
		v = v * 10 + (unsigned long)(*q - '0');
	}
	if (c3 + 1 == e + *n || v >= UINT32_MAX)
		return -EPROTO;
	*pattern = (uint32_t)v;
	*n = (size_t)(c3 - e);
	return 0;
}

/* The index-th pattern of pats->orig (one a line), into *p, *len; false past the last. */
static bool pcount_pattern(const struct grep_pats *pats, unsigned long long index, const char **p,
			   size_t *len)
{
	const char *at = pats->orig.data, *end = at + pats->orig.len;

	for (; at && at < end; index--) {
		const char *nl = memchr(at, '\n', (size_t)(end - at));
		size_t l = nl ? (size_t)(nl - at) : (size_t)(end - at);

		if (!index) {
			*p = at;
			*len = l;
			return true;
		}
		at += l + 1;
	}
	return false;
}

/*
 * --count-per-pattern: COUNT<TAB>PATTERN for each pattern, FILE: before
 * each when files are named (as -c names them). A job that did not end
 * done has no counts (its patterns file is empty): file_ended says why.
 */
int pcount_print(struct grep_state *s, struct grep_file *f)
{
	char rel[VYRECTL_REL_MAX];
	struct buf b = {0};
	int ret;

	job_rel(f->id, "patterns", rel);
	ret = mount_read(s->c, rel, &b);
	for (size_t pos = 0; !ret && b.data && pos < b.len;) {
		char *nl = memchr(b.data + pos, '\n', b.len - pos), *end;
		unsigned long long count, index = 0;
		const char *p;
		size_t len;

		if (!nl)
			break;
		*nl = '\0';
		errno = 0;
		count = strtoull(b.data + pos, &end, 10);
		if (!errno && *end == ' ')
			index = strtoull(end + 1, &end, 10);
		else
			errno = EPROTO;
		if (errno || *end || !pcount_pattern(&s->pats, index, &p, &len)) {
			fprintf(stderr, "vyrectl: %s/%s: \"%s\" is not COUNT INDEX of a pattern\n",
				s->c->mount, rel, b.data + pos);
			ret = -EPROTO;
			break;
		}
		s->selected += count;
		if (f->names) {
			fwrite(f->name, 1, strlen(f->name), stdout);
			putchar(':');
		}
		printf("%llu\t", count);
		fwrite(p, 1, len, stdout);
		putchar('\n');
		pos = (size_t)(nl - b.data) + 1;
	}
	buf_free(&b);
	return ret;
}
