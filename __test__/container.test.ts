/**
 * Docker bundling run for real, by a real container engine: podman (runc,
 * cgroupfs) behind a `docker`-shaped wrapper given to CDK as CDK_DOCKER, and
 * a local stand-in for the default image under its exact name
 * (scripts/container/: `.ci/run` sets both up). Nothing here records argv:
 * containers build, and the staged bootstraps are invoked.
 *
 * Without the engine or the images, these tests are skipped locally and fail
 * under CI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { qemuRunner } from './support/qemu';
import { invokeBootstrap } from './support/runtime-api';
import { copyFixtures, copySingle, functionIds, s3KeyOf, tempDir } from './support/synth';

const root = path.resolve(__dirname, '..');
const wrapper = path.join(root, '.cache', 'container', 'docker');
const IMAGE = 'ghcr.io/cargo-lambda/cargo-lambda:1.9.2';

function engineReady(): string | undefined {
  if (!fs.existsSync(wrapper)) return `no ${wrapper}: run scripts/container/setup-engine.sh`;
  const probe = spawnSync(wrapper, ['image', 'inspect', IMAGE], { encoding: 'utf8' });
  if (probe.status !== 0) return `no image ${IMAGE}: run scripts/container/build-image.sh`;
  return undefined;
}

const notReady = engineReady();
if (notReady && process.env.CI) throw new Error(`the container tests must run under CI: ${notReady}`);
const describeEngine = notReady ? describe.skip : describe;

const RUST_TOOLS = ['cargo', 'rustc', 'rustup', 'cargo-lambda', 'cargo-zigbuild'];
const pathWithoutRust = () =>
  process.env
    .PATH!.split(path.delimiter)
    .filter((d) => !RUST_TOOLS.some((t) => fs.existsSync(path.join(d, t))))
    .join(path.delimiter);

interface Fn {
  readonly id: string;
  /** RustFunction props as JSON; `architecture: 'arm64'` becomes ARM_64. */
  readonly props: Record<string, any>;
  /** Hook command templates; `{in}` and `{out}` become the quoted folders. */
  readonly hooks?: { before?: string[]; after?: string[] };
}

interface Run {
  readonly status: number | null;
  readonly stderr: string;
  readonly outdir: string;
  readonly json?: any;
}

/** Synthesizes `functions` in a child process with the engine as Docker and `env` on top. */
function synth(functions: Fn[], env: Record<string, string | undefined> = {}, outdir = tempDir('container-out')): Run {
  const dir = tempDir('container-app');
  const script = path.join(dir, 'app.js');
  fs.writeFileSync(
    script,
    `const { App, Stack, BundlingFileAccess } = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const rust = require(${JSON.stringify(path.join(root, 'dist'))});
const q = (s) => "'" + s.replace(/'/g, "'\\\\''") + "'";
const fill = (ts, i, o) => (ts || []).map((t) => t.split('{in}').join(q(i)).split('{out}').join(q(o)));
const app = new App({ outdir: ${JSON.stringify(outdir)} });
const stack = new Stack(app, 'TestStack');
for (const fn of ${JSON.stringify(functions)}) {
  const props = { ...fn.props };
  if (props.architecture === 'arm64') props.architecture = lambda.Architecture.ARM_64;
  if (props.runtime === 'provided.al2') props.runtime = lambda.Runtime.PROVIDED_AL2;
  const bundling = { ...(props.bundling || {}) };
  if (bundling.bundlingFileAccess === 'VOLUME_COPY') bundling.bundlingFileAccess = BundlingFileAccess.VOLUME_COPY;
  if (fn.hooks) bundling.commandHooks = { beforeBundling: (i, o) => fill(fn.hooks.before, i, o), afterBundling: (i, o) => fill(fn.hooks.after, i, o) };
  props.bundling = bundling;
  new rust.RustFunction(stack, fn.id, props);
}
app.synth();
`,
  );
  const childEnv: NodeJS.ProcessEnv = { ...process.env, CDK_DOCKER: wrapper, NODE_PATH: path.join(root, 'node_modules') };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const proc = spawnSync(process.execPath, [script], { env: childEnv, encoding: 'utf8', timeout: 900_000 });
  const template = path.join(outdir, 'TestStack.template.json');
  return {
    status: proc.status,
    stderr: proc.stderr,
    outdir,
    json: proc.status === 0 && fs.existsSync(template) ? JSON.parse(fs.readFileSync(template, 'utf8')) : undefined,
  };
}

/** The staged bootstrap of function `id` (Docker bundling stages a folder). */
function bootstrapOf(run: Run, id: string): string {
  const logicalId = functionIds(run.json).find((l) => l.startsWith(id))!;
  const key = s3KeyOf(run.json, logicalId).replace(/\.zip$/, '');
  const manifest = JSON.parse(fs.readFileSync(path.join(run.outdir, 'TestStack.assets.json'), 'utf8'));
  return path.join(run.outdir, manifest.files[key].source.path, 'bootstrap');
}

/** e_machine of an ELF file. */
function machineOf(file: string): number {
  return fs.readFileSync(file).readUInt16LE(18);
}

async function invokeArm(bootstrap: string, event: unknown): Promise<any> {
  const qemu = qemuRunner();
  if (!qemu) throw new Error('qemu is needed to run ARM64 bootstraps: bash scripts/setup-qemu.sh');
  return (await invokeBootstrap(bootstrap, event, { runner: qemu })).json;
}

const assets = (outdir: string) => fs.readdirSync(outdir).filter((f) => f.startsWith('asset.'));

describeEngine('Docker bundling in a real container', () => {
  const cache = tempDir('container-cache');
  const env = { CDK_LAMBDA_RUST_CACHE_DIR: cache };

  test('forceDockerBundling builds x86_64 and ARM64 at the host platform; both bootstraps answer', async () => {
    const crate = copySingle(tempDir('container-force'));
    const run = synth(
      [
        { id: 'Intel', props: { entry: crate, bundling: { forceDockerBundling: true } } },
        { id: 'Graviton', props: { entry: crate, architecture: 'arm64', bundling: { forceDockerBundling: true } } },
      ],
      env,
    );
    expect(run.status).toBe(0);
    expect(machineOf(bootstrapOf(run, 'Intel'))).toBe(62);
    expect(machineOf(bootstrapOf(run, 'Graviton'))).toBe(183);
    expect((await invokeBootstrap(bootstrapOf(run, 'Intel'), 'x')).json).toEqual({ function: 'single-fn', greeting: 'hello', input: 'x' });
    expect(await invokeArm(bootstrapOf(run, 'Graviton'), 'arm')).toEqual({ function: 'single-fn', greeting: 'hello', input: 'arm' });
  });

  test('a provided.al2 function builds in the container for glibc 2.26, passes the check and answers', async () => {
    const crate = copySingle(tempDir('container-al2'));
    // The wrapper traces the podman command line: the build's --target is in it.
    const run = synth([{ id: 'Al2', props: { entry: crate, runtime: 'provided.al2', bundling: { forceDockerBundling: true } } }], {
      ...env,
      CDK_CONTAINER_TRACE: '1',
    });
    // Status 0: the check of what the container staged passed (a GLIBC_2.30 binary would be GLIBC_TOO_NEW).
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('--target x86_64-unknown-linux-gnu.2.26');
    expect((await invokeBootstrap(bootstrapOf(run, 'Al2'), 'al2')).json.input).toBe('al2');
  });

  test('a machine with no Rust at all falls back to Docker, says so, and gets the keys a Rust machine gets', async () => {
    const crate = copySingle(tempDir('container-norust'));
    const fns: Fn[] = [
      { id: 'Plain', props: { entry: crate } },
      { id: 'Arm', props: { entry: crate, architecture: 'arm64' } },
    ];
    const home = tempDir('container-norust-home');
    const run = synth(fns, { ...env, PATH: pathWithoutRust(), HOME: home, CARGO_HOME: undefined, RUSTUP_HOME: undefined });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(
      `cdk-lambda-rust: TestStack/Plain (x86_64): neither cargo-lambda nor cargo-zigbuild is on PATH, so it is built with Docker (image ${IMAGE}, target x86_64)`,
    );
    expect(run.stderr).toContain('TestStack/Arm (arm64): neither cargo-lambda nor cargo-zigbuild is on PATH');
    expect((await invokeBootstrap(bootstrapOf(run, 'Plain'), 1)).json.input).toBe(1);
    expect((await invokeArm(bootstrapOf(run, 'Arm'), 2)).input).toBe(2);
    // The same sources on a machine with Rust (bundling skipped there): the same S3 keys.
    const local = synth(
      fns,
      { ...env, CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }) },
      tempDir('container-norust-local'),
    );
    expect(local.status).toBe(0);
    for (const id of ['Plain', 'Arm']) {
      const key = (r: Run) => s3KeyOf(r.json, functionIds(r.json).find((l) => l.startsWith(id))!);
      expect(key(run)).toBe(key(local));
    }
  });

  test('hooks run in the container around the build; hostile environment and argument values inject nothing', async () => {
    const crate = copySingle(tempDir('container-hooks'));
    const marker = path.join(tempDir('container-marker'), 'pwned');
    const greeting = `it's "x" $(touch ${marker}); echo`;
    const run = synth(
      [
        {
          id: 'Hooked',
          props: {
            entry: crate,
            bundling: {
              forceDockerBundling: true,
              environment: { FIXTURE_GREETING: greeting },
              extraBuildArgs: ['--features', 'loud', '--config', `env.EXTRA = "$(touch ${marker})"`],
            },
          },
          hooks: {
            before: ['test -f {in}/Cargo.toml', 'echo "before in $(uname -s)" > /tmp/hook-ran', 'export FROM_HOOK=yes'],
            after: ['cp /tmp/hook-ran {out}/hook.txt', 'printf %s "$FROM_HOOK" >> {out}/hook.txt'],
          },
        },
      ],
      env,
    );
    expect(run.status).toBe(0);
    const staged = path.dirname(bootstrapOf(run, 'Hooked'));
    expect(fs.readFileSync(path.join(staged, 'hook.txt'), 'utf8')).toBe('before in Linux\nyes');
    expect((await invokeBootstrap(bootstrapOf(run, 'Hooked'), 'x')).json.greeting).toBe(greeting.toUpperCase());
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('user, volumes and network reach the engine', () => {
    const crate = copySingle(tempDir('container-options'));
    const extra = tempDir('container-extra');
    fs.writeFileSync(path.join(extra, 'data.txt'), 'mounted');
    const { uid, gid } = os.userInfo();
    const run = synth(
      [
        {
          id: 'Opts',
          props: {
            entry: crate,
            bundling: {
              forceDockerBundling: true,
              user: `${uid}:${gid}`,
              network: 'host',
              volumes: [{ hostPath: extra, containerPath: '/extra' }],
            },
          },
          hooks: { after: ['cp /extra/data.txt {out}/data.txt', 'id -u > {out}/uid.txt'] },
        },
      ],
      env,
    );
    expect(run.status).toBe(0);
    const staged = path.dirname(bootstrapOf(run, 'Opts'));
    expect(fs.readFileSync(path.join(staged, 'data.txt'), 'utf8')).toBe('mounted');
    expect(fs.readFileSync(path.join(staged, 'uid.txt'), 'utf8').trim()).toBe(String(uid));
  });

  test('the cargo cache mount: a second Docker build of the workspace downloads no crate again', () => {
    const parent = tempDir('container-registry');
    const crate = copySingle(parent);
    // A crates.io dependency (the image's cargo reaches crates.io with the host's CA bundle).
    const manifest = path.join(crate, 'Cargo.toml');
    fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace('[dependencies]', '[dependencies]\nitoa = "=1.0.11"'));
    fs.rmSync(path.join(crate, 'Cargo.lock'));
    const ownCache = tempDir('container-own-cache');
    const fns: Fn[] = [{ id: 'Dl', props: { entry: crate, bundling: { forceDockerBundling: true } } }];
    const first = synth(fns, { CDK_LAMBDA_RUST_CACHE_DIR: ownCache });
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/Downloaded itoa v1\.0\.11/);
    const crateFile = path.join(ownCache, 'cargo-home', 'registry', 'cache');
    expect(execFileSync('find', [crateFile, '-name', 'itoa-1.0.11.crate'], { encoding: 'utf8' })).toContain('itoa-1.0.11.crate');
    // A fresh cdk.out: CDK bundles again, the container builds again, cargo downloads nothing.
    const started = Date.now();
    const second = synth(fns, { CDK_LAMBDA_RUST_CACHE_DIR: ownCache });
    const seconds = (Date.now() - started) / 1000;
    expect(second.status).toBe(0);
    expect(second.stderr).not.toMatch(/Download(ed|ing)/);
    process.stderr.write(`container test: second Docker build with the cargo cache kept: ${seconds.toFixed(1)} s\n`);
  });

  test('VOLUME_COPY copies the sources in and the output out through volumes', async () => {
    const crate = copySingle(tempDir('container-volume-copy'));
    const run = synth(
      [{ id: 'Copied', props: { entry: crate, bundling: { forceDockerBundling: true, bundlingFileAccess: 'VOLUME_COPY' } } }],
      env,
    );
    expect(run.status).toBe(0);
    expect((await invokeBootstrap(bootstrapOf(run, 'Copied'), 'v')).json.input).toBe('v');
  });

  test("a failing build shows cargo's error and stages nothing", () => {
    const crate = copySingle(tempDir('container-broken'));
    fs.appendFileSync(path.join(crate, 'src', 'main.rs'), '\nfn broken() -> u32 { undefined_name }\n');
    const run = synth([{ id: 'Broken', props: { entry: crate, bundling: { forceDockerBundling: true } } }], env);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('error[E0425]: cannot find value `undefined_name` in this scope');
    expect(assets(run.outdir).filter((a) => !a.endsWith('-building'))).toEqual([]);
  });

  test('what a container stages gets the checks local builds get: a wrong machine is ARCH_MISMATCH, and is removed', () => {
    const crate = copyFixtures(tempDir('container-wrong'), 'single', 'mini_lambda');
    // A custom command that leaves the image's own x86_64 bash as the "bootstrap" of an ARM64 function.
    const run = synth(
      [
        {
          id: 'Wrong',
          props: {
            entry: crate,
            architecture: 'arm64',
            bundling: { forceDockerBundling: true, command: ['bash', '-c', 'cp /bin/bash /asset-output/bootstrap'] },
          },
        },
      ],
      env,
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(
      /\[ARCH_MISMATCH\] `[^`]+\/bootstrap` is built for x86_64, but the function's architecture needs arm64 \(aarch64\)/,
    );
    expect(assets(run.outdir).filter((a) => !a.endsWith('-building'))).toEqual([]);
  });
});
