// SPDX-License-Identifier: MIT
/* count: occurrences of one byte (shaders/ops/count.glsl). */
#include "../pump_priv.h"

static void count_pack(const struct pump_job *j, const struct pump_slot *s, struct ring_work *w)
{
	(void)s;
	w->arg0 = j->byte;
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
