#!/bin/sh
# aigwc serve --shadow-bundle, end to end on loopback: a candidate that tightens one
# guardrail (max-tokens: above 2,000 instead of 4,000) decides every request beside the
# active bundle.
#   the shadow reports exactly the requests whose decision changes: in GET /v1/shadow,
#   /metrics and the shadow log, which aigwc diff reads as it is
#   the live answers are byte for byte those of a run without the shadow
. "$ROOT/tests/e2e/lib.sh"
S="$ROOT/tests/e2e/serve"
PY=$(command -v python3)
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
NOW=2026-11-30T12:00:00Z

SERVE_ARGS="--now $NOW"
. "$S/lib.sh"

"$AIGWC" compile -o "$TMP/a.aigwb" "$S/shadow_active.aigw" >/dev/null 2>&1 || bad "compile shadow_active.aigw"
"$AIGWC" compile -o "$TMP/c.aigwb" "$S/shadow_candidate.aigw" >/dev/null 2>&1 || bad "compile shadow_candidate.aigw"
# 63 requests; the expected changes: 2,000 < max_tokens <= 4,000 gains the violation, and
# flips allow to deny when the team is given (an empty team is denied either way)
"$PY" - "$TMP" <<'EOF'
import json, sys
d = sys.argv[1]
toks = [100, 1500, 2500, 3500, 5000, 2001, 2000, 4000, 4001]
with open(d + "/in.jsonl", "w") as f, open(d + "/want.n", "w") as w, open(d + "/want.sum", "w") as s:
    flips = gains = 0
    for i in range(63):
        r = {"n": i, "team": "" if i % 7 == 3 else "t%d" % (i % 4), "max_tokens": toks[i % len(toks)]}
        f.write(json.dumps(r) + "\n")
        if 2000 < r["max_tokens"] <= 4000:
            gains += 1
            flips += r["team"] != ""
            w.write("%d\n" % i)
    s.write('"evaluated":63,"differs":%d,"dropped":0,"failed":0,"changes":{"allow-to-deny":%d,"deny-to-allow":0,'
            '"violation-gained":%d,"violation-lost":0,"waiver-gained":0,"waiver-lost":0,"route-changed":0,'
            '"input-rejected":0}}\n' % (gains, flips, gains))
EOF

start plain -b "$TMP/a.aigwb" || { finish; exit 0; }
"$PY" "$S/client.py" lines "$PORT" "$TMP/in.jsonl" "$TMP/plain.body" || bad "client (plain)"
stop "$PID"
start shadow -b "$TMP/a.aigwb" --shadow-bundle "$TMP/c.aigwb" --shadow-log "$TMP/shadow.jsonl" || { finish; exit 0; }
"$PY" "$S/client.py" lines "$PORT" "$TMP/in.jsonl" "$TMP/shadow.body" || bad "client (shadow)"
check "live bodies with and without the shadow" "$TMP/plain.body" "$TMP/shadow.body"
check "live statuses with and without the shadow" "$TMP/plain.body.status" "$TMP/shadow.body.status"
curl -s "http://127.0.0.1:$PORT/v1/shadow" >"$TMP/summary.json"
grep -q "$(cat "$TMP/want.sum")" "$TMP/summary.json" && ok || bad "GET /v1/shadow: $(cat "$TMP/summary.json"), want $(cat "$TMP/want.sum")"
curl -s "http://127.0.0.1:$PORT/metrics" >"$TMP/m.txt"
differs=$(wc -l <"$TMP/want.n" | tr -d ' ')
grep -q "^aigw_shadow_requests_total{result=\"differs\"} $differs$" "$TMP/m.txt" &&
  grep -q '^aigw_shadow_requests_total{result="dropped"} 0$' "$TMP/m.txt" && ok ||
  bad "metrics: $(grep aigw_shadow "$TMP/m.txt")"
stop "$PID"
# the log names exactly the requests whose decision changes
"$PY" -c 'import json,sys; [print(json.loads(l)["input"]["n"]) for l in open(sys.argv[1])]' "$TMP/shadow.jsonl" | sort -n >"$TMP/got.n"
check "shadow log: the requests that change" "$TMP/want.n" "$TMP/got.n"
# … and aigwc diff reads it as it is
"$AIGWC" diff "$TMP/a.aigwb" "$TMP/c.aigwb" --inputs "$TMP/shadow.jsonl" --now $NOW --fail-on decision >"$TMP/diff.out" 2>&1
[ $? -eq 1 ] && head -n 1 "$TMP/diff.out" | grep -q ": $differs inputs, $differs decided differently$" && ok ||
  bad "aigwc diff on the shadow log: $(head -n 3 "$TMP/diff.out")"
# headers through the input mapping (nginx auth_request) are shadowed too
printf '{"input": {"team": {"header": "x-team"}, "max_tokens": {"header": "x-max-tokens", "default": "0"}}}\n' >"$TMP/map.json"
start mapped -b "$TMP/a.aigwb" --config "$TMP/map.json" --shadow-bundle "$TMP/c.aigwb" || { finish; exit 0; }
for t in 3000 30 5000; do curl -s -o /dev/null -H "x-team: a" -H "x-max-tokens: $t" "http://127.0.0.1:$PORT/v1/authz/nginx"; done
curl -s "http://127.0.0.1:$PORT/v1/shadow" | grep -q '"evaluated":3,"differs":1,.*"allow-to-deny":1,' && ok ||
  bad "shadow through the mapping: $(curl -s "http://127.0.0.1:$PORT/v1/shadow")"
stop "$PID"
# a candidate that does not verify stops the server from starting
printf 'not a bundle' >"$TMP/bad.aigwb"
"$AIGWC" serve --listen 127.0.0.1:0 -b "$TMP/a.aigwb" --shadow-bundle "$TMP/bad.aigwb" >/dev/null 2>"$TMP/bad.err"
[ $? -eq 2 ] && grep -q '^aigwc serve: --shadow-bundle ' "$TMP/bad.err" && ok || bad "bad candidate: $(cat "$TMP/bad.err")"
finish
