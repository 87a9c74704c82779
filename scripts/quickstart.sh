#!/usr/bin/env bash
# The README's first command: installs what is missing, builds the C core,
# and runs examples/quickstart.lua, against a fresh local emulator unless
# credentials or ANAPLAN_CLOUDWORKS_URL are set (see examples/support.lua).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
export LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;"
export LUA_CPATH="$PWD/build/?.so;;"
exec lua5.4 examples/quickstart.lua
