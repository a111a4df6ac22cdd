# Shared by the e2e scripts: counters and a diff-based check.
PASS=0; FAIL=0
# check NAME EXPECTED_FILE ACTUAL_FILE
check() {
  if cmp -s "$2" "$3"; then PASS=$((PASS + 1)); else
    FAIL=$((FAIL + 1)); echo "FAIL $1"; diff -u "$2" "$3" | head -40
  fi
}
ok() { PASS=$((PASS + 1)); }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
finish() { echo "PASS $PASS FAIL $FAIL"; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
