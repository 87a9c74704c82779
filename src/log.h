/* Log levels, the call into the user's logger (session_log, declared in
 * session.h), and the way numbers are written in log lines and messages. */
#ifndef ANAPLAN_LOG_H
#define ANAPLAN_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Returns the level named name ("debug", "info", "warn" or "error"), or -1
 * when no level has that name. */
int log_level_from_name(const char *name);

/* Formats n into buffer for messages and returns buffer: an integral value
 * below 1e15 in magnitude as an integer ("30"), anything else with %.14g
 * ("0.5", "1e+20"). */
const char *log_format_number(char *buffer, size_t size, double n);

#endif
