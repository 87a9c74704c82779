/* Log levels, the call into the user's logger (session_log, declared in
 * session.h), and the way numbers are written in log lines and messages. */
#ifndef ANAPLAN_LOG_H
#define ANAPLAN_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Returns the level named name ("debug", "info", "warn" or "error"), or -1
 * when no level has that name. */
int log_level_from_name(const char *name);

/* Writes n the way a person would type it ("30", "0.5", "1e+20") into
 * buffer and returns buffer. */
const char *log_format_number(char *buffer, size_t size, double n);

#endif
