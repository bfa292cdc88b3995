/* SPDX-License-Identifier: MIT */
/*
 * A pattern set's Aho-Corasick tables (pump.h's struct pump_ac) laid out
 * in a job's data region as VYRE_PSET_* words (abi/vyre_abi.h). The
 * layout is a new allocation the caller frees.
 */
#ifndef VYRE_PUMP_OPS_GREP_PSET_H
#define VYRE_PUMP_OPS_GREP_PSET_H

#include <stdint.h>

struct pump_ac; /* pump.h */

/*
 * Checks the tables (every index in range, children after their parent
 * and labels ascending, failure links shallower, set parents earlier) and
 * lays them out, with fewer dense rows than the compiler's when all of
 * them would pass VYRE_JOB_DATA_MAX: 0, -EINVAL, -ENOMEM, or -E2BIG when
 * even state 0's row alone does not fit.
 */
int grep_pset_layout(const struct pump_ac *a, uint32_t **words, uint32_t *nwords);

#endif
