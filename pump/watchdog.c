// SPDX-License-Identifier: MIT
/*
 * watchdog.c - the GPU's progress watchdog, a unit's death, and fault
 * injection (tests only). ARCHITECTURE.md "When the GPU stops answering".
 */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "pump_priv.h"

/* the watchdog samples the ring's signs of life at most this often */
#define PUMP_WD_EVERY_NS (50ull * 1000000ull)
/*
 * A unit's first launch may spend its first seconds in the driver, not on
 * the device: lavapipe (llvmpipe) JIT-compiles the megakernel at its first
 * dispatch, 4-12 s on a loaded 2-core machine, before any tile is claimed.
 * Until the first launch shows a sign of life the clock allows this much.
 */
#define PUMP_WD_FIRST_LAUNCH_NS (120ull * 1000000000ull)

bool pump_dead(struct pump *p)
{
	return pump_is_dead(p);
}

/*
 * The GPU made no progress for gpu_timeout with work out. Every slot out
 * is ended by the host as failed ETIMEDOUT (through the harvest path, so
 * ops, folds and fences see an ordinary failed slot) and the unit is dead
 * for good: its slots may still be read or written by a GPU that wakes,
 * so none is published again (pump_admit_dead, pump_publish_read), and
 * pump_queue refuses new jobs.
 */
static int pump_die(struct pump *p, uint64_t quiet_ns)
{
	uint32_t out = ring_outstanding(p->ring);

	pthread_mutex_lock(&p->lock); /* pump_queue checks it under the lock */
	atomic_store_explicit(&p->dead, true, memory_order_release);
	pthread_mutex_unlock(&p->lock);
	vlog_err("pump: %s: no GPU progress for %llu ms with %u slots out (gpu_timeout=%u); "
		 "this unit is dead: its jobs fail with ETIMEDOUT and new jobs are refused. Check "
		 "the device (dmesg, its driver), then remount; if it is only slow, mount with a "
		 "larger gpu_timeout=MS",
		 p->gpu->name, (unsigned long long)(quiet_ns / 1000000), out, p->cfg.gpu_timeout);
	return ring_abandon(p->ring, ETIMEDOUT, pump_harvest_one, p);
}

/*
 * Runs every pass of the pump thread. Progress is a harvested slot, or
 * any sign of life the ring shows (ring_life: a relaunch, a tile claimed,
 * a slot done, a persistent kernel's heartbeat): so a dispatch that runs
 * for seconds on lavapipe, its tiles being claimed one after another, is
 * alive. The signs cost device reads, so they are sampled only after
 * wd_every_ns without a harvest; with no work out the clock does not run
 * (an idle persistent kernel is never dead). Returns the slots it ended:
 * progress, so the thread makes another pass (their jobs end in it).
 */
int pump_watchdog(struct pump *p, uint64_t now, int harvested)
{
	struct ring_life life;

	if (harvested || !ring_outstanding(p->ring)) {
		p->wd_since_ns = 0;
		return 0;
	}
	if (!p->wd_since_ns) {
		p->wd_since_ns = p->wd_sample_ns = now;
		ring_life(p->ring, &p->wd_life);
		return 0;
	}
	if (now - p->wd_sample_ns < p->wd_every_ns)
		return 0;
	p->wd_sample_ns = now;
	ring_life(p->ring, &life);
	if (life.launches != p->wd_life.launches || life.heartbeat != p->wd_life.heartbeat ||
	    life.done != p->wd_life.done || life.claims != p->wd_life.claims) {
		p->wd_life = life;
		p->wd_since_ns = now;
		return 0;
	}
	uint64_t timeout = p->wd_timeout_ns;
	/* launched once (a stalled fault launches never) and never seen alive */
	if (life.launches == 1 && !life.done && !life.claims && !life.heartbeat &&
	    timeout < PUMP_WD_FIRST_LAUNCH_NS)
		timeout = PUMP_WD_FIRST_LAUNCH_NS;
	if (now - p->wd_since_ns < timeout)
		return 0;
	return pump_die(p, now - p->wd_since_ns);
}

/*
 * VYRE_FAULT_GPU_STALL_AFTER=N (tests only): after N launches the pump
 * launches nothing more, so the published work is simply never done, as
 * on a GPU that stopped answering. One branch when unset.
 */
bool pump_fault_stalled(struct pump *p)
{
	if (!p->fault_stall || ring_launches(p->ring) < p->fault_stall_after)
		return false;
	if (!p->fault_stalled) {
		vlog_info("pump: fault injection: %llu launches made, no more",
			  (unsigned long long)p->fault_stall_after);
		p->fault_stalled = true;
	}
	return true;
}

/*
 * VYRE_FAULT_GPU_STALL_AFTER=N, read once: a number, or the pump does not
 * start. VYRE_FAULT_GPU_STALL_UNIT=K stalls unit K alone (units.bats).
 */
static int pump_fault_config(struct pump *p)
{
	const char *s = getenv("VYRE_FAULT_GPU_STALL_AFTER");
	const char *unit = getenv("VYRE_FAULT_GPU_STALL_UNIT");
	const char *rt = getenv("VYRE_READ_TIMEOUT_MS"); /* tests only */
	const char *pf = getenv("VYRE_FAULT_PUBLISH_FAIL"); /* tests only */
	const char *nb = getenv("VYRE_BATCHES"); /* tests only: fewer batch ids */
	const char *ca = getenv("VYRE_FAULT_CACHE_ALLOC"); /* tests only */
	char *end;

	p->read_timeout_ns = PUMP_READ_TIMEOUT_NS;
	if (rt) {
		errno = 0;
		unsigned long long ms = strtoull(rt, &end, 10);
		if (errno || end == rt || *end || *rt == '-' || !ms) {
			vlog_err("pump: VYRE_READ_TIMEOUT_MS=%s: must be a number of ms", rt);
			return -EINVAL;
		}
		p->read_timeout_ns = ms * 1000000ull;
	}
	if (pf) {
		errno = 0;
		p->fault_publish_fail = strtoull(pf, &end, 10);
		if (errno || end == pf || *end || *pf == '-') {
			vlog_err("pump: VYRE_FAULT_PUBLISH_FAIL=%s: must be a number of publishes",
				 pf);
			return -EINVAL;
		}
	}

	if (ca) {
		errno = 0;
		p->fault_cache_alloc = strtoull(ca, &end, 10);
		if (errno || end == ca || *end || *ca == '-') {
			vlog_err("pump: VYRE_FAULT_CACHE_ALLOC=%s: must be a number of allocations",
				 ca);
			return -EINVAL;
		}
	}

	p->batches = VYRE_MAX_BATCHES;
	if (nb) {
		errno = 0;
		unsigned long n = strtoul(nb, &end, 10);
		if (errno || end == nb || *end || *nb == '-' || !n || n > VYRE_MAX_BATCHES) {
			vlog_err("pump: VYRE_BATCHES=%s: must be a number of batch ids, 1-%u", nb,
				 VYRE_MAX_BATCHES);
			return -EINVAL;
		}
		p->batches = (uint32_t)n;
	}

	if (!s || (unit && strtoul(unit, NULL, 10) != p->cfg.unit))
		return 0;
	errno = 0;
	p->fault_stall_after = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		vlog_err("pump: VYRE_FAULT_GPU_STALL_AFTER=%s: must be a number of launches", s);
		return -EINVAL;
	}
	p->fault_stall = true;
	vlog_info("pump: fault injection (tests only): no launch after %llu",
		  (unsigned long long)p->fault_stall_after);
	return 0;
}

/* The watchdog's clock from gpu_timeout, and the test-only faults. */
int watchdog_init(struct pump *p)
{
	if (!p->cfg.gpu_timeout)
		p->cfg.gpu_timeout = PUMP_GPU_TIMEOUT_DEFAULT;
	p->wd_timeout_ns = (uint64_t)p->cfg.gpu_timeout * 1000000u;
	/* a sample costs a device read per slot out: a few per timeout suffice */
	p->wd_every_ns = p->wd_timeout_ns / 8;
	if (p->wd_every_ns > PUMP_WD_EVERY_NS)
		p->wd_every_ns = PUMP_WD_EVERY_NS;
	return pump_fault_config(p);
}
