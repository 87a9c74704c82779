/* Log levels, the logger call and number formatting. See log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "session_internal.h"

static const char *const log_level_names[] = {"debug", "info", "warn", "error", NULL};

int log_level_from_name(const char *name)
{
    int i;

    for (i = 0; log_level_names[i] != NULL; i++) {
        if (strcmp(name, log_level_names[i]) == 0)
            return i;
    }
    return -1;
}

/* Calls the logger under lua_pcall and drops its errors. Pushing the level
 * and the message before that call can still raise a memory error, which is
 * safe because every caller itself runs under lua_pcall. */
void session_log(lua_State *L, session *s, const char *level, const char *fmt, ...)
{
    va_list ap;
    int rank = log_level_from_name(level);

    if (rank < 0)
        rank = LOG_INFO;
    if (s == NULL || s->logger_ref == LUA_NOREF || rank < s->log_level)
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

const char *log_format_number(char *buffer, size_t size, double n)
{
    if (n > -1e15 && n < 1e15 && n == (double)(long long)n)
        snprintf(buffer, size, "%lld", (long long)n);
    else
        snprintf(buffer, size, "%.14g", n);
    return buffer;
}

