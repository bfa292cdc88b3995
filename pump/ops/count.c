// SPDX-License-Identifier: MIT
/* count: occurrences of one byte (shaders/ops/count.glsl). */
#include "op.h"

static int count_pack(struct pump *p, uint32_t slot, struct ring_work *w)
{
	w->arg0 = pump_slot_at(p, slot)->job->byte;
	return 0;
}

const struct pump_op pump_op_count = {
    .name = "count",
    .code = VYRE_OP_COUNT,
    .opclass = VYRE_OPCLASS_COUNT,
    .args = PUMP_OP_ARG_BYTE,
    .result = PUMP_RESULT_SCALAR,
    .usage = "[byte=N] result: occurrences of the byte (default 0x0a)",
    .summary = "occurrences of byte= (default 0x0a, so: lines)",
    .pack = count_pack,
};
