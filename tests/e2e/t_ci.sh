#!/bin/sh
# examples/ci: the GitHub Actions workflow and the Azure Pipelines definition parse
# (python3's yaml module: Debian's python3-yaml, which tools/deps.sh installs), and
# every step that calls aigwc runs as written against examples/gateway, the steps of
# the diff job with a base version identical to the head (tests/ci/run_ci.py).
. "$ROOT/tests/e2e/lib.sh"
# the first python3 with yaml: the one on PATH, else Debian's (a PATH python3 from a
# version manager does not see Debian's python3-yaml)
PY=""
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import yaml' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
  bad "python3 yaml module missing (tools/deps.sh installs python3-yaml)"; finish; exit 0
fi
mkdir -p "$TMP/bin" && ln -s "$AIGWC" "$TMP/bin/aigwc"
PATH="$TMP/bin:$PATH" "$PY" "$ROOT/tests/ci/run_ci.py" "$ROOT/examples/ci" \
  "$ROOT/examples/gateway" "$ROOT/examples/gateway/requests.jsonl" "$TMP/work" >"$TMP/ci.out" 2>&1
sed '$d' "$TMP/ci.out"
last=$(tail -n 1 "$TMP/ci.out")
case "$last" in
  "PASS "*" FAIL "*) PASS=$(echo "$last" | awk '{print $2}'); FAIL=$(echo "$last" | awk '{print $4}') ;;
  *) bad "run_ci.py did not finish: $last" ;;
esac
finish
