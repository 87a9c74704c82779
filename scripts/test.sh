#!/usr/bin/env bash
# The README's second command: builds the C core and runs every spec with
# busted. Ends with the line "N passed, N failed"; exits non-zero on any
# failure. Arguments go to busted (e.g. a spec folder, or --filter NAME).
# BUILD_DIR picks another build (the sanitizer pass uses build-asan).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh || exit 1
build_dir=${BUILD_DIR:-build}
if [ -z "${SKIP_BUILD:-}" ]; then
  BUILD_DIR=$build_dir bash scripts/build.sh ${CMAKE_ARGS:-} || { echo "0 passed, 1 failed"; exit 1; }
fi

output=$(mktemp)
trap 'rm -f "$output"' EXIT
# busted's lpath/cpath come from .busted; --cpath overrides the build folder.
${TEST_WRAPPER:-} lua5.4 /usr/bin/busted --cpath="$build_dir/?.so" -o plainTerminal "$@" 2>&1 | tee "$output"
status=${PIPESTATUS[0]}

summary=$(grep -aE '[0-9]+ success(es)? / [0-9]+ failures? / [0-9]+ errors? / [0-9]+ pending' "$output" | tail -n 1)
if [ -z "$summary" ]; then
  echo "busted ended without a summary (exit status $status)"
  echo "0 passed, 1 failed"
  exit 1
fi
read -r passed failures errors < <(echo "$summary" | sed -E 's/^[^0-9]*([0-9]+) success(es)? \/ ([0-9]+) failures? \/ ([0-9]+) errors?.*/\1 \3 \4/')
failed=$((failures + errors))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
