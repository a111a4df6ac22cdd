#!/bin/sh
# Hostile input: every file is generated here, at test time, into a temporary directory
# (nothing large is committed). `aigwc parse` must end each run with exit 0 or 1, never a
# crash, signal or sanitizer report, and within 1 s (5 s when the binary is built with
# sanitizers, detected from its symbols; LIMIT_MS overrides).
#   AIGWC=build-san/aigwc sh tests/e2e/t_hostile.sh
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$HERE/../.." && pwd)}
AIGWC=${AIGWC:-$ROOT/build/aigwc}
. "$HERE/lib.sh"
export LC_ALL=C
# A sanitizer report must not pass for "exit 1".
export ASAN_OPTIONS=exitcode=86:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:exitcode=87

if grep -q __asan_init "$AIGWC" 2>/dev/null; then LIMIT_MS=${LIMIT_MS:-5000}; else LIMIT_MS=${LIMIT_MS:-1000}; fi
D=${HOSTILE_DIR:-$TMP/hostile}; mkdir -p "$D"

# rep N TEXT: TEXT repeated N times, built by doubling so that 100,000 copies are quick
rep() {
  n=$1; out=""; chunk=$2
  while [ "$n" -gt 0 ]; do
    if [ $((n % 2)) -eq 1 ]; then out="$out$chunk"; fi
    chunk="$chunk$chunk"; n=$((n / 2))
  done
  printf '%s' "$out"
}

# ---- the inputs ----
: >"$D/empty.aigw"
# 64 KiB of bytes from a fixed seed (Park-Miller; exact in any awk's doubles), written
# through printf's octal escapes so that NUL and high bytes come out as they are
awk 'BEGIN { x = 20261122; for (i = 0; i < 65536; i++) {
  x = (x * 16807) % 2147483647; printf "\\%03o", x % 256; if (i % 512 == 511) printf "\n" } }' |
  while IFS= read -r line; do printf "$line"; done >"$D/garbage.aigw"
printf 'guardrail g {\n  severity low\000\000\n  deny when \000 request.a\n}\n' >"$D/nul_source.aigw"
printf 'guardrail g {\n  message "a \000 NUL"\n  reason "\000"\n}\n' >"$D/nul_string.aigw"
printf 'guardrail g\377\376 {\n  message "\300\257 \355\240\200 \364\220\200\200 \342\202"\n}\n\377' >"$D/bad_utf8.aigw"
printf 'guardrail g {\n  message "never closed\n' >"$D/open_string.aigw"
printf 'guardrail g {\n  message "ends with a backslash\\' >"$D/open_string_bs.aigw"
printf 'guardrail g {\n  severity low\n}\n/* never closed\n' >"$D/open_comment.aigw"
{ printf 'guardrail g {\n  message "'; rep 1048576 a; printf '"\n}\n'; } >"$D/line_string.aigw"
{ printf 'guardrail g {\n  deny when request.a'; rep 131072 ' and r.a'; printf '\n}\n'; } >"$D/line_tokens.aigw"
{ printf 'guardrail g {\n  deny when '; rep 100000 '('; printf 'x'; rep 100000 ')'; printf '\n}\n'; } >"$D/parens.aigw"
{ printf 'guardrail g '; rep 100000 '{'; rep 100000 '}'; printf '\n'; } >"$D/braces.aigw"
{ printf 'guardrail g {\n  deny when '; rep 100000 'not '; printf 'x\n}\n'; } >"$D/nots.aigw"
{ printf 'set s = { '; rep 100000 '-'; printf '1 }\n'; } >"$D/minus.aigw"
{ rep 100000 'guardrail '; printf '\n'; } >"$D/keywords.aigw"
# 20 MB of valid declarations: N copies of the example, by binary doubling
blk=$ROOT/tests/parse/contoso.aigw
n=$((20 * 1024 * 1024 / $(wc -c <"$blk") + 1))
cp "$blk" "$D/chunk"; : >"$D/big.aigw"
while [ $n -gt 0 ]; do
  if [ $((n % 2)) -eq 1 ]; then cat "$D/chunk" >>"$D/big.aigw"; fi
  cat "$D/chunk" "$D/chunk" >"$D/chunk2"; mv "$D/chunk2" "$D/chunk"; n=$((n / 2))
done
rm -f "$D/chunk"

# ---- the runs ----
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# timed FILE: run once, setting rc and ms (wall clock)
timed() {
  t0=$(now_ms)
  timeout 10 "$AIGWC" parse "$1" >/dev/null 2>"$TMP/stderr"
  rc=$?
  ms=$(($(now_ms) - t0))
}
for f in "$D"/*.aigw; do
  name=$(basename "$f" .aigw)
  timed "$f"
  if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then bad "hostile/$name: exit $rc"; tail -5 "$TMP/stderr"; continue; fi
  if grep -q 'Sanitizer\|runtime error' "$TMP/stderr"; then bad "hostile/$name: sanitizer report"; grep -m5 'Sanitizer\|runtime error' "$TMP/stderr"; continue; fi
  # Wall time also counts waiting for a busy machine's CPU: a slow run is repeated
  # twice and the fastest counts, so only a parser that is slow every time fails.
  best=$ms
  for retry in 1 2; do
    [ $best -lt "$LIMIT_MS" ] && break
    timed "$f"; [ $ms -lt $best ] && best=$ms
  done
  if [ $best -ge "$LIMIT_MS" ]; then bad "hostile/$name: took $best ms (limit $LIMIT_MS ms)"; continue; fi
  ok
done

# The outcome matters too, not only surviving: these must be clean, those must not.
for name in empty big; do
  if "$AIGWC" parse "$D/$name.aigw" >/dev/null 2>&1; then ok; else bad "hostile/$name: expected no errors"; fi
done
for name in garbage nul_source nul_string bad_utf8 open_string open_string_bs open_comment line_string line_tokens parens braces nots minus keywords; do
  "$AIGWC" parse "$D/$name.aigw" >/dev/null 2>&1
  if [ $? -eq 1 ]; then ok; else bad "hostile/$name: expected exit 1 (errors)"; fi
done

# The file size limit (64 MiB): a sparse file just over it is refused, quickly.
truncate -s 65M "$D/huge.aigw"
t0=$(now_ms)
timeout 10 "$AIGWC" parse "$D/huge.aigw" >/dev/null 2>"$TMP/stderr"
rc=$?; ms=$(($(now_ms) - t0))
if [ $rc -eq 1 ] && grep -q 'file too large (limit is 64 MiB)' "$TMP/stderr" && [ $ms -lt "$LIMIT_MS" ]; then ok
else bad "hostile/huge: exit $rc after $ms ms"; head -3 "$TMP/stderr"; fi
finish
