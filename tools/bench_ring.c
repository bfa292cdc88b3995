// SPDX-License-Identifier: MIT
/*
 * bench_ring - the ring and megakernel alone, chunks already in the arena.
 *
 * Prints, for each kernel mode the device allows: nop slots per second
 * (ring overhead), and GB/s of count and match over arena-resident chunks,
 * against one CPU core running memchr / memmem over the same bytes, as
 * ratios measured in the same run.
 *
 *   bench_ring [-m relaunch|persistent|both] [-s SLOTS] [-c CHUNK_MIB] [-t SECONDS]
 *              [-o nop,count,match]
 *
 * -o runs only the ops named: `-m relaunch -o count` is the GPU reading host
 * memory over PCIe at full rate, the load tools/device-run.sh's ingest step
 * runs io_uring against. Each op's start is announced on stderr
 * ("bench_ring: count running") so a script can start its peer then.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
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
};

static void on_done(void *ctx, const struct ring_done *d)
{
	struct bench *b = ctx;
	b->done++;
	b->result += d->result;
}

/* Keeps every slot busy with op for about secs; returns slots completed per second. */
static double run_op(struct bench *b, uint32_t op, uint32_t arg0, uint32_t len, double secs,
		     uint64_t *result)
{
	double t0, t1;
	uint64_t published = 0;

	b->done = 0;
	b->result = 0;
	t0 = now_s();
	for (;;) {
		bool stop = now_s() - t0 > secs;
		for (uint32_t s = 0; s < b->slots && !stop; s++) {
			if (ring_slot_busy(b->r, s))
				continue;
			struct ring_work w = {
				.opcode = op,
				.tenant = 1,
				.arg0 = arg0,
				.arg1 = 0,
				.data_off = arena_offset(&b->a, s),
				.data_len = len,
				.tail_len = op == VYRE_OP_MATCH ? arg0 - 1 : 0,
				.arg2 = op == VYRE_OP_MATCH ? b->pattern : 0,
				.jd_len = op == VYRE_OP_MATCH ? arg0 : 0,
				.batch = VYRE_NO_BATCH,
			};
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

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint8_t c = (uint8_t)(seed >> 56);
		p[i] = c < 4 ? '\n' : (uint8_t)(' ' + c % 90);
	}
	/* plant the needle every 64 KiB */
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

enum { BENCH_NOP = 1, BENCH_COUNT = 2, BENCH_MATCH = 4 };

static void announce(const char *op)
{
	fprintf(stderr, "bench_ring: %s running\n", op);
	fflush(stderr);
}

static int bench_mode(const char *dev, enum ring_mode mode, uint32_t slots, uint32_t chunk,
		      double secs, unsigned ops)
{
	struct bench b = {.slots = slots, .chunk = chunk};
	uint8_t *host;
	uint64_t res, cpu_res;
	int ret;

	ret = gpu_open(dev, &b.g);
	if (ret)
		return ret;
	if (mode == RING_PERSISTENT && b.g->is_cpu) {
		printf("| %s | persistent | impossible on a CPU device (platform fact 6, ARCHITECTURE.md) | | | |\n",
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
	/* the same bytes in every region, and a host copy for the CPU peer */
	host = malloc((size_t)chunk + ARENA_TAIL);
	fill(host, (size_t)chunk + ARENA_TAIL, 42);
	for (uint32_t s = 0; s < slots; s++)
		memcpy(arena_region(&b.a, s), host, (size_t)chunk + ARENA_TAIL);

	const char *m = mode == RING_PERSISTENT ? "persistent" : "relaunch";
	const char *place = gpu_place_name(b.g, &b.a.buf);
	if (ops & BENCH_NOP) {
		announce("nop");
		double nop = run_op(&b, VYRE_OP_NOP, 0, 0, secs, &res);
		printf("| %s | %s | nop | %.0f slots/s | — | — |\n", b.g->name, m, nop);
	}
	uint32_t rounds = (uint32_t)(2e9 / chunk) + 1;
	double gpu_gbs, cpu_gbs;
	if (ops & BENCH_COUNT) {
		announce("count");
		double cps = run_op(&b, VYRE_OP_COUNT, '\n', chunk, secs, &res);
		gpu_gbs = cps * chunk / 1e9;
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
	fflush(stdout);
	free(host);
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
	unsigned ops = BENCH_NOP | BENCH_COUNT | BENCH_MATCH;
	double secs = 2;
	int c, ret = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "m:s:c:t:d:o:")) != -1) {
		switch (c) {
		case 'o':
			ops = (strstr(optarg, "nop") ? BENCH_NOP : 0) |
			      (strstr(optarg, "count") ? BENCH_COUNT : 0) |
			      (strstr(optarg, "match") ? BENCH_MATCH : 0);
			if (!ops) {
				fprintf(stderr, "bench_ring: -o %s: name nop, count or match\n",
					optarg);
				return 2;
			}
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
			fprintf(stderr, "usage: %s [-m relaunch|persistent|both] [-s SLOTS] "
					"[-c CHUNK_MIB] [-t SECONDS] [-d DEVICE] [-o nop,count,match]\n",
				argv[0]);
			return 2;
		}
	}
	printf("| device | kernel | measure | vyrefs megakernel | CPU peer, same bytes | ratio |\n");
	printf("| --- | --- | --- | --- | --- | --- |\n");
	if (strcmp(mode, "persistent"))
		ret = bench_mode(dev, RING_RELAUNCH, slots, chunk_mib << 20, secs, ops);
	if (!ret && strcmp(mode, "relaunch"))
		ret = bench_mode(dev, RING_PERSISTENT, slots, chunk_mib << 20, secs, ops);
	if (ret)
		fprintf(stderr, "bench_ring: failed: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}
