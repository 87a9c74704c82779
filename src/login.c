/* Login on first use, refresh ahead of expiry and logout: the exchanges
 * with the auth API that keep a session's token usable. auth.c keeps the
 * credentials and the expiry bookkeeping; this file sends the requests. */
#define _POSIX_C_SOURCE 200809L

#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <lauxlib.h>

#include "auth.h"
#include "errors.h"
#include "session_internal.h"
#include "transfer.h"

static double monotonic_now(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static double wall_now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

/* Returns an expiresAt value (epoch ms) as an integer, or 0 (unknown) when
 * it is not positive or lies past 2^53. lua-cjson decodes every number as a
 * double, and above 2^53 a double no longer represents every integer exactly.
 * Converting a double outside the range of long long would be undefined
 * behaviour. */
static long long read_expires_at(lua_Number ms)
{
    if (!(ms > 0 && ms <= 9007199254740992.0))
        return 0;
    return (long long)ms;
}

/* Reads tokenInfo from the JSON response in s->transfer and stores the token
 * (a refresh response without tokenValue keeps the current token). Returns 0,
 * or -1 when the response contains no usable token. Overwrites and clears
 * the response body, which contains the token. */
static int store_token_from_response(lua_State *L, session *s)
{
    int top = lua_gettop(L);
    const char *value = NULL;
    size_t value_len = 0;
    long long expires_at_ms = 0;
    int status = -1;

    if (s->transfer.body_len > 0
        && transfer_decode_json(L, s->transfer.body, s->transfer.body_len)
        && lua_istable(L, -1)
        && lua_getfield(L, -1, "tokenInfo") == LUA_TTABLE) {
        if (lua_getfield(L, -1, "tokenValue") == LUA_TSTRING)
            value = lua_tolstring(L, -1, &value_len);
        if (lua_getfield(L, -2, "expiresAt") == LUA_TNUMBER)
            expires_at_ms = read_expires_at(lua_tonumber(L, -1));
    }

    if (value == NULL && s->auth.token != NULL && s->auth.token_from_login) {
        value = s->auth.token;
        value_len = strlen(value);
    }
    if (value != NULL) {
        int rc = auth_store_token(&s->auth, value, value_len, expires_at_ms, wall_now_ms(),
                                  monotonic_now());
        if (rc == -1) {
            transfer_reset_body(&s->transfer, 1);
            luaL_error(L, "not enough memory for the token");
        }
        status = rc == 0 ? 0 : -1;
    }

    lua_settop(L, top);
    transfer_reset_body(&s->transfer, 1);
    return status;
}

/* Returns the seconds the token has left, or -1 when its expiry is unknown. */
static lua_Integer token_seconds_left(const session *s)
{
    if (s->auth.expires_at == 0)
        return -1;
    return (lua_Integer)(s->auth.expires_at - monotonic_now());
}

/* Pushes and returns the login identity for messages:
 * "user_email dev@example.com" or "certificate <subject>". */
static const char *push_login_subject(lua_State *L, const session *s)
{
    if (s->auth.kind == AUTH_BASIC)
        return lua_pushfstring(L, "user_email %s", s->auth.user_email);
    return lua_pushfstring(L, "certificate %s", s->auth.certificate_subject);
}

void login_with_credentials(lua_State *L, session *s)
{
    int top = lua_gettop(L);
    const char *subject = push_login_subject(L, s);
    char err[256];
    call c;
    long status;

    memset(&c, 0, sizeof c);
    c.operation = "login";
    c.method = "POST";
    c.path = "/token/authenticate";
    c.credential = SEND_LOGIN;
    c.url = lua_pushfstring(L, "%s/token/authenticate", s->auth_url);

    if (s->auth.kind == AUTH_CERTIFICATE) {
        free(s->login_body);
        s->login_body = NULL;
        if (auth_certificate_body(&s->auth, &s->login_body, &c.body_len, err, sizeof err) != 0)
            errors_raise(L, "auth", "login failed for %s: %s", subject, err);
        c.body = s->login_body;
    }

    session_log(L, s, "debug", "logging in with %s", subject);
    if (call_run(L, s, &c) != 0)
        call_raise_transfer_error(L, s, &c);
    free(s->login_body);
    s->login_body = NULL;

    status = s->transfer.result.status;
    if (status == 401 || status == 403)
        call_raise_response_error(L, s, &c, "auth", lua_pushfstring(L, "login failed for %s", subject));
    if (status != 201 && status != 200)
        call_raise_response_error(L, s, &c, "http", call_push_lead(L, &c));
    if (store_token_from_response(L, s) != 0)
        errors_raise(L, "auth", "login failed for %s: the response contains no usable tokenInfo.tokenValue",
                     subject);

    session_log(L, s, "info", "logged in with %s; the token expires in %I s", subject,
                token_seconds_left(s));
    lua_settop(L, top);
}

/* Extends the token with POST /token/refresh. Returns 1 on success, 0 on
 * any failure (logged at info), never raises for a failed exchange. */
static int refresh(lua_State *L, session *s)
{
    int top = lua_gettop(L);
    const transfer_result *r = &s->transfer.result;
    call c;

    memset(&c, 0, sizeof c);
    c.operation = "refresh";
    c.method = "POST";
    c.path = "/token/refresh";
    c.credential = SEND_TOKEN;
    c.url = lua_pushfstring(L, "%s/token/refresh", s->auth_url);

    if (call_run(L, s, &c) != 0) {
        session_log(L, s, "info", "token refresh failed: %s",
                    r->error[0] != '\0' ? r->error : curl_easy_strerror(r->code));
        transfer_reset_body(&s->transfer, 1);
        lua_settop(L, top);
        return 0;
    }
    if (r->status != 200 && r->status != 201) {
        session_log(L, s, "info", "token refresh failed: HTTP %d", (int)r->status);
        transfer_reset_body(&s->transfer, 1);
        lua_settop(L, top);
        return 0;
    }
    if (store_token_from_response(L, s) != 0) {
        session_log(L, s, "info", "token refresh failed: the response contains no usable tokenInfo");
        lua_settop(L, top);
        return 0;
    }

    session_log(L, s, "debug", "refreshed the token; it expires in %I s", token_seconds_left(s));
    lua_settop(L, top);
    return 1;
}

void login_ensure_token(lua_State *L, session *s)
{
    switch (auth_check_token(&s->auth, monotonic_now())) {
    case AUTH_TOKEN_FRESH:
        return;
    case AUTH_TOKEN_MISSING:
        login_with_credentials(L, s);
        return;
    case AUTH_TOKEN_REFRESH_DUE:
        if (refresh(L, s))
            return;
        session_log(L, s, "info", "logging in again because the token could not be refreshed");
        break;
    case AUTH_TOKEN_EXPIRED:
        session_log(L, s, "info", "logging in again because the token expired");
        break;
    }
    auth_forget_token(&s->auth);
    login_with_credentials(L, s);
}

void login_logout(lua_State *L, session *s)
{
    const transfer_result *r = &s->transfer.result;
    call c;

    memset(&c, 0, sizeof c);
    c.operation = "logout";
    c.method = "POST";
    c.path = "/token/logout";
    c.credential = SEND_TOKEN;
    c.url = lua_pushfstring(L, "%s/token/logout", s->auth_url);

    call_exchange(s, &c, 1);
    if (r->code != CURLE_OK)
        session_log(L, s, "debug", "logout failed: %s",
                    r->error[0] != '\0' ? r->error : curl_easy_strerror(r->code));
    else if (r->status >= 300)
        session_log(L, s, "debug", "logout failed: HTTP %d", (int)r->status);
    else
        session_log(L, s, "debug", "logged out");
    lua_pop(L, 1);
}

