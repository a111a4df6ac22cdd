#!/usr/bin/env node
// Seeded workload for the `aigwc lint` row of `make bench`: a policy spread over many
// files, the way a platform team keeps one file per team or per application.
//
//   node gen_lint.js --files N --exemptions M --guardrails G --seed S --out DIR
//
// Writes DIR/schema.aigw (the input schema and G guardrails) and DIR/ex-NNNN.aigw, N
// files holding M exemptions in total, and DIR/meta.json. The exemptions are the usual
// mix: most clean, some expired or expiring, some too broad, some with thin reasons or
// no ticket, some narrowed by `when`, some renewing an earlier one. No dependencies.
'use strict';
const fs = require('fs');
const path = require('path');

const a = { files: 1000, exemptions: 50000, guardrails: 50, seed: 1, out: null };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, ''), v = process.argv[i + 1];
  if (!(k in a)) { console.error(`gen_lint.js: unknown argument --${k}`); process.exit(2); }
  a[k] = k === 'out' ? v : +v;
}
if (!a.out || !(a.files >= 1) || !(a.guardrails >= 1) || !(a.exemptions >= 0)) {
  console.error('usage: gen_lint.js --files N --exemptions M --guardrails G --seed S --out DIR');
  process.exit(2);
}

let state = (a.seed * 2654435761) >>> 0 || 1;
function rnd() { // xorshift32
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state / 4294967296;
}
const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = (arr) => arr[Math.floor(rnd() * arr.length)];

const SEV = ['low', 'medium', 'high', 'critical'];
const WORDS = ['claims', 'underwriting', 'support', 'search', 'rag', 'finance', 'legal', 'fraud', 'pricing', 'research'];
const REASONS = ['vendor evaluation for the claims pipeline', 'migration of the archive to the new region',
  'load test of the support bot before launch', 'research benchmark of open-weight models',
  'temporary', 'business need', 'legacy integration until the Q3 rewrite lands'];

fs.mkdirSync(a.out, { recursive: true });
let schema = `policy bench.lint

levels cls { public < internal < confidential < restricted }

input request {
  model: string  provider: string  region: string  team: string
  scope: scope  cls: cls  prompt_tokens: int
}
`;
for (let g = 0; g < a.guardrails; g++) {
  const cond = [
    `request.model == "m-${g}"`,
    `request.cls >= confidential and request.provider != "p-${g}"`,
    `request.team == "team-${g}" and request.prompt_tokens > ${1000 + g}`,
    `request.region == "r-${g}"`,
  ][g % 4];
  schema += `\nguardrail g-${g} {\n  severity ${SEV[g % 4]}\n  deny when ${cond}\n  message "guardrail ${g} fired for {request.model}"\n}\n`;
}
fs.writeFileSync(path.join(a.out, 'schema.aigw'), schema);

const day = 86400, now = Date.UTC(2026, 10, 22) / 1000;
const date = (t) => new Date(t * 1000).toISOString().slice(0, 10);
let made = 0, expired = 0, broad = 0;
const perFile = Math.ceil(a.exemptions / a.files);
for (let f = 0; f < a.files; f++) {
  let src = `policy bench.lint\n`;
  const sub = `${(f % 400).toString(16).padStart(8, '0')}-0000-4000-8000-${f.toString().padStart(12, '0')}`;
  for (let k = 0; k < perFile && made < a.exemptions; k++, made++) {
    const id = `EX-${String(made).padStart(6, '0')}`;
    const g1 = int(0, a.guardrails - 1), g2 = int(0, a.guardrails - 1);
    const waives = g1 === g2 || rnd() < 0.7 ? `g-${g1}` : `g-${g1}, g-${g2}`;
    const r = rnd();
    let scope = `/subscriptions/${sub}/resourceGroups/${pick(WORDS)}-${k}`;
    if (r < 0.04) { scope = `/subscriptions/${sub}`; broad++; }
    else if (r < 0.05) { scope = `/providers/Microsoft.Management/managementGroups/mg-${f % 20}`; broad++; }
    const created = now - int(1, 120) * day;
    const life = int(10, 200) * day;
    const exp = created + life;
    if (exp <= now) expired++;
    const mitigated = rnd() < 0.3;
    src += `\nexemption ${id} {\n  waives ${waives}\n  scope "${scope}"\n`;
    if (rnd() < 0.2) src += `  when request.team == "team-${int(0, 99)}"\n`;
    src += `  owner "${pick(WORDS)}-owner@contoso.example"\n  created ${date(created)}\n  expires ${date(exp)}\n`;
    src += `  category ${mitigated ? 'mitigated' : 'waiver'}\n  reason "${pick(REASONS)}"\n`;
    if (mitigated) src += `  controls ["egress limited to the vendor endpoint", "weekly prompt-log review"]\n`;
    if (rnd() < 0.8) src += `  ticket "SEC-${int(1000, 9999)}"\n`;
    if (k > 0 && rnd() < 0.1) src += `  renews EX-${String(made - 1).padStart(6, '0')}\n`;
    src += `}\n`;
  }
  fs.writeFileSync(path.join(a.out, `ex-${String(f).padStart(4, '0')}.aigw`), src);
}
fs.writeFileSync(path.join(a.out, 'meta.json'), JSON.stringify({ files: a.files + 1, exemptions: made,
  guardrails: a.guardrails, expired, broad, now: '2026-11-22', seed: a.seed }, null, 2) + '\n');
