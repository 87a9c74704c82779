/* Descriptor types shared by the validation engine (schema.c) and the model
 * tables (models.c). Nothing here is visible outside the core.
 *
 * A model is data: a list of fields, each with its API name, a type, flags
 * and a default. Rules that tie several fields together live in a check
 * hook of the model. A model whose shape depends on the input (a bare body
 * to wrap, a choice between two models) has a select hook. */
#ifndef ANAPLAN_SCHEMA_INTERNAL_H
#define ANAPLAN_SCHEMA_INTERNAL_H

#include <stddef.h>

#include <lua.h>

#include "schema.h"

typedef struct schema_ctx schema_ctx;
typedef struct schema_type schema_type;

typedef enum schema_kind {
    SCHEMA_STRING,
    SCHEMA_BOOLEAN,
    SCHEMA_INTEGER,
    SCHEMA_ENUM,
    SCHEMA_ID,        /* id_kind: "hex32", "model" or "numeric" */
    SCHEMA_ARRAY,
    SCHEMA_OBJECT,    /* a nested model */
    SCHEMA_UNION,     /* one model of a case table, chosen by a discriminator */
    SCHEMA_STRING_MAP /* an object of string values, sent as given */
} schema_kind;

typedef enum schema_text_format {
    SCHEMA_TEXT_ANY,
    SCHEMA_TEXT_TIME, /* "HH:MM", 00:00 to 23:59 */
    SCHEMA_TEXT_DATE  /* "YYYY-MM-DD", a day that exists */
} schema_text_format;

/* One model picked by a case, and the value its own "type" field must then
 * have (NULL when the model has no such rule). */
typedef struct schema_pick {
    const schema_model *model;
    const char *type_value;
} schema_pick;

#define SCHEMA_PICKS 2

/* A row of a case table: the discriminator value and what it picks. A row
 * may pick up to SCHEMA_PICKS models, one per column, so that a single
 * table can drive several unions (a job's sources and its targets). */
typedef struct schema_case {
    const char *when;
    schema_pick pick[SCHEMA_PICKS];
} schema_case;

typedef struct schema_cases {
    const schema_case *rows;
    size_t count;
} schema_cases;

struct schema_type {
    schema_kind kind;
    schema_text_format format;      /* STRING */
    const char *const *values;      /* ENUM: NULL-terminated list */
    const schema_cases *cases;      /* ENUM: values are the rows' when; UNION */
    const char *id_kind;            /* ID */
    int has_range;                  /* INTEGER: min and max apply */
    lua_Integer min, max;           /* INTEGER */
    const schema_type *items;       /* ARRAY */
    size_t min_items;               /* ARRAY */
    size_t max_items;               /* ARRAY: 0 means no upper bound */
    int empty;                      /* ARRAY: must have no item at all */
    int unique;                     /* ARRAY of scalars: no value twice */
    const char *unique_by;          /* ARRAY of objects: no field value twice */
    const schema_model *model;      /* OBJECT */
    const char *discriminator;      /* UNION: field of the enclosing object */
    int column;                     /* UNION: which pick of the row */
};

enum {
    SCHEMA_REQUIRED = 1 << 0,
    SCHEMA_SECRET = 1 << 1,   /* the value and everything in it never shows */
    SCHEMA_NOT_SENT = 1 << 2  /* accepted and checked, left out of the output */
};

typedef enum schema_default {
    SCHEMA_NO_DEFAULT,
    SCHEMA_DEFAULT_STRING,
    SCHEMA_DEFAULT_TRUE,
    SCHEMA_DEFAULT_FALSE,
    SCHEMA_DEFAULT_EMPTY_ARRAY,
    SCHEMA_DEFAULT_PUSH /* push_default builds the value */
} schema_default;

typedef struct schema_field {
    const char *name; /* the API spelling; the snake_case one is derived */
    const schema_type *type;
    unsigned flags;
    schema_default default_kind;
    const char *default_string;
    void (*push_default)(lua_State *L);
} schema_field;

/* Chooses the model for the value at idx, which it may replace in place
 * (with lua_replace) to wrap a bare body. Returns NULL after reporting a
 * problem when no model fits. */
typedef const schema_model *(*schema_select_fn)(schema_ctx *c, int idx);

/* Checks rules across fields. out is the absolute index of the normalized
 * table built so far. A field whose value was invalid is absent from it, and
 * an invalid array item is false, so a hook tests the type of what it reads. */
typedef void (*schema_check_fn)(schema_ctx *c, int out);

enum {
    /* The model is the whole request (a {type, body} wrapper): locations
     * start at its own fields, without the "body" prefix or its name. */
    SCHEMA_TRANSPARENT = 1 << 0
};

struct schema_model {
    const char *name;
    const schema_field *fields;
    size_t nfields;
    unsigned flags;
    schema_select_fn select;       /* set on models that only choose another */
    const schema_cases *partial_of; /* fields of any one case's model, none
                                       required, no default, at least one */
    schema_check_fn check;
};

#define SCHEMA_FIELD_LIST(array) (array), (sizeof(array) / sizeof((array)[0]))

/* The model registry, in models.c: every model, NULL-terminated. */
extern const schema_model *const schema_models[];

/* For hooks. */
lua_State *schema_state(schema_ctx *c);

/* Adds a problem at where, a dotted path below the object being checked
 * ("" or NULL for the object itself). fmt follows lua_pushfstring. */
void schema_report(schema_ctx *c, const char *where, const char *fmt, ...);

/* Returns 1 when the input of the object being checked spelled the field
 * (valid or not), 0 when it was absent or filled from a default. */
int schema_given(const schema_ctx *c, const char *api_name);

/* Recognises which row of cases (column 0) the object at idx belongs to,
 * from the fields it has that only one row's model has. Returns the number
 * of rows recognised; *first and *second receive the first two (or NULL). */
int schema_recognise(lua_State *L, int idx, const schema_cases *cases,
                     const schema_case **first, const schema_case **second);

/* Pushes "'a', 'b' or 'c'": the when values of cases, for messages. */
void schema_push_case_list(lua_State *L, const schema_cases *cases);

/* Pushes the raw value of a field of the table at idx, under its API name
 * or else its snake_case spelling, and returns its Lua type (LUA_TNIL when
 * both are absent). */
int schema_rawget_field(lua_State *L, int idx, const char *api_name);

#endif
