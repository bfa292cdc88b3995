/* SPDX-License-Identifier: MIT */
/*
 * vyre_ops.h - the op table, the one list both the host and the megakernel
 * are built from.
 *
 * Each row is VYRE_OP(name, NAME, code, opclass, flags):
 *   name     the op= word, the host row's symbol (pump_op_<name>, in
 *            pump/ops/<name>.c) and the shader function op_<name>() (in
 *            shaders/ops/<name>.glsl);
 *   NAME     gives the opcode constant VYRE_OP_<NAME>;
 *   code     the wire number (0x100 and up: vyrefs scan ops; 0-7 are the
 *            built-in numbers vyre-runtime uses, 7 being the fence and 6
 *            reserved for its DFA step);
 *   opclass  index of the op's execution counter (VYRE_DEV_OP_COUNT + c);
 *   flags    VYRE_OPF_*: what the shader does after the op's function.
 *
 * A row whose functions are missing does not build: the shader's dispatch
 * calls op_<name>() (glslang fails on an undeclared function) and the host
 * table takes &pump_op_<name> (the link fails on an undefined symbol).
 * Adding an op: a row here, shaders/ops/<name>.glsl, pump/ops/<name>.c
 * and a test; the build finds both files from the row (abi/meson.build
 * reads the rows: keep one "\tVYRE_OP(" a line).
 */
#ifndef VYRE_OPS_H
#define VYRE_OPS_H

#define VYRE_OPF_NONE 0
#define VYRE_OPF_BINS 1 /* the op counts into s_hist: 256 bins per slot */
#define VYRE_OPF_COUNTERS                                                                          \
	2 /* the op keeps VYRE_S_OP counters: the last tile reports and zeroes them */
#define VYRE_OPF_PACKS                                                                             \
	4 /* many small files share a slot, one result word per file (pump/pack.c) */
/*
 * The op reads or writes its slot's line records (pc.rec_addr, vyre_abi.h
 * VYRE_REC_*): pump/ring.c clears a slot's records before the first such
 * op runs in it, and only then (the 64 MiB pool is never cleared whole).
 */
#define VYRE_OPF_RECS 8

#define VYRE_OPCLASS_NOP     0
#define VYRE_OPCLASS_COUNT   1
#define VYRE_OPCLASS_MATCH   2
#define VYRE_OPCLASS_HIST    3
#define VYRE_OPCLASS_FENCE   4 /* the fence is no table row: it has no chunk */
#define VYRE_OPCLASS_UNKNOWN 5
#define VYRE_OPCLASS_GREP    6
#define VYRE_OPCLASSES	     8

#define VYRE_OPS(VYRE_OP)                                                                          \
	VYRE_OP(nop, NOP, 0x000u, VYRE_OPCLASS_NOP, VYRE_OPF_PACKS)                                \
	VYRE_OP(count, COUNT, 0x101u, VYRE_OPCLASS_COUNT, VYRE_OPF_PACKS)                          \
	VYRE_OP(match, MATCH, 0x102u, VYRE_OPCLASS_MATCH, VYRE_OPF_PACKS)                          \
	VYRE_OP(histogram, HISTOGRAM, 0x103u, VYRE_OPCLASS_HIST, VYRE_OPF_BINS)                    \
	VYRE_OP(grep, GREP, 0x104u, VYRE_OPCLASS_GREP,                                            \
		VYRE_OPF_COUNTERS | VYRE_OPF_PACKS | VYRE_OPF_RECS)

/* The opcode constants: VYRE_OP_COUNT = 0x101 and so on. */
#ifndef VULKAN
#define VYRE_OP_CONST(name, NAME, code, opclass, flags) VYRE_OP_##NAME = code,
enum vyre_op_code { VYRE_OPS(VYRE_OP_CONST) };
#define VYRE_OP_INDEX(name, NAME, code, opclass, flags) VYRE_OPI_##NAME,
enum vyre_op_index { VYRE_OPS(VYRE_OP_INDEX) VYRE_OPS_COUNT };
#else
#define VYRE_OP_CONST(name, NAME, code, opclass, flags) const uint VYRE_OP_##NAME = code;
VYRE_OPS(VYRE_OP_CONST)
#endif

#endif
