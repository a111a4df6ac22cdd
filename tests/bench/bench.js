#!/usr/bin/env node
// The `make bench` driver (run.sh calls it): generate each workload, run aigwc (compiler,
// libaigw harness, `aigwc eval`), Cedar and CEL on it, check every engine's decisions
// against the generator's reference, and write one table (Markdown + JSON) under
// tests/bench/results/.
//
//   node bench.js --build BUILD_DIR [--harness PATH] [--sizes 50x500,50x5000,50x50000,500x5000,500x50000]
//                 [--requests 10000] [--seed 1] [--work DIR] [--results DIR]
//                 [--budget SECONDS] [--cedar-max SIZE=K,...] [--no-write]
//
// Exit status: 0 when every engine that ran agrees with the reference on every request it
// decided; 1 on any disagreement or an aigwc failure; 2 on a usage or setup error.
// aigwc parts that do not exist yet (no `aigwc compile`, no libaigw to link the harness
// against) are shown as "n/a" and do not fail the run.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const HERE = __dirname;
const ROOT = path.resolve(HERE, '..', '..');

// ---------------------------------------------------------------- options
const opt = {
  build: 'build', harness: null, sizes: '50x500,50x5000,50x50000,500x5000,500x50000', requests: 10000, seed: 1,
  work: path.join(HERE, 'results', 'tmp'), results: path.join(HERE, 'results'), budget: 20,
  // Cedar decides a fixed prefix of the requests at the sizes where all 10,000 would take
  // minutes (cedar-wasm costs milliseconds per decision there); the table says so.
  cedarMax: '50x50000=5000,500x5000=5000,500x50000=2000', write: true,
};
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i], v = process.argv[i + 1];
  const take = () => { i++; if (v === undefined) usage(); return v; };
  if (k === '--build') opt.build = take();
  else if (k === '--harness') opt.harness = take();
  else if (k === '--sizes') opt.sizes = take();
  else if (k === '--requests') opt.requests = +take();
  else if (k === '--seed') opt.seed = +take();
  else if (k === '--work') opt.work = path.resolve(take());
  else if (k === '--results') opt.results = path.resolve(take());
  else if (k === '--budget') opt.budget = +take();
  else if (k === '--cedar-max') opt.cedarMax = take();
  else if (k === '--no-write') opt.write = false;
  else if (k === '--harness-error') opt.harnessError = true;
  else usage();
}
function usage() {
  console.error('usage: node bench.js --build BUILD_DIR [--harness PATH] [--sizes NxM,...] [--requests R] [--seed S]\n' +
                '                     [--work DIR] [--results DIR] [--budget SECONDS] [--cedar-max NxM=K,...] [--no-write]');
  process.exit(2);
}
const BUILD = path.resolve(ROOT, opt.build);
// A copy of the compiler taken at the start, so that a rebuild during the run (make in
// another shell) cannot swap the binary between sizes.
const AIGWC_BUILT = path.join(BUILD, 'aigwc');
const AIGWC = path.join(opt.work, 'aigwc');
const HARNESS = opt.harness ? path.resolve(opt.harness) : path.join(BUILD, 'bench', 'bench_aigw');
const sizes = opt.sizes.split(',').filter(Boolean).map((s) => {
  const m = /^(\d+)x(\d+)$/.exec(s.trim());
  if (!m) usage();
  return { guardrails: +m[1], exemptions: +m[2], key: s.trim() };
});
const cedarMax = new Map(opt.cedarMax.split(',').filter(Boolean).map((s) => { const [a, b] = s.split('='); return [a.trim(), +b]; }));

// ---------------------------------------------------------------- helpers
const hr = () => process.hrtime.bigint();
const msSince = (t) => Number(hr() - t) / 1e6;
const haveTime = fs.existsSync('/usr/bin/time');
let failed = false;
const problems = [];
function loud(msg) {
  failed = true;
  problems.push(msg);
  console.error(`\n!!!!!!!! ${msg}\n`);
}
function log(msg) { process.stdout.write(msg + '\n'); }

// Runs a command; returns {status, ms, rssKb, stdout, stderr}. stdout goes to a file if given.
function run(cmd, args, { stdoutFile = null, cwd = ROOT } = {}) {
  const timeFile = path.join(opt.work, '.time');
  let argv = [cmd, ...args];
  if (haveTime) argv = ['/usr/bin/time', '-f', '%e %M', '-o', timeFile, ...argv];
  const fd = stdoutFile ? fs.openSync(stdoutFile, 'w') : 'pipe';
  const t = hr();
  const r = spawnSync(argv[0], argv.slice(1), { cwd, stdio: ['ignore', fd, 'pipe'], maxBuffer: 1 << 30, encoding: 'utf8' });
  const ms = msSince(t);
  if (stdoutFile) fs.closeSync(fd);
  let rssKb = null;
  if (haveTime && fs.existsSync(timeFile)) {
    const last = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ');
    rssKb = +last[1] || null;
    fs.unlinkSync(timeFile);
  }
  return { status: r.status, ms, rssKb, stdout: r.stdout || '', stderr: r.stderr || '', error: r.error };
}

function node(script, args, opts) { return run(process.execPath, [path.join(HERE, script), ...args], opts); }

function compare(dir, engine, file, extra = []) {
  const r = node('compare.js', [dir, engine, file, ...extra]);
  if (r.status === 0) { log('  ' + r.stdout.trim()); return 'agree'; }
  process.stderr.write(r.stderr);
  loud(`${engine} disagrees with the reference (${path.basename(dir)})`);
  return 'DISAGREE';
}

function notYet(r) { return /not available yet/.test(r.stderr); }

// ---------------------------------------------------------------- machine and versions
function machine() {
  let cpu = 'unknown';
  try { const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8')); if (m) cpu = m[1].trim(); } catch (e) { /* */ }
  let nproc = os.cpus().length;
  const np = spawnSync('nproc', [], { encoding: 'utf8' });
  if (np.status === 0) nproc = +np.stdout.trim();
  return { nproc, cpu, mem_gib: +(os.totalmem() / 2 ** 30).toFixed(1), os: `${os.type()} ${os.release()}`,
           loadavg_start: os.loadavg().map((x) => +x.toFixed(2)) };
}
function pkgVersion(name) {
  try { return JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules', name, 'package.json'), 'utf8')).version; } catch (e) { return null; }
}
function aigwcVersion() {
  if (!fs.existsSync(AIGWC)) return null;
  const r = spawnSync(AIGWC, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().replace(/^aigwc\s+/, '') : null;
}

// ---------------------------------------------------------------- one size
function runSize(sz) {
  const dir = path.join(opt.work, `g${sz.guardrails}_e${sz.exemptions}`);
  const res = { guardrails: sz.guardrails, exemptions: sz.exemptions, requests: opt.requests, engines: {} };
  log(`\n== ${sz.guardrails} guardrails / ${sz.exemptions} exemptions / ${opt.requests} requests`);

  // workload
  const g = node('gen.js', ['--guardrails', sz.guardrails, '--exemptions', sz.exemptions, '--requests', opt.requests,
                            '--seed', opt.seed, '--out', dir].map(String));
  if (g.status !== 0) { process.stderr.write(g.stderr); loud(`gen.js failed for ${sz.key}`); return res; }
  res.workload = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  res.workload.gen_ms = Math.round(g.ms);
  const now = fs.readFileSync(path.join(dir, 'now.txt'), 'utf8').trim();
  log(`  workload: ${JSON.stringify(res.workload)}`);

  // ---- aigwc: compile
  const bundle = path.join(dir, 'policy.aigwb');
  fs.rmSync(bundle, { force: true });
  const a = { compile: null, lib: null, cli: null, status: 'n/a' };
  res.engines.aigwc = a;
  if (!fs.existsSync(AIGWC)) {
    a.note = `${path.relative(ROOT, AIGWC_BUILT)} not built`;
  } else {
    const c = run(AIGWC, ['compile', '-q', '-o', bundle, path.join(dir, 'policy.aigw')]);
    if (notYet(c)) a.note = '`aigwc compile` not available yet';
    else if (c.status !== 0 || !fs.existsSync(bundle)) {
      process.stderr.write(c.stderr.split('\n').slice(0, 30).join('\n') + '\n');
      loud(`aigwc compile failed on ${path.relative(ROOT, dir)}/policy.aigw (exit ${c.status})`);
      a.status = 'error';
    } else {
      a.compile = { ms: +c.ms.toFixed(1), peak_rss_kb: c.rssKb, bundle_bytes: fs.statSync(bundle).size };
      a.status = 'ok';
      log(`  aigwc compile: ${c.ms.toFixed(0)} ms, bundle ${a.compile.bundle_bytes} bytes`);
    }
  }
  if (a.status === 'ok') {
    // libaigw harness
    if (!fs.existsSync(HARNESS)) {
      a.lib_note = opt.harnessError ? 'ERROR: bench_aigw does not build against libaigw' : 'libaigw has no aigw_eval yet';
      if (opt.harnessError && !problems.some((p) => /bench_aigw.c/.test(p))) loud('bench_aigw.c does not build against libaigw.a');
    }
    else {
      const dec = path.join(dir, 'dec_aigwc_lib.jsonl'), js = path.join(dir, 'res_aigwc_lib.json');
      const h = run(HARNESS, [bundle, path.join(dir, 'requests.jsonl'), now, '--decisions', dec, '--json', js]);
      if (h.status !== 0 || !fs.existsSync(js)) {
        process.stderr.write(h.stderr);
        loud(`bench_aigw failed on ${sz.key} (exit ${h.status})`);
        a.status = 'error';
        if (fs.existsSync(js)) a.lib = JSON.parse(fs.readFileSync(js, 'utf8'));
      } else a.lib = JSON.parse(fs.readFileSync(js, 'utf8'));
      if (fs.existsSync(dec)) a.lib_agreement = compare(dir, `aigwc libaigw ${sz.key}`, dec, ['--waived']);
      if (a.lib) log(`  libaigw: eval ${a.lib.modes.eval.decisions_per_s}/s, setters ${a.lib.modes.setters.decisions_per_s}/s, json ${a.lib.modes.json.decisions_per_s}/s`);
    }
    // aigwc eval, JSON Lines
    const out = path.join(dir, 'dec_aigwc_cli.jsonl');
    const e = run(AIGWC, ['eval', '-b', bundle, '-i', path.join(dir, 'requests.jsonl'), '--now', now], { stdoutFile: out });
    if (notYet(e)) a.cli_note = '`aigwc eval` not available yet';
    else if (e.status !== 0 && e.status !== 1) {
      process.stderr.write(e.stderr.split('\n').slice(0, 30).join('\n') + '\n');
      loud(`aigwc eval failed on ${sz.key} (exit ${e.status})`);
      a.status = 'error';
    } else {
      a.cli = { ms: +e.ms.toFixed(1), decisions_per_s: Math.round(opt.requests / (e.ms / 1000)), peak_rss_kb: e.rssKb };
      a.cli_agreement = compare(dir, `aigwc eval ${sz.key}`, out, ['--waived']);
      log(`  aigwc eval: ${e.ms.toFixed(0)} ms for ${opt.requests} requests`);
    }
  }

  // ---- anchors
  for (const engine of ['cedar', 'cel']) {
    const dec = path.join(dir, `dec_${engine}.jsonl`), js = path.join(dir, `res_${engine}.json`);
    fs.rmSync(js, { force: true });
    const extra = ['--budget', String(opt.budget)];
    const max = engine === 'cedar' ? cedarMax.get(sz.key) : undefined;
    if (max && max < opt.requests) extra.push('--max-requests', String(max));
    const r = node('anchors.mjs', [engine, dir, '--decisions', dec, '--json', js, ...extra]);
    if (r.status !== 0 || !fs.existsSync(js)) {
      process.stderr.write(r.stderr);
      loud(`${engine} anchor failed on ${sz.key} (exit ${r.status})`);
      res.engines[engine] = { status: 'error' };
      continue;
    }
    const x = JSON.parse(fs.readFileSync(js, 'utf8'));
    x.status = 'ok';
    x.agreement = compare(dir, `${engine} ${sz.key}`, dec,
      [...(engine === 'cel' ? ['--waived'] : []), ...(x.decided_requests < x.requests ? ['--limit', String(x.decided_requests)] : [])]);
    res.engines[engine] = x;
    log(`  ${engine}: ${x.decisions_per_s}/s, p50 ${x.p50_us} µs, p99 ${x.p99_us} µs, load ${x.load_ms} ms` +
        (x.decided_requests < x.requests ? ` (first ${x.decided_requests} requests)` : '') +
        (x.timed_requests < x.decided_requests ? ` (timed on ${x.timed_requests})` : ''));
  }
  return res;
}

// ---------------------------------------------------------------- parse throughput
function parseThroughput(sizeResults) {
  const p = { status: 'n/a' };
  let file = null;
  for (const s of sizeResults) if (s.exemptions >= 50000) file = path.join(opt.work, `g${s.guardrails}_e${s.exemptions}`, 'policy.aigw');
  if (!file || !fs.existsSync(file)) {
    const dir = path.join(opt.work, 'parse_g500_e50000');
    const g = node('gen.js', ['--guardrails', '500', '--exemptions', '50000', '--requests', '1', '--seed', String(opt.seed), '--out', dir]);
    if (g.status !== 0) { loud('gen.js failed for the parse file'); return p; }
    file = path.join(dir, 'policy.aigw');
  }
  if (!fs.existsSync(AIGWC)) { p.note = 'aigwc not built'; return p; }
  const bytes = fs.statSync(file).size;
  let best = Infinity, rss = null;
  for (let i = 0; i < 3; i++) {
    const r = run(AIGWC, ['parse', file]);
    if (notYet(r)) { p.note = '`aigwc parse` not available yet'; return p; }
    if (r.status !== 0) { process.stderr.write(r.stderr.slice(0, 3000)); loud(`aigwc parse failed on ${file}`); p.status = 'error'; return p; }
    if (r.ms < best) { best = r.ms; rss = r.rssKb; }
  }
  Object.assign(p, { status: 'ok', file: path.relative(ROOT, file), bytes, exemptions: 50000, guardrails: 500,
    best_ms: +best.toFixed(1), mb_per_s: +((bytes / 1e6) / (best / 1000)).toFixed(1), peak_rss_kb: rss,
    note: 'whole process (start, read, lex, parse, exit), best of 3' });
  log(`\n== parse: ${(bytes / 1e6).toFixed(1)} MB in ${best.toFixed(0)} ms → ${p.mb_per_s} MB/s`);
  return p;
}

// ---------------------------------------------------------------- report
const fmtInt = (x) => (x == null ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const fmtUs = (x) => (x == null ? 'n/a' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US'));
const fmtMs = (x) => (x == null ? '—' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US'));
const fmtMb = (kb) => (kb == null ? 'n/a' : (kb / 1024).toFixed(0));
const ratio = (aigw, anchor) => (aigw && anchor ? `${(aigw / anchor) >= 10 ? Math.round(aigw / anchor) : (aigw / anchor).toFixed(1)}×` : 'n/a');

function rows(s) {
  const a = s.engines.aigwc || {};
  const lib = a.lib && a.lib.modes;
  const base = lib ? lib.eval.decisions_per_s : null, baseJ = lib ? lib.json.decisions_per_s : null;
  const R = [];
  const na = (what, why) => R.push([what[0], what[1], 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', '—', why || 'n/a']);
  const agreeLib = a.lib_agreement || (lib ? '?' : 'n/a');
  if (lib) {
    const req = `${s.requests.toLocaleString('en-US')}`;
    const cm = a.compile ? fmtMs(a.compile.ms) : '—';
    if (lib.realistic)
      R.push(['aigwc', 'libaigw: JSON bytes in, `aigw_eval`, decision JSON out (warm context)', fmtInt(lib.realistic.decisions_per_s),
              fmtUs(lib.realistic.p50_us), fmtUs(lib.realistic.p99_us), fmtMs(a.lib.load_ms), cm, fmtMb(a.lib.rss_kb.one_context), '—', `${agreeLib} (${req})`]);
    R.push(['aigwc', 'libaigw: `aigw_eval` on pre-filled contexts', fmtInt(lib.eval.decisions_per_s), fmtUs(lib.eval.p50_us), fmtUs(lib.eval.p99_us),
            fmtMs(a.lib.load_ms), cm, `${fmtMb(a.lib.rss_kb.peak)} (${s.requests.toLocaleString('en-US')} contexts)`, '1×', `${agreeLib} (${req})`]);
    R.push(['aigwc', 'libaigw: field setters + `aigw_eval`', fmtInt(lib.setters.decisions_per_s), fmtUs(lib.setters.p50_us), fmtUs(lib.setters.p99_us),
            fmtMs(a.lib.load_ms), cm, fmtMb(a.lib.rss_kb.one_context), '—', `${agreeLib} (${req})`]);
    R.push(['aigwc', 'libaigw: `aigw_input_json` + `aigw_eval`', fmtInt(lib.json.decisions_per_s), fmtUs(lib.json.p50_us), fmtUs(lib.json.p99_us),
            fmtMs(a.lib.load_ms), cm, fmtMb(a.lib.rss_kb.one_context), '—', `${agreeLib} (${req})`]);
  } else na(['aigwc', 'libaigw (in process)'], a.lib_note || a.note || (a.status === 'error' ? 'ERROR' : 'n/a'));
  if (a.cli) {
    R.push(['aigwc', '`aigwc eval` on JSON Lines (whole process)', fmtInt(a.cli.decisions_per_s), 'n/a', 'n/a', '—',
            a.compile ? fmtMs(a.compile.ms) : '—', fmtMb(a.cli.peak_rss_kb), '—', `${a.cli_agreement} (${s.requests.toLocaleString('en-US')})`]);
  } else na(['aigwc', '`aigwc eval` on JSON Lines'], a.cli_note || a.note || (a.status === 'error' ? 'ERROR' : 'n/a'));
  for (const [engine, label] of [['cedar', 'Cedar'], ['cel', 'CEL']]) {
    const x = s.engines[engine];
    if (!x || x.status !== 'ok') { na([label, engine === 'cedar' ? 'cedar-wasm' : 'cel-js'], 'ERROR'); continue; }
    const mode = engine === 'cedar' ? '`statefulIsAuthorized`, preparsed policy set, JS objects in'
                                    : 'one compiled program per guardrail, exemption index in JS, JS objects in';
    const sub = x.decided_requests < x.requests ? ` (first ${x.decided_requests.toLocaleString('en-US')})`
                                                : ` (${x.requests.toLocaleString('en-US')})`;
    const timed = x.timed_requests < x.decided_requests ? `; timed on ${x.timed_requests.toLocaleString('en-US')}` : '';
    R.push([label, mode, fmtInt(x.decisions_per_s), fmtUs(x.p50_us), fmtUs(x.p99_us), fmtMs(x.load_ms), '—',
            fmtMb(x.peak_rss_kb), base ? `${ratio(base, x.decisions_per_s)} / ${ratio(baseJ, x.decisions_per_s)}` : 'n/a',
            `${x.agreement}${sub}${timed}`]);
  }
  return R;
}

function markdown(report) {
  const L = [];
  const m = report.machine, v = report.versions;
  L.push(`# aigwc benchmark — ${report.date}`, '');
  L.push(`Machine: ${m.nproc} cores (nproc), ${m.cpu}, ${m.mem_gib} GiB, ${m.os}; load average at start ${m.loadavg_start.join(' ')}, at end ${m.loadavg_end.join(' ')}.`);
  L.push(`Versions: aigwc ${v.aigwc || 'n/a'}; node ${v.node}; @cedar-policy/cedar-wasm ${v.cedar_wasm || 'n/a'}; @marcbachmann/cel-js ${v.cel_js || 'n/a'}.`);
  L.push(`Workload: \`tests/bench/gen.js\`, seed ${report.seed}, ${report.requests.toLocaleString('en-US')} requests per size, one thread.`, '');
  L.push(`Agreement with the reference decisions: **${report.agreement_ok ? 'all engines agree on every request they decided' : 'DISAGREEMENT — see below'}**.`, '');
  for (const s of report.sizes) {
    const w = s.workload || {};
    L.push(`## ${s.guardrails} guardrails / ${s.exemptions.toLocaleString('en-US')} exemptions`, '');
    if (s.workload) {
      L.push(`${w.subscriptions} subscriptions; ${w.expired_exemptions} exemptions expired at now, ${w.exemptions_with_when} with \`when\`; ` +
             `${(100 * w.requests_under_exempted_scope / w.requests).toFixed(0)}% of requests under an exempted scope, ` +
             `${(100 * w.requests_with_waived_finding / w.requests).toFixed(0)}% with a waived finding, ${(100 * w.deny / w.requests).toFixed(0)}% deny; ` +
             `source ${(w.policy_bytes / 1e6).toFixed(2)} MB` +
             (s.engines.aigwc && s.engines.aigwc.compile ? `, bundle ${(s.engines.aigwc.compile.bundle_bytes / 1e6).toFixed(2)} MB` : '') + '.', '');
    }
    L.push('| engine | mode | decisions/s | p50 µs | p99 µs | load ms | compile ms | peak RSS MB | anchor ÷ aigwc (time per decision, vs eval / vs JSON+eval) | agreement (requests) |');
    L.push('|---|---|--:|--:|--:|--:|--:|--:|--:|---|');
    for (const r of rows(s)) L.push('| ' + r.join(' | ') + ' |');
    L.push('');
  }
  const p = report.parse;
  L.push('## Parse throughput', '');
  if (p.status === 'ok') L.push(`\`aigwc parse\` on a ${(p.bytes / 1e6).toFixed(1)} MB file (${p.guardrails} guardrails, ${p.exemptions.toLocaleString('en-US')} exemptions): ` +
    `**${p.mb_per_s} MB/s** (${p.best_ms} ms, ${p.note}; peak RSS ${fmtMb(p.peak_rss_kb)} MB).`);
  else L.push(`n/a${p.note ? ` (${p.note})` : ''}`);
  L.push('');
  if (report.problems.length) {
    L.push('## Problems', '');
    for (const x of report.problems) L.push(`- ${x}`);
    L.push('');
  }
  L.push('## Method', '');
  L.push('- All engines decide the same requests at the same `now`; each engine\'s decision and sorted set of violated guardrails (and, for aigwc and CEL, waived guardrails) are compared with `expected.jsonl`, which `gen.js` computes from its own data model.');
  L.push('- decisions/s: a plain loop over the requests with one clock read per round; the median round (aigwc: rounds over all requests, at least 3 and 1 s; anchors: the timed requests in 5 chunks). The JSON also has the mean. p50/p99: a clock read around every call (`clock_gettime` in C, `process.hrtime.bigint()` in node), sorted.');
  L.push('- aigwc "pre-filled contexts": one context per request, filled once through the field setters before timing; the timed call is `aigw_eval` alone — the counterpart of the anchors, which are handed ready JS objects. "field setters" and "`aigw_input_json`" reuse one context and include setting the input. Peak RSS of the pre-filled mode includes one context per request; the other modes\' is one context plus the parsed requests.');
  L.push('- `aigwc eval`: wall time of the whole process (start, bundle load, reading and parsing JSON Lines, deciding, printing one decision JSON per line), requests / seconds.');
  L.push('- Cedar: `preparsePolicySet` once (load ms), then `statefulIsAuthorized` per request with the request\'s slice of the entity hierarchy (account → resource group → subscription). Each guardrail is a `forbid` with its exemptions in one `unless` (a balanced `||` of `resource in Scope::"…" && context.now < expiry [&& when]`); one base `permit`.');
  L.push('- CEL: one compiled program per guardrail and per distinct exemption `when` (load ms); exemptions found through a JS index on (guardrail, scope) over the request\'s ancestor scopes, expiry compared in JS.');
  L.push('- Node peak RSS includes the runtime (~50 MB at start) and every prepared request.');
  L.push(`- Timed passes of an anchor cover all decided requests unless they would exceed ${report.budget_s} s each; then a prefix (the table says so). Cedar decides a fixed prefix at: ${report.cedar_max || 'none'}.`);
  L.push('');
  return L.join('\n');
}

// ---------------------------------------------------------------- main
function main() {
  fs.mkdirSync(opt.work, { recursive: true });
  fs.rmSync(AIGWC, { force: true });
  if (fs.existsSync(AIGWC_BUILT)) fs.copyFileSync(AIGWC_BUILT, AIGWC);
  const mach = machine();
  const versions = { aigwc: aigwcVersion(), node: process.version, cedar_wasm: pkgVersion('@cedar-policy/cedar-wasm'),
                     cel_js: pkgVersion('@marcbachmann/cel-js') };
  if (!versions.cedar_wasm || !versions.cel_js) { console.error('bench: npm packages missing under tests/bench/node_modules (run.sh installs them)'); process.exit(2); }
  log(`bench: ${mach.nproc} cores, ${mach.cpu}; load ${mach.loadavg_start.join(' ')}; aigwc ${versions.aigwc || 'n/a'}, node ${versions.node}, cedar-wasm ${versions.cedar_wasm}, cel-js ${versions.cel_js}`);
  const t0 = hr();
  const results = sizes.map(runSize);
  const parse = parseThroughput(results);
  mach.loadavg_end = os.loadavg().map((x) => +x.toFixed(2));
  const d = new Date();
  const stamp = d.toISOString().slice(0, 16).replace(':', '');
  const report = {
    date: d.toISOString(), seed: opt.seed, requests: opt.requests, machine: mach, versions, sizes: results, parse,
    budget_s: opt.budget, cedar_max: opt.cedarMax, agreement_ok: !problems.some((p) => /disagree/.test(p)),
    problems, total_s: +(msSince(t0) / 1000).toFixed(1),
  };
  const md = markdown(report);
  log('\n' + md);
  if (opt.write) {
    fs.mkdirSync(opt.results, { recursive: true });
    const base = path.join(opt.results, `bench-${stamp}`);
    fs.writeFileSync(base + '.md', md);
    fs.writeFileSync(base + '.json', JSON.stringify(report, null, 2) + '\n');
    log(`bench: wrote ${path.relative(ROOT, base)}.md and .json (${report.total_s} s)`);
  }
  if (failed) {
    console.error(`\n!!!!!!!! bench: ${problems.length} problem(s):`);
    for (const p of problems) console.error(`  - ${p}`);
    process.exit(1);
  }
}
main();
