#!/bin/sh
# make bench: aigwc against Cedar (cedar-wasm) and CEL (cel-js) on one generated workload
# at five sizes, with a differential check of every decision. About 5-10 minutes on 2 cores.
#
# Usage: tests/bench/run.sh BUILD_DIR [bench.js options, e.g. --sizes 50x500 --requests 2000]
#        tests/bench/run.sh BUILD_DIR --callgrind [--sizes ...] [--stages N]
#          only the instructions per request of each stage (parse, eval, render) under
#          callgrind: no timing, no anchors, nothing written, a minute or two.
#
# Needs node >= 20.19 and the npm registry (the two anchors are installed into
# tests/bench/node_modules from package-lock.json). The aigwc rows show "n/a" while
# `aigwc compile` or libaigw is not built yet; everything else still runs.
# Results: tests/bench/results/bench-<date>.md and .json; workloads in tests/bench/results/tmp/.
# Then `aigwc audit` over 50,000 exemptions, timed in every format (AUDIT_ONLY=1: only that),
# and `aigwc lint` over 1,000 files holding 50,000 exemptions (lint_bench.sh).
# Then `aigwc serve` over HTTP (wrk, keep-alive, loopback) beside Cerbos (serve_bench.sh).
# Exit status: 0 all agree, 1 a disagreement or an aigwc failure, 2 setup error.
set -u
BUILD=${1:-build}
[ $# -gt 0 ] && shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH="$ROOT/tests/bench"
case $BUILD in /*) B=$BUILD ;; *) B=$ROOT/$BUILD ;; esac

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "bench: node and npm are required (Node.js >= 20.19)" >&2
  exit 2
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "bench: Node.js >= 20.19 is required (found $(node --version)); cel-js needs it" >&2
  exit 2
fi

# ---- aigwc audit over 50,000 exemptions (docs/audit.md: under a second), every format,
# from the compiled bundle; and from source, the compile included. gen.js writes them.
audit_bench() {
  AT="$BENCH/results/tmp/audit-50000"
  ok=0
  if [ -x "$B/aigwc" ] && mkdir -p "$AT" &&
     node "$BENCH/gen.js" --guardrails 50 --exemptions 50000 --requests 1 --seed 9 --out "$AT" >/dev/null &&
     "$B/aigwc" compile -o "$AT/policy.aigwb" "$AT/policy.aigw" >/dev/null 2>&1; then
    echo
    echo "aigwc audit, 50,000 exemptions at --now 2026-11-22 (target: under 1 s)"
    for f in table markdown csv json "table --group-by owner" "json --group-by guardrail"; do
      t0=$(ms)
      # shellcheck disable=SC2086  # f is an option list
      "$B/aigwc" audit -b "$AT/policy.aigwb" --now 2026-11-22 --format $f >/dev/null || { echo "  audit --format $f failed"; ok=1; }
      t=$(( $(ms) - t0 ))
      printf '  %-36s %5d ms%s\n' "--format $f" "$t" "$([ "$t" -lt 1000 ] || echo '  (over 1 s)')"
    done
    t0=$(ms)
    "$B/aigwc" audit --now 2026-11-22 "$AT/policy.aigw" >/dev/null || { echo "  audit from source failed"; ok=1; }
    printf '  %-36s %5d ms\n' "from source (compile + audit)" "$(( $(ms) - t0 ))"
  else
    echo "bench: the audit workload could not be made (aigwc compile or gen.js failed)"; ok=1
  fi
  return $ok
}
ms() { date +%s%N | cut -c1-13; }
if [ -n "${AUDIT_ONLY:-}" ]; then audit_bench; exit $?; fi

# ---- the anchors, pinned by package-lock.json
if [ ! -f "$BENCH/node_modules/@cedar-policy/cedar-wasm/package.json" ] ||
   [ ! -f "$BENCH/node_modules/@marcbachmann/cel-js/package.json" ] ||
   [ "$BENCH/package-lock.json" -nt "$BENCH/node_modules/.package-lock.json" ]; then
  echo "bench: npm install (tests/bench)"
  (cd "$BENCH" && npm install --no-audit --no-fund --loglevel=error) || { echo "bench: npm install failed" >&2; exit 2; }
fi

# ---- the libaigw harness
mkdir -p "$B/bench"
HARNESS="$B/bench/bench_aigw"
rm -f "$HARNESS"
EXTRA=""
if [ -f "$B/libaigw.a" ] && nm "$B/libaigw.a" 2>/dev/null | grep -q ' T aigw_eval$'; then
  if ! ${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -g -Wall -Wextra \
       -I"$ROOT/runtime" -o "$HARNESS" "$BENCH/bench_aigw.c" "$B/libaigw.a" \
       -ljansson -lcrypto -lm -lpthread 2>"$B/bench/bench_aigw.log"; then
    cat "$B/bench/bench_aigw.log" >&2
    echo "!!!!!!!! bench: bench_aigw.c does not build against $BUILD/libaigw.a (log above)" >&2
    EXTRA="--harness-error"
  fi
else
  echo "bench: $BUILD/libaigw.a has no aigw_eval yet: the libaigw rows will be n/a"
fi

cd "$ROOT" && node "$BENCH/bench.js" --build "$BUILD" --harness "$HARNESS" $EXTRA "$@"
status=$?
for a in "$@"; do [ "$a" = --callgrind ] && exit $status; done
audit_bench || status=1
sh "$BENCH/lint_bench.sh" "$B" || status=1
sh "$BENCH/serve_bench.sh" "$B" || status=1
echo; echo "## Hostile input (throughput, peak RSS)"; echo
sh "$BENCH/hostile.sh" "$BUILD" || status=1
exit $status
