#!/bin/sh
# The language reference's examples must be true. Every ```aigw block in
# docs/language.md is a whole source file: it must parse with no diagnostics, and a block
# that declares tests must also pass them (`aigwc test`). Blocks fenced as
# ```aigw-fragment are pieces of a file (an item, an expression) and are skipped, as are
# ```text, ```json and plain ``` blocks.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$HERE/../.." && pwd)}
AIGWC=${AIGWC:-$ROOT/build/aigwc}
. "$HERE/lib.sh"
DOC=$ROOT/docs/language.md
D=$TMP/docs; mkdir -p "$D"

# block N starts at line L: written to $D/L.aigw (named by line, for the messages)
awk -v dir="$D" '
  /^```aigw[ \t]*$/ { f = dir "/" NR ".aigw"; inb = 1; next }
  /^```/            { if (inb) close(f); inb = 0; next }
  inb               { print > f }' "$DOC"

n=0
for f in "$D"/*.aigw; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  line=$(basename "$f" .aigw)
  if "$AIGWC" parse "$f" >/dev/null 2>"$TMP/err" && [ ! -s "$TMP/err" ]; then ok
  else bad "docs/language.md:$line: the aigw block does not parse"; sed 's/^/    /' "$TMP/err" | head -20; continue; fi
  if grep -q '^test "' "$f"; then
    if (cd "$D" && "$AIGWC" test "$line.aigw") >"$TMP/out" 2>&1; then ok
    else bad "docs/language.md:$line: the aigw block's tests fail"; sed 's/^/    /' "$TMP/out" | head -20; fi
  fi
done
# guard against an extraction that silently finds nothing
if [ $n -ge 10 ]; then ok; else bad "docs/language.md: only $n aigw blocks found"; fi
finish
