// SPDX-License-Identifier: MIT
/*
 * fuzz_descriptor - libFuzzer target for the descriptor parser.
 *
 * Any input: desc_parse must not read past len or write past errlen (ASan
 * sees both: libFuzzer's input and err are heap blocks of exactly that size),
 * and a failure's message is one printable line. An input that parses must
 * format, and the formatted line must parse back to the same struct.
 *
 * desc_format spells out defaults (scan, offset=0, length=eof, byte=0x0a),
 * so a line near DESC_LINE_MAX may format longer than the limit; then the
 * re-parse must fail with -E2BIG and nothing else.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "desc_priv.h" /* white-box: the op key table, to build and compare descs */

#define FUZZ_ERRLEN 256

/* The op's own keys of a and b (each key of its desc_op.c row) hold the same values. */
static int op_keys_same(const struct desc *a, const struct desc *b)
{
	const struct desc_op *o = desc_op_of(a->op);

	for (size_t i = 0; i < o->nkeys; i++) {
		const struct desc_op_key *k = &o->keys[i];
		const struct desc_val *x = &a->val[k->key], *y = &b->val[k->key];
		enum desc_kind kind = desc_keys[k->key].kind;

		if (kind == DESC_TEXT || kind == DESC_PATH) {
			if (x->given != y->given ||
			    (x->given && (x->len != y->len ||
					  memcmp(a->text + x->off, b->text + y->off, x->len))))
				return 0;
		} else if ((x->given ? x->num : k->def) != (y->given ? y->num : k->def)) {
			return 0;
		}
	}
	return 1;
}

static int desc_same(const struct desc *a, const struct desc *b)
{
	return !strcmp(a->path, b->path) && a->op == b->op && a->offset == b->offset &&
	       a->length == b->length && a->chunk == b->chunk && op_keys_same(a, b) &&
	       !strcmp(a->tenant, b->tenant) && a->direct == b->direct;
}

static int has_error_word(const char *line, size_t len)
{
	for (size_t i = 0; i + 5 <= len; i++)
		if (!memcmp(line + i, "error", 5))
			return 1;
	return 0;
}

/*
 * The message starts with the token it names, so "error: ..." is fine only
 * when the user wrote a token "error"; it must never be a prefix of ours.
 */
static void check_msg(const char *line, size_t len, const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	if (n == errlen || (errlen > 1 && n == 0))
		abort();
	if (!strncmp(err, "error: ", 7) && !has_error_word(line, len))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)err[i] < 0x20 || (unsigned char)err[i] >= 0x7f)
			abort();
}

/* The same line into a small err: the message is cut, not overrun. */
static void check_small_err(const char *line, size_t len, int want)
{
	size_t errlen = 1 + len % 24;
	char *err = malloc(errlen);
	struct desc *d = malloc(sizeof(*d));

	if (!err || !d)
		abort();
	if (desc_parse(line, len, d, err, errlen) != want)
		abort();
	if (!memchr(err, '\0', errlen))
		abort();
	free(d);
	free(err);
}

static void check_round_trip(const struct desc *d)
{
	static char line[4 * PATH_MAX + 4 * VYRE_PATTERN_MAX + 1024];
	static struct desc back;
	char *err = malloc(FUZZ_ERRLEN), *exact;
	int n, ret;

	if (!err)
		abort();
	n = desc_format(d, line, sizeof(line));
	if (n < 0)
		abort();

	/* n + 1 bytes are enough, n are not: format never writes past len. */
	exact = malloc((size_t)n + 1);
	if (!exact || desc_format(d, exact, (size_t)n + 1) != n ||
	    memcmp(exact, line, (size_t)n + 1))
		abort();
	if (desc_format(d, exact, (size_t)n) != -ENOSPC)
		abort();
	free(exact);

	ret = desc_parse(line, (size_t)n, &back, err, FUZZ_ERRLEN);
	if ((size_t)n > DESC_LINE_MAX) {
		if (ret != -E2BIG)
			abort();
	} else if (ret || !desc_same(d, &back)) {
		abort();
	}
	free(err);
}

/* Everything desc_parse promises, for one line. */
static void fuzz_line(const char *line, size_t len)
{
	static struct desc d;
	char *err = malloc(FUZZ_ERRLEN);
	int ret;

	if (!err)
		abort();
	ret = desc_parse(line, len, &d, err, FUZZ_ERRLEN);
	if (ret) {
		if (ret != -EINVAL && ret != -E2BIG)
			abort();
		check_msg(line, len, err, FUZZ_ERRLEN);
	} else {
		check_round_trip(&d);
	}
	check_small_err(line, len, ret);
	free(err);
}

/*
 * Raw bytes seldom make a whole good line (a 60 s run from an empty corpus
 * found none), so the input is also tried as the value of one key.
 */
static const char *const fuzz_prefixes[] = {
    "path=/f op=match pattern=",       /* quotes and escapes */
    "op=count path=",		       /* paths, quoted or not */
    "path=/f op=count byte=",	       /* numbers */
    "path=/f op=nop chunk=",	       /* sizes and the power-of-two check */
    "path=/f op=nop offset=1 length=", /* sizes and the range's end */
    "path=/f op=nop tenant=",	       /* the tenant's alphabet */
    "scan op=histogram path=/f ",      /* more keys */
};

static void fuzz_prefixed(const uint8_t *data, size_t size)
{
	const char *prefix =
	    fuzz_prefixes[data[0] % (sizeof(fuzz_prefixes) / sizeof(fuzz_prefixes[0]))];
	size_t plen = strlen(prefix), len = plen + size - 1;
	char *line = malloc(len);

	if (!line)
		abort();
	memcpy(line, prefix, plen);
	memcpy(line + plen, data + 1, size - 1);
	fuzz_line(line, len);
	free(line);
}

struct fuzz_bytes {
	const uint8_t *p;
	size_t n;
};

static uint8_t fuzz_take(struct fuzz_bytes *b)
{
	if (!b->n)
		return 0;
	b->n--;
	return *b->p++;
}

static uint64_t fuzz_take64(struct fuzz_bytes *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | fuzz_take(b);
	return v;
}

/* A valid struct from the input, so format->parse sees every path and pattern byte. */
static void fuzz_build(const uint8_t *data, size_t size, struct desc *d)
{
	static const char tenant_chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	struct fuzz_bytes b = {data, size};
	size_t n;

	memset(d, 0, sizeof(*d));
	d->op = pump_ops[fuzz_take(&b) % pump_ops_count];
	d->offset = fuzz_take64(&b);
	d->length = fuzz_take(&b) & 1 ? UINT64_MAX : fuzz_take64(&b);
	if (d->length != UINT64_MAX && d->offset > UINT64_MAX - d->length)
		d->length = UINT64_MAX - d->offset;
	n = fuzz_take(&b) % 16;
	d->chunk = n < 15 ? PUMP_CHUNK_MIN << n : 0;
	if (d->op->code == VYRE_OP_COUNT)
		d->val[DESC_KEY_BYTE] = (struct desc_val){.num = fuzz_take(&b), .given = true};
	d->direct = fuzz_take(&b) % 3 - 1;
	n = fuzz_take(&b) % DESC_TENANT_MAX;
	for (size_t i = 0; i < n; i++)
		d->tenant[i] = tenant_chars[fuzz_take(&b) % (sizeof(tenant_chars) - 1)];
	if (d->op->code == VYRE_OP_MATCH || d->op->code == VYRE_OP_GREP) {
		n = 1 + fuzz_take(&b) % VYRE_PATTERN_MAX;
		for (size_t i = 0; i < n; i++)
			d->text[i] = (char)fuzz_take(&b);
		d->text[n] = '\0';
		d->val[DESC_KEY_PATTERN] = (struct desc_val){.len = (uint16_t)n, .given = true};
		d->ntext = (uint32_t)n + 1;
	}
	/* The rest is the path; a NUL byte stands for '/'. */
	d->path[0] = '/';
	for (n = 1; n < PATH_MAX - 1 && b.n; n++) {
		uint8_t c = fuzz_take(&b);

		d->path[n] = c ? (char)c : '/';
	}
	d->path[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct desc d;

	fuzz_line((const char *)data, size);
	if (size) {
		fuzz_prefixed(data, size);
		fuzz_build(data, size, &d);
		check_round_trip(&d);
	}
	return 0;
}
