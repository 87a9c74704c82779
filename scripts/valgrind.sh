#!/usr/bin/env bash
# The valgrind pass: runs every spec with the normal build, with busted's
# lua5.4 process under memcheck. Arguments go to busted, as with
# scripts/test.sh. Ends with the line "N passed, N failed", where one more
# failure is counted when memcheck reported an error or a block that was
# definitely lost.
#
# Programs busted starts are not traced (--trace-children=no): the emulator
# is pure Lua on luv and not under test. The embedding host spec runs its
# host under memcheck itself, through ANAPLAN_HOST_WRAPPER.
set -uo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || {
  echo "valgrind is missing (Debian: valgrind)"
  echo "0 passed, 1 failed"
  exit 1
}

logs=$(mktemp -d)
output=$(mktemp)
trap 'rm -rf "$logs" "$output"' EXIT

memcheck=(
  valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite
  --error-exitcode=99 --suppressions=spec/valgrind.supp --trace-children=no
  --num-callers=30 --keep-debuginfo=yes
)
export ANAPLAN_HOST_WRAPPER="${memcheck[*]} --log-file=$logs/host.%p.log"

# The summary line of scripts/test.sh is renamed, so that the one this
# script prints last is the only line of the form "N passed, N failed".
TEST_WRAPPER="${memcheck[*]} --log-file=$logs/busted.%p.log" bash scripts/test.sh "$@" 2>&1 |
  sed -uE 's/^([0-9]+) passed, ([0-9]+) failed$/specs: \1 passed, \2 failed/' | tee "$output"
status=${PIPESTATUS[0]}

summary=$(grep -aE '^specs: [0-9]+ passed, [0-9]+ failed$' "$output" | tail -n 1)
passed=0
failed=1
if [ -n "$summary" ]; then
  read -r passed failed < <(echo "$summary" | sed -E 's/^specs: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/')
fi
# A log with errors contains "ERROR SUMMARY: N errors" with N > 0 (definite
# leaks count as errors because of --errors-for-leak-kinds=definite), or a
# line saying the process was killed by a signal. A process that forks and
# then runs another program leaves a log for the child without a summary,
# since memcheck stops following the child at exec.
dirty=0
for log in "$logs"/*.log; do
  [ -e "$log" ] || continue
  if grep -qE 'ERROR SUMMARY: [1-9]|Process terminating with default action' "$log"; then
    dirty=1
    echo "=== memcheck report $(basename "$log")"
    cat "$log"
  fi
done
if [ "$dirty" -eq 1 ]; then
  echo "memcheck reported errors: failing the pass"
  failed=$((failed + 1))
elif [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "scripts/test.sh exited with status $status"
  failed=1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
