// SPDX-License-Identifier: MIT
/*
 * bench_ring - the ring and megakernel alone, chunks already in the arena.
 *
 * Prints, for each kernel mode the device allows: nop slots per second
 * (ring overhead), and GB/s of count and match over arena-resident chunks,
 * against one CPU core running memchr / memmem over the same bytes, as
 * ratios measured in the same run; and grep's GB/s over the same chunks
 * beside count's from the same run (issue 23 item 6: where grep's time
 * goes on the GPU; issue 25: grep's DFA over device-resident chunks).
 *
 *   bench_ring [-m relaunch|persistent|both] [-s SLOTS] [-c CHUNK_MIB] [-t SECONDS]
 *              [-o nop,count,match,grep] [-p PATTERN] [-l]
 *
 * -o runs only the ops named: `-m relaunch -o count` is the GPU reading host
 * memory over PCIe at full rate, the load tools/device-run.sh's ingest step
 * runs io_uring against. Each op's start is announced on stderr
 * ("bench_ring: count running") so a script can start its peer then.
 *
 * The arena holds log-like lines (bench_ring_grep.c). grep runs each slot
 * as a real job's middle chunk (pump/ops/grep.c grep_pack: its budget, tail
 * window and tile size; -l adds lines=1's record pass), PATTERN (an ERE,
 * default the rare literal "vyre") compiled by the project's compiler into
 * a job data region; every pass's count is checked against regexec over
 * the chunk's lines, WRONG on a difference. Passes a real job would run
 * again (records that did not fit, open lines) are counted, not run.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "bench_ring.h"
#include "gpu.h"
#include "pump.h"
#include "ring.h"

static const char needle[] = "vyrefs!";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bench {
	struct gpu *g;
	struct arena a;
	struct ring *r;
	uint32_t slots, chunk;
	uint32_t pattern; /* match's job data region */
	uint64_t done;
	uint64_t result;
	uint64_t wrong;	 /* completions whose result is not want (want set) */
	uint64_t failed; /* completions not VYRE_SLOT_DONE */
	uint64_t open;	 /* grep: passes that left open lines or records unkept */
	uint64_t want;
	bool check;
};

static void on_done(void *ctx, const struct ring_done *d)
{
	struct bench *b = ctx;
	b->done++;
	b->result += d->result;
	if (d->status != VYRE_SLOT_DONE)
		b->failed++;
	else if (b->check && d->result != b->want)
		b->wrong++;
	if (b->check && (d->op[VYRE_GC_OPEN] || d->op[VYRE_GC_REC_MIN] || d->op[VYRE_GC_OPEN_MIN]))
		b->open++;
}

/*
 * Keeps every slot busy with tmpl's work (its data_off set per slot) for
 * about secs; returns slots completed per second.
 */
static double run_work(struct bench *b, const struct ring_work *tmpl, double secs, uint64_t *result)
{
	double t0, t1;
	uint64_t published = 0;

	b->done = 0;
	b->result = 0;
	b->wrong = b->failed = b->open = 0;
	t0 = now_s();
	for (;;) {
		bool stop = now_s() - t0 > secs;
		for (uint32_t s = 0; s < b->slots && !stop; s++) {
			if (ring_slot_busy(b->r, s))
				continue;
			struct ring_work w = *tmpl;
			w.data_off = arena_offset(&b->a, s);
			w.tile_shift = pump_op_tile_shift(b->g, &w); /* as the pump does */
			if (ring_publish(b->r, s, &w) == 0)
				published++;
		}
		if (ring_kick(b->r) < 0) {
			fprintf(stderr, "bench_ring: launch failed\n");
			exit(1);
		}
		if (ring_harvest(b->r, on_done, b) == 0 && b->g->is_cpu)
			ring_wait_launch(b->r, 1000000); /* leave the cores to lavapipe */
		if (stop && !ring_outstanding(b->r))
			break;
	}
	t1 = now_s();
	*result = b->result;
	(void)published;
	return (double)b->done / (t1 - t0);
}

static double run_op(struct bench *b, uint32_t op, uint32_t arg0, uint32_t len, double secs,
		     uint64_t *result)
{
	struct ring_work w = {
	    .opcode = op,
	    .tenant = 1,
	    .arg0 = arg0,
	    .arg1 = 0,
	    .data_len = len,
	    .tail_len = op == VYRE_OP_MATCH ? arg0 - 1 : 0,
	    .arg2 = op == VYRE_OP_MATCH ? b->pattern : 0,
	    .jd_len = op == VYRE_OP_MATCH ? arg0 : 0,
	    .batch = VYRE_NO_BATCH,
	};

	b->check = false;
	return run_work(b, &w, secs, result);
}

/* The arena's text (bench_ring_grep.c), match's needle planted every 64 KiB. */
static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	bench_text_fill(p, n, seed);
	for (size_t i = 1000; i + sizeof(needle) < n; i += 65536)
		memcpy(p + i, needle, sizeof(needle) - 1);
}

static double cpu_count(const uint8_t *p, size_t n, uint32_t rounds, uint64_t *out)
{
	double t0 = now_s();
	uint64_t c = 0;
	for (uint32_t r = 0; r < rounds; r++) {
		const uint8_t *q = p, *end = p + n;
		while ((q = memchr(q, '\n', (size_t)(end - q)))) {
			c++;
			q++;
		}
	}
	*out = c / rounds;
	return (double)n * rounds / (now_s() - t0) / 1e9;
}

static double cpu_match(const uint8_t *p, size_t n, uint32_t rounds, uint64_t *out)
{
	double t0 = now_s();
	uint64_t c = 0;
	for (uint32_t r = 0; r < rounds; r++) {
		const uint8_t *q = p, *end = p + n;
		while ((q = memmem(q, (size_t)(end - q), needle, sizeof(needle) - 1))) {
			c++;
			q++;
		}
	}
	*out = c / rounds;
	return (double)n * rounds / (now_s() - t0) / 1e9;
}

enum { BENCH_NOP = 1, BENCH_COUNT = 2, BENCH_MATCH = 4, BENCH_GREP = 8 };

/* What main's options ask of each kernel mode. */
struct bench_opts {
	const char *dev;
	uint32_t slots, chunk;
	double secs;
	unsigned ops;
	const char *pattern; /* grep's ERE */
	bool lines;	     /* grep with lines=1 */
};

static void announce(const char *op)
{
	fprintf(stderr, "bench_ring: %s running\n", op);
	fflush(stderr);
}

/*
 * grep over the arena's chunks, each a real job's middle chunk, beside
 * count's GB/s from this run (count_gbs; 0: count did not run). Every
 * completion's count is checked against regexec's over the same bytes.
 */
static int bench_grep(struct bench *b, const struct bench_opts *o, const uint8_t *host,
		      const char *m, const char *place, double count_gbs)
{
	uint32_t *words = NULL, nwords, nstates, off;
	uint32_t tail = bench_grep_tail(b->chunk, b->a.region - b->chunk);
	uint64_t res, lines;
	char err[512] = "";
	char peer[64] = "—", ratio[32] = "—";
	int ret;

	ret = bench_grep_dfa(o->pattern, &words, &nwords, &nstates, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bench_ring: -p %s: %s\n", o->pattern, err);
		return ret;
	}
	ret = bench_grep_ref(o->pattern, host, b->chunk, tail, &b->want, &lines);
	if (ret) {
		fprintf(stderr, "bench_ring: regcomp/regexec reference for %s: %s\n", o->pattern,
			strerror(-ret));
		goto out_free;
	}
	ret = ring_data_alloc(b->r, nwords * 4, &off);
	if (ret) {
		fprintf(stderr, "bench_ring: job data for %u words: %s\n", nwords, strerror(-ret));
		goto out_free;
	}
	ring_data_write(b->r, off, words, nwords * 4);
	struct ring_work w = {
	    .opcode = VYRE_OP_GREP,
	    .tenant = 1,
	    .arg0 = 0, /* no resume: the pass runs every line it owns */
	    .arg1 = bench_grep_flags(b->g->is_cpu, o->lines),
	    .arg2 = off,
	    .jd_len = nwords * 4,
	    .data_len = b->chunk,
	    .tail_len = tail,
	    .batch = VYRE_NO_BATCH,
	};
	announce("grep");
	b->check = true;
	double gps = run_work(b, &w, o->secs, &res);
	b->check = false;
	double gbs = gps * b->chunk / 1e9;
	if (count_gbs > 0) {
		snprintf(peer, sizeof(peer), "count %.4g GB/s", count_gbs);
		snprintf(ratio, sizeof(ratio), "%.3fx count", gbs / count_gbs);
	}
	printf("| %s | %s | grep \"%s\"%s (%u states, DFA %s memory), arena in %s | %.4g GB/s | "
	       "%s | %s |\n",
	       b->g->name, m, o->pattern, o->lines ? " lines=1" : "", nstates,
	       nwords <= VYRE_GREP_SHARED_WORDS ? "shared" : "global", place, gbs, peer, ratio);
	printf("grep check: %llu passes, %llu of %llu lines selected per chunk (regexec)%s",
	       (unsigned long long)b->done, (unsigned long long)b->want, (unsigned long long)lines,
	       b->wrong || b->failed || !b->done ? "" : ", every pass equal\n");
	if (b->wrong || b->failed || !b->done)
		printf(": WRONG (%llu passes differ, %llu failed)\n", (unsigned long long)b->wrong,
		       (unsigned long long)b->failed);
	if (b->open)
		printf("grep: %llu passes left open lines or unkept records: a real job runs "
		       "more (continuations, reruns)\n",
		       (unsigned long long)b->open);
	if (b->wrong || b->failed || !b->done)
		ret = -EIO;
out_free:
	free(words);
	return ret;
}

static int bench_mode(enum ring_mode mode, const struct bench_opts *o)
{
	const char *dev = o->dev;
	uint32_t slots = o->slots, chunk = o->chunk;
	double secs = o->secs;
	unsigned ops = o->ops;
	struct bench b = {.slots = slots, .chunk = chunk};
	uint8_t *host;
	uint64_t res, cpu_res;
	int ret;

	ret = gpu_open(dev, &b.g);
	if (ret)
		return ret;
	if (mode == RING_PERSISTENT && b.g->is_cpu) {
		printf("| %s | persistent | impossible on a CPU device (platform fact 6, "
		       "ARCHITECTURE.md) | | | |\n",
		       b.g->name);
		gpu_close(&b.g);
		return 0;
	}
	ret = arena_create(b.g, slots, chunk, mode == RING_PERSISTENT, &b.a);
	if (ret)
		goto out_close;
	ret = ring_create(b.g, slots, chunk, mode, b.a.buf.addr, &b.r);
	if (ret)
		goto out_arena;
	/* the same bytes in every region, its tail window too, and a host
	 * copy for the CPU peer and grep's reference */
	host = malloc(b.a.region);
	if (!host) {
		ret = -ENOMEM;
		goto out_ring;
	}
	fill(host, b.a.region, 42);
	for (uint32_t s = 0; s < slots; s++)
		memcpy(arena_region(&b.a, s), host, b.a.region);

	const char *m = mode == RING_PERSISTENT ? "persistent" : "relaunch";
	const char *place = gpu_place_name(b.g, &b.a.buf);
	/* one round of nops first: lavapipe compiles the kernel at its first
	 * launch, which otherwise lands in the first op's time */
	run_op(&b, VYRE_OP_NOP, 0, 0, 0.001, &res);
	if (ops & BENCH_NOP) {
		announce("nop");
		double nop = run_op(&b, VYRE_OP_NOP, 0, 0, secs, &res);
		printf("| %s | %s | nop | %.0f slots/s | — | — |\n", b.g->name, m, nop);
	}
	uint32_t rounds = (uint32_t)(2e9 / chunk) + 1;
	double gpu_gbs, cpu_gbs, count_gbs = 0;
	if (ops & BENCH_COUNT) {
		announce("count");
		double cps = run_op(&b, VYRE_OP_COUNT, '\n', chunk, secs, &res);
		gpu_gbs = count_gbs = cps * chunk / 1e9;
		cpu_gbs = cpu_count(host, chunk, rounds, &cpu_res);
		if (res / (b.done ? b.done : 1) != cpu_res)
			fprintf(stderr, "bench_ring: count mismatch: gpu %llu/chunk cpu %llu\n",
				(unsigned long long)(res / (b.done ? b.done : 1)),
				(unsigned long long)cpu_res);
		printf("| %s | %s | count, arena in %s | %.2f GB/s | memchr 1 core %.2f GB/s | "
		       "%.2fx |\n",
		       b.g->name, m, place, gpu_gbs, cpu_gbs, gpu_gbs / cpu_gbs);
	}
	if (ops & BENCH_MATCH) {
		announce("match");
		/* match needs the pattern in a job data region */
		if (ring_data_alloc(b.r, sizeof(needle) - 1, &b.pattern) == 0)
			ring_data_write(b.r, b.pattern, needle, sizeof(needle) - 1);
		double mps = run_op(&b, VYRE_OP_MATCH, sizeof(needle) - 1, chunk, secs, &res);
		gpu_gbs = mps * chunk / 1e9;
		cpu_gbs = cpu_match(host, chunk, rounds, &cpu_res);
		if (res / (b.done ? b.done : 1) != cpu_res)
			fprintf(stderr, "bench_ring: match mismatch: gpu %llu/chunk cpu %llu\n",
				(unsigned long long)(res / (b.done ? b.done : 1)),
				(unsigned long long)cpu_res);
		printf("| %s | %s | match \"%s\", arena in %s | %.2f GB/s | memmem 1 core "
		       "%.2f GB/s | %.2fx |\n",
		       b.g->name, m, needle, place, gpu_gbs, cpu_gbs, gpu_gbs / cpu_gbs);
	}
	if (ops & BENCH_GREP)
		ret = bench_grep(&b, o, host, m, place, count_gbs);
	fflush(stdout);
	free(host);
out_ring:
	ring_destroy(&b.r);
out_arena:
	arena_destroy(b.g, &b.a);
out_close:
	gpu_close(&b.g);
	return ret;
}

int main(int argc, char **argv)
{
	const char *mode = "both", *dev = getenv("VYRE_DEVICE");
	uint32_t slots = 64, chunk_mib = 4;
	unsigned ops = BENCH_NOP | BENCH_COUNT | BENCH_MATCH | BENCH_GREP;
	double secs = 2;
	struct bench_opts o = {.pattern = "vyre"};
	int c, ret = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "m:s:c:t:d:o:p:l")) != -1) {
		switch (c) {
		case 'o':
			ops = (strstr(optarg, "nop") ? BENCH_NOP : 0) |
			      (strstr(optarg, "count") ? BENCH_COUNT : 0) |
			      (strstr(optarg, "match") ? BENCH_MATCH : 0) |
			      (strstr(optarg, "grep") ? BENCH_GREP : 0);
			if (!ops) {
				fprintf(stderr,
					"bench_ring: -o %s: name nop, count, match or grep\n",
					optarg);
				return 2;
			}
			break;
		case 'p':
			o.pattern = optarg;
			break;
		case 'l':
			o.lines = true;
			break;
		case 'm':
			mode = optarg;
			break;
		case 's':
			slots = (uint32_t)atoi(optarg);
			break;
		case 'c':
			chunk_mib = (uint32_t)atoi(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'd':
			dev = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-m relaunch|persistent|both] [-s SLOTS] "
				"[-c CHUNK_MIB] [-t SECONDS] [-d DEVICE] [-o nop,count,match,grep] "
				"[-p PATTERN] [-l]\n",
				argv[0]);
			return 2;
		}
	}
	printf(
	    "| device | kernel | measure | vyrefs megakernel | CPU peer, same bytes | ratio |\n");
	printf("| --- | --- | --- | --- | --- | --- |\n");
	o.dev = dev;
	o.slots = slots;
	o.chunk = chunk_mib << 20;
	o.secs = secs;
	o.ops = ops;
	if (strcmp(mode, "persistent"))
		ret = bench_mode(RING_RELAUNCH, &o);
	if (!ret && strcmp(mode, "relaunch"))
		ret = bench_mode(RING_PERSISTENT, &o);
	if (ret)
		fprintf(stderr, "bench_ring: failed: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}
