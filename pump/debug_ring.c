// SPDX-License-Identifier: MIT
/*
 * debug_ring.c - the GPU's debug records (mount option gpu_debug;
 * vyre-runtime's PRINTF): the pump thread drains the kernel's ring
 * (vyre_abi.h, VYRE_DBG_*) into a host buffer of the newest
 * DEBUG_KEEP records, which the top-level debug file shows. Lossy by
 * design, never a wait: a record the GPU overwrote before the pump took
 * it, or one pushed out of the host buffer, is counted in dropped. Below
 * unit.c; calls only ring.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug_ring.h"

#define DEBUG_KEEP	4096u /* records the host keeps, newest */
#define DEBUG_DRAIN_MAX 256u  /* records one drain takes: the loop comes back soon */

struct debug_rec {
	uint32_t n; /* the GPU's record number (mod 2^32) */
	uint32_t w[VYRE_DBG_REC_WORDS];
};

/* One unit's; the pump thread drains, readers copy under p->lock. */
struct debug_ring {
	uint32_t tail; /* pump thread: the next record number to take */
	/* under p->lock */
	struct debug_rec keep[DEBUG_KEEP]; /* a ring: first, n */
	uint32_t first, n;
	uint64_t taken, dropped;
};

/* The name of each format and of its four values (vyre_abi.h, VYRE_DBG_*). */
static const struct {
	const char *name;
	const char *vals[VYRE_DBG_VALUES];
} debug_fmts[VYRE_DBG_FORMATS] = {
    [VYRE_DBG_SLOT_DONE] = {"slot_done", {"status", "result", "seq", "batch"}},
    [VYRE_DBG_GREP_TILE] = {"grep_tile", {"tile", "nl", "resume", "seq"}},
    [VYRE_DBG_GREP_OPEN] = {"grep_open", {"start", "pos", "state", "seq"}},
};

int debug_ring_create(struct pump *p)
{
	if (!p->cfg.debug)
		return 0;
	p->dbg = calloc(1, sizeof(*p->dbg));
	return p->dbg ? 0 : -ENOMEM;
}

void debug_ring_destroy(struct pump *p)
{
	free(p->dbg);
	p->dbg = NULL;
}

static uint32_t debug_load(const uint32_t *w)
{
	return atomic_load_explicit((_Atomic uint32_t *)w, memory_order_acquire);
}

/*
 * A record's three 16-byte parts each carry its tag (vyre_abi.h,
 * VYRE_DBG_*): 1 when all three show record n's, 0 when one is not
 * written yet (an earlier number: wait for it), -1 when one shows a later
 * number (overwritten a lap later: dropped).
 */
static int debug_tagged(const uint32_t *w, uint32_t n)
{
	int ret = 1;

	for (uint32_t i = 0; i < VYRE_DBG_REC_WORDS; i += 4) {
		uint32_t t = w[VYRE_DBG_R_TAG + i];
		if (t == n + 1)
			continue;
		if ((int32_t)(t - (n + 1)) > 0)
			return -1;
		ret = 0;
	}
	return ret;
}

/* Takes the records the GPU has completed since the last drain. */
void debug_ring_drain(struct pump *p)
{
	const uint32_t *w = ring_debug(p->ring);
	struct debug_ring *d = p->dbg;
	uint32_t cap = p->gpu->debug_cap, head, lost = 0, got = 0;
	struct debug_rec batch[DEBUG_DRAIN_MAX];

	if (!w || !d)
		return;
	head = debug_load(w + VYRE_DBG_HEAD);
	while (d->tail != head && got < DEBUG_DRAIN_MAX) {
		if (head - d->tail > cap) { /* lapped: those are gone */
			lost += head - d->tail - cap;
			d->tail = head - cap;
			continue;
		}
		const uint32_t *r =
		    w + VYRE_DBG_HDR_WORDS + (size_t)(d->tail & (cap - 1)) * VYRE_DBG_REC_WORDS;
		struct debug_rec *b = &batch[got];
		for (uint32_t i = 0; i < VYRE_DBG_REC_WORDS; i++)
			b->w[i] = debug_load(r + i);
		int t = debug_tagged(b->w, d->tail);
		if (!t)
			break; /* not all written yet: the next drain */
		b->n = d->tail++;
		if (t > 0)
			got++;
		else
			lost++;
	}
	if (!got && !lost)
		return;
	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; i < got; i++) {
		if (d->n == DEBUG_KEEP) { /* the oldest makes room */
			d->first = (d->first + 1) % DEBUG_KEEP;
			d->n--;
			d->dropped++;
		}
		d->keep[(d->first + d->n++) % DEBUG_KEEP] = batch[i];
	}
	d->taken += got;
	d->dropped += lost;
	pthread_mutex_unlock(&p->lock);
}

int debug_ring_text(struct pump *p, uint32_t unit, FILE *f)
{
	struct debug_ring *d = p->dbg;
	struct debug_rec *copy;
	uint32_t n;
	uint64_t taken, dropped;

	if (!d)
		return -ENODATA;
	copy = malloc(sizeof(d->keep));
	if (!copy)
		return -ENOMEM;
	pthread_mutex_lock(&p->lock);
	n = d->n;
	for (uint32_t i = 0; i < n; i++)
		copy[i] = d->keep[(d->first + i) % DEBUG_KEEP];
	taken = d->taken;
	dropped = d->dropped;
	pthread_mutex_unlock(&p->lock);
	fprintf(f, "unit %" PRIu32 " taken %" PRIu64 " dropped %" PRIu64 " kept %" PRIu32 "\n",
		unit, taken, dropped, n);
	for (uint32_t i = 0; i < n; i++) {
		const uint32_t *w = copy[i].w;
		uint32_t fmt = w[VYRE_DBG_R_OPFMT] & 0xFFFFu;
		fprintf(f,
			"rec unit=%" PRIu32 " n=%" PRIu32 " op=0x%" PRIx32 " fmt=%s slot=%" PRIu32
			" lane=%" PRIu32,
			unit, copy[i].n, w[VYRE_DBG_R_OPFMT] >> 16,
			fmt < VYRE_DBG_FORMATS && debug_fmts[fmt].name ? debug_fmts[fmt].name : "?",
			w[VYRE_DBG_R_SLOT], w[VYRE_DBG_R_LANE]);
		for (uint32_t v = 0; v < VYRE_DBG_VALUES; v++)
			fprintf(f, " %s=%" PRIu32,
				fmt < VYRE_DBG_FORMATS && debug_fmts[fmt].name
				    ? debug_fmts[fmt].vals[v]
				    : "v",
				w[v < 3 ? 5 + v : 9]);
		fputc('\n', f);
	}
	free(copy);
	return ferror(f) ? -EIO : 0;
}
