/* One call to the API: login first when needed, the exchange under the
 * retry policy, a new login and a replay after a 401, then the decoded
 * result or the error object. session_perform (session.h) is its entry
 * point. */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <lauxlib.h>

#include "auth.h"
#include "errors.h"
#include "log.h"
#include "retry.h"
#include "session_internal.h"
#include "transfer.h"

/* --------------------------------------------------------------- sending */

static struct curl_slist *append_header(struct curl_slist *headers, const char *line, int *failed)
{
    struct curl_slist *list;

    if (*failed)
        return headers;
    list = curl_slist_append(headers, line);
    if (list == NULL) {
        *failed = 1;
        return headers;
    }
    return list;
}

void call_exchange(session *s, const call *c, int max_sends)
{
    struct curl_slist *headers = NULL;
    int failed = 0;

    headers = append_header(headers, "Accept: application/json", &failed);
    /* Expect: 100-continue costs a round trip and the API does not need it. */
    headers = append_header(headers, "Expect:", &failed);
    /* An empty Content-Type stops curl from labelling a bodiless POST as a form. */
    headers = append_header(headers, c->body != NULL ? "Content-Type: application/json"
                                                     : "Content-Type:", &failed);
    if (!failed && c->credential != SEND_NO_CREDENTIAL) {
        struct curl_slist *list = c->credential == SEND_TOKEN
                                      ? auth_append_token_header(headers, &s->auth)
                                      : auth_append_login_header(headers, &s->auth);
        if (list == NULL)
            failed = 1;
        else
            headers = list;
    }
    transfer_set_headers(&s->transfer, headers);

    if (failed) {
        transfer_set_headers(&s->transfer, NULL);
        memset(&s->transfer.result, 0, sizeof s->transfer.result);
        s->transfer.result.retry_after_ms = -1;
        s->transfer.result.code = CURLE_OUT_OF_MEMORY;
        snprintf(s->transfer.result.error, sizeof s->transfer.result.error,
                 "out of memory while writing the request headers");
        return;
    }
    transfer_run(&s->transfer, &s->settings, c->method, c->url, c->body, c->body_len, max_sends);
}

static void log_exchange(lua_State *L, session *s, const call *c)
{
    const transfer_result *r = &s->transfer.result;

    if (r->code == CURLE_OK)
        session_log(L, s, "debug", "%s %s returned %d in %d ms", c->method, c->path,
                    (int)r->status, (int)r->elapsed_ms);
    else
        session_log(L, s, "debug", "%s %s failed after %d ms: %s", c->method, c->path,
                    (int)r->elapsed_ms, r->error[0] != '\0' ? r->error : curl_easy_strerror(r->code));
}

/* Logs at warn each send that libcurl made by itself in the last exchange:
 * it sends a request again on a new connection when a reused one closed
 * before any response byte. sent_before is the count of sends before that
 * exchange, and allowed is the maximum number of sends for the call. */
static void log_resends(lua_State *L, session *s, const call *c, int sent_before, int allowed)
{
    int send;

    for (send = 2; send <= s->transfer.result.sends; send++)
        session_log(L, s, "warn", "retried %s %s at once on a new connection because the reused "
                                  "one closed without a response (attempt %d of %d)",
                    c->method, c->path, sent_before + send, allowed);
}

/* Every attempt and every send, libcurl's own re-sends included, counts
 * against retry_count + 1, and every retry is logged at warn. A POST is
 * sent once per attempt, on a connection of its own. */
int call_run(lua_State *L, session *s, const call *c)
{
    const transfer_result *r = &s->transfer.result;
    int allowed = s->retry_count + 1;
    int once = strcmp(c->method, "POST") == 0;
    int used = 0, retries = 0;

    if (!s->settings.verify_tls && !s->tls_warning_logged) {
        s->tls_warning_logged = 1;
        session_log(L, s, "warn", "TLS certificate verification is off (verify_tls = false): "
                                  "the identity of the server is not checked");
    }

    for (;;) {
        char reason[CURL_ERROR_SIZE + 64];
        char seconds[32];
        double delay;

        call_exchange(s, c, once ? 1 : allowed - used);
        log_exchange(L, s, c);
        log_resends(L, s, c, used, allowed);
        used += r->sends > 1 ? r->sends : 1;
        if (used >= allowed || !retry_reason(c->method, r, reason, sizeof reason))
            return r->code == CURLE_OK ? 0 : -1;

        delay = retry_delay(s->backoff, s->backoff_factor, r, retries++);
        session_log(L, s, "warn", "retrying %s %s after %s (attempt %d of %d) in %s s",
                    c->method, c->path, reason, used + 1, allowed,
                    log_format_number(seconds, sizeof seconds, delay));
        retry_sleep(delay);
    }
}

/* ---------------------------------------------------------------- errors */

static void set_call_fields(lua_State *L, const call *c)
{
    errors_set_string(L, "operation", c->operation);
    errors_set_string(L, "method", c->method);
    errors_set_string(L, "path", c->path);
}

int call_raise_transfer_error(lua_State *L, session *s, const call *c)
{
    const transfer_result *r = &s->transfer.result;
    char seconds[32];

    if (r->too_large) {
        errors_push(L, "network", "%s failed: response to %s %s exceeded max_response_size (%I bytes)",
                    c->operation, c->method, c->path, (lua_Integer)s->settings.max_response_size);
    } else if (r->code == CURLE_OPERATION_TIMEDOUT && r->sends == 0) {
        long limit = s->settings.connect_timeout_ms < s->settings.timeout_ms
                         ? s->settings.connect_timeout_ms : s->settings.timeout_ms;

        errors_push(L, "timeout", "%s (%s %s) timed out after %s s while connecting",
                    c->operation, c->method, c->path,
                    log_format_number(seconds, sizeof seconds, (double)limit / 1000.0));
    } else if (r->code == CURLE_OPERATION_TIMEDOUT) {
        errors_push(L, "timeout", "%s (%s %s) timed out after %s s", c->operation, c->method,
                    c->path, log_format_number(seconds, sizeof seconds,
                                               (double)s->settings.timeout_ms / 1000.0));
    } else if (r->out_of_memory) {
        errors_push(L, "network", "%s (%s %s) failed: out of memory while reading the response",
                    c->operation, c->method, c->path);
    } else {
        errors_push(L, "network", "%s (%s %s) failed: %s", c->operation, c->method, c->path,
                    r->error[0] != '\0' ? r->error : curl_easy_strerror(r->code));
    }
    set_call_fields(L, c);
    errors_set_integer(L, "curl_code", (lua_Integer)r->code);
    transfer_reset_body(&s->transfer, 1);
    return lua_error(L);
}

/* Masks the session's secrets and the call's body credentials in the
 * response body, which is about to go into an error object. */
static void redact_body(session *s, const call *c)
{
    if (s->transfer.body == NULL)
        return;
    for (size_t i = 0; i < c->nsecrets; i++)
        auth_mask_secret(s->transfer.body, &s->transfer.body_len, c->secrets[i]);
    auth_redact(&s->auth, s->transfer.body, &s->transfer.body_len);
}

/* Pushes an error of the given kind for the HTTP response in s->transfer:
 * "<lead>: HTTP <status> <message>", where the message comes from the
 * envelope (status.message, or the auth API's statusMessage) or else from
 * the status line. Leaves exactly the error table on the stack. */
static void push_response_error(lua_State *L, session *s, const call *c, const char *kind,
                              const char *lead)
{
    const transfer_result *r = &s->transfer.result;
    const char *body;
    size_t len;
    int base = lua_gettop(L);
    int has_body, is_json;
    const char *api_message = NULL;
    lua_Integer code = 0;
    int has_code = 0;
    int excerpt = 0;

    redact_body(s, c);
    body = s->transfer.body != NULL ? s->transfer.body : "";
    len = s->transfer.body_len;
    has_body = len > 0 && !transfer_is_blank(body, len);
    is_json = has_body && transfer_decode_json(L, body, len);

    if (is_json && lua_istable(L, -1)) {
        int envelope = lua_gettop(L);

        if (lua_getfield(L, envelope, "status") == LUA_TTABLE) {
            if (lua_getfield(L, -1, "code") == LUA_TNUMBER && lua_isinteger(L, -1)) {
                code = lua_tointeger(L, -1);
                has_code = 1;
            }
            if (lua_getfield(L, -2, "message") == LUA_TSTRING)
                api_message = lua_tostring(L, -1);
        } else if (lua_getfield(L, envelope, "statusMessage") == LUA_TSTRING) {
            api_message = lua_tostring(L, -1);
        }
    }
    if (has_body && !is_json) {
        transfer_push_excerpt(L, body, len);
        excerpt = lua_gettop(L);
    }

    if (excerpt)
        errors_push(L, kind, "%s: HTTP %d%s%s (the response body is not JSON: %s)", lead,
                    (int)r->status, r->reason[0] ? " " : "", r->reason, lua_tostring(L, excerpt));
    else if (api_message != NULL)
        errors_push(L, kind, "%s: HTTP %d %s", lead, (int)r->status, api_message);
    else
        errors_push(L, kind, "%s: HTTP %d%s%s", lead, (int)r->status, r->reason[0] ? " " : "",
                    r->reason);

    errors_set_integer(L, "status", (lua_Integer)r->status);
    if (has_code)
        errors_set_integer(L, "code", code);
    if (api_message != NULL)
        errors_set_string(L, "api_message", api_message);
    if (excerpt) {
        lua_pushvalue(L, excerpt);
        lua_setfield(L, -2, "body_excerpt");
    }
    set_call_fields(L, c);

    if (lua_gettop(L) > base + 1) {
        lua_replace(L, base + 1);
        lua_settop(L, base + 1);
    }
    transfer_reset_body(&s->transfer, 1);
}

int call_raise_response_error(lua_State *L, session *s, const call *c, const char *kind,
                              const char *lead)
{
    push_response_error(L, s, c, kind, lead);
    return lua_error(L);
}

const char *call_push_lead(lua_State *L, const call *c)
{
    return lua_pushfstring(L, "%s (%s %s) failed", c->operation, c->method, c->path);
}

/* --------------------------------------------------------------- perform */

/* Pushes the value of a 2xx response: the raw body, an empty table for an
 * empty body, or the decoded JSON. Raises "http" when the body is not JSON. */
static void push_success(lua_State *L, session *s, const call *c, int raw)
{
    transfer *t = &s->transfer;
    const char *body = t->body != NULL ? t->body : "";

    if (raw) {
        lua_pushlstring(L, body, t->body_len);
    } else if (t->body_len == 0 || transfer_is_blank(body, t->body_len)) {
        lua_newtable(L);
    } else if (!transfer_decode_json(L, body, t->body_len)) {
        redact_body(s, c);
        call_push_lead(L, c);
        transfer_push_excerpt(L, body, t->body_len);
        errors_push(L, "http", "%s: HTTP %d returned a body that is not JSON: %s",
                    lua_tostring(L, -2), (int)t->result.status, lua_tostring(L, -1));
        errors_set_integer(L, "status", (lua_Integer)t->result.status);
        lua_pushvalue(L, -2);
        lua_setfield(L, -2, "body_excerpt");
        set_call_fields(L, c);
        transfer_reset_body(t, 1);
        lua_error(L);
    }
    transfer_reset_body(t, 0);
}

/* The body of session_perform, run under lua_pcall so that the busy flag
 * is cleared whatever happens. Arguments: the session, the request as a
 * light userdata. */
static int perform_protected(lua_State *L)
{
    session *s = lua_touserdata(L, 1);
    const request *req = lua_touserdata(L, 2);
    int relogged = 0;
    call c;

    memset(&c, 0, sizeof c);
    c.operation = req->operation != NULL ? req->operation : "request";
    c.method = req->method;
    c.path = req->path;
    c.body = req->body;
    c.body_len = req->body != NULL ? req->body_len : 0;
    c.secrets = req->secrets;
    c.nsecrets = req->secrets != NULL ? req->nsecrets : 0;
    c.credential = SEND_TOKEN;
    c.url = lua_pushfstring(L, "%s%s", s->cloudworks_url, req->path);

    login_ensure_token(L, s);
    for (;;) {
        long status;

        if (call_run(L, s, &c) != 0)
            return call_raise_transfer_error(L, s, &c);

        status = s->transfer.result.status;
        if (status >= 200 && status < 300) {
            push_success(L, s, &c, req->raw);
            return 1;
        }
        if (status != 401)
            return call_raise_response_error(L, s, &c, "http", call_push_lead(L, &c));

        if (s->auth.kind == AUTH_TOKEN)
            return call_raise_response_error(L, s, &c, "auth",
                                             lua_pushfstring(L, "%s (%s %s) failed: the token "
                                                                "given to the client was "
                                                                "rejected (401); it may have "
                                                                "expired",
                                                             c.operation, c.method, c.path));
        if (relogged)
            return call_raise_response_error(L, s, &c, "auth",
                                             lua_pushfstring(L, "%s (%s %s) failed: the token "
                                                                "was rejected (401) right after "
                                                                "a new login",
                                                             c.operation, c.method, c.path));

        session_log(L, s, "info", "%s %s returned 401; logging in again and replaying it",
                    c.method, c.path);
        transfer_reset_body(&s->transfer, 1);
        auth_forget_token(&s->auth);
        login_with_credentials(L, s);
        relogged = 1;
    }
}

void session_perform(lua_State *L, int session_idx, const request *req)
{
    session *s;
    int status;

    session_idx = lua_absindex(L, session_idx);
    s = session_check(L, session_idx);
    luaL_checkstack(L, 3, "session_perform");
    if (s->busy)
        errors_raise(L, "usage", "%s: the client is already running a call (a logger must not "
                                 "call the client)",
                     req->operation != NULL ? req->operation : "request");

    lua_pushcfunction(L, perform_protected);
    lua_pushvalue(L, session_idx);
    lua_pushlightuserdata(L, (void *)req);
    s->busy = 1;
    status = lua_pcall(L, 2, 1, 0);
    s->busy = 0;
    if (status != LUA_OK)
        lua_error(L);
}

