#!/usr/bin/env node
// Benchmark (issue #6): many functions, one workspace. Run it through
// `bash bench/synth/run.sh` (installs this folder's dependencies first).
//
// Generates a cargo workspace of 10 Lambda members that share their
// dependencies (lambda_runtime 1.5, tokio, serde, serde_json; one Cargo.lock,
// generated once and reused), copies it once per tool so that each tool has
// its own target/ and cdk.out/ (both cold at the start), and synthesizes one
// CDK app per tool over its copy, side by side in this one process tree:
//
//   ours     bench/synth/app-ours.js  cdk-lambda-rust RustFunction (this repo's dist/ +
//            addon), default settings: the first function's build compiles
//            every Lambda binary of the workspace (BuildScope.WORKSPACE)
//   ours-fn  the same app with `bundling.buildScope: BuildScope.FUNCTION`:
//            one cargo invocation per function, as before shared builds
//            (skipped when this build of the package has no BuildScope)
//   cla      bench/synth/app-cla.js   cargo-lambda-cdk RustFunction (bench/synth/node_modules)
//
// Scenarios, in order, on the same copies:
//   1. cold       empty target/ and cdk.out/
//   2. edit       one member's main.rs edited (cdk.out/ and target/ kept)
//   3. unchanged  nothing changed (cdk.out/ and target/ kept)
//
// Each synth is `node app-*.js` with CDK_OUTDIR set, as `cdk synth` runs an
// app. A folder first on PATH holds `cargo-lambda` and `cargo` wrappers that
// log one line per call and exec the real tools, so the cargo invocations of
// each tool are counted. A script, not a test: it prints a table and ratios,
// and asserts nothing about time.
//
// Environment: BENCH_FUNCTIONS (default 10); BENCH_PER_FUNCTION=0 skips the
// ours-fn variant; BENCH_REFERENCE=0 skips the reference build (one
// hand-written `cargo lambda build` of the whole workspace, cold);
// BENCH_KEEP=1 keeps bench/work/synth/<tool>/ for inspection (they are
// always rebuilt from the template at the start).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync, spawnSync } = require('node:child_process');

const { repo, gitCommit } = require('../common');
const work = path.join(repo, 'bench', 'work', 'synth');
const template = path.join(work, 'template');
const shimDir = path.join(work, 'shim');
const logDir = path.join(work, 'logs');
const COUNT = Number(process.env.BENCH_FUNCTIONS || 10);
const REFERENCE = process.env.BENCH_REFERENCE !== '0';
const EDITED = 'lambda_04';
const TRIPLE = 'x86_64-unknown-linux-gnu';
const CLOCK_TICKS = Number(capture('getconf', ['CLK_TCK'])) || 100;

const TOOLS = {
  ours: { label: 'cdk-lambda-rust', app: path.join(__dirname, 'app-ours.js'), stack: 'BenchOurs', env: {} },
  'ours-fn': {
    label: 'cdk-lambda-rust, buildScope FUNCTION',
    app: path.join(__dirname, 'app-ours.js'),
    stack: 'BenchOurs',
    env: { BENCH_BUILD_SCOPE: 'function' },
  },
  cla: { label: 'cargo-lambda-cdk', app: path.join(__dirname, 'app-cla.js'), stack: 'BenchCla', env: {} },
};

function main() {
  const started = Date.now();
  const real = findRealTools();
  const packageBuild = header(real);
  if (process.env.BENCH_PER_FUNCTION === '0') {
    delete TOOLS['ours-fn'];
  } else if (!packageBuild.hasBuildScope) {
    console.log('note: this build of cdk-lambda-rust exports no BuildScope; the per-function variant is skipped');
    delete TOOLS['ours-fn'];
  }
  const tools = Object.keys(TOOLS);
  const rotate = (n) => tools.slice(n % tools.length).concat(tools.slice(0, n % tools.length));

  fs.mkdirSync(work, { recursive: true });
  fs.rmSync(logDir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  generateTemplate();
  writeShims(real);

  // Each tool gets its own copy of the same sources and lock file, with its
  // own target/ and cdk.out/: nothing one tool compiles can help the other.
  // Registry sources are shared (~/.cargo/registry), already fetched above, so
  // neither pays for downloads.
  for (const tool of tools) freshCopy(tool);

  const results = [];
  const scenarios = [
    { id: 'cold', title: '1. cold synth (empty target/ and cdk.out/)', order: rotate(0) },
    { id: 'edit', title: `2. synth after editing ${EDITED}/src/main.rs`, order: rotate(1).reverse(), before: editOneMember },
    { id: 'unchanged', title: '3. synth with nothing changed', order: rotate(2) },
  ];
  const previousHashes = {};
  for (const scenario of scenarios) {
    console.log(`\n== ${scenario.title}`);
    if (scenario.before) scenario.before();
    // The order changes between scenarios so no tool always runs first (or
    // on the warmest page cache).
    for (const tool of scenario.order) {
      const r = synth(tool, scenario.id);
      const hashes = assetHashes(tool);
      r.assets = hashes.length;
      r.assetsChanged = previousHashes[tool] ? hashes.filter((h) => !previousHashes[tool].includes(h)).length : hashes.length;
      previousHashes[tool] = hashes;
      results.push(r);
      console.log(
        `  ${TOOLS[tool].label.padEnd(36)} ${secs(r.ms).padStart(8)} (cpu ${secs(r.cpuMs)})  assets bundled: ${r.bundled}` +
          `  cargo-lambda builds: ${r.builds}  other cargo-lambda calls: ${r.otherLambdaCalls}` +
          `  cargo processes: ${fmtCounts(r.cargo)}` +
          (r.ourOutcomes ? `  functions built/reused: ${r.ourOutcomes.built}/${r.ourOutcomes.reused}` : '') +
          `  assets: ${r.assets} (${r.assetsChanged} new)`,
      );
      for (const line of r.buildLines.slice(0, 2)) console.log(`      ${line}`);
      if (r.buildLines.length > 2)
        console.log(
          `      ... and ${r.buildLines.length - 2} more like it (full list in ${path.relative(process.cwd(), logDir)}/${tool}-${scenario.id}.cargo-lambda.log)`,
        );
    }
  }

  let reference;
  if (REFERENCE) {
    console.log('\n== reference: one hand-written `cargo lambda build` of every member, cold, own copy');
    reference = referenceBuild();
    console.log(
      `  cargo lambda build --release --target ${TRIPLE} (all ${COUNT} binaries): ${secs(reference.ms)} (cpu ${secs(reference.cpuMs)})`,
    );
  }

  console.log('\n== floor: the same app shape with inline Node.js functions (no bundling), best of 3');
  const floor = floorSynth();
  console.log(`  ${secs(floor.ms)} (cpu ${secs(floor.cpuMs)})`);

  report(results, reference, floor);
  console.log(`\nload average at the end: ${loadavg()}`);
  const after = packageFingerprint();
  if (after !== packageBuild.fingerprint) {
    console.log('\nWARNING: dist/ or the native addon changed while the benchmark ran; these numbers mix two builds. Run it again.');
  }
  if (process.env.BENCH_KEEP !== '1') {
    for (const tool of [...tools, 'reference', 'floor']) fs.rmSync(path.join(work, tool), { recursive: true, force: true });
  }
  console.log(`\nlogs (full cargo output per synth): ${path.relative(process.cwd(), logDir)}/`);
  console.log(`total benchmark time: ${secs(Date.now() - started)}`);
}

// ---------------------------------------------------------------- setup

function header(real) {
  const ourAddon = path.join(repo, 'cdk-lambda-rust.linux-x64-gnu.node');
  const claPkg = require(path.join(__dirname, 'node_modules', 'cargo-lambda-cdk', 'package.json'));
  const cdkLocal = require(path.join(__dirname, 'node_modules', 'aws-cdk-lib', 'package.json')).version;
  const cdkRepo = require(require.resolve('aws-cdk-lib/package.json', { paths: [repo] })).version;
  console.log('# synth benchmark: cdk-lambda-rust vs cargo-lambda-cdk, 10 functions in one cargo workspace');
  console.log(`date:              ${new Date().toISOString()}`);
  console.log(
    `cdk-lambda-rust:   commit ${gitCommit()}, addon ${shortDigest(ourAddon)} built ${mtime(ourAddon)}, dist/ built ${mtime(path.join(repo, 'dist', 'index.js'))}`,
  );
  console.log(`cargo-lambda-cdk:  ${claPkg.version} (aws-cdk-lib ${cdkLocal}; ours runs on aws-cdk-lib ${cdkRepo})`);
  console.log(`cargo-lambda:      ${capture(real.cargoLambda, ['lambda', '--version'])} (${real.cargoLambda})`);
  console.log(`cargo:             ${capture(real.cargo, ['--version'])}`);
  console.log(
    `machine:           ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, load average ${loadavg()}`,
  );
  const hasBuildScope = /BuildScope/.test(fs.readFileSync(path.join(repo, 'dist', 'types.js'), 'utf8'));
  return { hasBuildScope, fingerprint: packageFingerprint() };
}

/** Changes when the package under test is rebuilt (to warn about mixed runs). */
function packageFingerprint() {
  const files = [path.join(repo, 'cdk-lambda-rust.linux-x64-gnu.node')];
  const dist = path.join(repo, 'dist');
  for (const f of fs.readdirSync(dist).sort()) files.push(path.join(dist, f));
  const h = crypto.createHash('sha256');
  for (const f of files) h.update(f).update(fs.readFileSync(f));
  return h.digest('hex');
}

/** The real cargo and cargo-lambda, found before our shim folder goes on PATH. */
function findRealTools() {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter((d) => d && path.resolve(d) !== shimDir);
  const which = (name) => {
    for (const d of dirs) {
      const p = path.join(d, name);
      try {
        fs.accessSync(p, fs.constants.X_OK);
        if (fs.statSync(p).isFile()) return p;
      } catch {}
    }
    return undefined;
  };
  const cargo = process.env.BENCH_REAL_CARGO || which('cargo');
  let cargoLambda = process.env.BENCH_REAL_CARGO_LAMBDA || which('cargo-lambda');
  if (!cargo) fail('cargo is not on PATH: install Rust with rustup.');
  if (!cargoLambda) fail('cargo-lambda is not on PATH: pip install cargo-lambda==1.9.2');
  // A pyenv shim is a script that re-resolves the tool on every call: go
  // straight to the binary it would run.
  if (cargoLambda.includes(`${path.sep}shims${path.sep}`)) {
    try {
      cargoLambda = execFileSync('pyenv', ['which', 'cargo-lambda'], { encoding: 'utf8' }).trim() || cargoLambda;
    } catch {}
  }
  return { cargo, cargoLambda };
}

/**
 * Shims that log each call (time, folder, arguments) to the file named by
 * $BENCH_LOG_PREFIX.{cargo,cargo-lambda}.log and exec the real tool.
 */
function writeShims(real) {
  fs.rmSync(shimDir, { recursive: true, force: true });
  writeShim(shimDir, 'cargo-lambda', real.cargoLambda);
  writeShim(shimDir, 'cargo', real.cargo);
}

/** One shim in `dir`: appends a line per call to $BENCH_LOG_PREFIX.<name>.log, then execs `target`. */
function writeShim(dir, name, target) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    '#!/bin/sh\n' +
      `# benchmark shim: log one line per call, then run the real ${name}\n` +
      'if [ -n "$BENCH_LOG_PREFIX" ]; then\n' +
      `  printf '%s\\t%s\\t%s\\n' "$(date +%s.%N)" "$PWD" "$*" >> "$BENCH_LOG_PREFIX.${name}.log"\n` +
      'fi\n' +
      `exec ${shellQuote(target)} "$@"\n`,
  );
  fs.chmodSync(file, 0o755);
}

/** The workspace every tool copies: generated, locked and fetched once. */
function generateTemplate() {
  const spec = `v1:${COUNT}`;
  const marker = path.join(template, '.generated');
  if (!(fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === spec)) {
    const lock = path.join(template, 'Cargo.lock');
    const keptLock = fs.existsSync(lock) ? fs.readFileSync(lock) : undefined;
    fs.rmSync(template, { recursive: true, force: true });
    fs.mkdirSync(template, { recursive: true });
    const names = Array.from({ length: COUNT }, (_, i) => `lambda_${String(i + 1).padStart(2, '0')}`);
    fs.writeFileSync(
      path.join(template, 'Cargo.toml'),
      '[workspace]\nresolver = "2"\nmembers = [\n' +
        names.map((n) => `  "${n}",`).join('\n') +
        '\n]\n\n[workspace.dependencies]\n' +
        'lambda_runtime = { version = "1.5", default-features = false }\n' +
        'serde = { version = "1", features = ["derive"] }\n' +
        'serde_json = "1"\n' +
        'tokio = { version = "1", features = ["macros"] }\n',
    );
    for (const name of names) {
      fs.mkdirSync(path.join(template, name, 'src'), { recursive: true });
      fs.writeFileSync(
        path.join(template, name, 'Cargo.toml'),
        `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n\n` +
          '[dependencies]\nlambda_runtime.workspace = true\nserde.workspace = true\nserde_json.workspace = true\ntokio.workspace = true\n',
      );
      fs.writeFileSync(path.join(template, name, 'src', 'main.rs'), mainRs(name));
    }
    if (keptLock) fs.writeFileSync(lock, keptLock);
    fs.writeFileSync(marker, spec);
  }
  const lock = path.join(template, 'Cargo.lock');
  if (!fs.existsSync(lock)) {
    console.log('generating Cargo.lock (once; kept in bench/work/synth/template/)...');
    run(findRealTools().cargo, ['generate-lockfile', '--manifest-path', path.join(template, 'Cargo.toml')]);
  }
  // Download every crate now, so neither tool's cold synth pays for it.
  run(findRealTools().cargo, ['fetch', '--locked', '--manifest-path', path.join(template, 'Cargo.toml')]);
  const lockText = fs.readFileSync(lock, 'utf8');
  const version = (crate) => (new RegExp(`name = "${crate}"\\nversion = "([^"]+)"`).exec(lockText) || [])[1];
  console.log(
    `workspace:         ${COUNT} members, Cargo.lock ${shortDigest(lock)}: lambda_runtime ${version('lambda_runtime')}, ` +
      `tokio ${version('tokio')}, serde ${version('serde')}, serde_json ${version('serde_json')}, ` +
      `${(lockText.match(/\[\[package\]\]/g) || []).length} packages`,
  );
}

function mainRs(name) {
  return `use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Edited by the benchmark's second scenario.
const REVISION: u32 = 1;

#[derive(Deserialize)]
struct Request {
    name: Option<String>,
    #[serde(default)]
    extra: Value,
}

#[derive(Serialize)]
struct Response {
    message: String,
    details: Value,
}

async fn handle(event: LambdaEvent<Request>) -> Result<Response, Error> {
    let name = event.payload.name.unwrap_or_else(|| "world".to_string());
    Ok(Response {
        message: format!("Hello, {name}! (from ${name}, revision {REVISION})"),
        details: json!({ "function": "${name}", "extra": event.payload.extra }),
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handle)).await
}
`;
}

function freshCopy(tool) {
  const dir = path.join(work, tool);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(template, path.join(dir, 'ws'), {
    recursive: true,
    filter: (src) => path.basename(src) !== 'target' && path.basename(src) !== '.generated',
  });
}

function editOneMember() {
  for (const tool of Object.keys(TOOLS)) {
    const file = path.join(work, tool, 'ws', EDITED, 'src', 'main.rs');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('const REVISION: u32 = 1;', 'const REVISION: u32 = 2;'));
  }
  console.log(`  edited ${EDITED}/src/main.rs (REVISION 1 -> 2) in every tool's copy`);
}

// ---------------------------------------------------------------- measuring

function synth(tool, scenario) {
  const dir = path.join(work, tool);
  const prefix = path.join(logDir, `${tool}-${scenario}`);
  const env = {
    ...process.env,
    ...TOOLS[tool].env,
    PATH: `${shimDir}${path.delimiter}${process.env.PATH}`,
    BENCH_LOG_PREFIX: prefix,
    BENCH_WS: path.join(dir, 'ws'),
    BENCH_FUNCTIONS: String(COUNT),
    CDK_OUTDIR: path.join(dir, 'cdk.out'),
  };
  delete env.CARGO_TARGET_DIR; // each copy builds into its own ws/target
  const out = fs.openSync(`${prefix}.out.log`, 'w');
  const cpu0 = childrenCpuMs();
  const t = process.hrtime.bigint();
  const proc = spawnSync(process.execPath, [TOOLS[tool].app], { env, cwd: dir, stdio: ['ignore', out, out] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const cpuMs = childrenCpuMs() - cpu0;
  fs.closeSync(out);
  if (proc.status !== 0) {
    const tail = fs.readFileSync(`${prefix}.out.log`, 'utf8').split('\n').slice(-40).join('\n');
    fail(`${TOOLS[tool].label} synth (${scenario}) exited with ${proc.status ?? proc.signal}; last lines of ${prefix}.out.log:\n${tail}`);
  }
  const lambdaCalls = readLog(`${prefix}.cargo-lambda.log`);
  const builds = lambdaCalls.filter((c) => /(^|\s)build(\s|$)/.test(c.args));
  const cargo = {};
  for (const c of readLog(`${prefix}.cargo.log`)) {
    const sub = c.args.split(/\s+/).find((a) => a && !a.startsWith('-') && !a.startsWith('+')) || '(none)';
    cargo[sub] = (cargo[sub] || 0) + 1;
  }
  const text = fs.readFileSync(`${prefix}.out.log`, 'utf8');
  const bundled = (text.match(/^Bundling asset /gm) || []).length;
  let ourOutcomes;
  if (tool.startsWith('ours')) {
    ourOutcomes = {
      built: (text.match(/^cdk-lambda-rust: \S+: built/gm) || []).length,
      reused: (text.match(/^cdk-lambda-rust: \S+: reused/gm) || []).length,
    };
  }
  return {
    tool,
    scenario,
    ms,
    cpuMs,
    bundled,
    builds: builds.length,
    otherLambdaCalls: lambdaCalls.length - builds.length,
    buildLines: builds.map((c) => `cargo-lambda ${c.args.replace(path.join(work, tool) + path.sep, '')}`),
    cargo,
    ourOutcomes,
  };
}

/**
 * CPU time (user + sys, ms) of every finished child of this process and of
 * their finished descendants (/proc/self/stat cutime + cstime): less
 * sensitive than wall time to other jobs on the machine.
 */
function childrenCpuMs() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17.
    const ticks = Number(fields[13]) + Number(fields[14]);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

function readLog(file) {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [time, cwd, ...args] = line.split('\t');
      return { time: Number(time), cwd, args: args.join('\t') };
    });
}

/** The hashes of the function assets in the tool's cloud assembly. */
function assetHashes(tool) {
  const file = path.join(work, tool, 'cdk.out', `${TOOLS[tool].stack}.assets.json`);
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  return Object.entries(manifest.files || {})
    .filter(([, a]) => a.source && /^asset\./.test(a.source.path))
    .map(([hash]) => hash)
    .sort();
}

function floorSynth() {
  const dir = path.join(work, 'floor');
  const env = { ...process.env, CDK_OUTDIR: path.join(dir, 'cdk.out'), BENCH_FUNCTIONS: String(COUNT) };
  let best;
  for (let i = 0; i < 3; i++) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const cpu0 = childrenCpuMs();
    const t = process.hrtime.bigint();
    const proc = spawnSync(process.execPath, [path.join(__dirname, 'app-floor.js')], {
      env,
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    const cpuMs = childrenCpuMs() - cpu0;
    if (proc.status !== 0) fail('the floor app failed');
    if (!best || ms < best.ms) best = { ms, cpuMs };
  }
  return best;
}

function referenceBuild() {
  freshCopy('reference');
  const ws = path.join(work, 'reference', 'ws');
  const prefix = path.join(logDir, 'reference-cold');
  const env = { ...process.env, PATH: `${shimDir}${path.delimiter}${process.env.PATH}`, BENCH_LOG_PREFIX: prefix };
  delete env.CARGO_TARGET_DIR;
  const out = fs.openSync(`${prefix}.out.log`, 'w');
  const cpu0 = childrenCpuMs();
  const t = process.hrtime.bigint();
  const proc = spawnSync('cargo', ['lambda', 'build', '--release', '--target', TRIPLE], { env, cwd: ws, stdio: ['ignore', out, out] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const cpuMs = childrenCpuMs() - cpu0;
  fs.closeSync(out);
  if (proc.status !== 0) fail(`the reference build failed; see ${prefix}.out.log`);
  return { ms, cpuMs };
}

// ---------------------------------------------------------------- report

function report(results, reference, floor) {
  const tools = [...new Set(results.map((r) => r.tool))];
  const get = (tool, scenario) => results.find((r) => r.tool === tool && r.scenario === scenario);
  const scenarios = ['cold', 'edit', 'unchanged'];
  console.log('\n## results\n');
  console.log(
    '| scenario | tool | wall | vs cdk-lambda-rust | CPU (user+sys) | assets bundled | cargo-lambda builds | other cargo processes | new asset hashes |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const scenario of scenarios) {
    const base = get('ours', scenario);
    for (const tool of tools) {
      const r = get(tool, scenario);
      const other =
        Object.entries(r.cargo)
          .filter(([sub]) => sub !== 'lambda')
          .map(([sub, n]) => `${n} ${sub}`)
          .join(', ') || '0';
      console.log(
        `| ${scenario} | ${TOOLS[tool].label} | ${secs(r.ms)} | ${(r.ms / base.ms).toFixed(2)}x | ${secs(r.cpuMs)} | ${r.bundled}/${r.assets} | ` +
          `${r.builds} | ${other} | ${r.assetsChanged}/${r.assets} |`,
      );
    }
  }
  const sum = (tool, key) => results.filter((r) => r.tool === tool).reduce((s, r) => s + r[key], 0);
  for (const tool of tools) {
    console.log(
      `| all three | ${TOOLS[tool].label} | ${secs(sum(tool, 'ms'))} | ${(sum(tool, 'ms') / sum('ours', 'ms')).toFixed(2)}x | ` +
        `${secs(sum(tool, 'cpuMs'))} | | ${sum(tool, 'builds')} | | |`,
    );
  }
  console.log('\nratios (wall time, cargo-lambda-cdk / cdk-lambda-rust):');
  for (const scenario of scenarios) {
    console.log(`  ${scenario.padEnd(9)} ${(get('cla', scenario).ms / get('ours', scenario).ms).toFixed(2)}x`);
  }
  if (tools.includes('ours-fn')) {
    console.log('shared builds (wall time, buildScope FUNCTION / default WORKSPACE):');
    for (const scenario of scenarios) {
      console.log(`  ${scenario.padEnd(9)} ${(get('ours-fn', scenario).ms / get('ours', scenario).ms).toFixed(2)}x`);
    }
  }
  if (floor) {
    const rel = tools.map((t) => `${TOOLS[t].label} +${secs(get(t, 'unchanged').ms - floor.ms)}`).join(', ');
    console.log(`\nfloor: 10 inline Node.js functions, no bundling: ${secs(floor.ms)} (unchanged synth above the floor: ${rel})`);
  }
  if (reference) {
    const rel = tools.map((t) => `${TOOLS[t].label} ${(get(t, 'cold').ms / reference.ms).toFixed(2)}x`).join(', ');
    console.log(
      `\nreference: one \`cargo lambda build\` of all ${COUNT} binaries, cold, own copy: ${secs(reference.ms)}, cpu ${secs(reference.cpuMs)} (cold synth / reference, wall: ${rel})`,
    );
  }
}

// ---------------------------------------------------------------- helpers

function run(cmd, args) {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

function capture(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')[0];
  } catch {
    return 'unknown';
  }
}

function shortDigest(file) {
  try {
    return 'sha256:' + crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 12);
  } catch {
    return 'missing';
  }
}

function mtime(file) {
  try {
    return fs.statSync(file).mtime.toISOString();
  } catch {
    return 'missing';
  }
}

function fmtCounts(counts) {
  const entries = Object.entries(counts);
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '0';
}

function loadavg() {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

function secs(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}

function shellQuote(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function fail(message) {
  console.error(`bench/synth: ${message}`);
  process.exit(1);
}

// bench/jest-store and bench/sccache reuse the generator and helpers.
if (require.main === module) main();
else {
  module.exports = {
    generateTemplate,
    findRealTools,
    readLog,
    childrenCpuMs,
    capture,
    shortDigest,
    mtime,
    loadavg,
    secs,
    shellQuote,
    writeShim,
    packageFingerprint,
    template,
  };
}
