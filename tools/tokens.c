// SPDX-License-Identifier: MIT
/* tokens.c - literals from real data (tokens.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokens.h"

static int tokens_byte(uint8_t b)
{
	return b == '.' || b == '_' || b == '-' || (b >= '0' && b <= '9') ||
	       ((b | 32) >= 'a' && (b | 32) <= 'z');
}

int tokens_split(const uint8_t *p, size_t len, size_t *at, char **out, size_t *n, size_t max,
		 size_t minlen, size_t maxlen)
{
	size_t i = *at;
	int ret = 0;

	while (i < len && *n < max) {
		size_t j = i;

		while (j < len && tokens_byte(p[j]))
			j++;
		if (j - i >= minlen && j - i <= maxlen) {
			out[*n] = strndup((const char *)p + i, j - i);
			if (!out[*n]) {
				ret = -ENOMEM;
				break;
			}
			(*n)++;
		}
		i = j > i ? j : i + 1;
	}
	*at = i;
	return ret;
}

char *tokens_load(const char *cmd, size_t cap, size_t *len)
{
	char *data = malloc(cap);
	FILE *f;

	if (!data)
		return NULL;
	f = popen(cmd, "r");
	if (!f) {
		free(data);
		return NULL;
	}
	*len = fread(data, 1, cap, f);
	pclose(f);
	return data;
}

void tokens_ere(char *buf, size_t len, size_t i, const char *w, const char *v,
		const char *last_fmt, const char *last_word)
{
	switch (i % 4) {
	case 0:
		snprintf(buf, len, "(%s|%s) [a-z]{2,4}", w, v);
		break;
	case 1:
		snprintf(buf, len, "%s[0-9]+%.3s", w, v);
		break;
	case 2:
		snprintf(buf, len, "(%s|%s|%s%s)+ ", w, v, v, w);
		break;
	default:
		snprintf(buf, len, last_fmt, last_word);
		break;
	}
	for (char *c = buf; *c; c++)
		if (*c == '.')
			*c = '_';
}

/* s into o (cap bytes left) with '.' as "\\.": the token stays literal in an ERE */
static size_t tokens_esc(char *o, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s && n + 3 < cap; s++) {
		if (*s == '.')
			o[n++] = '\\';
		o[n++] = *s;
	}
	o[n] = 0;
	return n;
}

void tokens_ioc(char *buf, size_t len, size_t i, size_t shapes, const char *w, const char *v)
{
	char ew[160], ev[160];
	int f = (unsigned char)w[0];

	tokens_esc(ew, sizeof(ew), w);
	tokens_esc(ev, sizeof(ev), v);
	switch (i % shapes) {
	case 0:
		if ((f | 32) >= 'a' && (f | 32) <= 'z')
			snprintf(buf, len, "[%c%c]%s", f & ~32, f | 32, ew + 1);
		else
			snprintf(buf, len, "%s[ =:]", ew);
		break;
	case 1:
		snprintf(buf, len, "(%s|%s)", ew, ev);
		break;
	case 2:
		snprintf(buf, len, "%s[-_ ]?%s", ew, ev);
		break;
	case 3:
		snprintf(buf, len, "%s=[0-9]+", ew);
		break;
	case 4:
		snprintf(buf, len, "%s[0-9]{1,3}\\.[0-9]{1,3}", ew);
		break;
	default:
		snprintf(buf, len, "%s/[a-z]+\\.(php|cgi)", ew);
		break;
	}
}

static int tokens_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t tokens_dedup(char **v, size_t n)
{
	size_t m = 0;

	qsort(v, n, sizeof(*v), tokens_cmp);
	for (size_t i = 0; i < n; i++) {
		if (m && !strcmp(v[m - 1], v[i])) {
			free(v[i]);
			continue;
		}
		v[m++] = v[i];
	}
	return m;
}
