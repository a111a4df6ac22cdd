#!/bin/sh
# examples/embed: a C program on libaigw alone prints, for the same bundle, input and
# now, the same bytes as `aigwc eval` (eval and libaigw agree), in both of
# its modes; it builds against the repository's build and, through pkg-config,
# against an installed libaigw (make install DESTDIR=… PREFIX=/usr).
. "$ROOT/tests/e2e/lib.sh"
E="$ROOT/examples/embed"
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
# a sanitizer build's library needs the sanitizer runtimes at link time
case "$BUILD_DIR" in *-san) SANFLAGS="-fsanitize=address -fsanitize=undefined" ;; *) SANFLAGS= ;; esac

# 1. against the repository's build, as a user would compile it by hand
if cc -std=c11 -Wall -Wextra -Werror $SANFLAGS -I "$ROOT/runtime" -o "$TMP/embed" "$E/embed.c" \
      "$BUILD_DIR/libaigw.a" -ljansson -lcrypto -lm -lpthread 2>"$TMP/cc.err"; then ok
else bad "embed.c does not build against $BUILD_DIR/libaigw.a"; cat "$TMP/cc.err"; finish; exit 1; fi
# … and through its Makefile
if make -s -C "$E" AIGW_BUILD="$BUILD_DIR" OUT="$TMP/embed-mk" CFLAGS="-O2 $SANFLAGS" >"$TMP/mk.out" 2>&1; then ok
else bad "make -C examples/embed AIGW_BUILD=…"; cat "$TMP/mk.out"; fi

# same NAME EMBED BUNDLE INPUT NOW: embed and aigwc eval print the same bytes and exit alike
same() {
  "$2" "$3" --now "$5" <"$4" >"$TMP/e.out" 2>"$TMP/e.err"; erc=$?
  "$AIGWC" eval -b "$3" -i "$4" --now "$5" >"$TMP/a.out" 2>/dev/null; arc=$?
  if cmp -s "$TMP/a.out" "$TMP/e.out" && [ -s "$TMP/a.out" ]; then ok
  else bad "$1: embed and aigwc eval differ"; diff "$TMP/a.out" "$TMP/e.out" | head -10; cat "$TMP/e.err"; fi
  [ "$erc" -eq "$arc" ] && ok || bad "$1: embed exits $erc, aigwc eval $arc"
}

# 2. the contoso example at several nows, each way of writing one
cd "$ROOT" || exit 1
"$AIGWC" compile -o "$TMP/contoso.aigwb" examples/contoso 2>/dev/null || bad "compile examples/contoso"
for now in 2026-11-22 1795305600 2026-11-22T08:30:00Z 2026-12-31T23:59:59+01:00 2027-01-01; do
  same "contoso at $now" "$TMP/embed" "$TMP/contoso.aigwb" examples/contoso/requests.jsonl "$now"
done
[ -x "$TMP/embed-mk" ] && same "contoso (Makefile build)" "$TMP/embed-mk" "$TMP/contoso.aigwb" examples/contoso/requests.jsonl 2026-11-22

# 3. every decision test case, at its own now
cd "$ROOT/tests/eval" || exit 1
for dir in */; do
  n=${dir%/}
  [ -f "$n/input.jsonl" ] && [ -f "$n/now" ] || continue
  if "$AIGWC" compile -o "$TMP/case.aigwb" "$n" 2>/dev/null; then
    same "tests/eval/$n" "$TMP/embed" "$TMP/case.aigwb" "$n/input.jsonl" "$(cat "$n/now")"
  else bad "compile tests/eval/$n"; fi
done
cd "$ROOT" || exit 1

# 4. field by field: the same request set through aigw_input_string/int/list_add/map_set
#    decides exactly as its JSON does
cat >"$TMP/one.jsonl" <<'JSON'
{"model":"mistral-large","provider":"azure-openai","region":"eastus","task":"chat","scope":"/SUBSCRIPTIONS/0b1f6471-1bf0-4dda-aec3-111122223333//resourceGroups/rag-pilot/x/","ancestors":["/providers/Microsoft.Management/managementGroups/contoso-prod","/providers/Microsoft.Management/managementGroups/contoso"],"principal":"bob","team":"claims","classification":"internal","prompt_tokens":40000,"tags":{"cost-center":"cc-42","env":"prod"}}
JSON
"$TMP/embed" "$TMP/contoso.aigwb" --now 2026-11-22 \
  --set model=mistral-large --set provider=azure-openai --set region=eastus --set task=chat \
  --set scope=/SUBSCRIPTIONS/0b1f6471-1bf0-4dda-aec3-111122223333//resourceGroups/rag-pilot/x/ \
  --list ancestors=/providers/Microsoft.Management/managementGroups/contoso-prod \
  --list ancestors=/providers/Microsoft.Management/managementGroups/contoso \
  --set principal=bob --set team=claims --set classification=internal --int prompt_tokens=40000 \
  --map tags.cost-center=cc-42 --map tags.env=prod >"$TMP/f.out" 2>"$TMP/f.err"; frc=$?
"$AIGWC" eval -b "$TMP/contoso.aigwb" -i "$TMP/one.jsonl" --now 2026-11-22 >"$TMP/a.out" 2>/dev/null; arc=$?
check "field by field = JSON" "$TMP/a.out" "$TMP/f.out"
[ "$frc" -eq "$arc" ] && ok || bad "field by field: exit $frc, aigwc eval $arc"
# a field left unset fails closed, as a missing JSON key does
"$TMP/embed" "$TMP/contoso.aigwb" --now 2026-11-22 --set model=gpt-4o --set provider=azure-openai \
  --set classification=internal --map tags.cost-center=cc-1 >"$TMP/f.out" 2>/dev/null; frc=$?
echo '{"model":"gpt-4o","provider":"azure-openai","classification":"internal","tags":{"cost-center":"cc-1"}}' >"$TMP/one.jsonl"
"$AIGWC" eval -b "$TMP/contoso.aigwb" -i "$TMP/one.jsonl" --now 2026-11-22 >"$TMP/a.out" 2>/dev/null
check "field by field, unset fields" "$TMP/a.out" "$TMP/f.out"
[ "$frc" -eq 1 ] && ok || bad "field by field, unset fields: exit $frc, want 1 (deny)"
# --summary reads the decision through the accessors
"$TMP/embed" "$TMP/contoso.aigwb" --now 2026-11-22 --summary --set model=llama-3 --set provider=azure-openai \
  --set scope=/subscriptions/x --set classification=internal --int prompt_tokens=5 --map tags.a=b >/dev/null 2>"$TMP/s.err"
grep -q '^decision: deny$' "$TMP/s.err" && grep -q 'violation approved-model \[high deny\]: model llama-3 is not in the approved catalog' "$TMP/s.err" \
  && ok || { bad "--summary"; cat "$TMP/s.err"; }

# 5. errors: a wrong type, an unknown field, a file that is not a bundle, a bad --now
"$TMP/embed" "$TMP/contoso.aigwb" --int model=3 >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "--int on a string field should exit 2"
"$TMP/embed" "$TMP/contoso.aigwb" --set nosuchfield=1 >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "unknown field should exit 2"
"$TMP/embed" examples/contoso/models.aigw </dev/null >/dev/null 2>"$TMP/x.err"; rc=$?
[ $rc -eq 2 ] && grep -q 'embed: examples/contoso/models.aigw: ' "$TMP/x.err" && ok || { bad "a source file as bundle: exit $rc"; cat "$TMP/x.err"; }
"$TMP/embed" "$TMP/contoso.aigwb" --now 2026-02-30x </dev/null >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "bad --now should exit 2"

# 6. installed: make install DESTDIR=… PREFIX=/usr, then build through pkg-config. -o all
#    installs what is built without rebuilding it (other tests may be using the build).
D="$TMP/dest"
if make -s -C "$ROOT" -o all install BUILD="${BUILD_DIR#"$ROOT"/}" DESTDIR="$D" PREFIX=/usr >"$TMP/inst.out" 2>&1; then ok
else bad "make install DESTDIR=$D PREFIX=/usr"; cat "$TMP/inst.out"; fi
for f in usr/include/aigw.h usr/lib/libaigw.a usr/lib/libaigw.so usr/lib/pkgconfig/aigw.pc usr/bin/aigwc; do
  [ -e "$D/$f" ] && ok || bad "make install did not install /$f"
done
if grep -qx 'prefix=/usr' "$D/usr/lib/pkgconfig/aigw.pc" 2>/dev/null; then ok
else bad "installed aigw.pc says '$(head -n 1 "$D/usr/lib/pkgconfig/aigw.pc" 2>/dev/null)', want prefix=/usr"; fi
# PKG_CONFIG_SYSROOT_DIR maps the .pc's /usr paths into the DESTDIR tree
export PKG_CONFIG_PATH="$D/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D"
if make -s -C "$E" OUT="$TMP/embed-pc" CFLAGS="-O2 $SANFLAGS" >"$TMP/pc.out" 2>&1; then
  ok
  LD_LIBRARY_PATH="$D/usr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$TMP/embed-pc" "$TMP/contoso.aigwb" --now 2026-11-22 <examples/contoso/requests.jsonl >"$TMP/e.out" 2>"$TMP/e.err"
  "$AIGWC" eval -b "$TMP/contoso.aigwb" -i examples/contoso/requests.jsonl --now 2026-11-22 >"$TMP/a.out" 2>/dev/null
  check "embed built with pkg-config" "$TMP/a.out" "$TMP/e.out"
else
  bad "examples/embed does not build with PKG_CONFIG_PATH=$PKG_CONFIG_PATH: $(pkg-config --cflags --libs aigw 2>&1)"
  tail -5 "$TMP/pc.out"
fi
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
finish
