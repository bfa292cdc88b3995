// SPDX-License-Identifier: MIT
/*
 * vyrectl_job.c - one job through its files: its status parsed, waiting
 * for its end (with a progress bar on a terminal), its result and per-file
 * results printed.
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

#define VYRECTL_POLL_MS	      200  /* progress redraws, about 5 a second */
#define VYRECTL_BAR_MAX	      40   /* widest bar, in columns */

volatile sig_atomic_t vyrectl_interrupted;

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
int sigint_catch(void)
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
int files_each(struct buf *b, int (*fn)(void *ctx, const char *path, size_t n, uint64_t v),
	       void *ctx)
{
	int ret = 0;

	for (size_t pos = 0; !ret && b->data && pos < b->len;) {
		char *nl = memchr(b->data + pos, '\n', b->len - pos), *sp, *end;
		size_t e = nl ? (size_t)(nl - b->data) : b->len;
		unsigned long long v;

		b->data[e] = '\0';
		sp = strchr(b->data + pos, ' ');
		errno = 0;
		v = strtoull(b->data + pos, &end, 10);
		if (!sp || end != sp || errno)
			return -EPROTO;
		ret = fn(ctx, sp + 1, path_unescape(sp + 1, strlen(sp + 1)), v);
		pos = e + 1;
	}
	return ret;
}

struct files_printing {
	bool names;
	uint64_t *sum;
};

static int files_print_one(void *ctx, const char *path, size_t n, uint64_t v)
{
	struct files_printing *p = ctx;

	if (p->names) {
		fwrite(path, 1, n, stdout);
		putchar(':');
	}
	printf("%llu\n", (unsigned long long)v);
	if (p->sum)
		*p->sum += v;
	return 0;
}

int files_print(const struct vyrectl *c, const char *id, bool names, uint64_t *sum)
{
	struct files_printing p = {.names = names, .sum = sum};
	char rel[VYRECTL_REL_MAX];
	struct buf b = {0};
	int ret;

	job_rel(id, "files", rel);
	ret = mount_read(c, rel, &b);
	if (!ret)
		ret = files_each(&b, files_print_one, &p);
	if (ret == -EPROTO)
		fprintf(stderr, "vyrectl: %s/%s: not RESULT PATH lines (is it a vyrefs mount?)\n",
			c->mount, rel);
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
int job_finish(const struct vyrectl *c, const char *id)
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
