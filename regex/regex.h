/* SPDX-License-Identifier: MIT */
/*
 * regex.h - compile grep patterns into one minimized line DFA over byte
 * classes, for op=grep. The only header other folders include from here.
 *
 * Semantics are those of `LC_ALL=C grep -a -E` (or -F with opts.fixed) line
 * selection. Where GNU grep's two engines (dfa.c matches, glibc's regcomp
 * only checks syntax) disagree, we take dfa.c's meaning and either one's
 * refusal. Deliberate differences, all refusals of what grep accepts:
 *  - an unmatched ')' (grep takes it as a literal): escape it as \).
 *  - back-references \1..\9 and \b \B \< \> \` \' : a DFA has no memory
 *    and these need context we do not track.
 *  - a trailing '\' in the last of several patterns (grep 3.8 refuses it
 *    in any other pattern, and alone, but there takes it as a literal '\').
 *  - a dup operator with nothing to repeat before a ')', as in "(*)" and
 *    "(^+)": grep refuses those too, but takes "(*)x)" with a literal ')'.
 * A leading repetition operator ("*a", "a|+b", "{2}x") repeats the empty
 * string, as in grep: "*a" matches what "a" matches.
 */
#ifndef VYRE_REGEX_H
#define VYRE_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGEX_STATES_MAX   65536u      /* hard cap on DFA states */
#define REGEX_TABLE_MAX	   (16u << 20) /* cap on the table bytes: nstates * nclasses * 4 */
#define REGEX_PATTERNS_MAX 10000u
#define REGEX_DUP_MAX	   32767u /* largest {m,n} count, as glibc's RE_DUP_MAX */

struct regex_opts {
	bool fixed; /* patterns are literals (grep -F) */
	bool icase; /* ASCII case-insensitive (grep -i) */
};

/*
 * A line DFA. Every line starts in `start`. Feed the line's bytes (never the
 * '\n'): s = next[s * nclasses + classes[byte]]. At the end of the line
 * (its '\n', or the end of the data for a last line without one) the line
 * matches iff accept[s]. '\n' has a class of its own; next[s][class('\n')]
 * is `start` for every s (a GPU may simply apply it). sink[s] is 1 when every
 * byte other than '\n' leaves s unchanged (the line already matched for
 * sure, or can no longer match): a scanner may skip to the next newline.
 * State 0 is `start`.
 *
 * regex_compile allocates next, accept and sink (malloc); regex_dfa_free
 * frees them and zeroes the struct. Nothing else is shared or locked: the
 * struct is plain host memory the caller copies to the GPU.
 */
struct regex_dfa {
	uint32_t nstates;
	uint32_t nclasses; /* 1..256 */
	uint32_t start;	   /* 0 */
	uint8_t classes[256];
	uint32_t *next;	 /* nstates * nclasses */
	uint8_t *accept; /* nstates */
	uint8_t *sink;	 /* nstates */
};

/*
 * Compiles n patterns (pattern i is pats[i], lens[i] bytes, may contain any
 * byte but '\n'), combined as alternatives (grep -e p1 -e p2 / -f FILE).
 * A '\n' inside a pattern separates two patterns, as in grep. n == 0 gives
 * a DFA that matches no line (grep -f /dev/null).
 * Returns 0, -EINVAL (syntax error: err names the pattern number when n > 1,
 * the byte position, what is wrong and the fix, e.g.
 * "pattern 3 at 5: unbalanced ')' (escape it as \\) or add a '('"),
 * -E2BIG (over REGEX_STATES_MAX or REGEX_TABLE_MAX, more than
 * REGEX_PATTERNS_MAX patterns, or an NFA or nesting too large to build:
 * err says so, names the repetition that multiplied the NFA past its cap,
 * and suggests a simpler pattern or fewer patterns), -ETIMEDOUT (the
 * compile would take more than its budget of steps, counted the same on
 * every machine, about 0.3 s: err says so and suggests a simpler pattern),
 * or -ENOMEM. Every input, however built, returns within that budget.
 * err never ends with '\n'. The caps apply while the DFA is
 * built, before minimization: (a|b)*a(a|b){20} is refused although its
 * minimal DFA is small, since determinizing it needs 2^20 subsets first.
 * Pattern numbers and byte positions count from 1. On failure *out is
 * zeroed.
 */
int regex_compile(const char *const *pats, const size_t *lens, size_t n,
		  const struct regex_opts *opts, struct regex_dfa *out, char *err, size_t errlen);
/*
 * regex_compile's syntax checks alone (its -EINVAL and the pattern count's
 * -E2BIG, with the same messages), in time linear in the patterns' bytes:
 * what a caller must refuse at once before compiling elsewhere.
 */
int regex_check(const char *const *pats, const size_t *lens, size_t n,
		const struct regex_opts *opts, char *err, size_t errlen);
void regex_dfa_free(struct regex_dfa *dfa);

#endif
