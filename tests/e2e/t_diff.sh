#!/bin/sh
# `aigwc diff` (docs/lint.md §8): the shipped example against a copy with one guardrail
# tightened (tests/diff/README.md). The report must be exactly tests/diff/tighten.*,
# and must list exactly the inputs whose decision an independent replay (aigwc eval of
# each version) sees change. Then decision-log lines, bundles as versions, identical
# versions, a schema change, and the exit codes. UPDATE=1 rewrites the expected files.
. "$ROOT/tests/e2e/lib.sh"
D="$ROOT/tests/diff"
cd "$ROOT" || exit 1
OLD=examples/ai-platform
IN=$OLD/requests.jsonl
NEW="$TMP/new"
cp -r "$OLD" "$NEW"
sed -i '/^  mode dry-run$/d' "$NEW/guardrails.aigw"
if cmp -s "$OLD/guardrails.aigw" "$NEW/guardrails.aigw"; then bad "diff: the tightening edit did not apply"; fi
newname() { sed "s|$NEW|NEW|g" "$@"; }

"$AIGWC" diff $OLD "$NEW" --inputs $IN --now 2026-11-22 --examples 0 >"$TMP/t.raw" 2>"$TMP/t.err"
rc=$?
newname "$TMP/t.raw" >"$TMP/t.out"
"$AIGWC" diff $OLD "$NEW" --inputs $IN --now 2026-11-22 --examples 0 --format json >"$TMP/t.json" 2>/dev/null
if [ -n "${UPDATE:-}" ]; then cp "$TMP/t.out" "$D/tighten.expected"; cp "$TMP/t.json" "$D/tighten.json"; fi
check "diff tighten" "$D/tighten.expected" "$TMP/t.out"
check "diff tighten json" "$D/tighten.json" "$TMP/t.json"
if [ "$rc" -eq 0 ] && [ ! -s "$TMP/t.err" ]; then ok; else bad "diff tighten: exit $rc"; cat "$TMP/t.err"; fi

# the independent replay: the lines whose decision differs between the two versions
"$AIGWC" eval $OLD -i $IN --now 2026-11-22 2>/dev/null | grep -o '"decision":"[a-z]*"' >"$TMP/old.dec"
"$AIGWC" eval "$NEW" -i $IN --now 2026-11-22 2>/dev/null | grep -o '"decision":"[a-z]*"' >"$TMP/new.dec"
paste -d' ' "$TMP/old.dec" "$TMP/new.dec" | awk '$1 != $2 { print NR }' >"$TMP/changed.want"
sed -n '/^\(allow-to-deny\|deny-to-allow\) /,/^[a-z]/p' "$TMP/t.out" | sed -n 's/^  line \([0-9]*\): .*/\1/p' | sort -n | uniq >"$TMP/changed.got"
if [ -s "$TMP/changed.want" ] && cmp -s "$TMP/changed.want" "$TMP/changed.got"; then ok
else bad "diff: decision changes differ from the replay"; echo "replay:"; cat "$TMP/changed.want"; echo "diff:"; cat "$TMP/changed.got"; fi

# decision-log lines (the request under "input") report the same changes
awk '{ printf "{\"time\":\"2026-11-22T10:00:00Z\",\"decision\":\"allow\",\"input\":%s}\n", $0 }' $IN >"$TMP/log.jsonl"
"$AIGWC" diff $OLD "$NEW" --inputs "$TMP/log.jsonl" --now 2026-11-22 --examples 0 | newname | sed 1d >"$TMP/log.out"
sed 1d "$TMP/t.out" >"$TMP/t.body"
check "diff of decision-log lines" "$TMP/t.body" "$TMP/log.out"

# a compiled bundle is a version too
"$AIGWC" compile -o "$TMP/old.aigwb" $OLD 2>/dev/null
"$AIGWC" diff "$TMP/old.aigwb" "$NEW" --inputs $IN --now 2026-11-22 --examples 0 | newname | sed 1d >"$TMP/b.out"
check "diff with a bundle" "$TMP/t.body" "$TMP/b.out"

# identical versions: nothing changes
"$AIGWC" diff $OLD $OLD --inputs $IN --now 2026-11-22 >"$TMP/same.out" 2>&1
if grep -q ': 9 inputs, 0 decided differently$' "$TMP/same.out" && [ "$(wc -l <"$TMP/same.out")" -eq 1 ]; then ok
else bad "diff of identical versions"; cat "$TMP/same.out"; fi

# a schema change that refuses some inputs
cp -r "$OLD" "$TMP/schema"
sed -i 's/^\(  *\)max_output_tokens: int/\1max_output_tokens: string/' "$TMP/schema/schema.aigw"
sed -i 's/request.max_output_tokens > 8_000/request.max_output_tokens == "big"/' "$TMP/schema/guardrails.aigw"
"$AIGWC" diff $OLD "$TMP/schema" --inputs $IN --now 2026-11-22 >"$TMP/schema.out" 2>&1
if grep -q '^input-rejected  *9$' "$TMP/schema.out"; then ok; else bad "diff: a schema change"; cat "$TMP/schema.out"; fi

# exit codes
expect_rc() {   # expect_rc NAME WANT COMMAND...
  name=$1 want=$2; shift 2
  "$@" >"$TMP/rc.out" 2>"$TMP/rc.err"; rc=$?
  if [ "$rc" -eq "$want" ]; then ok; else bad "diff $name: exit $rc, want $want"; cat "$TMP/rc.out" "$TMP/rc.err" | head; fi
}
expect_rc "--fail-on decision" 1 "$AIGWC" diff $OLD "$NEW" --inputs $IN --now 2026-11-22 --fail-on decision
expect_rc "--fail-on deny-to-allow" 0 "$AIGWC" diff $OLD "$NEW" --inputs $IN --now 2026-11-22 --fail-on deny-to-allow
expect_rc "--fail-on two kinds" 1 "$AIGWC" diff $OLD "$NEW" --inputs $IN --now 2026-11-22 --fail-on waiver-lost,route-changed
expect_rc "--fail-on any" 1 "$AIGWC" diff $OLD "$NEW" --inputs $IN --now 2026-11-22 --fail-on any
expect_rc "unknown kind" 2 "$AIGWC" diff $OLD "$NEW" --inputs $IN --fail-on everything
expect_rc "no inputs" 2 "$AIGWC" diff $OLD "$NEW"
expect_rc "one version" 2 "$AIGWC" diff $OLD --inputs $IN
expect_rc "missing inputs file" 2 "$AIGWC" diff $OLD "$NEW" --inputs "$TMP/none.jsonl"
expect_rc "a version that does not compile" 1 "$AIGWC" diff $OLD tests/lint/compile-error/policy --inputs $IN
finish
