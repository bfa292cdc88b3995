/* SPDX-License-Identifier: MIT */
/*
 * trace.h - a job's slot trace and its replay (vyre-runtime's RingLog),
 * private to pump/ (trace.c). README.md "Traces and replay" is the format.
 *
 * Recording: a job submitted with pump_scan.trace keeps one record per slot
 * it publishes (args, chunk, times) and fills in the slot's result words
 * when it is harvested. Replay: a job submitted with pump_scan.replay
 * publishes exactly the given slots (each chunk read again from the file),
 * none of its op's own planning, and records them as a traced job does.
 * Pump thread, except pump_job_trace (any thread, under p->lock).
 */
#ifndef VYRE_TRACE_H
#define VYRE_TRACE_H

#include "pump_priv.h"

/* Records a job keeps at most; past it they are counted as dropped. */
#define TRACE_RECORDS_MAX 16384u

/* At submit: j->trace from the scan (trace, replay); 0 or -ENOMEM/-EINVAL. */
int trace_create(struct pump *p, struct pump_job *j, const struct pump_scan *scan);
void trace_free(struct pump_job *j);

/* A slot of a traced job went on the ring with w (after ring_publish). */
void trace_publish(struct pump *p, uint32_t slot, const struct ring_work *w);
/* Its completion d, harvested; j is the slot's job (held by the caller). */
void trace_done(struct pump *p, struct pump_job *j, const struct ring_done *d);
/* Notes when traced slots out are first seen claimed (a few status reads). */
void trace_poll(struct pump *p);

/* Replay: slots left to read; the next one into s; its ring work. */
bool trace_replay_left(const struct pump_job *j);
void trace_replay_chunk(struct pump_job *j, struct pump_slot *s);
int trace_replay_work(struct pump *p, uint32_t slot, struct ring_work *w);

#endif
