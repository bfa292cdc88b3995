// SPDX-License-Identifier: MIT
/*
 * priority.c - the names of the admission priorities (pump.h), for
 * descriptors and status.
 */
#include <errno.h>
#include <string.h>

#include "pump.h"

static const char *const priority_names[PUMP_PRIO_END] = {
	[PUMP_PRIO_CRITICAL] = "critical", [PUMP_PRIO_HIGH] = "high", [PUMP_PRIO_NORMAL] = "normal",
	[PUMP_PRIO_LOW] = "low",	   [PUMP_PRIO_IDLE] = "idle",
};

const char *pump_priority_name(enum pump_priority p)
{
	if (p == PUMP_PRIO_DEFAULT)
		p = PUMP_PRIO_NORMAL;
	return (unsigned)p < PUMP_PRIO_END ? priority_names[p] : "unknown";
}

int pump_priority_parse(const char *s, size_t len, enum pump_priority *out)
{
	for (int p = PUMP_PRIO_CRITICAL; p < PUMP_PRIO_END; p++) {
		if (strlen(priority_names[p]) == len && !memcmp(s, priority_names[p], len)) {
			*out = (enum pump_priority)p;
			return 0;
		}
	}
	return -EINVAL;
}

