// The anchors of `make bench`: the same workload on Cedar (cedar-wasm) and on CEL (cel-js),
// measured in process.
//
//   node anchors.mjs cedar|cel DIR --decisions FILE [--json FILE] [--budget SECONDS] [--max-requests K]
//
// Steps, each engine alike:
//   load     read the policy text and make it ready (Cedar: preparsePolicySet, kept in the
//            wasm module; CEL: compile one program per guardrail and per exemption `when`,
//            and index the exemptions by (guardrail, scope)). Timed as load_ms.
//   prepare  read the per-request inputs the generator wrote (Cedar: principal, action,
//            resource, context, and the request's slice of the entity hierarchy; CEL: the
//            variables). Not timed: like aigwc's "input already parsed" mode.
//   pass 1   every request once, decisions written to FILE for the differential check
//            (this pass is also the warm-up).
//   pass 2   throughput: a plain loop over the timed requests in five chunks → decisions/s
//            of the median chunk (and the mean).
//   pass 3   latency: the same requests, process.hrtime.bigint() around each call → p50, p99.
// The timed requests are all of them unless pass 1 says that passes 2 and 3 would take more
// than --budget seconds (default 40); then the first K requests, and the JSON says so.
// --max-requests K runs every pass on the first K requests only (a slow anchor at the largest
// sizes); the decisions file then has K lines.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pkgVersion = (name) =>
  JSON.parse(fs.readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;

function usage() {
  console.error('usage: node anchors.mjs cedar|cel DIR --decisions FILE [--json FILE] [--budget SECONDS] [--max-requests K]');
  process.exit(2);
}
const argv = process.argv.slice(2);
const engine = argv[0], dir = argv[1];
if (!['cedar', 'cel'].includes(engine) || !dir) usage();
let decisionsFile = null, jsonFile = null, budget = 40, maxRequests = Infinity;
for (let i = 2; i < argv.length; i++) {
  if (argv[i] === '--decisions') decisionsFile = argv[++i];
  else if (argv[i] === '--json') jsonFile = argv[++i];
  else if (argv[i] === '--budget') budget = +argv[++i];
  else if (argv[i] === '--max-requests') maxRequests = +argv[++i] || Infinity;
  else usage();
}
if (!decisionsFile) usage();

const readLines = (f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 0);
const ms = (a, b) => Number(b - a) / 1e6;
const hr = () => process.hrtime.bigint();

// ---------------------------------------------------------------- engines
// Each engine gives: version, load() → nothing, prepare() → inputs[], decide(input) → result
// (opaque, cheap), explain(result) → {decision, violations[, waived]}.
function cedarEngine() {
  const cedar = require('@cedar-policy/cedar-wasm/nodejs');
  return {
    version: `cedar-wasm ${pkgVersion('@cedar-policy/cedar-wasm')} (Cedar ${cedar.getCedarVersion()})`,
    load() {
      const policies = JSON.parse(fs.readFileSync(`${dir}/cedar/policies.json`, 'utf8'));
      const r = cedar.preparsePolicySet('bench', { staticPolicies: policies });
      if (r.type !== 'success') throw new Error('Cedar rejected the policies: ' + JSON.stringify(r.errors).slice(0, 2000));
      return Object.keys(policies).length;
    },
    prepare() {
      const ents = new Map(JSON.parse(fs.readFileSync(`${dir}/cedar/entities.json`, 'utf8')).map((e) => [e.uid.id, e]));
      return readLines(`${dir}/cedar/requests.jsonl`).map((l) => {
        const q = JSON.parse(l);
        const slice = [];
        for (let id = q.resource.id; id;) { const e = ents.get(id); slice.push(e); id = e.parents.length ? e.parents[0].id : null; }
        return { principal: q.principal, action: q.action, resource: q.resource, context: q.context,
                 preparsedPolicySetId: 'bench', entities: slice };
      });
    },
    decide: (call) => cedar.statefulIsAuthorized(call),
    explain(ans) {
      if (ans.type !== 'success') throw new Error('Cedar failed: ' + JSON.stringify(ans.errors));
      const r = ans.response;
      if (r.diagnostics.errors.length) throw new Error('Cedar evaluation errors: ' + JSON.stringify(r.diagnostics.errors));
      return { decision: r.decision, violations: r.decision === 'deny' ? r.diagnostics.reason.slice().sort() : [] };
    },
  };
}

async function celEngine() {
  const { Environment } = await import('@marcbachmann/cel-js');
  let spec, programs, index;
  return {
    version: `cel-js ${pkgVersion('@marcbachmann/cel-js')}`,
    load() {
      spec = JSON.parse(fs.readFileSync(`${dir}/cel/programs.json`, 'utf8'));
      const env = new Environment();
      for (const [name, type] of Object.entries(spec.variables)) env.registerVariable(name, type);
      programs = spec.guardrails.map((g) => ({ name: g.name, run: env.parse(g.expr) }));
      // Exemptions: (guardrail, normalized scope) → [{expires, when}], looked up with the
      // request's ancestor scopes; expiry is compared in JS, `when` is a CEL program.
      const whenCache = new Map();
      index = new Map(spec.guardrails.map((g) => [g.name, new Map()]));
      for (const e of spec.exemptions) {
        let when = null;
        if (e.when) {
          when = whenCache.get(e.when);
          if (!when) { when = env.parse(e.when); whenCache.set(e.when, when); }
        }
        for (const w of e.waives) {
          const m = index.get(w);
          if (!m.has(e.scope)) m.set(e.scope, []);
          m.get(e.scope).push({ id: e.id, expires: e.expires, when });
        }
      }
      return programs.length + whenCache.size;
    },
    prepare() {
      return readLines(`${dir}/cel/activations.jsonl`).map((l) => {
        const a = JSON.parse(l);
        a.classification = BigInt(a.classification);
        a.prompt_tokens = BigInt(a.prompt_tokens);
        return a;
      });
    },
    decide(act) {
      const now = spec.now;
      let violations = null, waived = null;
      for (let i = 0; i < programs.length; i++) {
        const p = programs[i];
        if (p.run(act) !== true) continue;
        let by = false;
        const byScope = index.get(p.name);
        for (let j = 0; j < act.ancestors.length && !by; j++) {
          const list = byScope.get(act.ancestors[j]);
          if (!list) continue;
          for (let k = 0; k < list.length; k++) {
            const e = list[k];
            if (now < e.expires && (e.when === null || e.when(act) === true)) { by = true; break; }
          }
        }
        if (by) (waived || (waived = [])).push(p.name); else (violations || (violations = [])).push(p.name);
      }
      return { violations, waived };
    },
    explain(r) {
      const v = (r.violations || []).slice().sort();
      return { decision: v.length ? 'deny' : 'allow', violations: v, waived: (r.waived || []).slice().sort() };
    },
  };
}

// ---------------------------------------------------------------- measurement
const eng = engine === 'cedar' ? cedarEngine() : await celEngine();
const rssStart = process.resourceUsage().maxRSS;

let t0 = hr();
const units = eng.load();
const loadMs = ms(t0, hr());

t0 = hr();
const all = eng.prepare();
const totalRequests = all.length;
const inputs = all.length > maxRequests ? all.slice(0, maxRequests) : all;
const prepareMs = ms(t0, hr());
const n = inputs.length;

// pass 1: every request, decisions kept (and the warm-up)
const out = new Array(n);
t0 = hr();
for (let i = 0; i < n; i++) out[i] = eng.decide(inputs[i]);
const pass1Ms = ms(t0, hr());
const lines = [];
for (let i = 0; i < n; i++) lines.push(JSON.stringify(eng.explain(out[i])));
fs.writeFileSync(decisionsFile, lines.join('\n') + '\n');

// passes 2 and 3 over the first K requests
const perReqMs = pass1Ms / n;
let k = n;
if (perReqMs * n * 2 > budget * 1000) k = Math.max(500, Math.floor((budget * 1000) / (2 * perReqMs)));
k = Math.min(k, n);

// pass 2 in five chunks: decisions/s is the median chunk's rate (robust to a neighbour's
// burst on a shared machine); the mean over the whole pass is kept too.
let sink = 0;
const chunks = k >= 500 ? 5 : 1, rates = [];
let pass2Ms = 0;
for (let c = 0; c < chunks; c++) {
  const lo = Math.floor((c * k) / chunks), hi = Math.floor(((c + 1) * k) / chunks);
  const tc = hr();
  for (let i = lo; i < hi; i++) { if (eng.decide(inputs[i])) sink++; }
  const d = ms(tc, hr());
  pass2Ms += d;
  rates.push((hi - lo) / (d / 1000));
}
rates.sort((x, y) => x - y);

const lat = new Float64Array(k);
for (let i = 0; i < k; i++) {
  const a = hr();
  if (eng.decide(inputs[i])) sink++;
  lat[i] = Number(hr() - a) / 1000; // µs
}
lat.sort();
const pct = (p) => lat[Math.min(k - 1, Math.floor(p * k))];

const res = {
  engine, version: eng.version, node: process.version, requests: totalRequests, decided_requests: n,
  timed_requests: k, subset: k < totalRequests, load_ms: +loadMs.toFixed(2), prepare_ms: +prepareMs.toFixed(1), units,
  first_pass_ms: +pass1Ms.toFixed(1),
  decisions_per_s: Math.round(rates[rates.length >> 1]), mean_decisions_per_s: Math.round(k / (pass2Ms / 1000)),
  p50_us: +pct(0.5).toFixed(2), p99_us: +pct(0.99).toFixed(2), max_us: +lat[k - 1].toFixed(2),
  peak_rss_kb: process.resourceUsage().maxRSS, start_rss_kb: rssStart, sink,
};
if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify(res, null, 2) + '\n');
console.log(JSON.stringify(res));
