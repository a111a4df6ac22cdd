#!/bin/sh
# Golden tests for the parser: tests/parse/NAME.aigw must parse with no diagnostics and
# `aigwc parse --ast` must print exactly tests/parse/NAME.ast.
#   UPDATE=1 sh tests/e2e/t_parse.sh   rewrites the .ast files from the current binary;
#   review the diff by eye before committing: the expected files are the specification.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$HERE/../.." && pwd)}
AIGWC=${AIGWC:-$ROOT/build/aigwc}
. "$HERE/lib.sh"
DIR=$ROOT/tests/parse

for src in "$DIR"/*.aigw; do
  name=$(basename "$src" .aigw)
  # run from the directory so that positions print with the bare file name
  (cd "$DIR" && "$AIGWC" parse --ast "$name.aigw" >"$TMP/$name.out" 2>"$TMP/$name.err")
  rc=$?
  if [ "${UPDATE:-}" = 1 ]; then cp "$TMP/$name.out" "$DIR/$name.ast"; fi
  if [ $rc -ne 0 ] || [ -s "$TMP/$name.err" ]; then
    bad "parse/$name: exit $rc"; head -20 "$TMP/$name.err"; continue
  fi
  if [ ! -f "$DIR/$name.ast" ]; then bad "parse/$name: no $name.ast (run with UPDATE=1)"; continue; fi
  check "parse/$name" "$DIR/$name.ast" "$TMP/$name.out"
done
finish
