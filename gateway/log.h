/*
 * log.h - the gateway's error log: one line per event on stderr, with time,
 * level and the part that speaks. Thread-safe (one write(2) per line).
 */
#ifndef YB_LOG_H
#define YB_LOG_H

#include <stdarg.h>

#include "ybgw/ybgw.h"

void yb_log_set_level(int level);
int yb_log_level(void);
/* level names: error warn info debug; returns -1 for an unknown name */
int yb_log_level_parse(const char *name);
void yb_log(int level, const char *who, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void yb_vlog(int level, const char *who, const char *fmt, va_list ap);

#endif
