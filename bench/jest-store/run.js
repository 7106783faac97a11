#!/usr/bin/env node
// Benchmark (issue #15, item 5): a jest suite that never rebuilds. Run it
// through `bash bench/jest-store/run.sh` (installs bench/synth's dependencies
// first). See bench/README.md.
//
// bench/synth's 10-member workspace (generated, locked and fetched by its own
// code) is copied once per tool, each copy with its own target/. Then a jest
// project of 10 identical test files (tests/*.test.js, body in case.js), each
// `Template.fromStack` of the 10-function app into its own fresh temporary
// cdk.out, runs once per scenario, with unchanged sources:
//
//   floor     inline Node.js functions, no bundling: jest + aws-cdk-lib alone
//   ours      cdk-lambda-rust, asset store warm (filled by a priming synth)
//   ours-off  cdk-lambda-rust with CDK_LAMBDA_RUST_ASSET_STORE=off: the package
//             before the store; target/ warm, so each file runs a no-op build
//   cla       cargo-lambda-cdk 0.0.36 (bench/synth/node_modules), target/ warm
//
// Priming, before anything is timed: one `node bench/synth/app-*.js` synth per
// tool (ours with the store on, into a private CDK_LAMBDA_RUST_CACHE_DIR under
// bench/work, so your own cache is never read or written). It compiles each
// copy's target/ cold, fills the store and the metadata cache.
//
// Jest runs the files one after another (--runInBand, or one worker; on 2
// cores jest's default of cores - 1 workers is one worker anyway), so each
// call a PATH shim logs (cargo-lambda, cargo, rustc; time, folder, arguments)
// falls inside exactly one test file's start..end. Timed per test file (jest's
// own perfStats, which include loading the modules into the file's fresh
// module registry, and the synth alone, measured inside the test) and per jest
// run (wall and CPU of the whole process tree). A script, not a test: it
// prints tables and ratios and asserts nothing about time.
//
// Environment: BENCH_ROUNDS (default 1) repeats the four scenarios, rotating
// their order, and reports the best round of each; BENCH_KEEP=1 keeps
// bench/work/jest-store/{ours,cla}/ (rebuilt from the template every run),
// and BENCH_REUSE=1 then starts from those copies, target/ warm, instead
// (priming still runs, and refills the emptied store, in seconds).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const { repo, gitCommit } = require('../common');
const h = require('../synth/run');

const work = path.join(repo, 'bench', 'work', 'jest-store');
const shimDir = path.join(work, 'shim');
const logDir = path.join(work, 'logs');
const cacheDir = path.join(work, 'cache');
const tmpDir = path.join(work, 'tmp');
const COUNT = 10;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS || 1));
const jestBin = path.join(path.dirname(require.resolve('jest/package.json', { paths: [repo] })), 'bin', 'jest.js');

const OFF = { CDK_LAMBDA_RUST_ASSET_STORE: 'off' };
// Two ways to run the same 10 files. `band`: jest --runInBand, one process
// for the suite, so the addon (and its memory of this process's builds) stays
// loaded from file to file. `fresh`: one worker at a time, restarted after
// every file (jest.config.js sets workerIdleMemoryLimit to a few bytes when
// BENCH_JEST_FRESH is set: jest 29 has no flag for it), so each file is a new
// process, as separate CI jobs, separate `jest` runs, or `cdk synth -o` into
// new folders are.
const MODES = {
  band: { label: '--runInBand (one process)', args: ['--runInBand'], env: {} },
  fresh: { label: 'one process per file', args: ['--maxWorkers=1'], env: { BENCH_JEST_FRESH: '1' } },
};
const SCENARIOS = {
  floor: { label: 'floor: inline Node.js functions', tool: 'floor', mode: 'band', env: {} },
  ours: { label: 'cdk-lambda-rust, store warm', tool: 'ours', mode: 'band', env: {} },
  'ours-off': { label: 'cdk-lambda-rust, CDK_LAMBDA_RUST_ASSET_STORE=off', tool: 'ours', mode: 'band', env: OFF },
  cla: { label: 'cargo-lambda-cdk 0.0.36', tool: 'cla', mode: 'band', env: {} },
  'floor-fresh': { label: 'floor: inline Node.js functions', tool: 'floor', mode: 'fresh', env: {} },
  'ours-fresh': { label: 'cdk-lambda-rust, store warm', tool: 'ours', mode: 'fresh', env: {} },
  'ours-off-fresh': { label: 'cdk-lambda-rust, CDK_LAMBDA_RUST_ASSET_STORE=off', tool: 'ours', mode: 'fresh', env: OFF },
};
// cargo-lambda-cdk keeps nothing between synths (10 builds per file in either
// mode), so it runs in the `band` mode only. BENCH_SCENARIOS=a,b picks some.
const CHOSEN = process.env.BENCH_SCENARIOS ? process.env.BENCH_SCENARIOS.split(',') : Object.keys(SCENARIOS);
for (const id of CHOSEN) if (!SCENARIOS[id]) throw new Error(`BENCH_SCENARIOS: no scenario ${id} (${Object.keys(SCENARIOS).join(', ')})`);
/** The baseline of a mode: cdk-lambda-rust with the store warm. */
const baseOf = (id) => (SCENARIOS[id].mode === 'band' ? 'ours' : 'ours-fresh');
const floorOf = (id) => (SCENARIOS[id].mode === 'band' ? 'floor' : 'floor-fresh');

function main() {
  const started = Date.now();
  const real = h.findRealTools();
  real.rustc = h.capture('sh', ['-c', 'command -v rustc']);
  if (!real.rustc || real.rustc === 'unknown') fail('rustc is not on PATH');
  const fingerprint = header(real);

  fs.mkdirSync(work, { recursive: true });
  for (const dir of [logDir, cacheDir, tmpDir]) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  h.generateTemplate(); // bench/synth's workspace: bench/work/synth/template, fetched
  writeShims(real);
  for (const tool of ['ours', 'cla']) {
    if (process.env.BENCH_REUSE === '1' && fs.existsSync(path.join(work, tool, 'ws', 'target'))) {
      console.log(`reusing bench/work/jest-store/${tool}/ws and its target/ (BENCH_REUSE=1)`);
    } else {
      freshCopy(tool);
    }
  }

  console.log('\n== priming (not timed against anything): one synth per tool, empty store (target/ cold unless reused)');
  for (const tool of ['ours', 'cla']) {
    const p = prime(tool);
    console.log(`  ${tool.padEnd(4)} ${h.secs(p.ms)} (cpu ${h.secs(p.cpuMs)}), cargo-lambda builds: ${p.builds}`);
  }
  const entries = storeEntries();
  console.log(`  asset store: ${entries} entries in ${path.relative(repo, cacheDir)}/`);
  if (entries < COUNT) fail(`priming left ${entries} entries in the asset store, not ${COUNT}: the warm scenario would not be warm`);

  const order = CHOSEN;
  const runs = [];
  for (let round = 0; round < ROUNDS; round++) {
    const rotated = order.slice(round % order.length).concat(order.slice(0, round % order.length));
    console.log(`\n== round ${round + 1} of ${ROUNDS}: jest, 10 test files`);
    for (const id of rotated) {
      const r = jestRun(id, round);
      runs.push(r);
      console.log(
        `  ${SCENARIOS[id].label.padEnd(50)} ${MODES[SCENARIOS[id].mode].label.padEnd(26)} ${h.secs(r.ms).padStart(8)} (cpu ${h.secs(r.cpuMs)})  ` +
          `cargo-lambda builds: ${r.builds}  other cargo: ${fmtCounts(r.cargo)}  rustc: ${r.rustc}  ` +
          `assets bundled by CDK: ${r.bundled}, of them from the store: ${r.restored}`,
      );
    }
  }

  const best = {};
  for (const r of runs) if (!best[r.id] || r.ms < best[r.id].ms) best[r.id] = r;
  report(best);
  checkBytes(best);

  console.log(`\nload average at the end: ${h.loadavg()}`);
  if (h.packageFingerprint() !== fingerprint) {
    console.log('\nWARNING: dist/ or the native addon changed while the benchmark ran; these numbers mix two builds. Run it again.');
  }
  fs.rmSync(tmpDir, { recursive: true, force: true });
  if (process.env.BENCH_KEEP !== '1')
    for (const tool of ['ours', 'cla']) fs.rmSync(path.join(work, tool), { recursive: true, force: true });
  console.log(`\nlogs (jest output, shim logs, per-test records): ${path.relative(process.cwd(), logDir)}/`);
  console.log(`total benchmark time: ${h.secs(Date.now() - started)}`);
}

function header(real) {
  const addon = path.join(repo, 'cdk-lambda-rust.linux-x64-gnu.node');
  const synthDir = path.join(repo, 'bench', 'synth');
  const cla = require(path.join(synthDir, 'node_modules', 'cargo-lambda-cdk', 'package.json')).version;
  const cdkCla = require(path.join(synthDir, 'node_modules', 'aws-cdk-lib', 'package.json')).version;
  const cdkOurs = require(require.resolve('aws-cdk-lib/package.json', { paths: [repo] })).version;
  const jestVersion = require(require.resolve('jest/package.json', { paths: [repo] })).version;
  console.log('# jest-store benchmark: a jest suite of 10 files, each synthesizing the 10-function workspace app');
  console.log(`date:              ${new Date().toISOString()}`);
  console.log(
    `cdk-lambda-rust:   commit ${gitCommit()}, addon ${h.shortDigest(addon)} built ${h.mtime(addon)}, dist/ built ${h.mtime(path.join(repo, 'dist', 'index.js'))}`,
  );
  console.log(`cargo-lambda-cdk:  ${cla} (aws-cdk-lib ${cdkCla}; ours runs on aws-cdk-lib ${cdkOurs}); jest ${jestVersion}`);
  console.log(`cargo-lambda:      ${h.capture(real.cargoLambda, ['lambda', '--version'])} (${real.cargoLambda})`);
  console.log(`cargo:             ${h.capture(real.cargo, ['--version'])}`);
  console.log(
    `machine:           ${os.cpus().length} cores (nproc ${h.capture('nproc', [])}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
      `node ${process.version}, load average ${h.loadavg()}`,
  );
  return h.packageFingerprint();
}

/** cargo, cargo-lambda and rustc wrappers: one log line per call, then the real tool. */
function writeShims(real) {
  fs.rmSync(shimDir, { recursive: true, force: true });
  h.writeShim(shimDir, 'cargo', real.cargo);
  h.writeShim(shimDir, 'cargo-lambda', real.cargoLambda);
  h.writeShim(shimDir, 'rustc', real.rustc);
}

function freshCopy(tool) {
  const dir = path.join(work, tool);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(h.template, path.join(dir, 'ws'), {
    recursive: true,
    filter: (src) => path.basename(src) !== 'target' && path.basename(src) !== '.generated',
  });
}

/** The environment of every timed or priming process. */
function env(tool, extra, prefix) {
  const e = {
    ...process.env,
    PATH: `${shimDir}${path.delimiter}${process.env.PATH}`,
    BENCH_LOG_PREFIX: prefix,
    BENCH_FUNCTIONS: String(COUNT),
    CDK_LAMBDA_RUST_CACHE_DIR: cacheDir,
    TMPDIR: tmpDir,
    ...extra,
  };
  if (tool !== 'floor') e.BENCH_WS = path.join(work, tool, 'ws');
  // Each copy builds into its own ws/target; jest's fresh cdk.out per file
  // only happens without CDK_OUTDIR; the store is on unless a scenario says so.
  for (const name of ['CARGO_TARGET_DIR', 'CDK_OUTDIR', 'CDK_LAMBDA_RUST_ASSET_STORE', 'CDK_LAMBDA_RUST_ASSET_STORE_MAX_MB']) {
    if (!(name in extra)) delete e[name];
  }
  return e;
}

/** One synth of bench/synth's app for the tool: compiles target/ cold, fills the store. */
function prime(tool) {
  const prefix = path.join(logDir, `prime-${tool}`);
  const app = path.join(repo, 'bench', 'synth', tool === 'ours' ? 'app-ours.js' : 'app-cla.js');
  fs.mkdirSync(tmpDir, { recursive: true });
  // An empty cdk.out, or CDK would find the assets there and bundle nothing.
  const outdir = path.join(work, tool, 'cdk.out');
  fs.rmSync(outdir, { recursive: true, force: true });
  const e = env(tool, { CDK_OUTDIR: outdir }, prefix);
  const r = timed(process.execPath, [app], e, path.join(work, tool), `${prefix}.out.log`);
  if (r.status !== 0) fail(`priming ${tool} failed; see ${prefix}.out.log`);
  const builds = h.readLog(`${prefix}.cargo-lambda.log`).filter((c) => isBuild(c.args)).length;
  return { ...r, builds };
}

function jestRun(id, round) {
  const scenario = SCENARIOS[id];
  const prefix = path.join(logDir, `${id}-round${round + 1}`);
  const record = `${prefix}.records.jsonl`;
  const json = `${prefix}.jest.json`;
  for (const f of [record, json]) fs.rmSync(f, { force: true });
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir, { recursive: true });
  const e = env(scenario.tool, { ...scenario.env, ...MODES[scenario.mode].env, BENCH_TOOL: scenario.tool, BENCH_RECORD: record }, prefix);
  const args = [jestBin, '--config', path.join(__dirname, 'jest.config.js'), ...MODES[scenario.mode].args, '--json', '--outputFile', json];
  const r = timed(process.execPath, args, e, repo, `${prefix}.out.log`);
  const result = fs.existsSync(json) ? JSON.parse(fs.readFileSync(json, 'utf8')) : undefined;
  if (r.status !== 0 || !result || !result.success) fail(`jest (${scenario.label}) failed; see ${prefix}.out.log`);
  const records = fs
    .readFileSync(record, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const outdirs = new Set(records.map((x) => x.outdir));
  if (records.length !== 10 || outdirs.size !== 10)
    fail(`expected 10 test files with 10 distinct output folders, got ${records.length}/${outdirs.size}`);

  // Each shim call belongs to the test file whose jest start..end holds it.
  const lambdaCalls = h.readLog(`${prefix}.cargo-lambda.log`);
  const cargoCalls = h.readLog(`${prefix}.cargo.log`);
  const rustcCalls = h.readLog(`${prefix}.rustc.log`);
  const files = result.testResults
    .map((t) => {
      const name = path.basename(t.name);
      // --json writes jest's perfStats.start/end as startTime/endTime.
      const start = t.startTime ?? t.perfStats.start;
      const end = t.endTime ?? t.perfStats.end;
      const inFile = (c) => c.time * 1000 >= start - 1 && c.time * 1000 <= end + 1;
      const rec = records.find((x) => x.file === name);
      return {
        name,
        start,
        ms: end - start,
        synthMs: rec.synthMs,
        pid: rec.pid,
        assets: rec.assets,
        builds: lambdaCalls.filter((c) => inFile(c) && isBuild(c.args)).length,
        cargo: cargoCalls.filter((c) => inFile(c) && subcommand(c.args) !== 'lambda').length,
        rustc: rustcCalls.filter(inFile).length,
      };
    })
    .sort((a, b) => a.start - b.start);
  const out = fs.readFileSync(`${prefix}.out.log`, 'utf8');
  const cargo = {};
  for (const c of cargoCalls) cargo[subcommand(c.args)] = (cargo[subcommand(c.args)] || 0) + 1;
  return {
    id,
    ...r,
    files,
    builds: lambdaCalls.filter((c) => isBuild(c.args)).length,
    cargo,
    rustc: rustcCalls.length,
    rustcVersionCalls: rustcCalls.filter((c) => /(^|\s)-vV(\s|$)/.test(c.args)).length,
    // CDK's own line for every asset it asked a bundler for (its cdk.out
    // never has one: each is fresh), and ours for every one the store served.
    bundled: (out.match(/^Bundling asset /gm) || []).length,
    restored: (out.match(/^cdk-lambda-rust: .*: taken from the asset store/gm) || []).length,
  };
}

function timed(cmd, args, e, cwd, logFile) {
  const out = fs.openSync(logFile, 'w');
  const cpu0 = h.childrenCpuMs();
  const t = process.hrtime.bigint();
  const proc = spawnSync(cmd, args, { env: e, cwd, stdio: ['ignore', out, out] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const cpuMs = h.childrenCpuMs() - cpu0;
  fs.closeSync(out);
  return { status: proc.status, ms, cpuMs };
}

function isBuild(args) {
  return /(^|\s)build(\s|$)/.test(args);
}

function subcommand(args) {
  return args.split(/\s+/).find((a) => a && !a.startsWith('-') && !a.startsWith('+')) || '(none)';
}

function storeEntries() {
  const dir = path.join(cacheDir, 'assets');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith('.') && f.endsWith('.zip')).length : 0;
}

// ---------------------------------------------------------------- report

function report(best) {
  const mean = (xs) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const median = (xs) => {
    const v = [...xs].sort((x, y) => x - y);
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const perFile = (r) => mean(r.files.map((f) => f.ms));
  const ratio = (x, y) => (y ? `${(x / y).toFixed(2)}x` : '-');
  const ids = CHOSEN.filter((id) => best[id]);
  console.log(`\n## results${ROUNDS > 1 ? ` (best of ${ROUNDS} rounds per scenario)` : ''}\n`);
  console.log(
    '| jest | scenario | wall, 10 files | vs store warm | CPU (user+sys) | per test file, mean | vs store warm | first file | files 2-10, median | synth alone, median | cargo-lambda builds | other cargo processes | rustc processes | assets from the store |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const id of ids) {
    const r = best[id];
    const base = best[baseOf(id)];
    const other =
      Object.entries(r.cargo)
        .filter(([sub]) => sub !== 'lambda')
        .map(([sub, n]) => `${n} ${sub}`)
        .join(', ') || '0';
    const rustc = r.rustc === r.rustcVersionCalls ? `${r.rustc}` : `${r.rustc} (${r.rustcVersionCalls} \`-vV\`)`;
    console.log(
      `| ${MODES[SCENARIOS[id].mode].label} | ${SCENARIOS[id].label} | ${h.secs(r.ms)} | ${ratio(r.ms, base?.ms)} | ${h.secs(r.cpuMs)} | ` +
        `${h.secs(perFile(r))} | ${ratio(perFile(r), base && perFile(base))} | ${h.secs(r.files[0].ms)} | ` +
        `${h.secs(median(r.files.slice(1).map((f) => f.ms)))} | ${h.secs(median(r.files.map((f) => f.synthMs)))} | ` +
        `${r.builds} | ${other} | ${rustc} | ${SCENARIOS[id].tool === 'ours' ? `${r.restored}/${r.bundled}` : '-'} |`,
    );
  }
  console.log('\nper test file (jest start..end, in run order; cargo-lambda builds / other cargo / rustc in brackets):');
  for (const id of ids) {
    const cells = best[id].files.map(
      (f) => `${(f.ms / 1000).toFixed(2)}${f.builds || f.cargo || f.rustc ? ` [${f.builds}/${f.cargo}/${f.rustc}]` : ''}`,
    );
    const processes = new Set(best[id].files.map((f) => f.pid)).size;
    console.log(`  ${id.padEnd(14)} ${cells.join('  ')}  (${processes} jest process${processes === 1 ? '' : 'es'})`);
  }
  console.log('\nratios vs cdk-lambda-rust with the store warm, same jest mode (per test file, mean; jest wall):');
  for (const id of ids) {
    const base = best[baseOf(id)];
    if (id === baseOf(id) || !base) continue;
    console.log(
      `  ${`${SCENARIOS[id].label}, ${MODES[SCENARIOS[id].mode].label}`.padEnd(80)} ${ratio(perFile(best[id]), perFile(base))}  ${ratio(best[id].ms, base.ms)}`,
    );
  }
  for (const floorId of ['floor', 'floor-fresh']) {
    const floor = best[floorId];
    if (!floor) continue;
    const above = ids
      .filter((id) => floorOf(id) === floorId && id !== floorId)
      .map((id) => `${SCENARIOS[id].label} +${h.secs(perFile(best[id]) - perFile(floor))}`);
    console.log(
      `above the floor, ${MODES[SCENARIOS[floorId].mode].label} (jest + aws-cdk-lib, no bundling: ${h.secs(perFile(floor))} per file): ${above.join(', ')} per file`,
    );
  }
}

/** The zips the store handed out are the bytes a build stages (the store-off runs built every one). */
function checkBytes(best) {
  const digests = (r) => {
    const m = new Map();
    for (const f of r.files) for (const a of f.assets) m.set(a.name, (m.get(a.name) || new Set()).add(a.sha256));
    return m;
  };
  const warm = ['ours', 'ours-fresh'].filter((id) => best[id]).map((id) => digests(best[id]));
  const built = ['ours-off', 'ours-off-fresh'].filter((id) => best[id]).map((id) => digests(best[id]));
  if (!warm.length || !built.length) return;
  const one = (set) => (set && set.size === 1 ? [...set][0] : undefined);
  const same = warm.every((w) =>
    built.every((b) => w.size === b.size && [...w].every(([name, set]) => one(set) !== undefined && one(set) === one(b.get(name)))),
  );
  console.log(
    `\nstaged bytes: ${[...warm[0].keys()].filter((n) => n.endsWith('.zip')).length} zips (and the empty asset folders CDK leaves beside them); ` +
      `the store's ${same ? 'are byte-identical to' : 'DIFFER from'} the ones the store-off runs built`,
  );
}

function fmtCounts(counts) {
  const entries = Object.entries(counts);
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '0';
}

function fail(message) {
  console.error(`bench/jest-store: ${message}`);
  process.exit(1);
}

main();
