#!/bin/sh
# Split routes (docs/language.md §5.9): weights are honoured over many keys, the choice is sticky
# and deterministic (two runs print the same bytes), and compiling twice gives the
# same bundle. 100,000 distinct principals; each arm's share of primaries must be
# within 1 percentage point of its weight.
. "$ROOT/tests/e2e/lib.sh"
N=${SPLIT_N:-100000}

mkdir -p "$TMP/p2" "$TMP/p3"
cat >"$TMP/p2/split.aigw" <<'AIGW'
policy t.split
input request {
  principal: string
}
route chat {
  split by request.principal { 90% a:x, 10% b:y }
}
AIGW
cat >"$TMP/p3/split.aigw" <<'AIGW'
policy t.split3
input request {
  principal: string
}
route chat {
  split by request.principal { 50% a:x, 30% b:y, 20% c:z }
}
AIGW
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) printf "{\"principal\":\"user-%06d@contoso.com\"}\n", i }' >"$TMP/in.jsonl"

# share PROVIDER FILE: how many decisions have PROVIDER as their primary target
share() { grep -c "\"targets\":\[{\"provider\":\"$1\"" "$2"; }
# within NAME COUNT WANT_PERCENT: |COUNT/N - WANT%| < 1 percentage point
within() {
  if awk -v c="$2" -v n="$N" -v w="$3" 'BEGIN { d = 100 * c / n - w; exit !(d < 1 && d > -1) }'; then ok
  else bad "$1: $2 of $N primaries, want $3% ± 1"; fi
  [ -z "${VERBOSE:-}" ] || echo "  $1: $2 of $N"
}

for p in p2 p3; do
  "$AIGWC" compile -o "$TMP/$p.a.aigwb" "$TMP/$p" 2>/dev/null || bad "$p: compile"
  "$AIGWC" compile -o "$TMP/$p.b.aigwb" "$TMP/$p" 2>/dev/null || bad "$p: compile again"
  cmp -s "$TMP/$p.a.aigwb" "$TMP/$p.b.aigwb" && ok || bad "$p: compiling twice gives different bundles"
  "$AIGWC" eval -b "$TMP/$p.a.aigwb" -i "$TMP/in.jsonl" --now 2026-11-22 >"$TMP/$p.out1" 2>"$TMP/$p.err"
  rc=$?
  [ "$rc" -eq 0 ] && ok || { bad "$p: eval exit $rc"; head -5 "$TMP/$p.err"; }
  [ "$(wc -l <"$TMP/$p.out1")" -eq "$N" ] && ok || bad "$p: $(wc -l <"$TMP/$p.out1") decisions for $N inputs"
  "$AIGWC" eval -b "$TMP/$p.b.aigwb" -i "$TMP/in.jsonl" --now 2026-11-22 >"$TMP/$p.out2" 2>/dev/null
  cmp -s "$TMP/$p.out1" "$TMP/$p.out2" && ok || bad "$p: two runs differ"
  # sticky: the same principals in reverse order land where they landed before
  tac "$TMP/in.jsonl" | "$AIGWC" eval -b "$TMP/$p.a.aigwb" --now 2026-11-22 | tac >"$TMP/$p.rev"
  cmp -s "$TMP/$p.out1" "$TMP/$p.rev" && ok || bad "$p: order of inputs changed the arms"
done

within "90/10 arm a" "$(share a "$TMP/p2.out1")" 90
within "90/10 arm b" "$(share b "$TMP/p2.out1")" 10
within "50/30/20 arm a" "$(share a "$TMP/p3.out1")" 50
within "50/30/20 arm b" "$(share b "$TMP/p3.out1")" 30
within "50/30/20 arm c" "$(share c "$TMP/p3.out1")" 20
finish
