/* The validation engine: walks a Lua table against a model descriptor.
 *
 * Caveats a reader needs before changing this file:
 * - Input tables are read with raw access only (lua_rawget, lua_next), and a
 *   value is converted to text only when it already is a string, because
 *   lua_tolstring on a number key would break lua_next. No metamethod of the
 *   user's tables ever runs, so a table cannot change under the walk.
 * - Every problem goes into a Lua table, and scratch memory is Lua userdata,
 *   so raising the validation error (or a memory error) leaks nothing.
 * - The walk follows the descriptors, so its C recursion is bounded by how
 *   deep the models nest; MAX_DEPTH guards the input side as well.
 * - The normalized table is always built, since check hooks and
 *   discriminators read it; JSON is written in the same walk when asked. */
#include "schema.h"
#include "schema_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "errors.h"
#include "json.h"

/* NOTE: no model nests input tables this deep today, so only a future
 * model could reach MAX_DEPTH; the guard stays for those. */
#define MAX_DEPTH 32      /* input tables nested deeper are rejected */
#define MAX_SEGMENTS 160  /* a table level adds at most four segments */
#define MAX_FIELDS 64     /* fields of one model, so a bit mask can mark them */
#define NAME_BUFFER 128   /* an API name of up to 63 characters, in snake_case */
#define SHOWN_BYTES 64    /* maximum bytes of a user's text in a message */
#define MESSAGE_LINES 100 /* problems listed in the error message */
#define MAX_ENUM_VALUES 64

typedef struct segment {
    const char *text;    /* NULL for an array index */
    size_t len;
    lua_Integer index;   /* 1-based, when text is NULL */
    int user_text;       /* a key the user typed: escaped and cut when shown */
} segment;

typedef struct frame {
    const schema_model *model;
    int out;             /* absolute index of the normalized table */
    uint64_t given;      /* bit i: field i was spelled in the input */
    struct frame *up;
} frame;

struct schema_ctx {
    lua_State *L;
    int problems;        /* absolute index of the array of {loc, msg} */
    lua_Integer count;
    const char *prefix;  /* "body", or "" */
    jsonbuf *json;       /* NULL while no JSON is written */
    segment path[MAX_SEGMENTS];
    size_t npath;
    size_t dropped;      /* segments not stored because path was full */
    size_t loc_base;     /* first segment a location shows */
    const void *tables[MAX_DEPTH];
    int depth;
    int secret;          /* inside a secret field or a model with one: show no value */
    int secret_field;    /* inside a secret field: collect its strings */
    int secrets;         /* absolute index of the array of secret values, or 0 */
    frame *frame;
};

static int check_value(schema_ctx *c, int idx, const schema_type *t, unsigned flags);
static int check_model(schema_ctx *c, int idx, const schema_model *m, int show_name);

/* ---- names ---------------------------------------------------------- */

/* Writes the snake_case spelling of api into out (storageAccountName ->
 * storage_account_name). Returns 0 when it equals api, its length otherwise. */
static size_t snake_name(const char *api, char *out, size_t cap)
{
    size_t n = 0;
    int changed = 0;

    for (; *api != '\0' && n + 3 < cap; api++) {
        unsigned char ch = (unsigned char)*api;

        if (ch >= 'A' && ch <= 'Z') {
            out[n++] = '_';
            out[n++] = (char)(ch - 'A' + 'a');
            changed = 1;
        } else {
            out[n++] = (char)ch;
        }
    }
    out[n] = '\0';
    return changed ? n : 0;
}

/* Returns 1 when key[0..len) is the snake_case spelling of api. */
static int snake_equals(const char *api, const char *key, size_t len)
{
    size_t k = 0;

    for (; *api != '\0'; api++) {
        unsigned char ch = (unsigned char)*api;

        if (ch >= 'A' && ch <= 'Z') {
            if (k + 2 > len || key[k] != '_' || key[k + 1] != (char)(ch - 'A' + 'a'))
                return 0;
            k += 2;
        } else {
            if (k >= len || key[k] != (char)ch)
                return 0;
            k++;
        }
    }
    return k == len;
}

static int name_matches(const char *api, const char *key, size_t len)
{
    return (strlen(api) == len && memcmp(api, key, len) == 0) || snake_equals(api, key, len);
}

static int is_secret_name(const char *name)
{
    return strcmp(name, "password") == 0 || strcmp(name, "privateKey") == 0 ||
           strcmp(name, "clientSecret") == 0;
}

/* Optimal string alignment distance (edits and swaps of neighbours). Both
 * strings are at most SHOWN_BYTES long; callers check. */
static size_t edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
    size_t rows[3][SHOWN_BYTES * 2 + 2];
    size_t i, j;

    for (j = 0; j <= nb; j++)
        rows[0][j] = j;
    for (i = 1; i <= na; i++) {
        size_t *prev2 = rows[(i + 1) % 3], *prev = rows[(i + 2) % 3], *cur = rows[i % 3];

        cur[0] = i;
        for (j = 1; j <= nb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev[j] + 1;

            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best)
                best = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
    }
    return rows[na % 3][nb];
}

/* ---- showing user text in messages ---------------------------------- */

/* Adds s to b with control characters, quotes and invalid UTF-8 escaped,
 * cut after SHOWN_BYTES bytes (on a character boundary) with "...". */
static void add_shown(luaL_Buffer *b, const char *s, size_t len)
{
    size_t n = len > SHOWN_BYTES ? SHOWN_BYTES : len;
    int valid;
    size_t i;

    while (n < len && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    valid = json_utf8_valid(s, n);
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ch < 0x20 || ch == 0x7f || ch == '\'' || ch == '\\' || (ch >= 0x80 && !valid)) {
            char hex[5];

            hex[0] = '\\';
            hex[1] = 'x';
            hex[2] = "0123456789abcdef"[ch >> 4];
            hex[3] = "0123456789abcdef"[ch & 15];
            hex[4] = '\0';
            luaL_addstring(b, hex);
        } else {
            luaL_addchar(b, (char)ch);
        }
    }
    if (n < len)
        luaL_addstring(b, "...");
}

/* Pushes ", not <value>" describing the value at idx for a message, or ""
 * inside a secret field. Strings are shown quoted and cut; other values by
 * their type, numbers by their value. */
static void push_not_value(lua_State *L, int idx, int secret)
{
    luaL_Buffer b;

    if (secret) {
        lua_pushliteral(L, "");
        return;
    }
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);

        luaL_buffinit(L, &b);
        luaL_addstring(&b, ", not '");
        add_shown(&b, s, len);
        luaL_addchar(&b, '\'');
        luaL_pushresult(&b);
        return;
    }
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            lua_pushfstring(L, ", not %I", (LUAI_UACINT)lua_tointeger(L, idx));
        else
            lua_pushfstring(L, ", not %f", (LUAI_UACNUMBER)lua_tonumber(L, idx));
        return;
    case LUA_TBOOLEAN:
        lua_pushliteral(L, ", not a boolean");
        return;
    case LUA_TTABLE:
        lua_pushliteral(L, ", not a table");
        return;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) {
            lua_pushliteral(L, ", not null");
            return;
        }
        break;
    case LUA_TNIL:
    case LUA_TNONE:
        lua_pushliteral(L, ", but it is missing");
        return;
    default:
        break;
    }
    lua_pushfstring(L, ", not a %s", luaL_typename(L, idx));
}

/* Pushes "'a', 'b', 'c'" (or "'a', 'b' or 'c'" when last_or is set). */
static void push_quoted(lua_State *L, const char *const *names, size_t count, int last_or)
{
    luaL_Buffer b;
    size_t i;

    luaL_buffinit(L, &b);
    for (i = 0; i < count; i++) {
        if (i > 0)
            luaL_addstring(&b, last_or && i + 1 == count ? " or " : ", ");
        luaL_addchar(&b, '\'');
        luaL_addstring(&b, names[i]);
        luaL_addchar(&b, '\'');
    }
    luaL_pushresult(&b);
}

void schema_push_case_list(lua_State *L, const schema_cases *cases)
{
    const char *names[16];
    size_t i, n = cases->count < 16 ? cases->count : 16;

    for (i = 0; i < n; i++)
        names[i] = cases->rows[i].when;
    push_quoted(L, names, n, 1);
}

/* ---- locations and problems ----------------------------------------- */

static void path_push(schema_ctx *c, const char *text, size_t len, lua_Integer index, int user_text)
{
    segment *s;

    if (c->npath == MAX_SEGMENTS) {
        c->dropped++;
        return;
    }
    s = &c->path[c->npath++];
    s->text = text;
    s->len = len;
    s->index = index;
    s->user_text = user_text;
}

static void path_name(schema_ctx *c, const char *name)
{
    path_push(c, name, strlen(name), 0, 0);
}

static void path_index(schema_ctx *c, lua_Integer index)
{
    path_push(c, NULL, 0, index, 0);
}

static void path_pop(schema_ctx *c)
{
    if (c->dropped > 0)
        c->dropped--;
    else
        c->npath--;
}

/* Pushes the location of the current path plus where. */
static void push_location(schema_ctx *c, const char *where)
{
    lua_State *L = c->L;
    luaL_Buffer b;
    size_t i;
    int empty = 1;

    luaL_buffinit(L, &b);
    for (i = c->loc_base; i < c->npath; i++) {
        const segment *s = &c->path[i];

        if (!empty)
            luaL_addchar(&b, '.');
        empty = 0;
        if (s->text == NULL) {
            char digits[32];

            snprintf(digits, sizeof digits, LUA_INTEGER_FMT, (LUAI_UACINT)s->index);
            luaL_addstring(&b, digits);
        } else if (s->user_text) {
            add_shown(&b, s->text, s->len);
        } else {
            luaL_addlstring(&b, s->text, s->len);
        }
    }
    if (where != NULL && *where != '\0') {
        if (!empty)
            luaL_addchar(&b, '.');
        empty = 0;
        luaL_addstring(&b, where);
    }
    if (empty)
        luaL_addstring(&b, *c->prefix != '\0' ? c->prefix : "input");
    luaL_pushresult(&b);
}

/* Records the message on top of the stack (popping it) at where. */
static void add_problem(schema_ctx *c, const char *where)
{
    lua_State *L = c->L;

    lua_createtable(L, 0, 2);
    push_location(c, where);
    lua_setfield(L, -2, "loc");
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "msg");
    lua_rawseti(L, c->problems, ++c->count);
    lua_pop(L, 1);
}

void schema_report(schema_ctx *c, const char *where, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    lua_pushvfstring(c->L, fmt, ap);
    va_end(ap);
    add_problem(c, where);
}

/* Reports at the current location: the text of message followed by
 * push_not_value's description of the value at idx. */
static void report_with_value(schema_ctx *c, int idx, const char *message)
{
    lua_State *L = c->L;

    push_not_value(L, idx, c->secret);
    lua_pushfstring(L, "%s%s", message, lua_tostring(L, -1));
    lua_remove(L, -2);
    add_problem(c, NULL);
}

lua_State *schema_state(schema_ctx *c)
{
    return c->L;
}

int schema_given(const schema_ctx *c, const char *api_name)
{
    const frame *f = c->frame;
    size_t i;

    if (f == NULL)
        return 0;
    for (i = 0; i < f->model->nfields && i < MAX_FIELDS; i++)
        if (strcmp(f->model->fields[i].name, api_name) == 0)
            return (f->given >> i) & 1;
    return 0;
}

/* ---- JSON output ---------------------------------------------------- */

static void json_text(schema_ctx *c, const char *s)
{
    if (c->json != NULL)
        jsonbuf_adds(c->L, c->json, s);
}

static void json_string(schema_ctx *c, const char *s, size_t len)
{
    if (c->json != NULL)
        jsonbuf_add_string(c->L, c->json, s, len);
}

static void json_integer(schema_ctx *c, lua_Integer v)
{
    if (c->json != NULL)
        jsonbuf_add_integer(c->L, c->json, v);
}

/* ---- tables: nesting depth and cycles -------------------------------- */

/* Returns 1 when the table at idx is one of the tables being walked. */
static int is_open_table(const schema_ctx *c, int idx)
{
    const void *p = lua_topointer(c->L, idx);
    int i;

    for (i = 0; i < c->depth; i++)
        if (c->tables[i] == p)
            return 1;
    return 0;
}

/* Enters the table at idx. Reports and returns 0 when it is nested too
 * deep or is one of the tables it sits in. */
static int enter_table(schema_ctx *c, int idx)
{
    if (c->depth >= MAX_DEPTH) {
        schema_report(c, NULL, "Input is nested deeper than %d tables", MAX_DEPTH);
        return 0;
    }
    if (is_open_table(c, idx)) {
        schema_report(c, NULL, "Input contains itself (a cyclic table)");
        return 0;
    }
    c->tables[c->depth++] = lua_topointer(c->L, idx);
    luaL_checkstack(c->L, 24, "validating a deeply nested table");
    return 1;
}

static void leave_table(schema_ctx *c)
{
    c->depth--;
}

/* Returns the number of entries when the table at idx is a proper array
 * (keys exactly 1..n), or -1. */
static lua_Integer array_length(lua_State *L, int idx)
{
    lua_Integer count = 0, max = 0;

    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_Integer key;

        if (!lua_isinteger(L, -2) || (key = lua_tointeger(L, -2)) < 1) {
            lua_pop(L, 2);
            return -1;
        }
        if (key > max)
            max = key;
        count++;
        lua_pop(L, 1);
    }
    return max == count ? count : -1;
}

/* ---- sorting keys (scratch memory is a userdata) --------------------- */

typedef struct text_ref {
    const char *s;
    size_t len;
} text_ref;

static int compare_text(const void *a, const void *b)
{
    const text_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->s, y->s, n);

    if (r != 0)
        return r;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Sorts the array of strings at idx (n entries) in byte order, in place. */
static void sort_strings(lua_State *L, int idx, lua_Integer n)
{
    text_ref *refs;
    lua_Integer i;

    if (n < 2)
        return;
    refs = lua_newuserdatauv(L, (size_t)n * sizeof *refs, 0);
    for (i = 0; i < n; i++) {
        lua_rawgeti(L, idx, i + 1);
        refs[i].s = lua_tolstring(L, -1, &refs[i].len); /* anchored by idx */
        lua_pop(L, 1);
    }
    qsort(refs, (size_t)n, sizeof *refs, compare_text);
    for (i = 0; i < n; i++) {
        lua_pushlstring(L, refs[i].s, refs[i].len);
        lua_rawseti(L, idx, i + 1);
    }
    lua_pop(L, 1);
}

/* ---- scalars -------------------------------------------------------- */

static int digits2(const char *s, int *value)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return 0;
    *value = (s[0] - '0') * 10 + (s[1] - '0');
    return 1;
}

static int valid_time(const char *s, size_t len)
{
    int hours, minutes;

    return len == 5 && s[2] == ':' && digits2(s, &hours) && digits2(s + 3, &minutes) &&
           hours <= 23 && minutes <= 59;
}

/* Returns 1 for a well-formed date, and sets *exists when the day is on
 * the calendar (Gregorian leap years). */
static int date_shape(const char *s, size_t len, int *exists)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int hi, lo, month, day, year, leap, last;

    if (len != 10 || s[4] != '-' || s[7] != '-' || !digits2(s, &hi) || !digits2(s + 2, &lo) ||
        !digits2(s + 5, &month) || !digits2(s + 8, &day))
        return 0;
    year = hi * 100 + lo;
    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    last = month >= 1 && month <= 12 ? days[month - 1] + (month == 2 && leap) : 0;
    *exists = year >= 1 && day >= 1 && day <= last;
    return 1;
}

/* Appends the string at idx to the secrets array when the value is inside a
 * secret field and the caller asked for them. */
static void collect_secret(schema_ctx *c, int idx)
{
    if (c->secrets == 0 || !c->secret_field)
        return;
    lua_pushvalue(c->L, idx);
    lua_rawseti(c->L, c->secrets, (lua_Integer)lua_rawlen(c->L, c->secrets) + 1);
}

static int check_string(schema_ctx *c, int idx, const schema_type *t, unsigned flags)
{
    lua_State *L = c->L;
    size_t len;
    const char *s;
    int exists = 0;

    if (lua_type(L, idx) != LUA_TSTRING) {
        schema_report(c, NULL, "Input should be a string");
        return 0;
    }
    s = lua_tolstring(L, idx, &len);
    if (!json_utf8_valid(s, len)) {
        schema_report(c, NULL, "Input should be valid UTF-8 text");
        return 0;
    }
    if (len == 0 && (flags & SCHEMA_REQUIRED)) {
        schema_report(c, NULL, "String should not be empty");
        return 0;
    }
    if (t->format == SCHEMA_TEXT_TIME && !valid_time(s, len)) {
        report_with_value(c, idx, "Input should be a time as 'HH:MM' from 00:00 to 23:59");
        return 0;
    }
    if (t->format == SCHEMA_TEXT_DATE && !date_shape(s, len, &exists)) {
        report_with_value(c, idx, "Input should be a date as 'YYYY-MM-DD'");
        return 0;
    }
    if (t->format == SCHEMA_TEXT_DATE && !exists) {
        report_with_value(c, idx, "Input should be a date that exists on the calendar");
        return 0;
    }

    collect_secret(c, idx);
    json_string(c, s, len);
    lua_pushvalue(L, idx);
    return 1;
}

static int check_boolean(schema_ctx *c, int idx)
{
    lua_State *L = c->L;

    if (!lua_isboolean(L, idx)) {
        schema_report(c, NULL, "Input should be a boolean");
        return 0;
    }
    json_text(c, lua_toboolean(L, idx) ? "true" : "false");
    lua_pushboolean(L, lua_toboolean(L, idx));
    return 1;
}

/* Converts the number at idx to an integer: integral floats (3.0) pass,
 * NaN, infinities and fractions do not. Returns 0 after reporting. */
static int to_integer(schema_ctx *c, int idx, lua_Integer *out)
{
    lua_State *L = c->L;
    lua_Number n;

    if (lua_type(L, idx) != LUA_TNUMBER) {
        schema_report(c, NULL, "Input should be an integer");
        return 0;
    }
    if (lua_isinteger(L, idx)) {
        *out = lua_tointeger(L, idx);
        return 1;
    }
    n = lua_tonumber(L, idx);
    if (!isfinite(n)) {
        schema_report(c, NULL, "Input should be a finite number");
        return 0;
    }
    if (n != floor(n) || !lua_numbertointeger(n, out)) {
        report_with_value(c, idx, "Input should be an integer");
        return 0;
    }
    return 1;
}

static int check_integer(schema_ctx *c, int idx, const schema_type *t)
{
    lua_Integer v;

    if (!to_integer(c, idx, &v))
        return 0;
    if (t->has_range && (v < t->min || v > t->max)) {
        report_with_value(c, idx, lua_pushfstring(c->L, "Input should be from %I to %I",
                                                  (LUAI_UACINT)t->min, (LUAI_UACINT)t->max));
        lua_pop(c->L, 1);
        return 0;
    }
    json_integer(c, v);
    lua_pushinteger(c->L, v);
    return 1;
}

/* Collects the accepted values of an enum into names (at most cap). */
static size_t enum_values(const schema_type *t, const char **names, size_t cap)
{
    size_t n = 0;

    if (t->cases != NULL) {
        for (; n < t->cases->count && n < cap; n++)
            names[n] = t->cases->rows[n].when;
        return n;
    }
    for (; t->values[n] != NULL && n < cap; n++)
        names[n] = t->values[n];
    return n;
}

static int check_enum(schema_ctx *c, int idx, const schema_type *t)
{
    lua_State *L = c->L;
    const char *names[MAX_ENUM_VALUES];
    size_t n = enum_values(t, names, MAX_ENUM_VALUES), i;

    if (lua_type(L, idx) == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);

        for (i = 0; i < n; i++) {
            if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
                json_string(c, names[i], len);
                lua_pushstring(L, names[i]);
                return 1;
            }
        }
    }

    if (n == 1) {
        lua_pushfstring(L, "Input should be '%s'", names[0]);
    } else {
        push_quoted(L, names, n, 0);
        lua_pushfstring(L, "Input should be one of %s", lua_tostring(L, -1));
        lua_remove(L, -2);
    }
    report_with_value(c, idx, lua_tostring(L, -1));
    lua_pop(L, 1);
    return 0;
}

/* ---- identifiers ---------------------------------------------------- */

static int hex_digit(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* Normalizes the id at idx. Pushes the normalized id string and returns
 * NULL, or pushes nothing and returns the problem message. */
static const char *normalize_id(lua_State *L, int idx, const char *kind)
{
    int upper = strcmp(kind, "model") == 0;

    if (strcmp(kind, "numeric") == 0) {
        const char *problem = "Input should be a numeric id: a non-negative integer or a string of 1 to 20 digits";

        if (lua_type(L, idx) == LUA_TNUMBER) {
            lua_Integer v;
            lua_Number n = lua_tonumber(L, idx);

            if (lua_isinteger(L, idx))
                v = lua_tointeger(L, idx);
            else if (!isfinite(n) || n != floor(n) || n > 9007199254740992.0 || !lua_numbertointeger(n, &v))
                return problem;
            if (v < 0)
                return problem;
            lua_pushfstring(L, "%I", (LUAI_UACINT)v);
            return NULL;
        }
        if (lua_type(L, idx) == LUA_TSTRING) {
            size_t len, i;
            const char *s = lua_tolstring(L, idx, &len);

            if (len < 1 || len > 20)
                return problem;
            for (i = 0; i < len; i++)
                if (s[i] < '0' || s[i] > '9')
                    return problem;
            lua_pushvalue(L, idx);
            return NULL;
        }
        return problem;
    }

    if (lua_type(L, idx) == LUA_TSTRING) {
        size_t len, i;
        const char *s = lua_tolstring(L, idx, &len);
        char id[33];

        if (len == 32) {
            for (i = 0; i < 32 && hex_digit((unsigned char)s[i]); i++) {
                unsigned char ch = (unsigned char)s[i];

                if (upper && ch >= 'a' && ch <= 'f')
                    ch = (unsigned char)(ch - 'a' + 'A');
                else if (!upper && ch >= 'A' && ch <= 'F')
                    ch = (unsigned char)(ch - 'A' + 'a');
                id[i] = (char)ch;
            }
            if (i == 32) {
                lua_pushlstring(L, id, 32);
                return NULL;
            }
        }
    }
    return upper ? "Input should be a model id of 32 hexadecimal characters"
                 : "Input should be an id of 32 hexadecimal characters";
}

static int valid_id_kind(const char *kind)
{
    return strcmp(kind, "hex32") == 0 || strcmp(kind, "model") == 0 || strcmp(kind, "numeric") == 0;
}

static int check_id(schema_ctx *c, int idx, const schema_type *t)
{
    lua_State *L = c->L;
    const char *problem = normalize_id(L, idx, t->id_kind);
    size_t len;
    const char *s;

    if (problem != NULL) {
        report_with_value(c, idx, problem);
        return 0;
    }
    s = lua_tolstring(L, -1, &len);
    json_string(c, s, len);
    return 1;
}

/* ---- arrays --------------------------------------------------------- */

static void report_item_count(schema_ctx *c, const schema_type *t, lua_Integer n)
{
    if (t->empty)
        schema_report(c, NULL, "Array should be empty, not have %I item%s", (LUAI_UACINT)n, n == 1 ? "" : "s");
    else if (t->min_items == t->max_items)
        schema_report(c, NULL, "Array should have exactly %I item%s, not %I",
                      (LUAI_UACINT)t->min_items, t->min_items == 1 ? "" : "s", (LUAI_UACINT)n);
    else if ((size_t)n < t->min_items)
        schema_report(c, NULL, "Array should have at least %I item%s, not %I",
                      (LUAI_UACINT)t->min_items, t->min_items == 1 ? "" : "s", (LUAI_UACINT)n);
    else
        schema_report(c, NULL, "Array should have at most %I item%s, not %I",
                      (LUAI_UACINT)t->max_items, t->max_items == 1 ? "" : "s", (LUAI_UACINT)n);
}

/* Reports item i (the current location) when its value, or its unique_by
 * field, repeats an earlier item's. seen maps each value to the first item
 * that had it. */
static void check_repeat(schema_ctx *c, const schema_type *t, int seen, int item, lua_Integer i)
{
    lua_State *L = c->L;

    if (t->unique_by != NULL) {
        if (lua_type(L, item) != LUA_TTABLE)
            return;
        lua_getfield(L, item, t->unique_by);
    } else {
        lua_pushvalue(L, item);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return;
    }

    lua_pushvalue(L, -1);
    if (lua_rawget(L, seen) != LUA_TNIL) {
        lua_Integer first = lua_tointeger(L, -1);

        if (t->unique_by != NULL)
            schema_report(c, t->unique_by, "Duplicate of item %I's %s", (LUAI_UACINT)first, t->unique_by);
        else
            schema_report(c, NULL, "Duplicate of item %I", (LUAI_UACINT)first);
        lua_pop(L, 2);
        return;
    }
    lua_pop(L, 1);
    lua_pushinteger(L, i);
    lua_rawset(L, seen);
}

static int check_array(schema_ctx *c, int idx, const schema_type *t)
{
    lua_State *L = c->L;
    lua_Integer n, i;
    int out, seen, count_ok;

    if (lua_type(L, idx) != LUA_TTABLE) {
        schema_report(c, NULL, "Input should be an array");
        return 0;
    }
    if (!enter_table(c, idx))
        return 0;
    n = array_length(L, idx);
    if (n < 0) {
        schema_report(c, NULL, "Input should be an array");
        leave_table(c);
        return 0;
    }

    count_ok = t->empty ? n == 0
                        : (size_t)n >= t->min_items && (t->max_items == 0 || (size_t)n <= t->max_items);
    if (!count_ok) {
        report_item_count(c, t, n);
        /* Too many items: checking each would only bury the count problem. */
        if (t->empty || (t->max_items != 0 && (size_t)n > t->max_items)) {
            leave_table(c);
            return 0;
        }
    }

    lua_newtable(L);
    seen = lua_gettop(L);
    lua_createtable(L, (int)n, 0);
    out = lua_gettop(L);
    json_text(c, "[");
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        if (i > 1)
            json_text(c, ",");
        path_index(c, i);
        if (check_value(c, lua_gettop(L), t->items, SCHEMA_REQUIRED)) {
            if (t->unique || t->unique_by != NULL)
                check_repeat(c, t, seen, lua_gettop(L), i);
        } else {
            lua_pushboolean(L, 0);
        }
        path_pop(c);
        lua_rawseti(L, out, i);
        lua_pop(L, 1);
    }
    json_text(c, "]");

    lua_remove(L, seen);
    leave_table(c);
    return 1;
}

/* ---- objects of strings (a service-account key) ---------------------- */

static int check_string_map(schema_ctx *c, int idx, unsigned flags)
{
    lua_State *L = c->L;
    int keys, out, bad_key = 0, bad_value = 0;
    lua_Integer n = 0, i;

    if (lua_type(L, idx) != LUA_TTABLE) {
        schema_report(c, NULL, "Input should be an object of string values");
        return 0;
    }
    if (!enter_table(c, idx))
        return 0;

    lua_newtable(L);
    keys = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        size_t len;
        const char *s;

        if (lua_type(L, -2) != LUA_TSTRING) {
            bad_key = 1;
        } else {
            s = lua_tolstring(L, -2, &len);
            if (!json_utf8_valid(s, len))
                bad_key = 1;
        }
        if (lua_type(L, -1) != LUA_TSTRING) {
            bad_value = 1;
        } else {
            s = lua_tolstring(L, -1, &len);
            if (!json_utf8_valid(s, len))
                bad_value = 1;
        }
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++n);
    }

    if (bad_key || bad_value || (n == 0 && (flags & SCHEMA_REQUIRED))) {
        if (bad_key)
            schema_report(c, NULL, "Input should be an object whose keys are all UTF-8 strings");
        if (bad_value)
            schema_report(c, NULL, "Input should be an object whose values are all UTF-8 strings");
        if (n == 0 && !bad_key && !bad_value)
            schema_report(c, NULL, "Object should not be empty");
        lua_pop(L, 1);
        leave_table(c);
        return 0;
    }

    sort_strings(L, keys, n);
    lua_createtable(L, 0, (int)n);
    out = lua_gettop(L);
    json_text(c, "{");
    for (i = 1; i <= n; i++) {
        size_t len;
        const char *s;

        lua_rawgeti(L, keys, i);
        if (i > 1)
            json_text(c, ",");
        s = lua_tolstring(L, -1, &len);
        json_string(c, s, len);
        json_text(c, ":");
        lua_pushvalue(L, -1);
        lua_rawget(L, idx);
        s = lua_tolstring(L, -1, &len);
        json_string(c, s, len);
        collect_secret(c, lua_gettop(L));
        lua_rawset(L, out);
    }
    json_text(c, "}");

    lua_remove(L, keys);
    leave_table(c);
    return 1;
}

/* ---- unions --------------------------------------------------------- */

/* Validates the value at idx as the model that the enclosing object's
 * discriminator picks. Reports nothing when the discriminator itself is
 * missing or invalid, because that field already has its own problem. */
static int check_union(schema_ctx *c, int idx, const schema_type *t)
{
    lua_State *L = c->L;
    const schema_case *row = NULL;
    const schema_pick *pick;
    const char *when;
    size_t i;

    if (c->frame == NULL)
        return 0;
    lua_getfield(L, c->frame->out, t->discriminator);
    when = lua_tostring(L, -1);
    for (i = 0; when != NULL && i < t->cases->count; i++)
        if (strcmp(t->cases->rows[i].when, when) == 0)
            row = &t->cases->rows[i];
    lua_pop(L, 1);
    if (row == NULL)
        return 0;
    pick = &row->pick[t->column];

    if (pick->type_value != NULL && lua_type(L, idx) == LUA_TTABLE && !is_open_table(c, idx)) {
        lua_pushliteral(L, "type");
        if (lua_rawget(L, idx) == LUA_TSTRING && strcmp(lua_tostring(L, -1), pick->type_value) != 0) {
            int given = lua_gettop(L);
            const char *message = lua_pushfstring(L, "Input should be '%s' for %s '%s'",
                                                  pick->type_value, t->discriminator, row->when);

            path_name(c, pick->model->name);
            path_name(c, "type");
            report_with_value(c, given, message);
            lua_pop(L, 1);
            path_pop(c);
            path_pop(c);
            lua_pop(L, 1);
            return 0;
        }
        lua_pop(L, 1);
    }
    return check_model(c, idx, pick->model, 1);
}

static int check_value(schema_ctx *c, int idx, const schema_type *t, unsigned flags)
{
    switch (t->kind) {
    case SCHEMA_STRING: return check_string(c, idx, t, flags);
    case SCHEMA_BOOLEAN: return check_boolean(c, idx);
    case SCHEMA_INTEGER: return check_integer(c, idx, t);
    case SCHEMA_ENUM: return check_enum(c, idx, t);
    case SCHEMA_ID: return check_id(c, idx, t);
    case SCHEMA_ARRAY: return check_array(c, idx, t);
    case SCHEMA_OBJECT: return check_model(c, idx, t->model, 0);
    case SCHEMA_UNION: return check_union(c, idx, t);
    case SCHEMA_STRING_MAP: return check_string_map(c, idx, flags);
    }
    return 0;
}

/* ---- models --------------------------------------------------------- */

/* Lists the fields a model accepts: its own, or for a partial model the
 * fields of every case's model, each name once. */
static size_t model_fields(const schema_model *m, const schema_field **list)
{
    size_t n = 0, r, i, j;

    if (m->partial_of == NULL) {
        for (i = 0; i < m->nfields && i < MAX_FIELDS; i++)
            list[n++] = &m->fields[i];
        return n;
    }
    for (r = 0; r < m->partial_of->count; r++) {
        const schema_model *member = m->partial_of->rows[r].pick[0].model;

        for (i = 0; i < member->nfields && n < MAX_FIELDS; i++) {
            for (j = 0; j < n && strcmp(list[j]->name, member->fields[i].name) != 0; j++)
                ;
            if (j == n)
                list[n++] = &member->fields[i];
        }
    }
    return n;
}

static void push_default(lua_State *L, const schema_field *f)
{
    switch (f->default_kind) {
    case SCHEMA_DEFAULT_STRING: lua_pushstring(L, f->default_string); break;
    case SCHEMA_DEFAULT_TRUE: lua_pushboolean(L, 1); break;
    case SCHEMA_DEFAULT_FALSE: lua_pushboolean(L, 0); break;
    case SCHEMA_DEFAULT_EMPTY_ARRAY: lua_newtable(L); break;
    case SCHEMA_DEFAULT_PUSH: f->push_default(L); break;
    case SCHEMA_NO_DEFAULT: lua_pushnil(L); break;
    }
}

/* Checks field f of the object at idx and stores its normalized value in
 * the frame's table. When partial is set, the field is neither required nor
 * filled from its default. */
static void check_field(schema_ctx *c, int idx, frame *fr, const schema_field *f, size_t position,
                        int partial, int *first)
{
    lua_State *L = c->L;
    char snake[NAME_BUFFER];
    size_t snake_len = snake_name(f->name, snake, sizeof snake);
    int secret = c->secret, secret_field = c->secret_field, value;
    jsonbuf *json = c->json;

    lua_pushstring(L, f->name);
    lua_rawget(L, idx);
    if (snake_len > 0) {
        lua_pushlstring(L, snake, snake_len);
        lua_rawget(L, idx);
        if (!lua_isnil(L, -1) && !lua_isnil(L, -2)) {
            fr->given |= (uint64_t)1 << position;
            path_name(c, f->name);
            schema_report(c, NULL, "Field given twice, as '%s' and '%s'", snake, f->name);
            path_pop(c);
            lua_pop(L, 2);
            return;
        }
        if (lua_isnil(L, -2))
            lua_remove(L, -2);
        else
            lua_pop(L, 1);
    }
    value = lua_gettop(L);

    if (lua_isnil(L, value)) {
        if (partial || f->default_kind == SCHEMA_NO_DEFAULT) {
            if (!partial && (f->flags & SCHEMA_REQUIRED)) {
                path_name(c, f->name);
                schema_report(c, NULL, "Field required");
                path_pop(c);
            }
            lua_pop(L, 1);
            return;
        }
        lua_pop(L, 1);
        push_default(L, f);
    } else if (position < MAX_FIELDS) {
        fr->given |= (uint64_t)1 << position;
    }

    if (f->flags & SCHEMA_NOT_SENT) {
        c->json = NULL;
    } else {
        if (!*first)
            json_text(c, ",");
        *first = 0;
        json_string(c, f->name, strlen(f->name));
        json_text(c, ":");
    }
    if ((f->flags & SCHEMA_SECRET) || is_secret_name(f->name)) {
        c->secret = 1;
        c->secret_field = 1;
    }

    path_name(c, f->name);
    if (check_value(c, value, f->type, f->flags)) {
        if (f->flags & SCHEMA_NOT_SENT)
            lua_pop(L, 1);
        else
            lua_setfield(L, fr->out, f->name);
    }
    path_pop(c);

    c->secret = secret;
    c->secret_field = secret_field;
    c->json = json;
    lua_pop(L, 1);
}

/* Returns the field whose API or snake_case spelling is key, or NULL. */
static const schema_field *find_field(const schema_field **list, size_t n, const char *key, size_t len)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (name_matches(list[i]->name, key, len))
            return list[i];
    return NULL;
}

/* Reports the unknown key on top of the stack, with the nearest field name
 * (spelled the way the key is) when it is close enough to be a typo. */
static void report_unknown(schema_ctx *c, const schema_field **list, size_t n)
{
    lua_State *L = c->L;
    size_t len, i, best = (size_t)-1;
    const char *key = lua_tolstring(L, -1, &len);
    const char *suggestion = NULL;
    char snake[NAME_BUFFER], chosen[NAME_BUFFER];
    int wants_snake = memchr(key, '_', len) != NULL;

    path_push(c, key, len, 0, 1);
    if (len <= SHOWN_BYTES) {
        for (i = 0; i < n; i++) {
            const char *api = list[i]->name, *spelled;
            size_t snake_len, d;

            if (strlen(api) > SHOWN_BYTES)
                continue;
            snake_len = snake_name(api, snake, sizeof snake);
            spelled = wants_snake && snake_len > 0 ? snake : api;
            d = edit_distance(key, len, api, strlen(api));
            if (snake_len > 0) {
                size_t ds = edit_distance(key, len, snake, snake_len);

                if (ds < d)
                    d = ds;
            }
            if (d < best) {
                size_t longest = strlen(spelled) > len ? strlen(spelled) : len;
                size_t limit = longest * 2 / 5 > 2 ? longest * 2 / 5 : 2;

                best = d;
                if (d <= limit) {
                    snprintf(chosen, sizeof chosen, "%s", spelled);
                    suggestion = chosen;
                } else {
                    suggestion = NULL;
                }
            }
        }
    }

    if (suggestion != NULL) {
        schema_report(c, NULL, "Unknown field; did you mean '%s'?", suggestion);
    } else {
        const char *names[MAX_FIELDS];

        for (i = 0; i < n; i++)
            names[i] = list[i]->name;
        push_quoted(L, names, n, 0);
        schema_report(c, NULL, "Unknown field; expected one of %s", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    path_pop(c);
}

/* Reports when a partial object mixes the fields of two cases. */
static void check_partial(schema_ctx *c, int idx, const schema_model *m, uint64_t given)
{
    const schema_case *first, *second;

    if (given == 0) {
        schema_report(c, NULL, "Object should have at least one field to change");
        return;
    }
    if (schema_recognise(c->L, idx, m->partial_of, &first, &second) >= 2)
        schema_report(c, NULL, "Fields of the '%s' and '%s' connection types are mixed; "
                      "give the fields of one type only", first->when, second->when);
}

/* Returns 1 when one of the n fields in list is a credential. */
static int model_carries_secret(const schema_field **list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((list[i]->flags & SCHEMA_SECRET) || is_secret_name(list[i]->name))
            return 1;
    }
    return 0;
}

/* Validates the object at idx as model m and pushes its normalized table.
 * Returns 0 and pushes nothing when the value is not an object, is nested
 * too deep or contains itself. show_name adds the model's name to locations (top level and unions). */
static int check_model(schema_ctx *c, int idx, const schema_model *m, int show_name)
{
    lua_State *L = c->L;
    const schema_field *list[MAX_FIELDS];
    size_t n, i, loc_base = c->loc_base;
    int unknown, first = 1, not_object = 0, pushed_name = 0, secret;
    lua_Integer nunknown = 0, k;
    frame fr;

    if (m->flags & SCHEMA_TRANSPARENT)
        c->loc_base = c->npath;
    if (m->select != NULL) {
        const schema_model *chosen = m->select(c, idx);

        if (chosen != m) {
            int ok = chosen != NULL && check_model(c, idx, chosen, show_name);

            c->loc_base = loc_base;
            return ok;
        }
    }

    if (show_name && !(m->flags & SCHEMA_TRANSPARENT)) {
        path_name(c, m->name);
        pushed_name = 1;
    }
    if (lua_type(L, idx) != LUA_TTABLE || !enter_table(c, idx)) {
        if (lua_type(L, idx) != LUA_TTABLE) {
            c->loc_base = loc_base;
            schema_report(c, NULL, "Input should be an object");
        }
        if (pushed_name)
            path_pop(c);
        c->loc_base = loc_base;
        return 0;
    }

    n = model_fields(m, list);
    lua_newtable(L);
    unknown = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        size_t len;
        const char *key;

        if (lua_type(L, -2) != LUA_TSTRING) {
            not_object = 1;
            lua_pop(L, 2);
            break;
        }
        key = lua_tolstring(L, -2, &len);
        lua_pop(L, 1);
        if (find_field(list, n, key, len) == NULL) {
            lua_pushvalue(L, -1);
            lua_rawseti(L, unknown, ++nunknown);
        }
    }
    if (not_object) {
        schema_report(c, NULL, "Input should be an object");
        lua_pop(L, 1);
        leave_table(c);
        if (pushed_name)
            path_pop(c);
        c->loc_base = loc_base;
        return 0;
    }

    lua_createtable(L, 0, (int)n);
    fr.model = m;
    fr.out = lua_gettop(L);
    fr.given = 0;
    fr.up = c->frame;
    c->frame = &fr;

    /* A wrong value in any field of a model that carries a credential is
     * not echoed either: a credential typed into the wrong field (a SAS
     * token as auth_method) must not reach the message. */
    secret = c->secret;
    if (model_carries_secret(list, n))
        c->secret = 1;
    json_text(c, "{");
    for (i = 0; i < n; i++)
        check_field(c, idx, &fr, list[i], i, m->partial_of != NULL, &first);
    json_text(c, "}");

    sort_strings(L, unknown, nunknown);
    for (k = 1; k <= nunknown; k++) {
        lua_rawgeti(L, unknown, k);
        report_unknown(c, list, n);
        lua_pop(L, 1);
    }
    if (m->partial_of != NULL && nunknown == 0)
        check_partial(c, idx, m, fr.given);
    if (m->check != NULL)
        m->check(c, fr.out);
    c->secret = secret;

    c->frame = fr.up;
    lua_remove(L, unknown);
    leave_table(c);
    if (pushed_name)
        path_pop(c);
    c->loc_base = loc_base;
    return 1;
}

/* ---- helpers for hooks ---------------------------------------------- */

int schema_rawget_field(lua_State *L, int idx, const char *api_name)
{
    char snake[NAME_BUFFER];
    size_t len;

    idx = lua_absindex(L, idx);
    lua_pushstring(L, api_name);
    if (lua_rawget(L, idx) != LUA_TNIL)
        return lua_type(L, -1);
    lua_pop(L, 1);
    len = snake_name(api_name, snake, sizeof snake);
    if (len == 0) {
        lua_pushnil(L);
        return LUA_TNIL;
    }
    lua_pushlstring(L, snake, len);
    return lua_rawget(L, idx);
}

/* Returns 1 when no model of another row than row has a field named name. */
static int field_unique_to_row(const schema_cases *cases, size_t row, const char *name)
{
    size_t r, i;

    for (r = 0; r < cases->count; r++) {
        const schema_model *m = cases->rows[r].pick[0].model;

        if (r == row)
            continue;
        for (i = 0; i < m->nfields; i++)
            if (strcmp(m->fields[i].name, name) == 0)
                return 0;
    }
    return 1;
}

int schema_recognise(lua_State *L, int idx, const schema_cases *cases,
                     const schema_case **first, const schema_case **second)
{
    size_t r, i;
    int found = 0;

    *first = NULL;
    *second = NULL;
    if (lua_type(L, idx) != LUA_TTABLE)
        return 0;
    for (r = 0; r < cases->count; r++) {
        const schema_model *m = cases->rows[r].pick[0].model;
        int has = 0;

        for (i = 0; i < m->nfields && !has; i++) {
            if (!field_unique_to_row(cases, r, m->fields[i].name))
                continue;
            has = schema_rawget_field(L, idx, m->fields[i].name) != LUA_TNIL;
            lua_pop(L, 1);
        }
        if (!has)
            continue;
        if (found == 0)
            *first = &cases->rows[r];
        else if (found == 1)
            *second = &cases->rows[r];
        found++;
    }
    return found;
}

/* ---- entry points --------------------------------------------------- */

const schema_model *schema_find(const char *name)
{
    size_t i;

    for (i = 0; schema_models[i] != NULL; i++)
        if (strcmp(schema_models[i]->name, name) == 0)
            return schema_models[i];
    return NULL;
}

void schema_push_model_names(lua_State *L)
{
    lua_Integer i;

    lua_newtable(L);
    for (i = 0; schema_models[i] != NULL; i++) {
        lua_pushstring(L, schema_models[i]->name);
        lua_rawseti(L, -2, i + 1);
    }
}

/* Raises the validation error for the problems collected in c: message
 * lists them one a line (the first MESSAGE_LINES), errors lists them all. */
static int raise_problems(schema_ctx *c)
{
    lua_State *L = c->L;
    luaL_Buffer b;
    lua_Integer i;

    luaL_buffinit(L, &b);
    for (i = 1; i <= c->count && i <= MESSAGE_LINES; i++) {
        const char *loc, *msg;

        lua_rawgeti(L, c->problems, i);
        lua_getfield(L, -1, "loc");
        lua_getfield(L, -2, "msg");
        loc = lua_tostring(L, -2);  /* both stay anchored in c->problems */
        msg = lua_tostring(L, -1);
        lua_pop(L, 3);
        if (i > 1)
            luaL_addchar(&b, '\n');
        luaL_addstring(&b, loc);
        luaL_addchar(&b, ' ');
        luaL_addstring(&b, msg);
    }
    if (c->count > MESSAGE_LINES) {
        char more[64];

        snprintf(more, sizeof more, "\n(and " LUA_INTEGER_FMT " more problems)",
                 (LUAI_UACINT)(c->count - MESSAGE_LINES));
        luaL_addstring(&b, more);
    }
    luaL_pushresult(&b);

    errors_push(L, "validation", "%s", lua_tostring(L, -1));
    lua_pushvalue(L, c->problems);
    lua_setfield(L, -2, "errors");
    return lua_error(L);
}

void schema_check(lua_State *L, int idx, const schema_model *m,
                  const char *loc, int flags, jsonbuf *out)
{
    schema_ctx c;
    size_t json_start = out != NULL ? out->len : 0;
    int ok;

    idx = lua_absindex(L, idx);
    luaL_checkstack(L, 24, "validating a table");
    memset(&c, 0, sizeof c);
    c.L = L;
    c.prefix = loc != NULL ? loc : "";
    c.json = (flags & SCHEMA_WRITE_JSON) ? out : NULL;
    if (flags & SCHEMA_COLLECT_SECRETS) {
        lua_newtable(L);
        c.secrets = lua_gettop(L);
    }
    lua_newtable(L);
    c.problems = lua_gettop(L);
    if (*c.prefix != '\0')
        path_name(&c, c.prefix);

    ok = check_model(&c, idx, m, 1);
    if (!ok && c.count == 0)
        schema_report(&c, NULL, "Input is not valid for %s", m->name);
    if (c.count > 0) {
        if (c.json != NULL && c.json->data != NULL) {
            c.json->len = json_start;
            c.json->data[json_start] = '\0';
        }
        if (ok)
            lua_pop(L, 1);
        raise_problems(&c);
    }

    if (flags & SCHEMA_PUSH_TABLE)
        lua_remove(L, c.problems);
    else
        lua_pop(L, 2);
    if (c.secrets != 0 && (flags & SCHEMA_PUSH_TABLE))
        lua_rotate(L, -2, 1); /* the normalized table, then the secrets */
}

void schema_check_id(lua_State *L, int idx, const char *kind, const char *what)
{
    const char *problem;

    idx = lua_absindex(L, idx);
    if (what == NULL)
        what = "id";
    if (kind == NULL || !valid_id_kind(kind))
        errors_raise(L, "usage", "unknown id kind '%s' for %s: expected 'hex32', 'model' or 'numeric'",
                     kind != NULL ? kind : "(null)", what);

    problem = normalize_id(L, idx, kind);
    if (problem == NULL)
        return;

    push_not_value(L, idx, 0);
    lua_pushfstring(L, "%s%s", problem, lua_tostring(L, -1));
    errors_push(L, "validation", "%s %s", what, lua_tostring(L, -1));
    lua_createtable(L, 1, 0);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, what);
    lua_setfield(L, -2, "loc");
    lua_pushvalue(L, -4);
    lua_setfield(L, -2, "msg");
    lua_rawseti(L, -2, 1);
    lua_setfield(L, -2, "errors");
    lua_error(L);
}

/* ---- Lua functions -------------------------------------------------- */

/* Returns the model named by argument 1, or raises a usage error. */
static const schema_model *model_argument(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    const schema_model *m = schema_find(name);
    luaL_Buffer b;

    if (m != NULL)
        return m;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "unknown model '");
    add_shown(&b, name, lua_rawlen(L, 1));
    luaL_addstring(&b, "'; core.models() lists the known ones");
    luaL_pushresult(&b);
    errors_raise(L, "usage", "%s", lua_tostring(L, -1));
    return NULL;
}

/* validate(model_name, table) -> the normalized API-shaped table. */
static int l_validate(lua_State *L)
{
    const schema_model *m = model_argument(L);

    lua_settop(L, 2);
    schema_check(L, 2, m, "body", SCHEMA_PUSH_TABLE, NULL);
    return 1;
}

/* encode(model_name, table) -> the JSON body as a string. */
static int l_encode(lua_State *L)
{
    const schema_model *m = model_argument(L);
    jsonbuf *b;

    lua_settop(L, 2);
    b = jsonbuf_new(L);
    schema_check(L, 2, m, "body", SCHEMA_WRITE_JSON, b);
    lua_pushlstring(L, b->data != NULL ? b->data : "", b->len);
    jsonbuf_reset(b);
    return 1;
}

/* secret_values(model_name, table) -> the array of strings of the secret
 * fields in a valid table: what the dispatcher masks in server messages. */
static int l_secret_values(lua_State *L)
{
    const schema_model *m = model_argument(L);

    lua_settop(L, 2);
    schema_check(L, 2, m, "body", SCHEMA_COLLECT_SECRETS, NULL);
    return 1;
}

/* check_id(value, kind [, what]) -> the normalized id string. */
static int l_check_id(lua_State *L)
{
    const char *kind = luaL_checkstring(L, 2);
    const char *what = luaL_optstring(L, 3, "id");

    luaL_checkany(L, 1);
    schema_check_id(L, 1, kind, what);
    return 1;
}

static int l_models(lua_State *L)
{
    schema_push_model_names(L);
    return 1;
}

void schema_register(lua_State *L)
{
    static const luaL_Reg functions[] = {
        {"validate", l_validate},
        {"encode", l_encode},
        {"secret_values", l_secret_values},
        {"check_id", l_check_id},
        {"models", l_models},
        {NULL, NULL},
    };

    luaL_setfuncs(L, functions, 0);
}
