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
//            of the median chunk (and the mean); repeated until it has taken 1 s (at most
//            20 times).
//   pass 3   latency: the same requests, process.hrtime.bigint() around each call → p50,
//            p99, p99.9; repeated likewise.
// Then the same three passes with JSON in ("json" in the output): each call starts from
// the request's line of requests.jsonl — the bytes aigwc's realistic loop gets — and does
// JSON.parse, the translation into the engine's input (scope normalized into its ancestor
// chain, the level into its rank, the entity slice looked up; what the generator does
// ahead of time for the pre-built inputs) and the decision. Before that, untimed, every
// translated input must equal the pre-built one, and a first pass over the timed requests
// (the warm-up) must decide each as the pre-built input did (exit 1 otherwise).
// The timed requests are all of them unless pass 1 says that passes 2 and 3 would take more
// than --budget seconds (default 40); then the first K requests, and the JSON says so; the
// JSON passes time the same K.
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

// ---------------------------------------------------------------- requests as JSON
// What the generator computes ahead of time for the pre-built inputs, done per request from
// the request's JSON (gen.js: normScope, cedarChain, LEVELS); the untimed check below makes
// sure both give the same inputs.
const LEVELS = ['public', 'internal', 'confidential', 'restricted'];   // the policy's levels, in rank order
const NOW = Date.parse(fs.readFileSync(`${dir}/now.txt`, 'utf8').trim()) / 1000;
// Normalized scope uids, deepest first: account, resource group, subscription.
function scopeChain(segs) {
  const out = [];
  for (let i = segs.length; i >= 2; i -= 2) out.push('/' + segs.slice(0, i).join('/'));
  return out;
}
const scopeSegs = (s) => s.split('/').filter((x) => x.length > 0).map((x) => x.toLowerCase());

// ---------------------------------------------------------------- engines
// Each engine gives: version, load() → nothing, prepare() → inputs[], fromRequest(object of
// requests.jsonl) → input, decide(input) → result (opaque, cheap), explain(result) →
// {decision, violations[, waived]}.
function cedarEngine() {
  const cedar = require('@cedar-policy/cedar-wasm/nodejs');
  let ents = null;
  return {
    version: `cedar-wasm ${pkgVersion('@cedar-policy/cedar-wasm')} (Cedar ${cedar.getCedarVersion()})`,
    load() {
      const policies = JSON.parse(fs.readFileSync(`${dir}/cedar/policies.json`, 'utf8'));
      const r = cedar.preparsePolicySet('bench', { staticPolicies: policies });
      if (r.type !== 'success') throw new Error('Cedar rejected the policies: ' + JSON.stringify(r.errors).slice(0, 2000));
      return Object.keys(policies).length;
    },
    prepare() {
      ents = new Map(JSON.parse(fs.readFileSync(`${dir}/cedar/entities.json`, 'utf8')).map((e) => [e.uid.id, e]));
      return readLines(`${dir}/cedar/requests.jsonl`).map((l) => {
        const q = JSON.parse(l);
        const slice = [];
        for (let id = q.resource.id; id;) { const e = ents.get(id); slice.push(e); id = e.parents.length ? e.parents[0].id : null; }
        return { principal: q.principal, action: q.action, resource: q.resource, context: q.context,
                 preparsedPolicySetId: 'bench', entities: slice };
      });
    },
    // The hierarchy is the gateway's (loaded once, like the policies); a scope it has not
    // seen gets its entities made on the spot.
    fromRequest(q) {
      const chain = scopeChain(scopeSegs(q.scope));
      const slice = chain.map((id, i) => ents.get(id) ||
        { uid: { type: 'Scope', id }, attrs: {}, parents: i + 1 < chain.length ? [{ type: 'Scope', id: chain[i + 1] }] : [] });
      return {
        principal: { type: 'User', id: q.principal }, action: { type: 'Action', id: 'invoke' },
        resource: { type: 'Scope', id: chain[0] },
        context: { model: q.model, provider: q.provider, region: q.region, task: q.task, team: q.team, tier: q.tier,
                   classification: LEVELS.indexOf(q.classification), prompt_tokens: q.prompt_tokens, tags: q.tags, now: NOW },
        preparsedPolicySetId: 'bench', entities: slice,
      };
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
    fromRequest(q) {
      const segs = scopeSegs(q.scope);
      return {
        model: q.model, provider: q.provider, region: q.region, task: q.task, team: q.team, tier: q.tier,
        principal: q.principal, scope: '/' + segs.join('/') + '/', classification: BigInt(LEVELS.indexOf(q.classification)),
        prompt_tokens: BigInt(q.prompt_tokens), tags: q.tags, ancestors: scopeChain(segs).reverse(),
      };
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
const jsonLines = readLines(`${dir}/requests.jsonl`).slice(0, n);
if (jsonLines.length !== n) { console.error(`anchors: ${jsonLines.length} lines in requests.jsonl for ${n} inputs`); process.exit(1); }

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

let sink = 0;
// Passes 2 and 3 of one way of calling. Pass 2 runs in five chunks: decisions/s is the
// median chunk's rate (robust to a neighbour's burst on a shared machine); the mean over
// the whole pass is kept too. A fast engine repeats each pass until it has taken a second
// (at most 20 times), like aigwc's rounds, so that its chunks are not a few milliseconds.
const MIN_MS = 1000, MAX_REPEAT = 20;
function timed(call, items) {
  const chunks = k >= 500 ? 5 : 1, rates = [];
  let pass2Ms = 0, done = 0;
  for (let r = 0; r < MAX_REPEAT && (r === 0 || pass2Ms < MIN_MS); r++) {
    for (let c = 0; c < chunks; c++) {
      const lo = Math.floor((c * k) / chunks), hi = Math.floor(((c + 1) * k) / chunks);
      const tc = hr();
      for (let i = lo; i < hi; i++) { if (call(items[i])) sink++; }
      const d = ms(tc, hr());
      pass2Ms += d;
      done += hi - lo;
      rates.push((hi - lo) / (d / 1000));
    }
  }
  rates.sort((x, y) => x - y);
  const all = [];
  let latMs = 0;
  for (let r = 0; r < MAX_REPEAT && (r === 0 || latMs < MIN_MS); r++) {
    const lat = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      const a = hr();
      if (call(items[i])) sink++;
      lat[i] = Number(hr() - a) / 1000; // µs
    }
    for (let i = 0; i < k; i++) latMs += lat[i] / 1000;
    all.push(lat);
  }
  const lat = new Float64Array(k * all.length);
  all.forEach((x, r) => lat.set(x, r * k));
  lat.sort();
  const pct = (p) => +lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2);
  return { decisions_per_s: Math.round(rates[rates.length >> 1]), mean_decisions_per_s: Math.round(done / (pass2Ms / 1000)),
           p50_us: pct(0.5), p99_us: pct(0.99), p999_us: pct(0.999), max_us: +lat[lat.length - 1].toFixed(2),
           timed_calls: lat.length };
}
const prebuilt = timed(eng.decide, inputs);

// ---- JSON in: the same requests from their JSON lines
function same(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((x) => a[x] !== undefined), kb = Object.keys(b).filter((x) => b[x] !== undefined);
  return ka.length === kb.length && ka.every((x) => same(a[x], b[x]));
}
function fail(msg) {
  console.error(`!!!!!!!! ${engine}: ${msg}`);
  process.exit(1);
}
const fromJson = (line) => eng.decide(eng.fromRequest(JSON.parse(line)));
for (let i = 0; i < n; i++) {
  if (!same(eng.fromRequest(JSON.parse(jsonLines[i])), inputs[i]))
    fail(`request ${i + 1}: the input made from its JSON differs from the pre-built one\n  json: ${jsonLines[i]}`);
}
// the inputs being equal, the decisions on the timed requests (also the warm-up) suffice
t0 = hr();
const outJ = new Array(k);
for (let i = 0; i < k; i++) outJ[i] = fromJson(jsonLines[i]);
const pass1JMs = ms(t0, hr());
for (let i = 0; i < k; i++) {
  const d = JSON.stringify(eng.explain(outJ[i]));
  if (d !== lines[i]) fail(`request ${i + 1}: decided from JSON ${d}, from the pre-built input ${lines[i]}`);
}
const json = timed(fromJson, jsonLines);

const res = {
  engine, version: eng.version, node: process.version, requests: totalRequests, decided_requests: n,
  timed_requests: k, subset: k < totalRequests, load_ms: +loadMs.toFixed(2), prepare_ms: +prepareMs.toFixed(1), units,
  first_pass_ms: +pass1Ms.toFixed(1), ...prebuilt,
  json: { first_pass_ms: +pass1JMs.toFixed(1), ...json },
  peak_rss_kb: process.resourceUsage().maxRSS, start_rss_kb: rssStart, sink,
};
if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify(res, null, 2) + '\n');
console.log(JSON.stringify(res));
