// SPDX-License-Identifier: MIT
/*
 * vyrectl_replay.c - vyrectl replay TRACE: runs the slots of a job's trace
 * (jobs/N/trace, README.md "Traces and replay") again on this mount's
 * device, and compares every slot's result words with the trace's. The
 * daemon does the running: the trace's descriptor with replay=TRACE makes
 * a job that publishes exactly the trace's slots (opcode, args, tiles,
 * each chunk read again from the file) and traces them; this file only
 * submits that job and compares the two traces, record by record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vyrectl.h"

/* The words a slot is published with, and what it reported. */
static const char *const replay_in[] = {"op", "arg0", "arg1", "tiles", "off", "len", "tail"};
static const char *const replay_out[] = {"status", "error", "result", "op0",  "op1",
					 "op2",	   "bins",  "nl",     "cont", "lost"};

/* A record line: "rec N key=value ..." */
struct replay_rec {
	const char *line;
	size_t len;
	long ref; /* the replayed record (ref=), -1: none */
};

/* key's value in a record, as text ("" when absent) */
static void replay_field(const struct replay_rec *r, const char *key, char *out, size_t size)
{
	size_t k = strlen(key);
	const char *s = r->line, *end = r->line + r->len;

	out[0] = '\0';
	for (; s + k < end; s++) {
		if ((s == r->line || s[-1] == ' ') && !strncmp(s, key, k) && s[k] == '=') {
			size_t n = strcspn(s + k + 1, " \n");
			snprintf(
			    out, size, "%.*s",
			    (int)(n < (size_t)(end - s - k - 1) ? n : (size_t)(end - s - k - 1)),
			    s + k + 1);
			return;
		}
	}
}

/* A header line's value: "KEY value" ("" when absent). */
static void replay_header(const struct buf *t, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);
	const char *s = t->data, *end = t->data + t->len;

	out[0] = '\0';
	while (s < end) {
		const char *e = memchr(s, '\n', (size_t)(end - s));
		size_t len = e ? (size_t)(e - s) : (size_t)(end - s);
		if (len > kl && !strncmp(s, key, kl) && s[kl] == ' ') {
			snprintf(out, size, "%.*s", (int)(len - kl - 1), s + kl + 1);
			return;
		}
		s += len + 1;
	}
}

/* The 'rec' lines of a trace, fences left out (every job has its own). */
static int replay_records(const struct buf *t, struct replay_rec **out, size_t *n)
{
	struct replay_rec *v = NULL;
	size_t nv = 0, cap = 0;
	const char *s = t->data, *end = t->data + t->len;

	while (s < end) {
		const char *e = memchr(s, '\n', (size_t)(end - s));
		size_t len = e ? (size_t)(e - s) : (size_t)(end - s);
		if (len > 4 && !strncmp(s, "rec ", 4)) {
			struct replay_rec r = {s, len, -1};
			char kind[16], ref[24];
			replay_field(&r, "kind", kind, sizeof(kind));
			replay_field(&r, "ref", ref, sizeof(ref));
			if (strcmp(kind, "fence")) {
				if (nv == cap) {
					cap = cap ? 2 * cap : 64;
					struct replay_rec *nvv = realloc(v, cap * sizeof(*v));
					if (!nvv) {
						free(v);
						return -ENOMEM;
					}
					v = nvv;
				}
				r.ref = ref[0] && ref[0] != '-' ? strtol(ref, NULL, 10) : -1;
				v[nv++] = r;
			}
		}
		s += len + 1;
	}
	*out = v;
	*n = nv;
	return 0;
}

/* The replay's descriptor: the trace's, its replay= cut off, trace=1 and replay=ABS added. */
static int replay_line(const struct buf *t, const char *trace, struct buf *line)
{
	const char *d = NULL, *s = t->data;
	size_t dlen;
	int ret;

	if (t->len < 14 || strncmp(t->data, "vyrefs-trace 1\n", 15)) {
		fprintf(stderr,
			"vyrectl replay: %s: not a version 1 trace (its first line must "
			"be 'vyrefs-trace 1': a copy of MOUNT/jobs/N/trace)\n",
			trace);
		return -EINVAL;
	}
	for (; s && s < t->data + t->len; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
		if (!strncmp(s, "descriptor ", 11)) {
			d = s + 11;
			break;
		}
	if (!d) {
		fprintf(stderr, "vyrectl replay: %s: no descriptor line\n", trace);
		return -EINVAL;
	}
	dlen = strcspn(d, "\n");
	/* a trace of a replay: the descriptor writes replay= last */
	for (const char *r = d; (r = memmem(r, dlen - (size_t)(r - d), " replay=", 8)); r++)
		dlen = (size_t)(r - d);
	ret = buf_put(line, d, dlen);
	if (!ret && !memmem(d, dlen, " trace=1", 8))
		ret = buf_puts(line, " trace=1");
	if (!ret)
		ret = buf_puts(line, " replay=");
	if (!ret)
		ret = put_path(line, trace);
	if (!ret)
		ret = buf_puts(line, "\n");
	return ret;
}

/* Compares one traced record with its replay; prints each difference. 0: equal. */
static int replay_compare(const struct replay_rec *a, const struct replay_rec *b, long i)
{
	char va[128], vb[128], off[32], len[32], kind[16];
	int diff = 0;

	replay_field(a, "off", off, sizeof(off));
	replay_field(a, "len", len, sizeof(len));
	replay_field(a, "kind", kind, sizeof(kind));
	for (size_t k = 0; k < sizeof(replay_in) / sizeof(replay_in[0]); k++) {
		replay_field(a, replay_in[k], va, sizeof(va));
		replay_field(b, replay_in[k], vb, sizeof(vb));
		if (strcmp(va, vb)) {
			printf("rec %ld (%s off=%s len=%s): published %s=%s, replayed %s\n", i,
			       kind, off, len, replay_in[k], va, vb);
			diff = 1;
		}
	}
	replay_field(a, "fnv", va, sizeof(va));
	replay_field(b, "fnv", vb, sizeof(vb));
	if (strcmp(va, vb)) {
		printf("rec %ld (%s off=%s len=%s): the file's bytes differ from the traced ones "
		       "(fnv %s, now %s)\n",
		       i, kind, off, len, va, vb);
		diff = 1;
	}
	for (size_t k = 0; k < sizeof(replay_out) / sizeof(replay_out[0]); k++) {
		replay_field(a, replay_out[k], va, sizeof(va));
		replay_field(b, replay_out[k], vb, sizeof(vb));
		if (strcmp(va, vb)) {
			printf("rec %ld (%s off=%s len=%s): %s=%s in the trace, %s=%s replayed\n",
			       i, kind, off, len, replay_out[k], va[0] ? va : "-", replay_out[k],
			       vb[0] ? vb : "-");
			diff = 1;
		}
	}
	return diff;
}

int cmd_replay(struct vyrectl *c)
{
	const char *trace = c->args[0];
	struct buf t = {0}, line = {0}, rt = {0};
	struct replay_rec *a = NULL, *b = NULL;
	size_t na = 0, nb = 0, equal = 0, differ = 0, missing = 0;
	char id[VYRECTL_ID_MAX + 1], rel[VYRECTL_REL_MAX], jd_a[128], jd_b[128], dev[512];
	char drop[64];
	struct job_status st;
	int fd, ret = VYRECTL_FAILED;

	fd = open(trace, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vyrectl replay: %s: %s\n", trace, strerror(errno));
		return VYRECTL_FAILED;
	}
	if (buf_read_fd(&t, fd) || replay_line(&t, trace, &line)) {
		close(fd);
		goto out;
	}
	close(fd);
	if (ctl_submit_id(c, &line, id))
		goto out;
	if (job_wait(c, id, &st)) {
		ret = vyrectl_interrupted ? VYRECTL_INTR : VYRECTL_FAILED;
		goto out;
	}
	job_rel(id, "trace", rel);
	if (mount_read(c, rel, &rt))
		goto out;
	replay_header(&t, "jobdata", jd_a, sizeof(jd_a));
	replay_header(&rt, "jobdata", jd_b, sizeof(jd_b));
	replay_header(&rt, "unit", dev, sizeof(dev));
	replay_header(&t, "records", drop, sizeof(drop));
	if (replay_records(&t, &a, &na) || replay_records(&rt, &b, &nb)) {
		fprintf(stderr, "vyrectl replay: %s\n", strerror(ENOMEM));
		goto out;
	}
	if (strcmp(jd_a, jd_b)) {
		printf("job data differs: traced %s, replayed %s (the patterns compiled "
		       "differently: another vyrefs version?)\n",
		       jd_a, jd_b);
		differ++;
	}
	for (size_t i = 0; i < na; i++) {
		const struct replay_rec *r = NULL;
		char n[24];
		long rec;

		replay_field(&a[i], "status", n, sizeof(n));
		if (!strcmp(n, "-")) {
			missing++; /* never completed when traced: nothing to compare */
			continue;
		}
		rec = strtol(a[i].line + 4, NULL, 10);
		for (size_t k = 0; k < nb && !r; k++)
			if (b[k].ref == rec)
				r = &b[k];
		if (!r) {
			printf("rec %ld: not replayed (job %s's status says why)\n", rec, id);
			differ++;
		} else if (replay_compare(&a[i], r, rec)) {
			differ++;
		} else {
			equal++;
		}
	}
	printf("replay: job %s (%s) on %s: %zu slots equal, %zu differ", id, st.state, dev, equal,
	       differ);
	if (missing)
		printf(", %zu not completed when traced", missing);
	if (strstr(drop, "dropped ") && strcmp(strstr(drop, "dropped "), "dropped 0"))
		printf(", %s records not kept when traced", strstr(drop, "dropped ") + 8);
	putchar('\n');
	ret = differ || strcmp(st.state, "done") ? VYRECTL_FAILED : VYRECTL_OK;
out:
	free(a);
	free(b);
	buf_free(&t);
	buf_free(&line);
	buf_free(&rt);
	return ret;
}
