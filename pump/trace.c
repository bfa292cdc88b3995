// SPDX-License-Identifier: MIT
/*
 * trace.c - a job's slot trace and its replay (vyre-runtime's RingLog;
 * README.md "Traces and replay" documents the text).
 *
 * A traced job (trace=1) keeps one record per slot it publishes: the
 * slot's words as published (opcode, args, tiles), the chunk (file offset,
 * length, tail window, an FNV-1a hash of its bytes), the times, and, once
 * harvested, the result words: status, error, result, the op's counters
 * and per op what else the slot reported (histogram: its bins; grep: the
 * chunk's '\n' count summed over its tiles, or a continuation's four
 * words). A replay job publishes the slots of such a trace again, each
 * chunk read anew from the file, with the op's own planning bypassed
 * (admit.c, read.c, slot.c), and records them the same way: vyrectl
 * replay compares the two traces record by record.
 *
 * Records are written on the pump thread under p->lock (the readers'
 * lock, pump_job_trace), read by it without; bounded by TRACE_RECORDS_MAX
 * per job, the rest counted as dropped. Between slot.c and ring.c: calls
 * only ring.c and the arena.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

#define TRACE_NO_REF   UINT32_MAX
#define TRACE_HAS_BINS 1u
#define TRACE_HAS_NL   2u
#define TRACE_HAS_CONT 4u
#define TRACE_LOST     8u /* the op's output words never showed the slot's tag */

struct trace_rec {
	uint32_t ref; /* replay: the replayed trace's record; else TRACE_NO_REF */
	uint32_t slot, kind, opcode, arg0, arg1, tiles, uid, tenant, seq;
	uint32_t file, len, tail;
	uint64_t off, fnv;
	uint64_t t_pub, t_claim, t_done; /* ns since the job's submit; claim 0: never seen */
	uint32_t epoch, status, error, result, op[VYRE_OP_WORDS];
	uint64_t bins;	  /* TRACE_HAS_BINS: FNV-1a of the 256 bins */
	uint32_t nl;	  /* TRACE_HAS_NL */
	uint32_t cont[4]; /* TRACE_HAS_CONT: kind, selected, position, state */
	uint32_t has;
	bool done;
};

/* One job's; allocated at submit (trace_create), freed with the job. */
struct trace {
	struct trace_rec *rec; /* n of cap; grows under p->lock */
	uint32_t n, cap;
	uint64_t dropped;
	uint32_t nslots;
	uint32_t *slot_rec;		 /* per ring slot: its open record + 1; 0: none */
	uint32_t *slot_ref;		 /* per ring slot: the replayed record it runs */
	struct pump_replay_slot *replay; /* a replay job's slots, next to read */
	uint32_t nreplay, next;
};

static const char *const trace_kinds[] = {
    [PSLOT_CHUNK] = "chunk",
    [PSLOT_PACKED] = "packed",
    [PSLOT_OPREAD] = "opread",
    [PSLOT_FENCE] = "fence",
};
_Static_assert(sizeof(trace_kinds) / sizeof(trace_kinds[0]) == PSLOT_FENCE + 1,
	       "a name for every slot kind");

static uint64_t trace_fnv(uint64_t h, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}
#define TRACE_FNV_INIT 0xcbf29ce484222325ull

int trace_create(struct pump *p, struct pump_job *j, const struct pump_scan *scan)
{
	struct trace *t;
	uint64_t room = p->arena.region;

	if (!scan->trace && !scan->nreplay)
		return 0;
	if (scan->nfiles) /* a packed job's slots are not replayed: not traced either */
		return -EINVAL;
	for (uint32_t i = 0; i < scan->nreplay; i++) {
		const struct pump_replay_slot *r = &scan->replay[i];
		uint32_t shift = r->tiles >> VYRE_TILE_SHIFT_POS;
		if (r->opcode != j->op->code || (uint64_t)r->len + r->tail + 4095 > room ||
		    shift < 12 || shift > 30)
			return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->nslots = p->cfg.slots;
	t->slot_rec = calloc(t->nslots, sizeof(*t->slot_rec));
	t->slot_ref = calloc(t->nslots, sizeof(*t->slot_ref));
	if (scan->nreplay)
		t->replay = malloc(scan->nreplay * sizeof(*t->replay));
	if (!t->slot_rec || !t->slot_ref || (scan->nreplay && !t->replay)) {
		j->trace = t;
		trace_free(j);
		return -ENOMEM;
	}
	if (scan->nreplay)
		memcpy(t->replay, scan->replay, scan->nreplay * sizeof(*t->replay));
	t->nreplay = scan->nreplay;
	for (uint32_t i = 0; i < t->nslots; i++)
		t->slot_ref[i] = TRACE_NO_REF;
	j->trace = t;
	return 0;
}

void trace_free(struct pump_job *j)
{
	struct trace *t = j->trace;

	if (!t)
		return;
	free(t->rec);
	free(t->slot_rec);
	free(t->slot_ref);
	free(t->replay);
	free(t);
	j->trace = NULL;
}

/* A new record (under p->lock): NULL once the job has its TRACE_RECORDS_MAX. */
static struct trace_rec *trace_add_locked(struct trace *t)
{
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? 2 * t->cap : 64;
		struct trace_rec *r;

		if (cap > TRACE_RECORDS_MAX)
			cap = TRACE_RECORDS_MAX;
		r = cap > t->cap ? realloc(t->rec, cap * sizeof(*r)) : NULL;
		if (!r) {
			t->dropped++;
			return NULL;
		}
		t->rec = r;
		t->cap = cap;
	}
	memset(&t->rec[t->n], 0, sizeof(t->rec[0]));
	return &t->rec[t->n++];
}

void trace_publish(struct pump *p, uint32_t slot, const struct ring_work *w)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	struct trace *t = j ? j->trace : NULL;
	struct trace_rec *r;
	uint64_t fnv = 0;

	if (!t)
		return;
	/* the bytes the GPU reads: the chunk and its tail (a packed slot's
	 * region holds its files and their table: not hashed) */
	if (s->kind == PSLOT_CHUNK || s->kind == PSLOT_OPREAD)
		fnv = trace_fnv(TRACE_FNV_INIT, arena_region(&p->arena, slot),
				(size_t)w->data_len + w->tail_len);
	uint32_t tiles = ring_slot_tiles(p->ring, slot);
	uint64_t now = pump_now_ns();

	pthread_mutex_lock(&p->lock);
	r = trace_add_locked(t);
	if (r) {
		r->ref = t->slot_ref[slot];
		r->slot = slot;
		r->kind = s->kind;
		r->opcode = w->opcode;
		r->arg0 = w->arg0;
		r->arg1 = w->arg1;
		r->tiles = tiles;
		r->uid = j->owner;
		r->tenant = w->tenant;
		r->seq = ring_slot_seq(p->ring, slot);
		r->file = s->kind == PSLOT_PACKED && j->pack_first ? j->pack_first[s->index] : 0;
		r->off = s->kind == PSLOT_FENCE ? 0 : s->file_off;
		r->len = w->data_len;
		r->tail = w->tail_len;
		r->fnv = fnv;
		r->t_pub = now - j->t_submit_ns;
	}
	pthread_mutex_unlock(&p->lock);
	t->slot_rec[slot] = r ? (uint32_t)(r - t->rec) + 1 : 0;
	t->slot_ref[slot] = TRACE_NO_REF;
	p->traced_out++;
}

/* A grep slot's own words (vyre_abi.h, "grep's per-slot output"), read only with its tag. */
static void trace_grep_out(const struct ring_done *d, uint32_t arg1, uint32_t tiles,
			   struct trace_rec *out)
{
	const uint32_t *o = d->out;

	if (arg1 & VYRE_GREP_F_CONT) {
		if ((o[VYRE_GO_CONT_KIND] >> VYRE_GO_CONT_KIND_BITS) !=
		    (VYRE_GO_TAG(d->seq) & (UINT32_MAX >> VYRE_GO_CONT_KIND_BITS))) {
			out->has |= TRACE_LOST;
			return;
		}
		out->cont[0] = o[VYRE_GO_CONT_KIND] & ((1u << VYRE_GO_CONT_KIND_BITS) - 1);
		out->cont[1] = o[VYRE_GO_CONT_SEL];
		out->cont[2] = o[VYRE_GO_CONT_POS];
		out->cont[3] = o[VYRE_GO_CONT_STATE];
		out->has |= TRACE_HAS_CONT;
		return;
	}
	uint32_t ntiles = tiles & VYRE_TILES_MASK, tag_mask = (1u << (32 - VYRE_GO_NL_BITS)) - 1;
	if (ntiles > VYRE_GREP_MAX_TILES)
		return;
	out->nl = 0;
	for (uint32_t i = 0; i < ntiles; i++) {
		uint32_t v = o[VYRE_GO_TILE_NL + i];
		if ((v >> VYRE_GO_NL_BITS) != (VYRE_GO_TAG(d->seq) & tag_mask)) {
			out->has |= TRACE_LOST;
			return;
		}
		out->nl += v & ((1u << VYRE_GO_NL_BITS) - 1);
	}
	out->has |= TRACE_HAS_NL;
}

void trace_done(struct pump *p, struct pump_job *j, const struct ring_done *d)
{
	struct trace *t = j->trace;
	struct trace_rec res = {0}, *r;
	uint32_t i, bins[VYRE_HIST_BINS];

	if (!t || d->slot >= t->nslots)
		return;
	i = t->slot_rec[d->slot];
	t->slot_rec[d->slot] = 0;
	p->traced_out--;
	if (!i--)
		return; /* dropped */
	r = &t->rec[i]; /* the pump thread writes records: read without the lock */
	if (d->status == VYRE_SLOT_DONE && r->kind != PSLOT_FENCE) {
		if (r->opcode == VYRE_OP_HISTOGRAM && !ring_done_bins(d, bins)) {
			res.bins = trace_fnv(TRACE_FNV_INIT, bins, sizeof(bins));
			res.has |= TRACE_HAS_BINS;
		}
		if (r->opcode == VYRE_OP_GREP && r->kind != PSLOT_PACKED)
			trace_grep_out(d, r->arg1, r->tiles, &res);
	}
	uint64_t now = pump_now_ns();
	uint32_t epoch = ring_epoch(p->ring);

	pthread_mutex_lock(&p->lock);
	r = &t->rec[i];
	r->t_done = now - j->t_submit_ns;
	r->epoch = r->kind == PSLOT_FENCE ? d->epoch : epoch;
	r->status = d->status;
	r->error = d->host_err ? (uint32_t)d->host_err : d->error;
	r->result = d->result;
	memcpy(r->op, d->op, sizeof(r->op));
	r->bins = res.bins;
	r->nl = res.nl;
	memcpy(r->cont, res.cont, sizeof(r->cont));
	r->has = res.has;
	r->done = true;
	pthread_mutex_unlock(&p->lock);
}

void trace_poll(struct pump *p)
{
	uint64_t now = 0;

	if (!p->traced_out)
		return;
	for (uint32_t slot = 0; slot < p->cfg.slots; slot++) {
		struct pump_slot *s = &p->slots[slot];
		struct trace *t = s->job ? s->job->trace : NULL;
		uint32_t i = t ? t->slot_rec[slot] : 0;

		if (!i || t->rec[i - 1].t_claim || s->state != PSLOT_PUBLISHED ||
		    ring_status_word(p->ring, slot) != VYRE_SLOT_CLAIMED)
			continue;
		if (!now)
			now = pump_now_ns();
		pthread_mutex_lock(&p->lock);
		t->rec[i - 1].t_claim = now - s->job->t_submit_ns;
		pthread_mutex_unlock(&p->lock);
	}
}

bool trace_replay_left(const struct pump_job *j)
{
	return j->trace && j->trace->next < j->trace->nreplay;
}

void trace_replay_chunk(struct pump_job *j, struct pump_slot *s)
{
	const struct pump_replay_slot *r = &j->trace->replay[j->trace->next];

	s->index = j->trace->next++;
	s->file_off = r->off;
	s->want = r->len + r->tail;
}

/* -ENODATA: the file no longer holds the slot's bytes (it is shorter than when traced). */
int trace_replay_work(struct pump *p, uint32_t slot, struct ring_work *w)
{
	struct pump_slot *s = &p->slots[slot];
	struct pump_job *j = s->job;
	const struct pump_replay_slot *r = &j->trace->replay[s->index];

	if (s->got < r->len + r->tail)
		return -ENODATA;
	*w = (struct ring_work){
	    .opcode = r->opcode,
	    .tenant = j->batch,
	    .arg0 = r->arg0,
	    .arg1 = r->arg1,
	    .arg2 = j->data_off,
	    .jd_len = j->data_len,
	    .data_off = arena_offset(&p->arena, slot),
	    .data_len = r->len,
	    .tail_len = r->tail,
	    .batch = j->batch,
	    .tile_shift = r->tiles >> VYRE_TILE_SHIFT_POS,
	};
	s->data_len = r->len;
	j->trace->slot_ref[slot] = r->ref;
	return 0;
}

/* ---- text ---------------------------------------------------------------- */

static int trace_line(FILE *f, const struct trace_rec *r, uint32_t n)
{
	char ref[16] = "-", claim[24] = "-";

	if (r->ref != TRACE_NO_REF)
		snprintf(ref, sizeof(ref), "%" PRIu32, r->ref);
	if (r->t_claim)
		snprintf(claim, sizeof(claim), "%" PRIu64, r->t_claim);
	fprintf(f,
		"rec %" PRIu32 " ref=%s slot=%" PRIu32 " kind=%s op=0x%" PRIx32 " arg0=0x%" PRIx32
		" arg1=0x%" PRIx32 " tiles=0x%" PRIx32 " file=%" PRIu32 " off=%" PRIu64
		" len=%" PRIu32 " tail=%" PRIu32 " fnv=%016" PRIx64 " uid=%" PRIu32
		" tenant=%" PRIu32 " seq=%" PRIu32 " publish_ns=%" PRIu64 " claim_ns=%s",
		n, ref, r->slot, trace_kinds[r->kind], r->opcode, r->arg0, r->arg1, r->tiles,
		r->file, r->off, r->len, r->tail, r->fnv, r->uid, r->tenant, r->seq, r->t_pub,
		claim);
	if (!r->done)
		return fprintf(f, " done_ns=- status=-\n") < 0 ? -EIO : 0;
	fprintf(f,
		" done_ns=%" PRIu64 " epoch=%" PRIu32 " status=%" PRIu32 " error=%" PRIu32
		" result=%" PRIu32 " op0=%" PRIu32 " op1=%" PRIu32 " op2=%" PRIu32,
		r->t_done, r->epoch, r->status, r->error, r->result, r->op[0], r->op[1], r->op[2]);
	if (r->has & TRACE_HAS_BINS)
		fprintf(f, " bins=%016" PRIx64, r->bins);
	if (r->has & TRACE_HAS_NL)
		fprintf(f, " nl=%" PRIu32, r->nl);
	if (r->has & TRACE_HAS_CONT)
		fprintf(f, " cont=%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32, r->cont[0],
			r->cont[1], r->cont[2], r->cont[3]);
	if (r->has & TRACE_LOST)
		fprintf(f, " lost=1");
	return fputc('\n', f) == EOF ? -EIO : 0;
}

int pump_job_trace(struct pump_job *j, char **text, size_t *len)
{
	struct pump *p = j->ops == &job_unit_ops ? j->p : NULL;
	struct trace_rec *copy = NULL;
	uint32_t n = 0, jd_len = 0;
	uint64_t dropped = 0, jd_fnv = 0;
	FILE *f;
	int ret = -ENODATA;

	if (!p || !j->trace)
		return -ENODATA;
	pthread_mutex_lock(&p->lock);
	if (j->trace) {
		n = j->trace->n;
		dropped = j->trace->dropped;
		copy = n ? malloc(n * sizeof(*copy)) : NULL;
		if (copy)
			memcpy(copy, j->trace->rec, n * sizeof(*copy));
		ret = n && !copy ? -ENOMEM : 0;
	}
	pthread_mutex_unlock(&p->lock);
	if (ret)
		return ret;
	/* set at submit, read-only after */
	jd_len = j->data_len;
	jd_fnv = trace_fnv(TRACE_FNV_INIT, j->data, j->data_len);
	f = open_memstream(text, len);
	if (!f) {
		free(copy);
		return -ENOMEM;
	}
	/* the device's name and driver: set at open, never written after */
	fprintf(f, "unit device=\"%s\" driver=\"%s\" kernel=%s slots=%" PRIu32 "\n", p->gpu->name,
		p->gpu->driver, ring_mode(p->ring) == RING_PERSISTENT ? "persistent" : "relaunch",
		p->cfg.slots);
	fprintf(f, "jobdata len=%" PRIu32 " fnv=%016" PRIx64 "\n", jd_len, jd_fnv);
	fprintf(f, "records %" PRIu32 " dropped %" PRIu64 "\n", n, dropped);
	for (uint32_t i = 0; i < n && !ret; i++)
		ret = trace_line(f, &copy[i], i);
	free(copy);
	if (fclose(f) || ret) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* key=value from one record line: the value's text (up to a blank) or NULL. */
static const char *trace_field(const char *line, const char *end, const char *key)
{
	size_t k = strlen(key);

	for (const char *s = line; s + k < end; s++)
		if ((s == line || s[-1] == ' ') && !strncmp(s, key, k) && s[k] == '=')
			return s + k + 1;
	return NULL;
}

static int trace_num(const char *line, const char *end, const char *key, uint64_t max, uint64_t *v)
{
	const char *s = trace_field(line, end, key);
	char *e;

	if (!s)
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &e, 0);
	if (errno || e == s || (e < end && *e != ' ' && *e != '\n') || *v > max)
		return -EINVAL;
	return 0;
}

/* "rec N ...": N, the record's number. */
static int trace_rec_number(const char *s, const char *end, uint64_t *v)
{
	char *e;

	errno = 0;
	*v = strtoull(s, &e, 10);
	return errno || e == s || e >= end || *e != ' ' || *v >= UINT32_MAX ? -EINVAL : 0;
}

int pump_trace_parse(const char *text, size_t len, struct pump_replay_slot **out, uint32_t *n,
		     char *err, size_t errlen)
{
	const char *end = text + len, *line = text, *e;
	struct pump_replay_slot *v = NULL;
	uint32_t nv = 0, cap = 0, lineno = 0;

	*out = NULL;
	*n = 0;
	for (; line < end; line = e + (e < end)) {
		uint64_t ref, op, a0, a1, tiles, off, l, tail;
		const char *kind;

		e = memchr(line, '\n', (size_t)(end - line));
		if (!e)
			e = end;
		lineno++;
		if (e - line < 4 || strncmp(line, "rec ", 4))
			continue;
		kind = trace_field(line, e, "kind");
		if (kind && !strncmp(kind, "fence ", 6))
			continue; /* the replay fences itself */
		if (!kind || (strncmp(kind, "chunk ", 6) && strncmp(kind, "opread ", 7))) {
			snprintf(err, errlen,
				 "line %u: kind=%.8s cannot be replayed (only chunk "
				 "and opread slots: trace one-file jobs)",
				 lineno, kind ? kind : "?");
			goto out_inval;
		}
		if (trace_num(line + 4, e, "op", UINT32_MAX, &op) ||
		    trace_num(line + 4, e, "arg0", UINT32_MAX, &a0) ||
		    trace_num(line + 4, e, "arg1", UINT32_MAX, &a1) ||
		    trace_num(line + 4, e, "tiles", UINT32_MAX, &tiles) ||
		    trace_num(line + 4, e, "off", INT64_MAX, &off) ||
		    trace_num(line + 4, e, "len", UINT32_MAX, &l) ||
		    trace_num(line + 4, e, "tail", UINT32_MAX, &tail) ||
		    trace_rec_number(line + 4, e, &ref)) {
			snprintf(err, errlen,
				 "line %u: a record needs rec op arg0 arg1 tiles off "
				 "len tail as numbers (is this a vyrefs trace?)",
				 lineno);
			goto out_inval;
		}
		if (nv == cap) {
			uint32_t ncap = cap ? 2 * cap : 64;
			struct pump_replay_slot *nvv = realloc(v, ncap * sizeof(*v));
			if (!nvv) {
				free(v);
				return -ENOMEM;
			}
			v = nvv;
			cap = ncap;
		}
		v[nv++] = (struct pump_replay_slot){(uint32_t)ref, (uint32_t)op,    (uint32_t)a0,
						    (uint32_t)a1,  (uint32_t)tiles, off,
						    (uint32_t)l,   (uint32_t)tail};
	}
	if (!nv) {
		snprintf(err, errlen, "no slot to replay (a trace lists its slots on 'rec' lines)");
		goto out_inval;
	}
	*out = v;
	*n = nv;
	return 0;
out_inval:
	free(v);
	return -EINVAL;
}
