#!/bin/sh
# End-to-end tests: each tests/e2e/t_*.sh runs the built aigwc on real files and
# compares what it prints with expected output. Each script prints one line per failed
# case and, last, "PASS n FAIL m". This runner sums them.
# Usage: tests/e2e/run.sh BUILD_DIR
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export AIGWC="$ROOT/$BUILD/aigwc" BUILD_DIR="$ROOT/$BUILD" ROOT
pass=0; fail=0
for t in "$ROOT"/tests/e2e/t_*.sh; do
  [ -f "$t" ] || continue
  out=$(sh "$t" 2>&1)
  last=$(printf '%s\n' "$out" | tail -n 1)
  printf '%s\n' "$out" | sed '$d'
  case "$last" in
    "PASS "*" FAIL "*)
      p=$(echo "$last" | awk '{print $2}'); f=$(echo "$last" | awk '{print $4}')
      pass=$((pass + p)); fail=$((fail + f))
      echo "  $(basename "$t"): $p passed, $f failed" ;;
    *) echo "  $(basename "$t"): did not finish: $last"; fail=$((fail + 1)) ;;
  esac
done
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
