/* The session's state and the functions that session.c, call.c, login.c
 * and log.c share. The contract with the dispatcher is session.h; nothing
 * here is part of it.
 *
 * Memory and errors: every malloc'd resource hangs off the session
 * userdata, whose __gc frees it, so a Lua error raised at any point leaks
 * nothing. Lua is only called between exchanges (curl callbacks never call
 * it). */
#ifndef ANAPLAN_SESSION_INTERNAL_H
#define ANAPLAN_SESSION_INTERNAL_H

#include <stddef.h>

#include <lua.h>

#include "auth.h"
#include "session.h"
#include "transfer.h"

struct session {
    int closed;
    int busy;                 /* a call is in flight; the logger may not re-enter */
    int tls_warning_logged;
    int log_level;
    int logger_ref;           /* registry reference of the logger, LUA_NOREF when none */
    char *auth_url;           /* without a trailing slash */
    char *cloudworks_url;     /* without a trailing slash */
    char *ca_file;
    int retry_count;
    double backoff;
    double backoff_factor;
    lua_Integer page_size;
    transfer_settings settings;
    auth_state auth;
    transfer transfer;
    char *login_body;         /* certificate login body while the login runs */
};

/* What an exchange sends in its Authorization header. */
typedef enum credential { SEND_NO_CREDENTIAL, SEND_TOKEN, SEND_LOGIN } credential;

/* One exchange as the retry policy and the error messages see it. */
typedef struct call {
    const char *operation; /* named in messages: "list_connections", "login" */
    const char *method;
    const char *url;
    const char *path;      /* shown in messages, relative to its base URL */
    const char *body;      /* NULL: no body */
    size_t body_len;
    credential credential;
    const char *const *secrets; /* the request's body credentials, see request */
    size_t nsecrets;
} call;

/* ------------------------------------------------------------- call.c */

/* Sends c once, letting libcurl send it at most max_sends times; the
 * outcome is in s->transfer.result. Never calls Lua. */
void call_exchange(session *s, const call *c, int max_sends);

/* Sends c under the retry policy. Returns 0 when an HTTP response arrived
 * (any status; see s->transfer.result) and -1 when the last attempt ended
 * without one. Raises only on memory errors. */
int call_run(lua_State *L, session *s, const call *c);

/* Raises "timeout" or "network" for an exchange that ended without an
 * HTTP response. Never returns. */
int call_raise_transfer_error(lua_State *L, session *s, const call *c);

/* Raises an error of kind for the HTTP response in s->transfer, led by the
 * text lead. Never returns. */
int call_raise_response_error(lua_State *L, session *s, const call *c, const char *kind,
                              const char *lead);

/* Pushes and returns "<operation> (<method> <path>) failed". */
const char *call_push_lead(lua_State *L, const call *c);

/* ------------------------------------------------------------ login.c */

/* Makes sure a usable token is held before a call: logs in on first use,
 * refreshes ahead of expiry and logs in again when that fails. Raises what
 * login_with_credentials raises. */
void login_ensure_token(lua_State *L, session *s);

/* Logs in with the basic or certificate credentials and stores the token.
 * Raises "auth" when the credentials are rejected, "http", "timeout" or
 * "network" when the login exchange fails otherwise. */
void login_with_credentials(lua_State *L, session *s);

/* Ends a token obtained by login with POST /token/logout, once and without
 * retries. A failure is only logged, because the token expires anyway.
 * Raises only on memory errors. */
void login_logout(lua_State *L, session *s);

#endif
