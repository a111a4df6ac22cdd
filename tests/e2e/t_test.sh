#!/bin/sh
# `aigwc test`, data-driven. Each tests/test/CASE is a policy set (or a directory of
# them) with its `test` declarations; `aigwc test [ARGS] CASE`, run from tests/test,
# must print exactly CASE/expected.out on stdout and CASE/expected.err on stderr (else
# nothing) and exit with CASE/rc (else 0). CASE/args holds extra options, like -v.
# UPDATE=1 rewrites expected.out and expected.err from what the binary prints; read
# them by eye before keeping them: they are the specification, not a snapshot.
# Then the command line itself: usage errors, sets named on the command line, and the
# shipped examples tested in one run.
. "$ROOT/tests/e2e/lib.sh"
D="$ROOT/tests/test"

cd "$D" || { bad "no $D"; finish; exit 1; }
for dir in */; do
  n=${dir%/}
  args=$(cat "$n/args" 2>/dev/null)
  # shellcheck disable=SC2086  # args is a word list
  "$AIGWC" test $args "$n" >"$TMP/$n.out" 2>"$TMP/$n.err"
  rc=$?
  if [ -n "${UPDATE:-}" ]; then
    cp "$TMP/$n.out" "$n/expected.out"
    if [ -s "$TMP/$n.err" ]; then cp "$TMP/$n.err" "$n/expected.err"; else rm -f "$n/expected.err"; fi
  fi
  check "test/$n stdout" "$n/expected.out" "$TMP/$n.out"
  if [ -f "$n/expected.err" ]; then check "test/$n stderr" "$n/expected.err" "$TMP/$n.err"
  elif [ -s "$TMP/$n.err" ]; then bad "test/$n: unexpected stderr"; cat "$TMP/$n.err"; fi
  want=$(cat "$n/rc" 2>/dev/null || echo 0)
  if [ "$rc" -eq "$want" ]; then ok; else bad "test/$n: exit $rc, want $want"; fi
done

# exit codes: 0 all pass, 1 a failure or a compile error, 2 usage
expect_rc() {   # expect_rc NAME WANT COMMAND...
  name=$1 want=$2; shift 2
  "$@" >"$TMP/rc.out" 2>"$TMP/rc.err"; rc=$?
  if [ "$rc" -eq "$want" ]; then ok; else bad "test $name: exit $rc, want $want"; cat "$TMP/rc.out" "$TMP/rc.err"; fi
}
mkdir -p "$TMP/empty"
expect_rc "passing set" 0 "$AIGWC" test sets/b
expect_rc "failing test" 1 "$AIGWC" test many-failures
expect_rc "compile error" 1 "$AIGWC" test no-now
expect_rc "no PATH" 2 "$AIGWC" test
expect_rc "unknown option" 2 "$AIGWC" test --frobnicate sets
expect_rc "missing PATH" 2 "$AIGWC" test nope.aigw
expect_rc "directory without .aigw files" 2 "$AIGWC" test "$TMP/empty"
# files named on the command line are one set: two schemas in one set do not compile
expect_rc "named files, one set" 1 "$AIGWC" test sets/top.aigw sets/a/policy.aigw
if head -n 1 "$TMP/rc.out" | grep -qx '== sets/top.aigw sets/a/policy.aigw'; then ok
else bad "test: named files are not one set"; cat "$TMP/rc.out"; fi

# the shipped examples declare different schemas: tested in one run, one set each
cd "$ROOT" || exit 1
expect_rc "examples/" 0 "$AIGWC" test examples/
sets=$(grep -c '^== examples/' "$TMP/rc.out")
if [ "$sets" -ge 2 ] && tail -n 1 "$TMP/rc.out" | grep -q '^[1-9][0-9]* passed, 0 failed$'; then ok
else bad "test examples/: $sets sets"; cat "$TMP/rc.out"; fi
finish
