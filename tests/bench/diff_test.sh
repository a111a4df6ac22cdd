#!/bin/sh
# Differential test for `make test`: a small generated workload (50 guardrails, 500
# exemptions, 500 requests) decided by aigwc (`aigwc eval` and libaigw in process), Cedar
# and CEL; every decision is compared with the generator's reference. Takes a few seconds.
#
# Usage: tests/bench/diff_test.sh [BUILD_DIR]
# Skips (exit 0, with a message) when node or the npm packages are not available; installs
# the packages with npm when it can. Last line: "diff: N passed, M failed[, K skipped]".
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH="$ROOT/tests/bench"
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac
AIGWC="$B/aigwc"
PASS=0; FAIL=0; SKIP=0

if ! command -v node >/dev/null 2>&1 ||
   ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; then
  echo "diff: skipped: Node.js >= 20.19 not found"
  echo "diff: 0 passed, 0 failed, 4 skipped"
  exit 0
fi
if [ ! -f "$BENCH/node_modules/@cedar-policy/cedar-wasm/package.json" ] ||
   [ ! -f "$BENCH/node_modules/@marcbachmann/cel-js/package.json" ]; then
  if command -v npm >/dev/null 2>&1; then
    (cd "$BENCH" && npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1) || true
  fi
fi
ANCHORS=1
if [ ! -f "$BENCH/node_modules/@cedar-policy/cedar-wasm/package.json" ] ||
   [ ! -f "$BENCH/node_modules/@marcbachmann/cel-js/package.json" ]; then
  echo "diff: Cedar and CEL skipped: npm packages not installed (cd tests/bench && npm install)"
  ANCHORS=0
fi

TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
W="$TMP/w"
if ! node "$BENCH/gen.js" --guardrails 50 --exemptions 500 --requests 500 --seed 7 --out "$W" >/dev/null; then
  echo "FAIL diff: gen.js failed"
  echo "diff: 0 passed, 1 failed"
  exit 1
fi
NOW=$(cat "$W/now.txt")

check() {   # check NAME DECISIONS [compare.js options]
  name=$1; file=$2; shift 2
  if node "$BENCH/compare.js" "$W" "$name" "$file" "$@" >"$TMP/cmp.out" 2>&1; then
    PASS=$((PASS + 1)); echo "  ok   $(cat "$TMP/cmp.out")"
  else
    FAIL=$((FAIL + 1)); echo "FAIL $name"; cat "$TMP/cmp.out"
  fi
}

# ---- aigwc
if [ ! -x "$AIGWC" ]; then
  echo "diff: aigwc skipped: $BUILD/aigwc not built"; SKIP=$((SKIP + 2))
elif ! "$AIGWC" compile -q -o "$W/policy.aigwb" "$W/policy.aigw" 2>"$TMP/compile.err"; then
  if grep -q "not available yet" "$TMP/compile.err"; then
    echo "diff: aigwc skipped: aigwc compile not available yet"; SKIP=$((SKIP + 2))
  else
    FAIL=$((FAIL + 2)); echo "FAIL aigwc compile on the generated policy:"; head -20 "$TMP/compile.err"
  fi
else
  "$AIGWC" eval -b "$W/policy.aigwb" -i "$W/requests.jsonl" --now "$NOW" >"$W/dec_cli.jsonl" 2>"$TMP/eval.err"
  rc=$?
  if [ $rc -gt 1 ]; then
    FAIL=$((FAIL + 1)); echo "FAIL aigwc eval exited $rc:"; head -20 "$TMP/eval.err"
  else
    check "aigwc eval" "$W/dec_cli.jsonl" --waived
  fi
  if [ -f "$B/libaigw.a" ] && nm "$B/libaigw.a" 2>/dev/null | grep -q ' T aigw_eval$'; then
    # a sanitizer build's library needs the sanitizers' runtime linked in too
    SANFLAGS=
    nm "$B/libaigw.a" 2>/dev/null | grep -q __asan_ && SANFLAGS="-fsanitize=address -fsanitize=undefined"
    if ${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 $SANFLAGS -I"$ROOT/runtime" -o "$TMP/bench_aigw" \
         "$BENCH/bench_aigw.c" "$B/libaigw.a" -ljansson -lcrypto -lm -lpthread 2>"$TMP/cc.err"; then
      if "$TMP/bench_aigw" "$W/policy.aigwb" "$W/requests.jsonl" "$NOW" --decisions "$W/dec_lib.jsonl" \
           --json "$TMP/lib.json" --min-seconds 0.02 2>"$TMP/lib.err"; then
        check "libaigw" "$W/dec_lib.jsonl" --waived
      else
        FAIL=$((FAIL + 1)); echo "FAIL bench_aigw (libaigw):"; head -20 "$TMP/lib.err"
      fi
    else
      FAIL=$((FAIL + 1)); echo "FAIL bench_aigw.c does not build against $BUILD/libaigw.a:"; head -20 "$TMP/cc.err"
    fi
  else
    echo "diff: libaigw skipped: $BUILD/libaigw.a has no aigw_eval yet"; SKIP=$((SKIP + 1))
  fi
fi

# ---- anchors
if [ $ANCHORS = 1 ]; then
  for e in cedar cel; do
    if node "$BENCH/anchors.mjs" $e "$W" --decisions "$W/dec_$e.jsonl" --budget 1 >/dev/null 2>"$TMP/$e.err"; then
      if [ $e = cel ]; then check "$e" "$W/dec_$e.jsonl" --waived; else check "$e" "$W/dec_$e.jsonl"; fi
    else
      FAIL=$((FAIL + 1)); echo "FAIL $e anchor:"; head -20 "$TMP/$e.err"
    fi
  done
else
  SKIP=$((SKIP + 2))
fi

if [ $SKIP -gt 0 ]; then echo "diff: $PASS passed, $FAIL failed, $SKIP skipped"
else echo "diff: $PASS passed, $FAIL failed"; fi
[ $FAIL -eq 0 ]
