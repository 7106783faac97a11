/**
 * A machine without Rust (a Node-only CI job running snapshot tests): with
 * no cargo, rustc, rustup or ~/.cargo, a synth with bundling skipped works
 * for every entry form and gives exactly the S3 keys a machine with cargo
 * gives, because the core then reads the manifests itself.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './support/synth';

const fixtures = path.join(__dirname, 'fixtures');
const RUST_TOOLS = ['cargo', 'rustc', 'rustup', 'cargo-lambda', 'cargo-zigbuild'];
/** The app scripts live in temp folders: they find aws-cdk-lib in ours. */
const NODE_PATH = path.join(__dirname, '..', 'node_modules');

/** PATH without any folder holding a Rust tool. */
function pathWithoutRust(): string {
  return process.env
    .PATH!.split(path.delimiter)
    .filter((d) => !RUST_TOOLS.some((t) => fs.existsSync(path.join(d, t))))
    .join(path.delimiter);
}

/** Every entry form, JSON-able: `[id, props]`. */
const FUNCTIONS: [string, Record<string, unknown>][] = [
  ['single', { entry: path.join(fixtures, 'single') }],
  ['singleArm', { entry: path.join(fixtures, 'single', 'Cargo.toml'), architecture: 'arm64' }],
  ['alpha', { entry: path.join(fixtures, 'workspace'), binaryName: 'alpha' }],
  ['beta', { entry: path.join(fixtures, 'workspace', 'members', 'beta') }],
  ['multiFirst', { entry: path.join(fixtures, 'multi_bin'), binaryName: 'first' }],
  ['multiThird', { entry: path.join(fixtures, 'multi_bin'), binaryName: 'third' }],
  ['rooted', { entry: path.join(fixtures, 'rooted') }],
  ['rootedMember', { entry: path.join(fixtures, 'rooted'), binaryName: 'rooted-member' }],
  ['defaultEntry', { entry: path.join(fixtures, 'default_entry', 'my-construct.my_function') }],
  [
    'options',
    { entry: path.join(fixtures, 'single'), bundling: { profile: 'dev', extraBuildArgs: ['--features', 'a b'], environment: { K: 'v' } } },
  ],
  ['docker', { entry: path.join(fixtures, 'workspace'), binaryName: 'beta', bundling: { forceDockerBundling: true } }],
];

/** Synthesizes FUNCTIONS (plus a default-entry subclass) in a child process with `env`; returns S3 keys by id. */
function keys(env: NodeJS.ProcessEnv): { keys: Record<string, string>; stderr: string } {
  const dir = tempDir('no-cargo-app');
  const script = path.join(dir, 'app.js');
  fs.writeFileSync(
    script,
    `const { App, Stack } = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const rust = require(${JSON.stringify(path.join(__dirname, '..', 'dist'))});
const app = new App({ outdir: ${JSON.stringify(path.join(dir, 'cdk.out'))}, context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new Stack(app, 'S');
const keys = {};
for (const [id, props] of ${JSON.stringify(FUNCTIONS)}) {
  const fn = new rust.RustFunction(stack, id, { ...props, architecture: props.architecture === 'arm64' ? lambda.Architecture.ARM_64 : undefined });
  keys[id] = stack.resolve(fn.node.findChild('Code').s3ObjectKey);
}
process.stdout.write(JSON.stringify(keys));
`,
  );
  const proc = spawnSync(process.execPath, [script], { env: { ...env, NODE_PATH }, encoding: 'utf8', cwd: dir });
  if (proc.status !== 0) throw new Error(`synth failed (${proc.status}):\n${proc.stderr}`);
  return { keys: JSON.parse(proc.stdout), stderr: proc.stderr };
}

test('every entry form resolves and hashes without cargo, to the keys a machine with cargo gets', () => {
  const home = tempDir('no-cargo-home');
  const noRust: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: pathWithoutRust(),
    HOME: home,
    CDK_LAMBDA_RUST_CACHE_DIR: tempDir('no-cargo-cache'),
  };
  for (const k of ['CARGO_HOME', 'RUSTUP_HOME', 'RUSTC', 'CARGO', 'XDG_CACHE_HOME']) delete noRust[k];
  // The child really has no Rust: not on PATH, no ~/.cargo.
  const probe = spawnSync('sh', ['-c', 'command -v cargo rustc rustup || true'], { env: noRust, encoding: 'utf8' });
  expect(probe.stdout.trim()).toBe('');
  expect(fs.existsSync(path.join(home, '.cargo'))).toBe(false);

  const without = keys(noRust);
  const withCargo = keys({ ...process.env, CDK_LAMBDA_RUST_CACHE_DIR: tempDir('with-cargo-cache') });
  expect(Object.keys(without.keys)).toHaveLength(FUNCTIONS.length);
  for (const key of Object.values(without.keys)) expect(key).toMatch(/^[0-9a-f]{64}\.zip$/);
  expect(without.keys).toEqual(withCargo.keys);
  // Every fixture has a committed Cargo.lock, so nothing needed creating.
  expect(without.stderr).not.toContain('Cargo.lock');
});

test('a Node-only machine is told when a workspace has no Cargo.lock to hash', () => {
  const crate = path.join(tempDir('no-cargo-nolock'), 'single');
  fs.cpSync(path.join(fixtures, 'single'), crate, { recursive: true, filter: (s) => !s.endsWith('target') && !s.endsWith('Cargo.lock') });
  fs.cpSync(path.join(fixtures, 'mini_lambda'), path.join(path.dirname(crate), 'mini_lambda'), { recursive: true });
  const dir = tempDir('no-cargo-nolock-app');
  const script = path.join(dir, 'app.js');
  fs.writeFileSync(
    script,
    `const { App, Stack } = require('aws-cdk-lib');
const rust = require(${JSON.stringify(path.join(__dirname, '..', 'dist'))});
const app = new App({ outdir: ${JSON.stringify(path.join(dir, 'cdk.out'))}, context: { 'aws:cdk:bundling-stacks': [] } });
new rust.RustFunction(new Stack(app, 'S'), 'Fn', { entry: ${JSON.stringify(crate)} });
app.synth();
`,
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: pathWithoutRust(),
    HOME: tempDir('no-cargo-home2'),
    CDK_LAMBDA_RUST_CACHE_DIR: tempDir('c'),
  };
  delete env.CARGO_HOME;
  const proc = spawnSync(process.execPath, [script], { env: { ...env, NODE_PATH }, encoding: 'utf8' });
  expect(proc.status).toBe(0);
  expect(proc.stderr).toContain(`cdk-lambda-rust: ${crate} has no Cargo.lock and none could be created`);
  expect(proc.stderr).toContain('create and commit one');
});
