/* The validation engine.
 *
 * A model is a static descriptor (models.c) listing fields with their API
 * names, types, rules and defaults. schema_check walks a plain Lua table with
 * raw access only (no metamethod is ever called), collects every problem with
 * its location, and in the same pass writes the JSON body and/or builds the
 * normalized API-shaped table. */
#ifndef ANAPLAN_SCHEMA_H
#define ANAPLAN_SCHEMA_H

#include <lua.h>
#include "json.h"

typedef struct schema_model schema_model; /* defined in schema_internal.h */

/* Returns the model with that name, or NULL. */
const schema_model *schema_find(const char *name);

/* Pushes an array of every model name (for tests and docs). */
void schema_push_model_names(lua_State *L);

enum {
    SCHEMA_PUSH_TABLE = 1, /* push the normalized API-shaped table */
    SCHEMA_WRITE_JSON = 2, /* append the JSON body to out */
    /* push last an array of the string values of secret fields (a SAS
     * token, the strings of a service-account key), so that the caller can
     * mask them in text a server sends back */
    SCHEMA_COLLECT_SECRETS = 4
};

/* Validates the value at idx against model m. loc is the location prefix of
 * error lines ("body"). On success pushes the normalized table when
 * SCHEMA_PUSH_TABLE is set, then the secrets array when
 * SCHEMA_COLLECT_SECRETS is set, and appends JSON to out when
 * SCHEMA_WRITE_JSON is set. On failure raises a "validation" error whose
 * errors field lists {loc = ..., msg = ...} for every problem found and whose
 * message is one problem a line in the form
 *   "body.AzureBlobConnectionInput.storageAccountName Field required".
 * Values of secret fields never appear in a message. */
void schema_check(lua_State *L, int idx, const schema_model *m,
                  const char *loc, int flags, jsonbuf *out);

/* Checks an identifier before it goes into a path or a body.
 * kind: "hex32" (lowercase is sent), "model" (upper case is sent) or
 * "numeric" (digits; an integer is accepted and sent as a string).
 * Pushes the normalized string; raises a "validation" error naming what
 * (e.g. "integration_id") otherwise. */
void schema_check_id(lua_State *L, int idx, const char *kind, const char *what);


/* Adds validate(model, table), encode(model, table), secret_values(model,
 * table), check_id(value, kind, what) and models() to the module table on
 * top of the stack:
 *   validate      -> the normalized API-shaped table (defaults filled)
 *   encode        -> the JSON text the dispatcher would send
 *   secret_values -> the strings of the secret fields, which the dispatcher
 *                    masks in server text
 *   check_id      -> the normalized id string
 *   models        -> the array of model names */
void schema_register(lua_State *L);

#endif
