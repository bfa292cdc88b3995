// SPDX-License-Identifier: MIT
/*
 * ops.c - the op table, generated from vyre_ops.h: one pointer per row, to
 * the row's host definition pump_op_<name> in ops/<name>.c. A row without
 * its definition does not link.
 */
#include <string.h>

#include "pump.h"
#include "ring.h"

#define PUMP_OP_EXTERN(name, NAME, code, opclass, flags) extern const struct pump_op pump_op_##name;
VYRE_OPS(PUMP_OP_EXTERN)

#define PUMP_OP_PTR(name, NAME, code, opclass, flags) [VYRE_OPI_##NAME] = &pump_op_##name,
const struct pump_op *const pump_ops[] = {VYRE_OPS(PUMP_OP_PTR)};
const size_t pump_ops_count = sizeof(pump_ops) / sizeof(pump_ops[0]);
_Static_assert(sizeof(pump_ops) / sizeof(pump_ops[0]) == VYRE_OPS_COUNT,
	       "pump_ops[] needs one row per VYRE_OP() in vyre_ops.h");

#define PUMP_OP_CLASS_OK(name, NAME, code, opclass, flags)                                  \
	_Static_assert((opclass) < VYRE_OPCLASSES && (opclass) != VYRE_OPCLASS_FENCE &&     \
			       (opclass) != VYRE_OPCLASS_UNKNOWN,                            \
		       #name ": its opclass must be its own counter below VYRE_OPCLASSES");
VYRE_OPS(PUMP_OP_CLASS_OK)

const struct pump_op *pump_op_find(const char *name)
{
	for (size_t i = 0; i < pump_ops_count; i++)
		if (!strcmp(pump_ops[i]->name, name))
			return pump_ops[i];
	return NULL;
}

const struct pump_op *pump_op_by_code(uint32_t code)
{
	for (size_t i = 0; i < pump_ops_count; i++)
		if (pump_ops[i]->code == code)
			return pump_ops[i];
	return NULL;
}

uint32_t pump_op_tile_shift(const struct gpu *g, const struct ring_work *w)
{
	const struct pump_op *op = pump_op_by_code(w->opcode);

	return op && op->tile_shift ? op->tile_shift(g, w) : 0;
}

const char *pump_opclass_name(uint32_t opclass)
{
	if (opclass == VYRE_OPCLASS_FENCE)
		return "fence";
	if (opclass == VYRE_OPCLASS_UNKNOWN)
		return "unknown";
	for (size_t i = 0; i < pump_ops_count; i++)
		if (pump_ops[i]->opclass == opclass)
			return pump_ops[i]->name;
	return NULL;
}
