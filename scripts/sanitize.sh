#!/usr/bin/env bash
# The sanitizer pass: builds the C core with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-asan and runs every spec against it.
# Arguments go to busted, as with scripts/test.sh. Ends with the line
# "N passed, N failed"; any sanitizer report, from busted's process or from
# a program a spec starts, counts as one more failure.
#
# lua5.4 is not instrumented, so the ASan runtime must be preloaded into
# every lua5.4 process that may load the sanitized core.so: busted, and the
# examples and emulators that specs start. A lua5.4 wrapper first on PATH
# does that. Other programs must not inherit the preload (gcc and openssl
# are not under test, and the embedding host links the runtime itself), so
# LUA_INIT_5_4 removes LD_PRELOAD from each lua5.4's environment as soon as
# it starts, once the runtime is loaded.
set -uo pipefail
cd "$(dirname "$0")/.."

failed_to_start() {
  echo "$1"
  echo "0 passed, 1 failed"
  exit 1
}

asan_runtime=$(gcc -print-file-name=libasan.so)
[ -e "$asan_runtime" ] || failed_to_start "the ASan runtime of gcc is missing (Debian: libasan8)"
lua=$(command -v lua5.4) || failed_to_start "lua5.4 is missing (Debian: lua5.4)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/reports"

# busted's lua_close unloads core.so before LeakSanitizer runs at exit, so
# leak stacks inside it read "<unknown module>". SANITIZE_KEEP_CORE=1 also
# preloads core.so, which keeps it mapped and names its functions; use it on
# one spec file to read a leak. It is off by default because, with the ASan
# runtime in an uninstrumented lua5.4 (gcc 12), busted then hung at exit
# after spec/emulator/auth_spec.lua, in libp11-kit's destructor (freelocale).
preload=$asan_runtime
if [ -n "${SANITIZE_KEEP_CORE:-}" ]; then
  preload="$preload:$PWD/build-asan/anaplan/core.so"
fi
cat >"$work/bin/lua5.4" <<EOF
#!/bin/sh
LD_PRELOAD='$preload' exec '$lua' "\$@"
EOF
chmod +x "$work/bin/lua5.4"

# LeakSanitizer reports memory that nothing points to any more when a
# process exits. No entry is needed today: lua5.4 closes its state and
# libcurl's global data stays reachable. Add one line per allocation made
# once per process by lua5.4 or libcurl, with a comment that explains why.
cat >"$work/lsan.supp" <<'EOF'
EOF

export PATH="$work/bin:$PATH"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:log_path=$work/reports/asan"
export LSAN_OPTIONS="suppressions=$work/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Line buffering keeps busted's summary when LeakSanitizer ends the process
# with _exit, which skips flushing stdout.
export LUA_INIT_5_4="require('luv').os_unsetenv('LD_PRELOAD'); io.stdout:setvbuf('line')"

# The summary line of scripts/test.sh is renamed, so that the one this
# script prints last is the only line of the form "N passed, N failed".
BUILD_DIR=build-asan CMAKE_ARGS=-DANAPLAN_SANITIZE=ON bash scripts/test.sh "$@" 2>&1 |
  sed -uE 's/^([0-9]+) passed, ([0-9]+) failed$/specs: \1 passed, \2 failed/' | tee "$work/output"
status=${PIPESTATUS[0]}

summary=$(grep -aE '^specs: [0-9]+ passed, [0-9]+ failed$' "$work/output" | tail -n 1)
passed=0
failed=1
if [ -n "$summary" ]; then
  read -r passed failed < <(echo "$summary" | sed -E 's/^specs: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/')
fi

found=0
for report in "$work"/reports/*; do
  [ -e "$report" ] || continue
  found=1
  echo "=== sanitizer report $(basename "$report")"
  cat "$report"
done
# UBSan's runtime (libubsan, loaded with core.so) ignores log_path next to
# a preloaded ASan and writes to stderr, which test.sh captured.
if grep -aqE ': runtime error: |==[0-9]+==ERROR: [A-Za-z]+Sanitizer' "$work/output"; then
  found=1
  echo "=== sanitizer reports in the spec output:"
  grep -aE ': runtime error: |==[0-9]+==ERROR: [A-Za-z]+Sanitizer' "$work/output"
fi
if [ "$found" -eq 1 ]; then
  echo "sanitizers reported problems: failing the pass"
  failed=$((failed + 1))
elif [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "scripts/test.sh exited with status $status"
  failed=1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
