#!/bin/sh
# aigwc audit, import azure, export azure and audit --azure (docs/audit.md, docs/azure.md),
# on the files of tests/audit (its README says which is which).
#
# 1. Golden audits: tests/audit/golden/NAME.args holds the arguments of one `aigwc audit`,
#    run from tests/audit; stdout must be NAME.out (bundle ids masked), stderr NAME.err
#    (else empty; NAME.anyerr: the compiler's own words, not checked here), the exit code
#    NAME.rc (else 0); and each output has its format's shape
#    (formats.py: 80 columns, RFC 4180, GFM tables, the JSON fields).
# 2. Colour on a terminal only, and never with NO_COLOR.
# 3. Import: realistic listings become formatted source that compiles and lints with the
#    expected findings; export gives back equivalent JSON (azure_equiv.py), and importing
#    that export gives back the same source.
# 4. Live: audit --azure against arm_stub.py on loopback (paging, 429, 503, 401, a
#    timeout, malformed JSON, an error on page 3, a nextLink to another host): a complete
#    report or a clear error, never a partial report; the token is never printed.
# UPDATE=1 rewrites the golden files from what the binary prints: read them by eye
# before keeping them, they are the specification.
. "$ROOT/tests/e2e/lib.sh"
D="$ROOT/tests/audit"
AZ="$D/azure"
cd "$D" || { bad "no $D"; finish; exit 1; }

mask() { sed -E 's/sha256:[0-9a-f]{64}/sha256:BUNDLE/g' "$1"; }
# golden NAME EXPECTED ACTUAL: compare, or rewrite under UPDATE=1
golden() {
  if [ -n "${UPDATE:-}" ]; then
    if [ -s "$3" ] || [ "${2##*.}" != err ]; then cp "$3" "$2"; else rm -f "$2"; fi
  fi
  if [ -f "$2" ]; then check "$1" "$2" "$3"
  elif [ -s "$3" ]; then bad "$1: unexpected output"; head -20 "$3"
  else ok; fi
}
expect_rc() {   # expect_rc NAME WANT GOT
  if [ "$3" -eq "$2" ]; then ok; else bad "$1: exit $3, want $2"; fi
}

# ---- 1. golden audits, and the shape of every format
for a in golden/*.args; do
  n=${a%.args}; name=$(basename "$n")
  # shellcheck disable=SC2046  # the file holds a word list
  "$AIGWC" audit $(cat "$a") >"$TMP/raw.out" 2>"$TMP/$name.err"
  rc=$?
  mask "$TMP/raw.out" >"$TMP/$name.out"
  golden "audit $name stdout" "$n.out" "$TMP/$name.out"
  [ -f "$n.anyerr" ] || golden "audit $name stderr" "$n.err" "$TMP/$name.err"
  expect_rc "audit $name" "$(cat "$n.rc" 2>/dev/null || echo 0)" "$rc"
  kind=
  case $(cat "$a") in
    *"--format json"*) kind=json ;; *"--format csv"*) kind=csv ;; *"--format markdown"*) kind=markdown ;;
    *"--format"*) kind=table ;; *) [ -s "$TMP/raw.out" ] && kind=table ;;
  esac
  if [ -n "$kind" ]; then
    if python3 formats.py "$kind" "$TMP/raw.out" >"$TMP/shape"; then ok; else bad "audit $name: not $kind"; cat "$TMP/shape"; fi
  fi
done

# a compiled bundle gives the same report as its sources
"$AIGWC" compile -o "$TMP/portfolio.aigwb" portfolio >/dev/null 2>&1
"$AIGWC" audit -b "$TMP/portfolio.aigwb" --now 2026-11-22 >"$TMP/b.out" 2>&1
check "audit -b BUNDLE" golden/table.out "$TMP/b.out"
"$AIGWC" audit --help >"$TMP/help" 2>&1; expect_rc "audit --help" 0 $?

# ---- 2. colour: on a terminal, not in a pipe, never with NO_COLOR
ESC=$(printf '\033')
if grep -q "$ESC" golden/*.out; then bad "audit: colour in a pipe"; else ok; fi
if command -v script >/dev/null 2>&1; then
  script -qc "'$AIGWC' audit portfolio --now 2026-11-22" /dev/null >"$TMP/tty" 2>&1 </dev/null
  if grep -q "$ESC\[3[1-6]mexpired$ESC\[0m" "$TMP/tty"; then ok; else bad "audit: no colour on a terminal"; fi
  NO_COLOR=1 script -qc "'$AIGWC' audit portfolio --now 2026-11-22" /dev/null >"$TMP/tty" 2>&1 </dev/null
  if grep -q "$ESC" "$TMP/tty"; then bad "audit: colour despite NO_COLOR"; else ok; fi
fi

# ---- 3. import azure, and export back
cp "$AZ/base.aigw" "$TMP/base.aigw"
"$AIGWC" import azure --map "$AZ/map.json" "$AZ/page1.json" "$AZ/page2.json" "$AZ/page3.json" \
  >"$TMP/imported.aigw" 2>"$TMP/import.err"
expect_rc "import azure (3 pages)" 0 $?
golden "import azure stdout" "$AZ/import.expected" "$TMP/imported.aigw"
golden "import azure stderr" "$AZ/import.err" "$TMP/import.err"
cat "$AZ/page1.json" "$AZ/page2.json" "$AZ/page3.json" | "$AIGWC" import azure --map "$AZ/map.json" - >"$TMP/stdin.aigw" 2>/dev/null
check "import azure - (the pages one after another)" "$TMP/imported.aigw" "$TMP/stdin.aigw"
"$AIGWC" import azure --map "$AZ/map.json" --policy contoso.azure "$AZ/cli.json" >"$TMP/cli.aigw" 2>"$TMP/cli.err"
expect_rc "import azure (az CLI shape)" 0 $?
golden "import azure (az CLI shape)" "$AZ/cli.expected" "$TMP/cli.aigw"
# what import prints is formatted and compiles with the repository's guardrails
(cd "$TMP" && "$AIGWC" fmt --check imported.aigw cli.aigw) >"$TMP/fmt.out" 2>&1
expect_rc "import output is formatted" 0 $?
(cd "$TMP" && "$AIGWC" compile -o imported.aigwb base.aigw imported.aigw) >/dev/null 2>"$TMP/compile.err"
expect_rc "import output compiles" 0 $?
(cd "$TMP" && "$AIGWC" compile -o cli.aigwb base.aigw cli.aigw) >/dev/null 2>&1
expect_rc "import output (az CLI shape) compiles" 0 $?
# and lints with the findings the markers promise, where lint exists
if "$AIGWC" lint --help >/dev/null 2>&1; then
  (cd "$TMP" && "$AIGWC" lint --now 2026-11-22 base.aigw imported.aigw) >"$TMP/lint.out" 2>&1
  for want in "legacy-batch waives azure-unmapped-legacy-guardrails-outputCap.*exemption-waives-dead-guardrail" \
              "az-0f3c2a9e-5d1b-4c47-9a3e-2b8f6d1e7a10 never expires.*exemption-never-expires" \
              "no-text has no real owner.*exemption-owner" "us-migration has no real owner.*exemption-owner"; do
    if grep -q "$want" "$TMP/lint.out"; then ok; else bad "lint of the import: no finding /$want/"; fi
  done
fi
# export gives back equivalent JSON, and importing it gives back the same source
(cd "$TMP" && "$AIGWC" export azure --map "$AZ/map.json" -b imported.aigwb) >"$TMP/export.json" 2>"$TMP/export.err"
expect_rc "export azure" 0 $?
golden "export azure" "$AZ/export.expected" "$TMP/export.json"
if python3 azure_equiv.py "$AZ/map.json" "$AZ/page1.json" "$AZ/page2.json" "$AZ/page3.json" -- "$TMP/export.json" >"$TMP/equiv"; then ok
else bad "import then export: not equivalent"; cat "$TMP/equiv"; fi
"$AIGWC" import azure --map "$AZ/map.json" "$TMP/export.json" >"$TMP/again.aigw" 2>/dev/null
grep -v '^#' "$TMP/imported.aigw" >"$TMP/a1"; grep -v '^#' "$TMP/again.aigw" >"$TMP/a2"
check "import, export, import: the same exemptions" "$TMP/a1" "$TMP/a2"
# export refuses what Azure cannot hold, and writes nothing
(cd "$TMP" && "$AIGWC" export azure -b imported.aigwb) >"$TMP/x.out" 2>"$TMP/x.err"
expect_rc "export without the mapping" 2 $?
if [ ! -s "$TMP/x.out" ] && grep -q "which the mapping file (--map) does not name" "$TMP/x.err"; then ok; else bad "export without the mapping: output"; fi
"$AIGWC" export azure --map "$AZ/map.json" portfolio >"$TMP/x.out" 2>"$TMP/x.err"
expect_rc "export of a pattern scope" 2 $?
if [ ! -s "$TMP/x.out" ] && grep -q "EX-110 cannot be written for Azure: its scope is a pattern" "$TMP/x.err"; then ok; else bad "export of a pattern scope: output"; cat "$TMP/x.err"; fi

# the shipped example is what import prints, and exports back to its listing
EX="$ROOT/examples/azure-import"
"$AIGWC" import azure --map "$EX/mapping.json" --policy contoso.azure "$EX/azure-exemptions.json" >"$TMP/ex.aigw" 2>/dev/null
check "examples/azure-import/exemptions.aigw is what import prints" "$EX/exemptions.aigw" "$TMP/ex.aigw"
"$AIGWC" export azure --map "$EX/mapping.json" "$EX" >"$TMP/ex.json" 2>"$TMP/ex.err"
expect_rc "export of examples/azure-import" 0 $?
if python3 azure_equiv.py "$EX/mapping.json" "$EX/azure-exemptions.json" -- "$TMP/ex.json" >"$TMP/equiv"; then ok
else bad "examples/azure-import: export not equivalent"; cat "$TMP/equiv"; fi

# hostile metadata: a renewal cycle and a reference listed twice still give source that compiles
printf '%s\n' '[{"id": "/subscriptions/1/providers/Microsoft.Authorization/policyExemptions/a",' \
  ' "properties": {"policyAssignmentId": "/x", "exemptionCategory": "Waiver", "policyDefinitionReferenceIds": ["r", "r"],' \
  '  "metadata": {"owner": "o@example.com", "renews": "b"}}},' \
  ' {"id": "/subscriptions/1/providers/Microsoft.Authorization/policyExemptions/b",' \
  ' "properties": {"policyAssignmentId": "/x", "exemptionCategory": "Waiver", "metadata": {"owner": "o@example.com", "renews": "a"}}}]' \
  >"$TMP/cycle.json"
"$AIGWC" import azure "$TMP/cycle.json" >"$TMP/cycle.aigw" 2>/dev/null
(cd "$TMP" && "$AIGWC" compile -o cycle.aigwb base.aigw cycle.aigw) >/dev/null 2>"$TMP/cycle.err"
expect_rc "import of a renewal cycle compiles" 0 $?
grep -q "renews an exemption not in this import, or in a cycle: a" "$TMP/cycle.aigw" && ok || bad "import of a renewal cycle: no comment"

# import errors: each a clear message and exit 2, nothing on stdout
import_err() {   # import_err NAME MESSAGE ARGS...
  name=$1 want=$2; shift 2
  "$AIGWC" import azure "$@" >"$TMP/e.out" 2>"$TMP/e.err"; rc=$?
  if [ "$rc" -eq 2 ] && [ ! -s "$TMP/e.out" ] && grep -q "$want" "$TMP/e.err"; then ok
  else bad "import $name: exit $rc"; cat "$TMP/e.err"; fi
}
import_err "an incomplete listing" "the listing goes on (its last page has a nextLink)" --map "$AZ/map.json" "$AZ/page1.json"
printf '{"value": [' >"$TMP/trunc.json"
import_err "malformed JSON" "trunc.json: malformed JSON at byte" "$TMP/trunc.json"
printf '[{"id": "/subscriptions/1/providers/Microsoft.Authorization/policyExemptions/x", "properties": {"exemptionCategory": "Waiver"}}]' >"$TMP/noassign.json"
import_err "without policyAssignmentId" "noassign.json: \[0\]: policyAssignmentId is missing" "$TMP/noassign.json"
printf '[{"id": "/subscriptions/1/providers/Microsoft.Authorization/policyExemptions/x", "properties": {"policyAssignmentId": "/a", "exemptionCategory": "Exempt"}}]' >"$TMP/cat.json"
import_err "an unknown category" "exemptionCategory is neither Waiver nor Mitigated: Exempt" "$TMP/cat.json"
printf '[{"id": "/subscriptions/1/providers/Microsoft.Authorization/policyExemptions/x", "properties": {"policyAssignmentId": "/a", "exemptionCategory": "Waiver"}},
 {"id": "/subscriptions/2/providers/Microsoft.Authorization/policyExemptions/x", "properties": {"policyAssignmentId": "/a", "exemptionCategory": "Waiver"}}]' >"$TMP/twice.json"
import_err "one name at two scopes" "two exemptions are named x" "$TMP/twice.json"
printf '{"assignments": [{"id": "/a", "guardrail": "g"}, {"id": "/b", "references": {"r": "g"}}]}' >"$TMP/map2.json"
import_err "a guardrail mapped twice" "guardrail 'g' is mapped twice" --map "$TMP/map2.json" "$AZ/cli.json"
"$AIGWC" import aws x >/dev/null 2>&1; expect_rc "import aws" 2 $?

# ---- 4. live: audit --azure against the stub ARM server, on loopback
if command -v python3 >/dev/null 2>&1; then
  TOKEN=stub-token-S3CRET-7f1c
  STUB_TOKEN=$TOKEN LIFETIME=120 python3 arm_stub.py "$TMP/stub.port" "$TMP/stub.log" \
    "$AZ/page1.json" "$AZ/page2.json" "$AZ/page3.json" 2>"$TMP/stub.err" &
  STUB=$!
  trap 'kill $STUB 2>/dev/null; rm -rf "$TMP"' EXIT
  i=0; while [ ! -s "$TMP/stub.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  PORT=$(cat "$TMP/stub.port" 2>/dev/null)
  SUB=/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333
  # live NAME WANT SCENARIO POLICY [OPTIONS...]: prints nothing, leaves $TMP/live.{out,err}, $secs
  live() {
    name=$1 want=$2 scen=$3 pol=$4; shift 4
    t0=$(date +%s)
    (cd "$TMP" && AIGWC_ARM_TOKEN=$TOKEN "$AIGWC" audit base.aigw "$pol" --now 2026-11-22 --map "$AZ/map.json" \
       --endpoint "http://127.0.0.1:$PORT/$scen" "$@") >"$TMP/live.out" 2>"$TMP/live.err"
    rc=$?
    secs=$(( $(date +%s) - t0 ))
    cat "$TMP/live.out" "$TMP/live.err" >>"$TMP/all-output"
    expect_rc "audit --azure $name" "$want" "$rc"
  }
  # failed reads: a clear error, and no report at all
  failed() {   # failed NAME MESSAGE
    if [ ! -s "$TMP/live.out" ] && grep -q "$2" "$TMP/live.err" && grep -q "no drift report" "$TMP/live.err"; then ok
    else bad "audit --azure $1: output"; cat "$TMP/live.out" "$TMP/live.err"; fi
  }
  if [ -n "$PORT" ]; then
    cp "$AZ/drift.aigw" "$TMP/drift.aigw"
    live "three pages, in step" 0 paging imported.aigw --azure $SUB
    if grep -q "^10 exemptions in Azure, 10 in the policies compared" "$TMP/live.out" && grep -q "^No drift.$" "$TMP/live.out"; then ok
    else bad "audit --azure in step: report"; cat "$TMP/live.out"; fi
    if [ "$(grep -c '^GET /paging/' "$TMP/stub.log")" -eq 3 ]; then ok; else bad "audit --azure: not three pages"; cat "$TMP/stub.log"; fi
    live "drift" 1 paging drift.aigw --azure $SUB
    golden "audit --azure drift (table)" "$AZ/drift.expected" "$TMP/live.out"
    live "drift, json" 1 paging drift.aigw --azure $SUB --format json
    golden "audit --azure drift (json)" "$AZ/drift-json.expected" "$TMP/live.out"
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/live.out" && ok || bad "audit --azure json: does not parse"
    live "drift, markdown" 1 paging drift.aigw --azure $SUB --format markdown
    python3 formats.py markdown "$TMP/live.out" && ok || bad "audit --azure markdown: shape"
    live "drift, csv" 1 paging drift.aigw --azure $SUB --format csv
    python3 formats.py csv "$TMP/live.out" && ok || bad "audit --azure csv: shape"
    live "and --fail-if" 1 paging imported.aigw --azure $SUB --fail-if never
    grep -q "fail-if never: 1 exemption never expires" "$TMP/live.err" && ok || bad "audit --azure --fail-if: message"
    live "a 429 with Retry-After" 0 throttle imported.aigw --azure $SUB
    if grep -q "^No drift.$" "$TMP/live.out" && [ "$secs" -ge 1 ] && [ "$(grep -c '^GET /throttle/' "$TMP/stub.log")" -eq 4 ]; then ok
    else bad "audit --azure 429: waited ${secs}s"; cat "$TMP/live.out" "$TMP/live.err"; fi
    live "a 503, retried" 0 flaky imported.aigw --azure $SUB
    grep -q "^No drift.$" "$TMP/live.out" && ok || bad "audit --azure 503: report"
    live "a 401" 2 unauthorized imported.aigw --azure $SUB
    failed "a 401" "page 1: HTTP 401: InvalidAuthenticationToken: The access token is invalid."
    live "a timeout" 2 slow imported.aigw --azure $SUB --timeout 1
    failed "a timeout" "page 1: no complete answer within --timeout 1s"
    [ "$secs" -le 3 ] && ok || bad "audit --azure timeout: took ${secs}s"
    live "malformed JSON" 2 malformed imported.aigw --azure $SUB
    failed "malformed JSON" "page 2: malformed JSON at byte"
    live "an error on page 3" 2 later-error imported.aigw --azure $SUB --retries 1 --timeout 20
    failed "an error on page 3" "page 3: HTTP 500 after 2 attempts: InternalServerError: the listing failed"
    live "a nextLink to another host" 2 foreign-next imported.aigw --azure $SUB
    failed "a nextLink to another host" "page 1: nextLink leads away from http://127.0.0.1:$PORT; the token is not sent there"
    if grep -q "evil.example" "$TMP/stub.log"; then bad "audit --azure: followed a foreign nextLink"; else ok; fi
    # a management group is listed with $filter=atScope()
    live "a management group" 0 paging imported.aigw --azure /providers/Microsoft.Management/managementGroups/Contoso-Labs
    if grep -q '^GET /paging/providers/microsoft.management/managementgroups/contoso-labs/providers/Microsoft.Authorization/policyExemptions?api-version=2022-07-01-preview&%24filter=atScope%28%29 auth=ok$' "$TMP/stub.log"; then ok
    else bad "audit --azure MG: no atScope() filter"; tail -3 "$TMP/stub.log"; fi
    # the token goes in the header only: never printed, never logged
    if grep -q "S3CRET" "$TMP/all-output" "$TMP/stub.log"; then bad "audit --azure: the token was printed"; else ok; fi
    if grep -q "auth=bad" "$TMP/stub.log"; then bad "audit --azure: a request without the token"; else ok; fi
  else bad "the stub ARM server did not start"; cat "$TMP/stub.err"; fi
  kill $STUB 2>/dev/null; wait $STUB 2>/dev/null
fi
# setup errors, before any request
az_err() {   # az_err NAME MESSAGE ENV... -- ARGS...
  name=$1 want=$2; shift 2
  env "$@" >"$TMP/e.out" 2>"$TMP/e.err"; rc=$?
  if [ "$rc" -eq 2 ] && [ ! -s "$TMP/e.out" ] && grep -q "$want" "$TMP/e.err"; then ok
  else bad "audit --azure $name: exit $rc"; cat "$TMP/e.err"; fi
}
az_err "without a token" "set AIGWC_ARM_TOKEN to an ARM bearer token" -u AIGWC_ARM_TOKEN \
  "$AIGWC" audit portfolio --azure /subscriptions/1 --endpoint http://127.0.0.1:9/x
az_err "plain http to another host" "plain http is allowed only to this machine" AIGWC_ARM_TOKEN=t \
  "$AIGWC" audit portfolio --azure /subscriptions/1 --endpoint http://example.com
az_err "the tenant root" "the tenant root has no exemption listing" AIGWC_ARM_TOKEN=t \
  "$AIGWC" audit portfolio --azure / --endpoint http://127.0.0.1:9/x
az_err "an unreachable endpoint" "page 1: Couldn't connect to server after 1 attempt" AIGWC_ARM_TOKEN=t \
  "$AIGWC" audit portfolio --azure /subscriptions/1 --endpoint http://127.0.0.1:9/x --retries 0
finish
