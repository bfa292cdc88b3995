// SPDX-License-Identifier: MIT
/*
 * hs_grep - counts matching lines, as LC_ALL=C grep -a -c -E does, with
 * Intel's Hyperscan on every core: the CPU peer tools/bench sets beside
 * vyrefs's op=grep. Not a grep: it counts, and its patterns are Hyperscan's
 * (PCRE-like; for the ERE subset tools/bench uses, the same lines).
 *
 *   hs_grep [-F] [-i] [-v] [-T] [-t THREADS] (-e PATTERN | -f FILE)... FILE
 *
 * The file is mmapped and split at newlines into one stretch per thread.
 * Each thread scans its stretch whole (block mode, ^ and $ at newlines) and
 * takes each reported match end to its line; since a match may run across
 * a newline (a negated class or [[:space:]] matches one) the line is then
 * scanned alone to confirm. Lines are confirmed in order, each once: a
 * dense pattern costs one short scan per matching line and a cheap
 * callback per further match on it.
 *
 * Prints the count; -T prints the scan rate to stderr. Exit status as
 * grep -c's: 0 a line matched, 1 none, 2 an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <hs/hs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HSG_THREADS_MAX 1024
#define HSG_BLOCK_MAX	(256u << 20) /* hs_scan takes an unsigned length: scan in blocks */

/* The patterns, compiled twice; read-only once built, shared by every thread. */
struct hsg_db {
	hs_database_t *stretch; /* HS_FLAG_MULTILINE: many lines at once, every match end */
	hs_database_t *line;	/* HS_FLAG_SINGLEMATCH: one line, is there a match */
	hs_scratch_t *proto;	/* cloned once per thread */
	bool exact; /* literals (-F): a match never holds a newline, so needs no confirming */
	bool all;   /* an empty pattern: every line matches */
	bool none;  /* no pattern at all (-f an empty file): no line matches */
};

/* One thread's stretch [begin, end) of the mapped file; the thread owns its scratch. */
struct hsg_part {
	const struct hsg_db *db;
	const char *begin, *end;
	hs_scratch_t *scratch; /* the stretch scan's */
	hs_scratch_t *confirm; /* the line scans', run inside the stretch scan's callback */
	uint64_t matched;      /* lines with a match */
	uint64_t lines;	       /* all lines */
	int err;	       /* 0, or a hs_error_t */
};

/* State of one hs_scan of a stretch block, for the match callback. */
struct hsg_scan {
	struct hsg_part *p;
	const char *base;    /* the block scanned */
	const char *settled; /* lines before it are confirmed and counted */
	int err;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_line_match(unsigned id, unsigned long long from, unsigned long long to,
			 unsigned flags, void *ctx)
{
	(void)id, (void)from, (void)to, (void)flags;
	*(bool *)ctx = true;
	return 1;
}

/* Does line [s, e), without its newline, match? */
static int line_matches(struct hsg_part *p, const char *s, const char *e, bool *m)
{
	hs_error_t r;

	*m = false;
	r = hs_scan(p->db->line, s, (unsigned)(e - s), 0, p->confirm, on_line_match, m);
	return r == HS_SUCCESS || r == HS_SCAN_TERMINATED ? 0 : r;
}

/* Confirms the line that starts at s (after sc->settled), counts it, settles it. */
static void line_settle(struct hsg_scan *sc, const char *s)
{
	const char *hi = sc->p->end, *e = memchr(s, '\n', (size_t)(hi - s));
	bool m;

	if (!e)
		e = hi;
	if (sc->p->db->exact)
		m = true;
	else if (!sc->err)
		sc->err = line_matches(sc->p, s, e, &m);
	if (!sc->err && m)
		sc->p->matched++;
	sc->settled = e < hi ? e + 1 : hi;
}

/*
 * A match ends at base + to, so its last byte base[to - 1] lies on the line
 * to confirm; when that byte is a newline, the match may instead be a
 * zero-width one at the next line's start (^, ^$), so that line is
 * confirmed too. Hyperscan reports matches in order of their end, so the
 * lines confirmed so far are a prefix: a match ending there costs nothing.
 */
static int on_stretch_match(unsigned id, unsigned long long from, unsigned long long to,
			    unsigned flags, void *ctx)
{
	struct hsg_scan *sc = ctx;
	const char *at = sc->base + (to ? to - 1 : 0), *s = at;

	(void)id, (void)from, (void)flags;
	if (at >= sc->settled) {
		while (s > sc->settled && s[-1] != '\n')
			s--;
		line_settle(sc, s);
	}
	if (to && *at == '\n' && sc->base + to < sc->p->end && sc->base + to >= sc->settled)
		line_settle(sc, sc->base + to);
	return sc->err ? 1 : 0;
}

static uint64_t lines_count(const char *s, const char *e)
{
	uint64_t n = 0;

	for (const char *q = s; q < e && (q = memchr(q, '\n', (size_t)(e - q))); q++)
		n++;
	return n + (e > s && e[-1] != '\n');
}

/* The end of a block of at most HSG_BLOCK_MAX bytes from s, after a newline if there is one. */
static const char *block_end(const char *s, const char *e)
{
	const char *b;

	if ((size_t)(e - s) <= HSG_BLOCK_MAX)
		return e;
	b = memrchr(s, '\n', HSG_BLOCK_MAX);
	return b ? b + 1 : s + HSG_BLOCK_MAX;
}

static void *part_run(void *arg)
{
	struct hsg_part *p = arg;
	const char *s = p->begin;

	p->lines = lines_count(p->begin, p->end);
	if (p->db->all || p->db->none) {
		p->matched = p->db->all ? p->lines : 0;
		return NULL;
	}
	while (s < p->end && !p->err) {
		const char *be = block_end(s, p->end);
		struct hsg_scan sc = {.p = p, .base = s, .settled = s};
		hs_error_t r = hs_scan(p->db->stretch, s, (unsigned)(be - s), 0, p->scratch,
				       on_stretch_match, &sc);

		if (sc.err)
			p->err = sc.err;
		else if (r != HS_SUCCESS)
			p->err = r;
		/* a line past the block's end was confirmed whole: go on after it */
		s = sc.settled > be ? sc.settled : be;
	}
	return NULL;
}

/* ---- patterns ------------------------------------------------------------- */

struct hsg_pats {
	char **v;
	size_t n, cap;
	bool fixed, icase;
};

static int pats_add(struct hsg_pats *ps, const char *s, size_t n)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 16;
		char **v = realloc(ps->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ps->v = v;
		ps->cap = cap;
	}
	ps->v[ps->n] = strndup(s, n);
	return ps->v[ps->n++] ? 0 : -ENOMEM;
}

/* A pattern with newlines is several, as grep takes it. */
static int pats_add_lines(struct hsg_pats *ps, const char *s, size_t n, bool final_nl_ends)
{
	int ret = 0;

	while (!ret) {
		const char *nl = memchr(s, '\n', n);

		if (!nl)
			return n || !final_nl_ends ? pats_add(ps, s, n) : 0;
		ret = pats_add(ps, s, (size_t)(nl - s));
		n -= (size_t)(nl - s) + 1;
		s = nl + 1;
		if (!n && final_nl_ends)
			break;
	}
	return ret;
}

static int pats_read_file(struct hsg_pats *ps, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0;
	int ret;

	if (!f)
		return -errno;
	{
		char chunk[65536];
		size_t k;
		char *d;

		while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0) {
			d = realloc(data, len + k);
			if (!d) {
				free(data);
				fclose(f);
				return -ENOMEM;
			}
			data = d;
			memcpy(data + len, chunk, k);
			len += k;
		}
	}
	ret = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!ret && len)
		ret = pats_add_lines(ps, data, len, true);
	free(data);
	return ret;
}

static void compile_error(hs_compile_error_t *ce, const struct hsg_pats *ps)
{
	if (ce->expression >= 0 && (size_t)ce->expression < ps->n)
		fprintf(stderr, "hs_grep: pattern %d \"%s\": %s\n", ce->expression + 1,
			ps->v[ce->expression], ce->message);
	else
		fprintf(stderr, "hs_grep: %s\n", ce->message);
	hs_free_compile_error(ce);
}

static int db_compile(struct hsg_db *db, const struct hsg_pats *ps, unsigned extra,
		      hs_database_t **out)
{
	unsigned *flags = calloc(ps->n, sizeof(*flags)), *ids = calloc(ps->n, sizeof(*ids));
	size_t *lens = calloc(ps->n, sizeof(*lens));
	hs_compile_error_t *ce = NULL;
	hs_error_t r;

	(void)db;
	if (!flags || !ids || !lens) {
		free(flags), free(ids), free(lens);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ps->n; i++) {
		flags[i] = extra | (ps->icase ? HS_FLAG_CASELESS : 0);
		ids[i] = (unsigned)i;
		lens[i] = strlen(ps->v[i]);
		if (!ps->fixed)
			flags[i] |= HS_FLAG_ALLOWEMPTY;
	}
	if (ps->fixed)
		r = hs_compile_lit_multi((const char *const *)ps->v, flags, ids, lens,
					 (unsigned)ps->n, HS_MODE_BLOCK, NULL, out, &ce);
	else
		r = hs_compile_multi((const char *const *)ps->v, flags, ids, (unsigned)ps->n,
				     HS_MODE_BLOCK, NULL, out, &ce);
	free(flags), free(ids), free(lens);
	if (r != HS_SUCCESS) {
		if (ce)
			compile_error(ce, ps);
		return -EINVAL;
	}
	return 0;
}

static int db_build(struct hsg_db *db, const struct hsg_pats *ps)
{
	int ret;

	if (!ps->n) {
		db->none = true;
		return 0;
	}
	for (size_t i = 0; i < ps->n; i++)
		if (!ps->v[i][0])
			db->all =
			    true; /* hyperscan refuses an empty literal; it matches every line */
	if (db->all)
		return 0;
	db->exact = ps->fixed;
	/* HS_FLAG_MULTILINE means nothing to a literal; it matters to ^ and $ */
	ret = db_compile(db, ps, ps->fixed ? 0 : HS_FLAG_MULTILINE, &db->stretch);
	if (!ret)
		ret = db_compile(db, ps, HS_FLAG_SINGLEMATCH, &db->line);
	if (!ret && (hs_alloc_scratch(db->stretch, &db->proto) != HS_SUCCESS ||
		     hs_alloc_scratch(db->line, &db->proto) != HS_SUCCESS)) {
		fprintf(stderr, "hs_grep: hs_alloc_scratch failed\n");
		ret = -ENOMEM;
	}
	return ret;
}

static void db_free(struct hsg_db *db)
{
	hs_free_scratch(db->proto);
	hs_free_database(db->stretch);
	hs_free_database(db->line);
	*db = (struct hsg_db){0};
}

/* ---- the command ---------------------------------------------------------- */

static int usage(void)
{
	fputs("usage: hs_grep [-F] [-i] [-v] [-T] [-t THREADS] (-e PATTERN | -f FILE)... FILE\n"
	      "Counts FILE's lines that match any PATTERN (as grep -c -E; -F literal, -i ASCII\n"
	      "case-insensitive, -v the lines that do not), with Hyperscan on THREADS threads\n"
	      "(default: every core). -T prints the scan rate to stderr.\n",
	      stderr);
	return 2;
}

/* Splits [base, base + size) at newlines into n stretches and counts them on n threads. */
static int count_lines(const struct hsg_db *db, const char *base, size_t size, int n,
		       uint64_t *matched, uint64_t *lines)
{
	struct hsg_part *parts = calloc((size_t)n, sizeof(*parts));
	pthread_t *tid = calloc((size_t)n, sizeof(*tid));
	const char *s = base, *end = base + size;
	int ret = 0, started = 0;

	if (!parts || !tid) {
		free(parts), free(tid);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		const char *e = i == n - 1 ? end : base + size / (size_t)n * (size_t)(i + 1);

		if (e < s)
			e = s;
		if (e < end && e > base) {
			const char *nl = memchr(e - 1, '\n', (size_t)(end - (e - 1)));

			e = nl ? nl + 1 : end;
		}
		parts[i] = (struct hsg_part){.db = db, .begin = s, .end = e};
		if (!db->all && !db->none &&
		    (hs_clone_scratch(db->proto, &parts[i].scratch) != HS_SUCCESS ||
		     hs_clone_scratch(db->proto, &parts[i].confirm) != HS_SUCCESS)) {
			ret = -ENOMEM;
			break;
		}
		s = e;
	}
	for (int i = 0; i < n && !ret; i++, started++)
		if (pthread_create(&tid[i], NULL, part_run, &parts[i]))
			ret = -EAGAIN;
	*matched = *lines = 0;
	for (int i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		*matched += parts[i].matched;
		*lines += parts[i].lines;
		if (parts[i].err && !ret) {
			fprintf(stderr, "hs_grep: hs_scan failed (%d)\n", parts[i].err);
			ret = -EIO;
		}
	}
	for (int i = 0; i < n; i++) {
		hs_free_scratch(parts[i].scratch);
		hs_free_scratch(parts[i].confirm);
	}
	free(parts), free(tid);
	return ret;
}

int main(int argc, char *argv[])
{
	struct hsg_pats ps = {0};
	struct hsg_db db = {0};
	long threads = sysconf(_SC_NPROCESSORS_ONLN);
	bool invert = false, rate = false, have = false;
	uint64_t matched = 0, lines = 0;
	const char *base = NULL;
	int opt, fd, ret = 0, status = 2;
	double t0, t1;
	struct stat st;
	char *end;

	while ((opt = getopt(argc, argv, "Fivt:Te:f:")) != -1) {
		switch (opt) {
		case 'F':
			ps.fixed = true;
			break;
		case 'i':
			ps.icase = true;
			break;
		case 'v':
			invert = true;
			break;
		case 'T':
			rate = true;
			break;
		case 't':
			threads = strtol(optarg, &end, 10);
			if (*end || threads < 1 || threads > HSG_THREADS_MAX)
				return usage();
			break;
		case 'e':
			have = true;
			ret = pats_add_lines(&ps, optarg, strlen(optarg), false);
			break;
		case 'f':
			have = true;
			ret = pats_read_file(&ps, optarg);
			if (ret)
				fprintf(stderr, "hs_grep: %s: %s\n", optarg, strerror(-ret));
			break;
		default:
			return usage();
		}
		if (ret)
			goto out_pats;
	}
	if (optind != argc - 1 || !have) {
		status = usage();
		goto out_pats;
	}
	ret = db_build(&db, &ps);
	if (ret)
		goto out_pats;
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "hs_grep: %s: %s\n", argv[optind], strerror(errno));
		goto out_db;
	}
	t0 = now_s(); /* the mapping is this tool's read(): it counts */
	if (st.st_size) {
		base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (base == MAP_FAILED) {
			fprintf(stderr, "hs_grep: %s: mmap: %s\n", argv[optind], strerror(errno));
			close(fd);
			goto out_db;
		}
		madvise((void *)base, (size_t)st.st_size, MADV_SEQUENTIAL);
	}
	close(fd);
	if ((size_t)threads > (size_t)st.st_size / 4096 + 1)
		threads =
		    (long)((size_t)st.st_size / 4096 + 1); /* no thread for less than a page */
	ret = st.st_size
		  ? count_lines(&db, base, (size_t)st.st_size, (int)threads, &matched, &lines)
		  : 0;
	t1 = now_s();
	if (base)
		munmap((void *)base, (size_t)st.st_size);
	if (ret)
		goto out_db;
	if (invert)
		matched = lines - matched;
	printf("%llu\n", (unsigned long long)matched);
	if (rate)
		fprintf(stderr,
			"hs_grep: %.3f GB/s (%lld bytes, %ld threads, %.6f s from mmap to count, "
			"compile not counted)\n",
			t1 > t0 ? (double)st.st_size / (t1 - t0) / 1e9 : 0.0, (long long)st.st_size,
			threads, t1 - t0);
	status = matched ? 0 : 1;
out_db:
	db_free(&db);
out_pats:
	for (size_t i = 0; i < ps.n; i++)
		free(ps.v[i]);
	free(ps.v);
	return status;
}
