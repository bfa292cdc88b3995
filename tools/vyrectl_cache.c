// SPDX-License-Identifier: MIT
/*
 * vyrectl_cache.c - "vyrectl cache [drop]": the mount's file cache (the
 * cache= mount option, README.md "Options") as its status file shows it
 * to the caller, and root's "drop-cache" line through ctl (README.md
 * "Files"). Like the rest of vyrectl it decides nothing itself: the daemon
 * says what a caller may see (a user other than root: its own hits and
 * misses) and who may drop (root; others get EPERM and an "error:" line).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vyrectl.h"

/* The status keys this command shows, in status's order. */
enum cache_key {
	CACHE_CAPACITY,
	CACHE_BYTES,
	CACHE_HITS,
	CACHE_MISSES,
	CACHE_EVICTIONS,
	CACHE_SHRINKS,
	CACHE_KEY_COUNT,
};

static const char *const cache_keys[] = {
    [CACHE_CAPACITY] = "cache_capacity",   [CACHE_BYTES] = "cache_bytes",
    [CACHE_HITS] = "cache_hits",	   [CACHE_MISSES] = "cache_misses",
    [CACHE_EVICTIONS] = "cache_evictions", [CACHE_SHRINKS] = "cache_shrinks",
};
_Static_assert(sizeof(cache_keys) / sizeof(cache_keys[0]) == CACHE_KEY_COUNT,
	       "cache_keys[] needs one row per CACHE_*");

/*
 * The decimal value of "key=N" in status text (fs/render.c writes the
 * counters unquoted, one a line): 0, -ENOENT when no line has the key,
 * -EPROTO when its value is not a number.
 */
static int status_u64(const char *text, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (*line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);

		if (n > klen && !strncmp(line, key, klen) && line[klen] == '=') {
			const char *val = line + klen + 1;
			char *stop;
			unsigned long long x;

			if (val == line + n || *val < '0' || *val > '9')
				return -EPROTO;
			errno = 0;
			x = strtoull(val, &stop, 10);
			if (errno || stop != line + n)
				return -EPROTO;
			*v = x;
			return 0;
		}
		line += n + (end != NULL);
	}
	return -ENOENT;
}

/*
 * The cache's counters from MOUNT/status; each failure is said on stderr
 * and returned as -errno. A mount without cache= (capacity 0) is -ENODATA:
 * there is nothing to show or drop, and a script should know.
 */
static int cache_read(const struct vyrectl *c, uint64_t v[CACHE_KEY_COUNT])
{
	struct buf b = {0};
	int ret = mount_read(c, "status", &b);

	for (int k = 0; k < CACHE_KEY_COUNT && !ret; k++) {
		ret = status_u64(b.data ? b.data : "", cache_keys[k], &v[k]);
		if (ret == -ENOENT)
			fprintf(
			    stderr,
			    "vyrectl: %s/status has no %s: its vyrefs predates the file cache\n",
			    c->mount, cache_keys[k]);
		else if (ret)
			fprintf(stderr, "vyrectl: %s/status: %s is not a number\n", c->mount,
				cache_keys[k]);
	}
	buf_free(&b);
	/*
	 * Capacity 0 after shrinks is a cache that gave all its device memory
	 * back to another process (ARCHITECTURE.md "The file cache"): it is
	 * there and grows back, so it is shown, with why it is empty.
	 */
	if (!ret && v[CACHE_CAPACITY] == 0 && v[CACHE_SHRINKS]) {
		fprintf(stderr,
			"vyrectl: %s's file cache gave all its device memory back under memory "
			"pressure (%llu blocks); it grows back once the device has room\n",
			c->mount, (unsigned long long)v[CACHE_SHRINKS]);
	} else if (!ret && v[CACHE_CAPACITY] == 0) {
		fprintf(stderr,
			"vyrectl: %s has no file cache: mount it with -o cache=SIZE (vyrefs(1))\n",
			c->mount);
		ret = -ENODATA;
	}
	return ret;
}

/* The counters as status's key=value lines, and the hit ratio; a shell may eval them. */
static int cache_show(const struct vyrectl *c)
{
	uint64_t v[CACHE_KEY_COUNT], looked;

	if (cache_read(c, v))
		return VYRECTL_FAILED;
	for (int k = 0; k < CACHE_KEY_COUNT; k++)
		printf("%s=%llu\n", cache_keys[k], (unsigned long long)v[k]);
	/* hits over the chunks that could have hit; none yet: no ratio, not 0 */
	looked = v[CACHE_HITS] + v[CACHE_MISSES];
	if (looked < v[CACHE_HITS] || looked == 0)
		puts("cache_hit_ratio=");
	else
		printf("cache_hit_ratio=%.3f\n", (double)v[CACHE_HITS] / (double)looked);
	return VYRECTL_OK;
}

/*
 * "drop-cache" on ctl, its answer read on the same open file (ctl_submit):
 * the daemon answers "dropped" once every unit's cache is empty, or an
 * "error: ..." line that ctl_submit passes to stderr as it is (EPERM: the
 * line names root).
 */
static int cache_drop(const struct vyrectl *c)
{
	struct buf line = {0}, answer = {0};
	uint64_t v[CACHE_KEY_COUNT];
	size_t n;
	int ret;

	if (cache_read(c, v))
		return VYRECTL_FAILED;
	ret = buf_puts(&line, "drop-cache\n");
	if (ret) {
		fprintf(stderr, "vyrectl: cache drop: %s\n", strerror(-ret));
		goto out_free;
	}
	ret = ctl_submit(c, &line, &answer);
	if (ret)
		goto out_free;
	n = answer.data ? strcspn(answer.data, "\n") : 0;
	if (n != strlen("dropped") || strncmp(answer.data, "dropped", n)) {
		fprintf(stderr, "vyrectl: %s/ctl answered \"%.*s\", not \"dropped\"\n", c->mount,
			(int)n, answer.data ? answer.data : "");
		ret = -EPROTO;
		goto out_free;
	}
	puts("dropped");
out_free:
	buf_free(&answer);
	buf_free(&line);
	return ret ? VYRECTL_FAILED : VYRECTL_OK;
}

int cmd_cache(struct vyrectl *c)
{
	if (!c->nargs)
		return cache_show(c);
	if (!strcmp(c->args[0], "drop"))
		return cache_drop(c);
	fprintf(stderr,
		"vyrectl: cache: %s: not a cache command (\"drop\", or none to show it)\n"
		"Try 'vyrectl --help'.\n",
		c->args[0]);
	return VYRECTL_USAGE;
}
