// SPDX-License-Identifier: MIT
/* histogram: 256 byte counts (shaders/ops/histogram.glsl), summed per bin. */
#include "op.h"

const struct pump_op pump_op_histogram = {
    .name = "histogram",
    .code = VYRE_OP_HISTOGRAM,
    .opclass = VYRE_OPCLASS_HIST,
    .result = PUMP_RESULT_HIST,
    .usage = "result: 256 lines \"0xHH N\"",
    .summary = "256 lines \"0xHH N\"",
};
