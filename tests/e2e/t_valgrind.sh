#!/bin/sh
# Memcheck over the end-to-end inputs: runs aigwc under valgrind on the inputs the e2e
# tests use and fails each command in which valgrind finds a memory error or a definite
# or indirect leak. The commands:
#   aigwc parse --ast FILE, and aigwc parse DIR, over tests/parse, tests/diag (with what
#     tests/diag/*.gen writes), tests/fmt and examples
#   aigwc fmt --stdout FILE over tests/fmt and examples
#   for each tests/eval/CASE: aigwc eval CASE, aigwc compile CASE, aigwc eval -b BUNDLE
#   aigwc test DIR for each directory in examples and tests/test; aigwc explain for each
#   tests/explain case; aigwc disasm
# Slow, so it runs only with AIGW_VALGRIND=1 (.ci/run sets it); never on a sanitizer
# build, which valgrind cannot run.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$HERE/../.." && pwd)}
AIGWC=${AIGWC:-$ROOT/build/aigwc}
. "$HERE/lib.sh"

if [ "${AIGW_VALGRIND:-}" != 1 ]; then
  echo "  valgrind pass not requested (AIGW_VALGRIND=1 runs it)"
  finish; exit 0
fi
if grep -q __asan_init "$AIGWC" 2>/dev/null; then
  echo "  valgrind pass skipped: $AIGWC is a sanitizer build"
  finish; exit 0
fi
command -v valgrind >/dev/null || { bad "valgrind is not installed (tools/deps.sh --valgrind)"; finish; exit 1; }

# vg N DESCRIPTION COMMAND...: writes the result to $TMP/vg.N: first line "ok" or the
# failure, then valgrind's report. aigwc's own exit codes are 0 to 2; memcheck's is 99.
vg() {
  n=$1 desc=$2; shift 2
  valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect -q \
    --log-file="$TMP/vg.$n.log" "$@" > "$TMP/vg.$n.out" 2>&1 < /dev/null
  rc=$?
  {
    if [ "$rc" -le 2 ]; then echo ok
    elif [ "$rc" -eq 99 ]; then echo "valgrind: $desc: memcheck errors"
    else echo "valgrind: $desc: exit status $rc"; fi
    [ "$rc" -le 2 ] || { cat "$TMP/vg.$n.log" "$TMP/vg.$n.out"; } 2>/dev/null | head -40 | sed 's/^/    /'
  } > "$TMP/vg.$n"
}

# The commands, two at a time (valgrind is slow, and CI has two cores).
JOBS=${VALGRIND_JOBS:-2}
n=0
run() {
  n=$((n + 1))
  vg "$n" "$@" &
  [ $((n % JOBS)) -ne 0 ] || wait
}

cd "$ROOT" || exit 1
mkdir -p "$TMP/gen"
for gen in tests/diag/*.gen; do
  [ -f "$gen" ] || continue
  sh "$gen" > "$TMP/gen/$(basename "$gen" .gen).aigw" || bad "valgrind: $gen failed"
done
for d in tests/parse tests/diag tests/fmt examples "$TMP/gen"; do
  [ -d "$d" ] || continue
  run "aigwc parse $d" "$AIGWC" parse "$d"
  for f in $(find "$d" -name '*.aigw' | sort); do
    run "aigwc parse --ast $f" "$AIGWC" parse --ast "$f"
  done
done
for f in $(find tests/fmt examples -name '*.aigw' 2>/dev/null | sort); do
  run "aigwc fmt --stdout $f" "$AIGWC" fmt --stdout "$f"
done
for c in tests/eval/*/; do
  c=${c%/}
  [ -f "$c/input.jsonl" ] && [ -f "$c/now" ] || continue
  now=$(cat "$c/now") b=$TMP/$(basename "$c").aigwb
  run "aigwc eval $c" "$AIGWC" eval "$c" -i "$c/input.jsonl" --now "$now"
  run "aigwc compile $c" "$AIGWC" compile -o "$b.vg" "$c"
  # the bundle for -b is compiled outside valgrind, so the two jobs do not race
  "$AIGWC" compile -o "$b" "$c" > /dev/null 2>&1 &&
    run "aigwc eval -b (compiled $c)" "$AIGWC" eval -b "$b" -i "$c/input.jsonl" --now "$now"
done
for d in examples/*/; do
  ls "$d"*.aigw > /dev/null 2>&1 && run "aigwc test $d" "$AIGWC" test "$d"
done
for e in tests/explain/*.expected; do
  c=tests/eval/$(basename "$e" .expected)
  run "aigwc explain $c" "$AIGWC" explain "$c" -i "$c/input.jsonl" --now 2026-11-22
done
for t in tests/test/*/; do run "aigwc test $t" "$AIGWC" test "$t"; done
run "aigwc disasm examples/contoso" "$AIGWC" disasm examples/contoso
wait
i=1
while [ "$i" -le "$n" ]; do
  if [ "$(head -n 1 "$TMP/vg.$i")" = ok ]; then ok
  else bad "$(head -n 1 "$TMP/vg.$i")"; sed 1d "$TMP/vg.$i"; fi
  i=$((i + 1))
done
finish
[ "$FAIL" -eq 0 ]
