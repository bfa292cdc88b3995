/* SPDX-License-Identifier: MIT */
/*
 * debug_ring.h - the GPU's debug records, drained by the pump thread
 * (debug_ring.c; mount option gpu_debug). Private to pump/.
 */
#ifndef VYRE_DEBUG_RING_H
#define VYRE_DEBUG_RING_H

#include <stdio.h>

#include "pump_priv.h"

/* With cfg.debug: p->dbg (0 or -ENOMEM); destroy frees it. */
int debug_ring_create(struct pump *p);
void debug_ring_destroy(struct pump *p);
/* Pump thread: the ring's completed records into the host buffer. */
void debug_ring_drain(struct pump *p);
/* Any thread: the unit's counts and kept records as text; -ENODATA without gpu_debug. */
int debug_ring_text(struct pump *p, uint32_t unit, FILE *f);

#endif
