#!/bin/sh
# `aigwc lint`, data-driven (docs/lint.md). Each tests/lint/CASE holds policy/ (the PATH
# linted) and, optionally, rules/ (--rules), args (more options), now (default
# 2026-11-22), rc (the exit code, default 0) and README (what the case shows). Run from
# tests/lint, `aigwc lint --now NOW ARGS [--rules CASE/rules] CASE/policy` must print
# exactly CASE/expected.out (the version written VERSION), and CASE/expected.err on
# stderr (else nothing). A github case also writes its job summary, expected.summary.
# Every SARIF output is validated against the official SARIF 2.1.0 schema
# (tests/lint/validate: ajv, installed from package-lock.json), every JUnit output with
# xmllint. UPDATE=1 rewrites the expected files from what the binary prints; read them
# by eye before keeping them: they are the specification, not a snapshot.
# Then: the shipped rules' own tests, the fact documents against `aigwc eval`, the
# examples in docs/lint.md, and the command line.
. "$ROOT/tests/e2e/lib.sh"
D="$ROOT/tests/lint"
VERSION=$("$AIGWC" --version | sed 's/^aigwc //')
norm() { sed "s/\"$VERSION\"/\"VERSION\"/g; s/aigwc $VERSION/aigwc VERSION/g" "$@"; }

# ---- ajv for the SARIF schema, from the committed lock file
V="$D/validate"
if [ ! -f "$V/node_modules/ajv-draft-04/package.json" ] && command -v npm >/dev/null 2>&1; then
  (cd "$V" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
    echo "t_lint: npm could not install ajv; SARIF is checked for its required properties only"
fi
sarif_valid() {   # sarif_valid NAME FILE
  if ! command -v node >/dev/null 2>&1; then echo "t_lint: no node; $1 not validated"; ok; return; fi
  if node "$V/validate.js" "$2" >"$TMP/validate.out" 2>&1; then ok
  else bad "$1: the SARIF output does not validate"; cat "$TMP/validate.out"; fi
}

cd "$D" || { bad "no $D"; finish; exit 1; }
for dir in */; do
  n=${dir%/}
  [ -d "$n/policy" ] || continue
  now=$(cat "$n/now" 2>/dev/null || echo 2026-11-22)
  args=$(cat "$n/args" 2>/dev/null)
  rules=""
  [ -d "$n/rules" ] && rules="--rules $n/rules"
  rm -f "$TMP/summary.md"
  # shellcheck disable=SC2086  # args and rules are word lists
  GITHUB_STEP_SUMMARY="$TMP/summary.md" "$AIGWC" lint --now "$now" $args $rules "$n/policy" >"$TMP/$n.raw" 2>"$TMP/$n.err"
  rc=$?
  norm "$TMP/$n.raw" >"$TMP/$n.out"
  if [ -n "${UPDATE:-}" ]; then
    cp "$TMP/$n.out" "$n/expected.out"
    if [ -s "$TMP/$n.err" ]; then cp "$TMP/$n.err" "$n/expected.err"; else rm -f "$n/expected.err"; fi
    if [ "$rc" -ne 0 ]; then echo "$rc" >"$n/rc"; else rm -f "$n/rc"; fi
    if [ -s "$TMP/summary.md" ]; then cp "$TMP/summary.md" "$n/expected.summary"; fi
  fi
  check "lint/$n" "$n/expected.out" "$TMP/$n.out"
  if [ -f "$n/expected.err" ]; then check "lint/$n stderr" "$n/expected.err" "$TMP/$n.err"
  elif [ -s "$TMP/$n.err" ]; then bad "lint/$n: unexpected stderr"; cat "$TMP/$n.err"; fi
  want=$(cat "$n/rc" 2>/dev/null || echo 0)
  if [ "$rc" -eq "$want" ]; then ok; else bad "lint/$n: exit $rc, want $want"; fi
  if [ -f "$n/expected.summary" ]; then check "lint/$n job summary" "$n/expected.summary" "$TMP/summary.md"; fi
  case "$args" in
    *"--format sarif"*) sarif_valid "lint/$n" "$TMP/$n.raw" ;;
    *"--format junit"*)
      if xmllint --noout "$TMP/$n.raw" 2>"$TMP/xml.err"; then ok; else bad "lint/$n: JUnit does not parse"; cat "$TMP/xml.err"; fi ;;
  esac
done

# every rule of every case in SARIF too, and JUnit: the formats hold on all the cases
for dir in */; do
  n=${dir%/}
  [ -d "$n/policy" ] || continue
  rules=""
  [ -d "$n/rules" ] && rules="--rules $n/rules"
  # shellcheck disable=SC2086
  "$AIGWC" lint --now 2026-11-22 --format sarif $rules "$n/policy" >"$TMP/all-$n.sarif" 2>/dev/null
  # shellcheck disable=SC2086
  "$AIGWC" lint --now 2026-11-22 --format junit $rules "$n/policy" >"$TMP/all-$n.xml" 2>/dev/null
done
sarif_valid "SARIF of every case" "$TMP"/all-*.sarif
if xmllint --noout "$TMP"/all-*.xml 2>"$TMP/xml.err"; then ok; else bad "JUnit of every case"; head -20 "$TMP/xml.err"; fi

cd "$ROOT" || exit 1

# ---- the shipped rules pass their own tests; a house rule is tested with them
if "$AIGWC" test stdlib-policies/lint >"$TMP/std.out" 2>&1; then ok; else bad "aigwc test stdlib-policies/lint"; tail -n 20 "$TMP/std.out"; fi
# shellcheck disable=SC2046  # one set: the shipped files and the house rule
if "$AIGWC" test $(ls stdlib-policies/lint/*.aigw) tests/lint/user-rules/rules/ticket-format.aigw >"$TMP/user.out" 2>&1 &&
   tail -n 1 "$TMP/user.out" | grep -q '^[1-9][0-9]* passed, 0 failed$'; then ok
else bad "aigwc test with a house rule"; tail -n 20 "$TMP/user.out"; fi

# ---- the fact documents, decided by `aigwc eval` of the same rules, give the same
# findings as lint: one violation or warning per finding
"$AIGWC" lint --now 2026-11-22 --facts "$TMP/facts.jsonl" --format json examples/ai-platform >"$TMP/ex.json" 2>/dev/null
"$AIGWC" eval stdlib-policies/lint -i "$TMP/facts.jsonl" --now 2026-11-22 >"$TMP/ex.dec" 2>/dev/null
from_eval=$(grep -o '"guardrail":"[a-z-]*"' "$TMP/ex.dec" | wc -l)
from_lint=$(grep -c '"rule": "' "$TMP/ex.json")
if [ "$from_eval" -eq "$from_lint" ] && [ "$from_lint" -gt 0 ]; then ok
else bad "facts through eval: $from_eval findings, lint: $from_lint"; fi
if [ "$(wc -l <"$TMP/facts.jsonl")" -eq "$(grep -o '"declarations": [0-9]*' "$TMP/ex.json" | grep -o '[0-9]*$')" ]; then ok
else bad "--facts: one document per declaration"; fi

# ---- the aigw examples in docs/lint.md compile with the shipped rules
awk -v dir="$TMP" '
  /^```aigw[ \t]*$/ { f = dir "/doc-" NR ".aigw"; inb = 1; next }
  /^```/            { if (inb) close(f); inb = 0; next }
  inb               { print > f }' docs/lint.md
nd=0
for f in "$TMP"/doc-*.aigw; do
  [ -f "$f" ] || continue
  nd=$((nd + 1))
  # shellcheck disable=SC2046
  if "$AIGWC" test $(ls stdlib-policies/lint/*.aigw) "$f" >"$TMP/doc.out" 2>&1; then ok
  else bad "docs/lint.md: the aigw block at line $(basename "$f" .aigw | sed 's/doc-//') fails"; tail -n 10 "$TMP/doc.out"; fi
done
if [ "$nd" -ge 2 ]; then ok; else bad "docs/lint.md: only $nd aigw blocks"; fi

# ---- the command line
expect_rc() {   # expect_rc NAME WANT COMMAND...
  name=$1 want=$2; shift 2
  "$@" >"$TMP/rc.out" 2>"$TMP/rc.err"; rc=$?
  if [ "$rc" -eq "$want" ]; then ok; else bad "lint $name: exit $rc, want $want"; cat "$TMP/rc.out" "$TMP/rc.err" | head -20; fi
}
L=tests/lint
expect_rc "clean" 0 "$AIGWC" lint --now 2026-11-22 $L/clean/policy
expect_rc "errors fail" 1 "$AIGWC" lint --now 2026-11-22 $L/exemption-expired/policy
expect_rc "warnings pass by default" 0 "$AIGWC" lint --now 2026-11-22 $L/exemption-overlap/policy
expect_rc "--fail-on warning" 1 "$AIGWC" lint --now 2026-11-22 --fail-on warning $L/exemption-overlap/policy
expect_rc "--fail-on never" 0 "$AIGWC" lint --now 2026-11-22 --fail-on never $L/exemption-expired/policy
expect_rc "no PATH" 2 "$AIGWC" lint
expect_rc "missing PATH" 2 "$AIGWC" lint nope.aigw
expect_rc "unknown format" 2 "$AIGWC" lint --format xml $L/clean/policy
expect_rc "bad --fail-on" 2 "$AIGWC" lint --fail-on sometimes $L/clean/policy
expect_rc "bad --now" 2 "$AIGWC" lint --now 2026/11/22 $L/clean/policy
mkdir -p "$TMP/badrules"
printf 'policy x\nguardrail {\n' >"$TMP/badrules/bad.aigw"
expect_rc "rules that do not compile" 2 "$AIGWC" lint --rules "$TMP/badrules" $L/clean/policy
expect_rc "-o FILE" 1 "$AIGWC" lint --now 2026-11-22 -o "$TMP/o.txt" $L/exemption-expired/policy
if [ ! -s "$TMP/rc.out" ] && grep -q 'exemption-expired' "$TMP/o.txt"; then ok; else bad "lint -o: report not in the file"; fi
# the fingerprint does not move with lines: insert a comment above and compare
mkdir -p "$TMP/moved"
{ printf '# a comment\n# and another\n'; cat $L/exemption-expired/policy/p.aigw; } >"$TMP/moved/p.aigw"
"$AIGWC" lint --now 2026-11-22 --format json $L/exemption-expired/policy | grep '"fingerprint"' >"$TMP/fp1"
"$AIGWC" lint --now 2026-11-22 --format json "$TMP/moved" | grep '"fingerprint"' >"$TMP/fp2"
if [ -s "$TMP/fp1" ] && cmp -s "$TMP/fp1" "$TMP/fp2"; then ok; else bad "fingerprints move with lines"; fi
finish
