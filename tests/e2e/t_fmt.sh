#!/bin/sh
# aigwc fmt: golden layouts, rewriting in place, --check, stdin, syntax errors, exit codes.
. "$ROOT/tests/e2e/lib.sh"
D="$ROOT/tests/fmt"

# expect_rc NAME WANT COMMAND...: runs the command, stdout to $TMP/out, stderr to $TMP/err
expect_rc() {
  name=$1 want=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
  if [ "$rc" -eq "$want" ]; then ok; else bad "$name: exit $rc, want $want"; cat "$TMP/err"; fi
}

# golden: every tests/fmt/NAME.aigw prints as NAME.expected, which is a fixed point
for f in "$D"/*.aigw; do
  n=$(basename "$f" .aigw)
  "$AIGWC" fmt --stdout "$f" >"$TMP/$n.out" 2>&1
  check "golden $n" "$D/$n.expected" "$TMP/$n.out"
  cp "$D/$n.expected" "$TMP/$n-canon.aigw"
  expect_rc "check canonical $n" 0 "$AIGWC" fmt --check "$TMP/$n-canon.aigw"
  [ -s "$TMP/out" ] && bad "check canonical $n printed $(cat "$TMP/out")" || ok
done

# the shipped examples are in canonical form
expect_rc "examples canonical" 0 "$AIGWC" fmt --check "$ROOT/examples"
[ -s "$TMP/out" ] && bad "examples not canonical: $(cat "$TMP/out")" || ok

# a condition broken with the operators at the line ends prints as one broken with them
# at the line starts
printf 'guardrail g {\n  deny when a and\n      b or\n  c\n}\n' >"$TMP/ends.aigw"
printf 'guardrail g {\n  deny when a\n  and b\n      or c\n}\n' >"$TMP/starts.aigw"
printf 'guardrail g {\n  deny when a\n    and b\n    or c\n}\n' >"$TMP/want"
expect_rc "operators at line ends" 0 "$AIGWC" fmt --stdout "$TMP/ends.aigw"
check "operators at line ends" "$TMP/want" "$TMP/out"
expect_rc "operators at line starts" 0 "$AIGWC" fmt --stdout "$TMP/starts.aigw"
check "operators at line starts" "$TMP/want" "$TMP/out"

# --check: names the files that would change, changes nothing, exits 1
cp "$D/spacing.aigw" "$TMP/messy.aigw"
expect_rc "check messy" 1 "$AIGWC" fmt --check "$TMP/messy.aigw"
echo "$TMP/messy.aigw" >"$TMP/want"; check "check prints the name" "$TMP/want" "$TMP/out"
check "check leaves the file" "$D/spacing.aigw" "$TMP/messy.aigw"

# --stdout changes nothing either
expect_rc "stdout" 0 "$AIGWC" fmt --stdout "$TMP/messy.aigw"
check "stdout text" "$D/spacing.expected" "$TMP/out"
check "stdout leaves the file" "$D/spacing.aigw" "$TMP/messy.aigw"

# default: rewrite in place, keeping the mode; a second run writes nothing
chmod 640 "$TMP/messy.aigw"
expect_rc "rewrite" 0 "$AIGWC" fmt "$TMP/messy.aigw"
check "rewritten text" "$D/spacing.expected" "$TMP/messy.aigw"
[ "$(stat -c %a "$TMP/messy.aigw")" = 640 ] && ok || bad "rewrite changed the mode"
touch -d '2001-01-01' "$TMP/messy.aigw"
expect_rc "rewrite again" 0 "$AIGWC" fmt "$TMP/messy.aigw"
[ "$(stat -c %Y "$TMP/messy.aigw")" = "$(date -d 2001-01-01 +%s)" ] && ok || bad "unchanged file was rewritten"
ls "$TMP" | grep -q 'fmt-' && bad "temporary file left behind" || ok

# a symbolic link is followed, not replaced
cp "$D/parens.aigw" "$TMP/target.aigw"; ln -s "$TMP/target.aigw" "$TMP/link.aigw"
expect_rc "symlink" 0 "$AIGWC" fmt "$TMP/link.aigw"
[ -L "$TMP/link.aigw" ] && ok || bad "symlink was replaced by a file"
check "symlink target rewritten" "$D/parens.expected" "$TMP/target.aigw"

# a directory means every .aigw file below it
mkdir -p "$TMP/dir/sub"
cp "$D/comments.aigw" "$TMP/dir/a.aigw"; cp "$D/tests.aigw" "$TMP/dir/sub/b.aigw"
echo "not aigw" >"$TMP/dir/notes.txt"
expect_rc "check dir" 1 "$AIGWC" fmt --check "$TMP/dir"
printf '%s\n' "$TMP/dir/a.aigw" "$TMP/dir/sub/b.aigw" >"$TMP/want"; check "check dir names" "$TMP/want" "$TMP/out"
expect_rc "rewrite dir" 0 "$AIGWC" fmt "$TMP/dir"
check "dir a" "$D/comments.expected" "$TMP/dir/a.aigw"
check "dir b" "$D/tests.expected" "$TMP/dir/sub/b.aigw"
expect_rc "check dir after" 0 "$AIGWC" fmt --check "$TMP/dir"

# '-' reads standard input and prints
expect_rc "stdin" 0 sh -c '"$0" fmt - <"$1"' "$AIGWC" "$D/sets.aigw"
check "stdin text" "$D/sets.expected" "$TMP/out"
expect_rc "stdin check changed" 1 sh -c '"$0" fmt --check - <"$1"' "$AIGWC" "$D/sets.aigw"
expect_rc "stdin check clean" 0 sh -c '"$0" fmt --check - <"$1"' "$AIGWC" "$D/sets.expected"

# syntax errors: reported, file untouched, exit 2; other files are still formatted
printf 'policy p\nguardrail g {\n  severity\n}\n' >"$TMP/broken.aigw"
cp "$TMP/broken.aigw" "$TMP/broken.orig"
cp "$D/parens.aigw" "$TMP/fine.aigw"
expect_rc "syntax error" 2 "$AIGWC" fmt "$TMP/broken.aigw" "$TMP/fine.aigw"
grep -q "broken.aigw:4:1: error" "$TMP/err" && ok || { bad "no diagnostic for the syntax error"; cat "$TMP/err"; }
check "broken file untouched" "$TMP/broken.orig" "$TMP/broken.aigw"
check "other file formatted" "$D/parens.expected" "$TMP/fine.aigw"
expect_rc "syntax error --check" 2 "$AIGWC" fmt --check "$TMP/broken.aigw"

# usage errors
expect_rc "no paths" 2 "$AIGWC" fmt
expect_rc "unknown option" 2 "$AIGWC" fmt --frobnicate "$TMP/fine.aigw"
expect_rc "check with stdout" 2 "$AIGWC" fmt --check --stdout "$TMP/fine.aigw"
expect_rc "stdin among paths" 2 "$AIGWC" fmt - "$TMP/fine.aigw"
expect_rc "missing file" 2 "$AIGWC" fmt "$TMP/nope.aigw"
expect_rc "help" 0 "$AIGWC" fmt --help
grep -q "usage: aigwc fmt" "$TMP/out" && ok || bad "fmt --help prints no usage"

finish
