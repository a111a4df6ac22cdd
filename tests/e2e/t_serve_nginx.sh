#!/bin/sh
# examples/nginx, for real: Debian's nginx with the example configuration, aigwc serve
# and two stub model upstreams, all on free loopback ports, started and stopped here.
#   an allowed request reaches the upstream its route chose, told the model and region;
#   a denied one gets 403 with the reasons (header and JSON body);
#   an over-budget one gets 429 with Retry-After; a malformed header 400.
# nginx comes from tools/deps.sh --serve: installed here when running as root,
# otherwise the test says how to install it and is skipped.
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/e2e/serve/lib.sh"
E="$ROOT/examples/nginx"
PY=$(command -v python3)
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ]; then sh "$ROOT/tools/deps.sh" --serve >"$TMP/deps.log" 2>&1 || cat "$TMP/deps.log"; fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
  echo "skip: nginx is not installed (sh tools/deps.sh --serve as root installs it)"
  finish
  exit 0
fi

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NGX_PORT=$(free_port); AZ_PORT=$(free_port); OA_PORT=$(free_port)

# aigwc serve with the example's mapping, at a fixed time (noon: 43,200 s to the day's end)
"$AIGWC" compile -o "$TMP/gw.aigwb" "$E/gateway.aigw" >/dev/null 2>&1 || bad "compile examples/nginx/gateway.aigw"
start serve -b "$TMP/gw.aigwb" --config "$E/serve.json" --now 2026-11-22T12:00:00Z || { finish; exit 1; }
SPID=$PID SV_PORT=$PORT

"$PY" "$E/stub_upstream.py" "$AZ_PORT" azure-openai & PIDS="$PIDS $!"
"$PY" "$E/stub_upstream.py" "$OA_PORT" openai & PIDS="$PIDS $!"

# the example configuration, on this run's ports
N="$TMP/nginx"
mkdir -p "$N/tmp"
sed -e "s/127.0.0.1:8080/127.0.0.1:$NGX_PORT/" -e "s/127.0.0.1:8181/127.0.0.1:$SV_PORT/" \
    -e "s/127.0.0.1:9001/127.0.0.1:$AZ_PORT/" -e "s/127.0.0.1:9002/127.0.0.1:$OA_PORT/" "$E/nginx.conf" >"$N/nginx.conf"
"$NGINX" -t -p "$N" -c nginx.conf >"$TMP/nginx-t.log" 2>&1 && ok || { bad "nginx -t refuses the example configuration"; cat "$TMP/nginx-t.log"; }
"$NGINX" -p "$N" -c nginx.conf -g 'daemon off;' 2>>"$TMP/nginx.err" &
NPID=$!
PIDS="$PIDS $NPID"
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$NGX_PORT/" 2>/dev/null && curl -s -o /dev/null "http://127.0.0.1:$AZ_PORT/" &&
    curl -s -o /dev/null "http://127.0.0.1:$OA_PORT/" && break
  sleep 0.05
done

G="http://127.0.0.1:$NGX_PORT/v1/chat/completions"
# call NAME curl-args…: headers in NAME.h, body in NAME.b, status in NAME.s
call() { n=$1; shift; curl -s -D "$TMP/$n.h" -o "$TMP/$n.b" -w '%{http_code}' "$@" "$G" >"$TMP/$n.s"; }
hdr() { tr -d '\r' <"$1" | sed -n "s/^$2: //Ip" | head -n 1; }
field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2>/dev/null; }

# 1. confidential data: routed to azure-openai gpt-4o in westeurope
call conf -X POST -H 'X-Model: gpt-4o' -H 'X-Team: claims' -H 'X-Data-Class: confidential' -H 'X-Max-Tokens: 500' --data '{"messages":[]}'
[ "$(cat "$TMP/conf.s")" = 200 ] && ok || bad "allowed request: status $(cat "$TMP/conf.s"): $(cat "$TMP/conf.b")"
[ "$(field "$TMP/conf.b" upstream) $(field "$TMP/conf.b" model) $(field "$TMP/conf.b" region)" = "azure-openai gpt-4o westeurope" ] &&
  ok || bad "allowed request did not reach azure-openai gpt-4o@westeurope: $(cat "$TMP/conf.b")"
field "$TMP/conf.b" decision_id | grep -Eq '^[0-9a-f]{16}-[0-9a-f]{16}$' && ok || bad "upstream got no decision id: $(cat "$TMP/conf.b")"
# 2. internal data: the default rule, openai first
call int -X POST -H 'X-Model: gpt-4o-mini' -H 'X-Team: claims' -H 'X-Max-Tokens: 500' --data '{}'
[ "$(cat "$TMP/int.s") $(field "$TMP/int.b" upstream) $(field "$TMP/int.b" model)" = "200 openai gpt-4o-mini" ] &&
  ok || bad "internal request: $(cat "$TMP/int.s") $(cat "$TMP/int.b")"
# 3. a model outside the catalog: 403 with the reasons
call deny -X POST -H 'X-Model: llama-3' -H 'X-Team: claims' -H 'X-Max-Tokens: 500'
[ "$(cat "$TMP/deny.s")" = 403 ] && ok || bad "denied request: status $(cat "$TMP/deny.s")"
[ "$(hdr "$TMP/deny.h" x-aigw-reasons)" = "approved-model: model llama-3 is not in the approved catalog" ] &&
  ok || bad "denied request: X-Aigw-Reasons '$(hdr "$TMP/deny.h" x-aigw-reasons)'"
[ "$(field "$TMP/deny.b" reasons)" = "approved-model: model llama-3 is not in the approved catalog" ] &&
  ok || bad "denied request: body $(cat "$TMP/deny.b")"
# 4. over budget: 20,000 tokens a day for a team; 429 with Retry-After to the end of the day
call b1 -H 'X-Model: gpt-4o' -H 'X-Team: burst' -H 'X-Max-Tokens: 12000'
call b2 -H 'X-Model: gpt-4o' -H 'X-Team: burst' -H 'X-Max-Tokens: 12000'
[ "$(cat "$TMP/b1.s") $(cat "$TMP/b2.s") $(hdr "$TMP/b2.h" retry-after)" = "200 429 43200" ] &&
  ok || { bad "over budget: $(cat "$TMP/b1.s") $(cat "$TMP/b2.s") Retry-After '$(hdr "$TMP/b2.h" retry-after)'"; cat "$TMP/b2.h" "$TMP/b2.b"; }
[ "$(field "$TMP/b2.b" error)" = "over budget" ] && ok || bad "over budget: body $(cat "$TMP/b2.b")"
# 5. a header its field's type refuses: 400
call bad -H 'X-Model: gpt-4o' -H 'X-Team: claims' -H 'X-Max-Tokens: lots'
[ "$(cat "$TMP/bad.s")" = 400 ] && hdr "$TMP/bad.h" x-aigw-reasons | grep -q "'lots' is not a whole number" &&
  ok || bad "malformed header: $(cat "$TMP/bad.s") $(hdr "$TMP/bad.h" x-aigw-reasons)"
grep -q '\[\(alert\|emerg\|crit\)\]' "$N/error.log" 2>/dev/null && bad "nginx error log: $(grep -m3 '\[\(alert\|emerg\|crit\)\]' "$N/error.log")"

kill "$NPID"
wait "$NPID" 2>/dev/null
stop "$SPID"
finish
