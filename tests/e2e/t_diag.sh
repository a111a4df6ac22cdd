#!/bin/sh
# Golden tests for diagnostics: `aigwc parse NAME.aigw` must exit 1, print nothing on
# stdout, and print exactly tests/diag/NAME.err on stderr. A NAME.gen script instead of a
# NAME.aigw writes the source at test time (for inputs too large to commit).
# tests/diag/compile/ holds the compiler's: `aigwc compile NAME.aigw` (or NAME/, a
# directory of files compiled as one bundle) must exit 1 and print exactly NAME.err.
# tests/diag/cli/ holds the command line's: `aigwc ARGS` with the words of NAME.args
# must exit 2 (a usage error) and print exactly NAME.err.
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

# compile: NAME.aigw or NAME/ in tests/diag/compile
CDIR=$DIR/compile
for src in "$CDIR"/*.aigw "$CDIR"/*/; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .aigw)
  (cd "$CDIR" && "$AIGWC" compile -o "$TMP/$name.aigwb" "$name$( [ -d "$src" ] || echo .aigw)" >"$TMP/c-$name.stdout" 2>"$TMP/c-$name.stderr")
  rc=$?
  if [ "${UPDATE:-}" = 1 ]; then cp "$TMP/c-$name.stderr" "$CDIR/$name.err"; fi
  if [ $rc -ne 1 ]; then bad "diag/compile/$name: exit $rc, expected 1"; head -20 "$TMP/c-$name.stderr"; continue; fi
  if [ -s "$TMP/c-$name.stdout" ]; then bad "diag/compile/$name: printed on stdout"; continue; fi
  if [ ! -f "$CDIR/$name.err" ]; then bad "diag/compile/$name: no $name.err (run with UPDATE=1)"; continue; fi
  check "diag/compile/$name" "$CDIR/$name.err" "$TMP/c-$name.stderr"
done

# command line: NAME.args in tests/diag/cli
for args in "$DIR"/cli/*.args; do
  [ -f "$args" ] || continue
  name=$(basename "$args" .args)
  # shellcheck disable=SC2046  # the words of the file are the arguments
  (cd "$DIR/cli" && "$AIGWC" $(cat "$args") </dev/null >"$TMP/a-$name.stdout" 2>"$TMP/a-$name.stderr")
  rc=$?
  if [ "${UPDATE:-}" = 1 ]; then cp "$TMP/a-$name.stderr" "$DIR/cli/$name.err"; fi
  if [ $rc -ne 2 ]; then bad "diag/cli/$name: exit $rc, expected 2"; head -20 "$TMP/a-$name.stderr"; continue; fi
  if [ -s "$TMP/a-$name.stdout" ]; then bad "diag/cli/$name: printed on stdout"; continue; fi
  if [ ! -f "$DIR/cli/$name.err" ]; then bad "diag/cli/$name: no $name.err (run with UPDATE=1)"; continue; fi
  check "diag/cli/$name" "$DIR/cli/$name.err" "$TMP/a-$name.stderr"
done

# Recovery: five broken declarations give exactly five errors, each where it belongs.
n=$(cd "$DIR" && "$AIGWC" parse five_errors.aigw 2>&1 | grep -c ': error: ')
if [ "$n" -eq 5 ]; then ok; else bad "diag/five_errors: $n errors, expected 5"; fi
finish
