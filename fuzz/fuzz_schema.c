/* libFuzzer target for the validation engine (schema.c, models.c, json.c,
 * errors.c), linked directly with a static Lua and without libcurl.
 *
 * Each input is a small program that builds one Lua value: nested tables,
 * cycles, huge strings, invalid UTF-8, NaN and infinities, integer extremes,
 * integral and fractional floats, mixed array/object tables, and tables whose
 * metamethods raise. The value goes to validate(model, t), encode(model, t)
 * and check_id(value, kind, what) in a fresh lua_State. A finding is any
 * crash or sanitizer report, or one of these broken promises:
 *   - a failure is not an SDK error object of kind "validation" or "usage";
 *   - a validation error has no errors list of {loc = string, msg = string};
 *   - a message, loc, msg or tostring(err) shows a secret field's value;
 *   - validate and encode disagree on whether the value is valid;
 *   - encode returns text that is not strict RFC 8259 JSON in valid UTF-8;
 *   - encode(model, validate(model, t)) differs from encode(model, t);
 *   - check_id accepts a value and returns a string of the wrong shape;
 *   - the engine calls a metamethod of the input (it promises raw access).
 *
 * Input layout: byte 0 picks the model (0xff: a length byte and the name
 * follow), the next byte picks the id kind for check_id, the rest is the
 * value program (see push_value). fuzz/make_corpus.lua writes seeds in this layout. */
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "errors.h"
#include "json.h"
#include "schema.h"

/* Keeps one input's work bounded: the engine's cost grows with the value. */
#define MAX_DEPTH 24
#define MAX_NODES 4000
#define MAX_TABLE_ITEMS 64
#define HUGE_STRING_UNIT (64 * 1024)
#define MAX_DICTIONARY 4096

/* Strings under secret fields start with this, so a leak is easy to spot. */
#define SECRET_MARKER "FUZZSECRET"

/* Field names (API and snake_case spellings) whose values never show. */
static const char *const secret_keys[] = {
    "sasToken",        "sas_token",         "secretAccessKey", "secret_access_key",
    "serviceAccountKey", "service_account_key", "privateKey",  "private_key",
    "clientSecret",    "client_secret",     "password",        NULL,
};

static const char *const id_kinds[] = {"hex32", "model", "numeric", "", "HEX32", "integer"};

/* Field and value names seen in the engine's own messages, plus the model
 * names; filled once by LLVMFuzzerInitialize so that runs are repeatable. */
static char *dictionary[MAX_DICTIONARY];
static size_t dictionary_size;

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

/* The state of one value program: its input, and the tables built so far,
 * which OP_REFERENCE can point to again. */
typedef struct builder {
    lua_State *L;
    reader in;
    int tables;       /* stack index of a sequence of every table built */
    int table_count;
    int nodes;
} builder;

/* Reports a finding and aborts, so that libFuzzer saves the input. */
static void fail(const char *finding, const char *detail)
{
    fprintf(stderr, "fuzz_schema finding: %s\n%s\n", finding, detail ? detail : "");
    abort();
}

/* Input bytes -------------------------------------------------------------- */

static unsigned take_byte(reader *r)
{
    unsigned b;

    if (r->n == 0)
        return 0;
    b = r->p[0];
    r->p++;
    r->n--;
    return b;
}

static uint64_t take_u64(reader *r)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++)
        v = (v << 8) | take_byte(r);
    return v;
}

static unsigned take_u16(reader *r)
{
    unsigned high = take_byte(r);

    return (high << 8) | take_byte(r);
}

/* Pushes a string operand: a length byte, then up to that many raw bytes. */
static void push_string_operand(lua_State *L, reader *r, size_t length)
{
    if (length > r->n)
        length = r->n;
    lua_pushlstring(L, (const char *)r->p, length);
    r->p += length;
    r->n -= length;
}

/* Dictionary --------------------------------------------------------------- */

static void dictionary_add(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > 200 || dictionary_size == MAX_DICTIONARY)
        return;
    for (i = 0; i < dictionary_size; i++)
        if (strlen(dictionary[i]) == n && memcmp(dictionary[i], s, n) == 0)
            return;
    dictionary[dictionary_size] = malloc(n + 1);
    if (dictionary[dictionary_size] == NULL)
        return;
    memcpy(dictionary[dictionary_size], s, n);
    dictionary[dictionary_size][n] = '\0';
    dictionary_size++;
}

/* Adds each run of letters, digits, '_' and '-' in text to the dictionary:
 * field names from locations, enum values from messages. */
static void dictionary_add_words(const char *text)
{
    const char *start = NULL, *p;

    for (p = text;; p++) {
        int word = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
        if (word && start == NULL)
            start = p;
        if (!word && start != NULL) {
            dictionary_add(start, (size_t)(p - start));
            start = NULL;
        }
        if (*p == '\0')
            break;
    }
}

/* Fuzz module -------------------------------------------------------------- */

/* Builds the module table the way luaopen_anaplan_core does, minus the
 * session and endpoint parts that need libcurl. */
static int open_schema_module(lua_State *L)
{
    errors_init(L);
    json_init(L);
    lua_newtable(L);
    schema_register(L);
    return 1;
}

/* Creates a state with the module in global "core" and the counter table of
 * metamethod calls in global "calls". Aborts when that fails, since every
 * input would fail the same way. */
static lua_State *new_state(void)
{
    lua_State *L = luaL_newstate();

    /* No standard library is opened, because the engine uses none. */
    if (L == NULL)
        fail("luaL_newstate returned NULL", NULL);
    lua_pushcfunction(L, open_schema_module);
    if (lua_pcall(L, 0, 1, 0) != LUA_OK)
        fail("opening the schema module failed", lua_tostring(L, -1));
    lua_setglobal(L, "core");
    lua_newtable(L);
    lua_setglobal(L, "calls");
    return L;
}

/* Pushes core[name]. */
static void push_core_function(lua_State *L, const char *name)
{
    lua_getglobal(L, "core");
    lua_getfield(L, -1, name);
    lua_remove(L, -2);
    if (!lua_isfunction(L, -1))
        fail("the schema module lacks a function", name);
}

/* Adds the words of the message of validate(model, input) to the
 * dictionary, where input is the table on top (popped). */
static void harvest_message(lua_State *L, const char *model)
{
    int input = lua_gettop(L);

    push_core_function(L, "validate");
    lua_pushstring(L, model);
    lua_pushvalue(L, input);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK && lua_istable(L, -1)) {
        lua_getfield(L, -1, "message");
        if (lua_type(L, -1) == LUA_TSTRING)
            dictionary_add_words(lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_settop(L, input - 1);
}

/* Feeds the messages of validate(model, {}) and of validate(model, {[word] =
 * x}) for each word found and a few x to the dictionary, so that generated
 * keys and values reach fields one level down. */
static void harvest_model(lua_State *L, const char *model)
{
    size_t before = dictionary_size, after, i;

    lua_newtable(L);
    harvest_message(L, model);
    after = dictionary_size;

    for (i = before; i < after; i++) {
        lua_createtable(L, 0, 1);
        lua_createtable(L, 1, 0);
        lua_newtable(L);
        lua_rawseti(L, -2, 1);
        lua_setfield(L, -2, dictionary[i]);
        harvest_message(L, model);

        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "x");
        lua_setfield(L, -2, dictionary[i]);
        harvest_message(L, model);

        lua_createtable(L, 0, 1);
        lua_pushinteger(L, 1);
        lua_setfield(L, -2, dictionary[i]);
        harvest_message(L, model);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    lua_State *L = new_state();
    lua_Integer i, count;
    size_t k;

    (void)argc;
    (void)argv;
    for (k = 0; secret_keys[k] != NULL; k++)
        dictionary_add(secret_keys[k], strlen(secret_keys[k]));

    push_core_function(L, "models");
    if (lua_pcall(L, 0, 1, 0) != LUA_OK || !lua_istable(L, -1))
        fail("models() failed", lua_tostring(L, -1));
    count = (lua_Integer)lua_rawlen(L, -1);
    if (count == 0)
        fail("models() returned no model name", NULL);
    for (i = 1; i <= count; i++) {
        lua_rawgeti(L, -1, i);
        if (lua_type(L, -1) != LUA_TSTRING)
            fail("models() returned a name that is not a string", NULL);
        dictionary_add_words(lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    for (i = 1; i <= count; i++) {
        lua_rawgeti(L, -1, i);
        harvest_model(L, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_close(L);
    return 0;
}

/* Value program ------------------------------------------------------------ */

enum {
    OP_NIL,
    OP_FALSE,
    OP_TRUE,
    OP_SMALL_INTEGER, /* 1 byte, signed */
    OP_INTEGER,       /* 8 bytes, big-endian */
    OP_INTEGER_EDGE,  /* 1 byte: index into integer_edges */
    OP_FLOAT,         /* 8 bytes: the IEEE 754 bits, NaN payloads included */
    OP_FLOAT_EDGE,    /* 1 byte: index into float_edges */
    OP_STRING,        /* 1 byte length, then the bytes */
    OP_LONG_STRING,   /* 2 bytes length, then the bytes */
    OP_HUGE_STRING,   /* 1 byte size in units, 1 fill byte, 1 tail byte */
    OP_WORD,          /* 2 bytes: dictionary index */
    OP_SNAKE_WORD,    /* 2 bytes: dictionary index, camelCase to snake_case */
    OP_MISSPELT_WORD, /* 2 bytes index, 1 byte position, 1 byte replacement */
    OP_HEX_ID,        /* 1 byte shape (lower, upper, mixed, 31 or 33 digits), 1 byte per 2 digits */
    OP_DIGITS,        /* 8 bytes, as a decimal string */
    OP_ARRAY,         /* 1 byte count, then the items */
    OP_OBJECT,        /* 1 byte count, then key and value programs */
    OP_MIXED,         /* 1 byte array count, 1 byte field count, then both */
    OP_SPARSE,        /* 1 byte count; each item: 1 byte index step, a value */
    OP_REFERENCE,     /* 1 byte: a table built earlier, an ancestor included */
    OP_METATABLE,     /* 2 bytes metamethod mask, 1 byte table kind, then its program */
    OP_FUNCTION,
    OP_USERDATA,      /* 1 byte: full, light or a coroutine */
    OP_DEEP,          /* 1 byte depth, 1 byte shape, 2 bytes first key, the leaf */
    OP_COUNT
};

static const lua_Integer integer_edges[] = {
    LUA_MININTEGER, LUA_MININTEGER + 1, -1, 0, 1, 2, 6, 7, 31, 32, 99, 100, 101,
    INT32_MAX, (lua_Integer)INT32_MAX + 1, INT32_MIN, (lua_Integer)1 << 53,
    ((lua_Integer)1 << 53) + 1, LUA_MAXINTEGER - 1, LUA_MAXINTEGER,
    118000000001, 999999999999999999,
};

static const double float_edges[] = {
    3.0, 3.5, -0.0, 0.0, 1.0, -1.0, 0.5, 1e-320, 2.2250738585072014e-308,
    1.7976931348623157e308, 9007199254740992.0, 9007199254740993.0,
    9223372036854775808.0, -9223372036854775808.0, 1e15, 1e16, 1e17, 118000000001.0,
    0.1, 1e100,
};

static void push_value(builder *b, int depth, int secret);

/* Returns 1 when s[0..n) contains SECRET_MARKER; s may contain NUL bytes.
 * memmem, not a loop here, because a loop of this file is instrumented and
 * strings reach megabytes. */
static int contains_marker(const char *s, size_t n)
{
    return memmem(s, n, SECRET_MARKER, sizeof SECRET_MARKER - 1) != NULL;
}

static int is_secret_key(lua_State *L, int idx)
{
    size_t i;
    const char *key;

    if (lua_type(L, idx) != LUA_TSTRING)
        return 0;
    key = lua_tostring(L, idx);
    for (i = 0; secret_keys[i] != NULL; i++)
        if (strcmp(key, secret_keys[i]) == 0)
            return 1;
    return 0;
}

/* Replaces the string on top: under a secret field it gets the marker in
 * front; anywhere else the marker is broken up, so a message that shows the
 * marker can only have taken it from a secret. */
static void mark_string(lua_State *L, int secret)
{
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    luaL_Buffer buffer;
    size_t i;

    if (secret) {
        lua_pushliteral(L, SECRET_MARKER);
        lua_insert(L, -2);
        lua_concat(L, 2);
        return;
    }
    if (!contains_marker(s, n))
        return;
    luaL_buffinit(L, &buffer);
    for (i = 0; i < n; i++) {
        if (i + 1 < n && s[i] == 'F' && s[i + 1] == 'U')
            luaL_addchar(&buffer, 'f');
        else
            luaL_addchar(&buffer, s[i]);
    }
    luaL_pushresult(&buffer);
    lua_remove(L, -2);
}

static void push_word(builder *b, unsigned index)
{
    if (dictionary_size == 0) {
        lua_pushliteral(b->L, "name");
        return;
    }
    lua_pushstring(b->L, dictionary[index % dictionary_size]);
}

/* camelCase to snake_case: "storageAccountName" -> "storage_account_name". */
static void push_snake_word(builder *b, unsigned index)
{
    luaL_Buffer buffer;
    const char *s;

    push_word(b, index);
    s = lua_tostring(b->L, -1);
    luaL_buffinit(b->L, &buffer);
    for (; *s != '\0'; s++) {
        if (*s >= 'A' && *s <= 'Z') {
            luaL_addchar(&buffer, '_');
            luaL_addchar(&buffer, (char)(*s - 'A' + 'a'));
        } else {
            luaL_addchar(&buffer, *s);
        }
    }
    luaL_pushresult(&buffer);
    lua_remove(b->L, -2);
}

static void push_misspelt_word(builder *b)
{
    unsigned index = take_u16(&b->in);
    unsigned position = take_byte(&b->in);
    char replacement = (char)take_byte(&b->in);
    size_t n;
    char *copy;

    push_word(b, index);
    n = lua_rawlen(b->L, -1);
    copy = lua_newuserdatauv(b->L, n + 1, 0);
    memcpy(copy, lua_tostring(b->L, -2), n + 1);
    if (replacement == 0 && n > 1) {
        memmove(copy + position % n, copy + position % n + 1, n - position % n);
        n--;
    } else {
        copy[position % n] = replacement;
    }
    lua_pushlstring(b->L, copy, n);
    lua_replace(b->L, -3);
    lua_pop(b->L, 1);
}

static void push_hex_id(builder *b)
{
    static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
    unsigned shape = take_byte(&b->in) % 5;
    char id[40];
    size_t i, n = shape == 3 ? 31 : shape == 4 ? 33 : 32;

    for (i = 0; i < n; i += 2) {
        unsigned byte = take_byte(&b->in);
        const char *digits = shape == 1 ? upper : lower;

        id[i] = digits[byte >> 4];
        if (i + 1 < n)
            id[i + 1] = (shape == 2 ? upper : digits)[byte & 15];
    }
    lua_pushlstring(b->L, id, n);
}

/* A huge string: units of 64 KiB of one byte, then a tail byte that may
 * make it invalid UTF-8. */
static void push_huge_string(builder *b)
{
    size_t units = take_byte(&b->in) % 32 + 1;
    unsigned fill = take_byte(&b->in);
    unsigned tail = take_byte(&b->in);
    luaL_Buffer buffer;
    char *p;
    size_t n = units * HUGE_STRING_UNIT;

    p = luaL_buffinitsize(b->L, &buffer, n + 1);
    memset(p, (int)(fill & 0x7f), n);
    p[n] = (char)tail;
    luaL_pushresultsize(&buffer, n + 1);
}

static void push_scalar_userdata(builder *b)
{
    switch (take_byte(&b->in) % 3) {
    case 0:
        lua_newuserdatauv(b->L, 16, 1);
        break;
    case 1:
        lua_pushlightuserdata(b->L, b);
        break;
    default:
        lua_newthread(b->L);
        break;
    }
}

/* Remembers the table on top in b->tables, where OP_REFERENCE finds it, unless
 * it sits under a secret field (a reference elsewhere would show it). */
static void remember_table(builder *b, int secret)
{
    if (secret)
        return;
    lua_pushvalue(b->L, -1);
    lua_rawseti(b->L, b->tables, ++b->table_count);
}

/* Returns 0 and pops the key on top when Lua cannot use it as a table key
 * (nil or NaN); returns 1 and leaves it otherwise. */
static int usable_key(lua_State *L)
{
    if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TNUMBER && lua_isnumber(L, -1) &&
                             !lua_isinteger(L, -1) && isnan(lua_tonumber(L, -1)))) {
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

/* Pushes a key: mostly a name from the dictionary, sometimes any value. */
static void push_key(builder *b, int depth)
{
    switch (take_byte(&b->in) % 6) {
    case 0:
    case 1:
    case 2:
        push_word(b, take_u16(&b->in));
        break;
    case 3:
        push_snake_word(b, take_u16(&b->in));
        break;
    case 4:
        push_misspelt_word(b);
        break;
    default:
        push_value(b, depth + 1, 0);
        break;
    }
}

static void fill_array(builder *b, int table, unsigned count, int depth, int secret)
{
    unsigned i;

    for (i = 1; i <= count && b->in.n > 0; i++) {
        push_value(b, depth + 1, secret);
        lua_rawseti(b->L, table, i);
    }
}

static void fill_object(builder *b, int table, unsigned count, int depth, int secret)
{
    unsigned i;

    for (i = 0; i < count && b->in.n > 0; i++) {
        int secret_value;

        push_key(b, depth);
        if (!usable_key(b->L)) {
            push_value(b, depth + 1, secret);
            lua_pop(b->L, 1);
            continue;
        }
        secret_value = secret || is_secret_key(b->L, -1);
        push_value(b, depth + 1, secret_value);
        lua_rawset(b->L, table);
    }
}

static void push_table(builder *b, unsigned op, int depth, int secret)
{
    int table;

    lua_newtable(b->L);
    table = lua_gettop(b->L);
    remember_table(b, secret);

    switch (op) {
    case OP_ARRAY:
        fill_array(b, table, take_byte(&b->in) % MAX_TABLE_ITEMS, depth, secret);
        break;
    case OP_OBJECT:
        fill_object(b, table, take_byte(&b->in) % MAX_TABLE_ITEMS, depth, secret);
        break;
    case OP_MIXED: {
        unsigned items = take_byte(&b->in) % MAX_TABLE_ITEMS;
        unsigned fields = take_byte(&b->in) % MAX_TABLE_ITEMS;

        fill_array(b, table, items, depth, secret);
        fill_object(b, table, fields, depth, secret);
        break;
    }
    default: { /* OP_SPARSE */
        unsigned count = take_byte(&b->in) % MAX_TABLE_ITEMS, i;
        lua_Integer index = 0;

        for (i = 0; i < count && b->in.n > 0; i++) {
            index += (lua_Integer)take_byte(&b->in) + 1;
            push_value(b, depth + 1, secret);
            lua_rawseti(b->L, table, index);
        }
        break;
    }
    }
}

/* A metamethod that counts its call and raises a plain string: the engine
 * must never call one, and a plain string is not an SDK error object. */
static int raising_metamethod(lua_State *L)
{
    const char *name = lua_tostring(L, lua_upvalueindex(1));

    lua_getglobal(L, "calls");
    lua_getfield(L, -1, name);
    lua_pushinteger(L, luaL_optinteger(L, -1, 0) + 1);
    lua_setfield(L, -3, name);
    return luaL_error(L, "fuzz: metamethod %s was called", name);
}

static const char *const metamethods[] = {
    "__index", "__pairs", "__len", "__newindex", "__eq", "__lt", "__le", "__call",
    "__tostring", "__concat",
};

/* Pushes a table with a metatable: each of the low bits of a 2-byte mask
 * adds one raising metamethod, and bit 15 adds __name and a __metatable
 * field as well. */
static void push_table_with_metatable(builder *b, int depth, int secret)
{
    unsigned mask = take_u16(&b->in);
    unsigned op = OP_ARRAY + take_byte(&b->in) % 4;
    size_t i;

    push_table(b, op, depth, secret);
    lua_newtable(b->L);
    for (i = 0; i < sizeof metamethods / sizeof metamethods[0]; i++) {
        if ((mask & (1u << i)) == 0)
            continue;
        lua_pushstring(b->L, metamethods[i]);
        lua_pushcclosure(b->L, raising_metamethod, 1);
        lua_setfield(b->L, -2, metamethods[i]);
    }
    if (mask & 0x8000) {
        lua_pushliteral(b->L, "fuzz.Locked");
        lua_setfield(b->L, -2, "__name");
        lua_pushliteral(b->L, "locked");
        lua_setfield(b->L, -2, "__metatable");
    }
    lua_setmetatable(b->L, -2);
}

/* Pushes a chain of 1 to 200 nested tables, each an array of one item or an
 * object with one dictionary key (1 bit of the shape byte each), ending in a
 * scalar leaf. */
static void push_deep(builder *b, int secret)
{
    unsigned levels = take_byte(&b->in) % 200 + 1, i;
    unsigned shape = take_byte(&b->in);
    unsigned word = take_u16(&b->in);
    int top = lua_gettop(b->L);

    luaL_checkstack(b->L, (int)levels + 8, "fuzz: deep value");
    for (i = 0; i < levels; i++) {
        lua_newtable(b->L);
        remember_table(b, secret);
    }
    push_value(b, MAX_DEPTH, secret);
    for (i = 0; i < levels; i++) {
        if (shape & (1u << (i % 8))) {
            lua_rawseti(b->L, -2, 1);
        } else {
            push_word(b, word + i);
            lua_insert(b->L, -2);
            lua_rawset(b->L, -3);
        }
    }
    if (lua_gettop(b->L) != top + 1)
        fail("push_deep left the stack unbalanced", NULL);
}

/* Reads one operation and pushes the value it describes. Past MAX_DEPTH or
 * MAX_NODES only scalars are built, so every input ends. */
static void push_value(builder *b, int depth, int secret)
{
    unsigned op = take_byte(&b->in) % OP_COUNT;

    luaL_checkstack(b->L, 16, "fuzz: value");
    if (++b->nodes > MAX_NODES || depth >= MAX_DEPTH) {
        if (op >= OP_ARRAY)
            op = OP_NIL;
    }

    switch (op) {
    case OP_NIL:
        lua_pushnil(b->L);
        break;
    case OP_FALSE:
    case OP_TRUE:
        lua_pushboolean(b->L, op == OP_TRUE);
        break;
    case OP_SMALL_INTEGER:
        lua_pushinteger(b->L, (int8_t)take_byte(&b->in));
        break;
    case OP_INTEGER:
        lua_pushinteger(b->L, (lua_Integer)take_u64(&b->in));
        break;
    case OP_INTEGER_EDGE:
        lua_pushinteger(b->L, integer_edges[take_byte(&b->in) %
                                            (sizeof integer_edges / sizeof integer_edges[0])]);
        break;
    case OP_FLOAT: {
        uint64_t bits = take_u64(&b->in);
        double d;

        memcpy(&d, &bits, sizeof d);
        lua_pushnumber(b->L, d);
        break;
    }
    case OP_FLOAT_EDGE: {
        unsigned pick = take_byte(&b->in);
        size_t n = sizeof float_edges / sizeof float_edges[0];

        if (pick % (n + 3) < n)
            lua_pushnumber(b->L, float_edges[pick % (n + 3)]);
        else if (pick % (n + 3) == n)
            lua_pushnumber(b->L, (double)NAN);
        else
            lua_pushnumber(b->L, pick % (n + 3) == n + 1 ? (double)INFINITY : -(double)INFINITY);
        break;
    }
    case OP_STRING:
        push_string_operand(b->L, &b->in, take_byte(&b->in));
        mark_string(b->L, secret);
        break;
    case OP_LONG_STRING:
        push_string_operand(b->L, &b->in, take_u16(&b->in));
        mark_string(b->L, secret);
        break;
    case OP_HUGE_STRING:
        /* One repeated byte cannot spell the marker, so only a secret one
         * needs marking; searching megabytes would slow every input. */
        push_huge_string(b);
        if (secret)
            mark_string(b->L, secret);
        break;
    case OP_WORD:
        push_word(b, take_u16(&b->in));
        mark_string(b->L, secret);
        break;
    case OP_SNAKE_WORD:
        push_snake_word(b, take_u16(&b->in));
        mark_string(b->L, secret);
        break;
    case OP_MISSPELT_WORD:
        push_misspelt_word(b);
        mark_string(b->L, secret);
        break;
    case OP_HEX_ID:
        push_hex_id(b);
        mark_string(b->L, secret);
        break;
    case OP_DIGITS: {
        char digits[24];

        snprintf(digits, sizeof digits, "%llu", (unsigned long long)take_u64(&b->in));
        lua_pushstring(b->L, digits);
        mark_string(b->L, secret);
        break;
    }
    case OP_ARRAY:
    case OP_OBJECT:
    case OP_MIXED:
    case OP_SPARSE:
        push_table(b, op, depth, secret);
        break;
    case OP_REFERENCE: {
        unsigned pick = take_byte(&b->in);

        if (b->table_count == 0 || secret)
            lua_pushnil(b->L);
        else
            lua_rawgeti(b->L, b->tables, (lua_Integer)(pick % (unsigned)b->table_count) + 1);
        break;
    }
    case OP_METATABLE:
        push_table_with_metatable(b, depth, secret);
        break;
    case OP_FUNCTION:
        lua_pushliteral(b->L, "function value");
        lua_pushcclosure(b->L, raising_metamethod, 1);
        break;
    case OP_USERDATA:
        push_scalar_userdata(b);
        break;
    default: /* OP_DEEP */
        push_deep(b, secret);
        break;
    }
}

/* JSON check --------------------------------------------------------------- */

typedef struct json_cursor {
    const unsigned char *p, *end;
    int depth;
} json_cursor;

static void skip_space(json_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int hex_digit(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* Checks one UTF-8 sequence (RFC 3629) at c->p and moves past it. */
static int check_utf8_sequence(json_cursor *c)
{
    unsigned char lead = *c->p;
    unsigned long code;
    size_t len, i;

    if (lead >= 0xc2 && lead <= 0xdf) {
        len = 2;
        code = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        len = 3;
        code = lead & 0x0f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        len = 4;
        code = lead & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(c->end - c->p) < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((c->p[i] & 0xc0) != 0x80)
            return 0;
        code = (code << 6) | (c->p[i] & 0x3f);
    }
    if ((len == 3 && code < 0x800) || (len == 4 && code < 0x10000) ||
        (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
        return 0;
    c->p += len;
    return 1;
}

static int check_json_string(json_cursor *c)
{
    c->p++; /* the opening quote */
    while (c->p < c->end) {
        unsigned char ch = *c->p;

        if (ch == '"') {
            c->p++;
            return 1;
        }
        if (ch < 0x20)
            return 0;
        if (ch == '\\') {
            if (c->end - c->p < 2)
                return 0;
            ch = c->p[1];
            if (ch == 'u') {
                int i;

                if (c->end - c->p < 6)
                    return 0;
                for (i = 2; i < 6; i++)
                    if (!hex_digit(c->p[i]))
                        return 0;
                c->p += 6;
            } else if (strchr("\"\\/bfnrt", ch) != NULL && ch != '\0') {
                c->p += 2;
            } else {
                return 0;
            }
            continue;
        }
        if (ch >= 0x80) {
            if (!check_utf8_sequence(c))
                return 0;
            continue;
        }
        c->p++;
    }
    return 0;
}

static int check_json_number(json_cursor *c)
{
    const unsigned char *start;

    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p >= c->end)
        return 0;
    if (*c->p == '0') {
        c->p++;
    } else if (*c->p >= '1' && *c->p <= '9') {
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
    } else {
        return 0;
    }
    if (c->p < c->end && *c->p == '.') {
        start = ++c->p;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
        if (c->p == start)
            return 0;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        start = c->p;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
        if (c->p == start)
            return 0;
    }
    return 1;
}

static int check_json_literal(json_cursor *c, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

static int check_json_value(json_cursor *c);

/* Checks an object or an array, whose opening bracket is at c->p. */
static int check_json_container(json_cursor *c, unsigned char close)
{
    int first = 1;

    /* Deeper than any input this target builds, so the output is wrong. */
    if (++c->depth > 1000)
        return 0;
    c->p++;
    skip_space(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        c->depth--;
        return 1;
    }
    for (;;) {
        if (!first) {
            skip_space(c);
            if (c->p >= c->end)
                return 0;
            if (*c->p == close) {
                c->p++;
                c->depth--;
                return 1;
            }
            if (*c->p != ',')
                return 0;
            c->p++;
        }
        first = 0;
        skip_space(c);
        if (close == '}') {
            if (c->p >= c->end || *c->p != '"' || !check_json_string(c))
                return 0;
            skip_space(c);
            if (c->p >= c->end || *c->p != ':')
                return 0;
            c->p++;
        }
        if (!check_json_value(c))
            return 0;
    }
}

static int check_json_value(json_cursor *c)
{
    skip_space(c);
    if (c->p >= c->end)
        return 0;
    switch (*c->p) {
    case '{':
        return check_json_container(c, '}');
    case '[':
        return check_json_container(c, ']');
    case '"':
        return check_json_string(c);
    case 't':
        return check_json_literal(c, "true");
    case 'f':
        return check_json_literal(c, "false");
    case 'n':
        return check_json_literal(c, "null");
    default:
        return check_json_number(c);
    }
}

/* Returns 1 when text[0..n) is one JSON value (RFC 8259) in valid UTF-8. */
static int is_strict_json(const char *text, size_t n)
{
    json_cursor c = {(const unsigned char *)text, (const unsigned char *)text + n, 0};

    if (!check_json_value(&c))
        return 0;
    skip_space(&c);
    return c.p == c.end;
}

/* Oracles ------------------------------------------------------------------ */

static void require_no_secret(lua_State *L, int idx, const char *where)
{
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);

    if (s != NULL && contains_marker(s, n))
        fail("a secret field's value shows in an error", where);
}

/* Checks the failure value on top of the stack: an error object of kind
 * validation or usage whose text shows no secret. */
static void check_error_object(lua_State *L, const char *call)
{
    int err = lua_gettop(L);
    const char *kind;
    lua_Integer i, count;

    if (!lua_istable(L, err) || !lua_getmetatable(L, err))
        fail(call, luaL_tolstring(L, err, NULL));
    luaL_getmetatable(L, ANAPLAN_ERROR_MT);
    if (!lua_rawequal(L, -1, -2))
        fail(call, "raised a table that is not an SDK error object");
    lua_pop(L, 2);

    lua_getfield(L, err, "kind");
    kind = lua_tostring(L, -1);
    if (kind == NULL || (strcmp(kind, "validation") != 0 && strcmp(kind, "usage") != 0))
        fail(call, kind ? kind : "an error object without a kind");
    lua_getfield(L, err, "message");
    if (lua_type(L, -1) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
        fail(call, "an error object without a message");
    require_no_secret(L, -1, "message");
    luaL_tolstring(L, err, NULL);
    require_no_secret(L, -1, "tostring(err)");
    lua_pop(L, 1);

    if (strcmp(kind, "validation") == 0) {
        if (lua_getfield(L, err, "errors") != LUA_TTABLE || lua_rawlen(L, -1) == 0)
            fail(call, "a validation error without an errors list");
        count = (lua_Integer)lua_rawlen(L, -1);
        for (i = 1; i <= count; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_getfield(L, -1, "loc") != LUA_TSTRING)
                fail(call, "an errors entry without a loc string");
            require_no_secret(L, -1, "loc");
            if (lua_getfield(L, -2, "msg") != LUA_TSTRING)
                fail(call, "an errors entry without a msg string");
            require_no_secret(L, -1, "msg");
            lua_pop(L, 3);
        }
        lua_pop(L, 1);
    }
    lua_settop(L, err);
}

/* Calls core[function](model, value): pushes the result (or the error) and
 * returns whether the call succeeded. value is an absolute index. */
static int call_model_function(lua_State *L, const char *function, int model, int value)
{
    push_core_function(L, function);
    lua_pushvalue(L, model);
    lua_pushvalue(L, value);
    return lua_pcall(L, 2, 1, 0) == LUA_OK;
}

/* Returns printable text for the error or result at idx (pushes it). */
static const char *describe(lua_State *L, int idx)
{
    return luaL_tolstring(L, idx, NULL);
}

/* Prints what validate made of the input when FUZZ_SCHEMA_TRACE is set, so
 * that a maintainer can see which seeds pass and why others fail. */
static void trace_validate(lua_State *L, int model, int validated, int result)
{
    if (getenv("FUZZ_SCHEMA_TRACE") == NULL)
        return;
    fprintf(stderr, "%s: %s\n", lua_tostring(L, model),
            validated ? "valid" : describe(L, result));
    lua_settop(L, result);
}

static void check_model_calls(lua_State *L, int model, int value)
{
    int validated, encoded;
    int validate_result, encode_result;

    validated = call_model_function(L, "validate", model, value);
    validate_result = lua_gettop(L);
    trace_validate(L, model, validated, validate_result);
    if (!validated)
        check_error_object(L, "validate raised something other than an SDK error");
    else if (!lua_istable(L, validate_result))
        fail("validate succeeded without returning a table", luaL_typename(L, validate_result));

    encoded = call_model_function(L, "encode", model, value);
    encode_result = lua_gettop(L);
    if (!encoded) {
        check_error_object(L, "encode raised something other than an SDK error");
    } else {
        size_t n;
        const char *text = lua_tolstring(L, encode_result, &n);

        if (lua_type(L, encode_result) != LUA_TSTRING)
            fail("encode succeeded without returning a string", luaL_typename(L, encode_result));
        if (!is_strict_json(text, n))
            fail("encode returned text that is not strict JSON in UTF-8", text);
    }
    if (validated != encoded)
        fail(validated ? "validate accepted what encode rejected"
                       : "encode accepted what validate rejected",
             describe(L, validated ? encode_result : validate_result));
    if (!validated)
        return;

    /* The normalized table is a valid input that encodes to the same text. */
    if (!call_model_function(L, "encode", model, validate_result))
        fail("encode rejected the table validate returned", describe(L, -1));
    if (!lua_rawequal(L, -1, encode_result)) {
        lua_pushfstring(L, "encode(model, t):\n%s\nencode(model, validate(model, t)):\n%s",
                        lua_tostring(L, encode_result), lua_tostring(L, -1));
        fail("validate's table encodes differently from its input", lua_tostring(L, -1));
    }
}

/* check_id(value, kind, what) returns a string of the kind's shape or raises
 * a validation or usage error. */
static void check_id_call(lua_State *L, int value, unsigned pick)
{
    const char *kind = id_kinds[pick % (sizeof id_kinds / sizeof id_kinds[0])];
    size_t n, i;
    const char *id;

    push_core_function(L, "check_id");
    lua_pushvalue(L, value);
    lua_pushstring(L, kind);
    lua_pushliteral(L, "fuzz_id");
    if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
        check_error_object(L, "check_id raised something other than an SDK error");
        lua_pop(L, 1);
        return;
    }
    if (lua_type(L, -1) != LUA_TSTRING)
        fail("check_id succeeded without returning a string", kind);
    id = lua_tolstring(L, -1, &n);
    for (i = 0; i < n; i++) {
        char ch = id[i];
        int ok = strcmp(kind, "hex32") == 0   ? (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')
                 : strcmp(kind, "model") == 0 ? (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F')
                 : strcmp(kind, "numeric") == 0 ? ch >= '0' && ch <= '9'
                                                : 0;
        if (!ok)
            fail("check_id returned an id of the wrong shape", id);
    }
    if (n == 0 || ((strcmp(kind, "hex32") == 0 || strcmp(kind, "model") == 0) && n != 32))
        fail("check_id returned an id of the wrong length", id);
    lua_pop(L, 1);
}

static void require_no_metamethod_call(lua_State *L)
{
    lua_getglobal(L, "calls");
    lua_pushnil(L);
    if (lua_next(L, -2) != 0)
        fail("the engine called a metamethod of its input", lua_tostring(L, -2));
    lua_pop(L, 1);
}

/* Pushes the model name the input asks for. */
static void push_model_name(lua_State *L, reader *in)
{
    unsigned pick = take_byte(in);
    lua_Integer count;

    if (pick == 0xff) {
        push_string_operand(L, in, take_byte(in));
        mark_string(L, 0);
        return;
    }
    push_core_function(L, "models");
    lua_call(L, 0, 1);
    count = (lua_Integer)lua_rawlen(L, -1);
    lua_rawgeti(L, -1, (lua_Integer)(pick % (unsigned)count) + 1);
    lua_remove(L, -2);
}

/* Builds the value inside a protected call, since Lua raises when memory
 * runs out; a failure there is the harness's limit, not a finding. */
static int build_value(lua_State *L)
{
    builder *b = lua_touserdata(L, 1);

    lua_settop(L, 0);
    lua_newtable(L);
    b->tables = 1;
    push_value(b, 0, 0);
    return 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lua_State *L = new_state();
    builder b;
    unsigned id_kind;
    int model, value;

    memset(&b, 0, sizeof b);
    b.L = L;
    b.in.p = data;
    b.in.n = size;

    push_model_name(L, &b.in);
    model = lua_gettop(L);
    id_kind = take_byte(&b.in);

    lua_pushcfunction(L, build_value);
    lua_pushlightuserdata(L, &b);
    if (lua_pcall(L, 1, 2, 0) != LUA_OK) {
        lua_close(L);
        return 0;
    }
    value = lua_gettop(L);

    check_model_calls(L, model, value);
    lua_settop(L, value);
    check_id_call(L, value, id_kind);
    require_no_metamethod_call(L);

    lua_close(L);
    return 0;
}
