#!/bin/sh
# The first run: one screen that shows what aigwc does with one shipped policy set
# (examples/ai-platform): the policies' own tests, lint findings with carets, the audit
# of the exemption portfolio, and decisions on sample requests as a table. Everything
# is judged at one fixed time (NOW), so the screen is the same on every machine.
# Colour only on a terminal, never with NO_COLOR set (no-color.org).
# Usage: tools/demo.sh [path/to/aigwc]
set -u
AIGWC=${1:-build/aigwc}
NOW=${NOW:-2026-11-22}
EX=examples/ai-platform
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then B=$(printf '\033[1m'); D=$(printf '\033[2m'); R=$(printf '\033[0m')
else B= D= R=; fi
status=0
step() { printf '\n%s%s%s\n%s$ %s%s\n' "$B" "$1" "$R" "$D" "$2" "$R"; }

printf '%saigwc%s: AI governance as code (guardrails, exemptions, routes, budgets),\n' "$B" "$R"
printf 'compiled to one verified bundle that CI, the CLI and the gateway all run.\n'
printf 'One shipped policy set, %s, judged at %s:\n' "$EX" "$NOW"

step "1. CI: the policies' own tests pass ..." "aigwc test $EX"
"$AIGWC" test "$EX" | tail -n 1 || status=1

# lint exits 1 on findings; here they are the point. One finding of each of the first
# three rules keeps the screen short; the summary line counts them all.
step "2. ... and lint flags the exemptions that need a human (3 of its findings)" \
  "aigwc lint $EX --now $NOW"
out=$("$AIGWC" lint "$EX" --now "$NOW" 2>&1); rc=$?
[ "$rc" -le 1 ] || { printf '%s\n' "$out"; status=1; }
printf '%s\n' "$out" | awk '
  /^[^ ].*:[0-9]+:[0-9]+: (error|warning|note): / {
    rule = $NF; keep = !(rule in seen) && shown < 3; if (keep) { seen[rule] = 1; shown++ }
  }
  /^aigwc lint: / { print; next }
  keep { print }'

step "3. Audit: the exemption portfolio, soonest expiry first" \
  "aigwc audit $EX --now $NOW   # its summary and its last table"
"$AIGWC" audit "$EX" --now "$NOW" | awk 'NR == 2 || on { print } /^All [0-9]* exemptions/ { on = 1 }' \
  || status=1

step "4. Gateway: each request decided (allow/deny, what fired, what waived it, the route)" \
  "aigwc eval $EX -i $EX/requests.jsonl --now $NOW --format table"
"$AIGWC" eval "$EX" -i "$EX/requests.jsonl" --now "$NOW" --format table
[ $? -le 1 ] || status=1

printf '\n%sNext:%s README.md, docs/language.md, stdlib-policies/ (ready packs), examples/.\n' "$B" "$R"
exit $status
