// SPDX-License-Identifier: MIT
/*
 * test_grep_pset - a literal pattern set's Aho-Corasick tables as the GPU
 * reads them (VYRE_PSET_* words, pump/ops/grep_pset.c): walked word by
 * word as shaders/ops/grep.glsl is to walk them, one state a byte, each
 * accept set's chain once per line, and the count of lines per pattern
 * checked against LC_ALL=C grep -c -a -F -e P (and -i) for each pattern,
 * on real files: sets with duplicates, prefixes of each other, the empty
 * pattern, a pattern of several '\n' pieces, overlapping matches on one
 * line. Also: a table out of range is refused (-EINVAL) before it can
 * reach the shader. Inputs: /usr/share/common-licenses, /var/log/dpkg.log,
 * the C headers; none readable: skip (77).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "regex.h"
#include "vyre_abi.h"
#include "ops/grep_pset.h"
#include "pump.h"

struct text {
	const char *path;
	uint8_t *p;
	size_t n;
};

static bool text_load(struct text *t, const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16;

	t->path = path;
	t->n = 0;
	if (!f)
		return false;
	t->p = malloc(cap);
	CHECK(t->p, "malloc");
	for (size_t r; (r = fread(t->p + t->n, 1, cap - t->n, f)) > 0;) {
		t->n += r;
		if (t->n == cap) {
			cap *= 2;
			t->p = realloc(t->p, cap);
			CHECK(t->p, "realloc");
		}
	}
	fclose(f);
	return t->n > 0;
}

/* LC_ALL=C grep -c -a -F [-i] -e pat path */
static uint64_t grep_count(const char *path, const char *pat, bool icase)
{
	char *envp[] = {"LC_ALL=C", "PATH=/usr/bin:/bin", NULL};
	char *argv[] = {"grep", "-c",	     "-a", "-F",	 icase ? "-i" : "-F",
			"-e",	(char *)pat, "--", (char *)path, NULL};
	posix_spawn_file_actions_t fa;
	char buf[64];
	size_t n = 0;
	int pfd[2], status;
	pid_t pid;

	CHECK(pipe(pfd) == 0, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	CHECK(posix_spawnp(&pid, "grep", &fa, NULL, argv, envp) == 0, "spawn grep");
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	for (ssize_t r;
	     n < sizeof(buf) - 1 && (r = read(pfd[0], buf + n, sizeof(buf) - 1 - n)) > 0;)
		n += (size_t)r;
	buf[n] = 0;
	close(pfd[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) <= 1,
	      "grep -c -F -e '%s' %s", pat, path);
	return strtoull(buf, NULL, 10);
}

/* LC_ALL=C grep -c -a -F [-i] -f pats path: the lines any pattern selects */
static uint64_t grep_count_f(const char *path, const char *pats, bool icase)
{
	char cmd[512];
	unsigned long long n = ~0ull;

	snprintf(cmd, sizeof(cmd), "LC_ALL=C grep -c -a -F %s -f '%s' -- '%s'", icase ? "-i" : "",
		 pats, path);
	FILE *f = popen(cmd, "r");
	CHECK(f, "popen");
	CHECK(fscanf(f, "%llu", &n) == 1, "%s", cmd);
	CHECK(pclose(f) != -1, "pclose");
	return n;
}

static char tmpdir[] = "/tmp/test_grep_pset_XXXXXX";
static char patfile[sizeof(tmpdir) + 16], catfile[sizeof(tmpdir) + 16];

static void rm_tmpdir(void)
{
	unlink(patfile);
	unlink(catfile);
	rmdir(tmpdir);
}

/* ---- the walk over the laid-out words, as the shader's ---- */

static uint32_t pset_class(const uint32_t *w, uint8_t b)
{
	return (w[VYRE_PSET_CLASSES + b / 4] >> (b % 4 * 8)) & 0xFF;
}

static uint32_t pset_label(const uint32_t *w, uint32_t s)
{
	return (w[w[VYRE_PSET_LABEL] + s / 4] >> (s % 4 * 8)) & 0xFF;
}

static uint32_t pset_next(const uint32_t *w, uint32_t s, uint32_t c)
{
	for (;;) {
		if (s < w[VYRE_PSET_NDENSE])
			return w[w[VYRE_PSET_DENSE] + s * w[VYRE_PSET_NCLASSES] + c];
		uint32_t lo = w[w[VYRE_PSET_CHILD] + s], hi = w[w[VYRE_PSET_CHILD] + s + 1];
		while (lo < hi) { /* the first child labelled >= c */
			uint32_t mid = lo + (hi - lo) / 2;
			if (pset_label(w, mid) < c)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < w[w[VYRE_PSET_CHILD] + s + 1] && pset_label(w, lo) == c)
			return lo;
		s = w[w[VYRE_PSET_FAIL] + s];
	}
}

/*
 * The patterns of set k and its parents, each counted once on line l.
 * setseen/seen are per set/pattern stamps (l + 1); the shader keeps a
 * short per-lane list of sets walked instead, and the host's fold counts
 * a (line, pattern) record once.
 */
static bool pset_set(const uint32_t *w, uint32_t k, uint32_t l, uint32_t *setseen, uint32_t *seen,
		     uint64_t *count)
{
	bool any = k && w[w[VYRE_PSET_FIRST] + k] != VYRE_PSET_NONE;

	for (; k != VYRE_PSET_NONE && k; k = w[w[VYRE_PSET_PARENT] + k]) {
		if (setseen[k] == l + 1)
			break; /* it and its parents are counted on this line */
		setseen[k] = l + 1;
		for (uint32_t i = w[w[VYRE_PSET_SETOFF] + k]; i < w[w[VYRE_PSET_SETOFF] + k + 1];
		     i++) {
			uint32_t id = w[w[VYRE_PSET_IDS] + i];
			if (seen[id] != l + 1) {
				seen[id] = l + 1;
				count[id]++;
			}
		}
	}
	return any;
}

/* Counts each pattern's lines in count[]; returns the lines any pattern selects. */
static uint64_t pset_walk(const uint32_t *w, const struct text *t, uint64_t *count)
{
	uint64_t lines = 0;
	bool sel = false;
	uint32_t *setseen = calloc(w[VYRE_PSET_NSETS], 4);
	uint32_t *seen = calloc(w[VYRE_PSET_NPATTERNS], 4);
	uint32_t l = 0, s = 0;
	bool open = false;

	CHECK(setseen && seen, "calloc");
	for (size_t i = 0; i < t->n; i++) {
		if (!open) {
			s = 0;
			sel = pset_set(w, w[w[VYRE_PSET_ACC]], l, setseen, seen, count);
			open = true;
		}
		if (t->p[i] == '\n') {
			lines += sel;
			open = false;
			l++;
			continue;
		}
		s = pset_next(w, s, pset_class(w, t->p[i]));
		sel |= pset_set(w, w[w[VYRE_PSET_ACC] + s], l, setseen, seen, count);
	}
	lines += open && sel; /* a last line without '\n' */
	free(setseen);
	free(seen);
	return lines;
}

/* ---- sets ---- */

static uint32_t layout(const struct regex_prog *p, uint32_t **w)
{
	const struct regex_ac *a = &p->ac;
	struct pump_ac in = {
	    .npatterns = p->npatterns,
	    .nstates = a->nstates,
	    .nclasses = a->nclasses,
	    .ndense = a->ndense,
	    .classes = a->classes,
	    .dense = a->dense,
	    .child = a->child,
	    .label = a->label,
	    .fail = a->fail,
	    .acc = a->acc,
	    .nsets = p->sets.n,
	    .setoff = p->sets.off,
	    .ids = p->sets.ids,
	    .parent = p->sets.parent,
	    .first = p->sets.first,
	};
	uint32_t n = 0;
	int ret = grep_pset_layout(&in, w, &n);

	CHECK(ret == 0, "grep_pset_layout: %d", ret);
	CHECK(n >= VYRE_PSET_HDR_WORDS && (*w)[VYRE_PSET_ENGINE] == VYRE_ENGINE_AHO, "header");
	/* a broken table is refused: a failure link that is not shallower */
	if (a->nstates > 2) {
		uint32_t *fail = malloc(a->nstates * 4), *bad;
		CHECK(fail, "malloc");
		memcpy(fail, a->fail, a->nstates * 4);
		fail[a->nstates - 1] = a->nstates - 1;
		in.fail = fail;
		CHECK(grep_pset_layout(&in, &bad, &n) == -EINVAL, "a bad failure link is refused");
		free(fail);
	}
	return n;
}

static unsigned checked;

/*
 * Every stride-th pattern's count against grep -c -F -e (every pattern at
 * stride 1), and the lines any pattern selects against grep -c -F -f.
 */
static void check_set(const char *name, const char *const *pats, size_t n, size_t stride,
		      bool icase, const struct text *texts, size_t ntexts)
{
	struct regex_prog_opts o = {.fixed = true, .icase = icase, .per_pattern = true};
	struct regex_prog p = {0};
	size_t *lens = calloc(n, sizeof(*lens));
	uint64_t *count = calloc(n, sizeof(*count));
	char err[256];
	uint32_t *w = NULL;

	CHECK(lens && count, "calloc");
	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(pats[i]);
	CHECK(regex_compile_prog(pats, lens, n, &o, &p, err, sizeof(err)) == 0, "%s: %s", name,
	      err);
	CHECK(p.engine == REGEX_ENGINE_AC, "%s: engine %s", name, regex_engine_name(p.engine));
	uint32_t words = layout(&p, &w);
	FILE *pf = fopen(patfile, "w");
	CHECK(pf, "%s", patfile);
	for (size_t i = 0; i < n; i++)
		fprintf(pf, "%s\n", pats[i]);
	CHECK(fclose(pf) == 0, "fclose");
	for (size_t f = 0; f < ntexts; f++) {
		memset(count, 0, n * sizeof(*count));
		uint64_t any = pset_walk(w, &texts[f], count), want_any;
		want_any = grep_count_f(texts[f].path, patfile, icase);
		CHECK(any == want_any, "%s: %s: %llu lines selected by the set, grep -c -f %llu",
		      name, texts[f].path, (unsigned long long)any, (unsigned long long)want_any);
		for (size_t i = 0; i < n; i += stride) {
			uint64_t want = grep_count(texts[f].path, pats[i], icase);
			CHECK(count[i] == want,
			      "%s%s: %s: pattern %zu '%s': %llu lines, grep -c %llu", name,
			      icase ? " (icase)" : "", texts[f].path, i, pats[i],
			      (unsigned long long)count[i], (unsigned long long)want);
			checked++;
		}
	}
	printf("%s%s: %zu patterns, %u states (%u dense), %u sets, %u words\n", name,
	       icase ? " (icase)" : "", n, p.ac.nstates, p.ac.ndense, p.sets.n, words);
	free(w);
	regex_prog_free(&p);
	free(lens);
	free(count);
}

static const char *const inputs[] = {
    "/usr/share/common-licenses/GPL-3",
    "/usr/share/common-licenses/Apache-2.0",
    "/var/log/dpkg.log",
    "/usr/include/stdio.h",
    "/usr/include/stdlib.h",
};

/* duplicates, prefixes of each other, overlapping on one line, the empty pattern */
static const char *const mix[] = {
    "the",
    "the",
    "th",
    "he",
    "e",
    "License",
    "license",
    "License,",
    "icense",
    "GNU",
    "GNU General Public License",
    "eral",
    "General",
    "",
    "status",
    "install",
    "installed",
    "int",
    "interface",
    "#define",
    "define",
    "extern",
    "ext",
    "half-installed",
    "aa",
    "aaa",
    "\t",
    " ",
    "0",
    "00",
    "2026",
    "copy\nCopy",
    "Z",
    "(",
    "()",
    "*/",
    "/*",
};

/*
 * Up to max distinct identifiers of 4 bytes or more from t, in order of
 * appearance: a set large enough that most of its states are sparse.
 */
static size_t idents(const struct text *t, char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n && n < max;) {
		size_t j = i;
		while (j < t->n && (t->p[j] == '_' || (unsigned)((t->p[j] | 32) - 'a') < 26u ||
				    (j > i && (unsigned)(t->p[j] - '0') < 10u)))
			j++;
		if (j - i >= 4 && j - i < 64) {
			char *s = strndup((const char *)t->p + i, j - i);
			bool dup = false;
			CHECK(s, "strndup");
			for (size_t k = n; k-- > 0 && !dup && k + 4096 > n;)
				dup = !strcmp(out[k], s);
			if (dup)
				free(s);
			else
				out[n++] = s;
		}
		i = j > i ? j : i + 1;
	}
	return n;
}

int main(void)
{
	struct text texts[sizeof(inputs) / sizeof(inputs[0]) + 1];
	size_t nt = 0;

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		if (text_load(&texts[nt], inputs[i]))
			nt++;
	if (!nt) {
		printf("skip: no input readable\n");
		return T_EXIT_SKIP;
	}
	CHECK(mkdtemp(tmpdir), "mkdtemp");
	snprintf(patfile, sizeof(patfile), "%s/pats", tmpdir);
	snprintf(catfile, sizeof(catfile), "%s/headers", tmpdir);
	atexit(rm_tmpdir);
	check_on_fail(rm_tmpdir);
	check_set("mix", mix, sizeof(mix) / sizeof(mix[0]), 1, false, texts, nt);
	check_set("mix", mix, sizeof(mix) / sizeof(mix[0]), 1, true, texts, nt);

	/* 20,000 identifiers from the C headers over the headers: sparse states */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "cat /usr/include/*.h > '%s' 2>/dev/null", catfile);
	if (system(cmd) == 0 && text_load(&texts[nt], catfile)) {
		static char *ids[20000];
		size_t n = idents(&texts[nt], ids, 20000);
		check_set("identifiers", (const char *const *)ids, n, 97, false, &texts[nt], 1);
		for (size_t i = 0; i < n; i++)
			free(ids[i]);
		free(texts[nt].p);
	}
	printf("ok: %u (file, pattern) counts equal grep -c -F's\n", checked);
	for (size_t i = 0; i < nt; i++)
		free(texts[i].p);
	return 0;
}
