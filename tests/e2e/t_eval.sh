#!/bin/sh
# Data-driven decisions (docs/language.md §8-10). Each tests/eval/CASE holds one or more .aigw
# files, input.jsonl, now (a date, an RFC 3339 timestamp or Unix seconds) and
# expected.jsonl: the exact decision lines of `aigwc eval CASE -i CASE/input.jsonl
# --now NOW`, with the bundle id written "*". Optional: CASE/rc, the exit code when it
# is not simply 1-if-any-deny-else-0, and CASE/expected.stderr (else stderr must be
# empty). tests/eval/README.md lists the cases.
# Every case is also compiled to a bundle and evaluated with -b: the output must be
# byte-identical, bundle id included.
# UPDATE=1 rewrites the expected files from what the binary prints; read them by eye
# before keeping them: they are the specification, not a snapshot. A case with a file
# CASE/pinned (saying why) is never rewritten: its expected output was written by hand
# where the binary disagreed with the specification.
. "$ROOT/tests/e2e/lib.sh"
D="$ROOT/tests/eval"
norm() { sed 's/"bundle":"sha256:[0-9a-f]\{64\}"/"bundle":"*"/' "$@"; }
# stderr: jansson words its own parse errors, so only "invalid JSON" is compared
norm_err() { sed "s/invalid JSON: .*/invalid JSON/" "$@"; }

cd "$D" || { bad "no $D"; finish; exit 1; }
for dir in */; do
  n=${dir%/}
  [ -f "$n/input.jsonl" ] && [ -f "$n/now" ] || continue
  now=$(cat "$n/now")
  "$AIGWC" eval "$n" -i "$n/input.jsonl" --now "$now" >"$TMP/$n.raw" 2>"$TMP/$n.err0"
  rc=$?
  norm_err "$TMP/$n.err0" >"$TMP/$n.err"
  norm "$TMP/$n.raw" >"$TMP/$n.out"
  if [ -n "${UPDATE:-}" ] && [ -f "$n/pinned" ]; then
    echo "UPDATE: $n is pinned, not rewritten: $(head -n 1 "$n/pinned")"
  elif [ -n "${UPDATE:-}" ]; then
    cp "$TMP/$n.out" "$n/expected.jsonl"
    [ -f "$n/expected.stderr" ] && cp "$TMP/$n.err" "$n/expected.stderr"
  fi
  check "$n" "$n/expected.jsonl" "$TMP/$n.out"
  if [ -f "$n/rc" ]; then want=$(cat "$n/rc")
  elif grep -q '"decision":"deny"' "$n/expected.jsonl"; then want=1
  else want=0; fi
  if [ "$rc" -eq "$want" ]; then ok; else bad "$n: exit $rc, want $want"; cat "$TMP/$n.err"; fi
  if [ -f "$n/expected.stderr" ]; then check "$n stderr" "$n/expected.stderr" "$TMP/$n.err"
  elif [ -s "$TMP/$n.err" ]; then bad "$n: unexpected stderr"; cat "$TMP/$n.err"; fi
  # the same decisions from a compiled bundle
  if "$AIGWC" compile -o "$TMP/$n.aigwb" "$n" 2>"$TMP/$n.cerr"; then
    "$AIGWC" eval -b "$TMP/$n.aigwb" -i "$n/input.jsonl" --now "$now" >"$TMP/$n.b.raw" 2>/dev/null
    check "$n via -b" "$TMP/$n.raw" "$TMP/$n.b.raw"
  else bad "$n: compile failed"; cat "$TMP/$n.cerr"; fi
done

# a bundle's id does not depend on how a path was typed
cd "$ROOT" || exit 1
# a lone PATH ending in .aigwb is the bundle, not a source to compile
"$AIGWC" compile -o "$TMP/lone.aigwb" examples/contoso >/dev/null 2>&1
"$AIGWC" eval -b "$TMP/lone.aigwb" -i examples/contoso/requests.jsonl --now 2026-11-22 >"$TMP/lone.b" 2>&1
"$AIGWC" eval "$TMP/lone.aigwb" -i examples/contoso/requests.jsonl --now 2026-11-22 >"$TMP/lone.p" 2>&1
check "eval BUNDLE.aigwb as a path" "$TMP/lone.b" "$TMP/lone.p"

for p in examples/contoso ./examples//contoso/ "$ROOT/examples/contoso" examples/./contoso/models.aigw; do
  "$AIGWC" compile -o "$TMP/typed.aigwb" "$p" 2>&1 | tail -n 1
done >"$TMP/ids"
if [ "$(sort -u "$TMP/ids" | wc -l)" -eq 1 ] && grep -q '^sha256:' "$TMP/ids"; then ok
else bad "bundle id depends on how the path was typed"; cat "$TMP/ids"; fi

# --format table: one aligned line per decision (and per input error), no colour when
# the output is not a terminal
for t in contoso errors; do
  in=examples/contoso/requests.jsonl; [ "$t" = errors ] && in=tests/table/errors.jsonl
  "$AIGWC" eval examples/contoso -i "$in" --now 2026-11-22 --format table >"$TMP/table.out" 2>/dev/null
  check "eval --format table ($t)" tests/table/$t.expected "$TMP/table.out"
done

# every example policy set's own `test` declarations pass. Each set is its own bundle
# (one input schema per bundle), so each directory is tested on its own.
cd "$ROOT" || exit 1
for dir in examples/*/; do
  ls "$dir"*.aigw >/dev/null 2>&1 || continue
  if "$AIGWC" test "$dir" >"$TMP/ex.out" 2>&1; then ok
  else bad "aigwc test $dir"; tail -n 20 "$TMP/ex.out"; fi
done
finish
