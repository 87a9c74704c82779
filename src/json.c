/* JSON writing into growable buffers owned by userdata.
 *
 * Numbers are written in the C locale whatever LC_NUMERIC is set to,
 * because JSON has one decimal point. Strings are escaped per RFC 8259; the caller
 * has checked that they are valid UTF-8, so bytes >= 0x80 are copied. */
#include "json.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#define JSONBUF_MT "anaplan.jsonbuf"
#define JSONBUF_FIRST_CAP 256

/* Grows b until extra further bytes and a terminating NUL fit. Raises on
 * size overflow or when memory runs out, and b keeps its old block then. */
static void jsonbuf_reserve(lua_State *L, jsonbuf *b, size_t extra)
{
    size_t need, cap;
    char *data;

    if (extra > (size_t)-1 - b->len - 1)
        luaL_error(L, "JSON body too large");
    need = b->len + extra + 1;
    if (need <= b->cap)
        return;

    cap = b->cap ? b->cap : JSONBUF_FIRST_CAP;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    data = realloc(b->data, cap);
    if (data == NULL)
        luaL_error(L, "not enough memory for the JSON body");
    b->data = data;
    b->cap = cap;
}

static int jsonbuf_gc(lua_State *L)
{
    jsonbuf *b = luaL_checkudata(L, 1, JSONBUF_MT);

    jsonbuf_reset(b);
    return 0;
}

jsonbuf *jsonbuf_new(lua_State *L)
{
    jsonbuf *b = lua_newuserdatauv(L, sizeof *b, 0);

    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    luaL_setmetatable(L, JSONBUF_MT);
    return b;
}

void jsonbuf_add(lua_State *L, jsonbuf *b, const char *s, size_t n)
{
    if (n == 0)
        return;
    jsonbuf_reserve(L, b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void jsonbuf_addc(lua_State *L, jsonbuf *b, char c)
{
    jsonbuf_reserve(L, b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void jsonbuf_adds(lua_State *L, jsonbuf *b, const char *s)
{
    jsonbuf_add(L, b, s, strlen(s));
}

/* Returns the escape sequence for byte c, or NULL when c is copied as is. */
static const char *json_escape(unsigned char c, char *scratch)
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
        snprintf(scratch, 8, "\\u%04x", (unsigned)c);
        return scratch;
    }
    return NULL;
}

void jsonbuf_add_string(lua_State *L, jsonbuf *b, const char *s, size_t n)
{
    size_t i, run = 0;
    char scratch[8];

    /* The worst case is six bytes out for each byte in, plus the quotes. */
    if (n > ((size_t)-1 - 2) / 6)
        luaL_error(L, "JSON body too large");
    jsonbuf_reserve(L, b, n + 2);
    jsonbuf_addc(L, b, '"');
    for (i = 0; i < n; i++) {
        const char *escape = json_escape((unsigned char)s[i], scratch);

        if (escape == NULL) {
            run++;
            continue;
        }
        jsonbuf_add(L, b, s + i - run, run);
        run = 0;
        jsonbuf_adds(L, b, escape);
    }
    jsonbuf_add(L, b, s + n - run, run);
    jsonbuf_addc(L, b, '"');
}

void jsonbuf_add_integer(lua_State *L, jsonbuf *b, lua_Integer i)
{
    char text[32];
    int n = snprintf(text, sizeof text, LUA_INTEGER_FMT, (LUAI_UACINT)i);

    jsonbuf_add(L, b, text, (size_t)n);
}

/* Replaces the locale's decimal point by '.', since snprintf follows
 * LC_NUMERIC and a host program may have set it. */
static void use_c_decimal_point(char *text)
{
    char point = localeconv()->decimal_point[0];
    char *p;

    if (point == '.' || point == '\0')
        return;
    p = strchr(text, point);
    if (p != NULL)
        *p = '.';
}

void jsonbuf_add_number(lua_State *L, jsonbuf *b, double d)
{
    char text[40];
    int precision, n = 0;

    if (!isfinite(d))
        luaL_error(L, "JSON has no NaN or infinity");

    /* The shortest of 15, 16 or 17 significant digits that reads back as d. */
    for (precision = 15; precision <= 17; precision++) {
        n = snprintf(text, sizeof text, "%.*g", precision, d);
        if (strtod(text, NULL) == d)
            break;
    }
    use_c_decimal_point(text);
    jsonbuf_add(L, b, text, (size_t)n);
}

void jsonbuf_reset(jsonbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void json_init(lua_State *L)
{
    if (luaL_newmetatable(L, JSONBUF_MT)) {
        lua_pushcfunction(L, jsonbuf_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, jsonbuf_gc);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
}

/* Returns the length of the UTF-8 sequence starting at s[0..n), or 0 when
 * it is invalid (RFC 3629: shortest form, no surrogates, at most U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len, i;
    unsigned long code;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        code = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        code = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        code = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;

    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        code = (code << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && code < 0x800) || (len == 4 && code < 0x10000))
        return 0;
    if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
        return 0;
    return len;
}

int json_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        size_t len;

        if (p[i] < 0x80) {
            i++;
            continue;
        }
        len = utf8_sequence(p + i, n - i);
        if (len == 0)
            return 0;
        i += len;
    }
    return 1;
}
