// SPDX-License-Identifier: MIT
/*
 * The opcode table: one row per op a descriptor may name. The shader has
 * one function per row (shaders/ops/); adding an op touches one row here,
 * one shader function and one test.
 */
#include <string.h>

#include "pump.h"

const struct pump_op pump_ops[] = {
	{
		.name = "nop",
		.code = VYRE_OP_NOP,
		.opclass = VYRE_OPCLASS_NOP,
		.result = PUMP_RESULT_SCALAR,
		.usage = "result: the number of chunks (ring overhead benchmark)",
	},
	{
		.name = "count",
		.code = VYRE_OP_COUNT,
		.opclass = VYRE_OPCLASS_COUNT,
		.args = PUMP_OP_ARG_BYTE,
		.result = PUMP_RESULT_SCALAR,
		.usage = "[byte=N] result: occurrences of the byte (default 0x0a)",
	},
	{
		.name = "match",
		.code = VYRE_OP_MATCH,
		.opclass = VYRE_OPCLASS_MATCH,
		.args = PUMP_OP_ARG_PATTERN,
		.result = PUMP_RESULT_SCALAR,
		.usage = "pattern=BYTES result: overlapping occurrences of 1-256 bytes",
	},
	{
		.name = "histogram",
		.code = VYRE_OP_HISTOGRAM,
		.opclass = VYRE_OPCLASS_HIST,
		.result = PUMP_RESULT_HIST,
		.usage = "result: 256 lines \"0xHH N\"",
	},
};

const size_t pump_ops_count = sizeof(pump_ops) / sizeof(pump_ops[0]);

const struct pump_op *pump_op_find(const char *name)
{
	for (size_t i = 0; i < pump_ops_count; i++)
		if (!strcmp(pump_ops[i].name, name))
			return &pump_ops[i];
	return NULL;
}

const struct pump_op *pump_op_by_code(uint32_t code)
{
	for (size_t i = 0; i < pump_ops_count; i++)
		if (pump_ops[i].code == code)
			return &pump_ops[i];
	return NULL;
}
