/* A client's state: base URLs, credentials, token, timeouts, retry policy,
 * logger and the curl handles. Lives in a full userdata ("anaplan.Session")
 * that core.session(options) creates; __gc, __close and close() free it. */
#ifndef ANAPLAN_SESSION_H
#define ANAPLAN_SESSION_H

#include <stddef.h>
#include <lua.h>

#define ANAPLAN_SESSION_MT "anaplan.Session"

typedef struct session session; /* defined in session_internal.h */

/* One CloudWorks call as the dispatcher describes it. */
typedef struct request {
    const char *method;    /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *path;      /* under cloudworks_url, starts with '/', query included */
    const char *body;      /* JSON text, or NULL to send no body */
    size_t body_len;
    const char *operation; /* the Lua method name, used in messages and logs */
    int raw;               /* 1: push the body as a string; 0: decode JSON */
    /* Credentials the body carries (a SAS token, a secret key), longest
     * first, masked like the session's own in any response text that goes
     * into an error, since a server may quote the request back. NULL: none. */
    const char *const *secrets;
    size_t nsecrets;
} request;

/* Registers the session metatable and its methods. Call once from luaopen. */
void session_init(lua_State *L);

/* lua_CFunction behind core.session(options): validates the options table
 * (unknown keys and bad values raise "validation") and pushes a session. */
int session_new(lua_State *L);

/* Returns the open session at idx; raises "usage" when it is closed and a
 * type error when idx is not a session. */
session *session_check(lua_State *L, int idx);

/* Returns the page size the client asks list endpoints for. */
lua_Integer session_page_size(const session *s);

/* Sends req, logging in first when no valid token is held, under the retry
 * and re-login policy. On a 2xx response pushes the decoded JSON (integral
 * numbers as integers, JSON nulls absent; an empty body pushes an empty
 * table) or, when req->raw is set, the body as a string. Raises "http",
 * "auth", "timeout" or "network" errors that name req->operation. */
void session_perform(lua_State *L, int session_idx, const request *req);

/* Sends a message to the user's logger (if any, and if level passes the
 * session's log_level), under pcall: a failing logger is ignored. */
void session_log(lua_State *L, session *s, const char *level, const char *fmt, ...);

#endif
