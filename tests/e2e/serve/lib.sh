# Shared by the serve tests (after tests/e2e/lib.sh): start and stop aigwc serve on a free
# loopback port. SERVE_ARGS, when set, goes before each start's own arguments (--now …).
# start NAME ARGS…: starts aigwc serve; sets PID and PORT and adds PID to PIDS
start() {
  name=$1; shift
  : >"$TMP/$name.err"
  # shellcheck disable=SC2086  # SERVE_ARGS is a word list
  "$AIGWC" serve --listen 127.0.0.1:0 ${SERVE_ARGS:-} "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PID=$!
  PIDS="$PIDS $PID"
  PORT=""
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^aigwc serve: listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$TMP/$name.err")
    [ -n "$PORT" ] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  bad "$name: aigwc serve did not start: $(cat "$TMP/$name.err")"
  return 1
}
# stop PID: SIGTERM, and it must exit 0 within 10 s
stop() {
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$1" 2>/dev/null; then bad "pid $1 still running 10 s after SIGTERM"; kill -9 "$1"; fi
  wait "$1"; rc=$?
  [ "$rc" -eq 0 ] && ok || bad "aigwc serve exited $rc after SIGTERM, want 0"
}
