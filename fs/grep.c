// SPDX-License-Identifier: MIT
/*
 * grep.c - a grep descriptor's patterns become the DFA the pump lays out
 * in the job's data region: pattern= as written (a '\n' in it separates
 * two patterns, as in grep), or patterns=FILE, one pattern a line, read
 * with the caller's credentials. The regex compiler (pump/regex) does the
 * rest; its errors come back as they are, behind the key they concern.
 *
 * Reading the file is this file's fs_grep_read(); submit.c calls
 * fs_grep_prepare() between parsing a line and submitting its scan.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

#define FS_GREP_FILE_MAX (64u << 20) /* patterns= file; 10,000 patterns fit many times */

/* The patterns file, read as the caller (cred_open) into a malloc'd buffer. */
static int fs_grep_read(const struct fs *fs, const struct fs_caller *ctx, const char *path,
			char **out, size_t *outlen, char *err, size_t errlen)
{
	char ignored[256];
	struct stat st;
	size_t len = 0;
	char *buf = NULL;
	int fd, ret;

	ret = cred_open(fs, ctx, path, &fd, ignored, sizeof(ignored));
	if (ret) {
		if (ret == -ENOENT)
			snprintf(err, errlen, "patterns=%s: no such file (check the path)", path);
		else if (ret == -EACCES)
			snprintf(err, errlen,
				 "patterns=%s: permission denied (you may only use "
				 "pattern files you can read)",
				 path);
		else if (ret == -EISDIR)
			snprintf(err, errlen,
				 "patterns=%s: is a directory (name a file with one "
				 "pattern a line)",
				 path);
		else
			snprintf(err, errlen, "patterns=%s: %s (name a regular file)", path,
				 strerror(-ret));
		return ret;
	}
	ret = -EINVAL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "patterns=%s: not a regular file", path);
		goto out_close;
	}
	if ((uint64_t)st.st_size > FS_GREP_FILE_MAX) {
		snprintf(err, errlen,
			 "patterns=%s: %lld bytes, over the %u MiB limit (use fewer "
			 "patterns)",
			 path, (long long)st.st_size, FS_GREP_FILE_MAX >> 20);
		ret = -E2BIG;
		goto out_close;
	}
	buf = malloc((size_t)st.st_size + 1);
	ret = -ENOMEM;
	if (!buf)
		goto out_close;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "patterns=%s: %s", path, strerror(errno));
			free(buf);
			goto out_close;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*outlen = len;
	ret = 0;
out_close:
	close(fd);
	return ret;
}

/* Splits text into its lines (one pattern each); a final '\n' ends the last. */
static int fs_grep_split(char *text, size_t len, const char ***pats, size_t **lens, size_t *n)
{
	size_t cap = 1, k = 0;

	for (size_t i = 0; i < len; i++)
		cap += text[i] == '\n';
	*pats = calloc(cap, sizeof(**pats));
	*lens = calloc(cap, sizeof(**lens));
	if (!*pats || !*lens)
		return -ENOMEM;
	for (size_t start = 0; start < len;) {
		char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;

		(*pats)[k] = text + start;
		(*lens)[k++] = end - start;
		start = end + 1;
	}
	*n = k;
	return 0;
}

int fs_grep_prepare(const struct fs *fs, const struct fs_caller *ctx, const struct desc *d,
		    struct fs_grep *g, char *err, size_t errlen)
{
	struct regex_opts opts = {.fixed = d->fixed, .icase = d->icase};
	const char **pats = NULL, *one = (const char *)d->pattern;
	size_t *lens = NULL, onelen = d->pattern_len, n = 1;
	char cerr[512], *text = NULL;
	size_t textlen = 0;
	int ret;

	memset(g, 0, sizeof(*g));
	if (d->patterns[0]) {
		ret = fs_grep_read(fs, ctx, d->patterns, &text, &textlen, err, errlen);
		if (ret)
			return ret;
		ret = fs_grep_split(text, textlen, &pats, &lens, &n);
		if (ret)
			goto out_free;
	} else {
		pats = &one;
		lens = &onelen;
	}
	ret = regex_compile(pats, lens, n, &opts, &g->dfa, cerr, sizeof(cerr));
	if (ret == -ETIMEDOUT) /* its work budget: too complex, as the caps are (E2BIG) */
		ret = -E2BIG;
	if (ret == -EINVAL || ret == -E2BIG) {
		if (d->patterns[0])
			snprintf(err, errlen, "patterns=%s: %s", d->patterns, cerr);
		else
			snprintf(err, errlen, "pattern=%.*s: %s",
				 (int)(d->pattern_len > 64 ? 64 : d->pattern_len),
				 (const char *)d->pattern, cerr);
	} else if (ret) {
		snprintf(err, errlen, "the patterns could not be compiled: %s", strerror(-ret));
	} else {
		g->view = (struct pump_dfa){
		    .nstates = g->dfa.nstates,
		    .nclasses = g->dfa.nclasses,
		    .start = g->dfa.start,
		    .classes = g->dfa.classes,
		    .next = g->dfa.next,
		    .accept = g->dfa.accept,
		    .sink = g->dfa.sink,
		};
		g->ready = true;
	}
out_free:
	if (d->patterns[0]) {
		free(pats);
		free(lens);
	}
	free(text);
	return ret;
}

void fs_grep_release(struct fs_grep *g)
{
	if (g->ready)
		regex_dfa_free(&g->dfa);
	g->ready = false;
}
