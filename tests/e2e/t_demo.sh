#!/bin/sh
# `make demo` (tools/demo.sh): the first run's screen. It must show each of its four
# parts with real content, stay plain (no escape codes) when not on a terminal, exit 0,
# and take well under the 10 seconds a newcomer is promised. The README opens with the
# same screen: when examples/ai-platform changes, paste the new output there.
. "$ROOT/tests/e2e/lib.sh"
cd "$ROOT" || exit 1
start=$(date +%s)
sh tools/demo.sh "$AIGWC" >"$TMP/demo.out" 2>"$TMP/demo.err"; rc=$?
secs=$(( $(date +%s) - start ))
if [ "$rc" -eq 0 ]; then ok; else bad "demo: exit $rc"; cat "$TMP/demo.err"; fi
if [ "$secs" -lt 10 ]; then ok; else bad "demo took ${secs}s (limit 10s)"; fi
if [ -s "$TMP/demo.err" ]; then bad "demo wrote to stderr"; cat "$TMP/demo.err"; else ok; fi
# each line is one thing the screen must show
while IFS= read -r want; do
  if grep -qF -- "$want" "$TMP/demo.out"; then ok; else bad "demo lacks: $want"; fi
done <<'WANT'
22 passed, 0 failed
examples/ai-platform/exemptions.aigw:46:1: error: exemption EXC-090 expired on 2026-10-31
  ^~~~~~~~~
aigwc lint: 4 errors, 2 warnings
4 exemptions: 3 active, 1 expired
  EXC-090    expired  -22d
LINE  DECISION FIRED
    2 deny     model-catalog
    3 allow    output-cap                   model-catalog by EXC-101 until 2027-03-31
WANT
if grep -q "$(printf '\033')" "$TMP/demo.out"; then bad "demo: colour codes in a pipe"; else ok; fi
# one screen: at most 60 lines
n=$(wc -l <"$TMP/demo.out")
if [ "$n" -le 60 ]; then ok; else bad "demo: $n lines (one screen is 60)"; fi
# the README opens with this screen: its first text block is the demo's output
awk '/^```text$/ { on = 1; next } on && /^```$/ { exit } on' README.md >"$TMP/readme.out"
check "README shows the demo's screen" "$TMP/readme.out" "$TMP/demo.out"
finish
