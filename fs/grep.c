// SPDX-License-Identifier: MIT
/*
 * grep.c - a grep descriptor's patterns become the DFA the pump lays out
 * in the job's data region: pattern= as written (a '\n' in it separates
 * two patterns, as in grep), or patterns=FILE, one pattern a line, read
 * with the caller's credentials. The regex compiler (regex/) does the
 * rest; its errors come back as they are, behind the key they concern.
 *
 * Reading the file is this file's fs_grep_read(); submit.c calls
 * fs_grep_load() and fs_grep_check() on the FUSE thread, then queues the
 * compile (fs_prep_queue) for a worker here, which starts the job.
 *
 * Compile workers: at most FS_PREP_THREADS, started on demand, gone when
 * nothing they may take is queued. A worker takes the oldest compile of
 * an owner none of the others is compiling for, so one user's costly
 * patterns (each up to the compiler's 0.3 s budget) hold one worker, and
 * another user's compile starts beside them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

#define FS_GREP_FILE_MAX (64u << 20) /* patterns= file; 10,000 patterns fit many times */

/* The patterns file, read as the caller (cred_open) into a malloc'd buffer. */
static int fs_grep_read(const struct fs *fs, const struct fs_caller *ctx, const char *path,
			char **out, size_t *outlen, char *err, size_t errlen)
{
	char ignored[256];
	struct stat st;
	size_t len = 0;
	char *buf = NULL;
	int fd, ret;

	ret = cred_open(fs, ctx, path, &fd, ignored, sizeof(ignored));
	if (ret) {
		if (ret == -ENOENT)
			snprintf(err, errlen, "patterns=%s: no such file (check the path)", path);
		else if (ret == -EACCES)
			snprintf(err, errlen,
				 "patterns=%s: permission denied (you may only use "
				 "pattern files you can read)",
				 path);
		else if (ret == -EISDIR)
			snprintf(err, errlen,
				 "patterns=%s: is a directory (name a file with one "
				 "pattern a line)",
				 path);
		else
			snprintf(err, errlen, "patterns=%s: %s (name a regular file)", path,
				 strerror(-ret));
		return ret;
	}
	ret = -EINVAL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "patterns=%s: not a regular file", path);
		goto out_close;
	}
	if ((uint64_t)st.st_size > FS_GREP_FILE_MAX) {
		snprintf(err, errlen,
			 "patterns=%s: %lld bytes, over the %u MiB limit (use fewer "
			 "patterns)",
			 path, (long long)st.st_size, FS_GREP_FILE_MAX >> 20);
		ret = -E2BIG;
		goto out_close;
	}
	buf = malloc((size_t)st.st_size + 1);
	ret = -ENOMEM;
	if (!buf)
		goto out_close;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "patterns=%s: %s", path, strerror(errno));
			free(buf);
			goto out_close;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*outlen = len;
	ret = 0;
out_close:
	close(fd);
	return ret;
}

/* Splits text into its lines (one pattern each); a final '\n' ends the last. */
static int fs_grep_split(char *text, size_t len, const char ***pats, size_t **lens, size_t *n)
{
	size_t cap = 1, k = 0;

	for (size_t i = 0; i < len; i++)
		cap += text[i] == '\n';
	*pats = calloc(cap, sizeof(**pats));
	*lens = calloc(cap, sizeof(**lens));
	if (!*pats || !*lens)
		return -ENOMEM;
	for (size_t start = 0; start < len;) {
		char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;

		(*pats)[k] = text + start;
		(*lens)[k++] = end - start;
		start = end + 1;
	}
	*n = k;
	return 0;
}

int fs_grep_load(const struct fs *fs, const struct fs_caller *ctx, const struct desc *d,
		 char **text, size_t *textlen, char *err, size_t errlen)
{
	union pump_op_args a;
	const struct pump_grep_args *g = fs_grep_args(d, &a);

	*text = NULL;
	*textlen = 0;
	if (!g || !g->patterns)
		return 0;
	return fs_grep_read(fs, ctx, g->patterns, text, textlen, err, errlen);
}

/* The compiler's message behind the key it concerns, with its errno's name. */
static void fs_grep_error(const struct pump_grep_args *a, int ret, const char *cerr, char *err,
			  size_t errlen)
{
	const char *name = strerrorname_np(-ret);

	if (ret != -EINVAL && ret != -E2BIG && ret != -ETIMEDOUT)
		snprintf(err, errlen, "the patterns could not be compiled: %s", strerror(-ret));
	else if (a->patterns)
		snprintf(err, errlen, "patterns=%s: %s (%s)", a->patterns, cerr, name);
	else
		snprintf(err, errlen, "pattern=%.*s: %s (%s)",
			 (int)(a->pattern_len > 64 ? 64 : a->pattern_len), (const char *)a->pattern,
			 cerr, name);
}

/*
 * One DFA when it compiles: the fastest scan. A set the DFA refuses for
 * its size (-E2BIG: states, table or more than REGEX_PATTERNS_MAX
 * patterns; -ETIMEDOUT: its step budget) goes to regex_compile_prog,
 * which runs a literal set on Aho-Corasick and anything else on the
 * bit-parallel engine (ARCHITECTURE.md "Pattern sets"). Only what breaks
 * that engine's bounds (regex/regex.h struct regex_shift) is refused, with
 * its message naming the pattern.
 */
static int fs_grep_compile(const char **pats, const size_t *lens, size_t n,
			   const struct regex_opts *opts, bool per_pattern, struct fs_grep *g,
			   char *cerr, size_t cerrlen)
{
	struct regex_prog_opts po = {.fixed = opts->fixed, .icase = opts->icase, .utf8 = opts->utf8,
				     .per_pattern = per_pattern, .sets_dfa = per_pattern};
	char perr[512] = "";
	int ret = -E2BIG, pret;

	/* per_pattern=1: the plain DFA has no pattern indexes (regex.h), straight to
	 * the sets: literals on AC, EREs on a DFA with accept sets (regex_pdfa.c) */
	if (!per_pattern)
		ret = regex_compile(pats, lens, n, opts, &g->dfa, cerr, cerrlen);
	if (ret != -E2BIG && ret != -ETIMEDOUT)
		return ret;
	pret = regex_compile_prog(pats, lens, n, &po, &g->prog, perr, sizeof(perr));
	if (pret == -ENOMEM)
		return pret;
	if (!pret) {
		g->ac = g->prog.engine == REGEX_ENGINE_AC;
		g->shift = g->prog.engine == REGEX_ENGINE_SHIFT;
		if (g->ac || g->shift)
			return 0;
		regex_prog_free(&g->prog); /* a DFA again: the first compile's refusal stands */
		return ret;
	}
	/* the second engine's own bound (E2BIG, naming the pattern) or budget */
	snprintf(cerr, cerrlen, "%s", perr);
	return pret;
}

/*
 * A set on the bit-parallel engine where a unit is a CPU device: a byte
 * that could pass lavapipe's loop cap is refused here, E2BIG naming the
 * pattern, as the compiler refuses its own bounds (the pump would refuse
 * it at submit with no pattern to name). g's views are built.
 */
static int fs_grep_cpu_fits(struct pump_units *units, const struct fs_grep *g, char *cerr,
			    size_t cerrlen)
{
	uint32_t pattern;
	uint64_t cost;
	int ret;

	if (!g->shift || !units || !pump_units_any_cpu(units))
		return 0;
	ret = pump_shift_cpu_fits(&g->shview, &pattern, &cost);
	if (ret == -E2BIG)
		snprintf(cerr, cerrlen,
			 "pattern %u: a byte may cost the bit-parallel engine %llu steps, more "
			 "than the %u a CPU device (lavapipe) runs in one go "
			 "(PUMP_SHIFT_CPU_COST_MAX; run it on a GPU, or use smaller repetition "
			 "counts or fewer patterns)",
			 pattern + 1, (unsigned long long)cost, PUMP_SHIFT_CPU_COST_MAX);
	else if (ret)
		snprintf(cerr, cerrlen, "the bit-parallel engine's tables: %s", strerror(-ret));
	return ret;
}

/*
 * per_pattern=1 on the bit-parallel engine: what a line records at its
 * start and end must fit beside its bytes' records (pump.h
 * pump_shift_pset_fits); refused here, naming a pattern, as the pump would
 * at submit.
 */
static int fs_grep_pset_fits(const struct pump_grep_args *a, const struct fs_grep *g, char *cerr,
			     size_t cerrlen)
{
	uint32_t pattern;

	if (!g->shift || !(a->flags & PUMP_GREP_PSET) || !pump_shift_pset_fits(&g->shview, &pattern))
		return 0;
	snprintf(cerr, cerrlen,
		 "pattern %u: with per_pattern=1 the bit-parallel engine records at most %u "
		 "patterns that match every line, match an empty line or end with '$' at one "
		 "line's end, and these need more (use fewer such patterns, or per_pattern=0)",
		 pattern + 1, PUMP_SHIFT_PSET_FIXED_MAX);
	return -E2BIG;
}

/*
 * pattern= or the patterns= text (fs_grep_load's) as the compiler takes
 * them: checked only (g NULL: the syntax, on the FUSE thread), or compiled
 * into g (a worker) for the units that will run it.
 */
static int fs_grep_run(const struct desc *d, char *text, size_t textlen, struct fs_grep *g,
		       struct pump_units *units, char *err, size_t errlen)
{
	union pump_op_args args;
	const struct pump_grep_args *a = fs_grep_args(d, &args);
	struct regex_opts opts;
	const char **pats = NULL, *one;
	size_t *lens = NULL, onelen, n = 1;
	char cerr[512] = "";
	int ret;

	if (g)
		memset(g, 0, sizeof(*g));
	if (!a)
		return -EINVAL;
	opts = (struct regex_opts){.fixed = !!(a->flags & PUMP_GREP_FIXED),
				   .icase = !!(a->flags & PUMP_GREP_ICASE),
				   .utf8 = !!(a->flags & PUMP_GREP_UTF8)};
	one = a->pattern ? (const char *)a->pattern : "";
	onelen = a->pattern_len;
	if (a->patterns) {
		ret = fs_grep_split(text, textlen, &pats, &lens, &n);
		if (ret)
			goto out_free;
	} else {
		pats = &one;
		lens = &onelen;
	}
	if (!g)
		ret = regex_check(pats, lens, n, &opts, cerr, sizeof(cerr));
	else
		ret = fs_grep_compile(pats, lens, n, &opts, !!(a->flags & PUMP_GREP_PSET), g, cerr,
				      sizeof(cerr));
	if (!ret && g) {
		g->ready = true;
		fs_grep_views(g);
		ret = fs_grep_cpu_fits(units, g, cerr, sizeof(cerr));
		if (!ret)
			ret = fs_grep_pset_fits(a, g, cerr, sizeof(cerr));
		if (ret)
			fs_grep_release(g);
	}
	if (ret)
		fs_grep_error(a, ret, cerr, err, errlen);
out_free:
	if (a->patterns) {
		free(pats);
		free(lens);
	}
	return ret;
}

int fs_grep_check(const struct desc *d, char *text, size_t textlen, char *err, size_t errlen)
{
	return fs_grep_run(d, text, textlen, NULL, NULL, err, errlen);
}

void fs_prep_free(struct fs_prep *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	if (p->rootfd >= 0)
		close(p->rootfd);
	if (p->listfd >= 0)
		close(p->listfd);
	free(p->text);
	fs_job_put(&p->j);
	free(p);
}

/* The oldest queued compile whose owner no worker is compiling for (prep_lock held). */
static struct fs_prep *fs_prep_pick_locked(struct fs *fs)
{
	for (struct fs_prep **pp = &fs->prep_head, *prev = NULL; *pp; prev = *pp, pp = &(*pp)->next) {
		struct fs_prep *p = *pp;
		bool busy = false;

		for (unsigned k = 0; k < FS_PREP_THREADS && !busy; k++)
			busy = fs->prep_busy[k] && fs->prep_owner[k] == p->j->uid;
		if (busy)
			continue;
		*pp = p->next;
		if (fs->prep_tail == p)
			fs->prep_tail = prev;
		p->next = NULL;
		return p;
	}
	return NULL;
}

/* Compiles p's patterns and starts its job, or ends it failed with the reason. */
static void fs_prep_run(struct fs *fs, struct fs_prep *p)
{
	struct fs_job *j = p->j;
	struct fs_grep g = {0};
	char err[sizeof(j->prep_error)] = "";
	bool cancel;
	int ret;

	pthread_mutex_lock(&fs->prep_lock);
	cancel = j->prep_cancel || fs->prep_stopping;
	pthread_mutex_unlock(&fs->prep_lock);
	ret = cancel ? -ECANCELED : fs_grep_run(&p->d, p->text, p->textlen, &g, fs->units, err,
						   sizeof(err));
	free(p->text);
	p->text = NULL;
	/*
	 * Start and cancel exclude each other: a cancel either sees the job
	 * STARTED (and cancels its pump job) or leaves prep_cancel for this.
	 */
	pthread_mutex_lock(&fs->prep_lock);
	if (!ret && (j->prep_cancel || fs->prep_stopping))
		ret = -ECANCELED;
	if (!ret) {
		j->engine = fs_grep_engine(&g);
		ret = fs_submit_start(fs, j, &p->caller, &p->d, &g, p->fd, p->rootfd, p->listfd,
				      &p->st, err, sizeof(err));
		p->fd = p->rootfd = p->listfd = -1;
		if (!ret) /* pairs with fs_job_started's acquire: pj or many is set */
			atomic_store_explicit(&j->stage, FS_STAGE_STARTED, memory_order_release);
	}
	pthread_mutex_unlock(&fs->prep_lock);
	fs_grep_release(&g);
	if (ret) {
		if (ret == -ECANCELED)
			fs_job_prep_failed(j, PUMP_JOB_CANCELLED, "cancelled before its patterns "
					   "were compiled");
		else
			fs_job_prep_failed(j, PUMP_JOB_FAILED, err);
		p->j = NULL; /* the end dropped the pump's reference */
	}
	fs_prep_free(p);
}

struct fs_prep_worker {
	struct fs *fs;
	unsigned k; /* its bit in fs->prep_alive, its prep_owner and prep_busy */
};

static void *fs_prep_main(void *arg)
{
	struct fs_prep_worker w = *(struct fs_prep_worker *)arg;
	struct fs *fs = w.fs;

	free(arg);
	pthread_mutex_lock(&fs->prep_lock);
	for (;;) {
		struct fs_prep *p = fs->prep_stopping ? NULL : fs_prep_pick_locked(fs);

		if (!p)
			break;
		fs->prep_busy[w.k] = true;
		fs->prep_owner[w.k] = p->j->uid;
		pthread_mutex_unlock(&fs->prep_lock);
		fs_prep_run(fs, p);
		pthread_mutex_lock(&fs->prep_lock);
		fs->prep_busy[w.k] = false;
	}
	fs->prep_alive &= ~(1u << w.k);
	pthread_cond_broadcast(&fs->prep_cond);
	pthread_mutex_unlock(&fs->prep_lock);
	return NULL;
}

/* A new worker if one may start (prep_lock held); 0 or a negative errno. */
static int fs_prep_spawn_locked(struct fs *fs)
{
	struct fs_prep_worker *w;
	pthread_attr_t attr;
	pthread_t t;
	unsigned k = 0;
	int ret;

	while (k < FS_PREP_THREADS && (fs->prep_alive & (1u << k)))
		k++;
	if (k == FS_PREP_THREADS)
		return 0; /* a worker that finishes takes the next */
	w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct fs_prep_worker){.fs = fs, .k = k};
	ret = -pthread_attr_init(&attr);
	if (ret)
		goto out_free;
	ret = -pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (!ret)
		ret = -pthread_create(&t, &attr, fs_prep_main, w);
	pthread_attr_destroy(&attr);
	if (ret)
		goto out_free;
	fs->prep_alive |= 1u << k;
	return 0;
out_free:
	free(w);
	return ret;
}

void fs_prep_queue(struct fs *fs, struct fs_prep *p)
{
	const char *why = NULL;

	pthread_mutex_lock(&fs->prep_lock);
	if (fs->prep_stopping) {
		why = "the mount is going away";
	} else {
		*(fs->prep_tail ? &fs->prep_tail->next : &fs->prep_head) = p;
		fs->prep_tail = p;
		if (fs_prep_spawn_locked(fs) && !fs->prep_alive) {
			/* nobody would ever take it: take it back */
			struct fs_prep **pp = &fs->prep_head, *prev = NULL;
			while (*pp != p) {
				prev = *pp;
				pp = &(*pp)->next;
			}
			*pp = NULL;
			fs->prep_tail = prev;
			why = "no compile worker could start (out of threads or memory)";
		}
	}
	pthread_mutex_unlock(&fs->prep_lock);
	if (why) {
		vlog_err("grep: %s: job %llu fails", why, (unsigned long long)p->j->id);
		fs_job_prep_failed(p->j, PUMP_JOB_FAILED, why);
		p->j = NULL;
		fs_prep_free(p);
	}
}

void fs_prep_stop_all(struct fs *fs)
{
	struct fs_prep *list, *p;

	pthread_mutex_lock(&fs->prep_lock);
	fs->prep_stopping = true;
	list = fs->prep_head;
	fs->prep_head = fs->prep_tail = NULL;
	pthread_mutex_unlock(&fs->prep_lock);
	while ((p = list)) {
		list = p->next;
		fs_job_prep_failed(p->j, PUMP_JOB_CANCELLED, "the mount is going away");
		p->j = NULL;
		fs_prep_free(p);
	}
	/* a running compile ends within the compiler's budget, then sees prep_stopping */
	pthread_mutex_lock(&fs->prep_lock);
	while (fs->prep_alive)
		pthread_cond_wait(&fs->prep_cond, &fs->prep_lock);
	pthread_mutex_unlock(&fs->prep_lock);
}
