#!/bin/sh
# Signed bundles: a host configured with a verify key loads only bundles signed by it.
# The SHA-256 seal alone does not stop a tamperer, who can reseal: here a bundle is
# rewritten so that its only guardrail can no longer fire, resealed, and must be refused
# with a key configured (and, to show the attack is real, accepted without one).
. "$ROOT/tests/e2e/lib.sh"
cd "$TMP" || exit 1
A=$AIGWC
"$A" sign --keygen good 2>/dev/null && "$A" sign --keygen evil 2>/dev/null && ok || bad "keygen"
[ "$(stat -c %a good.key)" = 600 ] && ok || bad "a private key is readable by others"
"$A" sign --keygen good 2>/dev/null && bad "keygen overwrote a key" || ok
cat >p.aigw <<'P'
policy signed
input request { model: string }
guardrail approved-model { deny when request.model != "gpt-4o" }
P
echo '{"model":"llama-3"}' >in.json
"$A" compile -q -o p.aigwb --sign good.key p.aigw 2>sign.err && grep -q '^aigw-signature 1$' p.aigwb.sig && ok || { bad "compile --sign"; cat sign.err; }
# the signed bundle opens with its key and decides as usual
"$A" eval -b p.aigwb --verify-key good.pub -i in.json --now 2026-11-22 >out.json; rc=$?
[ $rc -eq 1 ] && grep -q '"decision":"deny"' out.json && ok || bad "signed bundle with its key: exit $rc"
# another key, no signature, a signature of another bundle: refused, exit 2
"$A" eval -b p.aigwb --verify-key evil.pub -i in.json --now 2026-11-22 >/dev/null 2>err; rc=$?
[ $rc -eq 2 ] && grep -q "not a configured verify key" err && ok || { bad "wrong key: exit $rc"; cat err; }
cp p.aigwb q.aigwb
"$A" eval -b q.aigwb --verify-key good.pub -i in.json --now 2026-11-22 >/dev/null 2>err; rc=$?
[ $rc -eq 2 ] && grep -q "not signed" err && ok || { bad "unsigned: exit $rc"; cat err; }
# tampered: the guardrail's `!= "gpt-4o"` (FSNEK) becomes `==` (FSEQK), so it never
# fires for other models, and the checksum is recomputed over the bytes after the
# 64-byte header
python3 - p.aigwb t.aigwb <<'PY'
import hashlib, sys
b = bytearray(open(sys.argv[1], 'rb').read())
# the program FSNEK (opcode 48) field 0, "gpt-4o" in the next word; RET (opcode 36)
i = next(k for k in range(64, len(b) - 11, 4)
         if b[k:k + 4] == bytes([48, 0, 0, 0]) and b[k + 8:k + 12] == bytes([36, 0, 0, 0]))
b[i] = 47                                              # FSEQK
b[24:56] = hashlib.sha256(bytes(b[64:])).digest()
open(sys.argv[2], 'wb').write(b)
PY
cp p.aigwb.sig t.aigwb.sig
"$A" eval -b t.aigwb -i in.json --now 2026-11-22 >tampered.json 2>/dev/null
grep -q '"decision":"allow"' tampered.json && ok || bad "the tampered bundle should load and allow without a key (the attack)"
"$A" eval -b t.aigwb --verify-key good.pub -i in.json --now 2026-11-22 >/dev/null 2>err; rc=$?
[ $rc -eq 2 ] && grep -q "does not match its content" err && ok || { bad "tampered, resealed: exit $rc"; cat err; }
# aigwc sign on an existing bundle gives the same verification
"$A" sign -k good.key q.aigwb 2>/dev/null && "$A" eval -b q.aigwb --verify-key evil.pub --verify-key good.pub -i in.json --now 2026-11-22 >/dev/null
[ $? -eq 1 ] && ok || bad "aigwc sign, then verify among two keys"
# a corrupt signature file is an error, never a pass
printf 'aigw-signature 1\nkey zz\n' >q.aigwb.sig
"$A" eval -b q.aigwb --verify-key good.pub -i in.json --now 2026-11-22 >/dev/null 2>err; rc=$?
[ $rc -eq 2 ] && grep -q "malformed" err && ok || { bad "malformed signature: exit $rc"; cat err; }
# aigwc serve with a verify key: the signed bundle serves; a tampered one is refused at
# start (exit 2) and, swapped in later, refused while the good one keeps serving
PIDS=""
. "$ROOT/tests/e2e/serve/lib.sh"
cp p.aigwb live.aigwb && cp p.aigwb.sig live.aigwb.sig
if start signed --threads 2 --verify-key good.pub -b live.aigwb; then
  trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
  curl -s -m 5 -X POST --data-binary @in.json "http://127.0.0.1:$PORT/v1/decide" | grep -q '"decision":"deny"' && ok || bad "serve: signed bundle decides"
  cp t.aigwb live.aigwb && cp t.aigwb.sig live.aigwb.sig && kill -HUP $PID
  for _ in $(seq 40); do grep -q "does not match its content" "$TMP/signed.err" && break; sleep 0.05; done
  grep -q "does not match its content" "$TMP/signed.err" && ok || { bad "serve: tampered bundle not refused on reload"; cat "$TMP/signed.err"; }
  curl -s -m 5 -X POST --data-binary @in.json "http://127.0.0.1:$PORT/v1/decide" | grep -q '"decision":"deny"' && ok || bad "serve: the good bundle no longer serves"
  curl -s -m 5 "http://127.0.0.1:$PORT/ready" | grep -q "does not match its content" && ok || bad "serve: /ready does not show the refusal"
  stop "$PID"
fi
cp t.aigwb live.aigwb && cp t.aigwb.sig live.aigwb.sig
timeout 10 "$A" serve --listen 127.0.0.1:0 --verify-key good.pub -b live.aigwb >/dev/null 2>serve.err; rc=$?
[ $rc -eq 2 ] && grep -q "does not match its content" serve.err && ok || { bad "serve starting on a tampered bundle: exit $rc"; cat serve.err; }

# keys are only for bundles: sources with --verify-key are refused
"$A" eval p.aigw --verify-key good.pub -i in.json --now 2026-11-22 >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "--verify-key with sources"
finish
