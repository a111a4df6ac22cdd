#!/bin/sh
# make bench, serve section: aigwc serve over HTTP on loopback, beside libaigw in process
# and beside Cerbos (npm @cerbos/cerbos-linux-x64, its HTTP check API), on one workload:
# examples/nginx/gateway.aigw (its budget raised so that no request is refused for it)
# and 2,000 generated requests (tests/bench/serve/workload.py), a third of them denied.
#
# Load: wrk (Debian), 2 threads, 4 and 16 keep-alive connections, SERVE_SECONDS (10) per row,
# on the same 2 cores as the server. Before any timing, every request's decision is
# checked: /v1/decide = aigwc eval (bytes), /v1/authz/nginx agrees, Cerbos agrees.
# Rows: decisions/s, p50, p99, p99.9; /v1/decide again with budgets in Redis
# (--budget-store, Debian's redis-server, when installed), exact and leased. Results:
# results/serve-<date>.md.
#
# Usage: tests/bench/serve_bench.sh BUILD_DIR    (SERVE_SECONDS=N, CERBOS=0 to skip it)
# Exit status: 0 ok, 1 a disagreement or a failed run, 2 setup error.
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
SB="$ROOT/tests/bench/serve"
SECS=${SERVE_SECONDS:-10}
AIGWC="$B/aigwc"
W="$B/bench/serve"
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done' EXIT
mkdir -p "$W"

if ! command -v wrk >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] && sh "$ROOT/tools/deps.sh" --serve >&2
  command -v wrk >/dev/null 2>&1 || { echo "serve bench: wrk is not installed (sh tools/deps.sh --serve)" >&2; exit 2; }
fi
[ -x "$AIGWC" ] || { echo "serve bench: $AIGWC is not built" >&2; exit 2; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# ---- the workload
python3 "$SB/workload.py" "$W" 2000
sed 's/limit 20_000 tokens per day/limit 1_000_000_000_000 tokens per day/' "$ROOT/examples/nginx/gateway.aigw" >"$W/gateway.aigw"
"$AIGWC" compile -o "$W/gateway.aigwb" "$W/gateway.aigw" >/dev/null 2>&1 || { echo "serve bench: compile failed" >&2; exit 2; }
NOW=2026-11-22T12:00:00Z
"$AIGWC" eval -b "$W/gateway.aigwb" -i "$W/requests.jsonl" --now $NOW >"$W/eval.out" 2>/dev/null

# listening ERRFILE: the port aigwc serve says it listens on, waiting up to 5 s
listening() {
  for _ in $(seq 100); do
    p=$(sed -n 's/^aigwc serve: listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$1")
    [ -n "$p" ] && { echo "$p"; return; }
    sleep 0.05
  done
}

: >"$W/serve.err"
"$AIGWC" serve -b "$W/gateway.aigwb" --config "$ROOT/examples/nginx/serve.json" --listen 127.0.0.1:0 \
  --threads 2 --now $NOW 2>"$W/serve.err" &
SPID=$!
PIDS="$PIDS $SPID"
SPORT=$(listening "$W/serve.err")
[ -n "$SPORT" ] || { echo "serve bench: aigwc serve did not start: $(cat "$W/serve.err")" >&2; exit 2; }

# ---- Cerbos, if it installs
CPORT=""
CERBOS_NOTE=""
if [ "${CERBOS:-1}" = 1 ]; then
  CB="$B/bench/cerbos"
  BIN="$CB/node_modules/@cerbos/cerbos-linux-x64/cerbos-linux-x64"
  if [ ! -x "$BIN" ]; then
    mkdir -p "$CB"
    (cd "$CB" && npm install --no-audit --no-fund --loglevel=error --no-save --prefix "$CB" @cerbos/cerbos-linux-x64@0.55.0) >"$W/cerbos-install.log" 2>&1
  fi
  if [ -x "$BIN" ]; then
    mkdir -p "$W/cerbos-policies"
    cp "$SB/cerbos/gateway.yaml" "$W/cerbos-policies/"
    free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
    CPORT=$(free_port); CGRPC=$(free_port)
    sed -e "s/CERBOS_HTTP/$CPORT/" -e "s/CERBOS_GRPC/$CGRPC/" -e "s|POLICY_DIR|$W/cerbos-policies|" \
      "$SB/cerbos/config.yaml" >"$W/cerbos.yaml"
    "$BIN" server --config="$W/cerbos.yaml" >"$W/cerbos.log" 2>&1 &
    CBPID=$!
    PIDS="$PIDS $CBPID"
    for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$CPORT/_cerbos/health" && break; sleep 0.05; done
    curl -s -o /dev/null "http://127.0.0.1:$CPORT/_cerbos/health" || { CERBOS_NOTE="Cerbos did not start (see $W/cerbos.log)"; CPORT=""; }
    CERBOS_VERSION=$("$BIN" --version 2>/dev/null | head -n 1)
  else
    CERBOS_NOTE="Cerbos did not install from npm (see $W/cerbos-install.log)"
  fi
else
  CERBOS_NOTE="Cerbos skipped (CERBOS=0)"
fi

# ---- agreement, before any timing
status=0
python3 "$SB/agree.py" "$W" "$SPORT" "${CPORT:--}" "$W/eval.out" >"$W/agree.out" 2>&1 || status=1
AGREE=$(tail -n 1 "$W/agree.out")
echo "serve bench: $AGREE"
[ $status -eq 0 ] || head -20 "$W/agree.out"

# ---- in process: libaigw on the same requests (aigw_input_json + aigw_eval, one thread)
INPROC=""
if [ -x "$B/bench/bench_aigw" ]; then
  "$B/bench/bench_aigw" "$W/gateway.aigwb" "$W/requests.jsonl" $NOW --decisions "$W/inproc.dec" \
    --json "$W/inproc.json" --min-seconds 2 --threads 1 >/dev/null 2>&1 &&
    INPROC=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["modes"]["json"]; print("%.0f %.2f %.2f" % (m["decisions_per_s"], m["p50_us"], m["p99_us"]))' "$W/inproc.json")
fi

# row NAME CONNS PORT PATH MODE FILE: wrk, then "RESULT rps p50 p99 p999 errors non2xx"
row() {
  BENCH_FILE=$6 BENCH_MODE=$5 BENCH_PATH=$4 wrk -t2 -c"$2" -d"${SECS}s" -s "$SB/wrk.lua" "http://127.0.0.1:$3$4" >"$W/wrk-$1-$2.out" 2>&1
  sed -n 's/^RESULT //p' "$W/wrk-$1-$2.out"
}
# warm up: every worker's context at its high-water mark
BENCH_FILE="$W/requests.jsonl" BENCH_MODE=json BENCH_PATH=/v1/decide wrk -t2 -c16 -d2s -s "$SB/wrk.lua" "http://127.0.0.1:$SPORT/v1/decide" >/dev/null 2>&1
# two loads: 4 connections (latency: about one request per core in flight) and 16
# (throughput: requests queue behind each other on the two cores)
R_DECIDE4=$(row decide 4 "$SPORT" /v1/decide json "$W/requests.jsonl")
R_DECIDE=$(row decide 16 "$SPORT" /v1/decide json "$W/requests.jsonl")
R_NGINX4=$(row nginx 4 "$SPORT" /v1/authz/nginx headers "$W/headers.txt")
R_NGINX=$(row nginx 16 "$SPORT" /v1/authz/nginx headers "$W/headers.txt")
# ---- budgets in Redis: the same server with --budget-store, against Debian's
# redis-server on loopback (no persistence), once with every reservation a call to Redis
# (budget_store.lease_percent 0: exact) and once with leases (1%, the default), each
# alone on the cores, so the rows compare the stores
R_REDIS4=""; R_REDIS=""; R_LEASE4=""; R_LEASE=""
REDIS_NOTE=""
# redis_rows NAME LEASE_PERCENT: sets R4 and R16
redis_rows() {
  R4=""; R16=""
  python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["budget_store"] = {"lease_percent": int(sys.argv[2])}; json.dump(c, open(sys.argv[3], "w"))' \
    "$ROOT/examples/nginx/serve.json" "$2" "$W/serve-$1.json"
  : >"$W/serve-$1.err"
  "$AIGWC" serve -b "$W/gateway.aigwb" --config "$W/serve-$1.json" --listen 127.0.0.1:0 \
    --threads 2 --now $NOW --budget-store "redis://127.0.0.1:$RPORT" 2>"$W/serve-$1.err" &
  S2PID=$!
  PIDS="$PIDS $S2PID"
  S2PORT=$(listening "$W/serve-$1.err")
  if [ -n "$S2PORT" ]; then
    BENCH_FILE="$W/requests.jsonl" BENCH_MODE=json BENCH_PATH=/v1/decide wrk -t2 -c16 -d2s -s "$SB/wrk.lua" "http://127.0.0.1:$S2PORT/v1/decide" >/dev/null 2>&1
    R4=$(row "$1" 4 "$S2PORT" /v1/decide json "$W/requests.jsonl")
    R16=$(row "$1" 16 "$S2PORT" /v1/decide json "$W/requests.jsonl")
  else REDIS_NOTE="aigwc serve --budget-store did not start (see $W/serve-$1.err)"; fi
  kill -TERM "$S2PID" 2>/dev/null; wait "$S2PID" 2>/dev/null
}
if command -v redis-server >/dev/null 2>&1; then
  RPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$W" --logfile "$W/redis.log" >/dev/null 2>&1 &
  RPID=$!
  PIDS="$PIDS $RPID"
  for _ in $(seq 100); do redis-cli -p "$RPORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
  redis_rows redis 0; R_REDIS4=$R4; R_REDIS=$R16
  redis_rows lease 1; R_LEASE4=$R4; R_LEASE=$R16
  kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null
else
  REDIS_NOTE="redis-server is not installed (sh tools/deps.sh --serve)"
fi
R_CERBOS=""
R_CERBOS4=""
if [ -n "$CPORT" ]; then
  BENCH_FILE="$W/cerbos.jsonl" BENCH_MODE=json BENCH_PATH=/api/check/resources wrk -t2 -c16 -d2s -s "$SB/wrk.lua" "http://127.0.0.1:$CPORT/api/check/resources" >/dev/null 2>&1
  R_CERBOS4=$(row cerbos 4 "$CPORT" /api/check/resources json "$W/cerbos.jsonl")
  R_CERBOS=$(row cerbos 16 "$CPORT" /api/check/resources json "$W/cerbos.jsonl")
fi

# ---- report
DATE=$(date -u +%Y-%m-%dT%H%M)
OUT="$ROOT/tests/bench/results/serve-$DATE.md"
mkdir -p "$ROOT/tests/bench/results"
us() { awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%.2f ms", v / 1000; else printf "%.0f µs", v }'; }
line() {   # line NAME "rps p50 p99 p999 errors non2xx"
  [ -n "$2" ] || { echo "| $1 | n/a | | | | |"; return; }
  set -- "$1" $2
  echo "| $1 | $2 | $(us "$3") | $(us "$4") | $(us "$5") | $6 socket errors |"
}
{
  echo "# aigwc serve benchmark, $DATE"
  echo
  echo "Machine: $(nproc) cores, $(uname -sr); load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Workload: examples/nginx/gateway.aigw, 2,000 requests ($AGREE)."
  echo "Load: wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}'), 2 threads, 4 or 16 keep-alive connections, ${SECS} s per row, loopback, on the same cores as the server (serve --threads 2)."
  echo
  echo "| engine | decisions/s | p50 | p99 | p99.9 | |"
  echo "|---|---|---|---|---|---|"
  line "aigwc serve POST /v1/decide (JSON body), 4 connections" "$R_DECIDE4"
  line "aigwc serve POST /v1/decide (JSON body), 16 connections" "$R_DECIDE"
  line "aigwc serve /v1/authz/nginx (headers), 4 connections" "$R_NGINX4"
  line "aigwc serve /v1/authz/nginx (headers), 16 connections" "$R_NGINX"
  if [ -n "$R_REDIS$R_LEASE" ]; then
    line "aigwc serve POST /v1/decide, budgets in Redis, exact (a call per request), 4 connections" "$R_REDIS4"
    line "aigwc serve POST /v1/decide, budgets in Redis, exact (a call per request), 16 connections" "$R_REDIS"
    line "aigwc serve POST /v1/decide, budgets in Redis, leased (lease_percent 1), 4 connections" "$R_LEASE4"
    line "aigwc serve POST /v1/decide, budgets in Redis, leased (lease_percent 1), 16 connections" "$R_LEASE"
  else echo "| aigwc serve, budgets in Redis | n/a: $REDIS_NOTE | | | | |"; fi
  if [ -n "$R_CERBOS" ]; then
    line "Cerbos $CERBOS_VERSION, POST /api/check/resources, 4 connections" "$R_CERBOS4"
    line "Cerbos $CERBOS_VERSION, POST /api/check/resources, 16 connections" "$R_CERBOS"
  else echo "| Cerbos | n/a: $CERBOS_NOTE | | | | |"; fi
  if [ -n "$INPROC" ]; then
    set -- $INPROC
    echo "| libaigw in process (aigw_input_json + aigw_eval, 1 thread) | $1 | $2 µs | $3 µs | | |"
  fi
  # ratio NAME R4 R16: one line against the in-process rows
  ratio() {
    [ -n "$2" ] && [ -n "$3" ] && [ -n "$R_DECIDE4" ] && [ -n "$R_DECIDE" ] || return 0
    echo "- $1: p50 $(echo "$2 $R_DECIDE4" | awk '{printf "%.2f×", $2 / $8}') at 4 connections, $(echo "$3 $R_DECIDE" | awk '{printf "%.2f× at 16; decisions/s %.2f× at 16", $2 / $8, $1 / $7}')"
  }
  if [ -n "$R_REDIS4$R_LEASE4" ]; then
    echo
    echo "Budgets in Redis vs in the process, /v1/decide (goal: p50 under 1.5×):"
    echo
    ratio "exact (a call per request)" "$R_REDIS4" "$R_REDIS"
    ratio "leased (lease_percent 1)" "$R_LEASE4" "$R_LEASE"
  fi
  if [ -n "$R_CERBOS" ] && [ -n "$R_DECIDE" ]; then
    echo
    echo "aigwc serve /v1/decide vs Cerbos: $(echo "$R_DECIDE $R_CERBOS" | awk '{printf "%.1f×", $1 / $7}') the decisions/s at 16 connections, $(echo "$R_DECIDE4 $R_CERBOS4" | awk '{printf "%.1f× at 4; p99 %.1f× lower at 4", $1 / $7, $9 / $3}')."
  fi
} >"$OUT"
cat "$OUT"
echo "serve bench: written to tests/bench/results/serve-$DATE.md"
kill -TERM "$SPID"
wait "$SPID" 2>/dev/null
exit $status
