#!/bin/sh
# aigwc serve with budgets in Redis (docs/deploy.md), for real: Debian's redis-server on
# a free loopback port without persistence, three aigwc serve replicas sharing it, all
# started and stopped here (a trap stops them on any exit). Every reservation is one call
# to Redis here (budget_store.lease_percent 0); t_serve_redis_lease.sh tests leases.
#   1. 96 clients spread over the three race for 10,000 tokens: exactly 333 requests of
#      30 tokens are admitted, and Redis holds 9,990
#   2. settle (at any replica) gives the unused reservation back
#   3. Redis stopped (SIGSTOP: a hang), then killed: every request gets its replica's
#      declared on_store_error (deny, allow, local) within the configured timeout;
#      /ready and /metrics say so
#   4. Redis restarted: the replicas use it again
# redis-server comes from tools/deps.sh --serve: installed here when running as root,
# otherwise the test says how to install it and is skipped.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/e2e/serve/redis.sh"
start_redis || { finish; exit 0; }

# start NAME ARGS…: aigwc serve on a free port; sets PID and PORT
. "$S/lib.sh"

"$AIGWC" compile -o "$TMP/b.aigwb" "$S/redis_budget.aigw" >/dev/null 2>&1 || bad "compile redis_budget.aigw"
# one replica per declared behaviour; the timeout bounds every call to Redis
for m in deny allow local; do
  printf '{"budget_store": {"timeout_ms": 200, "lease_percent": 0, "on_store_error": {"shared-tokens": "%s"}}}\n' "$m" >"$TMP/$m.json"
done
NOW=2026-11-30T12:00:00Z
SERVE_ARGS="--now $NOW"
start deny -b "$TMP/b.aigwb" --threads 4 --now $NOW --config "$TMP/deny.json" --budget-store "redis://127.0.0.1:$RPORT/3" &&
  P1=$PORT && start allow -b "$TMP/b.aigwb" --threads 4 --now $NOW --config "$TMP/allow.json" --budget-store "redis://127.0.0.1:$RPORT/3" &&
  P2=$PORT && start local -b "$TMP/b.aigwb" --threads 4 --now $NOW --config "$TMP/local.json" --budget-store "redis://127.0.0.1:$RPORT/3" &&
  P3=$PORT || { finish; exit 0; }

# ---- 1. the race: 96 clients x 5 requests x 30 tokens against 10,000 ----
"$PY" "$S/redis_client.py" race "$P1,$P2,$P3" 96 5 30 "$TMP/ids" >"$TMP/race.out" 2>&1
grep -q '^requests 480 admitted 333 over 147 other 0$' "$TMP/race.out" && ok ||
  bad "redis race: $(cat "$TMP/race.out"), want 333 admitted"
echo "serve+redis: 3 replicas, 96 clients x 5 requests x 30 tokens against 10000: $(cat "$TMP/race.out")"
KEY="aigw:c:13:shared-tokens:1795996800:shared"
[ "$(rcli -n 3 get "$KEY")" = 9990 ] && ok || bad "redis counter: $(rcli -n 3 get "$KEY"), want 9990"
ttl=$(rcli -n 3 ttl "$KEY")
[ "$ttl" -gt 0 ] && [ "$ttl" -le 43200 ] && ok || bad "counter TTL $ttl, want the 43,200 s to the day's end"

# ---- 2. settle gives back what was not used (at another replica than the one that admitted) ----
"$PY" "$S/redis_client.py" settle "$P1,$P2,$P3" "$TMP/ids" 10 >"$TMP/settle.out" 2>&1
grep -q '^settled 10 failed 0 returned 300$' "$TMP/settle.out" && ok || bad "settle: $(cat "$TMP/settle.out")"
[ "$(rcli -n 3 get "$KEY")" = 9690 ] && ok || bad "after settle: $(rcli -n 3 get "$KEY"), want 9690"
"$PY" "$S/redis_client.py" settle "$P1" "$TMP/ids" 1 >"$TMP/settle2.out" 2>&1
grep -q '^settled 0 failed 1' "$TMP/settle2.out" && ok || bad "a second settle: $(cat "$TMP/settle2.out")"
"$PY" "$S/redis_client.py" race "$P1,$P2,$P3" 12 1 30 "$TMP/ids2" >"$TMP/race2.out" 2>&1
grep -q '^requests 12 admitted 10 over 2 other 0$' "$TMP/race2.out" && ok || bad "after settle: $(cat "$TMP/race2.out"), want 10 admitted"
curl -s "http://127.0.0.1:$P1/ready" | grep -q '"budget_store":{"url":"redis://127.0.0.1:'"$RPORT"'/3","reachable":true' && ok ||
  bad "ready with Redis up: $(curl -s "http://127.0.0.1:$P1/ready")"

# ---- 3. Redis hangs, then dies: the declared behaviour, never a wait past the timeout ----
# probe PORT WANT LABEL: 20 requests, each answered WANT within 800 ms (timeout 200 ms)
probe() {
  out=$("$PY" "$S/redis_client.py" probe "$1" 20 5 2>&1)
  st=${out% slowest_ms *}; ms=${out##* slowest_ms }
  [ "$st" = "$2" ] && ok || bad "$3: statuses '$st', want $2"
  [ "$ms" -lt 800 ] 2>/dev/null && ok || bad "$3: slowest answer $ms ms, want < 800 (timeout 200 ms, and scheduling)"
}
kill -STOP "$RPID"
probe "$P1" 500 "redis hung, deny"
probe "$P2" 200 "redis hung, allow"
probe "$P3" 200 "redis hung, local"
stop_redis
probe "$P1" 500 "redis down, deny"
probe "$P2" 200 "redis down, allow"
probe "$P3" 200 "redis down, local"
curl -s "http://127.0.0.1:$P1/v1/decide" -d '{"team":"x","tokens":1}' | grep -q 'on_store_error deny' && ok ||
  bad "deny: the error names on_store_error"
curl -s "http://127.0.0.1:$P1/ready" | grep -q '"reachable":false' && ok || bad "ready with Redis down: $(curl -s "http://127.0.0.1:$P1/ready")"
for pm in "$P1 deny" "$P2 allow" "$P3 local"; do
  set -- $pm
  curl -s "http://127.0.0.1:$1/metrics" >"$TMP/m.txt"
  grep -q "^aigw_budget_store_fallback_total{mode=\"$2\"} [1-9]" "$TMP/m.txt" && grep -q '^aigw_budget_store_up 0$' "$TMP/m.txt" && ok ||
    bad "metrics ($2): $(grep budget_store "$TMP/m.txt")"
done
# local: counted in the process, shown as its own counter
curl -s "http://127.0.0.1:$P3/metrics" | grep -q '^aigw_budget_used{budget="shared-tokens",key="probe",unit="tokens",window_end="1796083200"} 200$' &&
  ok || bad "local fallback counter: $(curl -s "http://127.0.0.1:$P3/metrics" | grep aigw_budget_used)"

# ---- 4. Redis back (empty: no persistence): each replica uses it again within a few
# seconds (a worker retries after its backoff, at most 2 s, or as soon as another worker
# of its process got through): 3 requests of 7 tokens admitted and counted in Redis ----
start_redis
PK=aigw:c:13:shared-tokens:1795996800:probe
for p in $P1 $P2 $P3; do
  got=""
  for _ in $(seq 40); do
    before=$(rcli -n 3 get $PK); before=${before:-0}
    out=$("$PY" "$S/redis_client.py" probe "$p" 3 7 2>&1)
    after=$(rcli -n 3 get $PK); after=${after:-0}
    case $out in "200 slowest_ms "*) [ $((after - before)) = 21 ] && { got=1; break; } ;; esac
    sleep 0.15
  done
  [ -n "$got" ] && ok || bad "after restart ($p): not counted in Redis again: $out, +$((after - before))"
done
curl -s "http://127.0.0.1:$P1/ready" | grep -q '"reachable":true' && ok || bad "ready after restart"

for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done   # all at once, then each must exit 0
for p in $PIDS; do stop "$p"; done
PIDS=""
finish
