// SPDX-License-Identifier: MIT
/*
 * test_descriptor_rt - test_descriptor's second half: format->parse round
 * trips of random descriptors built here (not by the parser), the trace
 * and grep keys, and the op key table's completeness.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_descriptor.h"

/* ---- round trips of random descriptors ---------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64*: enough for test data, and the same sequence on every run. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rng_size(void)
{
	static const unsigned shifts[] = {0, 10, 20, 30};

	switch (rng() % 4) {
	case 0:
		return 0;
	case 1:
		return rng() >> (rng() % 64);
	default:
		return (rng() % 100000) << shifts[rng() % 4];
	}
}

static void rng_desc(struct desc *d)
{
	static const char tenant_chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	size_t n, mode;

	memset(d, 0, sizeof(*d));
	d->op = pump_ops[rng() % pump_ops_count];

	/*
	 * Any byte but NUL; or printable ones only, with or without blanks: a
	 * path is quoted only when it must be, and each kind must come back.
	 */
	mode = rng() % 3;
	n = 1 + rng() % 300;
	d->path[0] = '/';
	for (size_t i = 1; i < n; i++) {
		if (mode == 0)
			d->path[i] = (char)(1 + rng() % 255);
		else if (mode == 1)
			d->path[i] = (char)('!' + rng() % ('~' - '!' + 1));
		else
			d->path[i] = (char)(' ' + rng() % ('~' - ' ' + 1));
	}
	d->path[n] = '\0';

	d->offset = rng_size();
	d->length = rng() % 3 ? rng_size() : UINT64_MAX;
	if (d->length != UINT64_MAX && d->offset > UINT64_MAX - d->length)
		d->length = UINT64_MAX - d->offset;
	d->chunk = rng() % 2 ? PUMP_CHUNK_MIN << (rng() % 15) : 0;
	if (d->op->code == VYRE_OP_COUNT)
		d->val[DESC_KEY_BYTE] = (struct desc_val){.num = rng() % 256, .given = true};
	if (d->op->code == VYRE_OP_MATCH || d->op->code == VYRE_OP_GREP) {
		uint8_t pat[VYRE_PATTERN_MAX];

		n = 1 + rng() % VYRE_PATTERN_MAX;
		for (size_t i = 0; i < n; i++)
			pat[i] = (uint8_t)rng();
		set_text(d, DESC_KEY_PATTERN, pat, n);
	}
	n = rng() % 2 ? rng() % DESC_TENANT_MAX : 0;
	for (size_t i = 0; i < n; i++)
		d->tenant[i] = tenant_chars[rng() % (sizeof(tenant_chars) - 1)];
	d->direct = (int)(rng() % 3) - 1;
}

static const char *desc_diff(const struct desc *a, const struct desc *b)
{
	if (strcmp(a->path, b->path))
		return "path";
	if (a->op != b->op)
		return "op";
	if (a->offset != b->offset)
		return "offset";
	if (a->length != b->length)
		return "length";
	if (a->chunk != b->chunk)
		return "chunk";
	if (op_keys_diff(a, b))
		return op_keys_diff(a, b);
	if (strcmp(a->tenant, b->tenant))
		return "tenant";
	if (a->direct != b->direct)
		return "direct";
	return NULL;
}

void test_round_trips(int count)
{
	static struct desc d, back;
	char line[DESC_LINE_MAX + 1], err[ERRLEN];

	for (int i = 0; i < count; i++) {
		const char *diff;
		int n, ret;

		rng_desc(&d);
		n = desc_format(&d, line, sizeof(line));
		if (n < 0) {
			fail("", 0, "round trip %s: format gave %s", "", strerror(-n));
			continue;
		}
		ret = desc_parse(line, (size_t)n, &back, err, sizeof(err));
		if (ret) {
			fail(line, (size_t)n, "round trip: parse gave %s: %s", strerror(-ret), err);
			continue;
		}
		diff = desc_diff(&d, &back);
		if (diff)
			fail(line, (size_t)n, "round trip: %s differs%s", diff, "");
	}
}

/*
 * trace=1 and replay=: what each sets; the normalized form writes replay=
 * last (vyrectl replay cuts it there) and parses back the same, a path
 * with a blank and a newline quoted.
 */
void test_trace_keys(void)
{
	static const char line[] = "path=/x op=grep pattern=ERR trace=1 "
				   "replay=\"/tmp/a b\\nc\" chunk=4K";
	struct desc d, e;
	char err[ERRLEN], buf[2 * DESC_LINE_MAX];
	const char *r;
	int ret;

	ret = desc_parse(line, strlen(line), &d, err, sizeof(err));
	if (ret || !d.trace || strcmp(d.replay, "/tmp/a b\nc"))
		fail(line, strlen(line), "trace keys: %s%s", ret ? err : "wrong fields", "");
	ret = ret ? ret : desc_format(&d, buf, sizeof(buf)) < 0 ? -ENOSPC : 0;
	r = ret ? NULL : strstr(buf, " replay=");
	if (!r || strchr(r + 1, '=') != r + 7 || !strstr(buf, " trace=1 replay="))
		fail(line, strlen(line), "trace keys: replay= not last in [%s]%s", ret ? "" : buf, "");
	if (!ret)
		ret = desc_parse(buf, strlen(buf), &e, err, sizeof(err));
	if (ret || !e.trace || strcmp(e.replay, d.replay))
		fail(line, strlen(line), "trace keys round trip via [%s]: %s", buf,
		     ret ? err : "fields differ");
	ret = desc_parse("path=/x op=count trace=2", 24, &d, err, sizeof(err));
	if (ret != -EINVAL || !strstr(err, "trace=2: must be 0 or 1"))
		fail("trace=2", 7, "trace=2: %s%s", ret ? err : "accepted", "");
	ret = desc_parse("path=/x op=count replay=rel", 27, &d, err, sizeof(err));
	if (ret != -EINVAL || !strstr(err, "must be an absolute path"))
		fail("replay=rel", 10, "replay=rel: %s%s", ret ? err : "accepted", "");
}

/* grep's keys: what each sets, and the normalized form parses back the same. */
void test_grep_keys(void)
{
	static const char *const lines[] = {
		"path=/x op=grep pattern=\"ERR(OR)?|warn[0-9]+\" invert=1 lines=1 max=10",
		"path=/x op=grep patterns=/etc/pats fixed=1 icase=1",
		"path=/x op=grep pattern=\"\"",
		"path=/x op=grep pattern=\"a\\\\b\" lines=0 fixed=0",
		"path=/x op=grep pattern=a utf8=1 per_pattern=1",
	};
	static struct desc d, e;
	char err[ERRLEN], buf[2 * DESC_LINE_MAX];
	union pump_op_args a;
	const struct pump_grep_args *g = &a.grep;
	int ret;

	ret = desc_parse(lines[0], strlen(lines[0]), &d, err, sizeof(err));
	if (!ret)
		desc_args(&d, &a);
	if (ret || g->flags != (PUMP_GREP_INVERT | PUMP_GREP_LINES) || g->max != 10 ||
	    g->patterns || g->pattern_len != 19 || memcmp(g->pattern, "ERR(OR)?|warn[0-9]+", 19))
		fail(lines[0], strlen(lines[0]), "grep keys: %s%s", ret ? err : "wrong fields", "");
	ret = desc_parse(lines[1], strlen(lines[1]), &d, err, sizeof(err));
	if (!ret)
		desc_args(&d, &a);
	if (ret || !g->patterns || strcmp(g->patterns, "/etc/pats") ||
	    g->flags != (PUMP_GREP_FIXED | PUMP_GREP_ICASE) || g->max || g->pattern)
		fail(lines[1], strlen(lines[1]), "grep keys: %s%s", ret ? err : "wrong fields", "");
	ret = desc_parse(lines[2], strlen(lines[2]), &d, err, sizeof(err));
	if (!ret)
		desc_args(&d, &a);
	if (ret || !g->pattern || g->pattern_len)
		fail(lines[2], strlen(lines[2]), "grep's empty ERE: %s%s", ret ? err : "wrong fields", "");
	ret = desc_parse(lines[4], strlen(lines[4]), &d, err, sizeof(err));
	if (!ret)
		desc_args(&d, &a);
	if (ret || g->flags != (PUMP_GREP_UTF8 | PUMP_GREP_PSET))
		fail(lines[4], strlen(lines[4]), "grep flags: %s%s", ret ? err : "wrong flags", "");
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		ret = desc_parse(lines[i], strlen(lines[i]), &d, err, sizeof(err));
		if (!ret && desc_format(&d, buf, sizeof(buf)) < 0)
			ret = -ENOSPC;
		if (!ret)
			ret = desc_parse(buf, strlen(buf), &e, err, sizeof(err));
		if (ret || op_keys_diff(&d, &e))
			fail(lines[i], strlen(lines[i]), "grep round trip via [%s]: %s", buf,
			     ret ? err : "fields differ");
	}
}

/*
 * The key tables agree (what the compiler cannot check): a common key has
 * its parse function; an op key has none and is taken by some op, each of
 * whose rows names an op key of the same kind; so no key parses into a
 * value nothing reads, nor one desc_args lays out as another kind.
 */
void test_op_table(void)
{
	for (int k = 0; k < DESC_KEY_COUNT; k++) {
		const struct desc_key *row = &desc_keys[k];
		size_t owners = 0;

		for (size_t i = 0; i < pump_ops_count; i++) {
			const struct desc_op *o = desc_op_of(pump_ops[i]);

			for (size_t j = 0; j < o->nkeys; j++) {
				if ((int)o->keys[j].key != k)
					continue;
				owners++;
				if (o->keys[j].kind != row->kind)
					fail(row->name, strlen(row->name),
					     "op=%s's row for %s= has another kind than its key",
					     pump_ops[i]->name, row->name);
				if (row->kind == DESC_COMMON)
					fail(row->name, strlen(row->name),
					     "op=%s takes common key %s", pump_ops[i]->name,
					     row->name);
			}
		}
		if (!row->name || (row->kind == DESC_COMMON) != !!row->parse ||
		    (row->kind != DESC_COMMON && !owners))
			fail(row->name ? row->name : "?", row->name ? strlen(row->name) : 1,
			     "key %s=: a common key needs its parse function, an op key an op "
			     "that takes it%s",
			     row->name ? row->name : "?", "");
	}
}
