#!/bin/sh
# The main job on the shipped examples: compile each policy set to a verified bundle,
# run its tests, and evaluate its sample requests, printing the decisions.
# Usage: tools/demo.sh path/to/aigwc
set -u
AIGWC=${1:-build/aigwc}
NOW=${NOW:-2026-11-22}
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
status=0
for dir in examples/*/; do
  ls "$dir"*.aigw >/dev/null 2>&1 || continue
  name=$(basename "$dir")
  echo "== $name"
  if ! "$AIGWC" compile -o "$out/$name.aigwb" "$dir"; then status=1; continue; fi
  "$AIGWC" test "$dir" || status=1
  if [ -f "$dir/requests.jsonl" ]; then
    echo "-- decisions for $dir""requests.jsonl at $NOW"
    "$AIGWC" eval -b "$out/$name.aigwb" -i "$dir/requests.jsonl" --now "$NOW"
    rc=$?
    [ $rc -eq 2 ] && status=1
  fi
  echo
done
exit $status
