#!/bin/sh
# aigwc serve, end to end on loopback (docs/serve.md). Every server is started here on a
# free port and stopped here; every client run is bounded in count and time.
#   1. /v1/decide = aigwc eval, byte for byte, on every shipped example input and every
#      tests/eval case, at each one's own now
#   2. the contracts: nginx auth_request, Envoy ext_authz, OPA's result, settle, errors
#   3. health, ready, metrics and the decision log
#   4. reload: a file that changes, SIGHUP, a corrupt bundle refused, 50 reloads under load
#   5. reload from a URL with ETag, and a restart served from the cache
#   6. 64 clients race for 1,000 tokens: at most 1,000 admitted
#   7. hostile traffic: the server keeps serving, its RSS stays bounded
#   8. SIGTERM lets an in-flight request finish and exits 0
#   9. bad options and configs exit 2
. "$ROOT/tests/e2e/lib.sh"
S="$ROOT/tests/e2e/serve"
PY=$(command -v python3)
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

. "$S/lib.sh"
# hdr FILE NAME: a response header's value (headers from curl -D)
hdr() { tr -d '\r' <"$1" | sed -n "s/^$2: //Ip" | head -n 1; }
status() { tr -d '\r' <"$1" | sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/\1/p'; }
U() { echo "http://127.0.0.1:$PORT$1"; }
bundle_id() { "$AIGWC" compile -o /dev/null "$1" 2>&1 | tail -n 1; }

# ---- 1. /v1/decide = aigwc eval ----
# serve_vs_eval NAME BUNDLE INPUT NOW: each non-blank line POSTed; eval's error lines
# {"decision":"deny","line":N,"error":…} are /v1/decide's 400 bodies without the line
serve_vs_eval() {
  "$AIGWC" eval -b "$2" -i "$3" --now "$4" >"$TMP/eval.out" 2>/dev/null
  start decide --now "$4" -b "$2" || return
  "$PY" "$S/client.py" lines "$PORT" "$3" "$TMP/serve.raw" || bad "$1: client failed"
  stop "$PID"
  # drop the blank input lines on both sides (eval answers "empty line" for them)
  awk 'NR==FNR { skip[FNR] = ($0 == "SKIP"); next } !skip[FNR]' "$TMP/serve.raw" "$TMP/eval.out" |
    sed 's/^{"decision":"deny","line":[0-9]*,"error":/{"decision":"deny","error":/' >"$TMP/eval.cmp"
  grep -v '^SKIP$' "$TMP/serve.raw" >"$TMP/serve.cmp"
  check "$1: /v1/decide = aigwc eval" "$TMP/eval.cmp" "$TMP/serve.cmp"
}
cd "$ROOT" || exit 1
for d in examples/*/; do
  [ -f "$d/requests.jsonl" ] || continue
  "$AIGWC" compile -o "$TMP/ex.aigwb" "$d" >/dev/null 2>&1 || { bad "compile $d"; continue; }
  for now in 2026-11-22 2026-12-31T23:59:59Z; do
    serve_vs_eval "${d%/}@$now" "$TMP/ex.aigwb" "$d/requests.jsonl" "$now"
  done
done
cd "$ROOT/tests/eval" || exit 1
for dir in */; do
  n=${dir%/}
  [ -f "$n/input.jsonl" ] && [ -f "$n/now" ] || continue
  "$AIGWC" compile -o "$TMP/case.aigwb" "$n" >/dev/null 2>&1 || { bad "compile tests/eval/$n"; continue; }
  serve_vs_eval "tests/eval/$n" "$TMP/case.aigwb" "$n/input.jsonl" "$(cat "$n/now")"
done
cd "$ROOT" || exit 1

# ---- 2. the contracts, on the gateway example ----
"$AIGWC" compile -o "$TMP/gw.aigwb" examples/nginx/gateway.aigw >/dev/null 2>&1 || bad "compile examples/nginx"
NOW=2026-11-22T12:00:00Z
start gw --now $NOW -b "$TMP/gw.aigwb" --config examples/nginx/serve.json --decision-log "$TMP/decisions.jsonl" --threads 2
GWPID=$PID
# req NAME PATH [curl args…]: response headers in $TMP/NAME.h, body in $TMP/NAME.b
req() { n=$1; p=$2; shift 2; curl -s -D "$TMP/$n.h" -o "$TMP/$n.b" "$@" "$(U "$p")"; }

# nginx auth_request: an allowed request, routed by the data class
req ng-allow /v1/authz/nginx -H 'X-Model: gpt-4o' -H 'X-Team: claims' -H 'X-Data-Class: confidential' -H 'X-Max-Tokens: 100'
[ "$(status "$TMP/ng-allow.h")" = 200 ] && ok || bad "nginx allow: status $(status "$TMP/ng-allow.h")"
[ "$(hdr "$TMP/ng-allow.h" x-aigw-provider)/$(hdr "$TMP/ng-allow.h" x-aigw-model)@$(hdr "$TMP/ng-allow.h" x-aigw-region)" = "azure-openai/gpt-4o@westeurope" ] &&
  ok || { bad "nginx allow: route headers"; cat "$TMP/ng-allow.h"; }
[ "$(hdr "$TMP/ng-allow.h" x-aigw-budgets)" = "team-tokens=claims" ] && ok || bad "nginx allow: X-Aigw-Budgets '$(hdr "$TMP/ng-allow.h" x-aigw-budgets)'"
ID1=$(hdr "$TMP/ng-allow.h" x-aigw-decision-id)
echo "$ID1" | grep -Eq '^[0-9a-f]{16}-[0-9a-f]{16}$' && ok || bad "nginx allow: decision id '$ID1'"
req ng-fb /v1/authz/nginx -H 'X-Model: gpt-4o-mini' -H 'X-Team: claims' -H 'X-Max-Tokens: 100'
[ "$(hdr "$TMP/ng-fb.h" x-aigw-target) | $(hdr "$TMP/ng-fb.h" x-aigw-fallbacks)" = "openai:gpt-4o-mini | azure-openai:gpt-4o-mini@eastus" ] &&
  ok || { bad "nginx allow: primary and fallbacks"; cat "$TMP/ng-fb.h"; }
[ "$(hdr "$TMP/ng-fb.h" x-aigw-decision-id)" != "$ID1" ] && ok || bad "two decisions with one id"
# a deny: 403, the reasons in a header, the decision as the body
req ng-deny /v1/authz/nginx -H 'X-Model: llama-3' -H 'X-Team: claims' -H 'X-Max-Tokens: 100'
[ "$(status "$TMP/ng-deny.h")" = 403 ] && ok || bad "nginx deny: status $(status "$TMP/ng-deny.h")"
[ "$(hdr "$TMP/ng-deny.h" x-aigw-reasons)" = "approved-model: model llama-3 is not in the approved catalog" ] &&
  ok || bad "nginx deny: X-Aigw-Reasons '$(hdr "$TMP/ng-deny.h" x-aigw-reasons)'"
grep -q '^{"decision":"deny","violations":\[{"guardrail":"approved-model"' "$TMP/ng-deny.b" && ok || bad "nginx deny: body $(cat "$TMP/ng-deny.b")"
[ -z "$(hdr "$TMP/ng-deny.h" x-aigw-status)" ] && ok || bad "nginx deny: X-Aigw-Status on a plain deny"
# a header its field's type refuses: 400 (as 403 + X-Aigw-Status for nginx), never a guess
req ng-bad /v1/authz/nginx -H 'X-Model: gpt-4o' -H 'X-Team: claims' -H 'X-Max-Tokens: 12abc'
[ "$(status "$TMP/ng-bad.h") $(hdr "$TMP/ng-bad.h" x-aigw-status)" = "403 400" ] && ok || bad "nginx bad header: $(status "$TMP/ng-bad.h") $(hdr "$TMP/ng-bad.h" x-aigw-status)"
req ev-bad /v1/authz/envoy/v1/chat -H 'X-Model: gpt-4o' -H 'X-Team: claims' -H 'X-Data-Class: topsecret'
[ "$(status "$TMP/ev-bad.h")" = 400 ] && ok || bad "envoy bad header: status $(status "$TMP/ev-bad.h")"
grep -q "header 'x-data-class': field 'data_class': 'topsecret' is not a level of data_class" "$TMP/ev-bad.b" &&
  ok || bad "envoy bad header: body $(cat "$TMP/ev-bad.b")"
grep -q "header 'x-max-tokens': field 'max_tokens' is int: '12abc' is not a whole number" "$TMP/ng-bad.h" &&
  ok || bad "nginx bad header: reasons $(hdr "$TMP/ng-bad.h" x-aigw-reasons)"
# over budget: 20,000 tokens a day; 16,000 fit, 16,000 more do not. Retry-After: the end of the day
req ng-b1 /v1/authz/nginx -H 'X-Model: gpt-4o' -H 'X-Team: big' -H 'X-Max-Tokens: 16000'
req ng-b2 /v1/authz/nginx -H 'X-Model: gpt-4o' -H 'X-Team: big' -H 'X-Max-Tokens: 16000'
[ "$(status "$TMP/ng-b1.h") $(status "$TMP/ng-b2.h") $(hdr "$TMP/ng-b2.h" x-aigw-status) $(hdr "$TMP/ng-b2.h" retry-after)" = "200 403 429 43200" ] &&
  ok || { bad "nginx over budget"; cat "$TMP/ng-b2.h" "$TMP/ng-b2.b"; }
# Envoy: 200 with headers for upstream; 403 with the decision; 429 with Retry-After
req ev-allow /v1/authz/envoy/v1/chat/completions -X POST -H 'X-Model: gpt-4o-mini' -H 'X-Team: claims' -H 'X-Max-Tokens: 10'
[ "$(status "$TMP/ev-allow.h") $(hdr "$TMP/ev-allow.h" x-aigw-provider)" = "200 openai" ] && ok || bad "envoy allow"
req ev-deny /v1/authz/envoy/v1/chat/completions -X POST -H 'X-Model: gpt-4o' -H 'X-Team: claims' -H 'X-Max-Tokens: 99999'
[ "$(status "$TMP/ev-deny.h")" = 403 ] && grep -q '"guardrail":"request-size"' "$TMP/ev-deny.b" && ok || bad "envoy deny: $(cat "$TMP/ev-deny.b")"
req ev-over /v1/authz/envoy/v1/chat/completions -X POST -H 'X-Model: gpt-4o' -H 'X-Team: big' -H 'X-Max-Tokens: 16000'
[ "$(status "$TMP/ev-over.h") $(hdr "$TMP/ev-over.h" retry-after)" = "429 43200" ] && grep -q '"error":"over budget","budget":"team-tokens"' "$TMP/ev-over.b" &&
  ok || { bad "envoy over budget"; cat "$TMP/ev-over.h" "$TMP/ev-over.b"; }
# the body mapping: max_tokens from the JSON body Envoy forwards (with_request_body)
req ev-body /v1/authz/envoy/v1/chat/completions -X POST -H 'X-Model: gpt-4o' -H 'X-Team: claims' --data '{"max_tokens": 99999, "messages": []}'
[ "$(status "$TMP/ev-body.h")" = 403 ] && grep -q 'max_tokens 99999 is over 16000' "$TMP/ev-body.b" && ok || bad "envoy body mapping: $(cat "$TMP/ev-body.b")"
req ev-badbody /v1/authz/envoy/v1/chat/completions -X POST -H 'X-Model: gpt-4o' -H 'X-Team: claims' --data '{"max_tokens": '
[ "$(status "$TMP/ev-badbody.h")" = 400 ] && ok || bad "envoy invalid body: status $(status "$TMP/ev-badbody.h")"
# OPA's result shape, from an OPA-Envoy input and from a plain input
cat >"$TMP/opa.json" <<'EOF'
{"input":{"attributes":{"request":{"http":{"method":"POST","path":"/v1/chat","headers":{"x-model":"gpt-4o","x-team":"claims","x-max-tokens":"50"}}}}}}
EOF
req opa /v1/data/envoy/authz/allow -H 'Content-Type: application/json' --data-binary @"$TMP/opa.json"
grep -q '"result":{"allowed":true,"headers":{"x-aigw-decision-id":"[0-9a-f-]*","x-aigw-route":"chat","x-aigw-provider":"openai","x-aigw-model":"gpt-4o-mini",' "$TMP/opa.b" &&
  grep -q '"response_headers_to_add":{},"http_status":200,"body":""' "$TMP/opa.b" && ok || bad "OPA allow: $(cat "$TMP/opa.b")"
req opa2 /v1/data/x -H 'Content-Type: application/json' --data '{"input":{"model":"mixtral","team":"claims","data_class":"public","max_tokens":1}}'
grep -q '"allowed":false' "$TMP/opa2.b" && grep -q '"http_status":403' "$TMP/opa2.b" && grep -q '"x-aigw-reasons":"approved-model: model mixtral' "$TMP/opa2.b" &&
  ok || bad "OPA deny: $(cat "$TMP/opa2.b")"
# /v1/decide over budget: 429 with Retry-After, the body still the decision
printf '{"model":"gpt-4o","team":"big","data_class":"internal","max_tokens":16000}' >"$TMP/big.json"
req dec-over /v1/decide --data-binary @"$TMP/big.json"
"$AIGWC" eval -b "$TMP/gw.aigwb" -i "$TMP/big.json" --now $NOW >"$TMP/big.eval" 2>/dev/null
[ "$(status "$TMP/dec-over.h") $(hdr "$TMP/dec-over.h" retry-after) $(hdr "$TMP/dec-over.h" x-aigw-over-budget)" = "429 43200 team-tokens" ] && ok || bad "decide over budget: $(status "$TMP/dec-over.h")"
check "decide over budget: the body is eval's decision" "$TMP/big.eval" "$TMP/dec-over.b"
# settle: a reservation of 16,000 settled at 1,000 gives 15,000 back
req s1 /v1/authz/nginx -H 'X-Model: gpt-4o' -H 'X-Team: settle' -H 'X-Max-Tokens: 16000'
SID=$(hdr "$TMP/s1.h" x-aigw-decision-id)
req s2 /v1/authz/nginx -H 'X-Model: gpt-4o' -H 'X-Team: settle' -H 'X-Max-Tokens: 16000'
req settle /v1/settle --data "{\"decision_id\":\"$SID\",\"usage\":{\"tokens\":1000}}"
req s3 /v1/authz/nginx -H 'X-Model: gpt-4o' -H 'X-Team: settle' -H 'X-Max-Tokens: 16000'
req settle2 /v1/settle --data "{\"decision_id\":\"$SID\",\"usage\":{\"tokens\":1000}}"
[ "$(status "$TMP/s1.h") $(status "$TMP/s2.h") $(status "$TMP/settle.h") $(status "$TMP/s3.h") $(status "$TMP/settle2.h")" = "200 403 200 200 404" ] &&
  ok || bad "settle: $(status "$TMP/s1.h") $(status "$TMP/s2.h") $(status "$TMP/settle.h") $(status "$TMP/s3.h") $(status "$TMP/settle2.h")"
grep -q '"settled":\[{"budget":"team-tokens","key":"settle","reserved":16000,"used":1000}\]' "$TMP/settle.b" && ok || bad "settle body: $(cat "$TMP/settle.b")"
req settle3 /v1/settle --data '{"decision_id":"nope"}'
[ "$(status "$TMP/settle3.h")" = 400 ] && ok || bad "settle with a bad id: $(status "$TMP/settle3.h")"
# methods and paths
req m1 /v1/decide
req m2 /nope
[ "$(status "$TMP/m1.h") $(hdr "$TMP/m1.h" allow) $(status "$TMP/m2.h")" = "405 POST 404" ] && ok || bad "405/404"
req e1 /v1/decide --data-binary '{"model":'
[ "$(status "$TMP/e1.h")" = 400 ] && grep -q '^{"decision":"deny","error":"invalid JSON' "$TMP/e1.b" && ok || bad "decide invalid JSON: $(cat "$TMP/e1.b")"

# ---- 3. health, ready, metrics, decision log ----
req health /health
[ "$(cat "$TMP/health.b")" = '{"status":"ok"}' ] && ok || bad "health"
req ready /ready
grep -q "^{\"ready\":true,\"bundle\":\"$(bundle_id examples/nginx/gateway.aigw)\",\"policy\":\"gateway.demo\",\"loaded_at\":\"[0-9T:Z-]*\",\"source\":\"[^\"]*\",\"last_reload_error\":null}" "$TMP/ready.b" &&
  ok || bad "ready: $(cat "$TMP/ready.b")"
req metrics /metrics
for m in 'aigw_decisions_total{outcome="allow"} [1-9]' 'aigw_decisions_total{outcome="over_budget"} [1-9]' \
         'aigw_decisions_total{outcome="bad_input"} [1-9]' \
         'aigw_guardrail_findings_total{guardrail="approved-model",list="violation"} [1-9]' \
         'aigw_decision_duration_seconds_bucket{le="+Inf"} [1-9]' 'aigw_decision_duration_seconds_count [1-9]' \
         'aigw_http_requests_total{code="403"} [1-9]' 'aigw_bundle_info{id="sha256:[0-9a-f]*",policy="gateway.demo",source=' \
         'aigw_bundle_reloads_total{result="ok"} 1' 'aigw_budget_reservations_total{result="over_limit"} [1-9]' \
         'aigw_budget_used{budget="team-tokens",key="settle",unit="tokens",window_end="1795392000"} 17000' \
         'aigw_budget_settles_total{result="ok"} 1' 'aigw_decision_log_dropped_total 0'; do
  grep -q "^$m" "$TMP/metrics.b" && ok || bad "metrics: no line '$m'"
done
stop "$GWPID"
# the log: one line per decision, its id the response header's, input fields as configured
grep -c . "$TMP/decisions.jsonl" >"$TMP/nlog"
grep -q "^{\"decision_id\":\"$ID1\",\"time\":\"2026-11-22T12:00:00Z\",\"bundle\":\"sha256:[0-9a-f]*\",\"endpoint\":\"nginx\",\"outcome\":\"allow\",\"decision\":{\"decision\":\"allow\",.*,\"input\":{\"model\":\"gpt-4o\",\"team\":\"claims\",\"data_class\":\"confidential\",\"max_tokens\":100}}$" "$TMP/decisions.jsonl" &&
  ok || { bad "decision log: no line for $ID1"; head -3 "$TMP/decisions.jsonl"; }
grep -q '"endpoint":"decide","outcome":"over_budget","over_budget":"team-tokens","decision":{' "$TMP/decisions.jsonl" && ok || bad "decision log: over budget"
grep -q '"outcome":"bad_input",.*"error":"header' "$TMP/decisions.jsonl" && ok || bad "decision log: bad input"
"$PY" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/decisions.jsonl" && ok || bad "decision log: not JSON Lines"

# ---- 4. reload from a file ----
sed 's/set catalog = {"gpt-4o", "gpt-4o-mini"}/set catalog = {"gpt-4o-mini"}/' examples/nginx/gateway.aigw >"$TMP/gw2.aigw"
"$AIGWC" compile -o "$TMP/gw2.aigwb" "$TMP/gw2.aigw" >/dev/null 2>&1 || bad "compile gw2"
ID_A=$(bundle_id examples/nginx/gateway.aigw)
ID_B=$(bundle_id "$TMP/gw2.aigw")
cp "$TMP/gw.aigwb" "$TMP/live.aigwb"
start reload -b "$TMP/live.aigwb" --poll 100ms --threads 2
RPID=$PID
# wait_ready ID: /ready shows ID within 5 s
wait_ready() {
  for _ in $(seq 100); do
    curl -s "$(U /ready)" | grep -q "\"bundle\":\"$1\"" && return 0
    sleep 0.05
  done
  return 1
}
cp "$TMP/gw2.aigwb" "$TMP/live.new" && mv "$TMP/live.new" "$TMP/live.aigwb"
wait_ready "$ID_B" && ok || bad "reload: a changed file did not take effect"
curl -s "$(U /v1/decide)" --data '{"model":"gpt-4o","team":"t","data_class":"internal","max_tokens":0}' | grep -q '"decision":"deny"' &&
  ok || bad "reload: the new bundle does not decide"
# a corrupt bundle: refused, the old one keeps serving, /ready and /metrics say so
head -c 300 "$TMP/gw.aigwb" >"$TMP/live.new" && mv "$TMP/live.new" "$TMP/live.aigwb"
for _ in $(seq 100); do curl -s "$(U /ready)" | grep -q '"last_reload_error":"' && break; sleep 0.05; done
curl -s "$(U /ready)" >"$TMP/ready2"
grep -q "\"ready\":true,\"bundle\":\"$ID_B\".*\"last_reload_error\":\"$TMP/live.aigwb: " "$TMP/ready2" && ok || bad "corrupt bundle: /ready $(cat "$TMP/ready2")"
curl -s "$(U /metrics)" | grep -q '^aigw_bundle_reloads_total{result="failed"} [1-9]' && ok || bad "corrupt bundle: not counted"
grep -q "refused $TMP/live.aigwb: " "$TMP/reload.err" && ok || bad "corrupt bundle: not logged"
curl -s -o /dev/null -w '%{http_code}' "$(U /v1/decide)" --data '{"model":"gpt-4o-mini","team":"t","data_class":"internal","max_tokens":0}' | grep -q 200 &&
  ok || bad "corrupt bundle: the old one stopped serving"
# 50 reloads (SIGHUP after each swap) under load: no request fails
cp "$TMP/gw.aigwb" "$TMP/live.aigwb"
"$PY" "$S/client.py" load "$PORT" 6 4 >"$TMP/load.out" 2>"$TMP/load.err" &
LPID=$!
i=0
while [ $i -lt 50 ]; do
  if [ $((i % 2)) -eq 0 ]; then cp "$TMP/gw2.aigwb" "$TMP/live.new"; else cp "$TMP/gw.aigwb" "$TMP/live.new"; fi
  mv "$TMP/live.new" "$TMP/live.aigwb"
  kill -HUP "$RPID"
  sleep 0.08
  i=$((i + 1))
done
wait "$LPID"
grep -q '^requests [1-9][0-9]* failures 0 bundles 2$' "$TMP/load.out" && ok || { bad "50 reloads under load: $(cat "$TMP/load.out")"; head -5 "$TMP/load.err"; }
RELOADS=$(curl -s "$(U /metrics)" | sed -n 's/^aigw_bundle_reloads_total{result="ok"} //p')
[ "${RELOADS:-0}" -ge 50 ] && ok || bad "50 reloads under load: only ${RELOADS:-0} swaps"
echo "serve: 50 reloads under load: $(cat "$TMP/load.out"), $RELOADS swaps"
stop "$RPID"

# ---- 5. reload from a URL, with ETag and a cache ----
cp "$TMP/gw.aigwb" "$TMP/served.aigwb"
"$PY" "$S/client.py" etag-server 0 "$TMP/served.aigwb" "$TMP/etag.log" &
EPID=$!
PIDS="$PIDS $EPID"
for _ in $(seq 100); do [ -s "$TMP/etag.log.port" ] && break; sleep 0.05; done
EPORT=$(cat "$TMP/etag.log.port")
start url --bundle-url "http://127.0.0.1:$EPORT/bundle" --poll 100ms --cache-dir "$TMP/cache"
UPID=$PID
wait_ready "$ID_A" && ok || bad "URL: first bundle not loaded"
sleep 0.5
grep -q '^304 "' "$TMP/etag.log" && ok || bad "URL: no If-None-Match / 304 while unchanged"
cp "$TMP/gw2.aigwb" "$TMP/served.new" && mv "$TMP/served.new" "$TMP/served.aigwb"
wait_ready "$ID_B" && ok || bad "URL: a changed bundle did not take effect"
head -c 500 "$TMP/gw.aigwb" >"$TMP/served.new" && mv "$TMP/served.new" "$TMP/served.aigwb"
for _ in $(seq 100); do curl -s "$(U /ready)" | grep -q '"last_reload_error":"' && break; sleep 0.05; done
curl -s "$(U /ready)" | grep -q "\"ready\":true,\"bundle\":\"$ID_B\".*\"last_reload_error\":\"http://127.0.0.1:$EPORT/bundle: " &&
  ok || bad "URL: a corrupt bundle was not refused with the old one serving: $(curl -s "$(U /ready)")"
stop "$UPID"
kill "$EPID" 2>/dev/null
wait "$EPID" 2>/dev/null
[ -f "$TMP/cache/bundle.aigwb" ] && [ -f "$TMP/cache/bundle.etag" ] && ok || bad "URL: nothing cached"
# a restart with the store down serves the cached bundle at once
start url2 --bundle-url "http://127.0.0.1:$EPORT/bundle" --poll 10s --cache-dir "$TMP/cache"
curl -s "$(U /ready)" | grep -q "\"ready\":true,\"bundle\":\"$ID_B\"" && ok || bad "URL: restart did not serve from the cache: $(curl -s "$(U /ready)")"
stop "$PID"

# ---- 6. 64 clients race for 1,000 tokens ----
"$AIGWC" compile -o "$TMP/budget.aigwb" "$S/budget.aigw" >/dev/null 2>&1 || bad "compile budget.aigw"
start budget -b "$TMP/budget.aigwb" --threads 2
"$PY" "$S/client.py" budget "$PORT" 64 10 7 >"$TMP/budget.out"
# 640 requests of 7 tokens: exactly floor(1000 / 7) = 142 fit
grep -q '^requests 640 admitted 142 over 498 other 0$' "$TMP/budget.out" && ok || bad "budget race: $(cat "$TMP/budget.out"), want 142 admitted"
curl -s "$(U /metrics)" | grep -q '^aigw_budget_used{budget="shared-tokens",key="shared",unit="tokens",window_end="[0-9]*"} 994$' &&
  ok || bad "budget race: counter is not 994"
echo "serve: 64 clients x 10 requests x 7 tokens against 1000: $(cat "$TMP/budget.out")"
stop "$PID"

# ---- 7. hostile traffic ----
cat >"$TMP/small.json" <<'EOF'
{"limits": {"body_bytes": 65536, "header_bytes": 8192, "connections": 5000, "idle_seconds": 5, "request_seconds": 5}}
EOF
start hostile -b "$TMP/gw.aigwb" --threads 2 --config "$TMP/small.json"
"$PY" "$S/client.py" hostile "$PORT" "$PID" >"$TMP/hostile.out" 2>&1
grep '^hostile: ' "$TMP/hostile.out" | sed 's/^/serve: /'
if grep -q '^FAIL' "$TMP/hostile.out"; then grep '^FAIL' "$TMP/hostile.out" | while read -r l; do bad "$l"; done; FAIL=$((FAIL + $(grep -c '^FAIL' "$TMP/hostile.out"))); else ok; fi
set -- $(sed -n 's/^rss_kb //p' "$TMP/hostile.out")
[ $# -eq 3 ] && [ "$3" -lt 262144 ] && ok || bad "hostile: RSS after $3 KiB (limit 256 MiB): $(tail -3 "$TMP/hostile.out")"
kill -0 "$PID" && ok || bad "hostile: the server died"
stop "$PID"

# ---- 8. SIGTERM: an in-flight request finishes, then the process exits 0 ----
start drain -b "$TMP/gw.aigwb"
"$PY" "$S/client.py" inflight "$PORT" >"$TMP/inflight.out" 2>&1 &
CPID=$!
for _ in $(seq 100); do grep -q started "$TMP/inflight.out" 2>/dev/null && break; sleep 0.02; done
sleep 0.2
kill -TERM "$PID"
wait "$CPID"
grep -q '^status 200$' "$TMP/inflight.out" && ok || bad "drain: the in-flight request got $(cat "$TMP/inflight.out")"
stop "$PID"
grep -q 'SIGTERM: draining' "$TMP/drain.err" && ok || bad "drain: $(cat "$TMP/drain.err")"

# ---- 9. options and configs ----
"$AIGWC" serve >/dev/null 2>"$TMP/o.err"; [ $? -eq 2 ] && grep -q 'give -b BUNDLE or --bundle-url URL' "$TMP/o.err" && ok || bad "no bundle: $(cat "$TMP/o.err")"
"$AIGWC" serve -b "$TMP/gw.aigwb" --poll 0s >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "--poll 0s should exit 2"
printf '{"limits": {"body_byte": 10}}' >"$TMP/c1.json"
"$AIGWC" serve -b "$TMP/gw.aigwb" --config "$TMP/c1.json" >/dev/null 2>"$TMP/o.err"
[ $? -eq 2 ] && grep -q "c1.json: limits: unknown key 'body_byte'" "$TMP/o.err" && ok || bad "config typo: $(cat "$TMP/o.err")"
printf '{"input": {"colour": {"header": "x-colour"}}}' >"$TMP/c2.json"
"$AIGWC" serve -b "$TMP/gw.aigwb" --config "$TMP/c2.json" >/dev/null 2>"$TMP/o.err"
[ $? -eq 2 ] && grep -q "config input.colour: the policy's input has no field 'colour'" "$TMP/o.err" && ok || bad "config unknown field: $(cat "$TMP/o.err")"
head -c 100 "$TMP/gw.aigwb" >"$TMP/corrupt.aigwb"
"$AIGWC" serve -b "$TMP/corrupt.aigwb" >/dev/null 2>"$TMP/o.err"; [ $? -eq 2 ] && ok || bad "a corrupt bundle at start should exit 2"
"$AIGWC" serve -b "$TMP/gw.aigwb" --listen 300.1.1.1:1 >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "bad --listen should exit 2"
finish
