// SPDX-License-Identifier: MIT
/* nop: 1 per chunk (shaders/ops/nop.glsl), to measure the ring itself. */
#include "op.h"

const struct pump_op pump_op_nop = {
    .name = "nop",
    .code = VYRE_OP_NOP,
    .opclass = VYRE_OPCLASS_NOP,
    .result = PUMP_RESULT_SCALAR,
    .usage = "result: the number of chunks (ring overhead benchmark)",
    .summary = "number of chunks",
};
