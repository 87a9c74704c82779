/* The CloudWorks input models, as descriptor tables for schema.c.
 *
 * Field order is the order of the JSON the core sends. Where the live API
 * and the Python anaplan-sdk disagree, these tables follow the live API:
 * auth_method is spelled in snake_case on the wire, ids of processes,
 * actions and files go out as strings, model ids in upper case. */
#include "schema_internal.h"

#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#define REQUIRED(api, t) { .name = (api), .type = (t), .flags = SCHEMA_REQUIRED }
#define OPTIONAL(api, t) { .name = (api), .type = (t), .flags = 0 }
#define SECRET(api, t) { .name = (api), .type = (t), .flags = SCHEMA_REQUIRED | SCHEMA_SECRET }
#define DEFAULT_TEXT(api, t, value) \
    { .name = (api), .type = (t), .default_kind = SCHEMA_DEFAULT_STRING, .default_string = (value) }
#define DEFAULT_TRUE(api) { .name = (api), .type = &boolean, .default_kind = SCHEMA_DEFAULT_TRUE }
#define DEFAULT_FALSE(api) { .name = (api), .type = &boolean, .default_kind = SCHEMA_DEFAULT_FALSE }
#define CASES(rows) { (rows), sizeof(rows) / sizeof((rows)[0]) }

/* Every model, declared first because the tables refer to each other. */
static const schema_model AzureBlobConnectionInput, AmazonS3ConnectionInput,
    GoogleBigQueryConnectionInput, ConnectionInput, ConnectionUpdate, ConnectionPatch,
    ConnectionPatchBody, FileSource, TableSource, AnaplanSource, FileTarget, TableTarget,
    AnaplanTarget, ColumnMapping, IntegrationJobInput, IntegrationInput,
    IntegrationProcessInput, IntegrationCreate, ScheduleInput, ScheduleRequest,
    NotificationItemInput, NotificationRules, NotificationInput, ExceptionBehavior,
    FlowStepInput, FlowInput, FlowRunInput;

/* ---- value types used by many models ---------------------------------- */

static const schema_type text = { .kind = SCHEMA_STRING };
static const schema_type boolean = { .kind = SCHEMA_BOOLEAN };
static const schema_type hex32_id = { .kind = SCHEMA_ID, .id_kind = "hex32" };
static const schema_type model_id = { .kind = SCHEMA_ID, .id_kind = "model" };
static const schema_type numeric_id = { .kind = SCHEMA_ID, .id_kind = "numeric" };

static const char *const version_2_0[] = { "2.0", NULL };
static const schema_type version = { .kind = SCHEMA_ENUM, .values = version_2_0 };

/* ---- connections -------------------------------------------------------- */

/* OAuth exists for Azure in the product but its request fields are not
 * documented, so only SAS tokens are accepted. */
static const char *const azure_auth_methods[] = { "SAS-based", NULL };
static const schema_type azure_auth_method = { .kind = SCHEMA_ENUM, .values = azure_auth_methods };

static const schema_field azure_blob_fields[] = {
    REQUIRED("name", &text),
    REQUIRED("storageAccountName", &text),
    REQUIRED("containerName", &text),
    SECRET("sasToken", &text),
    DEFAULT_TEXT("auth_method", &azure_auth_method, "SAS-based"),
    OPTIONAL("workspaceId", &hex32_id),
};

static const schema_field amazon_s3_fields[] = {
    REQUIRED("name", &text),
    REQUIRED("accessKeyId", &text),
    SECRET("secretAccessKey", &text),
    REQUIRED("bucketName", &text),
    OPTIONAL("roleArn", &text),
    OPTIONAL("workspaceId", &hex32_id),
};

/* The key file's fields are sent under the names Google gives them. */
static const schema_type service_account_key = { .kind = SCHEMA_STRING_MAP };

static const schema_field google_big_query_fields[] = {
    REQUIRED("name", &text),
    REQUIRED("dataset", &text),
    SECRET("serviceAccountKey", &service_account_key),
    OPTIONAL("workspaceId", &hex32_id),
};

static const schema_model AzureBlobConnectionInput = {
    .name = "AzureBlobConnectionInput", .fields = azure_blob_fields,
    .nfields = sizeof azure_blob_fields / sizeof azure_blob_fields[0],
};
static const schema_model AmazonS3ConnectionInput = {
    .name = "AmazonS3ConnectionInput", .fields = amazon_s3_fields,
    .nfields = sizeof amazon_s3_fields / sizeof amazon_s3_fields[0],
};
static const schema_model GoogleBigQueryConnectionInput = {
    .name = "GoogleBigQueryConnectionInput", .fields = google_big_query_fields,
    .nfields = sizeof google_big_query_fields / sizeof google_big_query_fields[0],
};

/* The connection types, and the body model each one takes. */
static const schema_case connection_rows[] = {
    { .when = "AzureBlob", .pick = { { &AzureBlobConnectionInput, NULL } } },
    { .when = "AmazonS3", .pick = { { &AmazonS3ConnectionInput, NULL } } },
    { .when = "GoogleBigQuery", .pick = { { &GoogleBigQueryConnectionInput, NULL } } },
};
static const schema_cases connection_types = CASES(connection_rows);

static const schema_type connection_type = { .kind = SCHEMA_ENUM, .cases = &connection_types };
static const schema_type connection_body = {
    .kind = SCHEMA_UNION, .cases = &connection_types, .discriminator = "type", .column = 0,
};

static const schema_field connection_fields[] = {
    REQUIRED("type", &connection_type),
    REQUIRED("body", &connection_body),
};

static const schema_model ConnectionInput = {
    .name = "ConnectionInput", .fields = connection_fields,
    .nfields = sizeof connection_fields / sizeof connection_fields[0],
    .flags = SCHEMA_TRANSPARENT,
};

/* Returns 1 when the table at idx already has the {type, body} shape. */
static int has_wrapper_key(lua_State *L, int idx, const char *key)
{
    int found;

    lua_pushstring(L, key);
    found = lua_rawget(L, idx) != LUA_TNIL;
    lua_pop(L, 1);
    return found;
}

/* Replaces the value at idx with {type = when, body = <that value>},
 * leaving type out when when is NULL. */
static void wrap_body(lua_State *L, int idx, const char *when)
{
    lua_createtable(L, 0, 2);
    if (when != NULL) {
        lua_pushstring(L, when);
        lua_setfield(L, -2, "type");
    }
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "body");
    lua_replace(L, idx);
}

/* A PUT takes {type, body}; a bare body is wrapped, with the type that
 * only its fields can have. */
static const schema_model *select_connection_update(schema_ctx *c, int idx)
{
    lua_State *L = schema_state(c);
    const schema_case *first, *second;
    int found;

    if (lua_type(L, idx) != LUA_TTABLE || has_wrapper_key(L, idx, "type") ||
        has_wrapper_key(L, idx, "body"))
        return &ConnectionInput;

    found = schema_recognise(L, idx, &connection_types, &first, &second);
    if (found == 1) {
        wrap_body(L, idx, first->when);
        return &ConnectionInput;
    }

    schema_push_case_list(L, &connection_types);
    if (found == 0)
        schema_report(c, "type", "Field required: the body's fields do not show the connection "
                      "type, so give type = %s and the fields as body", lua_tostring(L, -1));
    else
        schema_report(c, "type", "Field required: the body has fields of both '%s' and '%s' "
                      "connections, so give type = %s and the fields as body",
                      first->when, second->when, lua_tostring(L, -1));
    lua_pop(L, 1);
    return NULL;
}

static const schema_model ConnectionUpdate = {
    .name = "ConnectionUpdate", .flags = SCHEMA_TRANSPARENT, .select = select_connection_update,
};

/* A PATCH takes {body = {fields to change}}; a bare body is wrapped. */
static const schema_model *select_connection_patch(schema_ctx *c, int idx)
{
    lua_State *L = schema_state(c);

    if (lua_type(L, idx) == LUA_TTABLE && !has_wrapper_key(L, idx, "body"))
        wrap_body(L, idx, NULL);
    return &ConnectionPatch;
}

static const schema_model ConnectionPatchBody = {
    .name = "ConnectionPatchBody", .partial_of = &connection_types,
};
static const schema_type connection_patch_body = { .kind = SCHEMA_OBJECT, .model = &ConnectionPatchBody };

static const schema_field connection_patch_fields[] = {
    REQUIRED("body", &connection_patch_body),
};

static const schema_model ConnectionPatch = {
    .name = "ConnectionPatch", .fields = connection_patch_fields,
    .nfields = sizeof connection_patch_fields / sizeof connection_patch_fields[0],
    .flags = SCHEMA_TRANSPARENT, .select = select_connection_patch,
};

/* ---- sources and targets of integration jobs ---------------------------- */

static const char *const file_storage_names[] = { "AzureBlob", "AmazonS3", NULL };
static const schema_type file_storage = { .kind = SCHEMA_ENUM, .values = file_storage_names };
static const char *const anaplan_names[] = { "Anaplan", NULL };
static const schema_type anaplan = { .kind = SCHEMA_ENUM, .values = anaplan_names };
static const char *const big_query_names[] = { "GoogleBigQuery", NULL };
static const schema_type big_query = { .kind = SCHEMA_ENUM, .values = big_query_names };

static const schema_field file_source_fields[] = {
    REQUIRED("type", &file_storage),
    REQUIRED("connectionId", &hex32_id),
    REQUIRED("file", &text),
};
static const schema_field table_source_fields[] = {
    DEFAULT_TEXT("type", &big_query, "GoogleBigQuery"),
    REQUIRED("connectionId", &hex32_id),
    REQUIRED("table", &text),
};
static const schema_field anaplan_source_fields[] = {
    DEFAULT_TEXT("type", &anaplan, "Anaplan"),
    REQUIRED("actionId", &numeric_id),
};
static const schema_field file_target_fields[] = {
    REQUIRED("type", &file_storage),
    REQUIRED("connectionId", &hex32_id),
    REQUIRED("file", &text),
    DEFAULT_TRUE("overwrite"),
};
static const schema_field table_target_fields[] = {
    DEFAULT_TEXT("type", &big_query, "GoogleBigQuery"),
    REQUIRED("connectionId", &hex32_id),
    REQUIRED("table", &text),
    DEFAULT_FALSE("overwrite"),
};
static const schema_field anaplan_target_fields[] = {
    DEFAULT_TEXT("type", &anaplan, "Anaplan"),
    REQUIRED("actionId", &numeric_id),
    REQUIRED("fileId", &numeric_id),
};

static const schema_model FileSource = {
    .name = "FileSource", .fields = file_source_fields,
    .nfields = sizeof file_source_fields / sizeof file_source_fields[0],
};
static const schema_model TableSource = {
    .name = "TableSource", .fields = table_source_fields,
    .nfields = sizeof table_source_fields / sizeof table_source_fields[0],
};
static const schema_model AnaplanSource = {
    .name = "AnaplanSource", .fields = anaplan_source_fields,
    .nfields = sizeof anaplan_source_fields / sizeof anaplan_source_fields[0],
};
static const schema_model FileTarget = {
    .name = "FileTarget", .fields = file_target_fields,
    .nfields = sizeof file_target_fields / sizeof file_target_fields[0],
};
static const schema_model TableTarget = {
    .name = "TableTarget", .fields = table_target_fields,
    .nfields = sizeof table_target_fields / sizeof table_target_fields[0],
};
static const schema_model AnaplanTarget = {
    .name = "AnaplanTarget", .fields = anaplan_target_fields,
    .nfields = sizeof anaplan_target_fields / sizeof anaplan_target_fields[0],
};

/* ---- integration jobs --------------------------------------------------- */

/* The job types: each fixes the source (column 0) and the target (column 1),
 * and the type those must carry. */
static const schema_case job_rows[] = {
    { .when = "AmazonS3ToAnaplan",
      .pick = { { &FileSource, "AmazonS3" }, { &AnaplanTarget, "Anaplan" } } },
    { .when = "AzureBlobToAnaplan",
      .pick = { { &FileSource, "AzureBlob" }, { &AnaplanTarget, "Anaplan" } } },
    { .when = "GoogleBigQueryToAnaplan",
      .pick = { { &TableSource, "GoogleBigQuery" }, { &AnaplanTarget, "Anaplan" } } },
    { .when = "AnaplanToAmazonS3",
      .pick = { { &AnaplanSource, "Anaplan" }, { &FileTarget, "AmazonS3" } } },
    { .when = "AnaplanToAzureBlob",
      .pick = { { &AnaplanSource, "Anaplan" }, { &FileTarget, "AzureBlob" } } },
    { .when = "AnaplanToGoogleBigQuery",
      .pick = { { &AnaplanSource, "Anaplan" }, { &TableTarget, "GoogleBigQuery" } } },
};
static const schema_cases job_types = CASES(job_rows);

/* The API describes mapping as the column mapping of BigQuery exports, so
 * a mapping on another job type is rejected rather than sent. */
static const char mapping_job_type[] = "AnaplanToGoogleBigQuery";

static const schema_type job_type = { .kind = SCHEMA_ENUM, .cases = &job_types };
static const schema_type job_source = {
    .kind = SCHEMA_UNION, .cases = &job_types, .discriminator = "type", .column = 0,
};
static const schema_type job_target = {
    .kind = SCHEMA_UNION, .cases = &job_types, .discriminator = "type", .column = 1,
};
static const schema_type job_sources = {
    .kind = SCHEMA_ARRAY, .items = &job_source, .min_items = 1, .max_items = 1,
};
static const schema_type job_targets = {
    .kind = SCHEMA_ARRAY, .items = &job_target, .min_items = 1, .max_items = 1,
};

static const schema_field column_mapping_fields[] = {
    REQUIRED("sourceName", &text),
    REQUIRED("targetName", &text),
};
static const schema_model ColumnMapping = {
    .name = "ColumnMapping", .fields = column_mapping_fields,
    .nfields = sizeof column_mapping_fields / sizeof column_mapping_fields[0],
};
static const schema_type column_mapping = { .kind = SCHEMA_OBJECT, .model = &ColumnMapping };
static const schema_type column_mappings = { .kind = SCHEMA_ARRAY, .items = &column_mapping };

static const schema_field job_fields[] = {
    REQUIRED("type", &job_type),
    REQUIRED("sources", &job_sources),
    REQUIRED("targets", &job_targets),
    OPTIONAL("mapping", &column_mappings),
};

static void check_job(schema_ctx *c, int out)
{
    lua_State *L = schema_state(c);
    const char *type;

    lua_getfield(L, out, "type");
    type = lua_tostring(L, -1);
    if (type != NULL && strcmp(type, mapping_job_type) != 0 && schema_given(c, "mapping"))
        schema_report(c, "mapping", "Field not allowed for job type '%s'; only '%s' jobs take a mapping",
                      type, mapping_job_type);
    lua_pop(L, 1);
}

static const schema_model IntegrationJobInput = {
    .name = "IntegrationJobInput", .fields = job_fields,
    .nfields = sizeof job_fields / sizeof job_fields[0], .check = check_job,
};

/* ---- integrations ------------------------------------------------------- */

static const schema_type job = { .kind = SCHEMA_OBJECT, .model = &IntegrationJobInput };
static const schema_type jobs = { .kind = SCHEMA_ARRAY, .items = &job, .min_items = 1 };
/* A process-only integration accepts jobs = {} and sends no jobs at all. */
static const schema_type no_jobs = { .kind = SCHEMA_ARRAY, .items = &job, .empty = 1 };

static const schema_field integration_fields[] = {
    REQUIRED("name", &text),
    DEFAULT_TEXT("version", &version, "2.0"),
    REQUIRED("workspaceId", &hex32_id),
    REQUIRED("modelId", &model_id),
    DEFAULT_FALSE("nuxVisible"),
    REQUIRED("jobs", &jobs),
    OPTIONAL("processId", &numeric_id),
};

static const schema_field process_integration_fields[] = {
    REQUIRED("name", &text),
    DEFAULT_TEXT("version", &version, "2.0"),
    REQUIRED("workspaceId", &hex32_id),
    REQUIRED("modelId", &model_id),
    DEFAULT_FALSE("nuxVisible"),
    REQUIRED("processId", &numeric_id),
    { .name = "jobs", .type = &no_jobs, .flags = SCHEMA_NOT_SENT },
};

static const schema_model IntegrationInput = {
    .name = "IntegrationInput", .fields = integration_fields,
    .nfields = sizeof integration_fields / sizeof integration_fields[0],
};
static const schema_model IntegrationProcessInput = {
    .name = "IntegrationProcessInput", .fields = process_integration_fields,
    .nfields = sizeof process_integration_fields / sizeof process_integration_fields[0],
};

/* Picks the import/export model when jobs is present and not empty, and
 * the process-only model otherwise. An empty jobs table counts as absent,
 * because the Python anaplan-sdk once routed jobs = {} to the wrong model.
 * A jobs value that is not a table picks import/export, which reports it. */
static const schema_model *select_integration(schema_ctx *c, int idx)
{
    lua_State *L = schema_state(c);
    int type, with_jobs;

    if (lua_type(L, idx) != LUA_TTABLE)
        return &IntegrationInput;
    lua_pushliteral(L, "jobs");
    type = lua_rawget(L, idx);
    if (type == LUA_TTABLE) {
        lua_pushnil(L);
        with_jobs = lua_next(L, -2) != 0;
        if (with_jobs)
            lua_pop(L, 2);
    } else {
        with_jobs = type != LUA_TNIL;
    }
    lua_pop(L, 1);
    return with_jobs ? &IntegrationInput : &IntegrationProcessInput;
}

static const schema_model IntegrationCreate = {
    .name = "IntegrationCreate", .select = select_integration,
};

/* ---- schedules ---------------------------------------------------------- */

/* The time zones CloudWorks offers, as listed by the Timezone literal of
 * the Python anaplan-sdk (anaplan_sdk/models/cloud_works.py). */
static const char *const timezone_names[] = {
    "Etc/GMT+12", "US/Samoa", "Pacific/Honolulu", "Pacific/Marquesas", "US/Aleutian",
    "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago",
    "America/New_York", "America/Sao_Paulo", "Canada/Newfoundland", "America/Nuuk",
    "Atlantic/Cape_Verde", "Greenwich", "Europe/London", "Europe/Paris", "Asia/Tel_Aviv",
    "Europe/Moscow", "Asia/Dubai", "Asia/Kabul", "Asia/Karachi", "Asia/Kolkata",
    "Asia/Kathmandu", "Asia/Dhaka", "Asia/Rangoon", "Asia/Jakarta", "Asia/Hong_Kong",
    "Australia/Eucla", "Asia/Tokyo", "Australia/Adelaide", "Australia/Brisbane",
    "Australia/Melbourne", "Australia/Perth", "Australia/Lord_Howe", "Pacific/Norfolk",
    "Pacific/Auckland", "Pacific/Chatham", NULL,
};
static const schema_type schedule_timezone = { .kind = SCHEMA_ENUM, .values = timezone_names };

/* The fields that only some schedule types take, one bit each. */
enum {
    TIME = 1 << 0,
    FROM_TIME = 1 << 1,
    TO_TIME = 1 << 2,
    DAYS_OF_WEEK = 1 << 3,
    DAY_OF_MONTH = 1 << 4,
    DAY_OF_WEEK = 1 << 5,
    REPEAT_EVERY = 1 << 6
};
static const char *const per_type_fields[] = {
    "time", "fromTime", "toTime", "daysOfWeek", "dayOfMonth", "dayOfWeek", "repeatEvery",
};

/* Each schedule type: the fields it requires, those it also allows, and
 * the maximum repeatEvery.
 * NOTE: the API describes repeatEvery as every N hours (hourly) and as the
 * Nth weekday of the month (monthly_relative_weekday) without stating
 * limits, so 24 and 5 are the largest values that make sense, not limits
 * read from the API. Its description also lists daysOfWeek as required for
 * monthly_relative_weekday beside dayOfWeek. That is unconfirmed, so
 * daysOfWeek is allowed there but not required. */
#define SCHEDULE_TYPES(X) \
    X("hourly", FROM_TIME | TO_TIME | DAYS_OF_WEEK | REPEAT_EVERY, 0, 24) \
    X("daily", TIME, 0, 0) \
    X("weekly", TIME | DAYS_OF_WEEK, 0, 0) \
    X("monthly_specific_day", TIME | DAY_OF_MONTH, 0, 0) \
    X("monthly_relative_weekday", TIME | DAY_OF_WEEK | REPEAT_EVERY, DAYS_OF_WEEK, 5)

typedef struct schedule_rule {
    const char *type;
    unsigned required;
    unsigned allowed;
    lua_Integer max_repeat;
} schedule_rule;

#define SCHEDULE_RULE(name, required, also_allowed, max_repeat) \
    { (name), (required), (required) | (also_allowed), (max_repeat) },
static const schedule_rule schedule_rules[] = { SCHEDULE_TYPES(SCHEDULE_RULE) };
#define SCHEDULE_NAME(name, required, also_allowed, max_repeat) (name),
static const char *const schedule_type_names[] = { SCHEDULE_TYPES(SCHEDULE_NAME) NULL };

static const schema_type schedule_type = { .kind = SCHEMA_ENUM, .values = schedule_type_names };
static const schema_type time_of_day = { .kind = SCHEMA_STRING, .format = SCHEMA_TEXT_TIME };
static const schema_type date = { .kind = SCHEMA_STRING, .format = SCHEMA_TEXT_DATE };
static const schema_type weekday = { .kind = SCHEMA_INTEGER, .has_range = 1, .min = 0, .max = 6 };
static const schema_type weekdays = {
    .kind = SCHEMA_ARRAY, .items = &weekday, .min_items = 1, .max_items = 7, .unique = 1,
};
static const schema_type day_of_month = { .kind = SCHEMA_INTEGER, .has_range = 1, .min = 1, .max = 31 };
static const schema_type repeat_count = { .kind = SCHEMA_INTEGER };

static const schema_field schedule_fields[] = {
    REQUIRED("name", &text),
    REQUIRED("type", &schedule_type),
    OPTIONAL("time", &time_of_day),
    OPTIONAL("fromTime", &time_of_day),
    OPTIONAL("toTime", &time_of_day),
    OPTIONAL("daysOfWeek", &weekdays),
    OPTIONAL("dayOfMonth", &day_of_month),
    OPTIONAL("dayOfWeek", &weekday),
    OPTIONAL("repeatEvery", &repeat_count),
    REQUIRED("startDate", &date),
    OPTIONAL("endDate", &date),
    REQUIRED("timezone", &schedule_timezone),
};

/* Reports when the string field later of out sorts before earlier (both
 * are HH:MM or YYYY-MM-DD, so byte order is time order). */
static void check_order(schema_ctx *c, int out, const char *earlier, const char *later, int allow_equal)
{
    lua_State *L = schema_state(c);
    const char *first, *second;

    lua_getfield(L, out, earlier);
    lua_getfield(L, out, later);
    first = lua_tostring(L, -2);
    second = lua_tostring(L, -1);
    if (first != NULL && second != NULL) {
        int order = strcmp(first, second);

        if (order > 0 || (order == 0 && !allow_equal))
            schema_report(c, later, "Input should be %s %s %s, not '%s'",
                          allow_equal ? "on or after" : "later than", earlier, first, second);
    }
    lua_pop(L, 2);
}

static void check_schedule(schema_ctx *c, int out)
{
    lua_State *L = schema_state(c);
    const schedule_rule *rule = NULL;
    const char *type;
    size_t i;

    lua_getfield(L, out, "type");
    type = lua_tostring(L, -1);
    for (i = 0; type != NULL && i < sizeof schedule_rules / sizeof schedule_rules[0]; i++)
        if (strcmp(schedule_rules[i].type, type) == 0)
            rule = &schedule_rules[i];
    lua_pop(L, 1);

    if (rule != NULL) {
        for (i = 0; i < sizeof per_type_fields / sizeof per_type_fields[0]; i++) {
            unsigned bit = 1u << i;
            int given = schema_given(c, per_type_fields[i]);

            if (given && !(rule->allowed & bit))
                schema_report(c, per_type_fields[i], "Field not allowed for schedule type '%s'", rule->type);
            else if (!given && (rule->required & bit))
                schema_report(c, per_type_fields[i], "Field required for schedule type '%s'", rule->type);
        }

        lua_getfield(L, out, "repeatEvery");
        if (lua_isinteger(L, -1) && (rule->allowed & REPEAT_EVERY)) {
            lua_Integer repeat = lua_tointeger(L, -1);

            if (repeat < 1 || repeat > rule->max_repeat)
                schema_report(c, "repeatEvery", "Input should be from 1 to %I for schedule type '%s', not %I",
                              (LUAI_UACINT)rule->max_repeat, rule->type, (LUAI_UACINT)repeat);
        }
        lua_pop(L, 1);
    }

    check_order(c, out, "fromTime", "toTime", 0);
    check_order(c, out, "startDate", "endDate", 1);
}

static const schema_model ScheduleInput = {
    .name = "ScheduleInput", .fields = schedule_fields,
    .nfields = sizeof schedule_fields / sizeof schedule_fields[0], .check = check_schedule,
};

/* The live API returns 400 for a schedule update whose body lacks the
 * integration id, so it goes in the body as well as in the path. */
static const schema_type schedule = { .kind = SCHEMA_OBJECT, .model = &ScheduleInput };
static const schema_field schedule_request_fields[] = {
    REQUIRED("integrationId", &hex32_id),
    REQUIRED("schedule", &schedule),
};
static const schema_model ScheduleRequest = {
    .name = "ScheduleRequest", .fields = schedule_request_fields,
    .nfields = sizeof schedule_request_fields / sizeof schedule_request_fields[0],
};

/* ---- notifications ------------------------------------------------------ */

static const char *const run_outcome_names[] = { "success", "partial_failure", "full_failure", NULL };
static const schema_type run_outcome = { .kind = SCHEMA_ENUM, .values = run_outcome_names };
static const schema_type user_ids = {
    .kind = SCHEMA_ARRAY, .items = &hex32_id, .min_items = 1, .max_items = 5, .unique = 1,
};

static const schema_field notification_item_fields[] = {
    REQUIRED("type", &run_outcome),
    REQUIRED("users", &user_ids),
};
static const schema_model NotificationItemInput = {
    .name = "NotificationItemInput", .fields = notification_item_fields,
    .nfields = sizeof notification_item_fields / sizeof notification_item_fields[0],
};

static const schema_type notification_item = { .kind = SCHEMA_OBJECT, .model = &NotificationItemInput };
static const schema_type notification_items = {
    .kind = SCHEMA_ARRAY, .items = &notification_item, .min_items = 1, .max_items = 3,
    .unique_by = "type",
};
static const schema_field notification_rules_fields[] = {
    REQUIRED("config", &notification_items),
};
static const schema_model NotificationRules = {
    .name = "NotificationRules", .fields = notification_rules_fields,
    .nfields = sizeof notification_rules_fields / sizeof notification_rules_fields[0],
};

/* CloudWorks attaches a notification to one integration today. */
static const schema_type notified_integrations = {
    .kind = SCHEMA_ARRAY, .items = &hex32_id, .min_items = 1, .max_items = 1,
};
static const char *const channel_names[] = { "email", "in_app", NULL };
static const schema_type channel = { .kind = SCHEMA_ENUM, .values = channel_names };
static const schema_type channels = {
    .kind = SCHEMA_ARRAY, .items = &channel, .min_items = 1, .max_items = 2, .unique = 1,
};
static const schema_type notification_rules = { .kind = SCHEMA_OBJECT, .model = &NotificationRules };

static const schema_field notification_fields[] = {
    REQUIRED("integrationIds", &notified_integrations),
    REQUIRED("channels", &channels),
    REQUIRED("notifications", &notification_rules),
};
static const schema_model NotificationInput = {
    .name = "NotificationInput", .fields = notification_fields,
    .nfields = sizeof notification_fields / sizeof notification_fields[0],
};

/* ---- integration flows -------------------------------------------------- */

static const char *const exception_type_names[] = { "failure", "partial_success", NULL };
static const schema_type exception_type = { .kind = SCHEMA_ENUM, .values = exception_type_names };
static const char *const strategy_names[] = { "stop", "continue", NULL };
static const schema_type strategy = { .kind = SCHEMA_ENUM, .values = strategy_names };

static const schema_field exception_behavior_fields[] = {
    REQUIRED("type", &exception_type),
    REQUIRED("strategy", &strategy),
};
static const schema_model ExceptionBehavior = {
    .name = "ExceptionBehavior", .fields = exception_behavior_fields,
    .nfields = sizeof exception_behavior_fields / sizeof exception_behavior_fields[0],
};

/* A step's exception behaviour when none is given: the API documents stop
 * as the default on failure and continue on partial success. */
static const char *const default_exception_behavior[][2] = {
    { "failure", "stop" },
    { "partial_success", "continue" },
};

static void push_default_exception_behavior(lua_State *L)
{
    size_t n = sizeof default_exception_behavior / sizeof default_exception_behavior[0], i;

    lua_createtable(L, (int)n, 0);
    for (i = 0; i < n; i++) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, default_exception_behavior[i][0]);
        lua_setfield(L, -2, "type");
        lua_pushstring(L, default_exception_behavior[i][1]);
        lua_setfield(L, -2, "strategy");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static const char *const step_type_names[] = { "Integration", NULL };
static const schema_type step_type = { .kind = SCHEMA_ENUM, .values = step_type_names };
static const schema_type step_ids = { .kind = SCHEMA_ARRAY, .items = &hex32_id, .unique = 1 };
static const schema_type exception_behavior = { .kind = SCHEMA_OBJECT, .model = &ExceptionBehavior };
static const schema_type exception_behaviors = {
    .kind = SCHEMA_ARRAY, .items = &exception_behavior, .min_items = 1, .unique_by = "type",
};

static const schema_field flow_step_fields[] = {
    DEFAULT_TEXT("type", &step_type, "Integration"),
    REQUIRED("referrer", &hex32_id),
    { .name = "dependsOn", .type = &step_ids, .default_kind = SCHEMA_DEFAULT_EMPTY_ARRAY },
    DEFAULT_FALSE("isSkipped"),
    { .name = "exceptionBehavior", .type = &exception_behaviors,
      .default_kind = SCHEMA_DEFAULT_PUSH, .push_default = push_default_exception_behavior },
};
static const schema_model FlowStepInput = {
    .name = "FlowStepInput", .fields = flow_step_fields,
    .nfields = sizeof flow_step_fields / sizeof flow_step_fields[0],
};

#define MAX_STEPS 100

static const char *const flow_type_names[] = { "IntegrationFlow", NULL };
static const schema_type flow_type = { .kind = SCHEMA_ENUM, .values = flow_type_names };
static const schema_type flow_step = { .kind = SCHEMA_OBJECT, .model = &FlowStepInput };
static const schema_type flow_steps = {
    .kind = SCHEMA_ARRAY, .items = &flow_step, .min_items = 2, .max_items = MAX_STEPS,
};

static const schema_field flow_fields[] = {
    REQUIRED("name", &text),
    DEFAULT_TEXT("version", &version, "2.0"),
    DEFAULT_TEXT("type", &flow_type, "IntegrationFlow"),
    REQUIRED("steps", &flow_steps),
};

/* The dependency graph of a flow's steps, by 1-based step number. */
typedef struct step_graph {
    int count;
    unsigned char edge[MAX_STEPS + 1][MAX_STEPS + 1]; /* edge[a][b]: a depends on b */
    unsigned char state[MAX_STEPS + 1];               /* 0 new, 1 on the path, 2 done */
    int path[MAX_STEPS + 1];
    int depth;
} step_graph;

/* Depth-first search from step a. Returns the index in g->path where a
 * cycle starts (the step reached again is pushed last), or -1. */
static int find_cycle(step_graph *g, int a)
{
    int b;

    g->state[a] = 1;
    g->path[g->depth++] = a;
    for (b = 1; b <= g->count; b++) {
        int i, found;

        if (!g->edge[a][b])
            continue;
        if (g->state[b] == 1) {
            for (i = 0; g->path[i] != b; i++)
                ;
            g->path[g->depth++] = b;
            return i;
        }
        if (g->state[b] == 0 && (found = find_cycle(g, b)) >= 0)
            return found;
    }
    g->state[a] = 2;
    g->depth--;
    return -1;
}

/* Reports the first cycle among the steps' dependencies, if any. */
static void check_cycles(schema_ctx *c, step_graph *g)
{
    lua_State *L = schema_state(c);
    luaL_Buffer b;
    int a, start, i;

    for (a = 1; a <= g->count; a++) {
        if (g->state[a] != 0)
            continue;
        g->depth = 0;
        start = find_cycle(g, a);
        if (start < 0)
            continue;

        luaL_buffinit(L, &b);
        for (i = start; i < g->depth; i++) {
            if (i > start)
                luaL_addstring(&b, " -> ");
            lua_pushfstring(L, "step %d", g->path[i]);
            luaL_addvalue(&b);
        }
        luaL_pushresult(&b);
        schema_report(c, "steps", "Steps depend on each other in a cycle: %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return;
    }
}

/* Checks one dependency (dependency j of step i, on top of the stack)
 * against the referrers; referrers maps each referrer to its step. */
static void check_dependency(schema_ctx *c, step_graph *g, int referrers, int i, lua_Integer j,
                             const char *own)
{
    lua_State *L = schema_state(c);
    const char *dependency = lua_tostring(L, -1);
    char where[64];

    if (dependency == NULL)
        return;
    snprintf(where, sizeof where, "steps.%d.dependsOn." LUA_INTEGER_FMT, i, (LUAI_UACINT)j);
    if (own != NULL && strcmp(dependency, own) == 0) {
        schema_report(c, where, "A step should not depend on itself");
        return;
    }
    lua_pushvalue(L, -1);
    if (lua_rawget(L, referrers) == LUA_TNUMBER)
        g->edge[i][lua_tointeger(L, -1)] = 1;
    else
        schema_report(c, where, "Input should be the referrer of another step of this flow, not '%s'",
                      dependency);
    lua_pop(L, 1);
}

/* The API stores a flow whose later steps depend on nothing, and such a
 * flow is then broken, so each step's dependencies are checked here. */
static void check_flow(schema_ctx *c, int out)
{
    lua_State *L = schema_state(c);
    step_graph *g;
    int steps, referrers, i;
    char where[64];

    if (lua_getfield(L, out, "steps") != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    steps = lua_gettop(L);
    g = lua_newuserdatauv(L, sizeof *g, 0);
    memset(g, 0, sizeof *g);
    g->count = (int)lua_rawlen(L, steps);
    lua_newtable(L);
    referrers = lua_gettop(L);

    for (i = 1; i <= g->count; i++) {
        if (lua_rawgeti(L, steps, i) == LUA_TTABLE && lua_getfield(L, -1, "referrer") == LUA_TSTRING) {
            lua_pushvalue(L, -1);
            if (lua_rawget(L, referrers) == LUA_TNUMBER) {
                snprintf(where, sizeof where, "steps.%d.referrer", i);
                schema_report(c, where, "Duplicate of step %I's referrer; a flow runs an integration "
                              "in one step only", (LUAI_UACINT)lua_tointeger(L, -1));
                lua_pop(L, 1);
            } else {
                lua_pop(L, 1);
                lua_pushvalue(L, -1);
                lua_pushinteger(L, i);
                lua_rawset(L, referrers);
            }
        }
        lua_settop(L, referrers);
    }

    for (i = 1; i <= g->count; i++) {
        lua_Integer j, n;
        const char *own;

        if (lua_rawgeti(L, steps, i) != LUA_TTABLE) {
            lua_settop(L, referrers);
            continue;
        }
        lua_getfield(L, -1, "referrer");
        own = lua_tostring(L, -1);
        if (lua_getfield(L, -2, "dependsOn") == LUA_TTABLE) {
            n = (lua_Integer)lua_rawlen(L, -1);
            snprintf(where, sizeof where, "steps.%d.dependsOn", i);
            if (i == 1 && n > 0)
                schema_report(c, where, "Array should be empty: the first step runs first, so it "
                              "depends on no other step");
            else if (i > 1 && n == 0)
                schema_report(c, where, "Array should name at least one step: every step after the "
                              "first depends on another step of the flow");
            for (j = 1; j <= n; j++) {
                lua_rawgeti(L, -1, j);
                check_dependency(c, g, referrers, i, j, own);
                lua_pop(L, 1);
            }
        }
        lua_settop(L, referrers);
    }

    check_cycles(c, g);
    lua_settop(L, steps - 1);
}

static const schema_model FlowInput = {
    .name = "FlowInput", .fields = flow_fields,
    .nfields = sizeof flow_fields / sizeof flow_fields[0], .check = check_flow,
};

static const schema_type steps_to_run = {
    .kind = SCHEMA_ARRAY, .items = &hex32_id, .min_items = 1, .unique = 1,
};
static const schema_field flow_run_fields[] = {
    OPTIONAL("stepsToRun", &steps_to_run),
};
static const schema_model FlowRunInput = {
    .name = "FlowRunInput", .fields = flow_run_fields,
    .nfields = sizeof flow_run_fields / sizeof flow_run_fields[0],
};

/* ---- the registry ------------------------------------------------------- */

const schema_model *const schema_models[] = {
    &AzureBlobConnectionInput,
    &AmazonS3ConnectionInput,
    &GoogleBigQueryConnectionInput,
    &ConnectionInput,
    &ConnectionUpdate,
    &ConnectionPatch,
    &ConnectionPatchBody,
    &FileSource,
    &TableSource,
    &AnaplanSource,
    &FileTarget,
    &TableTarget,
    &AnaplanTarget,
    &ColumnMapping,
    &IntegrationJobInput,
    &IntegrationInput,
    &IntegrationProcessInput,
    &IntegrationCreate,
    &ScheduleInput,
    &ScheduleRequest,
    &NotificationItemInput,
    &NotificationRules,
    &NotificationInput,
    &ExceptionBehavior,
    &FlowStepInput,
    &FlowInput,
    &FlowRunInput,
    NULL,
};
