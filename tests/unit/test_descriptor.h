/* SPDX-License-Identifier: MIT */
/*
 * test_descriptor.h - what test_descriptor.c and test_descriptor_rt.c
 * share: the failure count and report, two ways to build and compare
 * descs by hand, and the second file's checks.
 */
#ifndef VYRE_TEST_DESCRIPTOR_H
#define VYRE_TEST_DESCRIPTOR_H

#include <stddef.h>
#include <stdint.h>

#include "desc_priv.h" /* white-box: the op key table, to build and compare descs */

#define TO_EOF UINT64_MAX
#define ERRLEN 256

extern int failures;

/* One failing case: the line (escaped) and fmt with a and b. */
void fail(const char *line, size_t len, const char *fmt, const char *a, const char *b);
/* A text key's value into a hand-built desc, as desc_parse stores one. */
void set_text(struct desc *d, enum desc_key_id k, const void *s, size_t n);
/* The first of the op's own keys whose values differ in a and b, or NULL. */
const char *op_keys_diff(const struct desc *a, const struct desc *b);

void test_round_trips(int count);
void test_trace_keys(void);
void test_grep_keys(void);
void test_op_table(void);

#endif
