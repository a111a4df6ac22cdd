#!/bin/sh
# Hostile input costs bounded time and memory: each case below is generated here (none
# is committed), run with a time bound, and must finish within it, with the exit code
# it names and, where the input is too big, an error that names the limit. Bounds are
# 5 s each (20 s for a sanitizer build, detected from its symbols); the cases take a
# fraction of that on a plain build. Generation uses python3.
. "$ROOT/tests/e2e/lib.sh"
A=$AIGWC
# a sanitizer build keeps freed memory in quarantine, so its RSS says nothing of ours
if grep -q __asan_init "$A" 2>/dev/null; then T=20 RSS_KB=1048576; else T=5 RSS_KB=51200; fi
command -v python3 >/dev/null || { echo "reliability: python3 missing"; finish; exit 1; }
cd "$TMP" || exit 1

# expect NAME RC PATTERN CMD...: CMD ends within $T s with exit RC and, unless PATTERN
# is empty, its stderr or stdout matching PATTERN
expect() {
  name=$1 want=$2 pat=$3; shift 3
  timeout "$T" "$@" >out 2>err; rc=$?
  if [ $rc -eq 124 ]; then bad "$name: still running after $T s"; return; fi
  if [ $rc -ne "$want" ]; then bad "$name: exit $rc, want $want"; head -c 400 err; return; fi
  if [ -n "$pat" ] && ! grep -q -- "$pat" err out; then bad "$name: no '$pat'"; head -c 400 err; return; fi
  ok
}

gen() { python3 -c "$1" >"$2"; }
HDR='policy h
input request { scope: scope  model: string  tags: map<string, max 200000>  prompt: string  pattern: string }
'
# ---- the compiler: every dimension has a limit or a linear algorithm
gen "print('''$HDR''' + ''.join(f'scope s{i} = \"/subscriptions/*{i}\"\n' for i in range(1100)))" globs.aigw
expect "1,100 glob scopes" 0 "" "$A" compile -q -o g.aigwb globs.aigw
gen "print('''$HDR''' + 'hierarchy {\n' + ''.join(f'  \"/c/{i}\" in \"/c/{i+1}\"\n' for i in range(100000)) + '}')" chain1.aigw
expect "a 100,000-long hierarchy chain, child first" 1 "deeper than 64 levels" "$A" compile -q -o c.aigwb chain1.aigw
gen "print('''$HDR''' + 'hierarchy {\n' + ''.join(f'  \"/c/{i+1}\" in \"/c/{i}\"\n' for i in range(10000)) + '}')" chain2.aigw
expect "a 10,000-long hierarchy chain, parent first" 1 "more than 256 ancestors" "$A" compile -q -o c.aigwb chain2.aigw
gen "print('''$HDR''' + ''.join(f'levels l{i} {{ a{i} < b{i} }}\n' for i in range(70000)))" levels.aigw
expect "70,000 levels declarations" 1 "limit is 1024" "$A" compile -q -o l.aigwb levels.aigw
gen "print('''$HDR''' + 'levels big { ' + ' < '.join(f'n{i}' for i in range(1000000)) + ' }')" names.aigw
expect "a levels list of a million names" 1 "limit is 1024" "$A" compile -q -o l.aigwb names.aigw
gen "print('''$HDR''' + ''.join(f'guardrail g{i} {{ deny when request.model == \"m{i}\" }}\n' for i in range(30000)))" many.aigw
expect "30,000 guardrails compile" 0 "" "$A" compile -q -o many.aigwb many.aigw
expect "disasm of 30,000 guardrails" 0 "" "$A" disasm many.aigwb

# ---- the input: linear ingest, charged string work, refused ambiguity
printf '%s' "$HDR" >h.aigw
cat >>h.aigw <<'P'
guardrail has-owner { deny when not ("owner" in request.tags) }
guardrail secret { warn when contains(request.prompt, request.pattern) }
guardrail globbed { warn when matches(request.prompt, request.pattern) }
P
gen "import json; print(json.dumps({'scope':'/s','tags':{('k%d'%i):'v' for i in range(100000)},'prompt':'x','pattern':'y'}))" map.json
expect "a 100,000-key map" 1 '"decision":"deny"' "$A" eval h.aigw -i map.json --now 2026-11-22
sed 's/map<string, max 200000>/map<string>/' h.aigw >hd.aigw
expect "a 100,000-key map past the default max" 2 "limit is 1024, its max in the schema" "$A" eval hd.aigw -i map.json --now 2026-11-22
gen "import json; print(json.dumps({'scope':'/s','tags':{'owner':'a'},'prompt':'a'*1000000,'pattern':'a'*500000+'b'}))" contains.json
expect "contains() on a 1 MB string, linear" 0 '"decision":"allow"' "$A" eval h.aigw -i contains.json --now 2026-11-22
gen "import json; print(json.dumps({'scope':'/s','tags':{'owner':'a'},'prompt':'a'*1000000,'pattern':'*'+'a'*100000+'b'}))" glob.json
expect "matches() that would take n*m steps" 2 "step limit of 1000000" "$A" eval h.aigw -i glob.json --now 2026-11-22
gen "import json; print(json.dumps({'scope':'/s','tags':{'owner':'a'},'prompt':'a'*5000000,'pattern':'b'}))" big.json
expect "a 5 MB string" 2 "limit is 4194304" "$A" eval h.aigw -i big.json --now 2026-11-22
printf '{"scope":"/s","model":"a","model":"b","tags":{"owner":"x"}}\n' >dup.json
expect "a duplicate key" 2 "duplicate object key" "$A" eval h.aigw -i dup.json --now 2026-11-22
printf '{"scope":"/s",\n "tags": {\n  "owner": "x"\n}\n' >broken.json
expect "a broken multi-line document is one error" 2 "broken.json:5" "$A" eval h.aigw -i broken.json --now 2026-11-22
[ "$(wc -l <out)" -eq 1 ] && ok || bad "a broken document gave $(wc -l <out) output lines, not 1"
printf '\n\n\n' >nl.json
expect "an input of only newlines" 2 "no input" "$A" eval h.aigw -i nl.json --now 2026-11-22
printf 'policy w\ninput request { scope: scope }\nguardrail prod-only { scope "/s"  audit when true }\n' >w.aigw
printf '{"scope":" /s"}\n' >ws.json
expect "a scope with white space is not a different scope: it fails closed" 1 "not a resource ID" "$A" eval w.aigw -i ws.json --now 2026-11-22

# ---- streaming: JSON Lines are decided as they arrive, in bounded memory
python3 -c "
import sys
line = '{\"scope\":\"/s\",\"model\":\"m\",\"tags\":{\"owner\":\"x\"},\"prompt\":\"p\",\"pattern\":\"q\"}\n'
sys.stdout.write(line * 200000)" >many.jsonl
timeout "$T" /usr/bin/env time -f %M -o rss "$A" eval h.aigw -i many.jsonl --now 2026-11-22 >many.out 2>/dev/null
[ "$(wc -l <many.out)" -eq 200000 ] && ok || bad "200,000 lines gave $(wc -l <many.out) decisions"
if [ -s rss ] && [ "$(tail -n 1 rss)" -lt "$RSS_KB" ]; then ok; else bad "eval of 200,000 lines used $(tail -n 1 rss 2>/dev/null) KB (limit $RSS_KB KB)"; fi
finish
