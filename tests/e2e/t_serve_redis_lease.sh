#!/bin/sh
# aigwc serve with budgets in Redis and leases (budget_store.lease_percent, docs/deploy.md
# §2): three replicas sharing one redis-server on loopback, each admitting out of blocks
# it took from the shared counter (at most 5% of the limit, and an eighth of the room
# left), all started and stopped here.
#   1. 96 clients x 5 requests of 30 tokens race for 10,000: never more than 333 admitted
#      (the limit holds), at least 320; Redis never counts more than 10,000
#   2. idle blocks go back: once the replicas are idle, Redis holds exactly what was
#      admitted
#   3. settle at the replica that admitted and at another one gives the unused
#      reservation back (a second settle is refused), and that room is admitted again
#   4. Redis hung, then killed: a request covered by a block already taken is admitted
#      (the block was counted when taken); others get each replica's declared
#      on_store_error (deny, allow, local); none waits past the timeout
#   5. Redis restarted: blocks are taken again; killed with blocks held, covered requests
#      are still admitted, past the idle time too (a block that cannot go back is kept)
#   6. shutdown gives back every block's unused room
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/e2e/serve/redis.sh"
start_redis || { finish; exit 0; }
. "$S/lib.sh"

"$AIGWC" compile -o "$TMP/b.aigwb" "$S/redis_budget.aigw" >/dev/null 2>&1 || bad "compile redis_budget.aigw"
IDLE_MS=2000
for m in deny allow local; do
  printf '{"budget_store": {"timeout_ms": 200, "lease_percent": 5, "lease_idle_ms": %d, "on_store_error": {"shared-tokens": "%s"}}}\n' \
    "$IDLE_MS" "$m" >"$TMP/$m.json"
done
NOW=2026-11-30T12:00:00Z
STORE="redis://127.0.0.1:$RPORT/3"
start deny -b "$TMP/b.aigwb" --threads 4 --now $NOW --config "$TMP/deny.json" --budget-store "$STORE" && P1=$PORT &&
  start allow -b "$TMP/b.aigwb" --threads 4 --now $NOW --config "$TMP/allow.json" --budget-store "$STORE" && P2=$PORT &&
  start local -b "$TMP/b.aigwb" --threads 4 --now $NOW --config "$TMP/local.json" --budget-store "$STORE" && P3=$PORT ||
  { finish; exit 0; }
ALL="$P1,$P2,$P3"
key() { echo "aigw:c:13:shared-tokens:1795996800:$1"; }
get() { v=$(rcli -n 3 get "$(key "$1")"); echo "${v:-0}"; }
# wait_for TEAM WANT: the counter reaches WANT within the idle time and 3 s
wait_for() {
  for _ in $(seq 60); do [ "$(get "$1")" = "$2" ] && return 0; sleep 0.1; done
  return 1
}
# probe PORT COUNT N TEAM WANT LABEL: COUNT requests, each answered WANT within 800 ms
probe() {
  out=$("$PY" "$S/redis_client.py" probe "$1" "$2" "$3" "$4" 2>&1)
  st=${out% slowest_ms *}; ms=${out##* slowest_ms }
  [ "$st" = "$5" ] && ok || bad "$6: statuses '$st', want $5"
  [ "$ms" -lt 800 ] 2>/dev/null && ok || bad "$6: slowest answer $ms ms, want < 800 (timeout 200 ms, and scheduling)"
}

# ---- 1. the race ----
"$PY" "$S/redis_client.py" race "$ALL" 96 5 30 "$TMP/ids" >"$TMP/race.out" 2>&1
A=$(sed -n 's/^requests 480 admitted \([0-9]*\) over [0-9]* other 0$/\1/p' "$TMP/race.out")
[ -n "$A" ] && [ "$A" -le 333 ] && [ "$A" -ge 320 ] && ok || bad "lease race: $(cat "$TMP/race.out"), want 320 to 333 admitted"
echo "serve+redis, leases: 3 replicas, 96 clients x 5 requests x 30 tokens against 10000: $(cat "$TMP/race.out")"
A=${A:-0}
c=$(get shared)
[ "$c" -le 10000 ] && [ "$c" -ge $((A * 30)) ] && ok || bad "counter after the race: $c, want $((A * 30)) to 10000"
ttl=$(rcli -n 3 ttl "$(key shared)")
[ "$ttl" -gt 0 ] && [ "$ttl" -le 43200 ] && ok || bad "counter TTL $ttl, want the 43,200 s to the day's end"

# ---- 2. idle blocks go back: Redis then holds what was admitted, no more ----
wait_for shared $((A * 30)) && ok || bad "idle blocks not returned: counter $(get shared), want $((A * 30))"
# every replica took blocks; unused room held after the race was given back
for p in $P1 $P2 $P3; do curl -s "http://127.0.0.1:$p/metrics"; done >"$TMP/m.txt"
[ "$(grep -c '^aigw_budget_store_lease_blocks_total [1-9]' "$TMP/m.txt")" = 3 ] &&
  { [ "$c" = $((A * 30)) ] || grep -q '^aigw_budget_store_lease_returns_total [1-9]' "$TMP/m.txt"; } && ok ||
  bad "lease metrics: $(grep '^aigw.*lease' "$TMP/m.txt")"

# ---- 3. settle at the admitting replica, and at another one (forwarded through Redis) ----
sed -n 1,5p "$TMP/ids" >"$TMP/ids.owner"
sed -n 6,10p "$TMP/ids" >"$TMP/ids.other"
"$PY" "$S/redis_client.py" settle "$ALL" "$TMP/ids.owner" 5 owner >"$TMP/s1.out" 2>&1
grep -q '^settled 5 failed 0 returned 150$' "$TMP/s1.out" && ok || bad "settle at the owner: $(cat "$TMP/s1.out")"
"$PY" "$S/redis_client.py" settle "$ALL" "$TMP/ids.other" 5 other >"$TMP/s2.out" 2>&1
grep -q '^settled 5 failed 0 returned 150$' "$TMP/s2.out" && ok || bad "settle at another replica: $(cat "$TMP/s2.out")"
wait_for shared $((A * 30 - 300)) && ok || bad "after settle: counter $(get shared), want $((A * 30 - 300))"
for at in owner other; do
  "$PY" "$S/redis_client.py" settle "$ALL" "$TMP/ids.$at" 1 "$at" >"$TMP/s3.out" 2>&1
  grep -q '^settled 0 failed 1' "$TMP/s3.out" && ok || bad "a second settle ($at): $(cat "$TMP/s3.out")"
done
"$PY" "$S/redis_client.py" settle "$ALL" "$TMP/ids.other" 1 owner >"$TMP/s4.out" 2>&1
grep -q '^settled 0 failed 1' "$TMP/s4.out" && ok || bad "settled elsewhere, then at the owner: $(cat "$TMP/s4.out")"
# the room given back is admitted again (two rounds: the second after the blocks went back)
MAX=$(( (10000 - A * 30 + 300) / 30 ))
"$PY" "$S/redis_client.py" race "$ALL" 12 1 30 "$TMP/ids2" >"$TMP/r2.out" 2>&1
A2=$(sed -n 's/^requests 12 admitted \([0-9]*\) .* other 0$/\1/p' "$TMP/r2.out")
wait_for shared $(( (A + ${A2:-0}) * 30 - 300 )) || bad "after round 1: counter $(get shared)"
"$PY" "$S/redis_client.py" race "$ALL" 12 1 30 "$TMP/ids3" >"$TMP/r3.out" 2>&1
A3=$(sed -n 's/^requests 12 admitted \([0-9]*\) .* other 0$/\1/p' "$TMP/r3.out")
T=$(( ${A2:-0} + ${A3:-0} ))
[ "$T" -le "$MAX" ] && [ "$T" -ge $((MAX - 2)) ] && ok ||
  bad "after settle: admitted $T of at most $MAX ($(cat "$TMP/r2.out"); $(cat "$TMP/r3.out"))"
wait_for shared $(( (A + T) * 30 - 300 )) && ok || bad "after the rounds: counter $(get shared), want $(( (A + T) * 30 - 300 ))"

# ---- 4. Redis hangs, then dies ----
for p in $P1 $P2 $P3; do "$PY" "$S/redis_client.py" probe "$p" 1 1 cover >/dev/null 2>&1; done
[ "$(get cover)" = 1500 ] && ok || bad "cover blocks: counter $(get cover), want 3 blocks of 500"
kill -STOP "$RPID"
probe "$P1" 20 10 cover 200 "redis hung, covered, deny"
probe "$P2" 20 10 cover 200 "redis hung, covered, allow"
probe "$P3" 20 10 cover 200 "redis hung, covered, local"
probe "$P1" 5 5 probe 500 "redis hung, deny"
probe "$P2" 5 5 probe 200 "redis hung, allow"
probe "$P3" 5 5 probe 200 "redis hung, local"
stop_redis
probe "$P1" 5 5 probe 500 "redis down, deny"
probe "$P2" 5 5 probe 200 "redis down, allow"
probe "$P3" 5 5 probe 200 "redis down, local"
curl -s "http://127.0.0.1:$P1/v1/decide" -d '{"team":"x","tokens":1}' | grep -q 'on_store_error deny' && ok ||
  bad "deny: the error names on_store_error"
curl -s "http://127.0.0.1:$P1/ready" | grep -q '"reachable":false' && ok || bad "ready with Redis down: $(curl -s "http://127.0.0.1:$P1/ready")"

# ---- 5. Redis back: blocks again; then killed with blocks held ----
start_redis
for p in $P1 $P2 $P3; do
  got=""
  for _ in $(seq 40); do
    before=$(get probe)
    out=$("$PY" "$S/redis_client.py" probe "$p" 1 7 2>&1)
    case $out in "200 slowest_ms "*) [ "$(get probe)" -gt "$before" ] && { got=1; break; } ;; esac
    sleep 0.15
  done
  [ -n "$got" ] && ok || bad "after restart ($p): no block taken from Redis again: $out"
done
for p in $P1 $P2 $P3; do "$PY" "$S/redis_client.py" probe "$p" 1 1 cover2 >/dev/null 2>&1; done
[ "$(get cover2)" = 1500 ] && ok || bad "cover2 blocks: counter $(get cover2), want 3 blocks of 500"
stop_redis
probe "$P1" 20 10 cover2 200 "redis killed, covered, deny"
probe "$P2" 20 10 cover2 200 "redis killed, covered, allow"
probe "$P3" 20 10 cover2 200 "redis killed, covered, local"
probe "$P1" 1 600 cover2 500 "redis killed, past the block, deny"
probe "$P2" 1 600 cover2 200 "redis killed, past the block, allow"
probe "$P3" 1 600 cover2 200 "redis killed, past the block, local"
sleep $((IDLE_MS / 1000 + 1))
probe "$P1" 5 10 cover2 200 "redis killed, covered after the idle time, deny"

# ---- 6. shutdown gives the unused room back ----
start_redis
for p in $P1 $P2 $P3; do
  for _ in $(seq 60); do curl -s "http://127.0.0.1:$p/ready" | grep -q '"reachable":true' && break; sleep 0.1; done
done
for p in $P1 $P2 $P3; do
  for _ in $(seq 20); do
    before=$(get final)
    "$PY" "$S/redis_client.py" probe "$p" 1 1 final >/dev/null 2>&1
    [ $(($(get final) - before)) = 500 ] && break
    sleep 0.1
  done
done
[ "$(get final)" = 1500 ] && ok || bad "final blocks: counter $(get final), want 3 blocks of 500"
for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
for p in $PIDS; do stop "$p"; done
PIDS=""
[ "$(get final)" = 3 ] && ok || bad "after shutdown: counter $(get final), want 3 (the rest given back)"
finish
