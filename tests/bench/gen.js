#!/usr/bin/env node
// Seeded workload generator for `make bench`. No dependencies.
//
//   node gen.js --guardrails N --exemptions M --requests R --seed S --out DIR
//               [--now 2026-11-22T12:00:00Z] [--messy 0.12] [--variant tables]
//
// --variant tables writes the same policy as a platform team would with tables and
// quantifiers where they are natural: a prompt limit looked up per tier
// (`request.prompt_tokens > prompt_limit_003[request.tier]`) and required tags checked by
// a quantifier (`not (all t in required_tags_004: t in request.tags)`). The data model,
// the requests and the reference decisions are the same, so every engine and variant
// must decide alike.
//
// Writes, from one data model:
//   DIR/policy.aigw          aigwc source (guardrails + exemptions)
//   DIR/requests.jsonl       R requests, one aigwc input object per line
//   DIR/now.txt              the evaluation time (RFC 3339)
//   DIR/cedar/policies.json  {policy id: Cedar text}: one forbid per guardrail, one permit
//   DIR/cedar/policies.cedar the same, as one Cedar file (for reading)
//   DIR/cedar/entities.json  schema-free entities: the scope hierarchy the requests use
//   DIR/cedar/requests.jsonl {principal, action, resource, context} per request
//   DIR/cel/programs.json    one CEL program per guardrail + exemptions (scope, expiry, CEL when)
//   DIR/cel/activations.jsonl the CEL variables per request
//   DIR/expected.jsonl       reference decision per request, computed here in plain JS from
//                            the data model (not from any engine's text)
//   DIR/meta.json            sizes, seed, shares (exempted-scope share, deny share, ...)
//
// Semantics mirrored by the reference (docs/language.md §8-10): a guardrail fires when its
// condition holds (and, for a guardrail-level `scope`, the input is under it); an
// exemption waives the guardrails it names for inputs at or below its scope (segment-wise,
// case-insensitive, slashes normalized) while now < expires (a bare date means the end
// of that UTC day) and its optional `when` holds; deny iff a fired guardrail is not waived.
'use strict';
const fs = require('fs');
const path = require('path');

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const a = { guardrails: 50, exemptions: 500, requests: 10000, seed: 1, out: null,
              now: '2026-11-22T12:00:00Z', messy: 0.12, variant: 'plain' };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    switch (k) {
      case '--guardrails': a.guardrails = +v; i++; break;
      case '--exemptions': a.exemptions = +v; i++; break;
      case '--requests': a.requests = +v; i++; break;
      case '--seed': a.seed = +v; i++; break;
      case '--out': a.out = v; i++; break;
      case '--now': a.now = v; i++; break;
      case '--messy': a.messy = +v; i++; break;
      case '--variant': a.variant = v; i++; break;
      case '-h': case '--help':
        console.log('usage: gen.js --guardrails N --exemptions M --requests R --seed S --out DIR [--now RFC3339] [--messy FRACTION] [--variant plain|tables]');
        process.exit(0);
      default:
        console.error(`gen.js: unknown argument ${k}`); process.exit(2);
    }
  }
  if (!a.out || !(a.guardrails >= 5) || !(a.exemptions >= 0) || !(a.requests >= 1)) {
    console.error('gen.js: need --out DIR, --guardrails >= 5, --exemptions >= 0, --requests >= 1');
    process.exit(2);
  }
  return a;
}

// ---------------------------------------------------------------- seeded PRNG (sfc32)
function makeRng(seed) {
  let s = (seed >>> 0) ^ 0x9e3779b9;
  const split = () => { // splitmix32 to seed the state
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return (r >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  const R = {
    f: next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    weighted: (pairs) => { // [[value, weight], ...]
      let tot = 0; for (const [, w] of pairs) tot += w;
      let x = next() * tot;
      for (const [v, w] of pairs) { if ((x -= w) < 0) return v; }
      return pairs[pairs.length - 1][0];
    },
    sample: (arr, k) => { // k distinct elements, in a random order
      const c = arr.slice();
      for (let i = 0; i < k && i < c.length; i++) {
        const j = i + Math.floor(next() * (c.length - i));
        [c[i], c[j]] = [c[j], c[i]];
      }
      return c.slice(0, Math.min(k, c.length));
    },
    hex: (n) => { let s = ''; for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(next() * 16)]; return s; },
  };
  return R;
}

// ---------------------------------------------------------------- vocabulary
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'o3-mini', 'text-embedding-3-large',
  'text-embedding-3-small', 'mistral-large', 'mistral-small', 'llama-3-70b', 'llama-3-8b',
  'claude-3-5-sonnet', 'claude-3-haiku', 'gemini-1.5-pro', 'phi-3-medium', 'command-r-plus'];
const COMMON_MODELS = ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'text-embedding-3-large', 'gpt-4.1-mini'];
const PROVIDERS = ['azure-openai', 'openai', 'anthropic', 'mistral', 'google', 'aws-bedrock'];
const REGIONS = ['eastus', 'eastus2', 'westus', 'westus3', 'northeurope', 'westeurope', 'swedencentral',
  'uksouth', 'francecentral', 'japaneast', 'australiaeast', 'canadaeast'];
const TASKS = ['chat', 'summarize', 'embed', 'classify', 'extract', 'translate', 'code', 'rag'];
const TIERS = ['free', 'standard', 'premium', 'enterprise'];
const LEVELS = ['public', 'internal', 'confidential', 'restricted'];
const TAG_KEYS = ['cost-center', 'owner', 'data-owner', 'project', 'env', 'app-id', 'compliance'];
const WORDS = ['claims', 'underwriting', 'support', 'search', 'rag', 'hr', 'finance', 'legal', 'marketing',
  'fraud', 'pricing', 'docs', 'ops', 'sales', 'risk', 'audit', 'billing', 'chatbot', 'pilot', 'research'];
const ENVS = ['prod', 'dev', 'test', 'stage'];
const FAMILIES = ['approved-model', 'classification-provider', 'region-residency', 'prompt-limit', 'required-tag'];

// ---------------------------------------------------------------- scopes
// Canonical spelling (as Azure prints it) and the normalized form used for matching.
function normScope(s) {
  return '/' + s.split('/').filter((x) => x.length > 0).join('/').toLowerCase();
}
function segs(s) { return s.split('/').filter((x) => x.length > 0).map((x) => x.toLowerCase()); }
function isUnder(scope, prefix) { // segment-wise, case-insensitive: scope == prefix or below it
  return segsUnder(segs(scope), segs(prefix));
}
function segsUnder(a, b) {
  if (b.length > a.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---------------------------------------------------------------- time
function parseTime(s) { // RFC 3339 or bare date (start of day); seconds since the epoch
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?$/.exec(s);
  if (!m) throw new Error(`bad time ${s}`);
  let t = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0)) / 1000;
  if (m[7] && m[7] !== 'Z' && m[7] !== 'z') {
    const sign = m[7][0] === '-' ? -1 : 1;
    t -= sign * (+m[7].slice(1, 3) * 3600 + +m[7].slice(4, 6) * 60);
  }
  return t;
}
function dateStr(unix) { return new Date(unix * 1000).toISOString().slice(0, 10); }
function stampStr(unix) { return new Date(unix * 1000).toISOString().slice(0, 19) + 'Z'; }
const DAY = 86400;

// ---------------------------------------------------------------- the data model
function buildModel(a) {
  const R = makeRng(a.seed);
  const now = parseTime(a.now);
  const N = a.guardrails, M = a.exemptions;

  // Scope pool: subscriptions → resource groups → Cognitive Services accounts.
  const nsubs = Math.max(40, Math.min(4000, Math.round(M / 12)));
  const subs = [];
  for (let i = 0; i < nsubs; i++) {
    const id = `${R.hex(8)}-${R.hex(4)}-4${R.hex(3)}-${R.pick(['8', '9', 'a', 'b'])}${R.hex(3)}-${R.hex(12)}`;
    const sub = { id, scope: `/subscriptions/${id}`, rgs: [] };
    const nrg = R.int(4, 12);
    const used = new Set();
    for (let j = 0; j < nrg; j++) {
      let name;
      do { name = `rg-${R.pick(WORDS)}-${R.pick(ENVS)}-${R.int(1, 9)}`; } while (used.has(name));
      used.add(name);
      const rg = { name, sub, scope: `${sub.scope}/resourceGroups/${name}`, accounts: [] };
      const nacc = R.int(1, 3);
      for (let k = 0; k < nacc; k++) {
        const acct = `aoai-${R.pick(WORDS)}-${R.hex(4)}`;
        rg.accounts.push(`${rg.scope}/providers/Microsoft.CognitiveServices/accounts/${acct}`);
      }
      sub.rgs.push(rg);
    }
    subs.push(sub);
  }
  const nteams = Math.max(12, Math.round(N / 5));
  const teams = []; for (let i = 0; i < nteams; i++) teams.push(`team-${String(i).padStart(3, '0')}`);
  const principals = []; for (let i = 0; i < 400; i++) principals.push(`user${String(i).padStart(4, '0')}@contoso.com`);

  // Guardrails: N spread round-robin over the five families; variant 0 of each family is
  // the global rule, later variants are narrowed (team, task or subscription).
  const guardrails = [];
  const perFamily = [0, 0, 0, 0, 0];
  for (let i = 0; i < N; i++) {
    const fam = i % 5;
    const v = perFamily[fam]++;
    const g = { name: `${FAMILIES[fam]}-${String(v).padStart(3, '0')}`, fam, v,
                severity: R.pick(['low', 'medium', 'high', 'critical']) };
    switch (fam) {
      case 0: // approved models
        if (v === 0) { g.team = null; g.models = COMMON_MODELS.slice(); }
        else {
          g.team = R.pick(teams);
          g.models = Array.from(new Set([...R.sample(COMMON_MODELS, R.int(2, 4)), ...R.sample(MODELS, R.int(1, 4))])).sort();
        }
        g.set = `approved_models_${String(v).padStart(3, '0')}`;
        break;
      case 1: // classification × provider
        if (v === 0) { g.task = null; g.level = 2; g.providers = ['azure-openai']; }
        else {
          g.task = R.pick(TASKS);
          g.level = R.int(1, 3);
          g.providers = R.chance(0.5) ? ['azure-openai'] : ['azure-openai', R.pick(PROVIDERS.slice(1))];
        }
        break;
      case 2: // region residency per subscription
        g.sub = R.pick(subs);
        g.regions = R.sample(REGIONS, R.int(3, 6)).sort();
        g.viaScopeItem = v % 2 === 1; // odd variants use the guardrail-level `scope` item
        break;
      case 3: // prompt limit per tier
        if (v === 0) { g.task = null; g.tier = 'free'; g.limit = 4000; }
        else {
          g.task = R.pick(TASKS);
          g.tier = R.pick(['free', 'standard', 'premium']);
          g.limit = g.tier === 'free' ? R.int(2, 8) * 1000 : g.tier === 'standard' ? R.int(8, 32) * 1000 : R.int(32, 128) * 1000;
        }
        break;
      case 4: // required tags
        if (v === 0) { g.tag = 'cost-center'; g.team = null; g.sub = null; }
        else {
          g.tag = R.pick(TAG_KEYS);
          if (R.chance(0.5)) { g.team = R.pick(teams); g.sub = null; } else { g.team = null; g.sub = R.pick(subs); }
        }
        break;
    }
    guardrails.push(g);
  }
  const gByName = new Map(guardrails.map((g) => [g.name, g]));
  // Exemptions cluster: those not tied to a guardrail's own subscription land in the first
  // half of the subscriptions, so the other half is mostly free of them.
  const exemptSubs = subs.slice(0, Math.ceil(subs.length / 2));

  // Exemptions.
  const exemptions = [];
  const owners = []; for (let i = 0; i < 60; i++) owners.push(`${R.pick(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'])}.${R.pick(WORDS)}${i}@contoso.com`);
  for (let k = 0; k < M; k++) {
    const g1 = R.pick(guardrails);
    const waives = [g1.name];
    if (R.chance(0.25)) {
      let g2 = R.pick(guardrails);
      if (g2 !== g1) waives.push(g2.name);
    }
    // Scope: under the guardrail's own subscription when it has one, so the waiver matters.
    const sub = g1.sub || R.pick(exemptSubs);
    const rg = R.pick(sub.rgs);
    const lvl = R.weighted([['sub', 12], ['rg', 80], ['acct', 8]]);
    const scope = lvl === 'sub' ? sub.scope : lvl === 'rg' ? rg.scope : R.pick(rg.accounts);
    // Expiry: about a quarter expired, with edges around now.
    const kind = R.weighted([['past-date', 21], ['past-stamp', 3], ['at-now', 1], ['soon-stamp', 5],
      ['today', 5], ['future', 65]]);
    let expiresText, expiresAt;
    switch (kind) {
      case 'past-date': { const d = dateStr(now - R.int(1, 300) * DAY); expiresText = d; break; }
      case 'past-stamp': { const t = now - R.int(1, 48) * 3600; expiresText = stampStr(t); break; }
      case 'at-now': expiresText = stampStr(now); break; // now < expires is false: expired
      case 'soon-stamp': { const t = now + R.int(1, 48) * 3600; expiresText = stampStr(t); break; }
      case 'today': expiresText = dateStr(now); break; // bare date: valid until the end of today
      default: { const d = dateStr(now + R.int(1, 400) * DAY); expiresText = d; break; }
    }
    expiresAt = expiresText.length === 10 ? parseTime(expiresText) + DAY : parseTime(expiresText);
    const createdAt = Math.min(now, expiresAt) - R.int(10, 400) * DAY;
    // Optional `when`, narrower than the scope.
    let when = null;
    if (R.chance(0.3)) {
      when = R.weighted([
        [{ op: 'eq', field: 'model', value: R.pick(MODELS) }, 3],
        [{ op: 'eq', field: 'team', value: R.pick(teams) }, 2],
        [{ op: 'eq', field: 'task', value: R.pick(TASKS) }, 2],
        [{ op: 'ne', field: 'tier', value: 'free' }, 2],
        [{ op: 'in', field: 'region', values: R.sample(REGIONS, 3).sort() }, 2],
        [{ op: 'eq', field: 'principal', value: R.pick(principals) }, 1],
      ]);
    }
    const mitigated = R.chance(0.2);
    exemptions.push({
      sub, rg, lvl, id: `EX-${String(k + 1).padStart(6, '0')}`, waives, scope, scopeNorm: normScope(scope),
      expiresText, expiresAt, created: dateStr(createdAt), when,
      owner: R.pick(owners), category: mitigated ? 'mitigated' : 'waiver',
      controls: mitigated ? R.sample(['egress limited to the vendor endpoint', 'weekly prompt-log review',
        'PII redaction at the gateway', 'human review of outputs', 'rate limited to 10 rpm'], R.int(1, 3)) : null,
      reason: `${R.pick(['vendor evaluation', 'migration window', 'pilot', 'legacy integration', 'regulator-approved exception', 'load test'])} for ${R.pick(WORDS)}`,
      ticket: `SEC-${R.int(1000, 99999)}`,
    });
  }
  const exByGuardrail = new Map(guardrails.map((g) => [g.name, []]));
  for (const e of exemptions) for (const w of e.waives) exByGuardrail.get(w).push(e);

  // Requests.
  const requests = [];
  const stats = { targeted: 0, messy: 0 };
  for (let r = 0; r < a.requests; r++) {
    const req = {};
    let target = null;
    let acctScope;
    if (M > 0 && R.chance(0.45)) { // inside some exemption's scope
      target = R.pick(exemptions);
      stats.targeted++;
      if (target.lvl === 'acct') acctScope = target.scope;
      else if (target.lvl === 'rg') acctScope = R.pick(target.rg.accounts);
      else { const rg = R.pick(target.sub.rgs); acctScope = R.pick(rg.accounts); }
    } else {
      const sub = R.pick(subs); const rg = R.pick(sub.rgs); acctScope = R.pick(rg.accounts);
    }
    req.model = R.chance(0.88) ? R.pick(COMMON_MODELS) : R.pick(MODELS);
    req.provider = R.chance(0.8) ? 'azure-openai' : R.pick(PROVIDERS);
    req.region = R.pick(REGIONS);
    req.task = R.pick(TASKS);
    req.scope = acctScope;
    req.principal = R.pick(principals);
    req.team = R.pick(teams);
    req.tier = R.weighted([['free', 25], ['standard', 40], ['premium', 25], ['enterprise', 10]]);
    req.classification = R.weighted([['public', 25], ['internal', 35], ['confidential', 25], ['restricted', 15]]);
    req.prompt_tokens = Math.round(Math.exp(Math.log(50) + R.f() * (Math.log(150000) - Math.log(50))));
    req.tags = {};
    for (const key of TAG_KEYS) if (R.chance(key === 'cost-center' ? 0.95 : 0.92)) req.tags[key] = `${key.slice(0, 2)}-${R.int(1, 999)}`;
    if (target) {
      // Often make the waived guardrail fire, and often satisfy the exemption's `when`.
      if (R.chance(0.6)) forceFire(R, gByName.get(target.waives[0]), req);
      if (target.when && R.chance(0.6)) forceWhen(R, target.when, req);
    } else if (R.chance(0.2)) {
      forceFire(R, R.pick(guardrails), req);
    }
    if (R.chance(a.messy)) { req.scope = messScope(R, req.scope); stats.messy++; }
    requests.push(req);
  }
  return { a, now, guardrails, exemptions, exByGuardrail, requests, subs, teams, stats };
}

function forceFire(R, g, req) {
  switch (g.fam) {
    case 0:
      if (g.team) req.team = g.team;
      req.model = R.pick(MODELS.filter((m) => !g.models.includes(m)));
      break;
    case 1:
      if (g.task) req.task = g.task;
      req.classification = LEVELS[R.int(g.level, 3)];
      req.provider = R.pick(PROVIDERS.filter((p) => !g.providers.includes(p)));
      break;
    case 2:
      // Only fires under its subscription; the request's scope stays where it is.
      req.region = R.pick(REGIONS.filter((x) => !g.regions.includes(x)));
      break;
    case 3:
      if (g.task) req.task = g.task;
      req.tier = g.tier;
      req.prompt_tokens = g.limit + R.int(1, g.limit);
      break;
    case 4:
      if (g.team) req.team = g.team;
      delete req.tags[g.tag];
      break;
  }
}
function forceWhen(R, w, req) {
  if (w.op === 'eq') req[w.field] = w.value;
  else if (w.op === 'ne') req[w.field] = R.pick(['standard', 'premium', 'enterprise']);
  else if (w.op === 'in') req[w.field] = R.pick(w.values);
}
// Same scope, spelled differently: case changes, a trailing or doubled slash.
function messScope(R, s) {
  const kind = R.weighted([['lower', 3], ['upper-sub', 2], ['rg-case', 3], ['trailing', 1], ['double', 1]]);
  switch (kind) {
    case 'lower': return s.toLowerCase();
    case 'upper-sub': return s.replace(/^\/subscriptions\/([^/]+)/, (m, id) => `/Subscriptions/${id.toUpperCase()}`);
    case 'rg-case': return s.replace('/resourceGroups/', '/resourcegroups/').replace('Microsoft.CognitiveServices', 'microsoft.cognitiveservices');
    case 'trailing': return s + '/';
    default: return s.replace('/resourceGroups/', '//resourceGroups/');
  }
}

// ---------------------------------------------------------------- reference evaluation
function guardrailFires(g, req) {
  switch (g.fam) {
    case 0: return (g.team === null || req.team === g.team) && !g.models.includes(req.model);
    case 1: return (g.task === null || req.task === g.task) && LEVELS.indexOf(req.classification) >= g.level &&
                   !g.providers.includes(req.provider);
    case 2: return segsUnder(req.segs, g.sub.segs) && !g.regions.includes(req.region);
    case 3: return (g.task === null || req.task === g.task) && req.tier === g.tier && req.prompt_tokens > g.limit;
    case 4: return (g.team === null || req.team === g.team) && (g.sub === null || segsUnder(req.segs, g.sub.segs)) &&
                   !Object.prototype.hasOwnProperty.call(req.tags, g.tag);
  }
  throw new Error('family');
}
function whenHolds(w, req) {
  if (!w) return true;
  if (w.op === 'eq') return req[w.field] === w.value;
  if (w.op === 'ne') return req[w.field] !== w.value;
  if (w.op === 'in') return w.values.includes(req[w.field]);
  throw new Error('when');
}
function reference(m) {
  const out = [];
  let deny = 0, waivedAny = 0, underExempted = 0;
  const exScopes = new Set(m.exemptions.map((e) => e.scopeNorm));
  for (const s of m.subs) s.segs = segs(s.scope);
  // Per guardrail: normalized exemption scope → exemptions. An input is under a scope iff
  // one of its segment prefixes equals it, so each fired guardrail looks its prefixes up.
  const idx = new Map();
  for (const g of m.guardrails) {
    const byScope = new Map();
    for (const e of m.exByGuardrail.get(g.name)) {
      const k = segs(e.scope).join('/');
      if (!byScope.has(k)) byScope.set(k, []);
      byScope.get(k).push(e);
    }
    idx.set(g.name, byScope);
  }
  for (const req0 of m.requests) {
    const req = Object.assign({ segs: segs(req0.scope) }, req0);
    const prefixes = [];
    for (let i = 1; i <= req.segs.length; i++) prefixes.push(req.segs.slice(0, i).join('/'));
    const violations = [], waived = [];
    for (const g of m.guardrails) {
      if (!guardrailFires(g, req)) continue;
      let by = null;
      const byScope = idx.get(g.name);
      for (const p of prefixes) {
        const list = byScope.get(p);
        if (!list) continue;
        for (const e of list) if (m.now < e.expiresAt && whenHolds(e.when, req)) { by = e.id; break; }
        if (by) break;
      }
      if (by) waived.push(g.name); else violations.push(g.name);
    }
    violations.sort(); waived.sort();
    if (violations.length) deny++;
    if (waived.length) waivedAny++;
    // under an exempted scope (any exemption, expired or not)?
    const s = segs(req.scope);
    let u = false;
    for (let i = 1; i <= s.length && !u; i++) if (exScopes.has('/' + s.slice(0, i).join('/'))) u = true;
    if (u) underExempted++;
    out.push({ decision: violations.length ? 'deny' : 'allow', violations, waived });
  }
  return { out, deny, waivedAny, underExempted };
}

// ---------------------------------------------------------------- aigwc source
function q(s) { return JSON.stringify(s); } // ASCII only: JSON string syntax is aigwc's
function aigwList(xs) { return '[' + xs.map(q).join(', ') + ']'; }
const INT64_MAX = '9_223_372_036_854_775_807';
function aigwCond(g, tables) {
  if (tables && g.fam === 3)   // the limit per tier, from a table; other tiers: never over
    return (g.task ? `request.task == ${q(g.task)} and ` : '') + `request.prompt_tokens > ${tierTable(g)}[request.tier]`;
  if (tables && g.fam === 4) {
    const parts = [];
    if (g.team) parts.push(`request.team == ${q(g.team)}`);
    if (g.sub) parts.push(`request.scope under ${q(g.sub.scope)}`);
    parts.push(`not (all t in ${tagSet(g)}: t in request.tags)`);
    return parts.join(' and ');
  }
  switch (g.fam) {
    case 0: return (g.team ? `request.team == ${q(g.team)} and ` : '') + `request.model not in ${g.set}`;
    case 1: {
      const p = g.providers.length === 1 ? `request.provider != ${q(g.providers[0])}` : `request.provider not in ${aigwList(g.providers)}`;
      return (g.task ? `request.task == ${q(g.task)} and ` : '') + `request.classification >= ${LEVELS[g.level]} and ${p}`;
    }
    case 2: return (g.viaScopeItem ? '' : `request.scope under ${q(g.sub.scope)} and `) + `request.region not in ${aigwList(g.regions)}`;
    case 3: return (g.task ? `request.task == ${q(g.task)} and ` : '') + `request.tier == ${q(g.tier)} and request.prompt_tokens > ${g.limit}`;
    case 4: {
      const parts = [];
      if (g.team) parts.push(`request.team == ${q(g.team)}`);
      if (g.sub) parts.push(`request.scope under ${q(g.sub.scope)}`);
      parts.push(`not (${q(g.tag)} in request.tags)`);
      return parts.join(' and ');
    }
  }
}
const MESSAGES = [
  'model {request.model} is not approved for {request.team}',
  '{request.classification} data may not go to {request.provider}',
  'region {request.region} is not allowed for this subscription',
  'prompt of {request.prompt_tokens} tokens exceeds the {request.tier} limit',
  'the request lacks a required tag',
];
function aigwWhen(w) {
  if (w.op === 'eq') return `request.${w.field} == ${q(w.value)}`;
  if (w.op === 'ne') return `request.${w.field} != ${q(w.value)}`;
  return `request.${w.field} in ${aigwList(w.values)}`;
}
function tierTable(g) { return `prompt_limit_${String(g.v).padStart(3, '0')}`; }
function tagSet(g) { return `required_tags_${String(g.v).padStart(3, '0')}`; }
function emitAigw(m) {
  const tables = m.a.variant === 'tables';
  const L = [];
  L.push(`# Generated by tests/bench/gen.js: ${m.a.guardrails} guardrails, ${m.a.exemptions} exemptions, seed ${m.a.seed}.`);
  L.push('policy bench.workload', '');
  L.push('levels classification { public < internal < confidential < restricted }', '');
  L.push('input request {', '  model: string', '  provider: string', '  region: string', '  task: string',
    '  scope: scope', '  principal: string', '  team: string', '  tier: string',
    '  classification: classification', '  prompt_tokens: int', '  tags: map<string>', '}', '');
  for (const g of m.guardrails) if (g.fam === 0) L.push(`set ${g.set} = {${g.models.map(q).join(', ')}}`);
  if (tables) {
    for (const g of m.guardrails) if (g.fam === 3) L.push(`table ${tierTable(g)} = {${q(g.tier)}: ${g.limit}} default ${INT64_MAX}`);
    for (const g of m.guardrails) if (g.fam === 4) L.push(`set ${tagSet(g)} = {${q(g.tag)}}`);
  }
  L.push('');
  for (const g of m.guardrails) {
    L.push(`guardrail ${g.name} {`);
    L.push(`  severity ${g.severity}`);
    if (g.fam === 2 && g.viaScopeItem) L.push(`  scope ${q(g.sub.scope)}`);
    L.push(`  deny when ${aigwCond(g, tables)}`);
    L.push(`  message ${q(MESSAGES[g.fam])}`);
    L.push('}', '');
  }
  for (const e of m.exemptions) {
    L.push(`exemption ${e.id} {`);
    L.push(`  waives ${e.waives.join(', ')}`);
    L.push(`  scope ${q(e.scope)}`);
    if (e.when) L.push(`  when ${aigwWhen(e.when)}`);
    L.push(`  owner ${q(e.owner)}`);
    L.push(`  created ${e.created}`);
    L.push(`  expires ${e.expiresText}`);
    L.push(`  category ${e.category}`);
    L.push(`  reason ${q(e.reason)}`);
    if (e.controls) L.push(`  controls ${aigwList(e.controls)}`);
    L.push(`  ticket ${q(e.ticket)}`);
    L.push('}', '');
  }
  return L.join('\n');
}

// ---------------------------------------------------------------- Cedar
// Resource = Scope::"<normalized account scope>", parents rg → subscription. A forbid per
// guardrail; each exemption that waives it is one `unless` clause.
function cq(s) { return JSON.stringify(s); }
function cedarSet(xs) { return '[' + xs.map(cq).join(', ') + ']'; }
function cedarWhen(w) {
  if (w.field === 'principal') return `principal == User::${cq(w.value)}`;
  if (w.op === 'eq') return `context.${w.field} == ${cq(w.value)}`;
  if (w.op === 'ne') return `context.${w.field} != ${cq(w.value)}`;
  return `${cedarSet(w.values)}.contains(context.${w.field})`;
}
function cedarCond(g) {
  const p = [];
  switch (g.fam) {
    case 0: if (g.team) p.push(`context.team == ${cq(g.team)}`); p.push(`!(${cedarSet(g.models)}.contains(context.model))`); break;
    case 1: if (g.task) p.push(`context.task == ${cq(g.task)}`); p.push(`context.classification >= ${g.level}`);
      p.push(`!(${cedarSet(g.providers)}.contains(context.provider))`); break;
    case 2: p.push(`resource in Scope::${cq(normScope(g.sub.scope))}`); p.push(`!(${cedarSet(g.regions)}.contains(context.region))`); break;
    case 3: if (g.task) p.push(`context.task == ${cq(g.task)}`); p.push(`context.tier == ${cq(g.tier)}`);
      p.push(`context.prompt_tokens > ${g.limit}`); break;
    case 4: if (g.team) p.push(`context.team == ${cq(g.team)}`); if (g.sub) p.push(`resource in Scope::${cq(normScope(g.sub.scope))}`);
      p.push(`!(context.tags has ${cq(g.tag)})`); break;
  }
  return p.join(' && ');
}
// The exemptions of a guardrail form one `unless` clause, an `||` of one term per exemption,
// parenthesized as a balanced tree: Cedar chains clauses (and a flat `||`) into a list as
// deep as it is long, and its evaluator recurses on depth, which overflows the wasm stack
// at a few hundred exemptions per guardrail.
function balancedOr(terms) {
  if (terms.length === 1) return terms[0];
  const mid = terms.length >> 1;
  return `(${balancedOr(terms.slice(0, mid))}) || (${balancedOr(terms.slice(mid))})`;
}
function emitCedar(m) {
  const policies = { 'base-permit': 'permit (principal, action == Action::"invoke", resource);' };
  for (const g of m.guardrails) {
    let t = `forbid (principal, action == Action::"invoke", resource)\nwhen { ${cedarCond(g)} }`;
    const terms = m.exByGuardrail.get(g.name).map((e) =>
      `resource in Scope::${cq(e.scopeNorm)} && context.now < ${e.expiresAt}` + (e.when ? ` && ${cedarWhen(e.when)}` : ''));
    if (terms.length) t += `\nunless { ${balancedOr(terms)} }`;
    policies[g.name] = t + ';';
  }
  return policies;
}
function cedarChain(scope) { // normalized [account, rg, sub, ...] uids, deepest first
  const s = segs(scope); const out = [];
  for (let i = s.length; i >= 2; i -= 2) out.push('/' + s.slice(0, i).join('/'));
  return out;
}

// ---------------------------------------------------------------- CEL
function celList(xs) { return '[' + xs.map(cq).join(', ') + ']'; }
function celCond(g) {
  const p = [];
  switch (g.fam) {
    case 0: if (g.team) p.push(`team == ${cq(g.team)}`); p.push(`!(model in ${celList(g.models)})`); break;
    case 1: if (g.task) p.push(`task == ${cq(g.task)}`); p.push(`classification >= ${g.level}`);
      p.push(`!(provider in ${celList(g.providers)})`); break;
    case 2: p.push(`scope.startsWith(${cq(normScope(g.sub.scope) + '/')})`); p.push(`!(region in ${celList(g.regions)})`); break;
    case 3: if (g.task) p.push(`task == ${cq(g.task)}`); p.push(`tier == ${cq(g.tier)}`); p.push(`prompt_tokens > ${g.limit}`); break;
    case 4: if (g.team) p.push(`team == ${cq(g.team)}`); if (g.sub) p.push(`scope.startsWith(${cq(normScope(g.sub.scope) + '/')})`);
      p.push(`!(${cq(g.tag)} in tags)`); break;
  }
  return p.join(' && ');
}
function celWhen(w) {
  if (w.op === 'eq') return `${w.field} == ${cq(w.value)}`;
  if (w.op === 'ne') return `${w.field} != ${cq(w.value)}`;
  return `${w.field} in ${celList(w.values)}`;
}

// ---------------------------------------------------------------- main
function writeLines(file, items) {
  const fd = fs.openSync(file, 'w');
  let buf = [];
  for (const it of items) {
    buf.push(typeof it === 'string' ? it : JSON.stringify(it));
    if (buf.length >= 2000) { fs.writeSync(fd, buf.join('\n') + '\n'); buf = []; }
  }
  if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n');
  fs.closeSync(fd);
}

function main() {
  const a = parseArgs(process.argv);
  const m = buildModel(a);
  fs.mkdirSync(path.join(a.out, 'cedar'), { recursive: true });
  fs.mkdirSync(path.join(a.out, 'cel'), { recursive: true });

  fs.writeFileSync(path.join(a.out, 'now.txt'), stampStr(m.now) + '\n');
  fs.writeFileSync(path.join(a.out, 'policy.aigw'), emitAigw(m));
  writeLines(path.join(a.out, 'requests.jsonl'), m.requests);

  const ref = reference(m);
  writeLines(path.join(a.out, 'expected.jsonl'), ref.out);

  // Cedar
  const cp = emitCedar(m);
  fs.writeFileSync(path.join(a.out, 'cedar', 'policies.json'), JSON.stringify(cp));
  fs.writeFileSync(path.join(a.out, 'cedar', 'policies.cedar'),
    Object.entries(cp).map(([id, t]) => `@id(${cq(id)})\n${t}\n`).join('\n'));
  const ents = new Map();
  const creqs = [];
  for (const req of m.requests) {
    const chain = cedarChain(req.scope);
    for (let i = 0; i < chain.length; i++) {
      if (!ents.has(chain[i])) ents.set(chain[i], { uid: { type: 'Scope', id: chain[i] }, attrs: {},
        parents: i + 1 < chain.length ? [{ type: 'Scope', id: chain[i + 1] }] : [] });
    }
    creqs.push({
      principal: { type: 'User', id: req.principal },
      action: { type: 'Action', id: 'invoke' },
      resource: { type: 'Scope', id: chain[0] },
      context: { model: req.model, provider: req.provider, region: req.region, task: req.task,
        team: req.team, tier: req.tier, classification: LEVELS.indexOf(req.classification),
        prompt_tokens: req.prompt_tokens, tags: req.tags, now: m.now },
    });
  }
  fs.writeFileSync(path.join(a.out, 'cedar', 'entities.json'), JSON.stringify(Array.from(ents.values())));
  writeLines(path.join(a.out, 'cedar', 'requests.jsonl'), creqs);

  // CEL
  fs.writeFileSync(path.join(a.out, 'cel', 'programs.json'), JSON.stringify({
    now: m.now,
    variables: { model: 'string', provider: 'string', region: 'string', task: 'string', team: 'string',
      tier: 'string', principal: 'string', scope: 'string', classification: 'int', prompt_tokens: 'int',
      tags: 'map<string, string>' },
    guardrails: m.guardrails.map((g) => ({ name: g.name, expr: celCond(g) })),
    exemptions: m.exemptions.map((e) => ({ id: e.id, waives: e.waives, scope: e.scopeNorm,
      expires: e.expiresAt, when: e.when ? celWhen(e.when) : null })),
  }));
  writeLines(path.join(a.out, 'cel', 'activations.jsonl'), m.requests.map((req) => ({
    model: req.model, provider: req.provider, region: req.region, task: req.task, team: req.team,
    tier: req.tier, principal: req.principal, scope: normScope(req.scope) + '/',
    classification: LEVELS.indexOf(req.classification), prompt_tokens: req.prompt_tokens, tags: req.tags,
    ancestors: cedarChain(req.scope).reverse(),
  })));

  const meta = {
    guardrails: a.guardrails, exemptions: a.exemptions, requests: a.requests, seed: a.seed, now: stampStr(m.now),
    subscriptions: m.subs.length, teams: m.teams.length,
    expired_exemptions: m.exemptions.filter((e) => !(m.now < e.expiresAt)).length,
    exemptions_with_when: m.exemptions.filter((e) => e.when).length,
    requests_under_exempted_scope: ref.underExempted,
    requests_with_waived_finding: ref.waivedAny,
    deny: ref.deny, allow: a.requests - ref.deny, messy_scopes: m.stats.messy,
    policy_bytes: fs.statSync(path.join(a.out, 'policy.aigw')).size,
  };
  fs.writeFileSync(path.join(a.out, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  process.stdout.write(JSON.stringify(meta) + '\n');
}

if (require.main === module) main();
module.exports = { buildModel, reference, normScope, isUnder, parseTime, makeRng };
