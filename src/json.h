/* JSON writing into growable buffers.
 *
 * A jsonbuf is always owned by a full userdata (jsonbuf_new), so that a Lua
 * error raised while a body is being written frees the memory through __gc.
 * Responses are decoded by lua-cjson, never by this file. */
#ifndef ANAPLAN_JSON_H
#define ANAPLAN_JSON_H

#include <stddef.h>
#include <lua.h>

typedef struct jsonbuf {
    char *data;   /* NUL-terminated while len < cap; NULL until first write */
    size_t len;
    size_t cap;
} jsonbuf;

/* Pushes a new empty buffer userdata (with __gc and __close) and returns it. */
jsonbuf *jsonbuf_new(lua_State *L);

/* Appending raises a Lua memory error when allocation fails (the buffer
 * stays owned by its userdata, so nothing leaks). */
void jsonbuf_add(lua_State *L, jsonbuf *b, const char *s, size_t n);
void jsonbuf_addc(lua_State *L, jsonbuf *b, char c);
void jsonbuf_adds(lua_State *L, jsonbuf *b, const char *s);
/* Appends s as a JSON string literal with quotes; invalid UTF-8 must be
 * rejected by the caller before this is reached. */
void jsonbuf_add_string(lua_State *L, jsonbuf *b, const char *s, size_t n);
void jsonbuf_add_integer(lua_State *L, jsonbuf *b, lua_Integer i);
/* Appends a finite double with enough digits to read back the same value. */
void jsonbuf_add_number(lua_State *L, jsonbuf *b, double d);
/* Releases the memory; the buffer may be reused afterwards. */
void jsonbuf_reset(jsonbuf *b);

/* Registers the buffer metatable. Call once from luaopen. */
void json_init(lua_State *L);

/* Returns 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int json_utf8_valid(const char *s, size_t n);

#endif
