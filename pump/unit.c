// SPDX-License-Identifier: MIT
/*
 * unit.c - one pump unit: one GPU, its ring, arena, io_uring and
 * the one thread that owns them; create and destroy, the queue fs/ submits
 * into, and info.
 *
 * The thread admits chunks only into free slots (admit.c); a read's
 * completion publishes its slot (read.c); a harvested slot is summed into
 * its job and freed (slot.c). It sleeps in io_uring (reads or the wakeup
 * eventfd) and polls the ring only while GPU work is outstanding.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pump_priv.h"
#include "debug_ring.h"
#include "trace.h"

/*
 * Stopping: what runs is cancelled, and its slots come back within a
 * launch or two. A device that stops answering must not hang unmount, so
 * after PUMP_STOP_GRACE_NS the thread leaves whatever is still out.
 */
#define PUMP_STOP_GRACE_NS (5ull * 1000000000ull)

static bool pump_should_exit(struct pump *p)
{
	bool stop;
	uint64_t since;

	pthread_mutex_lock(&p->qlock);
	stop = pump_is_stopping(p) && !p->submitted;
	since = p->t_stop_ns;
	pthread_mutex_unlock(&p->qlock);
	if (!stop)
		return false;
	if (!p->active)
		return true;
	if (pump_now_ns() - since < PUMP_STOP_GRACE_NS)
		return false;
	vlog_err("pump: %u slots still out %llu s after stop; leaving them (device hung?)",
		 ring_outstanding(p->ring), PUMP_STOP_GRACE_NS / 1000000000ull);
	return true;
}

/*
 * Spins up to PUMP_IDLE_SPIN_NS for a submitted job or a completion;
 * true if one came. Measured on the H200: a 4 KiB job's eventfd wakeup of
 * the sleeping pump thread was a visible part of taken_us.
 */
#define PUMP_IDLE_SPIN_NS 50000ull

static bool pump_spin_for_work(struct pump *p)
{
	uint64_t until = pump_now_ns() + PUMP_IDLE_SPIN_NS;

	do {
		if (atomic_load_explicit(&p->queued, memory_order_acquire) ||
		    io_uring_cq_ready(&p->uring))
			return true;
		for (int i = 0; i < 64; i++)
			__builtin_ia32_pause();
	} while (pump_now_ns() < until);
	return false;
}

/*
 * The GPU counts executions per opclass in 32-bit words, which wrap in
 * minutes at ring speed (4.8 M slots/s); the host adds each word's change
 * (mod 2^32) into 64-bit counters every PUMP_COUNT_OPS_NS, far more often
 * than once per wrap (15 minutes at that rate), and whenever pump_info
 * asks. Not at every harvest: the words live in device memory, and reading
 * them cost a 4 KiB job ~56 us of PCIe round trips on the H200.
 */
#define PUMP_COUNT_OPS_NS (100ull * 1000000ull)
static void pump_count_ops_locked(struct pump *p)
{
	p->t_ops_counted_ns = pump_now_ns();
	for (uint32_t c = 0; c < VYRE_OPCLASSES; c++) {
		uint32_t now = ring_op_count(p->ring, c);
		p->op_exec[c] += (uint32_t)(now - p->op_seen[c]);
		p->op_seen[c] = now;
	}
}

static void pump_count_ops(struct pump *p)
{
	pthread_mutex_lock(&p->lock); /* pump_info adds too: one adder at a time */
	pump_count_ops_locked(p);
	pthread_mutex_unlock(&p->lock);
}

/*
 * The closes (and end stats: uring_statx) still out are in before the
 * thread goes: a close queued on io-wq, or not yet submitted, when the
 * ring is torn down is lost with its fd (test_pack counted 56 fds left
 * open after pump_destroy when closes first went to io-wq: BENCHMARKS.md
 * "The walk"). Bounded: a close that waits on a filesystem which never
 * answers its FLUSH is running, its fd already out of the table, and is
 * left to the kernel (a stat likewise: job_free leaves its buffer).
 */
#define PUMP_CLOSE_DRAIN_NS (2ull * 1000000000ull)

static void pump_drain_closes(struct pump *p)
{
	uint64_t until = pump_now_ns() + PUMP_CLOSE_DRAIN_NS;

	for (;;) {
		if (p->pending_sqes && io_uring_submit(&p->uring) >= 0)
			p->pending_sqes = 0;
		pump_reap(p);
		if (!p->closes_out && !p->stats_out)
			return;
		if (pump_now_ns() > until) {
			vlog_err("pump: %u closes and %u stats still out %llu s after stop; leaving "
				 "them (a filesystem that does not answer?)",
				 p->closes_out, p->stats_out, PUMP_CLOSE_DRAIN_NS / 1000000000ull);
			return;
		}
		struct io_uring_cqe *cqe;
		struct __kernel_timespec ts = {.tv_nsec = 1000000};
		(void)io_uring_wait_cqe_timeout(&p->uring, &cqe, &ts); /* reaped above */
	}
}

static void *pump_thread(void *arg)
{
	struct pump *p = arg;
	int idle_polls = 0;

	/* a name for top -H and tools/bench-grep-probe.sh's per-thread CPU; cosmetic, so unchecked */
	(void)pthread_setname_np(pthread_self(), "vyre-pump");
	p->wakeup_unarmed = uring_arm_wakeup(p) != 0;
	for (;;) {
		int progress = pump_take_submitted(p);
		progress += pump_admit(p);
		if (p->pending_sqes) {
			int ret = io_uring_submit(&p->uring);
			if (ret >= 0)
				p->pending_sqes = 0;
			else if (ret != -EAGAIN && ret != -EBUSY && ret != -EINTR)
				vlog_err("pump: io_uring_submit failed (%d)", ret);
			/* else the SQEs stay queued: reaping frees room, the next pass submits */
		}
		progress += pump_reap(p);
		progress += pump_read_deadlines(p, pump_now_ns());
		trace_poll(p);
		int harvested = ring_harvest(p->ring, pump_harvest_one, p);
		debug_ring_drain(p);
		progress += harvested;
		uint64_t now = pump_now_ns();
		if (now - p->t_ops_counted_ns > PUMP_COUNT_OPS_NS)
			pump_count_ops(p);
		progress += pump_watchdog(p, now, harvested);
		pump_budget(p, now);
		pump_retire(p);
		if (!pump_fault_stalled(p) && ring_kick(p->ring) < 0)
			vlog_err("pump: launching the megakernel failed");
		if (pump_should_exit(p)) {
			pump_drain_closes(p);
			break;
		}
		if (progress || p->pending_sqes) {
			idle_polls = 0;
			continue;
		}
		if (ring_outstanding(p->ring)) {
			/*
			 * GPU work is out: poll its done words. On a CPU device
			 * the polling would take a core from the "GPU" itself, so
			 * sleep on the launch instead (1 ms at most, so a new job
			 * waits no longer than that).
			 */
			if (p->fault_stalled) { /* nothing runs to wait on */
				struct timespec ms = {.tv_nsec = 1000000};
				nanosleep(&ms, NULL);
			} else if (p->gpu->is_cpu)
				ring_wait_launch(p->ring, 1000000);
			else if (++idle_polls > 64)
				sched_yield();
			continue;
		}
		/*
		 * Nothing on the GPU. On a GPU device, spin a little first: a
		 * shell's next job usually comes within microseconds, and an
		 * eventfd wakeup of a sleeping thread costs more than that.
		 */
		if (!p->gpu->is_cpu && pump_spin_for_work(p))
			continue;
		/* Sleep until a read completes or a job comes (the eventfd read). */
		struct io_uring_cqe *cqe;
		int ret;
		uint64_t budget_ns = pump_budget_wait_ns(p);
		if (p->wakeup_unarmed || p->slots_reading || budget_ns) {
			/* no eventfd read in flight: do not sleep long; reads out:
			 * wake for their deadlines; a cache: for pump_budget */
			uint64_t ns = p->wakeup_unarmed ? 1000000
				      : p->slots_reading ? PUMP_READ_CHECK_NS
							 : budget_ns;
			if (budget_ns && budget_ns < ns)
				ns = budget_ns;
			struct __kernel_timespec ts = {.tv_sec = (long long)(ns / 1000000000ull),
						       .tv_nsec = (long long)(ns % 1000000000ull)};
			ret = io_uring_wait_cqe_timeout(&p->uring, &cqe, &ts);
		} else {
			ret = io_uring_wait_cqe(&p->uring, &cqe);
		}
		if (ret < 0 && ret != -EINTR && ret != -ETIME && ret != -EAGAIN) {
			vlog_err("pump: waiting on io_uring failed (%d)", ret);
			struct timespec pause = {.tv_nsec = 1000000};
			nanosleep(&pause, NULL);
		}
	}
	return NULL;
}

static int pump_pick_mode(struct pump *p)
{
	struct gpu *g = p->gpu;
	uint64_t need = (uint64_t)p->cfg.slots * ((uint64_t)p->cfg.chunk + arena_tail(p->cfg.chunk));

	switch (p->cfg.kernel) {
	case PUMP_KERNEL_PERSISTENT:
		if (g->is_cpu) {
			vlog_err("kernel=persistent: %s is a CPU device, where a spinning kernel "
				 "cannot run (lavapipe caps loops); use kernel=relaunch",
				 g->name);
			return -ENOTSUP;
		}
		if (g->bar_bytes < need) {
			vlog_err("kernel=persistent: %s has no DEVICE_LOCAL|HOST_VISIBLE heap of "
				 "%llu MiB; use kernel=relaunch or fewer slots",
				 g->name, (unsigned long long)(need >> 20));
			return -ENOTSUP;
		}
		p->mode = RING_PERSISTENT;
		break;
	case PUMP_KERNEL_RELAUNCH:
		p->mode = RING_RELAUNCH;
		break;
	default:
		/*
		 * Relaunch, by measurement: on both GPUs measured (H100, H200)
		 * it scans faster, 37 vs 30 and 42 vs 33 GB/s, with the same
		 * small-job latency (H200 p50 161 vs 175 us). The persistent
		 * kernel's arena is in BAR, and CPU writes into BAR cap at
		 * ~34 GB/s while the GPU reads host memory at ~48
		 * (ARCHITECTURE.md, platform fact 9). Persistent stays for
		 * kernel=persistent.
		 */
		p->mode = RING_RELAUNCH;
		break;
	}
	return 0;
}

/*
 * The file cache, sized by cache=: SIZE is the file bytes it holds, in
 * whole chunks (cache=8M at chunk=4M: two), each in a cache slot of an
 * arena region (the chunk, its tail window and a page: 4.07 MiB at
 * chunk=4M), so its device memory (cache_capacity) is a little more than
 * SIZE. auto: half the device's largest device-local heap; on a CPU
 * device (lavapipe: that heap is the host's memory) an eighth of it, at
 * most 1 GiB; there SIZE is device memory, regions included.
 */
static int pump_cache_slots(struct pump *p, uint64_t *nslots)
{
	uint64_t bytes = p->cfg.cache_bytes, heap = 0;

	*nslots = 0;
	if (!bytes)
		return 0;
	for (uint32_t i = 0; i < p->gpu->mem.memoryHeapCount; i++)
		if ((p->gpu->mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
		    p->gpu->mem.memoryHeaps[i].size > heap)
			heap = p->gpu->mem.memoryHeaps[i].size;
	if (bytes == PUMP_CACHE_AUTO) {
		bytes = p->gpu->is_cpu ? heap / 8 : heap / 2;
		if (p->gpu->is_cpu && bytes > (1ull << 30))
			bytes = 1ull << 30;
		*nslots = bytes / p->arena.region;
	} else {
		*nslots = bytes / p->cfg.chunk;
	}
	if (!*nslots) {
		vlog_err("pump: cache=%llu holds not one chunk of %llu bytes and its tail window "
			 "(try cache=%lluM or more)",
			 (unsigned long long)bytes, (unsigned long long)p->arena.region,
			 (unsigned long long)((p->arena.region >> 20) + 1));
		return -EINVAL;
	}
	/* no larger than the heap: asking for more is invalid usage, not a failure */
	if (*nslots > heap / p->arena.region) {
		vlog_err("pump: cache=%llu: more than the device's %llu MiB: trying that",
			 (unsigned long long)bytes, (unsigned long long)(heap >> 20));
		*nslots = heap / p->arena.region;
	}
	if (*nslots > UINT32_MAX - 1)
		*nslots = UINT32_MAX - 1;
	if (!*nslots)
		vlog_err("pump: no device-local heap holds one chunk: running without a cache");
	return 0;
}

/*
 * The cache with nslots slots, or as many as the device gives: an
 * allocation the device refuses (VK_ERROR_OUT_OF_DEVICE_MEMORY, -ENOSPC,
 * or -ENOMEM) is asked again at half the size, down to one slot, and
 * without even that the unit runs without a cache (a cap larger than the
 * device, or memory another process holds, never fails the mount).
 * VYRE_FAULT_CACHE_ALLOC=N (tests only): the first N allocations fail.
 */
static int pump_cache_open(struct pump *p, uint64_t nslots)
{
	int ret = -ENOSPC;

	for (; nslots; nslots /= 2) {
		if (p->fault_cache_alloc) {
			p->fault_cache_alloc--;
			ret = -ENOSPC;
		} else {
			ret = cache_create(p->gpu, (uint32_t)nslots, p->arena.region, &p->cache);
		}
		if (ret != -ENOSPC && ret != -ENOMEM)
			break;
		vlog_err("pump: file cache: %llu MiB of device memory unavailable (%d): "
			 "trying half", (unsigned long long)((nslots * p->arena.region) >> 20), ret);
	}
	if (ret == -ENOSPC || ret == -ENOMEM) {
		vlog_err("pump: no device memory for one chunk of file cache: running without");
		return 0;
	}
	if (!ret)
		vlog_info("pump: file cache of %llu MiB, %u chunks in %u blocks",
			  (unsigned long long)(((uint64_t)p->cache->nslots * p->arena.region) >> 20),
			  p->cache->nslots, p->cache->nblocks);
	return ret;
}

/*
 * The ring after the cache (it names the cache's address). The ring's own
 * buffers are device memory too: if the device refuses them, the cache
 * gives half its room back and the ring is asked again, so a large
 * cache= never keeps the unit from running.
 */
static int pump_ring_open(struct pump *p)
{
	uint64_t nslots;
	int ret = pump_cache_slots(p, &nslots);

	while (!ret) {
		ret = nslots ? pump_cache_open(p, nslots) : 0;
		if (ret)
			break;
		ret = ring_create_cached(p->gpu, p->cfg.slots, p->cfg.chunk, p->mode,
					 p->arena.buf.addr, p->cache ? p->cache->shift : 0, &p->ring);
		if (!ret && p->cache) /* before the first slot (ring_cache_block) */
			for (uint32_t b = 0; b < p->cache->nblocks; b++)
				ring_cache_block(p->ring, b, p->cache->blocks[b].buf.addr);
		if ((ret != -ENOSPC && ret != -ENOMEM) || !p->cache)
			break;
		nslots = p->cache->nslots / 2;
		vlog_err("pump: the ring's device memory unavailable (%d) beside a file cache of "
			 "%u chunks: the cache gives half back", ret, p->cache->nslots);
		cache_destroy(p->gpu, &p->cache);
		ret = 0;
	}
	return ret;
}

int pump_create(const struct pump_config *cfg, struct pump **out)
{
	struct pump *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	p->efd = -1;
	p->submitted_tail = &p->submitted;
	pthread_mutex_init(&p->qlock, NULL);
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* pump_job_wait's clock */
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	p->t_start_ns = pump_now_ns();
	ret = watchdog_init(p);
	if (ret)
		goto out_destroy;
	if (!cfg->slots || cfg->slots > PUMP_SLOTS_MAX || cfg->chunk < PUMP_CHUNK_MIN ||
	    cfg->chunk > PUMP_CHUNK_MAX || (cfg->chunk & (cfg->chunk - 1))) {
		vlog_err("pump: slots=%u chunk=%u out of range (slots 1-%u, chunk a power of two "
			 "4K-64M)",
			 cfg->slots, cfg->chunk, PUMP_SLOTS_MAX);
		ret = -EINVAL;
		goto out_destroy;
	}
	ret = gpu_open(cfg->device, &p->gpu);
	if (ret)
		goto out_destroy;
	ret = pump_pick_mode(p);
	if (ret)
		goto out_destroy;
	ret = arena_create(p->gpu, cfg->slots, cfg->chunk, p->mode == RING_PERSISTENT, &p->arena);
	if (ret)
		goto out_destroy;
	p->gpu->debug_cap = cfg->debug; /* the debug pipeline variant (debug_ring.c) */
	ret = pump_ring_open(p);
	if (!ret)
		ret = budget_init(p);
	if (!ret)
		ret = debug_ring_create(p);
	if (ret)
		goto out_destroy;
	ret = uring_open(p);
	if (ret)
		goto out_destroy;
	/* measured: IOSQE_ASYNC pays on 16 cores, not on 2 (ARCHITECTURE.md, fact 5) */
	p->async = cfg->async < 0 ? sysconf(_SC_NPROCESSORS_ONLN) > 4 : cfg->async;
	p->pack_async = p->async && getenv("VYRE_PACK_ASYNC") && !strcmp(getenv("VYRE_PACK_ASYNC"), "1");
	if (p->registered)
		p->ingest = p->async ? "read_fixed_async+host_import" : "read_fixed+host_import";
	else
		p->ingest = p->async ? "read_async+bar" : "read+bar";
	p->efd = eventfd(0, EFD_CLOEXEC);
	p->slots = calloc(cfg->slots, sizeof(*p->slots));
	p->batch_free = calloc(VYRE_MAX_BATCHES, sizeof(*p->batch_free));
	if (!p->arena.host) {
		p->bounce = malloc(PUMP_INLINE_READ_MAX);
		/* touched now: a RWF_NOWAIT read into pages not yet faulted in
		 * failed EAGAIN on tmpfs every time (read_us 213 on the H200) */
		if (p->bounce)
			memset(p->bounce, 0, PUMP_INLINE_READ_MAX);
	}
	if (p->efd < 0 || !p->slots || !p->batch_free || (!p->arena.host && !p->bounce)) {
		ret = -ENOMEM;
		goto out_destroy;
	}
	p->slots_free = cfg->slots;
	for (uint32_t i = 0; i < p->batches; i++)
		p->batch_free[p->nbatch_free++] = p->batches - 1 - i;
	ret = -pthread_create(&p->thread, NULL, pump_thread, p);
	if (ret)
		goto out_destroy;
	p->thread_started = true;
	vlog_info("pump: %s (%s), kernel=%s, ingest=%s, slots=%u chunk=%u KiB", p->gpu->name,
		  p->gpu->driver, p->mode == RING_PERSISTENT ? "persistent" : "relaunch", p->ingest,
		  cfg->slots, cfg->chunk >> 10);
	*out = p;
	return 0;
out_destroy:
	pump_destroy(&p);
	return ret;
}

static void pump_wake(struct pump *p)
{
	uint64_t one = 1;

	if (write(p->efd, &one, sizeof(one)) < 0)
		vlog_err("pump: eventfd write failed");
}

/*
 * Stops admission, cancels what is queued or running (their fences still
 * complete, so every slot comes back), then releases the GPU.
 */
void pump_destroy(struct pump **pp)
{
	struct pump *p = *pp;
	bool hung = false;

	if (!p)
		return;
	if (p->thread_started) {
		pthread_mutex_lock(&p->qlock);
		atomic_store_explicit(&p->stopping, true, memory_order_release);
		p->t_stop_ns = pump_now_ns();
		for (struct pump_job *j = p->submitted; j; j = j->next)
			j->cancel = true;
		pthread_mutex_unlock(&p->qlock);
		pump_wake(p);
		pthread_join(p->thread, NULL);
	}
	if (p->ring && ring_destroy(&p->ring) == -ETIMEDOUT)
		hung = true;
	debug_ring_destroy(p);
	uring_close(p);
	/*
	 * A slot abandoned at a read's deadline (pump_read_deadlines) holds its
	 * job until the read comes back, and one that never does came back
	 * to no one: the job, its files' fds and its owner leaked at every
	 * unmount after a hung read (issue 21). The ring is gone, so nothing
	 * completes into a slot now; likewise slots a hung device left out.
	 */
	for (uint32_t i = 0; p->slots && i < p->cfg.slots; i++)
		if (p->slots[i].job)
			job_drop(&p->slots[i].job);
	while (p->active) { /* the active list's references, likewise */
		struct pump_job *j = p->active;
		p->active = j->next;
		job_drop(&j);
	}
	if (p->gpu && hung) {
		/* the hung kernel may still read the arena; the process is ending */
		vlog_err("pump: leaving the arena and the device of a hung GPU");
	} else if (p->gpu) {
		cache_destroy(p->gpu, &p->cache);
		arena_destroy(p->gpu, &p->arena);
		gpu_close(&p->gpu);
	}
	budget_fini(p);
	if (p->efd >= 0)
		close(p->efd);
	while (p->tallies) {
		struct pump_tally *t = p->tallies;
		p->tallies = t->next;
		free(t);
	}
	while (p->owners) { /* left only when a hung device made the thread give up */
		struct pump_share *o = p->owners;
		p->owners = o->next;
		free(o);
	}
	while (p->flows) { /* likewise */
		struct pump_share *f = p->flows;
		p->flows = f->next;
		free(f);
	}
	free(p->slots);
	free(p->batch_free);
	free(p->bounce);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->qlock);
	free(p);
	*pp = NULL;
}

/*
 * Under qlock only: a submitter (a FUSE thread, a walker, a compile
 * worker) never waits for the pump thread's job-state holds. The job
 * counts as active through queued until the pump thread takes it.
 */
int pump_queue(struct pump *p, struct pump_job *j)
{
	pthread_mutex_lock(&p->qlock);
	if (pump_is_stopping(p) || pump_is_dead(p)) {
		int ret = pump_is_stopping(p) ? -ESHUTDOWN : -ETIMEDOUT;
		pthread_mutex_unlock(&p->qlock);
		return ret;
	}
	j->next = NULL;
	*p->submitted_tail = j;
	p->submitted_tail = &j->next;
	/* pairs with pump_spin_for_work's acquire load */
	atomic_fetch_add_explicit(&p->queued, 1, memory_order_release);
	pthread_mutex_unlock(&p->qlock);
	pump_wake(p);
	return 0;
}

/*
 * Queued (queued: added under qlock, taken under lock together with
 * jobs_taken's add, so under lock the sum never skips a job) or taken and
 * not ended.
 */
uint64_t pump_jobs_active_locked(struct pump *p)
{
	return p->jobs_taken + atomic_load_explicit(&p->queued, memory_order_relaxed);
}

void pump_kick(struct pump *p)
{
	pump_wake(p);
}

bool pump_cache_holds(struct pump *p, const struct cache_ident *id, uint64_t off)
{
	return p->cache && p->thread_started && pthread_equal(pthread_self(), p->thread) &&
	       cache_holds(p->cache, id, off);
}

/* drop-cache on this unit: pump_take_submitted does it on the pump thread. */
int pump_cache_drop(struct pump *p)
{
	struct timespec until;
	uint64_t want;
	int ret = 0;

	if (!p->cache)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &until); /* p->cond's clock */
	until.tv_sec += 5;
	pthread_mutex_lock(&p->lock);
	want = ++p->cache_drop_req;
	pthread_mutex_unlock(&p->lock);
	pump_wake(p);
	pthread_mutex_lock(&p->lock);
	while (p->cache_drop_done < want && !pump_is_stopping(p) && !ret)
		ret = -pthread_cond_timedwait(&p->cond, &p->lock, &until);
	pthread_mutex_unlock(&p->lock);
	return ret == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

static __thread int64_t pump_viewer = -1;

void pump_info_viewer(int64_t owner)
{
	pump_viewer = owner;
}

void pump_info(struct pump *p, struct pump_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->device, sizeof(info->device), "%s", p->gpu->name);
	snprintf(info->driver, sizeof(info->driver), "%s", p->gpu->driver);
	info->ingest = p->ingest;
	info->kernel_mode = p->mode == RING_PERSISTENT ? "persistent" : "relaunch";
	info->slots = p->cfg.slots;
	info->chunk = p->cfg.chunk;
	info->epoch = ring_epoch(p->ring);

	pthread_mutex_lock(&p->lock);
	info->slots_reading = p->slots_reading;
	info->slots_published = p->slots_published;
	info->slots_free = p->cfg.slots - p->slots_reading - p->slots_published;
	info->jobs_active = pump_jobs_active_locked(p);
	info->jobs_done = p->jobs_done;
	info->jobs_failed = p->jobs_failed;
	info->chunks_done = p->chunks_done;
	info->chunks_failed = p->chunks_failed;
	info->bytes_scanned = p->bytes_scanned;
	info->reruns = p->reruns;
	if (pump_viewer >= 0) {
		const struct pump_tally *t = p->tallies;
		while (t && t->owner != (uint32_t)pump_viewer)
			t = t->next;
		info->chunks_done = t ? t->chunks_done : 0;
		info->chunks_failed = t ? t->chunks_failed : 0;
		info->bytes_scanned = t ? t->bytes : 0;
		info->cache_hits = t ? t->cache_hits : 0;
		info->cache_misses = t ? t->cache_misses : 0;
		info->reruns = t ? t->reruns : 0;
		if (t)
			memcpy(info->op_exec, t->op_exec, sizeof(info->op_exec));
	} else {
		pump_count_ops_locked(p); /* up to the GPU's latest counts */
		memcpy(info->op_exec, p->op_exec, sizeof(info->op_exec));
		if (p->cache) {
			info->cache_bytes = atomic_load_explicit(&p->cache->bytes, memory_order_relaxed);
			info->cache_hits = atomic_load_explicit(&p->cache->hits, memory_order_relaxed);
			info->cache_misses =
				atomic_load_explicit(&p->cache->misses, memory_order_relaxed);
			info->cache_evictions =
				atomic_load_explicit(&p->cache->evictions, memory_order_relaxed);
		}
	}
	if (p->cache) { /* what the device lent: no user's business */
		info->cache_capacity =
			atomic_load_explicit(&p->cache->capacity, memory_order_relaxed);
		info->cache_shrinks = atomic_load_explicit(&p->cache->shrinks, memory_order_relaxed);
	}
	pthread_mutex_unlock(&p->lock);
	info->launches = ring_launches(p->ring);
	info->dead = pump_is_dead(p);
	/* the GPU moves slots PUBLISHED -> CLAIMED; read its word */
	for (uint32_t s = 0; s < p->cfg.slots; s++)
		if (ring_status_word(p->ring, s) == VYRE_SLOT_CLAIMED)
			info->slots_claimed++;
	if (info->slots_claimed > info->slots_published)
		info->slots_claimed = info->slots_published;
	info->slots_published -= info->slots_claimed;
}
