#!/bin/sh
# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang into build-fuzz/ with
# AddressSanitizer, UndefinedBehaviorSanitizer and coverage, and each run for SECONDS on
# a scratch copy of its committed corpus: tests/fuzz/corpus/TARGET/ plus the regression
# inputs in tests/fuzz/regress/TARGET/. An input that crashes, leaks, times out or
# exceeds the memory limit is saved into tests/fuzz/regress/TARGET/, which the unit
# tests replay, and the run fails. A target whose library functions do not link is
# reported as "skipped: not built" and does not fail the run.
#
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]        (make fuzz FUZZ_SECONDS=N)
#   FUZZ_MERGE=1   afterwards, add the inputs that found new coverage to the corpus
#   FUZZ_CC=clang  FUZZ_JOBS=2
set -u
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-parse compile bundle eval gen map json}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
B=build-fuzz
F=$B/fuzz
CC=${FUZZ_CC:-clang}
JOBS=${FUZZ_JOBS:-2}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
LIBS="-ljansson -lcrypto -lm -lpthread"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

command -v "$CC" >/dev/null || { echo "fuzz: $CC not found (make fuzz installs it)" >&2; exit 2; }
mkdir -p "$F" "$B/gen"

srcs() { for f in "$@"; do [ -f "$f" ] && echo "$f"; done; }   # drops unmatched globs
objs() { for f in "$@"; do echo "$B/obj/${f%.c}.o"; done; }
mk() {
  make -k -j"$JOBS" --no-print-directory BUILD=$B CC="$CC" \
    OPT="-O1 -fsanitize=fuzzer-no-link $SAN" "$@"
}

# ---- build: the Makefile generates the lexer and parser and compiles every object ----
echo "fuzz: building into $B/ with $CC"
lang=$(srcs lang/*.c | grep -v -x -e lang/lex.c -e lang/grammar.c)
# serve's config and input mapping, for the map target
lib_obj="$(objs $lang) $B/obj/gen/lex.o $B/obj/gen/grammar.o $(objs $(srcs compiler/*.c runtime/*.c serve/srv_config.c serve/srv_map.c))"
own_obj=$(objs $(srcs tests/fuzz/*.c | grep -v -x tests/fuzz/fuzz_eval_entry.c))
mk $lib_obj $own_obj > "$F/build.log" 2>&1
for o in $(objs $lang) $B/obj/gen/lex.o $B/obj/gen/grammar.o $own_obj; do
  [ -f "$o" ] && continue
  echo "fuzz: $o did not build:" >&2
  grep -E 'error|Error' "$F/build.log" | head -20 >&2
  exit 1
done
pending=$(for o in $lib_obj; do [ -f "$o" ] || echo "$o"; done)
[ -n "$pending" ] && echo "fuzz: these do not compile (see $F/build.log):" $pending
# An archive, so that each target pulls in only the objects it needs.
rm -f "$F/libdeps.a"
ar rcs "$F/libdeps.a" $(for o in $lib_obj; do [ -f "$o" ] && echo "$o"; done)

# link TARGET [LDFLAGS...]: the driver, its entry and what they need from the archive
link() {
  t=$1; shift
  "$CC" -fsanitize=fuzzer $SAN "$@" -o "$F/fuzz_$t" \
    $(objs "tests/fuzz/fuzz_$t.c" "tests/fuzz/fuzz_${t}_entry.c") "$F/libdeps.a" $LIBS \
    > "$F/link-$t.log" 2>&1
}
undefined() {
  syms=$(sed -n "s/.*undefined reference to \`\([^']*\)'.*/\1/p" "$F/link-$1.log" | sort -u | head -6)
  [ -n "$syms" ] && echo "undefined:" $syms || echo "see $F/link-$1.log"
}

# The eval target embeds the examples, compiled now: one bundle per directory in
# examples/ and per .aigw file directly in it. Those bundles, and one per test case in
# tests/eval/ that compiles, also seed the bundle target.
embed() {
  rm -rf "$F/bundles"; mkdir -p "$F/bundles"
  "$CC" $SAN -o "$F/embed_bundles" "$(objs tests/fuzz/embed_bundles.c)" "$F/libdeps.a" $LIBS \
    > "$F/link-embed.log" 2>&1 || return 1
  set --
  for d in examples/*/; do
    files=$(find "$d" -name '*.aigw' | sort)
    [ -n "$files" ] && set -- "$@" "$(basename "$d")" $files --
  done
  for f in examples/*.aigw; do [ -f "$f" ] && set -- "$@" "$(basename "$f" .aigw)" "$f" --; done
  [ $# -gt 0 ] || { echo "no examples" > "$F/link-embed.log"; return 1; }
  "$F/embed_bundles" "$B/gen/fuzz_bundles.h.new" "$F/bundles" "$@" > "$F/link-embed.log" 2>&1 ||
    return 1
  cmp -s "$B/gen/fuzz_bundles.h.new" "$B/gen/fuzz_bundles.h" ||
    mv "$B/gen/fuzz_bundles.h.new" "$B/gen/fuzz_bundles.h"
  rm -f "$B/gen/fuzz_bundles.h.new"
  for d in tests/eval/*/; do
    files=$(find "$d" -name '*.aigw' | sort)
    [ -n "$files" ] && "$F/embed_bundles" "$F/scratch.h" "$F/bundles" "eval-$(basename "$d")" $files \
      > /dev/null 2>&1
  done
  rm -f "$F/scratch.h"
  mk "$(objs tests/fuzz/fuzz_eval_entry.c)" >> "$F/build.log" 2>&1
}

embedded=no
case " $targets " in *" bundle "*|*" eval "*) embed && embedded=yes ;; esac
built=""
for t in $targets; do
  rm -f "$F/fuzz_$t"
  case $t in
  compile)
    # with the runtime linked in, compiled bundles are also run through the verifier
    if link compile -Wl,-u,aigw_bundle_open_mem,-u,aigw_bundle_close,-u,aigw_config_init; then
      echo "fuzz compile: built, bundles checked by the verifier"
    elif link compile; then
      echo "fuzz compile: built, without the verifier check (the runtime does not link)"
    fi ;;
  eval)
    if [ $embedded = no ]; then
      echo "fuzz eval: skipped: not built (the examples could not be compiled and embedded;" \
        "$(sed -n "s/.*undefined reference to \`\([^']*\)'.*/\1/p" "$F/link-embed.log" |
          sort -u | head -3 | tr '\n' ' ')- see $F/link-embed.log)"
      continue
    fi
    link eval ;;
  *) link "$t" ;;
  esac
  if [ -x "$F/fuzz_$t" ]; then built="$built $t"
  else echo "fuzz $t: skipped: not built ($(undefined "$t"))"; fi
done

# ---- dictionary for the source targets: keywords from lex.h, punctuation, literals ----
{
  grep -o 'X("[a-z-]*"' lang/lex.h | sed 's/^X(//'
  for p in '{' '}' '(' ')' '[' ']' ',' ':' '.' '->' '==' '!=' '<=' '>=' '<' '>' '+' '-' \
           '*' '/' '=' '/*' '*/' '#' '\\u00e9' '\\n' '"' '@' '%' '_'; do
    printf '"%s"\n' "$(printf '%s' "$p" | sed 's/"/\\"/g')"
  done
  printf '"%s"\n' '2026-11-22' '2026-11-22T10:00:00Z' '+05:30' '30d' '12.5%' 'not in' \
    'azure-openai:gpt-4.1@eastus' 'list<string>' 'map<string>'
} > "$F/aigw.dict"

# ---- run ----
status=0
for t in $built; do
  work=$B/corpus/$t art=$B/artifacts/$t log=$F/fuzz-$t.log
  rm -rf "$work" "$art"; mkdir -p "$work" "$art"
  [ -d "tests/fuzz/corpus/$t" ] && find "tests/fuzz/corpus/$t" -type f ! -name '.*' -exec cp {} "$work/" \;
  if [ -d "tests/fuzz/regress/$t" ]; then
    for f in "tests/fuzz/regress/$t"/*; do [ -f "$f" ] && cp "$f" "$work/regress-$(basename "$f")"; done
  fi
  [ "$t" = bundle ] && [ -d "$F/bundles" ] && cp "$F/bundles"/*.aigwb "$work/" 2>/dev/null
  seeds=$(ls "$work" | wc -l)
  dict=""
  case $t in parse|compile) dict=-dict=$F/aigw.dict ;; esac
  # a generated policy can hold hundreds of declarations, compiled twice, formatted and
  # evaluated under the sanitizers: 0.1 s alone, seconds on a loaded machine
  to=2; [ "$t" = gen ] && to=10
  "$F/fuzz_$t" -max_total_time="$secs" -max_len=65536 -timeout=$to -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$art/" $dict "$work" > "$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz $t: ok, ${runs:-?} runs in ${secs}s (${rate:-?}/s), corpus $seeds -> $(ls "$work" | wc -l) inputs"
    if [ "${FUZZ_MERGE:-}" = 1 ]; then
      mkdir -p "tests/fuzz/corpus/$t"
      "$F/fuzz_$t" -merge=1 -max_len=65536 -timeout=2 "tests/fuzz/corpus/$t" "$work" >> "$log" 2>&1
      echo "fuzz $t: merged, corpus now $(ls "tests/fuzz/corpus/$t" | wc -l) inputs"
    fi
    continue
  fi
  status=1
  echo "fuzz $t: FAILED (exit $rc) after ${runs:-?} runs; log in $log"
  sed -n '/ERROR: \|runtime error: \|^==[0-9]*== *ERROR\|fuzz [a-z]*: /,$p' "$log" | head -40 | sed 's/^/  /'
  for a in "$art"/*; do
    [ -f "$a" ] || continue
    mkdir -p "tests/fuzz/regress/$t"
    cp "$a" "tests/fuzz/regress/$t/"
    echo "  saved tests/fuzz/regress/$t/$(basename "$a")  (reproduce: $F/fuzz_$t FILE)"
  done
done
[ -n "$built" ] || { echo "fuzz: no target built" >&2; status=1; }
exit $status
