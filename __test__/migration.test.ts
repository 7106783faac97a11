/**
 * What users of cargo-lambda-cdk, @cdklabs/aws-lambda-rust and
 * rust.aws-cdk-lambda rely on, through the packed package in an app of its
 * own (support/packed.ts): provided.al2 functions that start there, the
 * profile chosen in extraBuildArgs, their prop names refused with ours, and
 * Lambda extensions as layers, run against the Extensions API.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runExtension } from './support/extensions-api';
import { packedApp } from './support/packed';
import { qemuRunner } from './support/qemu';
import { invokeBootstrap } from './support/runtime-api';
import { copyFixtures, tempDir } from './support/synth';
import { extractZip, zipEntries } from './support/zip';

const cache = tempDir('migration-cache');

interface Run {
  readonly status: number | null;
  readonly stderr: string;
  readonly outdir: string;
  readonly template?: any;
  readonly error?: { message: string; errorCode?: string };
}

/**
 * Runs `body` (JavaScript with `stack`, `rust`, `lambda` in scope) as a CDK app
 * in the packed app's folder, synthesizing into a fresh cdk.out.
 */
function app(body: string, opts: { context?: Record<string, unknown> } = {}): Run {
  const dir = packedApp();
  const outdir = tempDir('migration-out');
  const script = path.join(dir, 'bin', `migration-${Date.now()}-${Math.random().toString(36).slice(2)}.js`);
  const resultFile = path.join(tempDir('migration-result'), 'error.json');
  fs.writeFileSync(
    script,
    `const fs = require('fs');
const { App, Stack } = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const rust = require('cdk-lambda-rust');
try {
  const app = new App({ outdir: ${JSON.stringify(outdir)}, context: ${JSON.stringify(opts.context ?? {})} });
  const stack = new Stack(app, 'Mig');
${body}
  app.synth();
} catch (e) {
  fs.writeFileSync(${JSON.stringify(resultFile)}, JSON.stringify({ message: String(e.message), errorCode: rust.errorCode(e) }));
  process.exitCode = 1;
}
`,
  );
  const proc = spawnSync(process.execPath, [script], {
    cwd: dir,
    env: { ...process.env, CDK_LAMBDA_RUST_CACHE_DIR: cache },
    encoding: 'utf8',
    timeout: 600_000,
  });
  const templateFile = path.join(outdir, 'Mig.template.json');
  return {
    status: proc.status,
    stderr: proc.stderr,
    outdir,
    template: fs.existsSync(templateFile) ? JSON.parse(fs.readFileSync(templateFile, 'utf8')) : undefined,
    error: fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : undefined,
  };
}

function resourcesOf(run: Run, type: string): [string, any][] {
  return Object.entries(run.template.Resources as Record<string, any>).filter(([, r]) => r.Type === type);
}

/** The staged zip of the resource whose logical id starts with `prefix`. */
function assetOf(run: Run, type: string, prefix: string): string {
  const [, resource] = resourcesOf(run, type).find(([id]) => id.startsWith(prefix))!;
  const key = (resource.Properties.Code ?? resource.Properties.Content).S3Key.replace(/\.zip$/, '');
  const manifest = JSON.parse(fs.readFileSync(path.join(run.outdir, 'Mig.assets.json'), 'utf8'));
  return path.join(run.outdir, manifest.files[key].source.path);
}

function unzipped(zip: string): string {
  const dir = tempDir('migration-unzipped');
  extractZip(zip, dir);
  return dir;
}

const qemu = () => {
  const runner = qemuRunner();
  if (!runner) throw new Error('ARM64 binaries run under qemu: bash scripts/setup-qemu.sh');
  return runner;
};

const crate = copyFixtures(tempDir('migration-crates'), 'single', 'mini_lambda');

test('provided.al2 functions build locally (x86_64 and ARM64) into bootstraps that fit its glibc, and answer', async () => {
  const run = app(`
  new rust.RustFunction(stack, 'Al2', { entry: ${JSON.stringify(crate)}, runtime: lambda.Runtime.PROVIDED_AL2 });
  new rust.RustFunction(stack, 'Al2Arm', { entry: ${JSON.stringify(crate)}, runtime: lambda.Runtime.PROVIDED_AL2, architecture: lambda.Architecture.ARM_64 });`);
  expect(run.error).toBeUndefined();
  expect(run.status).toBe(0);
  expect(run.stderr).toContain('--target x86_64-unknown-linux-gnu.2.26');
  expect(run.stderr).toContain('--target aarch64-unknown-linux-gnu.2.26');
  const x86 = path.join(unzipped(assetOf(run, 'AWS::Lambda::Function', 'Al2')), 'bootstrap');
  expect((await invokeBootstrap(x86, 'al2')).json).toEqual({ function: 'single-fn', greeting: 'hello', input: 'al2' });
  const arm = path.join(unzipped(assetOf(run, 'AWS::Lambda::Function', 'Al2Arm')), 'bootstrap');
  expect((await invokeBootstrap(arm, 'arm', { runner: qemu() })).json.input).toBe('arm');
});

test('--release and --profile in extraBuildArgs choose the profile once; the binary comes from that profile and the key follows it', async () => {
  const run = app(`
  new rust.RustFunction(stack, 'Plain', { entry: ${JSON.stringify(crate)} });
  new rust.RustFunction(stack, 'Release', { entry: ${JSON.stringify(crate)}, bundling: { extraBuildArgs: ['--release'] } });
  new rust.RustFunction(stack, 'Dev', { entry: ${JSON.stringify(crate)}, bundling: { extraBuildArgs: ['--profile', 'dev', '--features', 'loud'] } });`);
  expect(run.error).toBeUndefined();
  const keyOf = (id: string) => resourcesOf(run, 'AWS::Lambda::Function').find(([l]) => l.startsWith(id))![1].Properties.Code.S3Key;
  expect(keyOf('Release')).toBe(keyOf('Plain'));
  expect(keyOf('Dev')).not.toBe(keyOf('Plain'));
  expect(run.stderr).toMatch(/cargo lambda build --profile dev --target x86_64-unknown-linux-gnu .*--features loud/);
  expect(run.stderr).not.toMatch(/--release .*--release|--profile dev .*--profile/);
  const dev = path.join(unzipped(assetOf(run, 'AWS::Lambda::Function', 'Dev')), 'bootstrap');
  expect((await invokeBootstrap(dev, 'd')).json.greeting).toBe('HELLO');
  // A dev binary keeps its debug info: bigger than the release one.
  const release = path.join(unzipped(assetOf(run, 'AWS::Lambda::Function', 'Plain')), 'bootstrap');
  expect(fs.statSync(dev).size).toBeGreaterThan(fs.statSync(release).size);
});

describe('props of other packages are refused with ours', () => {
  test.each([
    ['manifestPath', `{ manifestPath: 'x' }`, "`manifestPath` is cargo-lambda-cdk's prop and does nothing here: use `entry`"],
    ['directory', `{ directory: 'x' }`, "`directory` is rust.aws-cdk-lambda's prop and does nothing here: use `entry`"],
    ['bin', `{ bin: 'x' }`, "`bin` is rust.aws-cdk-lambda's prop and does nothing here: use `binaryName`"],
    ['package', `{ package: 'x' }`, "`package` is rust.aws-cdk-lambda's prop"],
    ['features', `{ features: ['a'] }`, "use `bundling.extraBuildArgs: ['--features', 'a,b']`"],
    [
      'cargoLambdaFlags',
      `{ bundling: { cargoLambdaFlags: ['--locked'] } }`,
      "`bundling.cargoLambdaFlags` is cargo-lambda-cdk's prop and does nothing here: use `bundling.extraBuildArgs`",
    ],
    ['forcedDockerBundling', `{ bundling: { forcedDockerBundling: true } }`, 'use `bundling.forceDockerBundling`'],
    ['dockerOptions', `{ bundling: { dockerOptions: {} } }`, 'the Docker options directly in `bundling`'],
    [
      'runtime as a string',
      `{ runtime: 'provided.al2' }`,
      "`runtime` must be a lambda.Runtime such as lambda.Runtime.PROVIDED_AL2, got the string 'provided.al2'",
    ],
  ])('%s', (_, props, text) => {
    const run = app(`  new rust.RustFunction(stack, 'Fn', { entry: ${JSON.stringify(crate)}, ...${props} });`, {
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    expect(run.status).toBe(1);
    expect(run.error!.errorCode).toBe('INVALID_OPTION');
    expect(run.error!.message).toContain(text);
  });
});

describe('RustExtension: a layer holding extensions/<binary>, used by a function', () => {
  const extension = copyFixtures(tempDir('migration-extension'), 'extension');
  let run: Run;
  beforeAll(() => {
    run = app(`
  const ext = new rust.RustExtension(stack, 'Logger', { entry: ${JSON.stringify(extension)}, description: 'logs every event' });
  const extArm = new rust.RustExtension(stack, 'LoggerArm', { entry: ${JSON.stringify(extension)}, architecture: lambda.Architecture.ARM_64 });
  new rust.RustFunction(stack, 'WithExt', { entry: ${JSON.stringify(crate)}, layers: [ext] });
  new rust.RustFunction(stack, 'WithExtArm', { entry: ${JSON.stringify(crate)}, architecture: lambda.Architecture.ARM_64, layers: [extArm] });`);
  });

  test('the template wires the layer into the function, for its architecture', () => {
    expect(run.error).toBeUndefined();
    expect(run.stderr).toMatch(/cargo lambda build --release --target x86_64-unknown-linux-gnu .*--extension .*--bin ext-logger/);
    const layers = resourcesOf(run, 'AWS::Lambda::LayerVersion');
    const logger = layers.find(([id]) => id.startsWith('Logger') && !id.startsWith('LoggerArm'))!;
    expect(logger[1].Properties).toMatchObject({ CompatibleArchitectures: ['x86_64'], Description: 'logs every event' });
    const fn = resourcesOf(run, 'AWS::Lambda::Function').find(([id]) => id.startsWith('WithExt') && !id.startsWith('WithExtArm'))!;
    expect(fn[1].Properties.Layers).toEqual([{ Ref: logger[0] }]);
  });

  test('the layer zip holds the executable at extensions/ext-logger, and nothing else', () => {
    const entries = zipEntries(assetOf(run, 'AWS::Lambda::LayerVersion', 'Logger'));
    expect(entries.map((e) => [e.name, e.mode & 0o777])).toEqual([['extensions/ext-logger', 0o755]]);
  });

  test.each([
    ['x86_64', 'Logger', undefined],
    ['ARM64', 'LoggerArm', 'qemu'],
  ])('the %s extension registers with the Extensions API, gets its events and exits on SHUTDOWN', async (_, id, emulated) => {
    const layer = unzipped(assetOf(run, 'AWS::Lambda::LayerVersion', id));
    const result = await runExtension(path.join(layer, 'extensions', 'ext-logger'), { runner: emulated ? qemu() : undefined, invokes: 2 });
    expect(result.registeredName).toBe('ext-logger');
    expect(result.registeredEvents).toEqual(['INVOKE', 'SHUTDOWN']);
    expect(result.delivered).toEqual(['INVOKE', 'INVOKE', 'SHUTDOWN']);
    expect(result.exitCode).toBe(0);
    expect(
      result.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ').slice(0, 2).join(' ')),
    ).toEqual(['ext-logger: INVOKE', 'ext-logger: INVOKE', 'ext-logger: SHUTDOWN']);
  });
});
