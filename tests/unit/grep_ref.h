/* SPDX-License-Identifier: MIT */
/*
 * grep_ref.h - GNU grep, the regex tests' reference: its input files
 * written, and LC_ALL=C grep run with its output read back
 * (test_regex_compile.c, regex_diff.c, test_regex_sets.c).
 */
#ifndef VYRE_TEST_GREP_REF_H
#define VYRE_TEST_GREP_REF_H

#include <stddef.h>

/* grep's output, growing: p[0..n), NUL-terminated; the caller frees p */
struct gout {
	char *p;
	size_t n, cap;
};

/* Runs LC_ALL=C grep with argv[1..] (argv[0] is "grep"); returns its exit status. */
int grep_ref_run(char *const argv[], struct gout *o);

/* path holds p[0..n) (a text, a pattern file), or the test fails */
void grep_ref_write(const char *path, const void *p, size_t n);

#endif
