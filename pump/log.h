/* SPDX-License-Identifier: MIT */
/* log.h - one-line diagnostics on stderr, prefixed with "vyrefs: ". */
#ifndef VYRE_LOG_H
#define VYRE_LOG_H

#include <stdbool.h>

void vlog_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vlog_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vlog_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vlog_set_debug(bool on);

#endif
