// SPDX-License-Identifier: MIT
/*
 * main.c - the vyrefs daemon's life: parse options, daemonize, open the
 * GPU pump, mount, serve, and on unmount or SIGTERM unwind in reverse.
 *
 * We fork before anything starts a thread (the pump's thread would not
 * survive a fork) and the parent waits on a pipe until the child has the
 * GPU and the mount, so "vyrefs MOUNT" returns only when the mount works,
 * or fails with the reason.
 */
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "fs.h"
#include "latency.h"

#include <fuse_lowlevel.h>

struct fs *fs_global;

#define OPT(t, p) {t, offsetof(struct fs_opts, p), 1}
static const struct fuse_opt fs_opt_spec[] = {
	OPT("slots=%s", slots_s),
	OPT("chunk=%s", chunk),
	OPT("cache=%s", cache),
	OPT("device=%s", device),
	OPT("kernel=%s", kernel),
	OPT("direct=%s", direct_s),
	OPT("async=%s", async_s),
	OPT("jobs_cap=%s", jobs_cap_s),
	OPT("jobs_active=%s", jobs_active_s),
	OPT("files_max=%s", files_max_s),
	OPT("gpu_timeout=%s", gpu_timeout_s),
	OPT("fuse_sources=%s", fuse_sources_s),
	OPT("priority_group=%s", priority_group),
	OPT("log=%s", log),
	OPT("gpu_debug", gpu_debug),
	OPT("-h", show_help),
	OPT("--help", show_help),
	OPT("-V", show_version),
	OPT("--version", show_version),
	FUSE_OPT_END,
};

static void usage(const char *prog)
{
	printf("usage: %s [-f] [-d] [-s] [-o opt,...] [SOURCE] MOUNTPOINT\n"
	       "\n"
	       "Mounts a filesystem whose ctl file takes GPU scan jobs:\n"
	       "  echo \"scan path=/etc/services op=count\" > MOUNTPOINT/ctl\n"
	       "\n"
	       "vyrefs options:\n"
	       "  -o slots=N          ring slots (default 32)\n"
	       "  -o chunk=SIZE       bytes per slot, power of two 4K-64M (default 4M)\n"
	       "  -o cache=SIZE|auto  keep chunks of scanned files in device memory, SIZE\n"
	       "                      per unit (e.g. 64G); a later scan of an unchanged file\n"
	       "                      reads them there (default off; auto: half the GPU's\n"
	       "                      memory)\n"
	       "  -o device=LIST      Vulkan devices, one unit each: entries separated by\n"
	       "                      ':', each an index or part of a name (vulkaninfo\n"
	       "                      --summary); all: every GPU (default: a GPU, else\n"
	       "                      lavapipe)\n"
	       "  -o kernel=auto|persistent|relaunch  megakernel mode (default auto)\n"
	       "  -o direct=0|1       O_DIRECT reads by default (default 0)\n"
	       "  -o async=0|1        IOSQE_ASYNC buffered reads (default: on above 4 cores)\n"
	       "  -o jobs_cap=N       finished jobs kept per user (default 1024)\n"
	       "  -o jobs_active=N    queued or running jobs per user (default 256)\n"
	       "  -o files_max=N      files per job of a directory, glob or files= list\n"
	       "                      (default 1000000)\n"
	       "  -o gpu_timeout=MS   no GPU progress this long with work out: its jobs fail\n"
	       "                      ETIMEDOUT, the unit takes no more (default 10000)\n"
	       "  -o fuse_sources=0|1 scan files on FUSE mounts (sshfs, a user's own FUSE\n"
	       "                      daemon): a source that stops answering holds ring\n"
	       "                      slots, so only where every FUSE mount is trusted\n"
	       "                      (default 0: refused, EINVAL)\n"
	       "  -o priority_group=GROUP  members may submit priority=high and critical\n"
	       "                      (default: root only)\n"
	       "  -o log=FILE         daemon log (default: syslog, facility daemon, once\n"
	       "                      daemonized: journalctl -t vyrefs)\n"
	       "  -o gpu_debug        the megakernel's debug variant: its records in the\n"
	       "                      debug file (root only; lossy, a little slower)\n"
	       "  -o allow_other      let other users submit (checked per caller)\n"
	       "  -f  foreground   -d  debug (foreground)   -s  single-threaded\n"
	       "\n"
	       "Unmount with: fusermount3 -u MOUNTPOINT (or umount as root)\n",
	       prog);
}

/*
 * A numeric mount option, all digits, within [min, max]: "slots=0",
 * "direct=2" or "jobs_cap=-1" fail the mount instead of being clamped or
 * wrapped.
 */
static int parse_opt_uint(const char *name, const char *s, unsigned min, unsigned max,
			  unsigned *out)
{
	unsigned long long v = 0;
	const char *p = s;

	if (!s)
		return 0; /* not given: the default stands */
	for (; *p >= '0' && *p <= '9' && v <= max; p++)
		v = v * 10 + (unsigned long long)(*p - '0');
	if (p == s || *p || v < min || v > max) {
		fprintf(stderr, "vyrefs: %s=%s: must be a whole number from %u to %u\n", name, s, min,
			max);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static int fs_parse_numbers(struct fs_opts *o)
{
	unsigned direct = 0, async = 0;
	int ret = 0;

	ret |= parse_opt_uint("slots", o->slots_s, 1, PUMP_SLOTS_MAX, &o->slots);
	ret |= parse_opt_uint("direct", o->direct_s, 0, 1, &direct);
	ret |= parse_opt_uint("async", o->async_s, 0, 1, &async);
	ret |= parse_opt_uint("jobs_cap", o->jobs_cap_s, 1, 1000000, &o->jobs_cap);
	ret |= parse_opt_uint("jobs_active", o->jobs_active_s, 1, VYRE_MAX_BATCHES, &o->jobs_active);
	ret |= parse_opt_uint("files_max", o->files_max_s, 1, 100000000, &o->files_max);
	ret |= parse_opt_uint("fuse_sources", o->fuse_sources_s, 0, 1, &o->fuse_sources);
	ret |= parse_opt_uint("gpu_timeout", o->gpu_timeout_s, PUMP_GPU_TIMEOUT_MIN,
			      PUMP_GPU_TIMEOUT_MAX, &o->gpu_timeout);
	o->priority_gid = (gid_t)-1;
	if (o->priority_group) {
		struct group *g = getgrnam(o->priority_group);
		unsigned gid;
		if (g)
			o->priority_gid = g->gr_gid;
		else if (parse_opt_uint("priority_group", o->priority_group, 0, UINT32_MAX - 1,
					&gid) == 0)
			o->priority_gid = (gid_t)gid;
		else
			ret = -EINVAL;
	}
	if (o->direct_s)
		o->direct = (int)direct;
	if (o->async_s)
		o->async = (int)async;
	return ret ? -EINVAL : 0;
}

/* fuse_opt_parse strdup()s every "%s" option: they are ours to free. */
static void fs_opts_free(struct fs_opts *o)
{
	char **strs[] = {&o->slots_s, &o->direct_s, &o->async_s, &o->jobs_cap_s, &o->jobs_active_s,
			 &o->files_max_s, &o->gpu_timeout_s, &o->fuse_sources_s, &o->priority_group,
			 &o->chunk, &o->cache, &o->device, &o->kernel, &o->log};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}

static int parse_chunk(const char *s, uint32_t *out)
{
	uint64_t v;

	if (desc_parse_size(s, &v) || v < PUMP_CHUNK_MIN || v > PUMP_CHUNK_MAX || (v & (v - 1)))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int pump_config_from(struct fs *fs, struct pump_config *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->slots = fs->opts.slots;
	pc->device = fs->opts.device;
	pc->direct = fs->opts.direct == 1;
	pc->async = fs->opts.async; /* -1: by core count */
	pc->gpu_timeout = fs->opts.gpu_timeout; /* 0: the pump's default */
	pc->kernel = PUMP_KERNEL_AUTO;
	if (fs->opts.gpu_debug) {
		/* VYRE_DEBUG_RING=N (tests only): a smaller ring, to see it overflow */
		const char *cap = getenv("VYRE_DEBUG_RING");
		unsigned long n = cap ? strtoul(cap, NULL, 10) : VYRE_DBG_RECORDS;
		pc->debug = n >= 2 && n <= VYRE_DBG_RECORDS && !(n & (n - 1)) ? (uint32_t)n
									: VYRE_DBG_RECORDS;
	}
	if (fs->opts.kernel) {
		if (!strcmp(fs->opts.kernel, "persistent"))
			pc->kernel = PUMP_KERNEL_PERSISTENT;
		else if (!strcmp(fs->opts.kernel, "relaunch"))
			pc->kernel = PUMP_KERNEL_RELAUNCH;
		else if (strcmp(fs->opts.kernel, "auto")) {
			fprintf(stderr, "vyrefs: kernel=%s: use auto, persistent or relaunch\n",
				fs->opts.kernel);
			return -EINVAL;
		}
	}
	if (fs->opts.cache && !strcmp(fs->opts.cache, "auto")) {
		pc->cache_bytes = PUMP_CACHE_AUTO;
	} else if (fs->opts.cache && (desc_parse_size(fs->opts.cache, &pc->cache_bytes) ||
				      (pc->cache_bytes && pc->cache_bytes < (1u << 20)))) {
		fprintf(stderr, "vyrefs: cache=%s: a size of 1M or more (e.g. cache=64G), 0 (off) "
			"or auto\n", fs->opts.cache);
		return -EINVAL;
	}
	if (fs->opts.chunk && parse_chunk(fs->opts.chunk, &pc->chunk)) {
		fprintf(stderr, "vyrefs: chunk=%s: must be a power of two between 4K and 64M\n",
			fs->opts.chunk);
		return -EINVAL;
	}
	return 0;
}

/* Opens the pump with the configuration checked before the fork. */
static int fs_open_pump(struct fs *fs, struct pump_config *pc)
{
	int ret;

	if (!pc->slots)
		pc->slots = 32;
	if (!pc->chunk)
		pc->chunk = 4u << 20;
	ret = pump_units_create(pc, fs->opts.device, &fs->units);
	if (ret)
		fprintf(stderr, "vyrefs: error: cannot start the GPU pump%s: %s\n",
			fs->opts.device ? " (see the unit named above)" : "", strerror(-ret));
	fs->chunk = pc->chunk;
	return ret;
}

/*
 * "vyrefs SOURCE MOUNTPOINT", as mount.fuse3 runs a helper for an fstab
 * line or "mount -t fuse.vyrefs SOURCE MOUNTPOINT": when two arguments are
 * not options (nor -o's value), the first is a label (shown in status as
 * source=), like sshfs's host. Returns the new argc.
 */
static int fs_take_source(int argc, char *argv[], char **source)
{
	int first = -1, plain = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o")) {
			i++;
			continue;
		}
		if (argv[i][0] == '-')
			continue;
		if (plain++ == 0)
			first = i;
	}
	if (plain != 2)
		return argc;
	*source = argv[first];
	memmove(&argv[first], &argv[first + 1], (size_t)(argc - first) * sizeof(*argv));
	return argc - 1;
}

static int daemon_fork(int *notify)
{
	int pfd[2];
	pid_t pid;
	char status = 1;

	if (pipe(pfd) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pfd[1]);
		if (read(pfd[0], &status, 1) != 1)
			status = 1;
		if (status) /* the child said why on stderr; reap it */
			waitpid(pid, NULL, 0);
		_exit(status);
	}
	close(pfd[0]);
	setsid();
	*notify = pfd[1];
	return 0;
}

/*
 * The log is opened before the fork, as the user who mounts, so a bad
 * log= fails the mount with a message on the terminal (instead of the
 * daemon keeping the caller's stderr pipe open). O_NOFOLLOW and O_EXCL-free
 * O_CREAT at 0600: a symlink planted in a shared directory is refused, not
 * followed, and a new log is readable only by its owner.
 */
static int log_open(const char *log)
{
	struct stat st;
	int fd;

	if (!log)
		return open("/dev/null", O_WRONLY | O_CLOEXEC);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		fprintf(stderr, "vyrefs: log=%s: %s%s\n", log, strerror(e),
			e == ELOOP ? " (a symlink: name the log file itself)" : "");
		return -e;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "vyrefs: log=%s: not a regular file\n", log);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/*
 * Where the daemon's messages go once it forks: the log= file, or without
 * one syslog (LOG_DAEMON, ident "vyrefs": the journal on systemd), so a
 * daemon mounted from fstab or "mount -t" no longer loses every message.
 * Every message is a line on stderr (pump/log.c, libfuse, perror), so the
 * FILE stderr itself is replaced by a stream whose writes end here; glibc
 * lets a program assign stderr. Until the mount is up an error also goes
 * to the terminal of the one who mounts (the parent waits for the child and
 * exits with its status), and nothing else: a mount that works prints
 * nothing. One per process, used under stderr's own FILE lock.
 */
static struct {
	int fd;	  /* log=: the file; -1: syslog */
	int term; /* the mounting terminal's stderr until daemon_ready, else -1 */
	char line[2048];
	size_t len;
} fs_log = {.fd = -1, .term = -1};

static void fs_log_line(const char *line, size_t len)
{
	static const char pfx[] = "vyrefs: ";
	bool ours = len >= sizeof(pfx) - 1 && !memcmp(line, pfx, sizeof(pfx) - 1);
	const char *msg = ours ? line + sizeof(pfx) - 1 : line;
	size_t mlen = len - (size_t)(msg - line);
	int prio = !ours				     ? LOG_WARNING /* libfuse's, perror's */
		   : mlen >= 7 && !memcmp(msg, "error: ", 7) ? LOG_ERR
		   : mlen >= 7 && !memcmp(msg, "debug: ", 7) ? LOG_DEBUG
							     : LOG_INFO;

	if (fs_log.term >= 0 && prio <= LOG_WARNING) /* best effort: the terminal may be gone */
		(void)!write(fs_log.term, line, len);
	if (fs_log.fd >= 0)
		(void)!write(fs_log.fd, line, len);
	else
		syslog(prio, "%.*s", (int)(mlen && msg[mlen - 1] == '\n' ? mlen - 1 : mlen), msg);
}

static ssize_t fs_log_write(void *cookie, const char *buf, size_t n)
{
	(void)cookie;
	for (size_t i = 0; i < n; i++) {
		fs_log.line[fs_log.len++] = buf[i];
		if (buf[i] == '\n' || fs_log.len == sizeof(fs_log.line)) {
			fs_log_line(fs_log.line, fs_log.len);
			fs_log.len = 0;
		}
	}
	return (ssize_t)n;
}

/* In the forked daemon, before anything logs: stderr becomes the log. */
static int fs_log_start(int logfd, bool to_file)
{
	cookie_io_functions_t io = {.write = fs_log_write};
	FILE *f;

	fs_log.term = dup(STDERR_FILENO);
	if (fs_log.term < 0)
		return -errno;
	fs_log.fd = to_file ? logfd : -1;
	if (!to_file)
		openlog("vyrefs", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	f = fopencookie(NULL, "w", io);
	if (!f) {
		int e = errno;
		close(fs_log.term);
		fs_log.term = -1;
		return -e;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	fflush(stderr);
	stderr = f;
	return 0;
}

static void daemon_ready(int notify, int logfd)
{
	char ok = 0;
	int fd;

	if (notify < 0)
		return;
	/* what writes to fd 2 itself (a sanitizer's report) goes to the log file
	 * or nowhere; stderr's lines go to fs_log */
	dup2(logfd, STDOUT_FILENO);
	dup2(logfd, STDERR_FILENO);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	if (chdir("/") < 0)
		perror("vyrefs: error: chdir");
	flockfile(stderr);
	if (fs_log.term >= 0)
		close(fs_log.term);
	fs_log.term = -1; /* the terminal hears no more */
	funlockfile(stderr);
	if (write(notify, &ok, 1) != 1)
		perror("vyrefs: error: notify");
	close(notify);
}

/* So many files open per user's active jobs: take the hard limit, not 1024. */
static void fs_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char *argv[])
{
	struct fuse_args args;
	struct fuse_cmdline_opts cl = {0};
	struct fuse_session *se = NULL;
	struct fuse_loop_config *lc = NULL;
	struct pump_config pc;
	struct fs fs = {.opts = {.direct = -1,
				 .async = -1,
				 .jobs_cap = FS_JOBS_CAP_DEFAULT,
				 .jobs_active = FS_JOBS_ACTIVE_DEFAULT,
				 .files_max = FS_FILES_MAX_DEFAULT}};
	char *mnt = NULL, *source = NULL;
	int notify = -1, logfd = -1, ret = 1;
	dev_t dev;

	argc = fs_take_source(argc, argv, &source);
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	fs.source = source;
	if (fuse_opt_parse(&args, &fs.opts, fs_opt_spec, NULL) < 0)
		return 1;
	if (fs.opts.show_help) {
		usage(argv[0]);
		return 0;
	}
	if (fs.opts.show_version) {
		printf("vyrefs %s (libfuse %s)\n", VYREFS_VERSION, fuse_pkgversion());
		return 0;
	}
	if (fs_parse_numbers(&fs.opts))
		return 1;
	if (fuse_parse_cmdline(&args, &cl) != 0)
		return 1;
	if (!cl.mountpoint) {
		usage(argv[0]);
		return 2;
	}
	mnt = realpath(cl.mountpoint, NULL);
	if (!mnt) {
		fprintf(stderr, "vyrefs: %s: %s\n", cl.mountpoint, strerror(errno));
		goto out_args;
	}
	if (mount_find(mnt, &dev) == 0) {
		fprintf(stderr, "vyrefs: %s: vyrefs is already mounted there (umount %s first)\n",
			mnt, mnt);
		goto out_args;
	}
	/* every option is checked before the fork and the GPU: a bad one fails
	 * at once, on the terminal, with nothing opened */
	if (pump_config_from(&fs, &pc))
		goto out_args;
	logfd = log_open(fs.opts.log);
	if (logfd < 0)
		goto out_args;
	vlog_set_debug(cl.debug);
	/* the kernel checks modes and owners (job directories are 0700) */
	fuse_opt_add_arg(&args, "-odefault_permissions");
	fuse_opt_add_arg(&args, "-ofsname=vyrefs");
	fuse_opt_add_arg(&args, "-osubtype=vyrefs");
	/* unknown -o options fail here, named by libfuse; it starts no thread */
	se = fuse_session_new(&args, &fs_ops, sizeof(fs_ops), &fs);
	if (!se)
		goto out_free;
	fs.se = se;
	fs_raise_nofile();
	fs.started = time(NULL);
	if (fs_jobs_init(&fs))
		goto out_destroy;
	fs.job_counted = fs_latency_job_ended;
	fs.stream_tick = fs_stream_tick_locked;

	if (!cl.foreground) {
		if (daemon_fork(&notify) < 0) {
			perror("vyrefs: fork");
			goto out_destroy;
		}
		if (fs_log_start(logfd, fs.opts.log != NULL) < 0)
			perror("vyrefs: error: the log"); /* stderr stays the terminal's */
	}
	/* after the fork: a thread does not cross it */
	if (fs_answer_start(&fs)) {
		fprintf(stderr, "vyrefs: error: cannot start the answerer thread\n");
		goto out_destroy;
	}
	if (fs_open_pump(&fs, &pc))
		goto out_destroy;
	if (fuse_session_mount(se, mnt) != 0) {
		fprintf(stderr,
			"vyrefs: error: cannot mount on %s (does it exist? already mounted?)\n", mnt);
		goto out_pump;
	}
	/* paths on the mount itself are refused by device (resolve.c) */
	if (mount_find(mnt, &fs.mount_dev) != 0) {
		fprintf(stderr, "vyrefs: error: %s: the new mount is not in /proc/self/mountinfo\n",
			mnt);
		goto out_unmount;
	}
	if (fuse_set_signal_handlers(se) != 0)
		goto out_unmount;
	daemon_ready(notify, logfd);
	notify = -1;
	if (cl.singlethread) {
		fs.single_threaded = true;
		ret = fuse_session_loop(se);
	} else {
		/* no reader parks a thread (wait.c), so a few serve everyone */
		lc = fuse_loop_cfg_create();
		if (!lc)
			goto out_signals;
		fuse_loop_cfg_set_max_threads(lc, FS_THREADS_MAX);
		fuse_loop_cfg_set_idle_threads(lc, FS_THREADS_IDLE);
		ret = fuse_session_loop_mt(se, lc);
		fuse_loop_cfg_destroy(lc);
	}
	ret = ret < 0 ? 1 : 0;
	fs_wait_release_all(&fs);
	/* walkers use the pump: they stop before it goes */
	fs_prep_stop_all(&fs); /* no compile worker starts a walk from here on */
	fs_jobs_cancel_walks(&fs);
	fs_many_wait_walkers(&fs);
out_signals:
	fuse_remove_signal_handlers(se);
out_unmount:
	fuse_session_unmount(se);
out_pump:
	/* the pump goes first: ending its jobs answers their readers on se; it
	 * cancels what runs, waits for its slots, releases the GPU */
	pump_units_destroy(&fs.units);
out_destroy:
	/* nothing ends a job any more: the answerer replies to what is queued */
	fs_answer_stop(&fs);
	fuse_session_destroy(se);
out_free:
	if (notify >= 0) {
		char fail = 1;
		if (write(notify, &fail, 1) != 1)
			perror("notify");
	}
	if (fs.hash) {
		fs_files_free_all(&fs);
		fs_jobs_destroy(&fs);
	}
	if (logfd >= 0)
		close(logfd);
out_args:
	fs_opts_free(&fs.opts);
	free(mnt);
	free(cl.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
