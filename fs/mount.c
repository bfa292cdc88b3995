// SPDX-License-Identifier: MIT
/*
 * mount.c - find a vyrefs mount in /proc/self/mountinfo without touching it.
 *
 * The daemon must know its own mount's device to refuse paths on it
 * (resolve.c), and must not stat the mount to learn it: nothing serves the
 * mount until the loop starts, and a stat would wait for that. mountinfo
 * is the kernel's own table, so reading it asks no filesystem anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "fs.h"

/* mountinfo escapes blanks, tabs, newlines and backslashes as \ooo. */
static void mount_unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/*
 * The device of the topmost fuse.vyrefs mount on mountpoint (an absolute,
 * canonical path): 0, or -ENOENT when vyrefs is not mounted there.
 */
int mount_find(const char *mountpoint, dev_t *dev)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		unsigned maj, min;
		char mnt[4096], fstype[256];
		char *sep = strstr(line, " - ");
		/* id parent maj:min root mountpoint options... - fstype source super */
		if (!sep || sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, mnt) != 3 ||
		    sscanf(sep + 3, "%255s", fstype) != 1)
			continue;
		mount_unescape(mnt);
		if (strcmp(fstype, "fuse.vyrefs") || strcmp(mnt, mountpoint))
			continue;
		*dev = makedev(maj, min);
		ret = 0; /* keep reading: a later line is mounted on top */
	}
	free(line);
	fclose(f);
	return ret;
}
