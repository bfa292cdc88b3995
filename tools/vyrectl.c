// SPDX-License-Identifier: MIT
/*
 * vyrectl - submit and follow vyrefs jobs through the mount's files only.
 *
 *   vyrectl [-m MOUNT] scan PATH --op OP [--byte N] [--pattern P] [--offset N]
 *           [--length N] [--chunk SIZE] [--tenant T] [--direct] [--wait]
 *   vyrectl [-m MOUNT] status [ID]
 *   vyrectl [-m MOUNT] wait ID
 *   vyrectl [-m MOUNT] cancel ID
 *   vyrectl [-m MOUNT] grep [GREP OPTIONS] PATTERNS [FILE...]   (vyrectl_grep.c)
 *
 * It does what a script does with "exec 3<>ctl", cat and echo, and no more:
 * the daemon parses and checks every value and says what is wrong, so
 * vyrectl checks only what would change the shape of the line (a blank in
 * a value would start another token, a newline another job) and passes the
 * daemon's "error: ..." through as it is.
 *
 * Functions that touch the mount report their own failures on stderr
 * (naming the file and, where it helps, the fix) and return -errno; the
 * commands turn that into the exit status of vyrectl(1).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vyrectl.h"

#define VYRECTL_MOUNT_DEFAULT "/mnt/vyre"
#define VYRECTL_POLL_MS	      200  /* progress redraws, about 5 a second */
#define VYRECTL_READ_STEP     4096 /* the files are direct_io: read until 0 */
#define VYRECTL_BAR_MAX	      40   /* widest bar, in columns */

const char *const scan_keys[] = {
    [SCAN_OP] = "op",	      [SCAN_BYTE] = "byte",   [SCAN_OFFSET] = "offset",
    [SCAN_LENGTH] = "length", [SCAN_CHUNK] = "chunk", [SCAN_TENANT] = "tenant",
};
_Static_assert(sizeof(scan_keys) / sizeof(scan_keys[0]) == SCAN_KEY_COUNT,
	       "scan_keys[] needs one row per SCAN_*");

/* getopt values of scan's long-only options; a SCAN_* key is SCAN_OPT_KEY + key. */
enum {
	SCAN_OPT_PATTERN = 0x100,
	SCAN_OPT_DIRECT,
	SCAN_OPT_WAIT,
	SCAN_OPT_SLURM,
	SCAN_OPT_KEY,
};

/* One row per command: main parses its options, checks its arguments, runs it. */
struct vyrectl_cmd {
	const char *name;
	int min_args;
	int max_args;
	bool job_id;		       /* args[0], when given, is a job id */
	const struct option *longopts; /* NULL: only the common ones */
	int (*opt)(struct vyrectl *c, int opt, const char *val); /* 0 or -EINVAL */
	int (*run)(struct vyrectl *c);				 /* an exit status */
	/* a command with a command line of its own (grep's): parses and runs it */
	int (*main)(struct vyrectl *c, int argc, char *argv[]);
};

volatile sig_atomic_t vyrectl_interrupted;

/* ---- buffers ------------------------------------------------------------ */

/* Room for more bytes and the NUL after them. */
int buf_reserve(struct buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;
	char *d;

	if (more > SIZE_MAX / 4 - b->len)
		return -ENOMEM;
	while (cap - b->len <= more)
		cap *= 2;
	if (cap != b->cap) {
		d = realloc(b->data, cap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	b->data[b->len] = '\0';
	return 0;
}

int buf_put(struct buf *b, const char *s, size_t n)
{
	int ret = buf_reserve(b, n);

	if (ret)
		return ret;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

void buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf){0};
}

/* Reads fd to EOF: the mount's files are direct_io, so no size is worth trusting. */
int buf_read_fd(struct buf *b, int fd)
{
	for (;;) {
		int ret = buf_reserve(b, VYRECTL_READ_STEP);
		ssize_t n;

		if (ret)
			return ret;
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
}

/* ---- the mount's files -------------------------------------------------- */

static bool mount_alive(const struct vyrectl *c)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/ctl", c->mount);

	return n > 0 && (size_t)n < sizeof(path) && access(path, F_OK) == 0;
}

/* Says what failed on MOUNT/rel and, where it is clear, how to fix it. */
void mount_warn(const struct vyrectl *c, const char *rel, int err)
{
	bool job = !strncmp(rel, "jobs/", 5);
	const char *hint = "";

	if (err == -ENOENT && (!job || !mount_alive(c)))
		hint = " (is vyrefs mounted there? give -m MOUNT or set VYRE_MOUNT)";
	else if (err == -ENOENT)
		hint =
		    " (no such job: ls the jobs/ folder; finished jobs past jobs_cap are reaped)";
	else if (err == -ENOTCONN)
		hint = " (the vyrefs daemon is gone: umount the mount and mount it again)";
	else if (err == -EACCES && job)
		hint = " (a job belongs to the user who submitted it)";
	fprintf(stderr, "vyrectl: %s/%s: %s%s\n", c->mount, rel, strerror(-err), hint);
}

int mount_open(const struct vyrectl *c, const char *rel, int flags, int *fd)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", c->mount, rel);

	if (n < 0 || (size_t)n >= sizeof(path)) {
		mount_warn(c, rel, -ENAMETOOLONG);
		return -ENAMETOOLONG;
	}
	*fd = open(path, flags | O_CLOEXEC);
	if (*fd < 0) {
		n = -errno;
		mount_warn(c, rel, n);
		return n;
	}
	return 0;
}

/* Reads MOUNT/rel whole. -EINTR (Ctrl-C in a wait) is left to the caller to tell. */
int mount_read(const struct vyrectl *c, const char *rel, struct buf *b)
{
	int fd, ret = mount_open(c, rel, O_RDONLY, &fd);

	if (ret)
		return ret;
	ret = buf_read_fd(b, fd);
	close(fd);
	if (ret && ret != -EINTR)
		mount_warn(c, rel, ret);
	return ret;
}

static int mount_cat(const struct vyrectl *c, const char *rel)
{
	struct buf b = {0};
	int ret = mount_read(c, rel, &b);

	if (!ret && b.len && fwrite(b.data, 1, b.len, stdout) != b.len)
		ret = -EIO;
	buf_free(&b);
	return ret;
}

int mount_write(const struct vyrectl *c, const char *rel, const char *s)
{
	size_t len = strlen(s);
	int fd, ret = mount_open(c, rel, O_WRONLY, &fd);
	ssize_t n;

	if (ret)
		return ret;
	n = write(fd, s, len);
	ret = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	if (ret)
		mount_warn(c, rel, ret);
	return ret;
}

/* ---- jobs --------------------------------------------------------------- */

/* A job id as the daemon prints it, or "latest": nothing that could leave jobs/. */
int job_id_check(const char *id)
{
	size_t n = strlen(id);

	if (!strcmp(id, "latest"))
		return 0;
	if (!n || n > VYRECTL_ID_MAX || id[0] == '0' || strspn(id, "0123456789") != n)
		return -EINVAL;
	return 0;
}

/* "jobs/ID/file"; the id is checked, so it fits. */
void job_rel(const char *id, const char *file, char rel[VYRECTL_REL_MAX])
{
	snprintf(rel, VYRECTL_REL_MAX, "jobs/%.*s/%s", VYRECTL_ID_MAX, id, file);
}

static void str_copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int kv_hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * $'...' as the daemon writes a value holding control bytes: \n \t \\ \'
 * \xHH; i points past the opening quote, and is left past the closing one.
 */
static size_t kv_unquote_ansi_c(const char *v, size_t n, size_t i, char *out, size_t size,
				size_t *o)
{
	for (; i < n && v[i] != '\''; i++) {
		char ch = v[i];

		if (ch == '\\' && i + 1 < n) {
			ch = v[++i];
			if (ch == 'n')
				ch = '\n';
			else if (ch == 't')
				ch = '\t';
			else if (ch == 'x' && i + 2 < n && kv_hex(v[i + 1]) >= 0 && kv_hex(v[i + 2]) >= 0) {
				ch = (char)(kv_hex(v[i + 1]) * 16 + kv_hex(v[i + 2]));
				i += 2;
			}
		}
		if (*o + 1 < size)
			out[(*o)++] = ch;
	}
	return i; /* at the closing quote */
}

/*
 * Undoes the daemon's shell quoting of a value as sh reads it: 'it'\''s' is
 * it's, $'a\nb' is a, newline, b. A newline inside quotes is part of the
 * value; the first one outside quotes ends it. Returns how many bytes of v
 * it took, so the caller goes on after the newline: a status file is split
 * into lines only as it is unquoted, never before (a value split at its
 * newline once forged keys from a file name).
 */
size_t kv_unquote_len(const char *v, size_t n, char *out, size_t size)
{
	bool quoted = false;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char ch = v[i];

		if (!quoted && ch == '\n')
			break;
		if (!quoted && ch == '$' && i + 1 < n && v[i + 1] == '\'') {
			i = kv_unquote_ansi_c(v, n, i + 2, out, size, &o);
			continue;
		}
		if (ch == '\'') {
			quoted = !quoted;
			continue;
		}
		if (!quoted && ch == '\\' && i + 1 < n)
			ch = v[++i];
		if (o + 1 < size)
			out[o++] = ch;
	}
	if (size)
		out[o] = '\0';
	return i;
}

void kv_unquote(const char *v, size_t n, char *out, size_t size)
{
	kv_unquote_len(v, n, out, size);
}

static bool key_is(const char *key, size_t klen, const char *name)
{
	return strlen(name) == klen && !memcmp(key, name, klen);
}

static void job_status_set(struct job_status *st, const char *key, size_t klen, const char *val)
{
	if (key_is(key, klen, "state"))
		str_copy(st->state, sizeof(st->state), val);
	else if (key_is(key, klen, "error"))
		str_copy(st->error, sizeof(st->error), val);
	else if (key_is(key, klen, "length"))
		st->length = strtoull(val, NULL, 10);
	else if (key_is(key, klen, "bytes_done"))
		st->bytes_done = strtoull(val, NULL, 10);
	else if (key_is(key, klen, "elapsed_us"))
		st->elapsed_us = strtoull(val, NULL, 10);
	else if (key_is(key, klen, "many"))
		st->many = !strcmp(val, "1");
}

/* key=value lines as README.md "Files" writes them; -EPROTO if there is no state=. */
static int job_status_parse(const char *text, struct job_status *st)
{
	const char *end = text + strlen(text);

	memset(st, 0, sizeof(*st));
	for (const char *line = text; line < end;) {
		size_t klen = strcspn(line, "=\n");
		char val[512];

		if (line[klen] != '=') { /* no key: skip the line */
			line += klen + (line[klen] ? 1 : 0);
			continue;
		}
		const char *key = line;

		line += klen + 1;
		line += kv_unquote_len(line, (size_t)(end - line), val, sizeof(val));
		job_status_set(st, key, klen, val);
		line += line < end; /* the newline that ended it */
	}
	return st->state[0] ? 0 : -EPROTO;
}

/* Reads and parses jobs/ID/file (status, or wait, which blocks until the end). */
static int job_status_read(const struct vyrectl *c, const char *id, const char *file,
			   struct job_status *st)
{
	char rel[VYRECTL_REL_MAX];
	struct buf b = {0};
	int ret;

	job_rel(id, file, rel);
	ret = mount_read(c, rel, &b);
	if (!ret) {
		ret = job_status_parse(b.data, st);
		if (ret)
			fprintf(stderr, "vyrectl: %s/%s: no state= line (is it a vyrefs mount?)\n",
				c->mount, rel);
	}
	buf_free(&b);
	return ret;
}

static bool job_ended(const struct job_status *st)
{
	return strcmp(st->state, "queued") && strcmp(st->state, "running");
}

/* ---- waiting and the progress bar --------------------------------------- */

static void on_sigint(int sig)
{
	(void)sig;
	vyrectl_interrupted = 1;
}

/*
 * Ctrl-C stops the waiting, not the job. No SA_RESTART: a read of a wait
 * file blocked in the daemon then returns EINTR (FUSE sends the interrupt
 * on, and the daemon answers it).
 */
static int sigint_catch(void)
{
	struct sigaction sa = {.sa_handler = on_sigint};

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGINT, &sa, NULL) < 0 ? -errno : 0;
}

static int nap_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
	return vyrectl_interrupted ? -EINTR : 0;
}

static int term_cols(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		return ws.ws_col;
	return 80;
}

/* "117.3 MB": decimal units, to sit beside GB/s. */
static const char *size_str(uint64_t v, char out[16])
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
	double d = (double)v;
	size_t u = 0;

	while (d >= 1000 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		d /= 1000;
		u++;
	}
	snprintf(out, 16, u ? "%.1f %s" : "%.0f %s", d, unit[u]);
	return out;
}

/*
 * "job 7 running [#######       ]  52%  61.0 MB of 117.3 MB  1.42 GB/s",
 * fitted to the terminal and never into its last column, so it cannot wrap.
 */
static void bar_draw(const char *id, const struct job_status *st)
{
	char head[64], tail[96], done[16], total[16], bar[VYRECTL_BAR_MAX + 1];
	double frac = st->length ? (double)st->bytes_done / (double)st->length : 0;
	double gbs = st->elapsed_us ? (double)st->bytes_done / (double)st->elapsed_us / 1e3 : 0;
	int width, fill;

	if (frac > 1)
		frac = 1;
	snprintf(head, sizeof(head), "job %.*s %.12s ", VYRECTL_ID_MAX, id, st->state);
	snprintf(tail, sizeof(tail), " %3d%%  %s of %s  %.2f GB/s", (int)(frac * 100),
		 size_str(st->bytes_done, done), size_str(st->length, total), gbs);
	width = term_cols() - 1 - (int)strlen(head) - (int)strlen(tail) - 2;
	if (width > VYRECTL_BAR_MAX)
		width = VYRECTL_BAR_MAX;
	if (width < 10) {
		fprintf(stderr, "\r%s%s\033[K", head, tail);
		return;
	}
	fill = (int)(frac * width);
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(width - fill));
	bar[width] = '\0';
	fprintf(stderr, "\r%s[%s]%s\033[K", head, bar, tail);
}

static void bar_clear(void)
{
	fputs("\r\033[K", stderr);
}

/* Redraws the bar from jobs/ID/status every VYRECTL_POLL_MS until the job ends. */
static int job_poll(const struct vyrectl *c, const char *id)
{
	struct job_status st;
	bool drawn = false;
	int ret;

	for (;;) {
		ret = job_status_read(c, id, "status", &st);
		if (ret || job_ended(&st))
			break;
		bar_draw(id, &st);
		drawn = true;
		ret = nap_ms(VYRECTL_POLL_MS);
		if (ret)
			break;
	}
	if (drawn)
		bar_clear();
	return vyrectl_interrupted ? -EINTR : ret;
}

/*
 * Blocks until job ID ends and reads its final status from the wait file,
 * the same with or without the bar, so both see one consistent end.
 */
int job_wait(const struct vyrectl *c, const char *id, struct job_status *st)
{
	int ret = sigint_catch();

	if (!ret && c->progress)
		ret = job_poll(c, id);
	if (!ret)
		ret = job_status_read(c, id, "wait", st);
	return vyrectl_interrupted ? -EINTR : ret;
}

/* A path of jobs/N/files, failed or lines back to its bytes: \\ \n \xHH. */
size_t path_unescape(char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			s[o++] = s[i];
		} else if (s[i + 1] == '\\' || s[i + 1] == 'n') {
			s[o++] = s[i + 1] == 'n' ? '\n' : '\\';
			i++;
		} else if (s[i + 1] == 'x' && i + 3 < n + 0 && isxdigit((unsigned char)s[i + 2]) &&
			   isxdigit((unsigned char)s[i + 3])) {
			char hex[3] = {s[i + 2], s[i + 3], 0};
			s[o++] = (char)strtoul(hex, NULL, 16);
			i += 3;
		} else {
			s[o++] = s[i];
		}
	}
	return o;
}

/*
 * A many-file job's jobs/N/files as grep -r -c prints it: "PATH:RESULT" a
 * file, PATH unescaped. Its failed entries go to stderr as grep's do; *sum
 * (may be NULL) adds the results. Returns 0, 1 when some file failed, or
 * -errno.
 */
int files_print(const struct vyrectl *c, const char *id, bool names, uint64_t *sum)
{
	char rel[VYRECTL_REL_MAX];
	struct buf b = {0};
	int ret;

	job_rel(id, "files", rel);
	ret = mount_read(c, rel, &b);
	for (size_t pos = 0; !ret && b.data && pos < b.len;) {
		char *nl = memchr(b.data + pos, '\n', b.len - pos), *sp, *end;
		size_t e = nl ? (size_t)(nl - b.data) : b.len;
		unsigned long long v;

		b.data[e] = '\0';
		sp = strchr(b.data + pos, ' ');
		errno = 0;
		v = strtoull(b.data + pos, &end, 10);
		if (!sp || end != sp || errno) {
			fprintf(stderr, "vyrectl: %s/%s: not RESULT PATH lines (is it a vyrefs "
				"mount?)\n", c->mount, rel);
			ret = -EPROTO;
			break;
		}
		size_t n = path_unescape(sp + 1, strlen(sp + 1));
		if (names) {
			fwrite(sp + 1, 1, n, stdout);
			putchar(':');
		}
		printf("%llu\n", v);
		if (sum)
			*sum += v;
		pos = e + 1;
	}
	buf_free(&b);
	if (ret)
		return ret;
	return files_failed_print(c, id);
}

/* A many-file job's failed entries on stderr, "vyrectl: PATH: ERRNO"; 1 if any, or -errno. */
int files_failed_print(const struct vyrectl *c, const char *id)
{
	char rel[VYRECTL_REL_MAX];
	struct buf b = {0};
	int ret, failed = 0;

	job_rel(id, "failed", rel);
	ret = mount_read(c, rel, &b);
	for (size_t pos = 0; !ret && b.data && pos < b.len;) {
		char *nl = memchr(b.data + pos, '\n', b.len - pos);
		size_t e = nl ? (size_t)(nl - b.data) : b.len;
		char *sp = memrchr(b.data + pos, ' ', e - pos);

		if (sp) {
			size_t n = path_unescape(b.data + pos, (size_t)(sp - (b.data + pos)));
			b.data[e] = '\0';
			fputs("vyrectl: ", stderr);
			fwrite(b.data + pos, 1, n, stderr);
			fprintf(stderr, ": %s\n", sp + 1);
			failed = 1;
		}
		pos = e + 1;
	}
	buf_free(&b);
	return ret ? ret : failed;
}

/* Waits for job ID and prints its result: what wait and scan --wait do. */
static int job_finish(const struct vyrectl *c, const char *id)
{
	char rel[VYRECTL_REL_MAX];
	struct job_status st;
	int ret = job_wait(c, id, &st);

	if (ret == -EINTR) {
		fprintf(stderr,
			"vyrectl: interrupted; job %s goes on (vyrectl cancel %s stops it)\n", id,
			id);
		return VYRECTL_INTR;
	}
	if (ret)
		return VYRECTL_FAILED;
	if (!strcmp(st.state, "cancelled")) {
		fprintf(stderr, "vyrectl: job %s was cancelled\n", id);
		return VYRECTL_FAILED;
	}
	/* a failed job's result still covers the chunks that were read; one
	 * that read nothing has none (its read fails): the failure is said below */
	if (st.many) {
		/* a tree: per-file results, as grep -r -c prints them */
		if (files_print(c, id, true, NULL) != 0)
			return VYRECTL_FAILED;
	} else {
		job_rel(id, "result", rel);
		if (mount_cat(c, rel) && !strcmp(st.state, "done"))
			return VYRECTL_FAILED;
	}
	if (strcmp(st.state, "done")) {
		fprintf(stderr, "vyrectl: job %s %s: %s (see %s/jobs/%s/failed)\n", id, st.state,
			st.error[0] ? st.error : "no error given", c->mount, id);
		return VYRECTL_FAILED;
	}
	return VYRECTL_OK;
}

/* ---- the descriptor ----------------------------------------------------- */

/*
 * "..." with the escapes of README.md "Job descriptors". Control bytes always become escapes so
 * the line stays one line; bytes over 0x7e too when escape_high (a pattern
 * is often binary; a path is often UTF-8 and reads better as it is).
 */
int put_quoted(struct buf *b, const char *s, bool escape_high)
{
	static const char hex[] = "0123456789abcdef";
	int ret = buf_put(b, "\"", 1);

	for (const unsigned char *p = (const unsigned char *)s; *p && !ret; p++) {
		char esc[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};

		if (*p == '"' || *p == '\\') {
			esc[1] = (char)*p;
			ret = buf_put(b, esc, 2);
		} else if (*p == '\n' || *p == '\t') {
			esc[1] = *p == '\n' ? 'n' : 't';
			ret = buf_put(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f || (escape_high && *p > 0x7e)) {
			ret = buf_put(b, esc, 4);
		} else {
			ret = buf_put(b, (const char *)p, 1);
		}
	}
	return ret ? ret : buf_put(b, "\"", 1);
}

/* An unquoted path is literal: only blanks, quotes and control bytes need quotes. */
bool path_plain(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '"' || *p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* The daemon takes absolute paths only; a relative one is taken from here. */
int path_absolute(const char *path, struct buf *out)
{
	char cwd[PATH_MAX];
	int ret;

	if (path[0] == '/')
		return buf_puts(out, path);
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	ret = buf_puts(out, cwd);
	if (!ret && strcmp(cwd, "/"))
		ret = buf_puts(out, "/");
	return ret ? ret : buf_puts(out, path);
}

int put_path(struct buf *b, const char *path)
{
	struct buf abs = {0};
	int ret = path_absolute(path, &abs);

	if (!ret)
		ret = path_plain(abs.data) ? buf_puts(b, abs.data) : put_quoted(b, abs.data, false);
	buf_free(&abs);
	return ret;
}

/* "scan path=... op=... [key=value ...]\n", one line, one job. */
static int desc_build(const struct vyrectl *c, struct buf *line)
{
	int ret = buf_puts(line, "scan path=");

	if (!ret)
		ret = put_path(line, c->args[0]);
	for (int k = 0; k < SCAN_KEY_COUNT && !ret; k++) {
		if (!c->val[k])
			continue;
		ret = buf_puts(line, " ");
		if (!ret)
			ret = buf_puts(line, scan_keys[k]);
		if (!ret)
			ret = buf_puts(line, "=");
		if (!ret)
			ret = buf_puts(line, c->val[k]);
	}
	if (!ret && c->pattern) {
		ret = buf_puts(line, " pattern=");
		if (!ret)
			ret = put_quoted(line, c->pattern, true);
	}
	if (!ret && c->direct)
		ret = buf_puts(line, " direct=1");
	return ret ? ret : buf_puts(line, "\n");
}

/*
 * Writes the line to ctl and reads the answer on the same open file, as
 * "exec 3<>ctl" does: the new id, or, when the write failed, the daemon's
 * "error: ..." (printed here as it is).
 */
int ctl_submit(const struct vyrectl *c, const struct buf *line, struct buf *answer)
{
	int fd, rret, ret = mount_open(c, "ctl", O_RDWR, &fd);
	ssize_t n;

	if (ret)
		return ret;
	n = write(fd, line->data, line->len);
	ret = n < 0 ? -errno : (size_t)n != line->len ? -EIO : 0;
	rret = buf_read_fd(answer, fd);
	close(fd);
	if (ret && !rret && !strncmp(answer->data, "error: ", 7)) {
		fputs(answer->data, stderr);
		if (answer->data[answer->len - 1] != '\n')
			fputc('\n', stderr);
	} else if (ret || rret) {
		mount_warn(c, "ctl", ret ? ret : rret);
	}
	return ret ? ret : rret;
}

/* Submits one descriptor line and takes the job id from ctl's answer. */
int ctl_submit_id(const struct vyrectl *c, const struct buf *line, char id[VYRECTL_ID_MAX + 1])
{
	struct buf answer = {0};
	int ret = ctl_submit(c, line, &answer);

	if (!ret) {
		kv_unquote(answer.data, strcspn(answer.data, "\n"), id, VYRECTL_ID_MAX + 1);
		ret = job_id_check(id);
		if (ret)
			fprintf(stderr, "vyrectl: %s/ctl answered \"%.*s\", not a job id\n",
				c->mount, (int)strcspn(answer.data, "\n"), answer.data);
	}
	buf_free(&answer);
	return ret;
}

/* ---- commands ----------------------------------------------------------- */

/* A value is one token: a blank would start another token, a newline another job. */
static int scan_value_check(int key, const char *val)
{
	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		if (*p > ' ' && *p != 0x7f)
			continue;
		fprintf(stderr, "vyrectl: --%s: a value cannot hold blanks or control characters\n",
			scan_keys[key]);
		return -EINVAL;
	}
	return 0;
}

static int scan_opt(struct vyrectl *c, int opt, const char *val)
{
	switch (opt) {
	case SCAN_OPT_PATTERN:
		c->pattern = val;
		return 0;
	case SCAN_OPT_DIRECT:
		c->direct = true;
		return 0;
	case SCAN_OPT_WAIT:
		c->wait = true;
		return 0;
	case SCAN_OPT_SLURM:
		c->slurm_on = true;
		c->slurm = val;
		return 0;
	}
	if (opt < SCAN_OPT_KEY || opt >= SCAN_OPT_KEY + SCAN_KEY_COUNT)
		return -EINVAL;
	c->val[opt - SCAN_OPT_KEY] = val;
	return scan_value_check(opt - SCAN_OPT_KEY, val);
}

static int cmd_scan(struct vyrectl *c)
{
	struct buf line = {0};
	char id[VYRECTL_ID_MAX + 1];
	int ret;

	if (c->slurm_on)
		return slurm_scan(c);
	ret = desc_build(c, &line);
	if (ret) {
		fprintf(stderr, "vyrectl: %s: %s\n", c->args[0], strerror(-ret));
		goto out_free;
	}
	ret = ctl_submit_id(c, &line, id);
	if (!ret && !c->wait)
		printf("%s\n", id);
out_free:
	buf_free(&line);
	if (ret)
		return VYRECTL_FAILED;
	return c->wait ? job_finish(c, id) : VYRECTL_OK;
}

static int cmd_status(struct vyrectl *c)
{
	char rel[VYRECTL_REL_MAX] = "status";

	if (c->nargs)
		job_rel(c->args[0], "status", rel);
	return mount_cat(c, rel) ? VYRECTL_FAILED : VYRECTL_OK;
}

static int cmd_wait(struct vyrectl *c)
{
	return job_finish(c, c->args[0]);
}

static int cmd_cancel(struct vyrectl *c)
{
	char rel[VYRECTL_REL_MAX];

	job_rel(c->args[0], "ctl", rel);
	return mount_write(c, rel, "cancel\n") ? VYRECTL_FAILED : VYRECTL_OK;
}

/* ---- the command line --------------------------------------------------- */

static const struct option scan_longopts[] = {
    {"op", required_argument, NULL, SCAN_OPT_KEY + SCAN_OP},
    {"byte", required_argument, NULL, SCAN_OPT_KEY + SCAN_BYTE},
    {"offset", required_argument, NULL, SCAN_OPT_KEY + SCAN_OFFSET},
    {"length", required_argument, NULL, SCAN_OPT_KEY + SCAN_LENGTH},
    {"chunk", required_argument, NULL, SCAN_OPT_KEY + SCAN_CHUNK},
    {"tenant", required_argument, NULL, SCAN_OPT_KEY + SCAN_TENANT},
    {"pattern", required_argument, NULL, SCAN_OPT_PATTERN},
    {"direct", no_argument, NULL, SCAN_OPT_DIRECT},
    {"wait", no_argument, NULL, SCAN_OPT_WAIT},
    {"slurm", optional_argument, NULL, SCAN_OPT_SLURM},
    {"mount", required_argument, NULL, 'm'},
    {"help", no_argument, NULL, 'h'},
    {0},
};

/* status, wait and cancel */
static const struct option common_longopts[] = {
    {"mount", required_argument, NULL, 'm'},
    {"help", no_argument, NULL, 'h'},
    {0},
};

static const struct option global_longopts[] = {
    {"mount", required_argument, NULL, 'm'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {0},
};

static const struct vyrectl_cmd vyrectl_cmds[] = {
    {.name = "scan",
     .min_args = 1,
     .max_args = 1,
     .longopts = scan_longopts,
     .opt = scan_opt,
     .run = cmd_scan},
    {.name = "status", .min_args = 0, .max_args = 1, .job_id = true, .run = cmd_status},
    {.name = "wait", .min_args = 1, .max_args = 1, .job_id = true, .run = cmd_wait},
    {.name = "cancel", .min_args = 1, .max_args = 1, .job_id = true, .run = cmd_cancel},
    {.name = "grep", .main = grep_main},
    {.name = "slurm-task", .main = slurm_task_main},
};

static void usage(FILE *f, const char *mount)
{
	fprintf(
	    f,
	    "usage: vyrectl [-m MOUNT] COMMAND [ARGS]\n"
	    "\n"
	    "Submits and follows vyrefs scan jobs through the files of a mounted vyrefs.\n"
	    "\n"
	    "commands:\n"
	    "  scan PATH --op OP [options]  submit a job; print its id (with --wait, its result)\n"
	    "      --op OP        nop, count, match, histogram or grep (see MOUNT/ops)\n"
	    "      --byte N       count's byte, decimal or 0xHH (default 0x0a)\n"
	    "      --pattern P    match's 1-256 bytes, taken literally; grep's ERE\n"
	    "      --offset N     where the range starts (K M G suffixes; default 0)\n"
	    "      --length N     bytes to scan (default: to EOF)\n"
	    "      --chunk SIZE   bytes per ring slot, a power of two from 4K\n"
	    "      --tenant T     an accounting label (default: your uid)\n"
	    "      --direct       O_DIRECT reads\n"
	    "      --wait         wait for the job and print its result\n"
	    "      --slurm[=ARGS] run it over a Slurm cluster, one sbatch array, each node's\n"
	    "                     vyrefs at MOUNT; merge and print as --wait (vyrectl(1))\n"
	    "  status [ID]        the global status, or job ID's (key=value lines, for eval)\n"
	    "  wait ID            wait for job ID and print its result\n"
	    "  cancel ID          cancel job ID\n"
	    "  grep [OPTIONS] PATTERNS [FILE...]\n"
	    "                     print the lines that match, as GNU grep does, each FILE\n"
	    "                     scanned by an op=grep job (vyrectl grep --help)\n"
	    "ID is a job number as scan printed it, or latest.\n"
	    "\n"
	    "options:\n"
	    "  -m, --mount MOUNT  the vyrefs mount (default $VYRE_MOUNT, else %s; now %s)\n"
	    "  -h, --help         this help\n"
	    "  -V, --version      the version\n"
	    "\n"
	    "Exit status: 0 done, 1 the job failed or was cancelled or the daemon refused,\n"
	    "2 a bad command line, 130 interrupted (the job goes on); grep exits as grep does.\n"
	    "See vyrectl(1).\n",
	    VYRECTL_MOUNT_DEFAULT, mount);
}

static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fputs("vyrectl: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fputs("Try 'vyrectl --help'.\n", stderr);
	return VYRECTL_USAGE;
}

static const struct vyrectl_cmd *cmd_find(const char *name)
{
	for (size_t i = 0; i < sizeof(vyrectl_cmds) / sizeof(vyrectl_cmds[0]); i++)
		if (!strcmp(vyrectl_cmds[i].name, name))
			return &vyrectl_cmds[i];
	return NULL;
}

/*
 * The command's options and arguments; getopt permutes, so options may
 * follow PATH. Returns -1 to go on and run it, else the exit status.
 */
static int cmd_parse(struct vyrectl *c, const struct vyrectl_cmd *cmd, int argc, char *argv[])
{
	static char prog[32];
	const struct option *longopts = cmd->longopts ? cmd->longopts : common_longopts;
	int opt;

	/* getopt's messages name argv[0]: "vyrectl scan: unrecognized option" */
	snprintf(prog, sizeof(prog), "vyrectl %s", cmd->name);
	argv[0] = prog;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
		if (opt == 'm') {
			c->mount = optarg;
		} else if (opt == 'h') {
			usage(stdout, c->mount);
			return VYRECTL_OK;
		} else if (opt == '?' || !cmd->opt || cmd->opt(c, opt, optarg)) {
			/* getopt or the option's check said what is wrong */
			return usage_error(NULL);
		}
	}
	for (; optind < argc; optind++) {
		if (c->nargs == cmd->max_args)
			return usage_error("%s: one argument too many", argv[optind]);
		c->args[c->nargs++] = argv[optind];
	}
	if (c->nargs < cmd->min_args)
		return usage_error("%s: missing argument", cmd->name);
	if (cmd->job_id && c->nargs && job_id_check(c->args[0]))
		return usage_error("%s: not a job id (a number as scan printed it, or latest)",
				   c->args[0]);
	return -1;
}

int main(int argc, char *argv[])
{
	const char *env = getenv("VYRE_MOUNT");
	struct vyrectl c = {
	    .mount = env && *env ? env : VYRECTL_MOUNT_DEFAULT,
	    .progress = isatty(STDERR_FILENO),
	};
	const struct vyrectl_cmd *cmd;
	int opt, ret;

	/* "+": stop at the command, whose own options follow it */
	while ((opt = getopt_long(argc, argv, "+m:hV", global_longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			c.mount = optarg;
			break;
		case 'h':
			usage(stdout, c.mount);
			return VYRECTL_OK;
		case 'V':
			printf("vyrectl %s\n", VYREFS_VERSION);
			return VYRECTL_OK;
		default:
			return usage_error(NULL);
		}
	}
	if (optind == argc) {
		usage(stderr, c.mount);
		return VYRECTL_USAGE;
	}
	cmd = cmd_find(argv[optind]);
	if (!cmd)
		return usage_error("%s: unknown command (scan, grep, status, wait or cancel)",
				   argv[optind]);
	if (cmd->main) /* it flushes standard output itself */
		return cmd->main(&c, argc - optind, argv + optind);
	ret = cmd_parse(&c, cmd, argc - optind, argv + optind);
	if (ret < 0)
		ret = cmd->run(&c);
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "vyrectl: standard output: %s\n", strerror(errno));
		return VYRECTL_FAILED;
	}
	return ret;
}
