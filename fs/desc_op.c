// SPDX-License-Identifier: MIT
/*
 * desc_op.c - the ops' own descriptor keys: one row per op (indexed as
 * abi/vyre_ops.h's table), listing the keys it takes beyond the common
 * ones and where each value goes in its member of union pump_op_args.
 * From it come the check that a key belongs to op= (descriptor.c), the
 * op's keys in jobs/N/descriptor (desc_format.c) and the scan's args
 * (desc_args). A key's syntax is its desc_keys[] row's kind.
 *
 * An op that takes keys of its own adds its row here, each new key to
 * desc_keys[] (and enum desc_key_id, desc_priv.h) and its member to union
 * pump_op_args (pump.h); an op without keys adds nothing.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "desc_priv.h"

/*
 * Where a value goes: the field's offset in union pump_op_args, refused
 * at compile time unless the field has the type the kind writes
 * (desc_args copies that many bytes there). One macro per kind, so a row
 * cannot name a kind its field does not fit; test_descriptor checks each
 * row's kind is its key's in desc_keys[].
 */
#define DESC_AT(member, field, type)                                                               \
	((uint32_t)(offsetof(union pump_op_args, member.field) +                                   \
		    0 * sizeof(char[_Generic(((union pump_op_args *)0)->member.field, type: 1,        \
					      default: -1)])))
#define DESC_OP_FLAG(k, member, field, b)                                                          \
	{.key = k, .kind = DESC_FLAG, .arg = DESC_AT(member, field, uint32_t), .bit = b}
#define DESC_OP_COUNT(k, member, field)                                                            \
	{.key = k, .kind = DESC_COUNT, .arg = DESC_AT(member, field, uint64_t)}
#define DESC_OP_BYTE(k, member, field, d)                                                          \
	{.key = k, .kind = DESC_BYTE, .arg = DESC_AT(member, field, uint32_t), .def = d}
#define DESC_OP_TEXT(k, member, field, lenfield, most)                                             \
	{.key = k,                                                                                 \
	 .kind = DESC_TEXT,                                                                        \
	 .arg = DESC_AT(member, field, const uint8_t *),                                           \
	 .arg_len = DESC_AT(member, lenfield, uint32_t),                                           \
	 .max = most}
#define DESC_OP_PATH(k, member, field)                                                             \
	{.key = k, .kind = DESC_PATH, .arg = DESC_AT(member, field, const char *)}

static const struct desc_op_key count_keys[] = {
    DESC_OP_BYTE(DESC_KEY_BYTE, count, byte, 0x0a),
};

static const struct desc_op_key match_keys[] = {
    DESC_OP_TEXT(DESC_KEY_PATTERN, match, pattern, len, VYRE_PATTERN_MAX),
};

static const struct desc_op_key grep_keys[] = {
    DESC_OP_TEXT(DESC_KEY_PATTERN, grep, pattern, pattern_len, DESC_PATTERN_MAX),
    DESC_OP_PATH(DESC_KEY_PATTERNS, grep, patterns),
    DESC_OP_FLAG(DESC_KEY_FIXED, grep, flags, PUMP_GREP_FIXED),
    DESC_OP_FLAG(DESC_KEY_ICASE, grep, flags, PUMP_GREP_ICASE),
    DESC_OP_FLAG(DESC_KEY_UTF8, grep, flags, PUMP_GREP_UTF8),
    DESC_OP_FLAG(DESC_KEY_INVERT, grep, flags, PUMP_GREP_INVERT),
    DESC_OP_FLAG(DESC_KEY_LINES, grep, flags, PUMP_GREP_LINES),
    DESC_OP_FLAG(DESC_KEY_PER_PATTERN, grep, flags, PUMP_GREP_PSET),
    DESC_OP_COUNT(DESC_KEY_MAX, grep, max),
};

/* match: 1 to VYRE_PATTERN_MAX bytes. */
static int desc_match_check(struct desc_parser *p)
{
	const struct desc_val *v = &p->d.val[DESC_KEY_PATTERN];

	if (!v->given)
		return desc_fail(p, NULL, "missing pattern= (op=%s needs one, e.g. pattern=\"ERROR\")",
				 p->d.op->name);
	if (!v->len)
		return desc_fail(p, &p->seen[DESC_KEY_PATTERN],
				 "empty pattern (give 1 to %d bytes, e.g. pattern=\"ERROR\")",
				 VYRE_PATTERN_MAX);
	if (v->len > VYRE_PATTERN_MAX)
		return desc_fail(p, &p->seen[DESC_KEY_PATTERN],
				 "%u bytes, over the %d-byte limit (shorten the pattern)", v->len,
				 VYRE_PATTERN_MAX);
	return 0;
}

/* grep: one ERE or a file of them; per_pattern=1 counts every line it selects. */
static int desc_grep_check(struct desc_parser *p)
{
	const struct desc_val *v = p->d.val;

	if (p->have[DESC_KEY_PATTERN] && p->have[DESC_KEY_PATTERNS])
		return desc_fail(p, &p->seen[DESC_KEY_PATTERNS],
				 "patterns= and pattern= exclude each other (give one: pattern= "
				 "for one ERE, patterns= for a file of them)");
	if (!p->have[DESC_KEY_PATTERN] && !p->have[DESC_KEY_PATTERNS])
		return desc_fail(p, NULL,
				 "missing pattern= or patterns= (op=%s needs one, e.g. "
				 "pattern=\"ERR(OR)?\" or patterns=/abs/list)",
				 p->d.op->name);
	if (v[DESC_KEY_PER_PATTERN].num && v[DESC_KEY_INVERT].num)
		return desc_fail(p, &p->seen[DESC_KEY_INVERT],
				 "per_pattern=1 counts the lines each pattern selects; invert=1 "
				 "selects lines no pattern matches (drop one of them)");
	if (v[DESC_KEY_PER_PATTERN].num && v[DESC_KEY_MAX].num)
		return desc_fail(p, &p->seen[DESC_KEY_MAX],
				 "per_pattern=1 counts every line (drop max=)");
	return 0;
}

/*
 * One row per op of abi/vyre_ops.h, by construction: sized by the op
 * table, so an op no row names (nop, histogram) takes no key of its own,
 * and a row for an op the table lacks does not compile.
 */
#define DESC_KEYS(a) .keys = a, .nkeys = sizeof(a) / sizeof(a[0])
static const struct desc_op desc_ops[VYRE_OPS_COUNT] = {
    [VYRE_OPI_COUNT] = {DESC_KEYS(count_keys)},
    [VYRE_OPI_MATCH] = {DESC_KEYS(match_keys), .check = desc_match_check},
    [VYRE_OPI_GREP] = {DESC_KEYS(grep_keys), .check = desc_grep_check},
};

const struct desc_op *desc_op_of(const struct pump_op *op)
{
	for (size_t i = 0; i < pump_ops_count; i++)
		if (pump_ops[i] == op)
			return &desc_ops[i];
	return &desc_ops[VYRE_OPI_NOP]; /* no op: no keys (nop has none) */
}

static const struct desc_op_key *desc_op_key(const struct desc_op *o, enum desc_key_id k)
{
	for (size_t i = 0; i < o->nkeys; i++)
		if (o->keys[i].key == k)
			return &o->keys[i];
	return NULL;
}

/* Appends word to buf (DESC_LIST_LEN), blank-separated; stops when full. */
static void desc_list_add(char buf[DESC_LIST_LEN], size_t *o, const char *word, const char *end)
{
	int n = snprintf(buf + *o, DESC_LIST_LEN - *o, "%s%s%s", *o ? " " : "", word, end);

	if (n > 0 && (size_t)n < DESC_LIST_LEN - *o)
		*o += (size_t)n;
}

/* "match grep": the ops that take key k. */
static const char *desc_key_ops(enum desc_key_id k, char buf[DESC_LIST_LEN])
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < pump_ops_count; i++)
		if (desc_op_key(&desc_ops[i], k))
			desc_list_add(buf, &o, pump_ops[i]->name, "");
	return buf;
}

/* "takes byte=", "takes no key of its own": what op= would take instead. */
static const char *desc_op_keys(const struct desc_op *o, char buf[DESC_LIST_LEN])
{
	size_t n = 0;

	buf[0] = '\0';
	if (!o->nkeys)
		return "takes no key of its own";
	desc_list_add(buf, &n, "takes", "");
	for (size_t i = 0; i < o->nkeys; i++)
		desc_list_add(buf, &n, desc_keys[o->keys[i].key].name, "=");
	return buf;
}

/* Every op key given belongs to op=; then the op's own check. */
int desc_op_check(struct desc_parser *p)
{
	const struct desc_op *o = desc_op_of(p->d.op);
	char ops[DESC_LIST_LEN], keys[DESC_LIST_LEN];

	for (int k = 0; k < DESC_KEY_COUNT; k++) {
		const char *name = desc_keys[k].name;

		if (!p->have[k] || desc_keys[k].kind == DESC_COMMON || desc_op_key(o, k))
			continue;
		return desc_fail(p, &p->seen[k], "op=%s takes no %s= (%s= is for: %s); op=%s %s",
				 p->d.op->name, name, name, desc_key_ops(k, ops), p->d.op->name,
				 desc_op_keys(o, keys));
	}
	return o->check ? o->check(p) : 0;
}

void desc_args(const struct desc *d, union pump_op_args *a)
{
	const struct desc_op *o = desc_op_of(d->op);

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < o->nkeys; i++) {
		const struct desc_op_key *k = &o->keys[i];
		const struct desc_val *v = &d->val[k->key];
		char *at = (char *)a + k->arg;
		uint64_t num = v->given ? v->num : k->def;
		uint32_t w;

		switch (k->kind) {
		case DESC_FLAG:
			memcpy(&w, at, sizeof(w));
			w |= num ? k->bit : 0;
			memcpy(at, &w, sizeof(w));
			break;
		case DESC_COUNT:
			memcpy(at, &num, sizeof(num));
			break;
		case DESC_BYTE:
			w = (uint32_t)num;
			memcpy(at, &w, sizeof(w));
			break;
		case DESC_TEXT:
			if (v->given) {
				const uint8_t *t = (const uint8_t *)d->text + v->off;

				w = v->len < k->max ? v->len : k->max;
				memcpy(at, &t, sizeof(t));
				memcpy((char *)a + k->arg_len, &w, sizeof(w));
			}
			break;
		case DESC_PATH:
			if (v->given) {
				const char *t = d->text + v->off;

				memcpy(at, &t, sizeof(t));
			}
			break;
		case DESC_COMMON:
			break;
		}
	}
}
