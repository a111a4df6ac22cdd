#!/bin/sh
# aigwc explain, golden. Each tests/explain/CASE.expected is the exact output of
#   cd tests/eval && aigwc explain CASE -i CASE/input.jsonl --now NOW
# for the decision case tests/eval/CASE, with NOW from tests/explain/CASE.now when
# present, else the case's own. The exit code must be that of aigwc eval on the same
# input. UPDATE=1 rewrites the expected files (read them by eye before keeping them).
. "$ROOT/tests/e2e/lib.sh"
cd "$ROOT/tests/eval" || { bad "no tests/eval"; finish; exit 1; }
for f in "$ROOT"/tests/explain/*.expected; do
  n=$(basename "$f" .expected)
  now=$(cat "$ROOT/tests/explain/$n.now" 2>/dev/null || cat "$n/now")
  "$AIGWC" explain "$n" -i "$n/input.jsonl" --now "$now" >"$TMP/$n.out" 2>"$TMP/$n.err"
  rc=$?
  [ -n "${UPDATE:-}" ] && cp "$TMP/$n.out" "$f"
  check "explain $n" "$f" "$TMP/$n.out"
  "$AIGWC" eval "$n" -i "$n/input.jsonl" --now "$now" >/dev/null 2>&1
  erc=$?
  [ "$rc" -eq "$erc" ] && ok || bad "explain $n: exit $rc, eval exits $erc"
done
# explain names the reason of an error and reads JSON Lines with aligned records
printf '{"content_filter":"off"}\n\n{"scope":"x","content_filter":"off"}\n' >"$TMP/in.jsonl"
"$AIGWC" explain scope-fail-closed -i "$TMP/in.jsonl" --now 2026-11-22 >"$TMP/jl.out" 2>"$TMP/jl.err"
[ $? -eq 2 ] && ok || bad "explain with a blank line between records exits 2"
grep -c '^== ' "$TMP/jl.out" | grep -qx 3 && ok || bad "explain: one record per line"
grep -q "condition: could not be evaluated: field 'scope' is not set" "$TMP/jl.out" && ok || bad "explain gives the reason of an error"
grep -q "in.jsonl:2: empty line" "$TMP/jl.err" && ok || bad "explain: blank line reported with its line"
finish
