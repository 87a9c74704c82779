/* A client's state: the session userdata that core.session(options)
 * creates, what it copies from the options, and its Lua methods (close,
 * request, token_info, __gc, __close, __tostring). The contract is in
 * session.h. A call itself runs in call.c and the login in login.c.
 *
 * Memory and errors: every malloc'd resource hangs off the session
 * userdata, whose __gc frees it, so a Lua error raised at any point leaks
 * nothing. */
#include "session.h"

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "auth.h"
#include "errors.h"
#include "options.h"
#include "session_internal.h"
#include "transfer.h"

static char *copy_prefix(const char *s, size_t n)
{
    char *copy = malloc(n + 1);

    if (copy != NULL) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

static int raise_out_of_memory(lua_State *L, const char *what)
{
    return luaL_error(L, "not enough memory for %s", what);
}

/* Frees everything the session owns and marks it closed. Safe on a
 * half-built session and when called twice. */
static void session_release(lua_State *L, session *s)
{
    transfer_close(&s->transfer);
    auth_free(&s->auth);
    free(s->login_body);
    s->login_body = NULL;
    free(s->auth_url);
    s->auth_url = NULL;
    free(s->cloudworks_url);
    s->cloudworks_url = NULL;
    free(s->ca_file);
    s->ca_file = NULL;
    s->settings.ca_file = NULL;
    if (s->logger_ref != LUA_NOREF) {
        luaL_unref(L, LUA_REGISTRYINDEX, s->logger_ref);
        s->logger_ref = LUA_NOREF;
    }
    s->closed = 1;
}

/* Copies the checked options into s. Raises "auth" when the certificate or
 * key cannot be used, and a memory error when a copy fails. s owns whatever
 * was copied, so __gc frees it. */
static void apply_options(lua_State *L, session *s, int options, const parsed_options *o)
{
    char err[256];

    s->auth_url = copy_prefix(o->auth_url, o->auth_url_len);
    s->cloudworks_url = copy_prefix(o->cloudworks_url, o->cloudworks_url_len);
    if (s->auth_url == NULL || s->cloudworks_url == NULL)
        raise_out_of_memory(L, "the client's URLs");
    if (o->ca_file != NULL && (s->ca_file = copy_prefix(o->ca_file, strlen(o->ca_file))) == NULL)
        raise_out_of_memory(L, "ca_file");

    s->settings.timeout_ms = (long)(o->timeout * 1000 + 0.5);
    s->settings.connect_timeout_ms = (long)(o->connect_timeout * 1000 + 0.5);
    if (s->settings.timeout_ms < 1)
        s->settings.timeout_ms = 1;
    if (s->settings.connect_timeout_ms < 1)
        s->settings.connect_timeout_ms = 1;
    s->settings.verify_tls = o->verify_tls;
    s->settings.ca_file = s->ca_file;
    s->settings.max_response_size = (size_t)o->max_response_size;
    s->retry_count = (int)o->retry_count;
    s->backoff = o->backoff;
    s->backoff_factor = o->backoff_factor;
    s->page_size = o->page_size;
    s->log_level = o->log_level;

    if (o->has_logger) {
        lua_pushliteral(L, "logger");
        lua_rawget(L, options);
        s->logger_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }

    if (o->token != NULL) {
        if (auth_set_token(&s->auth, o->token) != 0)
            raise_out_of_memory(L, "the token");
    } else if (o->user_email != NULL) {
        if (auth_set_basic(&s->auth, o->user_email, o->password) != 0)
            raise_out_of_memory(L, "the credentials");
    } else if (auth_load_certificate(&s->auth, o->certificate, o->private_key,
                                     o->private_key_password, err, sizeof err) != 0) {
        errors_raise(L, "auth", "certificate login cannot work: %s", err);
    }
}

int session_new(lua_State *L)
{
    parsed_options o;
    session *s;

    if (!lua_istable(L, 1))
        return options_raise(L, "options", lua_pushfstring(L, "must be a table (got %s)",
                                                          luaL_typename(L, 1)));
    lua_settop(L, 1);

    s = lua_newuserdatauv(L, sizeof *s, 0);
    memset(s, 0, sizeof *s);
    s->logger_ref = LUA_NOREF;
    luaL_setmetatable(L, ANAPLAN_SESSION_MT);

    options_read(L, 1, &o);
    if (!transfer_load_cjson(L))
        return errors_raise(L, "usage", "anaplan.core needs lua-cjson to decode responses: %s",
                            lua_tostring(L, -1));
    apply_options(L, s, 1, &o);
    if (transfer_open(&s->transfer) != 0)
        return raise_out_of_memory(L, "the curl handles");

    lua_settop(L, 2);
    return 1;
}

session *session_check(lua_State *L, int idx)
{
    session *s = luaL_checkudata(L, idx, ANAPLAN_SESSION_MT);

    if (s->closed)
        errors_raise(L, "usage", "client is closed");
    return s;
}

lua_Integer session_page_size(const session *s)
{
    return s->page_size;
}

/* login_logout under lua_pcall; argument 1 is the session as a light userdata. */
static int logout_protected(lua_State *L)
{
    login_logout(L, lua_touserdata(L, 1));
    return 0;
}

/* close(): logs out a token obtained by login (ignoring failures) and frees
 * everything. Closing twice does nothing. A Lua error during the logout
 * (out of memory) is raised only after the session is freed and closed, so
 * it never leaves the session half closed or marked busy. */
static int session_close(lua_State *L)
{
    session *s = luaL_checkudata(L, 1, ANAPLAN_SESSION_MT);
    int status = LUA_OK;

    if (s->closed)
        return 0;
    if (s->busy)
        return errors_raise(L, "usage", "close: the client is running a call (a logger must not "
                                        "close the client)");

    if (s->auth.token != NULL && s->auth.token_from_login && s->transfer.easy != NULL) {
        lua_pushcfunction(L, logout_protected);
        lua_pushlightuserdata(L, s);
        s->busy = 1;
        status = lua_pcall(L, 1, 0, 0);
        s->busy = 0;
    }
    session_release(L, s);
    if (status != LUA_OK)
        return lua_error(L);
    return 0;
}

/* __gc: frees without logging out, since a finalizer should not block on
 * the network. Does nothing while a call is in flight. The collector cannot
 * run __gc then, because the session is on the stack, but a logger can call
 * the metamethod by hand, and freeing the session would break the call. */
static int session_gc(lua_State *L)
{
    session *s = luaL_checkudata(L, 1, ANAPLAN_SESSION_MT);

    if (!s->closed && !s->busy)
        session_release(L, s);
    return 0;
}

/* __tostring: the URLs and the login kind; never a credential or token. */
static int session_tostring(lua_State *L)
{
    session *s = luaL_checkudata(L, 1, ANAPLAN_SESSION_MT);

    if (s->closed) {
        lua_pushliteral(L, "anaplan.Session (closed)");
        return 1;
    }
    if (s->auth.kind == AUTH_BASIC)
        lua_pushfstring(L, "basic login as %s", s->auth.user_email);
    else if (s->auth.kind == AUTH_CERTIFICATE)
        lua_pushfstring(L, "certificate login as %s", s->auth.certificate_subject);
    else
        lua_pushliteral(L, "a token given by the user");
    lua_pushfstring(L, "anaplan.Session (%s; auth_url %s; cloudworks_url %s)", lua_tostring(L, -1),
                    s->auth_url, s->cloudworks_url);
    return 1;
}

/* token_info(): {has_token = bool, expiresAt = epoch ms or nil,
 * login = "basic" | "certificate" | "token"}; never the token itself. */
static int session_token_info(lua_State *L)
{
    session *s = session_check(L, 1);

    lua_createtable(L, 0, 3);
    lua_pushboolean(L, s->auth.token != NULL);
    lua_setfield(L, -2, "has_token");
    if (s->auth.token != NULL && s->auth.expires_at_ms > 0) {
        lua_pushinteger(L, (lua_Integer)s->auth.expires_at_ms);
        lua_setfield(L, -2, "expiresAt");
    }
    lua_pushstring(L, auth_kind_name(s->auth.kind));
    lua_setfield(L, -2, "login");
    return 1;
}

static int path_is_safe(const char *path, size_t len)
{
    size_t i;

    if (len == 0 || path[0] != '/')
        return 0;
    for (i = 0; i < len; i++) {
        if ((unsigned char)path[i] <= 0x20 || (unsigned char)path[i] >= 0x7f || path[i] == '#')
            return 0;
    }
    return 1;
}

/* request(method, path [, body_json [, raw]]): sends one call under
 * cloudworks_url with the same login, retry and error rules as the
 * operations. Pushes the decoded response, or the body when raw is true. */
static int session_request(lua_State *L)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};
    request req = {0};
    const char *method, *path;
    size_t path_len;
    int i, known = 0;

    session_check(L, 1);
    method = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
    for (i = 0; method != NULL && methods[i] != NULL; i++)
        known = known || strcmp(method, methods[i]) == 0;
    if (!known)
        return options_raise(L, "request.method", "must be \"GET\", \"POST\", \"PUT\", \"PATCH\" or \"DELETE\"");

    path = lua_type(L, 3) == LUA_TSTRING ? lua_tolstring(L, 3, &path_len) : NULL;
    if (path == NULL || !path_is_safe(path, path_len))
        return options_raise(L, "request.path",
                             "must be a string starting with '/' without spaces, control "
                             "characters or '#'");
    if (!lua_isnoneornil(L, 4) && lua_type(L, 4) != LUA_TSTRING)
        return options_raise(L, "request.body", "must be a JSON string or nil");

    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.body = lua_type(L, 4) == LUA_TSTRING ? lua_tolstring(L, 4, &req.body_len) : NULL;
    req.operation = "request";
    req.raw = lua_toboolean(L, 5);
    session_perform(L, 1, &req);
    return 1;
}

void session_init(lua_State *L)
{
    static const luaL_Reg metamethods[] = {
        {"__gc", session_gc},
        {"__close", session_close},
        {"__tostring", session_tostring},
        {NULL, NULL},
    };
    static const luaL_Reg methods[] = {
        {"close", session_close},
        {"request", session_request},
        {"token_info", session_token_info},
        {NULL, NULL},
    };

    if (luaL_newmetatable(L, ANAPLAN_SESSION_MT)) {
        luaL_setfuncs(L, metamethods, 0);
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
}
