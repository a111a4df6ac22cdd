#!/bin/sh
# The `aigwc lint` row of `make bench`: 1,000 files holding 50,000 exemptions
# (gen_lint.js), linted whole by `aigwc lint` (best of 3, text report to /dev/null),
# beside conftest-style scanning of the same declarations (lint_anchor.mjs: the fact
# documents judged one at a time by the same rules in CEL). The finding counts must
# agree. Writes results/lint-<date>.md.
# Usage: tests/bench/lint_bench.sh BUILD_DIR [FILES EXEMPTIONS]
# Exit status: 0, or 1 when the counts disagree or aigwc lint fails.
set -u
B=$1
FILES=${2:-1000}
EXEMPTIONS=${3:-50000}
BENCH=$(cd "$(dirname "$0")" && pwd)
W="$BENCH/results/tmp/lint-$FILES-$EXEMPTIONS"
AIGWC="$B/aigwc"
NOW=2026-11-22
NOW_UNIX=1795305600

[ -f "$W/meta.json" ] || node "$BENCH/gen_lint.js" --files "$FILES" --exemptions "$EXEMPTIONS" --guardrails 50 --seed 1 --out "$W" || exit 1
best=""
for i in 1 2 3; do
  s=$(date +%s%N)
  "$AIGWC" lint --now $NOW --fail-on never -o /dev/null "$W" || { echo "bench: aigwc lint failed" >&2; exit 1; }
  e=$(date +%s%N)
  ms=$(( (e - s) / 1000000 ))
  [ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
done
"$AIGWC" lint --now $NOW --fail-on never --format json --facts "$W/facts.jsonl" -o "$W/lint.json" "$W" || exit 1
ours=$(sed -n 's/^    "\(errors\|warnings\|notes\)": \([0-9]*\),*$/\2/p' "$W/lint.json" | awk '{ s += $1 } END { print s }')
anchor=$(cd "$BENCH" && node lint_anchor.mjs "$W/facts.jsonl" $NOW_UNIX) || exit 1
theirs=$(printf '%s' "$anchor" | sed 's/.*"findings":\([0-9]*\).*/\1/')
a_total=$(printf '%s' "$anchor" | sed 's/.*"total_ms":\([0-9.]*\).*/\1/' | cut -d. -f1)
a_eval=$(printf '%s' "$anchor" | sed 's/.*"eval_ms":\([0-9.]*\).*/\1/' | cut -d. -f1)
engine=$(printf '%s' "$anchor" | sed 's/.*"engine":"\([^"]*\)".*/\1/')
verdict="agree ($ours findings)"
rc=0
if [ "$ours" != "$theirs" ]; then verdict="DISAGREE: aigwc $ours, anchor $theirs"; rc=1; fi
budget="under the 2 s budget"
[ "$best" -ge 2000 ] && budget="OVER the 2 s budget"

mkdir -p "$BENCH/results"
out="$BENCH/results/lint-$(date -u +%Y-%m-%dT%H%M).md"
{
  echo "## aigwc lint: $((FILES + 1)) files, $EXEMPTIONS exemptions"
  echo
  echo "Workload: \`tests/bench/gen_lint.js\` (seed 1, 50 guardrails), linted at --now $NOW; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| what | time (ms) | findings |"
  echo "|---|--:|--:|"
  echo "| \`aigwc lint\` whole: parse, compile, facts, 20 rules on the VM, text report (best of 3) | $best | $ours |"
  echo "| conftest-style: the same fact documents, one at a time, the same rules in CEL ($engine), read + evaluate | $a_total | $theirs |"
  echo "| … of which evaluating the rules only | $a_eval | |"
  echo
  echo "Findings: $verdict. aigwc lint is $budget. The conftest-style row starts from the fact"
  echo "documents that aigwc lint computed (overlaps, dead guardrails, canonical scopes) and"
  echo "does not parse the policy source, so it measures the cheaper half of the work."
} >"$out"
cat "$out"
exit $rc
