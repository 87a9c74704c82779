/* Error objects raised to Lua.
 *
 * Every failure reaches Lua as a table {kind = ..., message = ..., ...} whose
 * metatable is the registry entry ANAPLAN_ERROR_MT (it has __tostring, and
 * __name = "anaplan.Error"). kind is one of "validation", "auth", "http",
 * "timeout", "network", "usage" ("usage" is a programming error such as calling
 * a closed client). No function here ever copies a secret into a message:
 * callers must not pass one in. */
#ifndef ANAPLAN_ERRORS_H
#define ANAPLAN_ERRORS_H

#include <lua.h>

#define ANAPLAN_ERROR_MT "anaplan.Error"

/* Creates the error metatable in the registry. Call once from luaopen. */
void errors_init(lua_State *L);

/* Pushes a new error table with kind and a formatted message (lua_pushvfstring
 * rules: %s %d %I %f %p %c %U %%). Raises only on memory errors. */
void errors_push(lua_State *L, const char *kind, const char *fmt, ...);

/* Like errors_push, then raises the table with lua_error. Never returns.
 * Callers free everything they malloc'd before calling this. */
int errors_raise(lua_State *L, const char *kind, const char *fmt, ...);

/* Sets field name of the error table on top of the stack. */
void errors_set_string(lua_State *L, const char *name, const char *value);
void errors_set_integer(lua_State *L, const char *name, lua_Integer value);

#endif
