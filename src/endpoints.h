/* The CloudWorks operations as one table of rows, and the dispatcher. */
#ifndef ANAPLAN_ENDPOINTS_H
#define ANAPLAN_ENDPOINTS_H

#include <lua.h>

/* Adds call(session, operation, args) and operations() to the module table
 * on top of the stack. */
void endpoints_register(lua_State *L);

#endif
