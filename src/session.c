/* A client's state and the policy around each exchange: options, login on
 * first use, refresh ahead of expiry, re-login on 401, retries with backoff,
 * logging, and the error objects for failed calls. See session.h.
 *
 * Memory and errors: every malloc'd resource hangs off the session userdata,
 * whose __gc frees it, so a Lua error raised at any point leaks nothing.
 * Lua is only called between exchanges (curl callbacks never call it). */
#define _POSIX_C_SOURCE 200809L

#include "session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <lauxlib.h>

#include "auth.h"
#include "errors.h"
#include "transfer.h"

#define DEFAULT_AUTH_URL "https://auth.anaplan.com"
#define DEFAULT_CLOUDWORKS_URL "https://api.cloudworks.anaplan.com/2/0"

/* No wait between two attempts is longer than this, whatever Retry-After or
 * the backoff settings ask for. */
#define MAX_RETRY_WAIT_SECONDS 120.0

/* Largest page the CloudWorks list endpoints return. */
#define MAX_PAGE_SIZE 5000

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

static const char *const log_level_names[] = {"debug", "info", "warn", "error", NULL};

struct session {
    int closed;
    int busy;                 /* a call is in flight; the logger may not re-enter */
    int tls_warning_logged;
    int log_level;
    int logger_ref;           /* registry reference of the logger, LUA_NOREF when none */
    char *auth_url;           /* without a trailing slash */
    char *cloudworks_url;     /* without a trailing slash */
    char *ca_file;
    int retry_count;
    double backoff;
    double backoff_factor;
    lua_Integer page_size;
    transfer_settings settings;
    auth_state auth;
    transfer transfer;
    char *login_body;         /* certificate login body while the login runs */
};

/* What an exchange sends in its Authorization header. */
typedef enum credential { SEND_NO_CREDENTIAL, SEND_TOKEN, SEND_LOGIN } credential;

/* One exchange as the retry policy and the error messages see it. */
typedef struct call {
    const char *operation; /* named in messages: "list_connections", "login" */
    const char *method;
    const char *url;
    const char *path;      /* shown in messages, relative to its base URL */
    const char *body;      /* NULL: no body */
    size_t body_len;
    credential credential;
} call;

/* ---------------------------------------------------------------- clocks */

static double monotonic_now(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static double wall_now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

static void sleep_seconds(double seconds)
{
    struct timespec request, remaining;

    if (seconds <= 0)
        return;
    request.tv_sec = (time_t)seconds;
    request.tv_nsec = (long)((seconds - (double)request.tv_sec) * 1e9);
    while (nanosleep(&request, &remaining) != 0 && errno == EINTR)
        request = remaining;
}

/* Writes n the way a person would type it: "30", "0.5", "1e+20". */
static const char *format_number(char *buffer, size_t size, double n)
{
    if (n > -1e15 && n < 1e15 && n == (double)(long long)n)
        snprintf(buffer, size, "%lld", (long long)n);
    else
        snprintf(buffer, size, "%.14g", n);
    return buffer;
}

/* --------------------------------------------------------------- logging */

static int log_level_rank(const char *level)
{
    int i;

    for (i = 0; log_level_names[i] != NULL; i++) {
        if (strcmp(level, log_level_names[i]) == 0)
            return i;
    }
    return LOG_INFO;
}

void session_log(lua_State *L, session *s, const char *level, const char *fmt, ...)
{
    va_list ap;

    if (s == NULL || s->logger_ref == LUA_NOREF || log_level_rank(level) < s->log_level)
        return;
    if (!lua_checkstack(L, 4))
        return;

    lua_rawgeti(L, LUA_REGISTRYINDEX, s->logger_ref);
    lua_pushstring(L, level);
    va_start(ap, fmt);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK)
        lua_pop(L, 1);
}

/* --------------------------------------------------------------- options */

static const char *const option_names[] = {
    "user_email", "password", "certificate", "private_key", "private_key_password", "token",
    "auth_url", "cloudworks_url", "timeout", "connect_timeout", "retry_count", "backoff",
    "backoff_factor", "page_size", "verify_tls", "ca_file", "max_response_size", "logger",
    "log_level", NULL,
};

/* The options table after checking; strings point into that table. */
typedef struct parsed_options {
    const char *user_email, *password;
    const char *certificate, *private_key, *private_key_password;
    const char *token;
    const char *auth_url, *cloudworks_url, *ca_file;
    size_t auth_url_len, cloudworks_url_len; /* without trailing slashes */
    lua_Number timeout, connect_timeout, backoff, backoff_factor;
    lua_Integer retry_count, page_size, max_response_size;
    int verify_tls;
    int log_level;
    int has_logger;
} parsed_options;

/* Where problems found in the options table are collected. */
typedef struct option_reader {
    lua_State *L;
    int options;  /* stack index of the options table */
    int problems; /* stack index of the array of {loc, msg} */
} option_reader;

/* Appends {loc = "options.<name>", msg = ...} to the problems; name NULL
 * stands for the table as a whole. */
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

/* Raises a "validation" error for a single problem at loc. */
static int raise_validation(lua_State *L, const char *loc, const char *msg)
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
                        format_number(low, sizeof low, min), format_number(high, sizeof high, max),
                        unit, format_number(got, sizeof got, value));
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
                    format_number(got, sizeof got, lua_tonumber(L, -1)));
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

/* Writes into problem why value is not an http or https URL with a host
 * and nothing that could carry a secret or change the paths appended to it,
 * or leaves problem empty. Returns -1 when curl is out of memory, else 0.
 * Calls no Lua function, so curl's objects are always freed. The text
 * quotes only the scheme, so a URL with a password in it is never echoed. */
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
        int i, found = -1;

        for (i = 0; level != NULL && log_level_names[i] != NULL; i++) {
            if (strcmp(level, log_level_names[i]) == 0)
                found = i;
        }
        if (found < 0)
            add_problem(r, "log_level", "must be \"debug\", \"info\", \"warn\" or \"error\" (got %s)",
                        level != NULL ? level : lua_typename(L, type));
        else
            o->log_level = found;
    }
    lua_pop(L, 1);
}

/* Checks the options table at idx and fills o; raises a "validation" error
 * listing every problem. */
static void read_options(lua_State *L, int idx, parsed_options *o)
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

/* ------------------------------------------------------------- lifecycle */

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
 * key cannot be used, and a memory error when a copy fails; s owns whatever
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
        return raise_validation(L, "options", lua_pushfstring(L, "must be a table (got %s)",
                                                             luaL_typename(L, 1)));
    lua_settop(L, 1);

    s = lua_newuserdatauv(L, sizeof *s, 0);
    memset(s, 0, sizeof *s);
    s->logger_ref = LUA_NOREF;
    luaL_setmetatable(L, ANAPLAN_SESSION_MT);

    read_options(L, 1, &o);
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

/* --------------------------------------------------------- one exchange */

static struct curl_slist *append_header(struct curl_slist *headers, const char *line, int *failed)
{
    struct curl_slist *list;

    if (*failed)
        return headers;
    list = curl_slist_append(headers, line);
    if (list == NULL) {
        *failed = 1;
        return headers;
    }
    return list;
}

/* Sends c once, letting libcurl send it at most max_sends times; the
 * outcome is in s->transfer.result. Never calls Lua. */
static void exchange(session *s, const call *c, int max_sends)
{
    struct curl_slist *headers = NULL;
    int failed = 0;

    headers = append_header(headers, "Accept: application/json", &failed);
    /* Expect: 100-continue costs a round trip and the API does not need it. */
    headers = append_header(headers, "Expect:", &failed);
    /* An empty Content-Type stops curl from labelling a bodiless POST as a form. */
    headers = append_header(headers, c->body != NULL ? "Content-Type: application/json"
                                                     : "Content-Type:", &failed);
    if (!failed && c->credential != SEND_NO_CREDENTIAL) {
        struct curl_slist *list = c->credential == SEND_TOKEN
                                      ? auth_append_token_header(headers, &s->auth)
                                      : auth_append_login_header(headers, &s->auth);
        if (list == NULL)
            failed = 1;
        else
            headers = list;
    }
    transfer_set_headers(&s->transfer, headers);

    if (failed) {
        transfer_set_headers(&s->transfer, NULL);
        memset(&s->transfer.result, 0, sizeof s->transfer.result);
        s->transfer.result.retry_after_ms = -1;
        s->transfer.result.code = CURLE_OUT_OF_MEMORY;
        snprintf(s->transfer.result.error, sizeof s->transfer.result.error,
                 "out of memory while writing the request headers");
        return;
    }
    transfer_run(&s->transfer, &s->settings, c->method, c->url, c->body, c->body_len, max_sends);
}

static int is_idempotent(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "PUT") == 0
           || strcmp(method, "DELETE") == 0 || strcmp(method, "PATCH") == 0;
}

/* Returns 1 for a failure that a later attempt may not meet: no
 * connection, a connection or TLS handshake that broke, or a timeout. */
static int is_transient_failure(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

/* Decides whether the outcome in r may be retried and, if so, writes why
 * into reason ("503", "a timeout"). A 429 is retried for every method,
 * because the server rejected the request unread. A 502, 503 or 504, and a
 * transient failure after the request went out, are retried only for the
 * idempotent methods. A POST is retried only when it provably never reached
 * the server: a transient failure before libcurl sent it (a failed name
 * lookup, connect or TLS handshake, or a connect timeout). */
static int retry_reason(const call *c, const transfer_result *r, char *reason, size_t n)
{
    int idempotent = is_idempotent(c->method);

    if (r->code == CURLE_OK) {
        if (r->status == 429 || (idempotent && (r->status == 502 || r->status == 503
                                                || r->status == 504))) {
            snprintf(reason, n, "%ld", r->status);
            return 1;
        }
        return 0;
    }
    if (r->too_large || r->out_of_memory || !is_transient_failure(r->code))
        return 0;

    if (r->code == CURLE_OPERATION_TIMEDOUT)
        snprintf(reason, n, "%s", r->sends == 0 ? "a connect timeout" : "a timeout");
    else
        snprintf(reason, n, "a connection failure (%s)",
                 r->error[0] != '\0' ? r->error : curl_easy_strerror(r->code));
    return r->sends == 0 || idempotent;
}

/* Returns the wait in seconds before retry number retries_done + 1. */
static double retry_delay(const session *s, const transfer_result *r, int retries_done)
{
    double delay;
    int i;

    if (r->code == CURLE_OK && r->status == 429 && r->retry_after_ms >= 0) {
        delay = (double)r->retry_after_ms / 1000.0;
    } else {
        delay = s->backoff;
        for (i = 0; i < retries_done && delay < MAX_RETRY_WAIT_SECONDS; i++)
            delay *= s->backoff_factor;
    }
    return delay < MAX_RETRY_WAIT_SECONDS ? delay : MAX_RETRY_WAIT_SECONDS;
}

static void log_exchange(lua_State *L, session *s, const call *c)
{
    const transfer_result *r = &s->transfer.result;

    if (r->code == CURLE_OK)
        session_log(L, s, "debug", "%s %s returned %d in %d ms", c->method, c->path,
                    (int)r->status, (int)r->elapsed_ms);
    else
        session_log(L, s, "debug", "%s %s failed after %d ms: %s", c->method, c->path,
                    (int)r->elapsed_ms, r->error[0] != '\0' ? r->error : curl_easy_strerror(r->code));
}

/* Logs at warn each send that libcurl made by itself in the last exchange:
 * it sends a request again on a new connection when a reused one closed
 * before any response byte. sent_before is the count of sends before that
 * exchange and allowed the most sends of the call. */
static void log_resends(lua_State *L, session *s, const call *c, int sent_before, int allowed)
{
    int send;

    for (send = 2; send <= s->transfer.result.sends; send++)
        session_log(L, s, "warn", "retried %s %s at once on a new connection because the reused "
                                  "one closed without a response (attempt %d of %d)",
                    c->method, c->path, sent_before + send, allowed);
}

/* Sends c under the retry policy. Returns 0 when an HTTP response arrived
 * (any status; see s->transfer.result) and -1 when the last attempt ended
 * without one. Each attempt and each send counts against retry_count + 1,
 * libcurl's own re-sends included, and every retry is logged at warn. A
 * POST is sent once per attempt, on a connection of its own. */
static int run_call(lua_State *L, session *s, const call *c)
{
    const transfer_result *r = &s->transfer.result;
    int allowed = s->retry_count + 1;
    int once = strcmp(c->method, "POST") == 0;
    int used = 0, retries = 0;

    if (!s->settings.verify_tls && !s->tls_warning_logged) {
        s->tls_warning_logged = 1;
        session_log(L, s, "warn", "TLS certificate verification is off (verify_tls = false): "
                                  "the identity of the server is not checked");
    }

    for (;;) {
        char reason[CURL_ERROR_SIZE + 64];
        char seconds[32];
        double delay;

        exchange(s, c, once ? 1 : allowed - used);
        log_exchange(L, s, c);
        log_resends(L, s, c, used, allowed);
        used += r->sends > 1 ? r->sends : 1;
        if (used >= allowed || !retry_reason(c, r, reason, sizeof reason))
            return r->code == CURLE_OK ? 0 : -1;

        delay = retry_delay(s, r, retries++);
        session_log(L, s, "warn", "retrying %s %s after %s (attempt %d of %d) in %s s",
                    c->method, c->path, reason, used + 1, allowed,
                    format_number(seconds, sizeof seconds, delay));
        sleep_seconds(delay);
    }
}

/* ---------------------------------------------------------------- errors */

static void set_call_fields(lua_State *L, const call *c)
{
    errors_set_string(L, "operation", c->operation);
    errors_set_string(L, "method", c->method);
    errors_set_string(L, "path", c->path);
}

/* Raises "timeout" or "network" for an exchange that ended without an
 * HTTP response. */
static int raise_transfer_error(lua_State *L, session *s, const call *c)
{
    const transfer_result *r = &s->transfer.result;
    char seconds[32];

    if (r->too_large) {
        errors_push(L, "network", "%s failed: response to %s %s exceeded max_response_size (%I bytes)",
                    c->operation, c->method, c->path, (lua_Integer)s->settings.max_response_size);
    } else if (r->code == CURLE_OPERATION_TIMEDOUT && r->sends == 0) {
        long limit = s->settings.connect_timeout_ms < s->settings.timeout_ms
                         ? s->settings.connect_timeout_ms : s->settings.timeout_ms;

        errors_push(L, "timeout", "%s (%s %s) timed out after %s s while connecting",
                    c->operation, c->method, c->path,
                    format_number(seconds, sizeof seconds, (double)limit / 1000.0));
    } else if (r->code == CURLE_OPERATION_TIMEDOUT) {
        errors_push(L, "timeout", "%s (%s %s) timed out after %s s", c->operation, c->method,
                    c->path, format_number(seconds, sizeof seconds,
                                           (double)s->settings.timeout_ms / 1000.0));
    } else if (r->out_of_memory) {
        errors_push(L, "network", "%s (%s %s) failed: out of memory while reading the response",
                    c->operation, c->method, c->path);
    } else {
        errors_push(L, "network", "%s (%s %s) failed: %s", c->operation, c->method, c->path,
                    r->error[0] != '\0' ? r->error : curl_easy_strerror(r->code));
    }
    set_call_fields(L, c);
    errors_set_integer(L, "curl_code", (lua_Integer)r->code);
    transfer_reset_body(&s->transfer, 1);
    return lua_error(L);
}

/* Masks the session's secrets in the response body, which is about to go
 * into an error object. */
static void redact_body(session *s)
{
    if (s->transfer.body != NULL)
        auth_redact(&s->auth, s->transfer.body, &s->transfer.body_len);
}

/* Pushes an error of the given kind for the HTTP response in s->transfer:
 * "<lead>: HTTP <status> <message>", where the message comes from the
 * envelope (status.message, or the auth API's statusMessage) or else from
 * the status line. Leaves exactly the error table on the stack. */
static void push_response_error(lua_State *L, session *s, const call *c, const char *kind,
                              const char *lead)
{
    const transfer_result *r = &s->transfer.result;
    const char *body;
    size_t len;
    int base = lua_gettop(L);
    int has_body, is_json;
    const char *api_message = NULL;
    lua_Integer code = 0;
    int has_code = 0;
    int excerpt = 0;

    redact_body(s);
    body = s->transfer.body != NULL ? s->transfer.body : "";
    len = s->transfer.body_len;
    has_body = len > 0 && !transfer_is_blank(body, len);
    is_json = has_body && transfer_decode_json(L, body, len);

    if (is_json && lua_istable(L, -1)) {
        int envelope = lua_gettop(L);

        if (lua_getfield(L, envelope, "status") == LUA_TTABLE) {
            if (lua_getfield(L, -1, "code") == LUA_TNUMBER && lua_isinteger(L, -1)) {
                code = lua_tointeger(L, -1);
                has_code = 1;
            }
            if (lua_getfield(L, -2, "message") == LUA_TSTRING)
                api_message = lua_tostring(L, -1);
        } else if (lua_getfield(L, envelope, "statusMessage") == LUA_TSTRING) {
            api_message = lua_tostring(L, -1);
        }
    }
    if (has_body && !is_json) {
        transfer_push_excerpt(L, body, len);
        excerpt = lua_gettop(L);
    }

    if (excerpt)
        errors_push(L, kind, "%s: HTTP %d%s%s (the response body is not JSON: %s)", lead,
                    (int)r->status, r->reason[0] ? " " : "", r->reason, lua_tostring(L, excerpt));
    else if (api_message != NULL)
        errors_push(L, kind, "%s: HTTP %d %s", lead, (int)r->status, api_message);
    else
        errors_push(L, kind, "%s: HTTP %d%s%s", lead, (int)r->status, r->reason[0] ? " " : "",
                    r->reason);

    errors_set_integer(L, "status", (lua_Integer)r->status);
    if (has_code)
        errors_set_integer(L, "code", code);
    if (api_message != NULL)
        errors_set_string(L, "api_message", api_message);
    if (excerpt) {
        lua_pushvalue(L, excerpt);
        lua_setfield(L, -2, "body_excerpt");
    }
    set_call_fields(L, c);

    if (lua_gettop(L) > base + 1) {
        lua_replace(L, base + 1);
        lua_settop(L, base + 1);
    }
    transfer_reset_body(&s->transfer, 1);
}

static int raise_response_error(lua_State *L, session *s, const call *c, const char *kind,
                              const char *lead)
{
    push_response_error(L, s, c, kind, lead);
    return lua_error(L);
}

/* Pushes "<operation> (<method> <path>) failed". */
static const char *push_lead(lua_State *L, const call *c)
{
    return lua_pushfstring(L, "%s (%s %s) failed", c->operation, c->method, c->path);
}

/* ----------------------------------------------------------------- login */

/* Returns an expiresAt value (epoch ms) as an integer, or 0 (unknown) when
 * it is not positive or lies past 2^53, the largest that JSON carries
 * exactly. Converting a double outside the range of long long would be
 * undefined behaviour. */
static long long read_expires_at(lua_Number ms)
{
    if (!(ms > 0 && ms <= 9007199254740992.0))
        return 0;
    return (long long)ms;
}

/* Reads tokenInfo from the JSON response in s->transfer and stores the token
 * (a refresh response without tokenValue keeps the current token). Returns 0,
 * or -1 when the response contains no usable token. Overwrites the response. */
static int store_token_from_response(lua_State *L, session *s)
{
    int top = lua_gettop(L);
    const char *value = NULL;
    size_t value_len = 0;
    long long expires_at_ms = 0;
    int status = -1;

    if (s->transfer.body_len > 0
        && transfer_decode_json(L, s->transfer.body, s->transfer.body_len)
        && lua_istable(L, -1)
        && lua_getfield(L, -1, "tokenInfo") == LUA_TTABLE) {
        if (lua_getfield(L, -1, "tokenValue") == LUA_TSTRING)
            value = lua_tolstring(L, -1, &value_len);
        if (lua_getfield(L, -2, "expiresAt") == LUA_TNUMBER)
            expires_at_ms = read_expires_at(lua_tonumber(L, -1));
    }

    if (value == NULL && s->auth.token != NULL && s->auth.token_from_login) {
        value = s->auth.token;
        value_len = strlen(value);
    }
    if (value != NULL) {
        int rc = auth_store_token(&s->auth, value, value_len, expires_at_ms, wall_now_ms(),
                                  monotonic_now());
        if (rc == -1) {
            transfer_reset_body(&s->transfer, 1);
            raise_out_of_memory(L, "the token");
        }
        status = rc == 0 ? 0 : -1;
    }

    lua_settop(L, top);
    transfer_reset_body(&s->transfer, 1);
    return status;
}

/* Returns the seconds the token has left, or -1 when its expiry is unknown. */
static lua_Integer token_seconds_left(const session *s)
{
    if (s->auth.expires_at == 0)
        return -1;
    return (lua_Integer)(s->auth.expires_at - monotonic_now());
}

/* Pushes who logs in, for messages: "user_email dev@example.com". */
static const char *push_login_subject(lua_State *L, const session *s)
{
    if (s->auth.kind == AUTH_BASIC)
        return lua_pushfstring(L, "user_email %s", s->auth.user_email);
    return lua_pushfstring(L, "certificate %s", s->auth.certificate_subject);
}

/* Logs in with the basic or certificate credentials and stores the token.
 * Raises "auth" when the credentials are rejected, "http", "timeout" or
 * "network" when the login exchange fails otherwise. */
static void login(lua_State *L, session *s)
{
    int top = lua_gettop(L);
    const char *subject = push_login_subject(L, s);
    char err[256];
    call c;
    long status;

    memset(&c, 0, sizeof c);
    c.operation = "login";
    c.method = "POST";
    c.path = "/token/authenticate";
    c.credential = SEND_LOGIN;
    c.url = lua_pushfstring(L, "%s/token/authenticate", s->auth_url);

    if (s->auth.kind == AUTH_CERTIFICATE) {
        free(s->login_body);
        s->login_body = NULL;
        if (auth_certificate_body(&s->auth, &s->login_body, &c.body_len, err, sizeof err) != 0)
            errors_raise(L, "auth", "login failed for %s: %s", subject, err);
        c.body = s->login_body;
    }

    session_log(L, s, "debug", "logging in with %s", subject);
    if (run_call(L, s, &c) != 0)
        raise_transfer_error(L, s, &c);
    free(s->login_body);
    s->login_body = NULL;

    status = s->transfer.result.status;
    if (status == 401 || status == 403)
        raise_response_error(L, s, &c, "auth", lua_pushfstring(L, "login failed for %s", subject));
    if (status != 201 && status != 200)
        raise_response_error(L, s, &c, "http", push_lead(L, &c));
    if (store_token_from_response(L, s) != 0)
        errors_raise(L, "auth", "login failed for %s: the response contains no usable tokenInfo.tokenValue",
                     subject);

    session_log(L, s, "info", "logged in with %s; the token expires in %I s", subject,
                token_seconds_left(s));
    lua_settop(L, top);
}

/* Extends the token with POST /token/refresh. Returns 1 on success, 0 on
 * any failure (logged at info), never raises for a failed exchange. */
static int refresh(lua_State *L, session *s)
{
    int top = lua_gettop(L);
    const transfer_result *r = &s->transfer.result;
    call c;

    memset(&c, 0, sizeof c);
    c.operation = "refresh";
    c.method = "POST";
    c.path = "/token/refresh";
    c.credential = SEND_TOKEN;
    c.url = lua_pushfstring(L, "%s/token/refresh", s->auth_url);

    if (run_call(L, s, &c) != 0) {
        session_log(L, s, "info", "token refresh failed: %s",
                    r->error[0] != '\0' ? r->error : curl_easy_strerror(r->code));
        transfer_reset_body(&s->transfer, 1);
        lua_settop(L, top);
        return 0;
    }
    if (r->status != 200 && r->status != 201) {
        session_log(L, s, "info", "token refresh failed: HTTP %d", (int)r->status);
        transfer_reset_body(&s->transfer, 1);
        lua_settop(L, top);
        return 0;
    }
    if (store_token_from_response(L, s) != 0) {
        session_log(L, s, "info", "token refresh failed: the response contains no usable tokenInfo");
        lua_settop(L, top);
        return 0;
    }

    session_log(L, s, "debug", "refreshed the token; it expires in %I s", token_seconds_left(s));
    lua_settop(L, top);
    return 1;
}

/* Makes sure a usable token is held before a call: logs in on first use,
 * refreshes ahead of expiry and logs in again when that fails. */
static void ensure_token(lua_State *L, session *s)
{
    switch (auth_check_token(&s->auth, monotonic_now())) {
    case AUTH_TOKEN_FRESH:
        return;
    case AUTH_TOKEN_MISSING:
        login(L, s);
        return;
    case AUTH_TOKEN_REFRESH_DUE:
        if (refresh(L, s))
            return;
        session_log(L, s, "info", "logging in again because the token could not be refreshed");
        break;
    case AUTH_TOKEN_EXPIRED:
        session_log(L, s, "info", "logging in again because the token expired");
        break;
    }
    auth_forget_token(&s->auth);
    login(L, s);
}

/* Ends a token obtained by login with POST /token/logout, once and without
 * retries; a failure is only logged, because the token expires anyway. */
static void logout(lua_State *L, session *s)
{
    const transfer_result *r = &s->transfer.result;
    call c;

    memset(&c, 0, sizeof c);
    c.operation = "logout";
    c.method = "POST";
    c.path = "/token/logout";
    c.credential = SEND_TOKEN;
    c.url = lua_pushfstring(L, "%s/token/logout", s->auth_url);

    exchange(s, &c, 1);
    if (r->code != CURLE_OK)
        session_log(L, s, "debug", "logout failed: %s",
                    r->error[0] != '\0' ? r->error : curl_easy_strerror(r->code));
    else if (r->status >= 300)
        session_log(L, s, "debug", "logout failed: HTTP %d", (int)r->status);
    else
        session_log(L, s, "debug", "logged out");
    lua_pop(L, 1);
}

/* ------------------------------------------------------------- perform */

/* Pushes the value of a 2xx response: the raw body, an empty table for an
 * empty body, or the decoded JSON. Raises "http" when the body is not JSON. */
static void push_success(lua_State *L, session *s, const call *c, int raw)
{
    transfer *t = &s->transfer;
    const char *body = t->body != NULL ? t->body : "";

    if (raw) {
        lua_pushlstring(L, body, t->body_len);
    } else if (t->body_len == 0 || transfer_is_blank(body, t->body_len)) {
        lua_newtable(L);
    } else if (!transfer_decode_json(L, body, t->body_len)) {
        redact_body(s);
        push_lead(L, c);
        transfer_push_excerpt(L, body, t->body_len);
        errors_push(L, "http", "%s: HTTP %d returned a body that is not JSON: %s",
                    lua_tostring(L, -2), (int)t->result.status, lua_tostring(L, -1));
        errors_set_integer(L, "status", (lua_Integer)t->result.status);
        lua_pushvalue(L, -2);
        lua_setfield(L, -2, "body_excerpt");
        set_call_fields(L, c);
        transfer_reset_body(t, 1);
        lua_error(L);
    }
    transfer_reset_body(t, 0);
}

/* The body of session_perform, run under lua_pcall so that the busy flag
 * is cleared whatever happens. Arguments: the session, the request as a
 * light userdata. */
static int perform_protected(lua_State *L)
{
    session *s = lua_touserdata(L, 1);
    const request *req = lua_touserdata(L, 2);
    int relogged = 0;
    call c;

    memset(&c, 0, sizeof c);
    c.operation = req->operation != NULL ? req->operation : "request";
    c.method = req->method;
    c.path = req->path;
    c.body = req->body;
    c.body_len = req->body != NULL ? req->body_len : 0;
    c.credential = SEND_TOKEN;
    c.url = lua_pushfstring(L, "%s%s", s->cloudworks_url, req->path);

    ensure_token(L, s);
    for (;;) {
        long status;

        if (run_call(L, s, &c) != 0)
            return raise_transfer_error(L, s, &c);

        status = s->transfer.result.status;
        if (status >= 200 && status < 300) {
            push_success(L, s, &c, req->raw);
            return 1;
        }
        if (status != 401)
            return raise_response_error(L, s, &c, "http", push_lead(L, &c));

        if (s->auth.kind == AUTH_TOKEN)
            return raise_response_error(L, s, &c, "auth",
                                      lua_pushfstring(L, "%s (%s %s) failed: the token given to "
                                                         "the client was rejected (401); it may "
                                                         "have expired",
                                                      c.operation, c.method, c.path));
        if (relogged)
            return raise_response_error(L, s, &c, "auth",
                                      lua_pushfstring(L, "%s (%s %s) failed: the token was "
                                                         "rejected (401) right after a new login",
                                                      c.operation, c.method, c.path));

        session_log(L, s, "info", "%s %s returned 401; logging in again and replaying it",
                    c.method, c.path);
        transfer_reset_body(&s->transfer, 1);
        auth_forget_token(&s->auth);
        login(L, s);
        relogged = 1;
    }
}

void session_perform(lua_State *L, int session_idx, const request *req)
{
    session *s;
    int status;

    session_idx = lua_absindex(L, session_idx);
    s = session_check(L, session_idx);
    if (s->busy)
        errors_raise(L, "usage", "%s: the client is already running a call (a logger must not "
                                 "call the client)",
                     req->operation != NULL ? req->operation : "request");

    lua_pushcfunction(L, perform_protected);
    lua_pushvalue(L, session_idx);
    lua_pushlightuserdata(L, (void *)req);
    s->busy = 1;
    status = lua_pcall(L, 2, 1, 0);
    s->busy = 0;
    if (status != LUA_OK)
        lua_error(L);
}

/* ------------------------------------------------------------ methods */

/* logout under lua_pcall; argument 1 is the session as a light userdata. */
static int logout_protected(lua_State *L)
{
    logout(L, lua_touserdata(L, 1));
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
 * the network. Does nothing while a call is in flight: the collector cannot
 * run it then (the session is on the stack), so only a logger calling the
 * metamethod by hand can, and freeing would pull the session from under the
 * call. */
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

/* request(method, path [, body_json [, raw]]): one call under
 * cloudworks_url with the same login, retry and error rules as the
 * operations; pushes the decoded response (or the body when raw is true). */
static int session_request(lua_State *L)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};
    request req;
    const char *method, *path;
    size_t path_len;
    int i, known = 0;

    session_check(L, 1);
    method = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
    for (i = 0; method != NULL && methods[i] != NULL; i++)
        known = known || strcmp(method, methods[i]) == 0;
    if (!known)
        return raise_validation(L, "request.method", "must be \"GET\", \"POST\", \"PUT\", \"PATCH\" or \"DELETE\"");

    path = lua_type(L, 3) == LUA_TSTRING ? lua_tolstring(L, 3, &path_len) : NULL;
    if (path == NULL || !path_is_safe(path, path_len))
        return raise_validation(L, "request.path",
                                "must be a string starting with '/' without spaces, control "
                                "characters or '#'");
    if (!lua_isnoneornil(L, 4) && lua_type(L, 4) != LUA_TSTRING)
        return raise_validation(L, "request.body", "must be a JSON string or nil");

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
