/* SPDX-License-Identifier: MIT */
/*
 * descriptor.h - the job descriptor grammar of README.md "Job descriptors".
 *
 * One line, blank-separated key=value tokens, an optional leading verb
 * "scan". Parsing is pure: it touches no file. Path checks (ENOENT,
 * EACCES, EISDIR, file type) happen when fs/ opens the target.
 */
#ifndef VYRE_DESCRIPTOR_H
#define VYRE_DESCRIPTOR_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "pump.h"

#define DESC_LINE_MAX   4096 /* longer lines fail with -E2BIG */
#define DESC_TENANT_MAX 64
#define DESC_PATTERN_MAX DESC_LINE_MAX /* grep's ERE; match's pattern stops at VYRE_PATTERN_MAX */

#define DESC_KEYS_MAX 32 /* rows of desc_keys[] at most (descriptor.c checks) */

/*
 * One key's value as the line gave it. Only an op's own keys (pattern=,
 * byte=, grep's flags...) keep theirs here: fs/desc_op.c's table says
 * which op takes each and where in the op's args it goes.
 */
struct desc_val {
	uint64_t num; /* a flag (0 or 1), a count or a byte */
	uint16_t off; /* a text or a path: its len bytes at desc.text[off], then a NUL */
	uint16_t len;
	bool given;
};

struct desc {
	char path[PATH_MAX];
	const struct pump_op *op;
	uint64_t offset;
	uint64_t length;      /* UINT64_MAX: to EOF */
	uint32_t chunk;       /* 0: the mount's default */
	char tenant[DESC_TENANT_MAX]; /* "" : the caller's uid */
	int direct;           /* -1: the mount's default, else 0 or 1 */
	enum pump_priority priority; /* PUMP_PRIO_DEFAULT: normal */
	/*
	 * The op's own keys, by key (desc_priv.h's enum desc_key_id), read
	 * only through desc_args. Their text lives in text[]: a value is never
	 * longer than its token, so one line's values fit with their NULs.
	 */
	struct desc_val val[DESC_KEYS_MAX];
	char text[DESC_LINE_MAX + DESC_KEYS_MAX];
	uint32_t ntext;
	/* many files (README "Many files") */
	char files[PATH_MAX]; /* "": none; else an absolute path of a list, one path a line */
	bool follow;          /* follow symlinks met in a directory walk, like grep -R */
	/* order=walk: files and lines in the order the walk finds them (grep
	 * -r's), so they stream as they become final; order=path (the
	 * default): sorted by path, final only at the end */
	bool walk_order;
	/* wait=1: the answer read back on the same open ctl comes once the job
	 * has ended, its status after its id (not part of the job: not formatted) */
	bool wait;
	/* trace=1: jobs/N/trace records every slot (README "Traces and replay");
	 * replay: "" or the absolute path of a trace whose slots the job runs */
	bool trace;
	char replay[PATH_MAX];
};

/*
 * Parses one line (without its newline; len bytes, may contain NUL, which
 * is an error). Returns 0 and fills d, or a negative errno (-EINVAL,
 * -E2BIG) with a one-line message in err naming the token and the fix,
 * e.g. "chunk=3000: must be a power of two between 4K and 64M (try chunk=4K)".
 * err never ends with a newline and never starts with "error: ".
 */
int desc_parse(const char *line, size_t len, struct desc *d, char *err, size_t errlen);

/*
 * Writes the normalized descriptor (every key, defaults resolved where d
 * has them, pattern re-escaped so desc_parse accepts it back) into buf.
 * Returns the length written, or -ENOSPC.
 */
int desc_format(const struct desc *d, char *buf, size_t len);

/*
 * The op's arguments from d's keys (fs/desc_op.c's table: where each of
 * the op's keys goes in its member of the union, and what one not given
 * is): a's pointers point into d, so whoever copies d calls it again on
 * the copy. grep's compiled patterns are not among them (fs_scan_args).
 */
void desc_args(const struct desc *d, union pump_op_args *a);

/* Parses "123", "0x1f", "4K", "1M", "2G" (powers of 1024). 0 or -EINVAL/-ERANGE. */
int desc_parse_size(const char *s, uint64_t *out);

#endif
