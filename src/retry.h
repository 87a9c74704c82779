/* The retry policy: which failed attempts are tried again, and after what
 * wait. The functions look only at an attempt's outcome; they neither log
 * nor call Lua, so call.c decides when to use them. */
#ifndef ANAPLAN_RETRY_H
#define ANAPLAN_RETRY_H

#include <stddef.h>

#include "transfer.h"

/* No wait between two attempts is longer than this, whatever Retry-After or
 * the backoff settings ask for. */
#define RETRY_MAX_WAIT_SECONDS 120.0

/* Decides whether an attempt of method that ended with r may be retried
 * and, if so, writes why into reason ("503", "a timeout") and returns 1. */
int retry_reason(const char *method, const transfer_result *r, char *reason, size_t n);

/* Returns the wait in seconds before retry number retries_done + 1: the
 * Retry-After of a 429, else backoff * backoff_factor^retries_done, capped
 * at RETRY_MAX_WAIT_SECONDS. */
double retry_delay(double backoff, double backoff_factor, const transfer_result *r,
                   int retries_done);

/* Blocks the calling thread for seconds, resuming after signals. */
void retry_sleep(double seconds);

#endif
