#!/bin/sh
# The examples that are more than a policy set (their READMEs): examples/landing-zone
# (its audit flags exactly the expired, expiring and open-ended exemptions; its README
# shows what aigwc prints), examples/gateway (the stdlib packs with a team's parameters;
# each request's expected decision). examples/ci is t_ci.sh; `aigwc test` on every
# example is in t_eval.sh.
. "$ROOT/tests/e2e/lib.sh"
cd "$ROOT" || exit 1
NOW=2026-11-22
# block N FILE: the Nth ```text block of a Markdown file
block() { awk -v n="$1" '/^```text$/ { k++; if (k == n) { on = 1; next } } on && /^```$/ { exit } on' "$2"; }

# --- landing-zone
LZ=examples/landing-zone
"$AIGWC" test --coverage --min-coverage 100% "$LZ" >"$TMP/lz.test" 2>&1 && ok || { bad "landing-zone: test --coverage"; cat "$TMP/lz.test"; }
"$AIGWC" fmt --check "$LZ" >"$TMP/lz.fmt" 2>&1 && ok || { bad "landing-zone: fmt --check"; cat "$TMP/lz.fmt"; }
# the flagged exemptions: status expired or expiring, or expires never (CSV: id, status, …, expires)
"$AIGWC" audit "$LZ" --now "$NOW" --format csv | tr -d '\r' |
  awk -F, 'NR > 1 && ($2 == "expired" || $2 == "expiring" || $19 == "never") { print $1 }' | sort >"$TMP/flagged"
printf 'LZ-090\nLZ-102\nLZ-103\nLZ-104\n' >"$TMP/flagged.want"
check "landing-zone: the audit flags exactly these" "$TMP/flagged.want" "$TMP/flagged"
"$AIGWC" audit "$LZ" --now "$NOW" --fail-if expired,expiring,never >/dev/null 2>"$TMP/lz.fail"; rc=$?
cat >"$TMP/lz.fail.want" <<'WANT'
aigwc audit: --fail-if expired: 2 exemptions have expired
aigwc audit: --fail-if expiring: 1 exemption expires within the window
aigwc audit: --fail-if never: 1 exemption never expires
WANT
[ "$rc" -eq 1 ] && ok || bad "landing-zone: audit --fail-if exit $rc, want 1"
check "landing-zone: audit --fail-if" "$TMP/lz.fail.want" "$TMP/lz.fail"
# what the README shows is what aigwc prints
"$AIGWC" eval "$LZ" -i "$LZ/inventory.jsonl" --now "$NOW" --format table >"$TMP/lz.eval"
block 1 "$LZ/README.md" >"$TMP/lz.r1"; check "landing-zone: README decisions" "$TMP/lz.r1" "$TMP/lz.eval"
"$AIGWC" lint "$LZ" --now "$NOW" >"$TMP/lz.lint"; rc=$?
[ "$rc" -eq 1 ] && ok || bad "landing-zone: lint exit $rc, want 1"
block 2 "$LZ/README.md" >"$TMP/lz.r2"; check "landing-zone: README lint" "$TMP/lz.r2" "$TMP/lz.lint"
"$AIGWC" audit "$LZ" --now "$NOW" | awk 'NR <= 2 || on { print } /^All [0-9]* exemptions/ { on = 1 }' >"$TMP/lz.audit"
block 3 "$LZ/README.md" >"$TMP/lz.r3"; check "landing-zone: README audit" "$TMP/lz.r3" "$TMP/lz.audit"
# --- gateway
GW=examples/gateway
"$AIGWC" test --coverage --min-coverage 100% "$GW" >"$TMP/gw.test" 2>&1 && ok || { bad "gateway: test --coverage"; cat "$TMP/gw.test"; }
"$AIGWC" fmt --check "$GW" >"$TMP/gw.fmt" 2>&1 && ok || { bad "gateway: fmt --check"; cat "$TMP/gw.fmt"; }
"$AIGWC" lint --now "$NOW" "$GW" >"$TMP/gw.lint" 2>&1 && ok || { bad "gateway: lint"; cat "$TMP/gw.lint"; }
for p in request/request models/models data/data gateway/gateway; do
  if cmp -s "stdlib-policies/$p.aigw" "$GW/pack-${p#*/}.aigw"; then ok
  else bad "gateway: pack-${p#*/}.aigw differs from stdlib-policies/$p.aigw"; fi
done
"$AIGWC" eval "$GW" -i "$GW/requests.jsonl" --now "$NOW" | sed 's/"bundle":"sha256:[0-9a-f]*"/"bundle":"*"/' >"$TMP/gw.json"
check "gateway: expected decisions" "$GW/expected.jsonl" "$TMP/gw.json"
"$AIGWC" eval "$GW" -i "$GW/requests.jsonl" --now "$NOW" --format table >"$TMP/gw.table"
block 1 "$GW/README.md" >"$TMP/gw.r1"; check "gateway: README decisions" "$TMP/gw.r1" "$TMP/gw.table"
# --- every example with policies: formatted, and its tests exercise every declaration,
# save in azure-import the unmapped placeholder (it never fires) and batch-tagging, which
# waives only it (its README): those two, and only those, are not exercised
for d in examples/*/; do
  ls "$d"*.aigw >/dev/null 2>&1 || continue
  d=${d%/}; n=${d#examples/}
  "$AIGWC" fmt --check "$d" >"$TMP/$n.fmt" 2>&1 && ok || { bad "$n: fmt --check"; cat "$TMP/$n.fmt"; }
  "$AIGWC" test --coverage --min-coverage 100% "$d" >"$TMP/$n.cov" 2>&1; rc=$?
  if [ "$n" = azure-import ]; then
    grep -q '^[1-9][0-9]* passed, 0 failed$' "$TMP/$n.cov" && [ "$rc" -eq 1 ] && ok || { bad "$n: test --coverage"; cat "$TMP/$n.cov"; }
    grep 'not exercised:' "$TMP/$n.cov" | sed 's/ (.*//' >"$TMP/$n.unex"
    printf '  not exercised: guardrail azure-unmapped-require-tags\n  not exercised: exemption batch-tagging\n' >"$TMP/$n.unex.want"
    check "$n: only the placeholder and its exemption are not exercised" "$TMP/$n.unex.want" "$TMP/$n.unex"
  else
    [ "$rc" -eq 0 ] && ok || { bad "$n: test --coverage --min-coverage 100%"; cat "$TMP/$n.cov"; }
  fi
done
finish
