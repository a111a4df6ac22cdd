#!/usr/bin/env node
// Differential check: one engine's decisions against the generator's reference.
//
//   node compare.js DIR ENGINE DECISIONS [--waived] [--max-show N] [--limit K]
//
// DECISIONS has one JSON object per request, in request order. Accepted shapes:
//   {"decision": "deny", "violations": ["g1", "g2"], "waived": ["g3"]}       (the anchors, bench_aigw)
//   {"decision": "deny", "violations": [{"guardrail": "g1", ...}], "waived": [{"guardrail": ...}]}
//                                                                             (aigwc eval, docs/language.md §10)
// Compared: the decision and the sorted set of violated guardrails; with --waived also the
// set of waived guardrails. Every disagreement is counted; the first few are printed with
// the request. With --limit K only the first K requests are expected (an anchor that ran a
// subset). Exit 0 when all agree, 1 otherwise.
'use strict';
const fs = require('fs');

const args = process.argv.slice(2);
const pos = [];
let withWaived = false, maxShow = 5, limit = Infinity;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--waived') withWaived = true;
  else if (args[i] === '--max-show') maxShow = +args[++i];
  else if (args[i] === '--limit') limit = +args[++i] || Infinity;
  else pos.push(args[i]);
}
if (pos.length !== 3) { console.error('usage: compare.js DIR ENGINE DECISIONS [--waived] [--max-show N]'); process.exit(2); }
const [dir, engine, file] = pos;
const lines = (f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.trim().length > 0);

const total = lines(`${dir}/expected.jsonl`);
const expected = total.slice(0, Math.min(total.length, limit)).map((l) => JSON.parse(l));
const requests = lines(`${dir}/requests.jsonl`);
let got;
try { got = lines(file); } catch (e) { console.error(`!!! ${engine}: cannot read ${file}: ${e.message}`); process.exit(1); }

const names = (xs) => Array.from(new Set((xs || []).map((x) => (typeof x === 'string' ? x : x.guardrail)))).sort();
let bad = 0;
const show = [];
if (got.length !== expected.length) {
  console.error(`!!! ${engine}: ${got.length} decisions for ${expected.length} requests`);
  bad++;
}
for (let i = 0; i < Math.min(got.length, expected.length); i++) {
  let g;
  try { g = JSON.parse(got[i]); } catch (e) { bad++; if (show.length < maxShow) show.push({ i, why: `not JSON: ${got[i].slice(0, 200)}` }); continue; }
  const e = expected[i];
  const gv = names(g.violations), ev = e.violations;
  const why = [];
  if (g.decision !== e.decision) why.push(`decision ${g.decision} != expected ${e.decision}`);
  if (gv.join(',') !== ev.join(',')) why.push(`violations [${gv.join(', ')}] != expected [${ev.join(', ')}]`);
  if (withWaived) {
    const gw = names(g.waived);
    if (gw.join(',') !== e.waived.join(',')) why.push(`waived [${gw.join(', ')}] != expected [${e.waived.join(', ')}]`);
  }
  if (why.length) { bad++; if (show.length < maxShow) show.push({ i, why: why.join('; ') }); }
}
const n = expected.length;
if (bad) {
  console.error('');
  console.error(`!!!!!!!! DISAGREEMENT: ${engine} differs from the reference on ${bad} of ${n} requests (${dir})`);
  for (const s of show) {
    console.error(`  request #${s.i + 1}: ${s.why}`);
    if (requests[s.i]) console.error(`    input: ${requests[s.i]}`);
  }
  console.error('');
  process.exit(1);
}
const of = n < total.length ? ` (the first ${n} of ${total.length} requests)` : '';
console.log(`${engine}: ${n}/${n} decisions agree with the reference${of}${withWaived ? ' (decision, violations, waived)' : ' (decision, violations)'}`);
