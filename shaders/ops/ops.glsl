// SPDX-License-Identifier: MIT
//
// The op functions, one file per row of abi/vyre_ops.h. Each is
//
//   uint op_<name>(op_in a, inout uint fault)
//
// and returns this lane's share of the tile's sum (the slot's 32-bit
// result); an op may also count into s_hist (VYRE_OPF_BINS) or write its
// own per-slot output. It may use barriers: the opcode is the same for
// every lane of the workgroup, so the dispatch switch is uniform.
//
// An op's arguments: a.arg0/arg1 (words 4, 5); its job data region, if it
// has one, is a.jd bytes at a.jd_off in the pool (words 6, 15).
struct op_in {
	uint slot;      // ring slot
	uint tile;      // tile index within the chunk
	uint ntiles;
	uint shift;     // log2 of the tile's bytes
	uint start;     // the tile: chunk bytes [start, end)
	uint end;
	uint len;       // the chunk proper
	uint tail;      // readable bytes past len
	uint arg0;
	uint arg1;
	uint jd_off;    // job data region: byte offset in the pool
	uint jd;        // and its length (0: none)
	uint seq;       // the slot's publish sequence (tags of grep's out words)
	uint64_t base;  // device address of the chunk's first byte
};

// One #include "ops/<name>.glsl" per row of abi/vyre_ops.h, written by
// shaders/meson.build from the table (vyre_op_names): a row without its
// file fails the shader's build.
#include "op_rows.glsl"
