/* Error objects raised to Lua: tables with a shared metatable. */
#include "errors.h"

#include <stdarg.h>

#include <lauxlib.h>

/* __tostring: "anaplan <kind> error: <message>". The message was written
 * without secrets, so printing it is safe. */
static int error_tostring(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "kind");
    lua_getfield(L, 1, "message");
    lua_pushfstring(L, "anaplan %s error: %s",
                    lua_isstring(L, -2) ? lua_tostring(L, -2) : "unknown",
                    lua_isstring(L, -1) ? lua_tostring(L, -1) : "(no message)");
    return 1;
}

void errors_init(lua_State *L)
{
    if (luaL_newmetatable(L, ANAPLAN_ERROR_MT)) {
        lua_pushcfunction(L, error_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
}

static void push_error_va(lua_State *L, const char *kind, const char *fmt, va_list ap)
{
    lua_createtable(L, 0, 4);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "kind");
    lua_pushvfstring(L, fmt, ap);
    lua_setfield(L, -2, "message");
    luaL_setmetatable(L, ANAPLAN_ERROR_MT);
}

void errors_push(lua_State *L, const char *kind, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    push_error_va(L, kind, fmt, ap);
    va_end(ap);
}

int errors_raise(lua_State *L, const char *kind, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    push_error_va(L, kind, fmt, ap);
    va_end(ap);
    return lua_error(L);
}

void errors_set_string(lua_State *L, const char *name, const char *value)
{
    lua_pushstring(L, value);
    lua_setfield(L, -2, name);
}

void errors_set_integer(lua_State *L, const char *name, lua_Integer value)
{
    lua_pushinteger(L, value);
    lua_setfield(L, -2, name);
}
