#!/usr/bin/env node
// The `make bench` driver (run.sh calls it): generate each workload, run aigwc (compiler,
// libaigw harness, `aigwc eval`), Cedar and CEL on it, check every engine's decisions
// against the generator's reference, and write one table (Markdown + JSON) under
// tests/bench/results/.
//
//   node bench.js --build BUILD_DIR [--harness PATH] [--sizes 50x500,50x5000,50x50000,500x5000,500x50000]
//                 [--requests 10000] [--seed 1] [--work DIR] [--results DIR]
//                 [--budget SECONDS] [--cedar-max SIZE=K,...] [--no-write]
//                 [--threads T] [--stages N] [--no-callgrind | --callgrind]
//
// The first table is the realistic loop (libaigw: JSON bytes in, decision JSON out, one warm
// context per thread, on 1 and T threads, default 2) beside Cedar and CEL, each with
// pre-built input objects and with JSON.parse of the same request line in every call. When
// valgrind is installed, every size also gets instructions per request for each stage
// (parse, eval, render) from `bench_aigw --stages N` (default 2,000) under callgrind;
// --callgrind does only that (no timing, no anchors, nothing written), --no-callgrind skips it.
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
  threads: 2, stages: 2000, callgrind: 'auto',
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
  else if (k === '--threads') opt.threads = +take();
  else if (k === '--stages') opt.stages = +take();
  else if (k === '--callgrind') opt.callgrind = 'only';
  else if (k === '--no-callgrind') opt.callgrind = 'no';
  else if (k === '--harness-error') opt.harnessError = true;
  else usage();
}
function usage() {
  console.error('usage: node bench.js --build BUILD_DIR [--harness PATH] [--sizes NxM,...] [--requests R] [--seed S]\n' +
                '                     [--work DIR] [--results DIR] [--budget SECONDS] [--cedar-max NxM=K,...] [--no-write]\n' +
                '                     [--threads T] [--stages N] [--no-callgrind | --callgrind]');
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

// ---------------------------------------------------------------- callgrind: instructions per stage
const haveValgrind = spawnSync('valgrind', ['--version'], { encoding: 'utf8' }).status === 0;
const useCallgrind = opt.callgrind !== 'no' && haveValgrind;
const STAGES = { aigw_input_json: 'parse', aigw_eval: 'eval', aigw_decision_json: 'render' };

// Inclusive instructions of the calls made from stages_run, by callee, from a callgrind
// output file: a `calls=` line is followed by the call's position and its inclusive cost.
// Names are compressed ("fn=(12) name" once, "fn=(12)" after). Summed by name, because a
// function whose code was inlined from several files has one entry per file.
function callgrindCalls(file) {
  const names = new Map();
  const name = (id, text) => { if (text) names.set(id, text); return names.get(id) || text; };
  let fn = null, callee = null, count = 0, costNext = false, total = null;
  const cost = {}, calls = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (costNext) {
      costNext = false;
      if (/^stages_run/.test(fn || '')) {
        cost[callee] = (cost[callee] || 0) + Number(line.trim().split(/\s+/)[1]);
        calls[callee] = (calls[callee] || 0) + count;
      }
      continue;
    }
    let m;
    if ((m = /^fn=(?:\((\d+)\))?\s*(.*)$/.exec(line))) fn = name(m[1] || m[2], m[2]);
    else if ((m = /^cfn=(?:\((\d+)\))?\s*(.*)$/.exec(line))) callee = name(m[1] || m[2], m[2]);
    else if ((m = /^calls=(\d+)/.exec(line))) { count = +m[1]; costNext = true; }
    else if ((m = /^(?:summary|totals):\s*(\d+)/.exec(line))) total = +m[1];
  }
  return { cost, calls, total };
}

// bench_aigw --stages N under callgrind, counting only inside stages_run (no loading, no
// warm-up): instructions per request for each stage and in all.
function stages(dir, bundle, requests, now) {
  const out = path.join(dir, 'callgrind.out');
  fs.rmSync(out, { force: true });
  const N = opt.stages;
  const r = run('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, '--collect-atstart=no',
                             '--toggle-collect=stages_run*', HARNESS, bundle, requests, now, '--stages', String(N)]);
  if (r.status !== 0 || !fs.existsSync(out)) {
    process.stderr.write(r.stderr.split('\n').slice(-30).join('\n') + '\n');
    loud(`bench_aigw --stages under callgrind failed on ${path.basename(dir)} (exit ${r.status})`);
    return { status: 'error' };
  }
  const c = callgrindCalls(out);
  const per = {};
  for (const [fn, stage] of Object.entries(STAGES)) {
    if (c.calls[fn] !== N) {
      loud(`callgrind on ${path.basename(dir)}: ${c.calls[fn] || 0} calls to ${fn} counted for ${N} requests`);
      return { status: 'error' };
    }
    per[stage] = Math.round(c.cost[fn] / N);
  }
  per.total = Math.round(c.total / N);
  return { status: 'ok', requests: N, per_request: per, collected_ir: c.total, ms: Math.round(r.ms),
           note: 'callgrind Ir inside stages_run: inclusive cost of its calls to each stage, and all it ran, over N requests' };
}

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
    const requests = path.join(dir, 'requests.jsonl');
    if (!fs.existsSync(HARNESS)) {
      a.lib_note = opt.harnessError ? 'ERROR: bench_aigw does not build against libaigw' : 'libaigw has no aigw_eval yet';
      if (opt.harnessError && !problems.some((p) => /bench_aigw.c/.test(p))) loud('bench_aigw.c does not build against libaigw.a');
    } else if (opt.callgrind !== 'only') {
      const dec = path.join(dir, 'dec_aigwc_lib.jsonl'), js = path.join(dir, 'res_aigwc_lib.json');
      fs.rmSync(dec, { force: true });
      a.loadavg = os.loadavg().map((x) => +x.toFixed(2));
      const h = run(HARNESS, [bundle, requests, now, '--decisions', dec, '--json', js, '--threads', String(opt.threads)]);
      if (h.status !== 0 || !fs.existsSync(js)) {
        process.stderr.write(h.stderr);
        loud(/differ/.test(h.stderr) ? `aigwc libaigw: its modes or threads disagree on ${sz.key} (bench_aigw exit ${h.status})`
                                     : `bench_aigw failed on ${sz.key} (exit ${h.status})`);
        a.status = 'error';
        if (fs.existsSync(js)) a.lib = JSON.parse(fs.readFileSync(js, 'utf8'));
      } else a.lib = JSON.parse(fs.readFileSync(js, 'utf8'));
      if (fs.existsSync(dec)) a.lib_agreement = compare(dir, `aigwc libaigw ${sz.key}`, dec, ['--waived']);
      if (a.lib) {
        const m = a.lib.modes, t = m.realistic_threads;
        log(`  libaigw realistic: ${m.realistic.decisions_per_s}/s on 1 thread` +
            (t ? `, ${t.decisions_per_s}/s on ${t.threads} (×${a.lib.scaling.toFixed(2)}, ${t.cores_used} cores busy)` : '') +
            `; eval ${m.eval.decisions_per_s}/s, setters ${m.setters.decisions_per_s}/s, json ${m.json.decisions_per_s}/s (load average ${a.loadavg.join(' ')})`);
      }
    }
    if (fs.existsSync(HARNESS) && useCallgrind) {
      a.stages = stages(dir, bundle, requests, now);
      if (a.stages.status === 'ok') {
        const x = a.stages.per_request;
        log(`  callgrind: instructions per request: parse ${fmtInt(x.parse)}, eval ${fmtInt(x.eval)}, render ${fmtInt(x.render)}, ` +
            `total ${fmtInt(x.total)} (${a.stages.requests} requests, ${(a.stages.ms / 1000).toFixed(1)} s)`);
      }
    }
    if (opt.callgrind === 'only') return res;
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
    log(`  ${engine}: ${x.decisions_per_s}/s, p50 ${x.p50_us} µs, p99 ${x.p99_us} µs, load ${x.load_ms} ms; ` +
        `with JSON.parse ${x.json.decisions_per_s}/s, p50 ${x.json.p50_us} µs` +
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

const sizeName = (s) => `${s.guardrails} / ${s.exemptions.toLocaleString('en-US')}`;
const REALISTIC = 'JSON bytes in, `aigw_input_json` + `aigw_eval` + `aigw_decision_json`, decision JSON out; one warm context';

// The first table: what a gateway sees per request, at one size.
function headline(s) {
  const a = s.engines.aigwc || {};
  const m = a.lib && a.lib.modes;
  const r1 = m && m.realistic, rt = m && m.realistic_threads;
  const R = [];
  const row = (engine, mode, threads, x, vs, agree) =>
    R.push([R.length ? '' : sizeName(s), engine, mode, threads, fmtInt(x && x.decisions_per_s), fmtUs(x && x.p50_us),
            fmtUs(x && x.p99_us), fmtUs(x && x.p999_us), vs, agree]);
  const agreeLib = `${a.lib_agreement || (m ? '?' : 'n/a')} (${s.requests.toLocaleString('en-US')})`;
  if (r1) {
    row('aigwc', REALISTIC, '1', r1, '1×', agreeLib);
    if (rt) row('aigwc', 'the same, one warm context per thread',
                `${rt.threads} (${a.lib.scaling.toFixed(2)}× of 1 thread${rt.cores_used ? `; ${rt.cores_used.toFixed(2)} cores busy` : ''})`, rt, '—',
                a.lib.failures ? 'FAILED: see Problems' : 'every thread\'s decision JSON = the reference pass\'s, byte for byte');
  } else row('aigwc', REALISTIC, '1', null, '—', a.lib_note || a.note || (a.status === 'error' ? 'ERROR' : 'n/a'));
  const base = r1 ? r1.decisions_per_s : null;
  for (const [engine, label] of [['cedar', 'Cedar'], ['cel', 'CEL']]) {
    const x = s.engines[engine];
    if (!x || x.status !== 'ok') { row(label, 'n/a', '1', null, 'n/a', 'ERROR'); continue; }
    const sub = x.decided_requests < x.requests ? `first ${x.decided_requests.toLocaleString('en-US')}` : x.requests.toLocaleString('en-US');
    const timed = x.timed_requests < x.decided_requests ? `; timed on ${x.timed_requests.toLocaleString('en-US')}` : '';
    row(label, 'pre-built JS objects in (as generated ahead of time)', '1', x, ratio(base, x.decisions_per_s), `${x.agreement} (${sub})${timed}`);
    row(label, '`JSON.parse` of the same request line + translation to its input, in every call', '1', x.json,
        ratio(base, x.json && x.json.decisions_per_s), `= pre-built (inputs ${sub}; decisions ${x.timed_requests.toLocaleString('en-US')})`);
  }
  return R;
}

// The same numbers for the JSON report.
function headlineJson(s) {
  const a = s.engines.aigwc || {};
  const m = a.lib && a.lib.modes;
  const pick = (x) => (x ? { decisions_per_s: x.decisions_per_s, p50_us: x.p50_us, p99_us: x.p99_us, p999_us: x.p999_us,
                              ...(x.cores_used ? { cores_used: x.cores_used } : {}) } : null);
  const out = { guardrails: s.guardrails, exemptions: s.exemptions, requests: s.requests,
                aigwc: { threads_1: pick(m && m.realistic), threads_n: pick(m && m.realistic_threads),
                         threads: m && m.realistic_threads ? m.realistic_threads.threads : 1,
                         scaling: a.lib && a.lib.scaling != null ? +a.lib.scaling.toFixed(3) : null, loadavg: a.loadavg || null } };
  const base = m && m.realistic ? m.realistic.decisions_per_s : null;
  for (const engine of ['cedar', 'cel']) {
    const x = s.engines[engine];
    if (!x || x.status !== 'ok') { out[engine] = null; continue; }
    const r = (y) => (base && y ? +(base / y).toFixed(2) : null);
    out[engine] = { prebuilt: pick(x), json_parse: pick(x.json),
                    aigwc_ratio_prebuilt: r(x.decisions_per_s), aigwc_ratio_json_parse: r(x.json && x.json.decisions_per_s) };
  }
  return out;
}

function callgrindRows(report) {
  const R = [];
  const share = (x, t) => `${fmtInt(x)} (${Math.round((100 * x) / t)}%)`;
  for (const s of report.sizes) {
    const g = s.engines.aigwc && s.engines.aigwc.stages;
    if (!g) continue;
    if (g.status !== 'ok') { R.push([sizeName(s), 'ERROR', '', '', '', '']); continue; }
    const x = g.per_request;
    R.push([sizeName(s), fmtInt(g.requests), share(x.parse, x.total), share(x.eval, x.total), share(x.render, x.total), fmtInt(x.total)]);
  }
  return R;
}
function callgrindTable(report) {
  const R = callgrindRows(report);
  if (!R.length) return [];
  return ['| guardrails / exemptions | requests | parse: `aigw_input_json` | eval: `aigw_eval` | render: `aigw_decision_json` | total |',
          '|---|--:|--:|--:|--:|--:|', ...R.map((r) => '| ' + r.join(' | ') + ' |')];
}

// The second table: the other ways of calling, load, compile and memory, at one size.
function rows(s) {
  const a = s.engines.aigwc || {};
  const lib = a.lib && a.lib.modes;
  const base = lib ? lib.eval.decisions_per_s : null, baseJ = lib ? lib.json.decisions_per_s : null;
  const R = [];
  const na = (what, why) => R.push([what[0], what[1], 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', '—', why || 'n/a']);
  const agreeLib = a.lib_agreement || (lib ? '?' : 'n/a');
  const lat = (x) => [fmtInt(x.decisions_per_s), fmtUs(x.p50_us), fmtUs(x.p99_us), fmtUs(x.p999_us)];
  if (lib) {
    const req = `${s.requests.toLocaleString('en-US')}`;
    const cm = a.compile ? fmtMs(a.compile.ms) : '—';
    R.push(['aigwc', 'libaigw: `aigw_eval` on pre-filled contexts', ...lat(lib.eval),
            fmtMs(a.lib.load_ms), cm, `${fmtMb(a.lib.rss_kb.peak)} (${s.requests.toLocaleString('en-US')} contexts)`, '1×', `${agreeLib} (${req})`]);
    R.push(['aigwc', 'libaigw: field setters + `aigw_eval`', ...lat(lib.setters),
            fmtMs(a.lib.load_ms), cm, fmtMb(a.lib.rss_kb.one_context), '—', `${agreeLib} (${req})`]);
    R.push(['aigwc', 'libaigw: `aigw_input_json` + `aigw_eval`', ...lat(lib.json),
            fmtMs(a.lib.load_ms), cm, fmtMb(a.lib.rss_kb.one_context), '—', `${agreeLib} (${req})`]);
  } else na(['aigwc', 'libaigw (in process)'], a.lib_note || a.note || (a.status === 'error' ? 'ERROR' : 'n/a'));
  if (a.cli) {
    R.push(['aigwc', '`aigwc eval` on JSON Lines (whole process)', fmtInt(a.cli.decisions_per_s), 'n/a', 'n/a', 'n/a', '—',
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
    R.push([label, mode, ...lat(x), fmtMs(x.load_ms), '—',
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
  L.push(`Workload: \`tests/bench/gen.js\`, seed ${report.seed}, ${report.requests.toLocaleString('en-US')} requests per size; ` +
         `aigwc on 1 and ${report.threads} threads, the anchors on one.`, '');
  L.push(`Agreement with the reference decisions: **${report.agreement_ok ? 'all engines agree on every request they decided' : 'DISAGREEMENT — see below'}**.`, '');

  L.push('## Per request as a gateway does it', '');
  L.push(`aigwc: ${REALISTIC.replace(/; .*$/, '')}, one warm context per thread; with ${report.threads} threads, every thread has its own ` +
         'context on the one bundle and runs free over all the requests, each from its own starting point: decisions/s is the aggregate, the percentiles are over ' +
         'the calls of all threads, the factor is the aggregate over the 1-thread rate, and "cores busy" is the process\'s CPU time over wall time while it was timed ' +
         '(2.00 when nothing else took a core). Cedar and CEL (node, one thread) are timed twice: handed ' +
         'the input objects the generator built ahead of time, and from the request\'s JSON line — the bytes aigwc gets — with `JSON.parse` and the ' +
         'translation into their input in every timed call. The last column is aigwc\'s 1-thread decisions/s over the row\'s.', '');
  L.push('| guardrails / exemptions | engine | per request | threads | decisions/s | p50 µs | p99 µs | p99.9 µs | aigwc (1 thread) ÷ this | agreement (requests) |');
  L.push('|---|---|---|---|--:|--:|--:|--:|--:|---|');
  for (const s of report.sizes) for (const r of headline(s)) L.push('| ' + r.join(' | ') + ' |');
  L.push('');
  const load = report.sizes.filter((s) => s.engines.aigwc && s.engines.aigwc.loadavg)
    .map((s) => `${sizeName(s)}: ${s.engines.aigwc.loadavg.join(' ')}`);
  if (load.length) L.push(`Load average when each size's aigwc rows started: ${load.join('; ')}.`, '');

  const cg = callgrindTable(report);
  L.push('## Instructions per request (callgrind)', '');
  if (cg.length) {
    L.push(`\`bench_aigw --stages ${report.stages_requests}\` under \`valgrind --tool=callgrind\`: one context made warm on the requests, then ` +
           `${report.stages_requests.toLocaleString('en-US')} of them counted (only inside \`stages_run\`: no loading, no warm-up); instructions (Ir) ` +
           'per request, each stage inclusive of what it calls, with its share of the total.', '');
    L.push(...cg, '');
  } else L.push(report.callgrind_note || 'n/a', '');

  for (const s of report.sizes) {
    const w = s.workload || {};
    L.push(`## ${s.guardrails} guardrails / ${s.exemptions.toLocaleString('en-US')} exemptions: other modes, load, memory`, '');
    if (s.workload) {
      L.push(`${w.subscriptions} subscriptions; ${w.expired_exemptions} exemptions expired at now, ${w.exemptions_with_when} with \`when\`; ` +
             `${(100 * w.requests_under_exempted_scope / w.requests).toFixed(0)}% of requests under an exempted scope, ` +
             `${(100 * w.requests_with_waived_finding / w.requests).toFixed(0)}% with a waived finding, ${(100 * w.deny / w.requests).toFixed(0)}% deny; ` +
             `source ${(w.policy_bytes / 1e6).toFixed(2)} MB` +
             (s.engines.aigwc && s.engines.aigwc.compile ? `, bundle ${(s.engines.aigwc.compile.bundle_bytes / 1e6).toFixed(2)} MB` : '') + '.', '');
    }
    L.push('| engine | mode | decisions/s | p50 µs | p99 µs | p99.9 µs | load ms | compile ms | peak RSS MB | anchor ÷ aigwc (time per decision, vs eval / vs JSON+eval) | agreement (requests) |');
    L.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|');
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
  L.push('- All engines decide the same requests at the same `now`; each engine\'s decision and sorted set of violated guardrails (and, for aigwc and CEL, waived guardrails) are compared with `expected.jsonl`, which `gen.js` computes from its own data model. aigwc\'s are the decision JSON of its realistic loop (`aigw_decision_json`); before timing, every thread of every thread count decides every request again and must produce the same bytes, and the other modes must reach the same decisions.');
  L.push('- decisions/s: a plain loop with no clock read per call; the median of several timed parts (aigwc\'s realistic rows: 20 windows of 50 ms in which every thread runs free over the requests, the 1-thread and the 2-thread pools taking turns window by window so that a change in the machine\'s load falls on both; aigwc\'s other modes: rounds over all requests, at least 3 and 1 s; anchors: the timed requests in 5 chunks, the pass repeated until it has taken 1 s, at most 20 times). The JSON also has the mean. p50/p99/p99.9: a clock read around every call (`clock_gettime` in C, `process.hrtime.bigint()` in node), sorted; aigwc\'s realistic rows time at least 1 s of calls per pool and every request on every thread, the anchors every timed request, repeated likewise.');
  L.push('- The anchors\' `JSON.parse` rows start from the request\'s line of `requests.jsonl` in every timed call: parse, translate (the scope normalized into its ancestor chain, the level into its rank; Cedar: the entity slice looked up in the hierarchy loaded beforehand) and decide; their result is left as a JS object (aigwc\'s rows also write the decision JSON). Untimed, every translated input is checked equal to the pre-built one.');
  L.push('- aigwc "pre-filled contexts": one context per request, filled once through the field setters before timing; the timed call is `aigw_eval` alone — the counterpart of the anchors\' pre-built rows. "field setters" and "`aigw_input_json`" reuse one context and include setting the input. Peak RSS of the pre-filled mode includes one context per request; the other modes\' is one context plus the parsed requests.');
  L.push('- Callgrind: `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=\'stages_run*\'`; each stage is the inclusive cost of `stages_run`\'s calls to it (from the `calls=` records of the output file), the total everything `stages_run` ran, divided by the requests; every stage must have been called once per request.');
  L.push('- `aigwc eval`: wall time of the whole process (start, bundle load, reading and parsing JSON Lines, deciding, printing one decision JSON per line), requests / seconds.');
  L.push('- Cedar: `preparsePolicySet` once (load ms), then `statefulIsAuthorized` per request with the request\'s slice of the entity hierarchy (account → resource group → subscription). Each guardrail is a `forbid` with its exemptions in one `unless` (a balanced `||` of `resource in Scope::"…" && context.now < expiry [&& when]`); one base `permit`.');
  L.push('- CEL: one compiled program per guardrail and per distinct exemption `when` (load ms); exemptions found through a JS index on (guardrail, scope) over the request\'s ancestor scopes, expiry compared in JS.');
  L.push('- Node peak RSS includes the runtime (~50 MB at start) and every prepared request.');
  L.push(`- Timed passes of an anchor cover all decided requests unless they would exceed ${report.budget_s} s each; then a prefix (the table says so), the same for both rows. Cedar decides a fixed prefix at: ${report.cedar_max || 'none'}.`);
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
  if (opt.callgrind === 'only') {
    if (!haveValgrind) { console.error('bench: --callgrind needs valgrind'); process.exit(2); }
    if (!fs.existsSync(HARNESS)) { console.error(`bench: no harness at ${path.relative(ROOT, HARNESS)}`); process.exit(2); }
    const report = { sizes: sizes.map(runSize), stages_requests: opt.stages };
    log(`\nInstructions per request (callgrind, ${opt.stages} requests after a warm-up)\n`);
    log(callgrindTable(report).join('\n'));
    if (failed) process.exit(1);
    return;
  }
  const results = sizes.map(runSize);
  const parse = parseThroughput(results);
  mach.loadavg_end = os.loadavg().map((x) => +x.toFixed(2));
  const d = new Date();
  const stamp = d.toISOString().slice(0, 16).replace(':', '');
  const report = {
    date: d.toISOString(), seed: opt.seed, requests: opt.requests, threads: opt.threads, machine: mach, versions,
    realistic: results.map(headlineJson),
    callgrind: results.filter((s) => s.engines.aigwc && s.engines.aigwc.stages && s.engines.aigwc.stages.status === 'ok')
      .map((s) => ({ guardrails: s.guardrails, exemptions: s.exemptions, requests: s.engines.aigwc.stages.requests,
                     ...s.engines.aigwc.stages.per_request })),
    stages_requests: opt.stages,
    callgrind_note: useCallgrind ? null : (haveValgrind ? 'skipped (--no-callgrind)' : 'valgrind is not installed'),
    sizes: results, parse,
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
