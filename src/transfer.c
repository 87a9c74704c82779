/* One HTTP exchange through a reused curl easy handle, and the decoding of
 * its response. See transfer.h for the contract. */
#define _POSIX_C_SOURCE 200809L

#include "transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <lauxlib.h>
#include <openssl/crypto.h>

/* Body buffers above this size are freed after use instead of kept. */
#define KEPT_BODY_CAPACITY (1024 * 1024)

/* 2^53: lua-cjson decodes every number as a double, and above this a double
 * no longer represents every integer exactly. */
#define MAX_EXACT_INTEGER 9007199254740992.0

/* Registry key of the private lua-cjson instance. */
static const char cjson_key = 'j';

/* ------------------------------------------------------------------ curl */

int transfer_open(transfer *t)
{
    t->multi = curl_multi_init();
    t->easy = curl_easy_init();
    if (t->multi == NULL || t->easy == NULL)
        return -1;
    return 0;
}

/* Overwrites and frees a header list: it may carry a token or a password. */
static void free_headers(struct curl_slist *headers)
{
    struct curl_slist *node;

    for (node = headers; node != NULL; node = node->next) {
        if (node->data != NULL)
            OPENSSL_cleanse(node->data, strlen(node->data));
    }
    curl_slist_free_all(headers);
}

void transfer_set_headers(transfer *t, struct curl_slist *headers)
{
    free_headers(t->headers);
    t->headers = headers;
}

void transfer_reset_body(transfer *t, int sensitive)
{
    if (t->body != NULL && sensitive)
        OPENSSL_cleanse(t->body, t->body_cap);
    if (t->body_cap > KEPT_BODY_CAPACITY) {
        free(t->body);
        t->body = NULL;
        t->body_cap = 0;
    }
    t->body_len = 0;
    if (t->body != NULL)
        t->body[0] = '\0';
}

void transfer_close(transfer *t)
{
    free_headers(t->headers);
    t->headers = NULL;

    if (t->body != NULL) {
        OPENSSL_cleanse(t->body, t->body_cap);
        free(t->body);
    }
    t->body = NULL;
    t->body_len = 0;
    t->body_cap = 0;

    if (t->easy != NULL)
        curl_easy_cleanup(t->easy);
    t->easy = NULL;
    if (t->multi != NULL)
        curl_multi_cleanup(t->multi);
    t->multi = NULL;
}

/* CURLOPT_WRITEFUNCTION: appends to t->body, keeping one spare byte for a
 * terminating NUL. Returning less than n makes curl abort the exchange. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    transfer *t = userdata;
    size_t n = size * nmemb;
    size_t needed;

    if (n > t->body_limit || t->body_len > t->body_limit - n) {
        t->result.too_large = 1;
        return 0;
    }

    needed = t->body_len + n + 1;
    if (needed > t->body_cap) {
        size_t cap = t->body_cap > 0 ? t->body_cap : 16384;
        char *grown;

        while (cap < needed)
            cap = cap > ((size_t)-1) / 2 ? needed : cap * 2;
        grown = realloc(t->body, cap);
        if (grown == NULL) {
            t->result.out_of_memory = 1;
            return 0;
        }
        t->body = grown;
        t->body_cap = cap;
    }

    memcpy(t->body + t->body_len, data, n);
    t->body_len += n;
    t->body[t->body_len] = '\0';
    return n;
}

/* Copies the reason phrase of a status line "HTTP/1.1 404 Not Found\r\n". */
static void read_status_line(transfer_result *result, const char *line, size_t n)
{
    size_t i = 0, out = 0;
    int spaces = 0;

    while (i < n && spaces < 2) {
        if (line[i] == ' ')
            spaces++;
        i++;
    }
    while (i < n && line[i] != '\r' && line[i] != '\n' && out + 1 < sizeof result->reason) {
        unsigned char c = (unsigned char)line[i++];
        if (c >= 0x20 && c != 0x7f)
            result->reason[out++] = (char)c;
    }
    result->reason[out] = '\0';
}

/* Parses a Retry-After value: delta seconds or an HTTP date. Returns the
 * wait in ms (0 for a date in the past) or -1 when the value is neither. */
static long parse_retry_after(const char *value, size_t n)
{
    char text[64];
    size_t i;
    long seconds = 0;
    int all_digits = 1;

    while (n > 0 && (value[n - 1] == '\r' || value[n - 1] == '\n' || value[n - 1] == ' '))
        n--;
    while (n > 0 && (*value == ' ' || *value == '\t')) {
        value++;
        n--;
    }
    if (n == 0 || n >= sizeof text)
        return -1;
    memcpy(text, value, n);
    text[n] = '\0';

    for (i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9') {
            all_digits = 0;
            break;
        }
    }
    if (all_digits) {
        for (i = 0; i < n && seconds < 86400; i++)
            seconds = seconds * 10 + (text[i] - '0');
        return seconds * 1000;
    }

    {
        time_t when = curl_getdate(text, NULL);
        time_t now = time(NULL);

        if (when == -1)
            return -1;
        if (when <= now)
            return 0;
        if (when - now > 86400)
            return 86400L * 1000;
        return (long)(when - now) * 1000;
    }
}

/* CURLOPT_HEADERFUNCTION: keeps the reason phrase and Retry-After of the
 * final response. A new status line (after a 100 Continue, say) starts over. */
static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
    transfer *t = userdata;
    size_t n = size * nmemb;
    static const char retry_after[] = "retry-after:";

    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        t->result.retry_after_ms = -1;
        read_status_line(&t->result, line, n);
    } else if (n > sizeof retry_after - 1
               && strncasecmp(line, retry_after, sizeof retry_after - 1) == 0) {
        t->result.retry_after_ms = parse_retry_after(line + sizeof retry_after - 1,
                                                     n - (sizeof retry_after - 1));
    }
    return n;
}

/* CURLOPT_PREREQFUNCTION: curl calls it once a connection is ready and just
 * before the request goes out, and again before each send of its own. From
 * the first call on, the server may have received the request, which decides
 * whether a POST may be retried. Aborts a send past t->max_sends, so that
 * retry_count bounds libcurl's re-sends too. */
static int on_request_ready(void *userdata, char *conn_primary_ip, char *conn_local_ip,
                            int conn_primary_port, int conn_local_port)
{
    transfer *t = userdata;

    (void)conn_primary_ip;
    (void)conn_local_ip;
    (void)conn_primary_port;
    (void)conn_local_port;
    if (t->result.sends >= t->max_sends) {
        t->result.resend_stopped = 1;
        return CURL_PREREQFUNC_ABORT;
    }
    t->result.sends++;
    return CURL_PREREQFUNC_OK;
}

/* Sets every option of one exchange on the freshly reset easy handle.
 * Returns the first failing option's code. */
static CURLcode configure(transfer *t, const transfer_settings *settings, const char *method,
                          const char *url, const char *body, size_t body_len)
{
    CURL *e = t->easy;
    CURLcode rc = CURLE_OK;

#define SET(option, value) \
    do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, option, value); } while (0)

    SET(CURLOPT_URL, url);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_TIMEOUT_MS, settings->timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, settings->connect_timeout_ms);
    SET(CURLOPT_SSL_VERIFYPEER, settings->verify_tls ? 1L : 0L);
    SET(CURLOPT_SSL_VERIFYHOST, settings->verify_tls ? 2L : 0L);
    if (settings->ca_file != NULL)
        SET(CURLOPT_CAINFO, settings->ca_file);
    SET(CURLOPT_USERAGENT, "anaplan-sdk-lua/" ANAPLAN_SDK_VERSION);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_HTTPHEADER, t->headers);
    SET(CURLOPT_ERRORBUFFER, t->result.error);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, t);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, t);
    SET(CURLOPT_PREREQFUNCTION, on_request_ready);
    SET(CURLOPT_PREREQDATA, t);
    /* Lets curl stop at once when Content-Length already exceeds the limit. */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)settings->max_response_size);

    if (strcmp(method, "GET") == 0) {
        SET(CURLOPT_HTTPGET, 1L);
    } else if (body != NULL || strcmp(method, "DELETE") != 0) {
        /* A POST, PUT or PATCH without a body still sends Content-Length: 0. */
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body != NULL ? body_len : 0));
        SET(CURLOPT_POSTFIELDS, body != NULL ? body : "");
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        SET(CURLOPT_CUSTOMREQUEST, method);

    /* When a reused connection dies before any response byte, curl sends the
     * request again on a new connection. The server may have acted on the
     * first copy, so a POST, which may create something, always gets a
     * connection of its own and is never re-sent behind the caller's back.
     * GET, PUT, PATCH and DELETE keep that behaviour, within max_sends. */
    if (strcmp(method, "POST") == 0)
        SET(CURLOPT_FRESH_CONNECT, 1L);

#undef SET
    return rc;
}

static long elapsed_ms_since(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Drives the multi handle until the easy handle's exchange ends and returns
 * its result code. */
static CURLcode drive(transfer *t)
{
    CURLMcode mc;
    CURLcode done = CURLE_OK;
    int running = 1;
    int finished = 0;

    mc = curl_multi_add_handle(t->multi, t->easy);
    if (mc != CURLM_OK) {
        snprintf(t->result.error, sizeof t->result.error, "%s", curl_multi_strerror(mc));
        return CURLE_FAILED_INIT;
    }

    while (!finished) {
        CURLMsg *msg;
        int queued;

        mc = curl_multi_perform(t->multi, &running);
        if (mc != CURLM_OK)
            break;
        while ((msg = curl_multi_info_read(t->multi, &queued)) != NULL) {
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == t->easy) {
                done = msg->data.result;
                finished = 1;
            }
        }
        if (finished || running == 0)
            break;
        mc = curl_multi_poll(t->multi, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK)
            break;
    }

    curl_multi_remove_handle(t->multi, t->easy);
    if (mc != CURLM_OK) {
        snprintf(t->result.error, sizeof t->result.error, "%s", curl_multi_strerror(mc));
        return CURLE_FAILED_INIT;
    }
    if (!finished) {
        snprintf(t->result.error, sizeof t->result.error, "the transfer ended without a result");
        return CURLE_FAILED_INIT;
    }
    return done;
}

void transfer_run(transfer *t, const transfer_settings *settings, const char *method,
                  const char *url, const char *body, size_t body_len, int max_sends)
{
    struct timespec start;
    CURLcode rc;

    memset(&t->result, 0, sizeof t->result);
    t->result.retry_after_ms = -1;
    t->body_limit = settings->max_response_size;
    t->max_sends = max_sends > 0 ? max_sends : 1;
    transfer_reset_body(t, 0);
    clock_gettime(CLOCK_MONOTONIC, &start);

    curl_easy_reset(t->easy);
    rc = configure(t, settings, method, url, body, body_len);
    if (rc == CURLE_OK)
        rc = drive(t);

    /* Only a connection that closed before any response byte makes libcurl
     * send again, so report what the caller would have seen without it. */
    if (rc == CURLE_ABORTED_BY_CALLBACK && t->result.resend_stopped) {
        rc = CURLE_GOT_NOTHING;
        snprintf(t->result.error, sizeof t->result.error,
                 "the server closed the connection without a response");
    }
    t->result.code = rc;
    if (rc == CURLE_FILESIZE_EXCEEDED)
        t->result.too_large = 1;
    if (rc == CURLE_OK)
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->result.status);
    t->result.elapsed_ms = elapsed_ms_since(&start);

    /* The easy handle would otherwise keep pointers to the freed list. */
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, NULL);
    transfer_set_headers(t, NULL);
}

/* ------------------------------------------------------------- decoding */

int transfer_load_cjson(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &cjson_key) != LUA_TNIL) {
        lua_pop(L, 1);
        return 1;
    }
    lua_pop(L, 1);

    lua_getglobal(L, "require");
    lua_pushliteral(L, "cjson");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK)
        return 0;
    if (lua_getfield(L, -1, "new") != LUA_TFUNCTION) {
        lua_pop(L, 2);
        lua_pushliteral(L, "the loaded cjson module has no new() function");
        return 0;
    }
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
        lua_remove(L, -2);
        return 0;
    }
    lua_remove(L, -2);

    /* NaN, Infinity and hexadecimal numbers are not JSON; reject them. */
    if (lua_getfield(L, -1, "decode_invalid_numbers") == LUA_TFUNCTION) {
        lua_pushboolean(L, 0);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK)
            lua_pop(L, 1);
    } else {
        lua_pop(L, 1);
    }

    lua_rawsetp(L, LUA_REGISTRYINDEX, &cjson_key);
    return 1;
}

static int is_json_null(lua_State *L, int idx)
{
    return lua_islightuserdata(L, idx) && lua_touserdata(L, idx) == NULL;
}

/* Replaces the float on top of the stack with an integer when it is
 * integral and exactly representable. */
static void normalize_number(lua_State *L)
{
    lua_Number n;

    if (lua_isinteger(L, -1))
        return;
    n = lua_tonumber(L, -1);
    if (n >= -MAX_EXACT_INTEGER && n <= MAX_EXACT_INTEGER && (lua_Number)(lua_Integer)n == n) {
        lua_pop(L, 1);
        lua_pushinteger(L, (lua_Integer)n);
    }
}

/* Walks the decoded table at idx. String keys are object members, so a null
 * there is removed; integer keys are array positions and keep their null.
 * Assigning to an existing key during lua_next is allowed, and so is
 * clearing it. */
static void normalize_table(lua_State *L, int idx)
{
    luaL_checkstack(L, 6, "JSON response nested too deeply");
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        int type = lua_type(L, -1);

        if (type == LUA_TLIGHTUSERDATA && is_json_null(L, -1) && lua_type(L, -2) == LUA_TSTRING) {
            lua_pushvalue(L, -2);
            lua_pushnil(L);
            lua_rawset(L, idx);
        } else if (type == LUA_TNUMBER) {
            normalize_number(L);
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, idx);
            continue;
        } else if (type == LUA_TTABLE) {
            normalize_table(L, lua_gettop(L));
        }
        lua_pop(L, 1);
    }
}

int transfer_decode_json(lua_State *L, const char *s, size_t len)
{
    if (!transfer_load_cjson(L)) {
        lua_pop(L, 1);
        return 0;
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, &cjson_key);
    lua_getfield(L, -1, "decode");
    lua_remove(L, -2);
    lua_pushlstring(L, s, len);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        lua_pop(L, 1);
        return 0;
    }

    if (lua_type(L, -1) == LUA_TNUMBER)
        normalize_number(L);
    else if (lua_type(L, -1) == LUA_TTABLE)
        normalize_table(L, lua_gettop(L));
    return 1;
}

/* ------------------------------------------------------------- excerpts */

int transfer_is_blank(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    }
    return 1;
}

/* Returns how many bytes of s[0..len) remain once a UTF-8 sequence that the
 * cut at len left incomplete is dropped. */
static size_t trim_partial_utf8(const unsigned char *s, size_t len)
{
    size_t lead = len;
    size_t continuation = 0;
    size_t expected;

    while (lead > 0 && continuation < 3 && (s[lead - 1] & 0xC0) == 0x80) {
        lead--;
        continuation++;
    }
    if (lead == 0)
        return len;
    lead--;
    if (s[lead] < 0x80)
        return len;
    if ((s[lead] & 0xE0) == 0xC0)
        expected = 2;
    else if ((s[lead] & 0xF0) == 0xE0)
        expected = 3;
    else if ((s[lead] & 0xF8) == 0xF0)
        expected = 4;
    else
        return len;
    return continuation + 1 < expected ? lead : len;
}

void transfer_push_excerpt(lua_State *L, const char *s, size_t len)
{
    unsigned char out[TRANSFER_EXCERPT_MAX];
    size_t n = 0, i;
    int pending_space = 0;

    if (len > TRANSFER_EXCERPT_MAX)
        len = trim_partial_utf8((const unsigned char *)s, TRANSFER_EXCERPT_MAX);

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            pending_space = n > 0;
            continue;
        }
        if (c < 0x20 || c == 0x7f)
            continue;
        if (pending_space)
            out[n++] = ' ';
        pending_space = 0;
        out[n++] = c;
    }
    lua_pushlstring(L, (const char *)out, n);
}
