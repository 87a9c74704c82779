#!/usr/bin/env bash
# Prints the exports that let lua5.4 find the SDK in this source tree and
# its CMake build:  eval "$(bash scripts/env.sh)"
root=$(cd "$(dirname "$0")/.." && pwd)
printf 'export LUA_PATH=%q\n' "$root/lua/?.lua;$root/lua/?/init.lua;;"
printf 'export LUA_CPATH=%q\n' "$root/${BUILD_DIR:-build}/?.so;;"
printf 'export PATH=%q\n' "$root/bin:$PATH"
