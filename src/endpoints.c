/* The CloudWorks operations as one table of rows, and one dispatcher.
 *
 * Adding an operation is adding a row: the dispatcher checks the path
 * parameters, validates and writes the body through the schema engine, sends
 * it through the session, and extracts the result from the response. */
#include "endpoints.h"

#include <string.h>

#include <lauxlib.h>

#include "errors.h"
#include "json.h"
#include "schema.h"
#include "session.h"

enum {
    /* GET the list page by page (limit/offset) and return every item. */
    OP_PAGED = 1 << 0,
    /* The response is text (an error dump), returned as a string. */
    OP_RAW = 1 << 1,
    /* An empty result ({} or []) is returned as nil. */
    OP_NIL_IF_EMPTY = 1 << 2,
    /* The body is {integrationId = <path id>, schedule = <input>}: the live
     * API rejects a schedule update without the id in the body (400). */
    OP_ID_IN_BODY = 1 << 3,
    /* No input, or an input with nothing in it, sends no body at all. */
    OP_OPTIONAL_BODY = 1 << 4,
};

typedef struct path_param {
    const char *kind; /* schema_check_id kind, or "schedule_status" */
    const char *name; /* how messages name it: "integration_id" */
} path_param;

typedef struct operation {
    const char *name;       /* the Lua method name */
    const char *method;
    const char *path;       /* "{1}" and "{2}" stand for the path parameters */
    path_param params[2];
    const char *body_model; /* NULL: the operation sends no body */
    const char *result;     /* dotted key of the value returned; NULL: nothing */
    /* Fallback key for the value when result is absent. Descriptions of the
     * API disagree on whether a created connection or notification id comes
     * wrapped (connections.connectionId) or at the top level (connectionId),
     * so the client accepts both. */
    const char *alt_result;
    unsigned flags;
} operation;

#define HEX32(what) {"hex32", what}
#define NONE {NULL, NULL}

static const operation operations[] = {
    /* connections */
    {"list_connections", "GET", "/integrations/connections", {NONE, NONE},
     NULL, "connections", NULL, OP_PAGED},
    {"create_connection", "POST", "/integrations/connections", {NONE, NONE},
     "ConnectionInput", "connections.connectionId", "connectionId", 0},
    {"update_connection", "PUT", "/integrations/connections/{1}", {HEX32("connection_id"), NONE},
     "ConnectionUpdate", NULL, NULL, 0},
    {"patch_connection", "PATCH", "/integrations/connections/{1}", {HEX32("connection_id"), NONE},
     "ConnectionPatch", NULL, NULL, 0},
    {"delete_connection", "DELETE", "/integrations/connections/{1}", {HEX32("connection_id"), NONE},
     NULL, NULL, NULL, 0},

    /* integrations */
    {"list_integrations", "GET", "/integrations", {NONE, NONE},
     NULL, "integrations", NULL, OP_PAGED},
    {"get_integration", "GET", "/integrations/{1}", {HEX32("integration_id"), NONE},
     NULL, "integration", NULL, 0},
    {"create_integration", "POST", "/integrations", {NONE, NONE},
     "IntegrationCreate", "integration.integrationId", NULL, 0},
    {"update_integration", "PUT", "/integrations/{1}", {HEX32("integration_id"), NONE},
     "IntegrationCreate", NULL, NULL, 0},
    {"delete_integration", "DELETE", "/integrations/{1}", {HEX32("integration_id"), NONE},
     NULL, NULL, NULL, 0},
    {"run_integration", "POST", "/integrations/{1}/run", {HEX32("integration_id"), NONE},
     NULL, "run.id", NULL, 0},
    {"cancel_integration", "POST", "/integrations/{1}/cancel", {HEX32("integration_id"), NONE},
     NULL, NULL, NULL, 0},

    /* schedules */
    {"create_schedule", "POST", "/integrations/{1}/schedule", {HEX32("integration_id"), NONE},
     "ScheduleRequest", NULL, NULL, OP_ID_IN_BODY},
    {"update_schedule", "PUT", "/integrations/{1}/schedule", {HEX32("integration_id"), NONE},
     "ScheduleRequest", NULL, NULL, OP_ID_IN_BODY},
    {"set_schedule_status", "POST", "/integrations/{1}/schedule/status/{2}",
     {HEX32("integration_id"), {"schedule_status", "status"}}, NULL, NULL, NULL, 0},
    {"delete_schedule", "DELETE", "/integrations/{1}/schedule", {HEX32("integration_id"), NONE},
     NULL, NULL, NULL, 0},

    /* runs */
    {"get_run_history", "GET", "/integrations/runs/{1}", {HEX32("integration_id"), NONE},
     NULL, "history_of_runs.runs", NULL, OP_PAGED},
    {"get_run_status", "GET", "/integrations/run/{1}", {HEX32("run_id"), NONE},
     NULL, "run", NULL, 0},
    {"get_run_error", "GET", "/integrations/runerror/{1}", {HEX32("run_id"), NONE},
     NULL, "runs", NULL, OP_NIL_IF_EMPTY},
    {"get_import_error_dump", "GET", "/integrations/run/{1}/dumps", {HEX32("run_id"), NONE},
     NULL, NULL, NULL, OP_RAW},
    {"get_process_error_dump", "GET", "/integrations/run/{1}/process/import/{2}/dumps",
     {HEX32("run_id"), {"numeric", "action_id"}}, NULL, NULL, NULL, OP_RAW},

    /* notifications */
    {"get_notification_config", "GET", "/integrations/notification/{1}",
     {HEX32("notification_id"), NONE}, NULL, "notifications", NULL, 0},
    {"create_notification_config", "POST", "/integrations/notification", {NONE, NONE},
     "NotificationInput", "notification.notificationId", "notificationId", 0},
    {"update_notification_config", "PUT", "/integrations/notification/{1}",
     {HEX32("notification_id"), NONE}, "NotificationInput", NULL, NULL, 0},
    {"delete_notification_config", "DELETE", "/integrations/notification/{1}",
     {HEX32("notification_id"), NONE}, NULL, NULL, NULL, 0},

    /* flows */
    {"list_flows", "GET", "/integrationflows", {NONE, NONE},
     NULL, "integrationFlows", NULL, OP_PAGED},
    {"get_flow", "GET", "/integrationflows/{1}", {HEX32("flow_id"), NONE},
     NULL, "integrationFlow", NULL, 0},
    {"create_flow", "POST", "/integrationflows", {NONE, NONE},
     "FlowInput", "integrationFlow.integrationFlowId", NULL, 0},
    {"update_flow", "PUT", "/integrationflows/{1}", {HEX32("flow_id"), NONE},
     "FlowInput", NULL, NULL, 0},
    {"delete_flow", "DELETE", "/integrationflows/{1}", {HEX32("flow_id"), NONE},
     NULL, NULL, NULL, 0},
    {"run_flow", "POST", "/integrationflows/{1}/run", {HEX32("flow_id"), NONE},
     "FlowRunInput", "run.id", NULL, OP_OPTIONAL_BODY},
};

#define OPERATION_COUNT (sizeof operations / sizeof operations[0])

/* A bound on pages, so that a server that never reports its last page
 * cannot keep the client looping forever. */
#define MAX_PAGES 100000

static const operation *find_operation(const char *name)
{
    for (size_t i = 0; i < OPERATION_COUNT; i++) {
        if (strcmp(operations[i].name, name) == 0)
            return &operations[i];
    }
    return NULL;
}

/* Checks the path parameter at idx and pushes its normalized text. Raises a
 * validation error naming the parameter. */
static void push_path_param(lua_State *L, int idx, const path_param *param)
{
    if (strcmp(param->kind, "schedule_status") == 0) {
        const char *status = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;

        if (status == NULL || (strcmp(status, "enabled") != 0 && strcmp(status, "disabled") != 0))
            errors_raise(L, "validation", "%s should be 'enabled' or 'disabled'", param->name);
        lua_pushstring(L, status);
        return;
    }
    schema_check_id(L, idx, param->kind, param->name);
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* Pushes s percent-encoded (RFC 3986 unreserved characters kept). */
static void push_escaped(lua_State *L, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    luaL_Buffer b;

    luaL_buffinit(L, &b);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (is_unreserved(c)) {
            luaL_addchar(&b, (char)c);
        } else {
            luaL_addchar(&b, '%');
            luaL_addchar(&b, hex[c >> 4]);
            luaL_addchar(&b, hex[c & 15]);
        }
    }
    luaL_pushresult(&b);
}

/* Pushes the sorted keys of the query table at idx, as an array. */
static void push_sorted_query_keys(lua_State *L, int idx)
{
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            errors_raise(L, "usage", "query keys must be strings");
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, (lua_Integer)lua_rawlen(L, -3) + 1);
    }
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_remove(L, -2);
    lua_pushvalue(L, -2);
    lua_call(L, 1, 0);
}

/* Appends to the array at parts_idx the pieces "key=value" of the query
 * table at query_idx, percent-encoded and in key order so URLs are stable.
 * Booleans are sent as 1 and 0, the live API's form. */
static void add_query_parts(lua_State *L, int query_idx, int parts_idx)
{
    int keys_idx;
    lua_Integer count;

    push_sorted_query_keys(L, query_idx);
    keys_idx = lua_gettop(L);
    count = (lua_Integer)lua_rawlen(L, keys_idx);
    for (lua_Integer i = 1; i <= count; i++) {
        size_t key_len, value_len;
        const char *key, *value;

        lua_rawgeti(L, keys_idx, i);
        lua_pushvalue(L, -1);
        lua_rawget(L, query_idx);
        if (lua_type(L, -1) == LUA_TBOOLEAN) {
            int on = lua_toboolean(L, -1);

            lua_pop(L, 1);
            lua_pushstring(L, on ? "1" : "0");
        } else if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER) {
            errors_raise(L, "usage", "query value of %s must be a string, number or boolean",
                         lua_tostring(L, -2));
        }
        key = lua_tolstring(L, -2, &key_len);
        value = lua_tolstring(L, -1, &value_len);
        push_escaped(L, key, key_len);
        lua_pushliteral(L, "=");
        push_escaped(L, value, value_len);
        lua_concat(L, 3);
        lua_rawseti(L, parts_idx, (lua_Integer)lua_rawlen(L, parts_idx) + 1);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
}

/* Pushes the request path: the row's template with the checked parameters
 * (at param_idx[0..1]) in place of {1} and {2}, then the query: limit and
 * offset when paging (offset < 0: none), then the caller's query table. */
static void push_path(lua_State *L, const operation *op, const int param_idx[2],
                      int query_idx, lua_Integer limit, lua_Integer offset)
{
    const char *p = op->path;
    int parts_idx, query_count = 0;
    lua_Integer n;

    lua_newtable(L);
    parts_idx = lua_gettop(L);
    while (*p != '\0') {
        const char *brace = strchr(p, '{');
        size_t literal = brace ? (size_t)(brace - p) : strlen(p);

        lua_pushlstring(L, p, literal);
        lua_rawseti(L, parts_idx, (lua_Integer)lua_rawlen(L, parts_idx) + 1);
        p += literal;
        if (brace) {
            lua_pushvalue(L, param_idx[brace[1] - '1']);
            lua_rawseti(L, parts_idx, (lua_Integer)lua_rawlen(L, parts_idx) + 1);
            p += 3;
        }
    }

    lua_newtable(L);
    if (offset >= 0) {
        lua_pushfstring(L, "limit=%I", limit);
        lua_rawseti(L, -2, ++query_count);
        lua_pushfstring(L, "offset=%I", offset);
        lua_rawseti(L, -2, ++query_count);
    }
    if (query_idx != 0)
        add_query_parts(L, query_idx, lua_gettop(L));
    query_count = (int)lua_rawlen(L, -1);
    for (int i = 1; i <= query_count; i++) {
        lua_pushstring(L, i == 1 ? "?" : "&");
        lua_rawseti(L, parts_idx, (lua_Integer)lua_rawlen(L, parts_idx) + 1);
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, parts_idx, (lua_Integer)lua_rawlen(L, parts_idx) + 1);
    }
    lua_pop(L, 1);

    n = (lua_Integer)lua_rawlen(L, parts_idx);
    luaL_checkstack(L, (int)n, "request path");
    for (lua_Integer i = 1; i <= n; i++)
        lua_rawgeti(L, parts_idx, i);
    lua_concat(L, (int)n);
    lua_remove(L, parts_idx);
}

/* Pushes the value at the dotted key path inside the table at idx, or nil
 * when any step is missing or not a table. */
static void push_dotted(lua_State *L, int idx, const char *dotted)
{
    lua_pushvalue(L, idx);
    while (*dotted != '\0') {
        const char *dot = strchr(dotted, '.');
        size_t len = dot ? (size_t)(dot - dotted) : strlen(dotted);

        if (!lua_istable(L, -1)) {
            lua_pop(L, 1);
            lua_pushnil(L);
            return;
        }
        lua_pushlstring(L, dotted, len);
        lua_rawget(L, -2);
        lua_remove(L, -2);
        dotted += len + (dot ? 1 : 0);
    }
}

/* Returns 1 when the table at idx has no entries. */
static int table_is_empty(lua_State *L, int idx)
{
    lua_pushnil(L);
    if (lua_next(L, idx) == 0)
        return 1;
    lua_pop(L, 2);
    return 0;
}

/* Pushes the value the operation returns from the decoded response at idx. */
static int push_result(lua_State *L, const operation *op, int idx)
{
    if (op->result == NULL)
        return 0;
    push_dotted(L, idx, op->result);
    if (lua_isnil(L, -1) && op->alt_result != NULL) {
        lua_pop(L, 1);
        push_dotted(L, idx, op->alt_result);
    }
    if ((op->flags & OP_NIL_IF_EMPTY) && lua_istable(L, -1) && table_is_empty(L, lua_gettop(L))) {
        lua_pop(L, 1);
        lua_pushnil(L);
    }
    return 1;
}

/* Reads meta.paging of the page at idx. Returns the offset of the next page,
 * or -1 when this page was the last. Pages by the page size the server
 * reported, which may be below the limit requested. */
static lua_Integer next_offset(lua_State *L, int idx, lua_Integer offset, lua_Integer items)
{
    lua_Integer current, total;

    push_dotted(L, idx, "meta.paging");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return -1;
    }
    lua_getfield(L, -1, "currentPageSize");
    current = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : items;
    lua_getfield(L, -2, "totalSize");
    total = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : -1;
    lua_pop(L, 3);

    if (current <= 0 || items == 0)
        return -1;
    if (total >= 0 && offset + current >= total)
        return -1;
    return offset + current;
}

/* Appends every item of the array at from_idx to the array at to_idx and
 * returns how many there were. */
static lua_Integer append_items(lua_State *L, int to_idx, int from_idx)
{
    lua_Integer n, base;

    if (!lua_istable(L, from_idx))
        return 0;
    n = (lua_Integer)lua_rawlen(L, from_idx);
    base = (lua_Integer)lua_rawlen(L, to_idx);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, from_idx, i);
        lua_rawseti(L, to_idx, base + i);
    }
    return n;
}

/* Fetches every page of a list operation and pushes one array of items. */
static void perform_paged(lua_State *L, int session_idx, const operation *op,
                          const int param_idx[2], int query_idx)
{
    lua_Integer limit = session_page_size(session_check(L, session_idx));
    lua_Integer offset = 0;
    int items_idx;

    lua_newtable(L);
    items_idx = lua_gettop(L);
    for (int page = 0; page < MAX_PAGES && offset >= 0; page++) {
        request req = {0};
        lua_Integer count;

        push_path(L, op, param_idx, query_idx, limit, offset);
        req.method = op->method;
        req.path = lua_tostring(L, -1);
        req.operation = op->name;
        session_perform(L, session_idx, &req);

        push_dotted(L, -1, op->result);
        count = append_items(L, items_idx, lua_gettop(L));
        lua_pop(L, 1);
        offset = next_offset(L, lua_gettop(L), offset, count);
        lua_pop(L, 2);
    }
}

/* Validates the body argument at body_idx for the row. Pushes the JSON
 * buffer userdata that owns the text, then the array of the body's secret
 * values, and returns the buffer. Pushes nothing and returns NULL when the
 * operation sends no body. Raises "validation" before anything is sent
 * when the body is wrong. */
static jsonbuf *push_body(lua_State *L, const operation *op, int body_idx, int id_idx)
{
    const schema_model *model;
    jsonbuf *buf;
    int input_idx = body_idx;

    if (op->body_model == NULL)
        return NULL;
    if ((op->flags & OP_OPTIONAL_BODY) &&
        (lua_isnil(L, body_idx) || (lua_istable(L, body_idx) && table_is_empty(L, body_idx))))
        return NULL;

    model = schema_find(op->body_model);
    if (model == NULL)
        errors_raise(L, "usage", "%s: no model named %s", op->name, op->body_model);

    if (op->flags & OP_ID_IN_BODY) {
        lua_createtable(L, 0, 2);
        lua_pushvalue(L, id_idx);
        lua_setfield(L, -2, "integrationId");
        lua_pushvalue(L, body_idx);
        lua_setfield(L, -2, "schedule");
        input_idx = lua_gettop(L);
    }

    buf = jsonbuf_new(L);
    schema_check(L, input_idx, model, "body", SCHEMA_WRITE_JSON | SCHEMA_COLLECT_SECRETS, buf);
    if (op->flags & OP_ID_IN_BODY)
        lua_remove(L, input_idx);
    return buf;
}

/* Pushes s JSON-escaped (without the quotes) and returns 1, or pushes
 * nothing and returns 0 when escaping leaves s as it is. */
static int push_escaped_spelling(lua_State *L, jsonbuf *buf, const char *s, size_t len)
{
    jsonbuf_reset(buf);
    jsonbuf_add_string(L, buf, s, len);
    /* The escaped text sits between the quotes jsonbuf_add_string wrote. */
    if (buf->len - 2 == len && memcmp(buf->data + 1, s, len) == 0)
        return 0;
    lua_pushlstring(L, buf->data + 1, buf->len - 2);
    return 1;
}

/* Appends to the array at secrets_idx the JSON-escaped spellings of each of
 * its strings that escaping changes (a private key's newline becomes \n).
 * A server that quotes the JSON request in its JSON response escapes it
 * once more, and masking works on the raw response, so both the once and
 * the twice escaped spellings are added. */
static void add_escaped_spellings(lua_State *L, int secrets_idx)
{
    lua_Integer n = (lua_Integer)lua_rawlen(L, secrets_idx);
    jsonbuf *buf = jsonbuf_new(L);
    int buf_idx = lua_gettop(L);

    for (lua_Integer i = 1; i <= n; i++) {
        size_t len;
        const char *secret;

        lua_rawgeti(L, secrets_idx, i);
        secret = lua_tolstring(L, -1, &len);
        for (int depth = 0; depth < 2 && push_escaped_spelling(L, buf, secret, len); depth++) {
            lua_pushvalue(L, -1);
            lua_rawseti(L, secrets_idx, (lua_Integer)lua_rawlen(L, secrets_idx) + 1);
            secret = lua_tolstring(L, -1, &len);
        }
        lua_settop(L, buf_idx);
    }
    jsonbuf_reset(buf);
    lua_pop(L, 1);
}

/* Sets req->secrets to the body credentials in the array at secrets_idx,
 * each in its raw and its JSON-escaped spelling, longest first so that no
 * shorter one is masked inside a longer one and leaves the rest visible.
 * The pointer array is a userdata left on the stack; the strings stay alive
 * in the array. */
static void attach_secrets(lua_State *L, request *req, int secrets_idx)
{
    const char **list;
    size_t n;

    add_escaped_spellings(L, secrets_idx);
    n = lua_rawlen(L, secrets_idx);
    if (n == 0)
        return;
    list = lua_newuserdatauv(L, n * sizeof *list, 0);
    for (size_t i = 0; i < n; i++) {
        const char *secret;
        size_t j = i;

        lua_rawgeti(L, secrets_idx, (lua_Integer)i + 1);
        secret = lua_tostring(L, -1);
        lua_pop(L, 1);
        while (j > 0 && strlen(list[j - 1]) < strlen(secret)) {
            list[j] = list[j - 1];
            j--;
        }
        list[j] = secret;
    }
    req->secrets = list;
    req->nsecrets = n;
}

/* core.call(session, operation, args): runs one CloudWorks operation.
 * args = {id = ..., id2 = ..., body = ..., query = {...}}, each as the row
 * needs. Returns the row's result (nothing for operations without one).
 * Raises error objects: validation before sending, then whatever
 * session_perform raises. */
static int endpoints_call(lua_State *L)
{
    static const char *const id_fields[2] = {"id", "id2"};
    const char *name = luaL_checkstring(L, 2);
    const operation *op = find_operation(name);
    int param_idx[2] = {0, 0};
    int body_idx, query_idx;
    jsonbuf *buf;
    request req = {0};

    session_check(L, 1);
    if (op == NULL)
        return errors_raise(L, "usage", "unknown CloudWorks operation '%s'", name);
    if (lua_isnoneornil(L, 3)) {
        lua_settop(L, 2);
        lua_newtable(L);
    }
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);

    lua_getfield(L, 3, "body");
    body_idx = lua_gettop(L);
    lua_getfield(L, 3, "query");
    query_idx = lua_istable(L, -1) ? lua_gettop(L) : 0;

    for (int i = 0; i < 2; i++) {
        if (op->params[i].kind == NULL)
            continue;
        lua_getfield(L, 3, id_fields[i]);
        push_path_param(L, lua_gettop(L), &op->params[i]);
        param_idx[i] = lua_gettop(L);
    }

    if (op->flags & OP_PAGED) {
        perform_paged(L, 1, op, param_idx, query_idx);
        return 1;
    }

    buf = push_body(L, op, body_idx, param_idx[0]);
    if (buf != NULL)
        attach_secrets(L, &req, lua_gettop(L));
    push_path(L, op, param_idx, query_idx, 0, -1);
    req.method = op->method;
    req.path = lua_tostring(L, -1);
    req.operation = op->name;
    req.raw = (op->flags & OP_RAW) != 0;
    if (buf != NULL) {
        req.body = buf->data;
        req.body_len = buf->len;
    }
    session_perform(L, 1, &req);
    if (op->flags & OP_RAW)
        return 1;
    return push_result(L, op, lua_gettop(L));
}

/* Returns how many path parameters the row takes (0, 1 or 2). */
static int count_params(const operation *op)
{
    int count = 0;

    for (int i = 0; i < 2; i++) {
        if (op->params[i].kind != NULL)
            count++;
    }
    return count;
}

/* core.operations(): one table per row, for tests and documentation. */
static int endpoints_operations(lua_State *L)
{
    lua_createtable(L, (int)OPERATION_COUNT, 0);
    for (size_t i = 0; i < OPERATION_COUNT; i++) {
        const operation *op = &operations[i];

        lua_createtable(L, 0, 6);
        lua_pushstring(L, op->name);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, op->method);
        lua_setfield(L, -2, "method");
        lua_pushstring(L, op->path);
        lua_setfield(L, -2, "path");
        if (op->body_model != NULL) {
            lua_pushstring(L, op->body_model);
            lua_setfield(L, -2, "body_model");
        }
        lua_pushinteger(L, count_params(op));
        lua_setfield(L, -2, "params");
        lua_pushboolean(L, (op->flags & OP_PAGED) != 0);
        lua_setfield(L, -2, "paged");
        lua_pushboolean(L, (op->flags & OP_RAW) != 0);
        lua_setfield(L, -2, "raw");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

void endpoints_register(lua_State *L)
{
    lua_pushcfunction(L, endpoints_call);
    lua_setfield(L, -2, "call");
    lua_pushcfunction(L, endpoints_operations);
    lua_setfield(L, -2, "operations");
}
