/* The options table of core.session: every option read without
 * metamethods and checked, with every problem collected into one
 * "validation" error. Checking sends nothing and copies nothing: session.c
 * copies what it keeps. */
#ifndef ANAPLAN_OPTIONS_H
#define ANAPLAN_OPTIONS_H

#include <stddef.h>

#include <lua.h>

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

/* Checks the options table at idx and fills o. Raises a "validation"
 * error whose errors field lists every problem as {loc, msg}, with loc
 * "options.<name>" (or "options" for the table as a whole). A secret's
 * value never goes into a message. */
void options_read(lua_State *L, int idx, parsed_options *o);

/* Raises a "validation" error for one problem at loc, in the same form:
 * message "<loc> <msg>" and errors = {{loc = loc, msg = msg}}. */
int options_raise(lua_State *L, const char *loc, const char *msg);

#endif
