# Shared by the Redis serve tests (after tests/e2e/lib.sh): Debian's redis-server on a
# free loopback port without persistence, and a trap that stops it and every aigwc serve
# in PIDS on any exit. Sets S, PY, RPORT, rcli and start_redis (sets RPID); when
# redis-server cannot be had, says so and exits as a skip.
S="$ROOT/tests/e2e/serve"
PY=$(command -v python3)
PIDS=""
RPID=""
cleanup() {
  [ -n "$RPID" ] && { kill -CONT "$RPID" 2>/dev/null; kill -9 "$RPID" 2>/dev/null; }
  for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then sh "$ROOT/tools/deps.sh" --serve >"$TMP/deps.log" 2>&1 || cat "$TMP/deps.log"; fi
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "skip: redis-server is not installed (sh tools/deps.sh --serve as root installs it)"
  finish
  exit 0
fi

RPORT=$("$PY" "$S/redis_client.py" freeport)
rcli() { redis-cli -h 127.0.0.1 -p "$RPORT" "$@"; }
start_redis() {
  redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" \
    --logfile "$TMP/redis.log" >/dev/null 2>&1 &
  RPID=$!
  for _ in $(seq 100); do rcli ping 2>/dev/null | grep -q PONG && return 0; sleep 0.05; done
  bad "redis-server did not start: $(tail -n 5 "$TMP/redis.log")"
  return 1
}
# stop_redis: SIGKILL (after SIGCONT, in case it was stopped)
stop_redis() {
  kill -CONT "$RPID"; kill -9 "$RPID"; wait "$RPID" 2>/dev/null; RPID=""
}
