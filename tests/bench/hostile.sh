#!/bin/sh
# make bench, hostile-input section: throughput and memory of the cases a client controls
# (docs: tests/e2e/t_reliability.sh holds them to their bounds; this measures them).
#   a 100,000-key map, a 1 MB string searched by contains() and matches(), and JSON Lines
#   streamed through aigwc eval (JSONL_MB, default 1024: 1 GB), with peak RSS.
# Usage: tests/bench/hostile.sh BUILD_DIR   (prints a Markdown table)
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
A=$ROOT/$BUILD/aigwc
MB=${JSONL_MB:-1024}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cat >"$T/h.aigw" <<'P'
policy h
input request { tags: map<string>  prompt: string  pattern: string }
guardrail has-owner { deny when not ("owner" in request.tags) }
guardrail secret { warn when contains(request.prompt, request.pattern) }
guardrail globbed { warn when matches(request.prompt, request.pattern) }
P
"$A" compile -q -o "$T/h.aigwb" "$T/h.aigw" || exit 2
python3 -c "import json; print(json.dumps({'tags':{('k%d'%i):'v' for i in range(100000)},'prompt':'x','pattern':'y'}))" >"$T/map.json"
python3 -c "import json; print(json.dumps({'tags':{'owner':'a'},'prompt':'a'*1000000,'pattern':'a'*999+'b'}))" >"$T/contains.json"
python3 -c "import json; print(json.dumps({'tags':{'owner':'a'},'prompt':'a'*1000000,'pattern':'*'+'a'*1000+'b'}))" >"$T/glob.json"
python3 -c "
import sys
line = '{\"tags\":{\"owner\":\"x\"},\"prompt\":\"p\",\"pattern\":\"q\"}\n'
n = $MB * 1024 * 1024 // len(line)
w = sys.stdout.write
block = line * 10000
for _ in range(n // 10000): w(block)
w(line * (n % 10000))" >"$T/many.jsonl"
# run NAME FILE: wall seconds, MB/s and peak RSS of aigwc eval on FILE
run() {
  size=$(stat -c %s "$2")
  /usr/bin/time -f "%e %M" -o "$T/t" "$A" eval -b "$T/h.aigwb" -i "$2" --now 2026-11-22 >/dev/null 2>"$T/err"
  rc=$?
  set -- "$1" "$size" $(tail -n 1 "$T/t")
  awk -v n="$1" -v s="$2" -v t="$3" -v m="$4" -v rc="$rc" 'BEGIN {
    printf "| %s | %.1f MB | %.2f s | %.1f MB/s | %.1f MB | %s |\n", n, s / 1048576, t, (t > 0 ? s / 1048576 / t : 0), m / 1024, rc }'
}
echo "| case | input | time | throughput | peak RSS | exit |"
echo "|---|--:|--:|--:|--:|--:|"
run "100,000-key map" "$T/map.json"
run "contains(), 1 MB haystack, 1 KB needle" "$T/contains.json"
run "matches(), 1 MB against *a…ab (n·m, stopped by the step limit)" "$T/glob.json"
run "JSON Lines streamed ($MB MB)" "$T/many.jsonl"
