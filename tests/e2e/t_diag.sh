#!/bin/sh
# Golden tests for diagnostics: `aigwc parse NAME.aigw` must exit 1, print nothing on
# stdout, and print exactly tests/diag/NAME.err on stderr. A NAME.gen script instead of a
# NAME.aigw writes the source at test time (for inputs too large to commit).
#   UPDATE=1 sh tests/e2e/t_diag.sh   rewrites the .err files from the current binary;
#   review the diff by eye before committing: the expected files are the specification.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$HERE/../.." && pwd)}
AIGWC=${AIGWC:-$ROOT/build/aigwc}
. "$HERE/lib.sh"
DIR=$ROOT/tests/diag

run() {   # run NAME DIR_WITH_SOURCE
  name=$1; dir=$2
  (cd "$dir" && "$AIGWC" parse "$name.aigw" >"$TMP/$name.stdout" 2>"$TMP/$name.stderr")
  rc=$?
  if [ "${UPDATE:-}" = 1 ]; then cp "$TMP/$name.stderr" "$DIR/$name.err"; fi
  if [ $rc -ne 1 ]; then bad "diag/$name: exit $rc, expected 1"; head -20 "$TMP/$name.stderr"; return; fi
  if [ -s "$TMP/$name.stdout" ]; then bad "diag/$name: printed on stdout"; return; fi
  if [ ! -f "$DIR/$name.err" ]; then bad "diag/$name: no $name.err (run with UPDATE=1)"; return; fi
  check "diag/$name" "$DIR/$name.err" "$TMP/$name.stderr"
}

for src in "$DIR"/*.aigw; do run "$(basename "$src" .aigw)" "$DIR"; done
mkdir -p "$TMP/gen"
for gen in "$DIR"/*.gen; do
  [ -f "$gen" ] || continue
  name=$(basename "$gen" .gen)
  sh "$gen" >"$TMP/gen/$name.aigw" || { bad "diag/$name: generator failed"; continue; }
  run "$name" "$TMP/gen"
done

# Recovery: five broken declarations give exactly five errors, each where it belongs.
n=$(cd "$DIR" && "$AIGWC" parse five_errors.aigw 2>&1 | grep -c ': error: ')
if [ "$n" -eq 5 ]; then ok; else bad "diag/five_errors: $n errors, expected 5"; fi
finish
