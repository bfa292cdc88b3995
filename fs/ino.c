// SPDX-License-Identifier: MIT
/*
 * ino.c - the tree's nodes and their inode numbers, computed, not stored:
 * the fixed nodes are 1..N__COUNT, a job's nodes FS_INO_JOB_BASE + id * 16
 * + node, each user's ctl FS_INO_CTL_BASE + uid (tree.c says why). So
 * nothing is kept per inode and forget has nothing to do.
 */
#include <errno.h>
#include <stdint.h>

#include "fs.h"

#define FS_INO_JOB_BASE 64u
#define FS_INO_CTL_BASE (1ull << 48) /* + uid: each user's ctl */

/* One row per node: its name, parent, mode and whether the kernel may cache it. */
const struct fs_node_def fs_nodes[N__COUNT] = {
	[N_ROOT] = {"", N_NONE, S_IFDIR | 0555, true},
	[N_README] = {"README", N_ROOT, S_IFREG | 0444, true},
	[N_CTL] = {"ctl", N_ROOT, S_IFREG | 0666, false}, /* one per uid (tree.c says why) */
	[N_STATUS] = {"status", N_ROOT, S_IFREG | 0444, true},
	[N_STATUS_JSON] = {"status.json", N_ROOT, S_IFREG | 0444, true},
	[N_EPOCH] = {"epoch", N_ROOT, S_IFREG | 0444, true},
	[N_OPS] = {"ops", N_ROOT, S_IFREG | 0444, true},
	[N_METRICS] = {"metrics", N_ROOT, S_IFREG | 0444, true},
	[N_METRICS_PROM] = {"metrics.prom", N_ROOT, S_IFREG | 0444, true},
	/* root's: a record shows another user's data (a DFA state, a count) */
	[N_DEBUG] = {"debug", N_ROOT, S_IFREG | 0400, true},
	/* sticky and writable, like /tmp: users rmdir their own jobs only */
	[N_JOBS] = {"jobs", N_ROOT, S_IFDIR | 01777, true},
	[N_LATEST] = {"latest", N_JOBS, S_IFLNK | 0777, false},
	[N_JOB] = {NULL, N_JOBS, S_IFDIR | 0700, false},
	[N_JDESC] = {"descriptor", N_JOB, S_IFREG | 0444, true},
	[N_JSTATUS] = {"status", N_JOB, S_IFREG | 0444, true},
	[N_JFAILED] = {"failed", N_JOB, S_IFREG | 0444, true},
	[N_JRESULT] = {"result", N_JOB, S_IFREG | 0444, true},
	[N_JLINES] = {"lines", N_JOB, S_IFREG | 0444, true},
	[N_JFILES] = {"files", N_JOB, S_IFREG | 0444, true},
	[N_JWAIT] = {"wait", N_JOB, S_IFREG | 0444, true},
	[N_JCTL] = {"ctl", N_JOB, S_IFREG | 0600, true},
	[N_JSTATUS_JSON] = {"status.json", N_JOB, S_IFREG | 0444, true},
	[N_JTRACE] = {"trace", N_JOB, S_IFREG | 0444, true},
	[N_JPATTERNS] = {"patterns", N_JOB, S_IFREG | 0444, true},
};
_Static_assert(N__COUNT - N_JOB <= 16, "a job's nodes must fit its 16 inode numbers");
_Static_assert(N__COUNT < FS_INO_JOB_BASE, "fixed inodes must sit below the jobs'");
_Static_assert(FS_INO_CTL_BASE > FS_INO_JOB_BASE + (1ull << 40) * 16,
	       "a trillion job ids fit below the per-user ctl inodes");

static bool node_is_job(enum fs_node n)
{
	return n >= N_JOB;
}

fuse_ino_t fs_ino(enum fs_node n, uint64_t id)
{
	return node_is_job(n) ? FS_INO_JOB_BASE + id * 16 + (n - N_JOB) : (fuse_ino_t)n;
}

enum fs_node fs_ino_node(fuse_ino_t ino, uint64_t *id)
{
	if (ino >= FS_INO_CTL_BASE && ino - FS_INO_CTL_BASE <= UINT32_MAX) {
		*id = ino - FS_INO_CTL_BASE;
		return N_CTL;
	}
	if (ino < FS_INO_JOB_BASE)
		return ino > N_NONE && ino < N_JOB ? (enum fs_node)ino : N_NONE;
	uint64_t k = (ino - FS_INO_JOB_BASE) % 16;
	*id = (ino - FS_INO_JOB_BASE) / 16;
	return *id && N_JOB + k < N__COUNT ? (enum fs_node)(N_JOB + k) : N_NONE;
}

struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

fuse_ino_t fs_ino_ctl(uid_t uid)
{
	return FS_INO_CTL_BASE + uid;
}

int fs_parse_id(const char *s, size_t len, uint64_t *id)
{
	uint64_t v = 0;

	if (len == 0 || len > 18 || *s == '0')
		return -ENOENT;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -ENOENT;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*id = v;
	return 0;
}
