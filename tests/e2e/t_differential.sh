#!/bin/sh
# aigwc, Cedar and CEL must reach the same decision as the workload generator's own
# reference on every request of a small generated workload (tests/bench/diff_test.sh).
# Skipped, not failed, where node or the npm registry are not available.
. "$ROOT/tests/e2e/lib.sh"
out=$(timeout 300 sh "$ROOT/tests/bench/diff_test.sh" "$BUILD_DIR" 2>&1)
last=$(printf '%s\n' "$out" | tail -n 1)
case "$last" in
  "diff: "*" passed, "*" failed"*)
    p=$(echo "$last" | sed 's/diff: \([0-9]*\) passed.*/\1/')
    f=$(echo "$last" | sed 's/.* \([0-9]*\) failed.*/\1/')
    PASS=$((PASS + p)); FAIL=$((FAIL + f))
    [ "$f" -eq 0 ] || printf '%s\n' "$out" | head -40
    printf '%s\n' "$out" | grep -i "skipped" | sed 's/^/  /' ;;
  *) bad "differential test did not finish: $last"; printf '%s\n' "$out" | tail -20 ;;
esac
finish
