#!/bin/sh
# The packs of stdlib-policies/ (stdlib-policies/README.md). Each pack PACK (a
# directory with params.aigw) is compiled with the schema it imports
# (stdlib-policies/request/request.aigw, or resource/resource.aigw for a pack that
# imports aigw.resource), its policies and its worked-example parameters,
# and must: pass its own tests with full coverage, be formatted, lint clean, and
# decide PACK/requests.jsonl exactly as the first ```text block of PACK/README.md shows.
# tests/stdlib/PACK/ holds a team's own parameters, compiled with the pack unchanged in
# place of params.aigw: its decisions are tests/stdlib/PACK/expected.table.
. "$ROOT/tests/e2e/lib.sh"
cd "$ROOT" || exit 1
NOW=2026-11-22
for s in stdlib-policies/request/request.aigw stdlib-policies/resource/resource.aigw; do
  "$AIGWC" fmt --check "$s" >"$TMP/fmt" 2>&1 && ok || { bad "fmt --check $s"; cat "$TMP/fmt"; }
done
for dir in stdlib-policies/*/; do
  p=$(basename "$dir")
  [ -f "$dir/params.aigw" ] || continue
  SCHEMA=stdlib-policies/request/request.aigw
  grep -q '^import aigw.resource$' "$dir$p.aigw" && SCHEMA=stdlib-policies/resource/resource.aigw
  files="$SCHEMA $(ls "$dir"*.aigw)"
  # shellcheck disable=SC2086
  if "$AIGWC" test --coverage --min-coverage 100% $files >"$TMP/$p.test" 2>&1; then ok
  else bad "$p: aigwc test --coverage"; tail -n 20 "$TMP/$p.test"; fi
  # shellcheck disable=SC2086
  if "$AIGWC" fmt --check $files >"$TMP/$p.fmt" 2>&1; then ok
  else bad "$p: not formatted"; cat "$TMP/$p.fmt"; fi
  # shellcheck disable=SC2086
  if "$AIGWC" lint --now "$NOW" $files >"$TMP/$p.lint" 2>&1; then ok
  else bad "$p: lint findings"; cat "$TMP/$p.lint"; fi
  [ -f "$dir/README.md" ] && ok || bad "$p: no README.md"
  # the worked example of the README
  pol=$(ls "$dir"*.aigw | grep -v '/tests\.aigw$')
  # shellcheck disable=SC2086
  "$AIGWC" eval $SCHEMA $pol -i "$dir/requests.jsonl" --now "$NOW" --format table >"$TMP/$p.table" 2>&1
  awk '/^```text$/ { on = 1; next } on && /^```$/ { exit } on' "$dir/README.md" >"$TMP/$p.readme"
  check "$p: README's worked example" "$TMP/$p.readme" "$TMP/$p.table"
  # a team's own parameters, the pack unchanged
  t=tests/stdlib/$p
  if [ -f "$t/params.aigw" ]; then
    pack=$(ls "$dir"*.aigw | grep -v '/tests\.aigw$' | grep -v '/params\.aigw$')
    # shellcheck disable=SC2086
    "$AIGWC" eval $SCHEMA $pack "$t/params.aigw" -i "$t/requests.jsonl" --now "$NOW" --format table >"$TMP/$p.team" 2>&1
    check "$p: a team's own parameters" "$t/expected.table" "$TMP/$p.team"
  fi
done
finish
