/* A Lua host whose allocator fails on request. alloc_failures_spec.lua
 * builds it and runs alloc_scenarios.lua in it, failing every allocation
 * point of a call in turn to check that an out-of-memory error anywhere
 * inside the core leaks nothing and leaves the session usable or closed.
 *
 * Usage: alloc_host SCRIPT [ARG...]. The script gets the arguments as ...
 * and a global table "allocation" with fail_at(n) and disarm(). The exit
 * status is 0 when the script ran without error, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

/* Lua retries a failed allocation once after an emergency collection, so a
 * failure that Lua cannot recover from takes two failed requests in a row. */
#define FAILURES_PER_POINT 2

typedef struct limiter {
    long countdown;    /* growing requests until the next failure; 0 when disarmed */
    int failures_left; /* failures still to inject at this point */
    int injected;      /* a failure was injected since fail_at */
} limiter;

static limiter limits;

/* lua_Alloc that fails the growing requests fail_at chose. Frees and
 * shrinks always succeed, since Lua relies on that. */
static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    limiter *l = ud;
    int growing = ptr == NULL || nsize > osize;

    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    if (growing && l->countdown > 0 && --l->countdown == 0) {
        l->injected = 1;
        if (--l->failures_left > 0)
            l->countdown = 1;
        return NULL;
    }
    return realloc(ptr, nsize);
}

/* allocation.fail_at(n): fails the nth growing request from now and the
 * one after it. */
static int fail_at(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);

    luaL_argcheck(L, n >= 1, 1, "must be at least 1");
    limits.countdown = (long)n;
    limits.failures_left = FAILURES_PER_POINT;
    limits.injected = 0;
    return 0;
}

/* allocation.disarm(): stops injecting; returns true when a failure was
 * injected since fail_at. */
static int disarm(lua_State *L)
{
    int injected = limits.injected;

    limits.countdown = 0;
    limits.injected = 0;
    lua_pushboolean(L, injected);
    return 1;
}

static int traceback(lua_State *L)
{
    const char *message = lua_tostring(L, 1);

    luaL_traceback(L, L, message != NULL ? message : "(error object is not a string)", 1);
    return 1;
}

int main(int argc, char **argv)
{
    static const luaL_Reg functions[] = {
        {"fail_at", fail_at},
        {"disarm", disarm},
        {NULL, NULL},
    };
    lua_State *L;
    int i, status;

    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRIPT [ARG...]\n", argv[0]);
        return 2;
    }
    L = lua_newstate(limited_alloc, &limits);
    if (L == NULL) {
        fprintf(stderr, "cannot create a Lua state\n");
        return 2;
    }
    luaL_openlibs(L);
    luaL_newlib(L, functions);
    lua_setglobal(L, "allocation");

    lua_pushcfunction(L, traceback);
    status = luaL_loadfile(L, argv[1]);
    if (status == LUA_OK) {
        for (i = 2; i < argc; i++)
            lua_pushstring(L, argv[i]);
        status = lua_pcall(L, argc - 2, 0, 1);
    }
    if (status != LUA_OK)
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
    lua_close(L);
    return status == LUA_OK ? 0 : 1;
}
