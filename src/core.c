/* luaopen_anaplan_core: the only exported symbol of the C core. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* nanosleep, clock_gettime */
#endif

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <curl/curl.h>
#include <lauxlib.h>
#include <lua.h>

#include "endpoints.h"
#include "errors.h"
#include "json.h"
#include "schema.h"
#include "session.h"
#include "transfer.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_OK;

/* curl_global_init is not thread-safe in every libcurl build, and two
 * lua_States in two threads may load this module at once. */
static void init_curl_once(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* core.sleep(seconds): blocks the calling thread; used between polls. */
static int core_sleep(lua_State *L)
{
    lua_Number seconds = luaL_checknumber(L, 1);
    struct timespec request, remaining;

    luaL_argcheck(L, seconds >= 0 && seconds <= 86400, 1, "must be between 0 and 86400 seconds");
    request.tv_sec = (time_t)seconds;
    request.tv_nsec = (long)((seconds - (lua_Number)request.tv_sec) * 1e9);
    while (nanosleep(&request, &remaining) != 0 && errno == EINTR)
        request = remaining;
    return 0;
}

/* core.monotonic(): seconds from an arbitrary start, never going back. */
static int core_monotonic(lua_State *L)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    lua_pushnumber(L, (lua_Number)now.tv_sec + (lua_Number)now.tv_nsec / 1e9);
    return 1;
}

/* core.error(kind, message [, fields]): builds an error object the way the C
 * core does, so the Lua layer raises the same kind of value. */
static int core_error(lua_State *L)
{
    const char *kind = luaL_checkstring(L, 1);
    const char *message = luaL_checkstring(L, 2);

    errors_push(L, kind, "%s", message);
    if (lua_istable(L, 3)) {
        lua_pushnil(L);
        while (lua_next(L, 3) != 0) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -4);
        }
    }
    return 1;
}

/* core.is_error(value): true when value is an error object of this SDK. */
static int core_is_error(lua_State *L)
{
    int is_error = 0;

    if (lua_getmetatable(L, 1)) {
        luaL_getmetatable(L, ANAPLAN_ERROR_MT);
        is_error = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
    }
    lua_pushboolean(L, is_error);
    return 1;
}

static const luaL_Reg core_functions[] = {
    {"session", session_new},
    {"sleep", core_sleep},
    {"monotonic", core_monotonic},
    {"error", core_error},
    {"is_error", core_is_error},
    {NULL, NULL},
};

__attribute__((visibility("default"))) int luaopen_anaplan_core(lua_State *L)
{
    pthread_once(&curl_once, init_curl_once);
    if (curl_init_result != CURLE_OK)
        return luaL_error(L, "anaplan.core: curl_global_init failed: %s",
                          curl_easy_strerror(curl_init_result));

    errors_init(L);
    json_init(L);
    session_init(L);

    luaL_newlib(L, core_functions);
    schema_register(L);
    endpoints_register(L);
    lua_pushliteral(L, ANAPLAN_SDK_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}
