/* The retry policy. See retry.h. */
#define _POSIX_C_SOURCE 200809L

#include "retry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int is_idempotent(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "PUT") == 0
           || strcmp(method, "DELETE") == 0 || strcmp(method, "PATCH") == 0;
}

/* Returns 1 for a failure that a later attempt may not hit again: a failed
 * name lookup or connect, a broken TLS handshake or connection, an empty or
 * cut-off response, or a timeout. */
static int is_transient_failure(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

/* A 429 is retried for every method, because the server rejected the
 * request unread. A 502, 503 or 504, and a transient failure after the
 * request went out, are retried only for the idempotent methods. A POST is
 * retried only when it provably never reached the server: a transient
 * failure before libcurl sent it (a failed name lookup, connect or TLS
 * handshake, or a connect timeout). */
int retry_reason(const char *method, const transfer_result *r, char *reason, size_t n)
{
    int idempotent = is_idempotent(method);

    if (r->code == CURLE_OK) {
        if (r->status == 429 || (idempotent && (r->status == 502 || r->status == 503
                                                || r->status == 504))) {
            snprintf(reason, n, "%ld", r->status);
            return 1;
        }
        return 0;
    }
    if (r->too_large || r->out_of_memory || !is_transient_failure(r->code))
        return 0;

    if (r->code == CURLE_OPERATION_TIMEDOUT)
        snprintf(reason, n, "%s", r->sends == 0 ? "a connect timeout" : "a timeout");
    else
        snprintf(reason, n, "a connection failure (%s)",
                 r->error[0] != '\0' ? r->error : curl_easy_strerror(r->code));
    return r->sends == 0 || idempotent;
}

double retry_delay(double backoff, double backoff_factor, const transfer_result *r,
                   int retries_done)
{
    double delay;
    int i;

    if (r->code == CURLE_OK && r->status == 429 && r->retry_after_ms >= 0) {
        delay = (double)r->retry_after_ms / 1000.0;
    } else {
        delay = backoff;
        for (i = 0; i < retries_done && delay < RETRY_MAX_WAIT_SECONDS; i++)
            delay *= backoff_factor;
    }
    return delay < RETRY_MAX_WAIT_SECONDS ? delay : RETRY_MAX_WAIT_SECONDS;
}

void retry_sleep(double seconds)
{
    struct timespec request, remaining;

    if (seconds <= 0)
        return;
    request.tv_sec = (time_t)seconds;
    request.tv_nsec = (long)((seconds - (double)request.tv_sec) * 1e9);
    while (nanosleep(&request, &remaining) != 0 && errno == EINTR)
        request = remaining;
}

