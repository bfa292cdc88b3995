// SPDX-License-Identifier: MIT
/*
 * test_descriptor - the descriptor grammar of README.md "Job descriptors", against expectations
 * written out by hand: every field of good lines, the errno and the named
 * token of bad ones, the limits, and format->parse round trips of random
 * descriptors built here (not by the parser).
 *
 * Exit 0 on pass, 1 on fail; each failing case is printed. The round
 * trips and the op table's checks are in test_descriptor_rt.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_descriptor.h"

int failures;

/* Prints a line with its unprintable bytes escaped, so a failure report is readable. */
static void show(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n && i < 160; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	if (n > 160)
		fprintf(f, "...(%zu bytes)", n);
}

void fail(const char *line, size_t len, const char *fmt, const char *a, const char *b)
{
	failures++;
	fprintf(stderr, "FAIL [");
	show(stderr, line, len);
	fprintf(stderr, "]: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

/*
 * The op's byte and pattern as desc_args lays them out for the scan: count's
 * byte (0x0a, the default, for another op), match's or grep's pattern
 * (NULL, 0: none).
 */
static uint32_t args_byte(const struct desc *d)
{
	union pump_op_args a;

	desc_args(d, &a);
	return d->op->code == VYRE_OP_COUNT ? a.count.byte : 0x0a;
}

static const uint8_t *args_pattern(const struct desc *d, uint32_t *len)
{
	static union pump_op_args a;

	desc_args(d, &a);
	*len = 0;
	if (d->op->code == VYRE_OP_MATCH) {
		*len = a.match.len;
		return a.match.pattern;
	}
	if (d->op->code == VYRE_OP_GREP) {
		*len = a.grep.pattern_len;
		return a.grep.pattern;
	}
	return NULL;
}

/* A text key's value into a hand-built desc, as desc_parse stores one. */
void set_text(struct desc *d, enum desc_key_id k, const void *s, size_t n)
{
	d->val[k] = (struct desc_val){.off = (uint16_t)d->ntext, .len = (uint16_t)n, .given = true};
	memcpy(d->text + d->ntext, s, n);
	d->text[d->ntext + n] = '\0';
	d->ntext += (uint32_t)n + 1;
}

/*
 * The op's own keys of a and b hold the same values: each key of the op's
 * row (desc_op.c) as desc_args would lay it out, a text by its bytes.
 */
const char *op_keys_diff(const struct desc *a, const struct desc *b)
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
				return desc_keys[k->key].name;
		} else if ((x->given ? x->num : k->def) != (y->given ? y->num : k->def)) {
			return desc_keys[k->key].name;
		}
	}
	return NULL;
}

/* ---- good lines: every field checked ------------------------------------ */

struct good_case {
	const char *line;
	const char *path;
	const char *op;
	uint64_t offset;
	uint64_t length;
	uint32_t chunk;
	uint32_t byte;
	const char *pattern; /* NULL: none */
	uint32_t pattern_len;
	const char *tenant;
	int direct;
};

static const struct good_case good[] = {
    {"scan path=/data/app.log op=count byte=0x0a", "/data/app.log", "count", 0, TO_EOF, 0, 0x0a,
     NULL, 0, "", -1},
    {"scan path=/data/app.log op=match pattern=\"ERROR \\x00\" offset=4096 length=1G",
     "/data/app.log", "match", 4096, 1ull << 30, 0, 0x0a, "ERROR \0", 7, "", -1},
    {"path=/dev/nvme0n1 op=histogram chunk=4M direct=1", "/dev/nvme0n1", "histogram", 0, TO_EOF,
     4u << 20, 0x0a, NULL, 0, "", 1},
    {"path=/x op=nop", "/x", "nop", 0, TO_EOF, 0, 0x0a, NULL, 0, "", -1},
    {"  \tscan\t path=/x   op=count  \t", "/x", "count", 0, TO_EOF, 0, 0x0a, NULL, 0, "", -1},
    {"scan path=/x op=count byte=255", "/x", "count", 0, TO_EOF, 0, 255, NULL, 0, "", -1},
    {"byte=0 op=count path=/x", "/x", "count", 0, TO_EOF, 0, 0, NULL, 0, "", -1},
    {"path=/x op=count byte=0xFf", "/x", "count", 0, TO_EOF, 0, 0xff, NULL, 0, "", -1},
    {"path=/x op=nop offset=0x10 length=0x1fK", "/x", "nop", 16, 31 * 1024, 0, 0x0a, NULL, 0, "",
     -1},
    {"path=/x op=nop length=eof offset=1g", "/x", "nop", 1ull << 30, TO_EOF, 0, 0x0a, NULL, 0, "",
     -1},
    {"path=/x op=nop offset=3m length=7k", "/x", "nop", 3ull << 20, 7 * 1024, 0, 0x0a, NULL, 0, "",
     -1},
    {"path=/x op=nop chunk=4K", "/x", "nop", 0, TO_EOF, 4096, 0x0a, NULL, 0, "", -1},
    {"path=/x op=nop chunk=64M", "/x", "nop", 0, TO_EOF, 64u << 20, 0x0a, NULL, 0, "", -1},
    {"path=/x op=nop chunk=0x2000", "/x", "nop", 0, TO_EOF, 8192, 0x0a, NULL, 0, "", -1},
    {"path=/x op=match pattern=\"a\\\\b\\\"c\\nd\\te\\x41\\xfF\"", "/x", "match", 0, TO_EOF, 0,
     0x0a, "a\\b\"c\nd\teA\xff", 11, "", -1},
    {"path=/x op=match pattern=ab\\x20cd", "/x", "match", 0, TO_EOF, 0, 0x0a, "ab cd", 5, "", -1},
    {"path=/x op=match pattern=a\"b", "/x", "match", 0, TO_EOF, 0, 0x0a, "a\"b", 3, "", -1},
    /* single quotes, as the shell takes them: blanks kept, no escapes */
    {"path=/x op=match pattern='ERROR.*\\.log \"x\"'", "/x", "match", 0, TO_EOF, 0, 0x0a,
     "ERROR.*\\.log \"x\"", 16, "", -1},
    {"path='/my files/a\\b' op=nop", "/my files/a\\b", "nop", 0, TO_EOF, 0, 0x0a, NULL, 0, "",
     -1},
    {"path=/x op=match pattern=\"two  blanks\tand a tab\"", "/x", "match", 0, TO_EOF, 0, 0x0a,
     "two  blanks\tand a tab", 21, "", -1},
    {"path=\"/my files/a \\\"b\\\".log\" op=nop", "/my files/a \"b\".log", "nop", 0, TO_EOF, 0,
     0x0a, NULL, 0, "", -1},
    {"path=/a\\b op=nop", "/a\\b", "nop", 0, TO_EOF, 0, 0x0a, NULL, 0, "", -1},
    {"path=/donn\xc3\xa9\x65s op=nop", "/donn\xc3\xa9\x65s", "nop", 0, TO_EOF, 0, 0x0a, NULL, 0, "",
     -1},
    {"path=/ op=nop tenant=team-a.1_X", "/", "nop", 0, TO_EOF, 0, 0x0a, NULL, 0, "team-a.1_X", -1},
    {"path=/x op=nop direct=0", "/x", "nop", 0, TO_EOF, 0, 0x0a, NULL, 0, "", 0},
    {"path=/x op=nop length=0", "/x", "nop", 0, 0, 0, 0x0a, NULL, 0, "", -1},
    {"path=/x op=nop offset=17179869183G", "/x", "nop", 17179869183ull << 30, TO_EOF, 0, 0x0a, NULL,
     0, "", -1},
    {"path=/x op=nop offset=1 length=18446744073709551614", "/x", "nop", 1, UINT64_MAX - 1, 0, 0x0a,
     NULL, 0, "", -1},
    {"path=/x op=nop offset=5 length=0xffffffffffffffff", "/x", "nop", 5, TO_EOF, 0, 0x0a, NULL, 0,
     "", -1},
};

static void check_good(const struct good_case *g)
{
	static struct desc d;
	char err[ERRLEN], num[2][32];
	size_t len = strlen(g->line);
	const uint8_t *pat;
	uint32_t patlen;
	int ret;

	ret = desc_parse(g->line, len, &d, err, sizeof(err));
	if (ret) {
		fail(g->line, len, "want 0, got %s: %s", strerror(-ret), err);
		return;
	}
	if (strcmp(d.path, g->path))
		fail(g->line, len, "path: want [%s], got [%s]", g->path, d.path);
	if (!d.op || strcmp(d.op->name, g->op))
		fail(g->line, len, "op: want %s, got %s", g->op, d.op ? d.op->name : "NULL");
	snprintf(num[0], sizeof(num[0]), "%" PRIu64, g->offset);
	snprintf(num[1], sizeof(num[1]), "%" PRIu64, d.offset);
	if (d.offset != g->offset)
		fail(g->line, len, "offset: want %s, got %s", num[0], num[1]);
	snprintf(num[0], sizeof(num[0]), "%" PRIu64, g->length);
	snprintf(num[1], sizeof(num[1]), "%" PRIu64, d.length);
	if (d.length != g->length)
		fail(g->line, len, "length: want %s, got %s", num[0], num[1]);
	snprintf(num[0], sizeof(num[0]), "%u", g->chunk);
	snprintf(num[1], sizeof(num[1]), "%u", d.chunk);
	if (d.chunk != g->chunk)
		fail(g->line, len, "chunk: want %s, got %s", num[0], num[1]);
	snprintf(num[0], sizeof(num[0]), "%u", g->byte);
	snprintf(num[1], sizeof(num[1]), "%u", args_byte(&d));
	if (args_byte(&d) != g->byte)
		fail(g->line, len, "byte: want %s, got %s", num[0], num[1]);
	pat = args_pattern(&d, &patlen);
	if (patlen != g->pattern_len || (g->pattern && memcmp(pat, g->pattern, g->pattern_len)))
		fail(g->line, len, "pattern differs%s%s", "", "");
	if (strcmp(d.tenant, g->tenant))
		fail(g->line, len, "tenant: want [%s], got [%s]", g->tenant, d.tenant);
	snprintf(num[0], sizeof(num[0]), "%d", g->direct);
	snprintf(num[1], sizeof(num[1]), "%d", d.direct);
	if (d.direct != g->direct)
		fail(g->line, len, "direct: want %s, got %s", num[0], num[1]);
}

/* ---- bad lines: the errno and the named token --------------------------- */

struct bad_case {
	const char *line;
	size_t len; /* 0: strlen(line) */
	int err;
	const char *has; /* the message must contain this */
};

static const struct bad_case bad[] = {
    {"", 0, EINVAL, "empty descriptor"},
    {"  \t  ", 0, EINVAL, "empty descriptor"},
    {"grep path=/x op=count", 0, EINVAL, "grep: unknown verb"},
    {"SCAN path=/x op=count", 0, EINVAL, "SCAN: unknown verb"},
    {"scan path=/x op=count extra", 0, EINVAL, "extra: not a key=value token"},
    {"scan scan path=/x op=nop", 0, EINVAL, "scan: not a key=value token"},
    {"path=/x op=count frobnicate=1", 0, EINVAL,
     "frobnicate=1: unknown key (keys: path op offset length chunk byte pattern tenant "
     "direct patterns fixed icase utf8 invert lines per_pattern max priority files follow trace replay order wait)"},
    {"path=/x op=count order=sideways", 0, EINVAL, "order=sideways: must be walk or path"},
    {"path=/x op=nop =1", 0, EINVAL, "=1: unknown key"},
    {"path=/x op=count invert=1", 0, EINVAL, "invert=1: op=count takes no invert= (invert= is for: grep)"},
    {"path=/x op=match pattern=a lines=1", 0, EINVAL, "lines=1: op=match takes no lines="},
    /* a key op= does not take: who takes it, and what op= takes (desc_op.c's rows) */
    {"path=/x op=count invert=1", 0, EINVAL, "(invert= is for: grep); op=count takes byte="},
    {"path=/x op=grep pattern=a byte=9", 0, EINVAL,
     "byte=9: op=grep takes no byte= (byte= is for: count); op=grep takes pattern= patterns= "
     "fixed= icase= utf8= invert= lines= per_pattern= max="},
    {"path=/x op=histogram fixed=1", 0, EINVAL,
     "fixed=1: op=histogram takes no fixed= (fixed= is for: grep); op=histogram takes no key "
     "of its own"},
    {"path=/x op=nop max=3", 0, EINVAL, "max=3: op=nop takes no max="},
    {"path=/x op=histogram patterns=/p", 0, EINVAL, "patterns=/p: op=histogram takes no patterns="},
    {"path=/x op=grep pattern=a patterns=/p", 0, EINVAL, "patterns=/p: patterns= and pattern= exclude each other"},
    {"path=/x op=grep patterns=p", 0, EINVAL, "patterns=p: must be an absolute path (try patterns=/abs/p)"},
    {"path=/x op=grep patterns=", 0, EINVAL, "patterns=: must be an absolute path"},
    {"path=/x op=grep pattern=a invert=2", 0, EINVAL, "invert=2: must be 0 or 1"},
    {"path=/x op=grep pattern=a max=0", 0, EINVAL, "max=0: must be a count of lines, 1 or more"},
    {"path=/x op=grep pattern=a per_pattern=2", 0, EINVAL, "per_pattern=2: must be 0 or 1"},
    {"path=/x op=grep pattern=a per_pattern=1 invert=1", 0, EINVAL,
     "invert=1: per_pattern=1 counts the lines each pattern selects"},
    {"path=/x op=grep pattern=a per_pattern=1 max=2", 0, EINVAL,
     "max=2: per_pattern=1 counts every line (drop max=)"},
    {"path=/x op=count per_pattern=1", 0, EINVAL, "per_pattern=1: op=count takes no per_pattern="},
    {"path=/x op=grep pattern=a max=-1", 0, EINVAL, "max=-1: must be a count"},
    {"path=/x op=grep pattern=a fixed=yes", 0, EINVAL, "fixed=yes: must be 0 or 1 (try fixed=1"},
    {"path=/x op=grep", 0, EINVAL, "missing pattern= or patterns="},
    {"path=/x op=grep", 0, EINVAL, "missing pattern= or patterns= (op=grep needs one"},
    {"path=/x op=regex", 0, EINVAL, "op=regex: unknown op (ops: nop count match histogram grep)"},
    {"path=/x op=", 0, EINVAL, "op=: unknown op"},
    {"path=/x op=countcountcountcountcountcountcount", 0, EINVAL, "unknown op"},
    {"path=rel/x op=nop", 0, EINVAL, "path=rel/x: must be an absolute path (try path=/abs/rel/x)"},
    {"path= op=nop", 0, EINVAL, "path=: must be an absolute path"},
    {"path=\"\" op=nop", 0, EINVAL, "path=\"\": must be an absolute path"},
    {"path=\"/a\\x00b\" op=nop", 0, EINVAL, "path=\"/a\\x00b\": a path cannot hold a NUL"},
    {"op=nop", 0, EINVAL, "missing path="},
    {"scan", 0, EINVAL, "missing path="},
    {"path=/x", 0, EINVAL, "missing op= (ops: nop count match histogram grep)"},
    {"path=/x op=match", 0, EINVAL, "missing pattern="},
    {"path=/x op=count length=99999999999G", 0, EINVAL, "length=99999999999G: overflows 64 bits"},
    {"path=/x op=nop offset=18446744073709551616", 0, EINVAL,
     "offset=18446744073709551616: overflows"},
    {"path=/x op=nop offset=17179869184G", 0, EINVAL, "offset=17179869184G: overflows"},
    {"path=/x op=nop offset=0x10000000000000000", 0, EINVAL, "overflows"},
    {"path=/x op=nop offset=-1", 0, EINVAL, "offset=-1: must not be negative (try offset=0)"},
    {"path=/x op=nop length=-4K", 0, EINVAL, "length=-4K: must not be negative"},
    {"path=/x op=nop length=12Q", 0, EINVAL, "length=12Q: not a size"},
    {"path=/x op=nop length=1KK", 0, EINVAL, "length=1KK: not a size"},
    {"path=/x op=nop length=0x", 0, EINVAL, "length=0x: not a size"},
    {"path=/x op=nop offset=", 0, EINVAL, "offset=: not a size"},
    {"path=/x op=nop offset=+1", 0, EINVAL, "offset=+1: not a size"},
    {"path=/x op=nop chunk=3000", 0, EINVAL,
     "chunk=3000: must be a power of two between 4K and 64M (try chunk=4K)"},
    {"path=/x op=nop chunk=2K", 0, EINVAL, "chunk=2K: must be a power of two"},
    {"path=/x op=nop chunk=12K", 0, EINVAL, "(try chunk=8K)"},
    {"path=/x op=nop chunk=128M", 0, EINVAL,
     "chunk=128M: must be a power of two between 4K "
     "and 64M (try chunk=64M)"},
    {"path=/x op=nop chunk=0", 0, EINVAL, "chunk=0: must be a power of two"},
    {"path=/x op=nop chunk=99999999999G", 0, EINVAL, "(try chunk=64M)"},
    {"path=/x op=count byte=0x100", 0, EINVAL, "byte=0x100: must be one byte"},
    {"path=/x op=count byte=256", 0, EINVAL, "byte=256: must be one byte"},
    {"path=/x op=count byte=-1", 0, EINVAL, "byte=-1: must be one byte"},
    {"path=/x op=count byte=1K", 0, EINVAL, "byte=1K: must be one byte"},
    {"path=/x op=count byte=", 0, EINVAL, "byte=: must be one byte"},
    {"path=/x op=match byte=10 pattern=x", 0, EINVAL,
     "byte=10: op=match takes no byte= (byte= is for: count)"},
    {"byte=10 path=/x op=nop", 0, EINVAL, "byte=10: op=nop takes no byte="},
    {"path=/x op=count pattern=x", 0, EINVAL,
     "pattern=x: op=count takes no pattern= (pattern= is for: match grep)"},
    {"path=/x op=match pattern=\"abc", 0, EINVAL, "pattern=\"abc: unterminated quote"},
    {"path=/x op=match pattern='abc", 0, EINVAL, "pattern='abc: unterminated quote (end the value with ')"},
    {"path=/x op=match pattern='abc'd", 0, EINVAL, "text after the closing quote"},
    {"path=/x op=match pattern=\"abc\\\" op=nop", 0, EINVAL, "unterminated quote"},
    {"path=/x op=match pattern=a\\q", 0, EINVAL, "pattern=a\\q: bad escape \\q"},
    {"path=/x op=match pattern=\"\\x4g\"", 0, EINVAL, "bad escape \\x4g"},
    {"path=/x op=match pattern=\"ab\\x4\"", 0, EINVAL, "bad escape \\x4 (escapes"},
    {"path=/x op=match pattern=ab\\", 0, EINVAL, "pattern=ab\\: bad escape \\ (escapes"},
    {"path=/x op=match pattern=\"\"", 0, EINVAL, "pattern=\"\": empty pattern"},
    {"path=/x op=match pattern=", 0, EINVAL, "pattern=: empty pattern"},
    {"path=/x op=match pattern=\"ab\"cd", 0, EINVAL,
     "pattern=\"ab\"cd: text after the closing quote"},
    {"path=/x op=count op=nop", 0, EINVAL, "op=nop: op= given twice, first as op=count"},
    {"path=/x path=/y op=nop", 0, EINVAL, "path=/y: path= given twice"},
    {"path=/x op=count byte=0x0a byte=0x0a", 0, EINVAL, "byte=0x0a: byte= given twice"},
    {"path=/x op=\"count\"", 0, EINVAL, "op=\"count\": only path=, pattern=, patterns= and files= may be quoted"},
    {"path=/x op=nop tenant=", 0, EINVAL, "tenant=: must be 1 to 63"},
    {"path=/x op=nop tenant=a/b", 0, EINVAL,
     "tenant=a/b: must be 1 to 63 characters of A-Z a-z 0-9 _ . - "
     "(try tenant=a_b)"},
    {"path=/x op=nop tenant=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0,
     EINVAL, "tenant=aaaa"},
    {"path=/x op=nop direct=2", 0, EINVAL, "direct=2: must be 0 or 1"},
    {"path=/x op=nop direct=", 0, EINVAL, "direct=: must be 0 or 1"},
    {"path=/x op=nop offset=2 length=18446744073709551614", 0, EINVAL,
     "length=18446744073709551614: offset+length overflows"},
    {"path=/x\0y op=nop", 16, EINVAL, "path=/x\\x00y: NUL byte in the line"},
    {"path=/x op=nop\0", 15, EINVAL, "op=nop\\x00: NUL byte"},
    {"path=/x op=nop tenant=\xff\x01", 0, EINVAL, "tenant=\\xff\\x01: must be"},
};

/* A message is one printable line naming the token, with no "error: " of its own. */
static void check_msg(const char *line, size_t len, const char *err, const char *has)
{
	if (has && !strstr(err, has))
		fail(line, len, "message [%s] lacks [%s]", err, has);
	if (!err[0] || strchr(err, '\n') || !strncmp(err, "error: ", 7))
		fail(line, len, "bad message shape [%s]%s", err, "");
	for (const char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
			fail(line, len, "unprintable byte in message [%s]%s", err, "");
			break;
		}
}

static void check_bad(const char *line, size_t len, int want, const char *has)
{
	struct desc d;
	char err[ERRLEN];
	int ret;

	memset(&d, 0x5a, sizeof(d));
	ret = desc_parse(line, len, &d, err, sizeof(err));
	if (ret != -want) {
		fail(line, len, "want %s, got %s", strerror(want), ret ? strerror(-ret) : "0");
		return;
	}
	check_msg(line, len, err, has);
	/* A line that fails changes nothing. */
	for (size_t i = 0; i < sizeof(d); i++)
		if (((unsigned char *)&d)[i] != 0x5a) {
			fail(line, len, "desc changed on failure%s%s", "", "");
			break;
		}
}

/* ---- limits ------------------------------------------------------------- */

static void test_line_limit(void)
{
	static char line[5001];
	const char *head = "scan path=/", *tail = " op=nop";
	struct desc d;
	char err[ERRLEN];
	size_t n;

	/* 5000 bytes: too long whatever it says. */
	memset(line, 'a', 5000);
	check_bad(line, 5000, E2BIG, "5000 bytes, over the 4096-byte limit");

	/* Exactly DESC_LINE_MAX is allowed, one more is not. */
	for (n = DESC_LINE_MAX; n <= DESC_LINE_MAX + 1; n++) {
		size_t fill = n - strlen(head) - strlen(tail);

		memcpy(line, head, strlen(head));
		memset(line + strlen(head), 'p', fill);
		memcpy(line + strlen(head) + fill, tail, strlen(tail));
		if (n == DESC_LINE_MAX) {
			int ret = desc_parse(line, n, &d, err, sizeof(err));

			if (ret)
				fail(line, n, "4096-byte line: want 0, got %s: %s", strerror(-ret),
				     err);
			else if (strlen(d.path) != fill + 1)
				fail(line, n, "4096-byte line: path of the wrong length%s%s", "",
				     "");
		} else {
			check_bad(line, n, E2BIG, "4097 bytes");
		}
	}
}

static void test_pattern_limit(void)
{
	char line[2048], err[ERRLEN];
	static struct desc d;
	const uint8_t *pat;
	uint32_t patlen = 0;
	size_t n;
	int ret;

	/* 256 bytes, each written as \xHH: the longest pattern, 1024 bytes of line. */
	n = (size_t)snprintf(line, sizeof(line), "path=/x op=match pattern=\"");
	for (int i = 0; i < VYRE_PATTERN_MAX; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\\x%02x", i);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\"");
	ret = desc_parse(line, n, &d, err, sizeof(err));
	pat = ret ? NULL : args_pattern(&d, &patlen);
	if (ret || patlen != VYRE_PATTERN_MAX)
		fail(line, n, "256-byte pattern: %s %s", ret ? strerror(-ret) : "wrong length",
		     err);
	for (int i = 0; !ret && i < VYRE_PATTERN_MAX; i++)
		if (pat[i] != i) {
			fail(line, n, "256-byte pattern: byte differs%s%s", "", "");
			break;
		}

	/* 257 literal bytes. */
	n = (size_t)snprintf(line, sizeof(line), "path=/x op=match pattern=");
	memset(line + n, 'z', VYRE_PATTERN_MAX + 1);
	n += VYRE_PATTERN_MAX + 1;
	check_bad(line, n, EINVAL, "257 bytes, over the 256-byte limit");
}

/* Whatever errlen, the message is cut, terminated and kept inside err. */
static void test_err_buffer(void)
{
	const char *line = "path=/x op=nop chunk=3000";
	char err[64];
	struct desc d;

	for (size_t errlen = 1; errlen < 48; errlen++) {
		memset(err, '#', sizeof(err));
		if (desc_parse(line, strlen(line), &d, err, errlen) != -EINVAL)
			fail(line, strlen(line), "errlen test: want EINVAL%s%s", "", "");
		if (!memchr(err, '\0', errlen))
			fail(line, strlen(line), "errlen test: not terminated%s%s", "", "");
		for (size_t i = errlen; i < sizeof(err); i++)
			if (err[i] != '#') {
				fail(line, strlen(line), "errlen test: wrote past errlen%s%s", "",
				     "");
				break;
			}
	}
	if (desc_parse(line, strlen(line), &d, NULL, 0) != -EINVAL)
		fail(line, strlen(line), "NULL err: want EINVAL%s%s", "", "");

	/* A long token is cut in the message, which still says what is wrong. */
	{
		char big[300], msg[ERRLEN];
		int n = snprintf(big, sizeof(big), "path=/x op=nop frob=");

		memset(big + n, 'q', 200);
		if (desc_parse(big, (size_t)n + 200, &d, msg, sizeof(msg)) != -EINVAL)
			fail(big, (size_t)n + 200, "long token: want EINVAL%s%s", "", "");
		check_msg(big, (size_t)n + 200, msg, "...: unknown key");
		if (strlen(msg) > 256)
			fail(big, (size_t)n + 200, "long token not cut: [%s]%s", msg, "");
	}
}

struct size_case {
	const char *s;
	int ret;
	uint64_t v;
};

static const struct size_case sizes[] = {
    {"123", 0, 123},
    {"0x1f", 0, 31},
    {"0X1F", 0, 31},
    {"4K", 0, 4096},
    {"1M", 0, 1u << 20},
    {"2G", 0, 2ull << 30},
    {"0", 0, 0},
    {"007", 0, 7},
    {"18446744073709551615", 0, UINT64_MAX},
    {"0xffffffffffffffff", 0, UINT64_MAX},
    {"17179869183G", 0, 17179869183ull << 30},
    {"18446744073709551616", -ERANGE, 0},
    {"17179869184G", -ERANGE, 0},
    {"16777216T", -EINVAL, 0},
    {"", -EINVAL, 0},
    {"0x", -EINVAL, 0},
    {"-1", -EINVAL, 0},
    {" 1", -EINVAL, 0},
    {"1 ", -EINVAL, 0},
    {"1KB", -EINVAL, 0},
    {"K", -EINVAL, 0},
    {"1.5G", -EINVAL, 0},
};

static void test_sizes(void)
{
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t v = 0;
		int ret = desc_parse_size(sizes[i].s, &v);

		if (ret != sizes[i].ret || (!ret && v != sizes[i].v))
			fail(sizes[i].s, strlen(sizes[i].s), "desc_parse_size: ret %s%s",
			     ret ? strerror(-ret) : "0", ret ? "" : " (or wrong value)");
	}
}

/* ---- formatting --------------------------------------------------------- */

struct format_case {
	const char *line;
	const char *want;
};

static const struct format_case formats[] = {
    {"path=/x op=count", "scan path=/x op=count offset=0 length=eof byte=0x0a"},
    {"op=histogram path=/dev/sda length=0x100000 offset=3072 chunk=0x4000000 direct=1 "
     "tenant=t1",
     "scan path=/dev/sda op=histogram offset=3K length=1M chunk=64M tenant=t1 direct=1"},
    {"path=\"/a b\\x01\\\\c\" op=match pattern=\"x\\\"\\x00\\xff\\n\\\\\" length=1000",
     "scan path=\"/a b\\x01\\\\c\" op=match offset=0 length=1000 "
     "pattern=\"x\\\"\\x00\\xff\\n\\\\\""},
    {"path=/a\\b op=nop", "scan path=/a\\b op=nop offset=0 length=eof"},
    {"path=/a\"b op=nop", "scan path=\"/a\\\"b\" op=nop offset=0 length=eof"},
    {"path=\"/a\tb\" op=nop", "scan path=\"/a\\tb\" op=nop offset=0 length=eof"},
    /* order=walk is kept (jobs/N/descriptor); order=path is the default, not written */
    {"path=/d op=nop order=walk", "scan path=/d op=nop offset=0 length=eof order=walk"},
    {"path=/d op=nop order=path", "scan path=/d op=nop offset=0 length=eof"},
};

static void test_format(void)
{
	char buf[512], err[ERRLEN];
	struct desc d;

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		const char *line = formats[i].line, *want = formats[i].want;
		int n;

		if (desc_parse(line, strlen(line), &d, err, sizeof(err))) {
			fail(line, strlen(line), "format case does not parse: %s%s", err, "");
			continue;
		}
		n = desc_format(&d, buf, sizeof(buf));
		if (n < 0 || strcmp(buf, want) || (size_t)n != strlen(want))
			fail(line, strlen(line), "format: want [%s], got [%s]", want,
			     n < 0 ? "ENOSPC" : buf);
		/* The exact size fits with its NUL; one byte less does not. */
		if (n > 0 && desc_format(&d, buf, (size_t)n + 1) != n)
			fail(line, strlen(line), "format into n+1 bytes failed%s%s", "", "");
		if (n > 0 && desc_format(&d, buf, (size_t)n) != -ENOSPC)
			fail(line, strlen(line), "format into n bytes: want ENOSPC%s%s", "", "");
	}
}

int main(void)
{
	size_t cases = 0;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++, cases++)
		check_good(&good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++, cases++) {
		const struct bad_case *b = &bad[i];

		check_bad(b->line, b->len ? b->len : strlen(b->line), b->err, b->has);
	}
	test_op_table();
	test_line_limit();
	test_pattern_limit();
	test_err_buffer();
	test_sizes();
	test_format();
	test_round_trips(20000);
	test_grep_keys();
	test_trace_keys();
	cases += sizeof(sizes) / sizeof(sizes[0]) + sizeof(formats) / sizeof(formats[0]);

	if (failures) {
		fprintf(stderr, "test_descriptor: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_descriptor: %zu table cases, limits, 20000 round trips: ok\n", cases);
	return 0;
}
