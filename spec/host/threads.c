/* An embedding host: two threads, each with a lua_State of its own, run the
 * same Lua flow at the same time and close their states; the program exits 0
 * only when both flows succeeded.
 *
 *   threads ROOT BUILD_DIR FLOW_FILE
 *
 * ROOT is the source tree (its lua/ folder goes first on package.path),
 * BUILD_DIR the CMake build whose anaplan/core.so is under test (first on
 * package.cpath), FLOW_FILE the Lua chunk each thread runs with its name as
 * the only argument. Both threads load the same core.so, so this checks
 * that the C core keeps no unguarded process-wide state. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#define THREADS 2

typedef struct worker {
    const char *root;
    const char *build_dir;
    const char *flow_file;
    char name[32];
    int ok;
    char message[1024];
} worker;

/* Message handler: turns any error value into text with a traceback. Error
 * objects of the SDK print through their __tostring. */
static int traceback(lua_State *L)
{
    const char *message = luaL_tolstring(L, 1, NULL);

    luaL_traceback(L, L, message, 1);
    return 1;
}

/* Prepends the tree's Lua folder to package.path and the build folder to
 * package.cpath of L. Runs under lua_pcall (it may raise on memory). */
static int set_search_paths(lua_State *L)
{
    const worker *w = lua_touserdata(L, 1);

    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    lua_pushfstring(L, "%s/lua/?.lua;%s/lua/?/init.lua;%s", w->root, w->root, lua_tostring(L, -1));
    lua_setfield(L, -3, "path");
    lua_pop(L, 1);

    lua_getfield(L, -1, "cpath");
    lua_pushfstring(L, "%s/?.so;%s", w->build_dir, lua_tostring(L, -1));
    lua_setfield(L, -3, "cpath");
    lua_pop(L, 2);
    return 0;
}

/* Runs the flow in a new state, records the outcome in w and closes the
 * state. Never raises: every Lua call runs under lua_pcall. */
static void *run_worker(void *arg)
{
    worker *w = arg;
    lua_State *L = luaL_newstate();
    int status;

    if (L == NULL) {
        snprintf(w->message, sizeof w->message, "luaL_newstate failed: out of memory");
        return NULL;
    }
    luaL_openlibs(L);

    lua_pushcfunction(L, traceback);
    lua_pushcfunction(L, set_search_paths);
    lua_pushlightuserdata(L, w);
    status = lua_pcall(L, 1, 0, 1);
    if (status == LUA_OK)
        status = luaL_loadfile(L, w->flow_file);
    if (status == LUA_OK) {
        lua_pushstring(L, w->name);
        status = lua_pcall(L, 1, 0, 1);
    }

    if (status == LUA_OK) {
        w->ok = 1;
    } else {
        const char *message = lua_tostring(L, -1);

        snprintf(w->message, sizeof w->message, "%s", message ? message : "(an error without text)");
    }
    lua_close(L);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t threads[THREADS];
    worker workers[THREADS];
    int i, started = 0, failures = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: %s ROOT BUILD_DIR FLOW_FILE\n", argv[0]);
        return 2;
    }

    memset(workers, 0, sizeof workers);
    for (i = 0; i < THREADS; i++) {
        workers[i].root = argv[1];
        workers[i].build_dir = argv[2];
        workers[i].flow_file = argv[3];
        snprintf(workers[i].name, sizeof workers[i].name, "thread-%d", i + 1);
        if (pthread_create(&threads[i], NULL, run_worker, &workers[i]) != 0) {
            fprintf(stderr, "%s: pthread_create failed\n", workers[i].name);
            break;
        }
        started++;
    }
    for (i = 0; i < started; i++)
        pthread_join(threads[i], NULL);

    for (i = 0; i < THREADS; i++) {
        if (workers[i].ok) {
            printf("%s: ok\n", workers[i].name);
        } else {
            printf("%s: failed: %s\n", workers[i].name,
                   i < started ? workers[i].message : "the thread was not started");
            failures++;
        }
    }
    return failures == 0 ? 0 : 1;
}
