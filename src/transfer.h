/* One HTTP exchange: a reusable curl easy handle driven through a multi
 * handle, the response buffer, the status line and the headers the client
 * acts on. The Lua-side helpers here turn a finished response into values
 * (JSON decoding, body excerpts).
 *
 * The curl part never calls Lua: callbacks only append to C buffers, so no Lua
 * error can unwind through libcurl. A transfer is embedded in the session
 * userdata, whose __gc releases it. */
#ifndef ANAPLAN_TRANSFER_H
#define ANAPLAN_TRANSFER_H

#include <stddef.h>

#include <curl/curl.h>
#include <lua.h>

/* The SDK version: sent in the User-Agent "anaplan-sdk-lua/<version>" and
 * stored by core.c as the module's version field. */
#define ANAPLAN_SDK_VERSION "0.1.0"

/* Maximum length in bytes of a body excerpt kept in error objects. */
#define TRANSFER_EXCERPT_MAX 200

/* What the last exchange ended with. */
typedef struct transfer_result {
    CURLcode code;           /* CURLE_OK when an HTTP response arrived whole */
    long status;             /* HTTP status, 0 when no response arrived */
    char reason[64];         /* reason phrase of the status line ("Not Found") */
    long retry_after_ms;     /* Retry-After of the response in ms, -1 when absent */
    int too_large;           /* the body passed the size limit and was aborted */
    int out_of_memory;       /* the body buffer could not grow */
    int sends;               /* times the request went out; libcurl sends it again by itself
                                when a reused connection closes before any response byte */
    int resend_stopped;      /* a send past max_sends was stopped */
    int connected;           /* a connection to the server was established */
    long elapsed_ms;         /* wall time of the exchange */
    char error[CURL_ERROR_SIZE]; /* curl's own explanation, may be empty */
} transfer_result;

/* Settings that apply to every exchange of a session. */
typedef struct transfer_settings {
    long timeout_ms;         /* whole exchange */
    long connect_timeout_ms;
    int verify_tls;
    const char *ca_file;     /* NULL: the system's CA bundle */
    size_t max_response_size;
} transfer_settings;

/* The curl handles, the response body and the result of the last exchange. */
typedef struct transfer {
    CURLM *multi;
    CURL *easy;
    struct curl_slist *headers; /* request headers of the exchange in flight */
    char *body;                 /* response body, NUL-terminated when body_len < body_cap */
    size_t body_len;
    size_t body_cap;
    size_t body_limit;
    int max_sends;              /* sends allowed in the exchange in flight */
    transfer_result result;
} transfer;

/* Creates the multi and easy handles. Returns 0, or -1 when curl cannot
 * allocate them (the transfer is then left for transfer_close). */
int transfer_open(transfer *t);

/* Frees the handles, the header list and the body. Overwrites the body and
 * the header strings first, since they may carry a token or a password.
 * Safe on a zeroed or already closed transfer. */
void transfer_close(transfer *t);

/* Takes ownership of headers for the next exchange; transfer_run frees them
 * (overwritten first) when it returns, and transfer_close if it never runs. */
void transfer_set_headers(transfer *t, struct curl_slist *headers);

/* Sends one request and waits for its end, driving the multi handle with
 * curl_multi_perform and curl_multi_poll. body may be NULL (no body). The
 * request goes out at most max_sends times: a re-send by libcurl beyond
 * that is stopped and reported as CURLE_GOT_NOTHING. The response ends up
 * in t->body and t->result; never calls Lua, never fails other than through
 * t->result. Connections stay open for the next run. */
void transfer_run(transfer *t, const transfer_settings *settings, const char *method,
                  const char *url, const char *body, size_t body_len, int max_sends);

/* Empties the response body. Overwrites it first when sensitive is set
 * (login and refresh responses carry the token), and frees a large buffer so
 * that one big response does not pin memory for the life of the session. */
void transfer_reset_body(transfer *t, int sensitive);

/* Decodes the JSON text s[0..len) with the lua-cjson instance that
 * transfer_load_cjson stored, then normalizes the result: integral numbers
 * within +-2^53 become integers and JSON nulls are removed from objects.
 * Nulls inside arrays stay cjson.null, because removing them would shift
 * the positions of the elements after them. Pushes the value and returns 1,
 * or pushes nothing and returns 0 when s is not JSON. Raises only on memory
 * errors. */
int transfer_decode_json(lua_State *L, const char *s, size_t len);

/* Loads lua-cjson, makes a private instance (so that other code changing the
 * global cjson settings does not affect decoding here) and stores it in the
 * registry. Returns 1, or 0 with an explanation pushed when cjson cannot be
 * loaded. Does the work only once per Lua state. */
int transfer_load_cjson(lua_State *L);

/* Pushes the first TRANSFER_EXCERPT_MAX bytes of s with control characters
 * removed (line breaks and tabs become single spaces) and without a UTF-8
 * sequence cut in half. */
void transfer_push_excerpt(lua_State *L, const char *s, size_t len);

/* Returns 1 when s[0..len) holds only whitespace. */
int transfer_is_blank(const char *s, size_t len);

#endif
