#!/usr/bin/env bash
# Builds fuzz_schema (libFuzzer, ASan, UBSan) with clang into build-fuzz and
# fuzzes the validation engine for FUZZ_SECONDS seconds (60 by default),
# starting from the seeds in fuzz/corpus. New inputs go to
# build-fuzz/corpus, never into the repository. Ends with "1 passed, 0
# failed" or "0 passed, 1 failed"; a crash leaves its input under
# build-fuzz/artifacts/ and prints the command that replays it.
set -uo pipefail
cd "$(dirname "$0")/.."
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}

failed() {
  echo "$1"
  echo "0 passed, 1 failed"
  exit 1
}

command -v clang >/dev/null || failed "clang is missing: install clang and libclang-rt-dev (Debian: clang-14, libclang-rt-14-dev)"
CC=clang cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANAPLAN_FUZZ=ON >/dev/null ||
  failed "configuring $build_dir failed"
cmake --build "$build_dir" --target fuzz_schema -j "$(nproc)" || failed "building fuzz_schema failed"

# Each run keeps its crash inputs in a folder of its own, so a rerun does
# not overwrite the last finding.
artifacts="$build_dir/artifacts/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$build_dir/corpus" "$artifacts"
# -timeout: one input that takes 10 s is a finding (a hang), not slowness;
# -rss_limit_mb: the largest input builds about 2 MiB of strings, so 2 GiB
# of memory is a leak or a runaway allocation.
"$build_dir/fuzz_schema" \
  -max_total_time="$seconds" \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -artifact_prefix="$artifacts/" \
  "$build_dir/corpus" fuzz/corpus
status=$?

if [ "$status" -ne 0 ]; then
  for artifact in "$artifacts"/*; do
    [ -e "$artifact" ] || continue
    echo "replay with: $build_dir/fuzz_schema $artifact"
  done
  failed "fuzz_schema found a problem (exit status $status)"
fi
rmdir "$artifacts" 2>/dev/null
echo "1 passed, 0 failed"
