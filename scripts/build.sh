#!/usr/bin/env bash
# Builds the C core into build/anaplan/core.so. Extra arguments go to cmake's
# configure step, e.g. -DANAPLAN_SANITIZE=ON with BUILD_DIR=build-asan.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
