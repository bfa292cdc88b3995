// SPDX-License-Identifier: MIT
/* count: occurrences of one byte (shaders/ops/count.glsl). */
#include <stdint.h>

#include "op.h"

/* The byte is the op's one argument: kept in j->opstate itself, no blob. */
static int count_prep(struct pump_job *j, const struct pump_scan *scan)
{
	if (scan->data_len)
		return -EINVAL;
	j->opstate = (void *)(uintptr_t)(scan->args.count.byte & 0xFF);
	return 0;
}

static int count_pack(struct pump *p, uint32_t slot, struct ring_work *w)
{
	w->arg0 = (uint32_t)(uintptr_t)pump_slot_at(p, slot)->job->opstate;
	return 0;
}

const struct pump_op pump_op_count = {
    .name = "count",
    .code = VYRE_OP_COUNT,
    .opclass = VYRE_OPCLASS_COUNT,
    .result = PUMP_RESULT_SCALAR,
    .usage = "[byte=N] result: occurrences of the byte (default 0x0a)",
    .summary = "occurrences of byte= (default 0x0a, so: lines)",
    .prep = count_prep,
    .pack = count_pack,
};
