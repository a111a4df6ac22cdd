// The anchor of the `aigwc lint` row of `make bench`: conftest-style scanning, i.e. the
// same fact documents (one JSON object per declaration, as `aigwc lint --facts` writes
// them) judged one at a time by the same rules written in a general-purpose policy
// language — CEL, with cel-js — the way conftest runs Rego over each parsed document.
// It times reading the documents and evaluating the rules; it does not include making
// the documents (compiling the policy), so it is the cheaper half of the work.
//
//   node lint_anchor.mjs FACTS.jsonl NOW_UNIX_SECONDS   → one JSON line on stdout
import fs from 'fs';

const [file, nowArg] = process.argv.slice(2);
if (!file || !nowArg) { console.error('usage: node lint_anchor.mjs FACTS.jsonl NOW_UNIX_SECONDS'); process.exit(2); }
const { Environment } = await import('@marcbachmann/cel-js');
const version = JSON.parse(fs.readFileSync(new URL('./node_modules/@marcbachmann/cel-js/package.json', import.meta.url), 'utf8')).version;

const VAGUE = ['temporary', 'temp', 'tbd', 'todo', 'n/a', 'na', 'none', 'needed', 'required', 'business need',
  'business needs', 'business requirement', 'exception', 'approved', 'as discussed', 'per request', 'requested',
  'legacy', 'wip', 'test', 'testing', 'fix later'];
const OWNERS = ['tbd', 'todo', 'unknown', 'n/a', 'na', 'none', 'nobody', 'someone', 'team'];
const list = (a) => '[' + a.map((s) => JSON.stringify(s)).join(', ') + ']';
const EX = 'fact.kind == "exemption" && ';
// stdlib-policies/lint, condition by condition
const RULES = {
  'exemption-expired': EX + 'has(fact.expires) && fact.expires <= now',
  'exemption-expires-soon': EX + 'has(fact.expires) && fact.expires > now && fact.days_left <= 14',
  'exemption-never-expires': EX + 'fact.expires_never',
  'exemption-lifetime': EX + 'has(fact.lifetime_days) && (fact.category == "waiver" && fact.lifetime_days > 90 || fact.category == "mitigated" && fact.lifetime_days > 180)',
  'exemption-scope-root': EX + 'fact.scope_depth == 0',
  'exemption-scope-management-group': EX + 'fact.scope_depth == 4 && fact.scope_canon.startsWith("/providers/microsoft.management/managementgroups/")',
  'exemption-scope-subscription': EX + 'fact.scope_depth == 2 && fact.scope_canon.startsWith("/subscriptions/")',
  'exemption-mitigated-controls': EX + 'fact.category == "mitigated" && (!has(fact.controls) || fact.shortest_control < 12)',
  'exemption-reason': EX + `(size(fact.reason) < 20 || fact.reason_norm in ${list(VAGUE)})`,
  'exemption-owner': EX + `fact.owner_norm in ${list(OWNERS)}`,
  'exemption-ticket': EX + 'fact.waived_severity in ["high", "critical"] && (!has(fact.ticket) || fact.ticket == "")',
  'exemption-matches-nothing': EX + '(fact.when_never || has(fact.scope_outside) && size(fact.scope_outside) == size(fact.waives))',
  'exemption-waives-dead-guardrail': EX + 'has(fact.waives_dead) && !fact.when_never && !(has(fact.scope_outside) && size(fact.scope_outside) == size(fact.waives))',
  'exemption-overlap': EX + 'has(fact.overlaps)',
  'exemption-renewal-chain': EX + 'fact.renewals > 3',
  'guardrail-never-fires': 'fact.kind == "guardrail" && fact.never_fires',
  'guardrail-always-fires': 'fact.kind == "guardrail" && fact.always_fires && fact.effect == "deny" && !fact.dry_run && fact.nscopes == 0',
  'route-rule-unreachable': 'fact.kind == "route" && (fact.unreachable || fact.matches_never || fact.always_denied || has(fact.refused_targets) && size(fact.refused_targets) == size(fact.targets))',
  'route-target-unreachable': 'fact.kind == "route" && has(fact.refused_targets) && size(fact.refused_targets) < size(fact.targets) && !(fact.unreachable || fact.matches_never || fact.always_denied)',
  'budget-never-charged': 'fact.kind == "budget" && (fact.when_never || fact.always_denied)',
};
const TIMES = new Set(['created', 'starts', 'expires']);

const t0 = process.hrtime.bigint();
const env = new Environment();
env.registerVariable('fact', 'map');
env.registerVariable('now', 'int');
const programs = Object.entries(RULES).map(([id, expr]) => ({ id, run: env.parse(expr) }));
const t1 = process.hrtime.bigint();
const docs = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l).map((l) => {
  const d = JSON.parse(l);
  for (const [k, v] of Object.entries(d)) {
    if (typeof v === 'number') d[k] = BigInt(v);
    else if (TIMES.has(k)) d[k] = BigInt(Date.parse(v) / 1000);
  }
  return d;
});
const t2 = process.hrtime.bigint();
const now = BigInt(nowArg);
let findings = 0;
for (const fact of docs) {
  const act = { fact, now };
  for (const p of programs) {
    try { if (p.run(act) === true) findings++; } catch { /* a field the fact lacks: no finding */ }
  }
}
const t3 = process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;
console.log(JSON.stringify({ engine: `cel-js ${version}`, docs: docs.length, rules: programs.length, findings,
  load_ms: ms(t0, t1), read_ms: ms(t1, t2), eval_ms: ms(t2, t3), total_ms: ms(t0, t3) }));
