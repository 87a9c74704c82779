/* The CloudWorks input models, as descriptor tables for schema.c.
 *
 * Field order is the order of the JSON the core sends. Where the live API
 * and the Python anaplan-sdk disagree, these tables follow the live API:
 * auth_method is spelled in snake_case on the wire, ids of processes,
 * actions and files go out as strings, model ids in upper case. */
#include "schema_internal.h"

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
    IntegrationProcessInput, IntegrationCreate;

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

/* Pushes {[key] = <value at idx>} (and type = when, unless NULL) and puts
 * it in place of the value at idx. */
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

/* Only an export to BigQuery maps columns; the API ignores a mapping
 * elsewhere, so a user who gives one has misread the job type. */
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

/* Jobs present and not empty make an import or export integration; the
 * Python SDK once sent jobs = {} down that path and the API refused it. A
 * jobs value that is not a table goes there too, to be reported. */
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
    NULL,
};
