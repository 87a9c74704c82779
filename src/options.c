/* The options table of core.session. See options.h. */
#include "options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <lauxlib.h>

#include "auth.h"
#include "errors.h"
#include "log.h"

#define DEFAULT_AUTH_URL "https://auth.anaplan.com"
#define DEFAULT_CLOUDWORKS_URL "https://api.cloudworks.anaplan.com/2/0"

/* Default and maximum page_size, the limit sent to list endpoints. The
 * API description states no maximum for limit, so this cap is the client's
 * own choice. */
#define MAX_PAGE_SIZE 5000

static const char *const option_names[] = {
    "user_email", "password", "certificate", "private_key", "private_key_password", "token",
    "auth_url", "cloudworks_url", "timeout", "connect_timeout", "retry_count", "backoff",
    "backoff_factor", "page_size", "verify_tls", "ca_file", "max_response_size", "logger",
    "log_level", NULL,
};

/* Where problems found in the options table are collected. */
typedef struct option_reader {
    lua_State *L;
    int options;  /* stack index of the options table */
    int problems; /* stack index of the array of {loc, msg} */
} option_reader;

/* Appends {loc = "options.<name>", msg = ...} to the problems. A NULL name
 * means the table as a whole (loc "options"). */
static void add_problem(option_reader *r, const char *name, const char *fmt, ...)
{
    lua_State *L = r->L;
    va_list ap;

    lua_createtable(L, 0, 2);
    if (name != NULL)
        lua_pushfstring(L, "options.%s", name);
    else
        lua_pushliteral(L, "options");
    lua_setfield(L, -2, "loc");
    va_start(ap, fmt);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lua_setfield(L, -2, "msg");
    lua_rawseti(L, r->problems, (lua_Integer)lua_rawlen(L, r->problems) + 1);
}

/* Raises a "validation" error listing every problem, one "loc msg" a line,
 * with the list itself in the errors field. */
static int raise_problems(lua_State *L, int problems)
{
    luaL_Buffer lines;
    lua_Integer i, n = (lua_Integer)lua_rawlen(L, problems);

    luaL_buffinit(L, &lines);
    for (i = 1; i <= n; i++) {
        lua_rawgeti(L, problems, i);
        lua_getfield(L, -1, "loc");
        lua_getfield(L, -2, "msg");
        lua_pushfstring(L, "%s%s %s", i > 1 ? "\n" : "", lua_tostring(L, -2), lua_tostring(L, -1));
        lua_replace(L, -4);
        lua_pop(L, 2);
        luaL_addvalue(&lines);
    }
    luaL_pushresult(&lines);

    errors_push(L, "validation", "%s", lua_tostring(L, -1));
    lua_pushvalue(L, problems);
    lua_setfield(L, -2, "errors");
    return lua_error(L);
}

int options_raise(lua_State *L, const char *loc, const char *msg)
{
    errors_push(L, "validation", "%s %s", loc, msg);
    lua_createtable(L, 1, 0);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, loc);
    lua_setfield(L, -2, "loc");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "msg");
    lua_rawseti(L, -2, 1);
    lua_setfield(L, -2, "errors");
    return lua_error(L);
}

/* Returns the edit distance between a and b (both cut to 63 bytes). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t row[64], i, j, la = strlen(a), lb = strlen(b);

    if (la > 63)
        la = 63;
    if (lb > 63)
        lb = 63;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        size_t diagonal = row[0];

        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t above = row[j];
            size_t best = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);

            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (above + 1 < best)
                best = above + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

static const char *nearest_option(const char *name)
{
    const char *best = option_names[0];
    size_t best_distance = (size_t)-1;
    int i;

    for (i = 0; option_names[i] != NULL; i++) {
        size_t d = edit_distance(name, option_names[i]);

        if (d < best_distance) {
            best_distance = d;
            best = option_names[i];
        }
    }
    return best;
}

static void check_option_names(option_reader *r)
{
    lua_State *L = r->L;

    lua_pushnil(L);
    while (lua_next(L, r->options) != 0) {
        int known = 0, i;

        if (lua_type(L, -2) == LUA_TSTRING) {
            const char *key = lua_tostring(L, -2);

            for (i = 0; option_names[i] != NULL && !known; i++)
                known = strcmp(key, option_names[i]) == 0;
            if (!known)
                add_problem(r, key, "is not a known option (did you mean %s?)", nearest_option(key));
        } else {
            add_problem(r, NULL, "has a key of type %s; option names are strings",
                        luaL_typename(L, -2));
        }
        lua_pop(L, 1);
    }
}

/* Pushes options[name] without metamethods and returns its type. */
static int push_option(option_reader *r, const char *name)
{
    lua_pushstring(r->L, name);
    return lua_rawget(r->L, r->options);
}

static int option_present(option_reader *r, const char *name)
{
    int present = push_option(r, name) != LUA_TNIL;

    lua_pop(r->L, 1);
    return present;
}

/* Reads a string option. Returns NULL when absent or invalid; the string
 * stays valid while the options table lives. A secret's value never goes
 * into a problem message. */
static const char *read_string(option_reader *r, const char *name)
{
    lua_State *L = r->L;
    const char *value;
    size_t len;
    int type = push_option(r, name);

    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    if (type != LUA_TSTRING) {
        add_problem(r, name, "must be a string (got %s)", lua_typename(L, type));
        lua_pop(L, 1);
        return NULL;
    }
    value = lua_tolstring(L, -1, &len);
    lua_pop(L, 1);
    if (len == 0) {
        add_problem(r, name, "must not be empty");
        return NULL;
    }
    if (strlen(value) != len) {
        add_problem(r, name, "must not contain NUL bytes");
        return NULL;
    }
    return value;
}

/* Reads a number option into *out (def when absent). Returns 1 when the
 * option was given as a number, 0 otherwise. */
static int read_number(option_reader *r, const char *name, lua_Number def, lua_Number *out)
{
    lua_State *L = r->L;
    int type = push_option(r, name);

    *out = def;
    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    if (type != LUA_TNUMBER) {
        add_problem(r, name, "must be a number (got %s)", lua_typename(L, type));
        lua_pop(L, 1);
        return 0;
    }
    *out = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return 1;
}

/* Reads a number option that must lie in [min, max]; unit ends the message. */
static lua_Number read_bounded_number(option_reader *r, const char *name, lua_Number def,
                                      lua_Number min, int min_inclusive, lua_Number max,
                                      const char *unit)
{
    lua_Number value;

    if (read_number(r, name, def, &value)) {
        int low_ok = min_inclusive ? value >= min : value > min;

        if (!(low_ok && value <= max)) {
            char low[32], high[32], got[32];

            add_problem(r, name, "must be %s %s and at most %s%s (got %s)",
                        min_inclusive ? "at least" : "greater than",
                        log_format_number(low, sizeof low, min), log_format_number(high, sizeof high, max),
                        unit, log_format_number(got, sizeof got, value));
            return def;
        }
    }
    return value;
}

/* Reads an integer option in [min, max]; a float with an integral value counts. */
static lua_Integer read_bounded_integer(option_reader *r, const char *name, lua_Integer def,
                                        lua_Integer min, lua_Integer max)
{
    lua_State *L = r->L;
    lua_Integer value;
    int is_integer;
    int type = push_option(r, name);

    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        return def;
    }
    if (type != LUA_TNUMBER) {
        add_problem(r, name, "must be an integer (got %s)", lua_typename(L, type));
        lua_pop(L, 1);
        return def;
    }
    value = lua_tointegerx(L, -1, &is_integer);
    if (!is_integer) {
        char got[32];

        add_problem(r, name, "must be an integer (got %s)",
                    log_format_number(got, sizeof got, lua_tonumber(L, -1)));
        lua_pop(L, 1);
        return def;
    }
    lua_pop(L, 1);
    if (value < min || value > max) {
        add_problem(r, name, "must be between %I and %I (got %I)", min, max, value);
        return def;
    }
    return value;
}

static int read_boolean(option_reader *r, const char *name, int def)
{
    lua_State *L = r->L;
    int type = push_option(r, name);
    int value = def;

    if (type == LUA_TBOOLEAN)
        value = lua_toboolean(L, -1);
    else if (type != LUA_TNIL)
        add_problem(r, name, "must be a boolean (got %s)", lua_typename(L, type));
    lua_pop(L, 1);
    return value;
}

/* Checks that value is an http or https URL with a host, no user name or
 * password, and no query or fragment, which would change the paths appended
 * to it. Writes the problem into problem, or leaves it empty when the URL
 * is usable. Returns -1 when curl is out of memory, else 0. Calls no Lua
 * function, so curl's objects are always freed. The text quotes only the
 * scheme, so a URL with a password in it is never echoed. */
static int find_url_problem(const char *value, char *problem, size_t size)
{
    CURLU *url = curl_url();
    char *part = NULL;
    CURLUcode rc;

    problem[0] = '\0';
    if (url == NULL)
        return -1;

    rc = curl_url_set(url, CURLUPART_URL, value, 0);
    if (rc != CURLUE_OK) {
        snprintf(problem, size, "is not a valid URL (%s)", curl_url_strerror(rc));
        goto done;
    }
    if (curl_url_get(url, CURLUPART_SCHEME, &part, 0) != CURLUE_OK || part == NULL
        || (strcmp(part, "http") != 0 && strcmp(part, "https") != 0)) {
        snprintf(problem, size, "must be an http or https URL (got scheme %.32s)",
                 part != NULL ? part : "none");
        goto done;
    }
    curl_free(part);
    part = NULL;
    if (curl_url_get(url, CURLUPART_HOST, &part, 0) != CURLUE_OK || part == NULL || part[0] == '\0') {
        snprintf(problem, size, "must name a host");
        goto done;
    }
    curl_free(part);
    part = NULL;
    if (curl_url_get(url, CURLUPART_USER, &part, 0) == CURLUE_OK) {
        snprintf(problem, size, "must not contain a user name or password");
        goto done;
    }
    if (curl_url_get(url, CURLUPART_QUERY, &part, 0) == CURLUE_OK
        || curl_url_get(url, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK)
        snprintf(problem, size, "must not have a query or a fragment");

done:
    curl_free(part);
    curl_url_cleanup(url);
    return 0;
}

/* Adds a problem for name unless value is a usable base URL; returns 1 when
 * it is. */
static int check_url(option_reader *r, const char *name, const char *value)
{
    char problem[128];

    if (find_url_problem(value, problem, sizeof problem) != 0)
        return luaL_error(r->L, "not enough memory to check %s", name);
    if (problem[0] == '\0')
        return 1;
    add_problem(r, name, "%s", problem);
    return 0;
}

/* Reads a URL option; *len gets its length without trailing slashes. */
static const char *read_url(option_reader *r, const char *name, const char *def, size_t *len)
{
    const char *value = read_string(r, name);
    int given = value != NULL;

    if (value == NULL) {
        if (option_present(r, name))
            return NULL; /* present but invalid: read_string added the problem */
        value = def;
    }
    if (given && !check_url(r, name, value))
        return NULL;

    *len = strlen(value);
    while (*len > 0 && value[*len - 1] == '/')
        (*len)--;
    return value;
}

static void read_login_options(option_reader *r, parsed_options *o)
{
    int basic, certificate, token, ways;

    o->user_email = read_string(r, "user_email");
    o->password = read_string(r, "password");
    o->certificate = read_string(r, "certificate");
    o->private_key = read_string(r, "private_key");
    o->private_key_password = read_string(r, "private_key_password");
    o->token = read_string(r, "token");

    if (o->user_email != NULL && strpbrk(o->user_email, ":\r\n\t") != NULL)
        add_problem(r, "user_email", "must not contain ':' or control characters");
    if (o->token != NULL && !auth_token_text_valid(o->token, strlen(o->token))) {
        add_problem(r, "token", "must be printable ASCII without spaces or line breaks");
        o->token = NULL;
    }

    /* Count what the table holds, valid or not, so that a bad value does
     * not also produce a misleading "no way to log in" problem. */
    basic = option_present(r, "user_email") || option_present(r, "password");
    certificate = option_present(r, "certificate") || option_present(r, "private_key")
                  || option_present(r, "private_key_password");
    token = option_present(r, "token");

    ways = basic + certificate + token;
    if (ways == 0) {
        add_problem(r, NULL, "must give a way to log in: user_email and password, "
                             "certificate and private_key, or token");
    } else if (ways > 1) {
        add_problem(r, NULL, "must give only one way to log in, but got %s%s%s",
                    basic ? "user_email/password " : "",
                    certificate ? "certificate/private_key " : "",
                    token ? "token " : "");
    } else if (basic) {
        if (!option_present(r, "user_email"))
            add_problem(r, "user_email", "is required with password");
        if (!option_present(r, "password"))
            add_problem(r, "password", "is required with user_email");
    } else if (certificate) {
        if (!option_present(r, "certificate"))
            add_problem(r, "certificate", "is required for certificate login");
        if (!option_present(r, "private_key"))
            add_problem(r, "private_key", "is required for certificate login");
    }
}

static void read_transport_options(option_reader *r, parsed_options *o)
{
    lua_State *L = r->L;
    int type;

    o->auth_url = read_url(r, "auth_url", DEFAULT_AUTH_URL, &o->auth_url_len);
    o->cloudworks_url = read_url(r, "cloudworks_url", DEFAULT_CLOUDWORKS_URL,
                                 &o->cloudworks_url_len);
    o->timeout = read_bounded_number(r, "timeout", 30, 0, 0, 86400, " seconds");
    o->connect_timeout = read_bounded_number(r, "connect_timeout", 10, 0, 0, 86400, " seconds");
    o->retry_count = read_bounded_integer(r, "retry_count", 2, 0, 100);
    o->backoff = read_bounded_number(r, "backoff", 1.0, 0, 1, 3600, " seconds");
    o->backoff_factor = read_bounded_number(r, "backoff_factor", 2.0, 1, 1, 100, "");
    o->page_size = read_bounded_integer(r, "page_size", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE);
    o->verify_tls = read_boolean(r, "verify_tls", 1);
    o->max_response_size = read_bounded_integer(r, "max_response_size", 256 * 1024 * 1024, 1,
                                                (lua_Integer)1 << 53);

    o->ca_file = read_string(r, "ca_file");
    if (o->ca_file != NULL) {
        FILE *f = fopen(o->ca_file, "rb");

        if (f == NULL)
            add_problem(r, "ca_file", "cannot be opened: %s", strerror(errno));
        else
            fclose(f);
    }

    type = push_option(r, "logger");
    o->has_logger = type == LUA_TFUNCTION;
    if (type != LUA_TNIL && type != LUA_TFUNCTION)
        add_problem(r, "logger", "must be a function(level, message) (got %s)",
                    lua_typename(L, type));
    lua_pop(L, 1);

    o->log_level = LOG_INFO;
    type = push_option(r, "log_level");
    if (type != LUA_TNIL) {
        const char *level = type == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        int found = level != NULL ? log_level_from_name(level) : -1;

        if (found < 0)
            add_problem(r, "log_level", "must be \"debug\", \"info\", \"warn\" or \"error\" (got %s)",
                        level != NULL ? level : lua_typename(L, type));
        else
            o->log_level = found;
    }
    lua_pop(L, 1);
}

void options_read(lua_State *L, int idx, parsed_options *o)
{
    option_reader r;

    memset(o, 0, sizeof *o);
    lua_newtable(L);
    r.L = L;
    r.options = idx;
    r.problems = lua_gettop(L);

    check_option_names(&r);
    read_login_options(&r, o);
    read_transport_options(&r, o);

    if (lua_rawlen(L, r.problems) > 0)
        raise_problems(L, r.problems);
    lua_pop(L, 1);
}

