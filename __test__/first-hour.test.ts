/**
 * The first hour of a new user, through the packed package installed into an
 * app laid out like `cdk init app` (support/packed.ts): a key stable from the
 * first synth, caches that see a new parent workspace, README examples that
 * work, error codes that survive CDK's re-wrapping, messages that name the
 * right thing, and a clean cdk.out after a failure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packedApp, runApp } from './support/packed';
import { invokeBootstrap } from './support/runtime-api';
import { functionIds, s3KeyOf, tempDir } from './support/synth';
import { extractZip } from './support/zip';

const fixtures = path.join(__dirname, 'fixtures');
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const cache = tempDir('first-hour-cache');
const env = { CDK_LAMBDA_RUST_CACHE_DIR: cache };

/** A default-entry crate for construct `id`: `lib/my-stack.<id>/`, a copy of `single` without its Cargo.lock. */
function defaultEntryCrate(id: string): string {
  const lib = path.join(packedApp(), 'lib');
  if (!fs.existsSync(path.join(lib, 'mini_lambda'))) {
    fs.cpSync(path.join(fixtures, 'mini_lambda'), path.join(lib, 'mini_lambda'), { recursive: true, filter: (s) => !s.endsWith('target') });
  }
  const crate = path.join(lib, `my-stack.${id}`);
  fs.cpSync(path.join(fixtures, 'single'), crate, { recursive: true, filter: (s) => !s.endsWith('target') && !s.endsWith('Cargo.lock') });
  return crate;
}

function buildingFolders(outdir: string): string[] {
  return fs.existsSync(outdir) ? fs.readdirSync(outdir).filter((f) => f.endsWith('-building') || f.endsWith('-error')) : [];
}

async function answerOf(run: { outdir: string; json?: any }, id: string, event: unknown): Promise<any> {
  const logicalId = functionIds(run.json).find((l) => l.startsWith(id))!;
  const key = s3KeyOf(run.json, logicalId).replace(/\.zip$/, '');
  const manifest = JSON.parse(fs.readFileSync(path.join(run.outdir, 'MyStack.assets.json'), 'utf8'));
  const unzipped = tempDir('first-hour-unzipped');
  extractZip(path.join(run.outdir, manifest.files[key].source.path), unzipped);
  return (await invokeBootstrap(path.join(unzipped, 'bootstrap'), event)).json;
}

test('a new crate without Cargo.lock has one key from the first synth on', async () => {
  const crate = defaultEntryCrate('Fresh');
  expect(fs.existsSync(path.join(crate, 'Cargo.lock'))).toBe(false);
  // The first synth (as a snapshot test would run it, bundling skipped) creates the lockfile and says to commit it.
  const first = runApp([{ id: 'Fresh' }], { context: SKIP_BUNDLING, env });
  expect(first.status).toBe(0);
  expect(first.stderr).toContain(`cdk-lambda-rust: created ${crate}/Cargo.lock: commit it.`);
  expect(fs.existsSync(path.join(crate, 'Cargo.lock'))).toBe(true);
  // The build that follows hashes the same sources: same key, no second note.
  const second = runApp([{ id: 'Fresh' }], { env });
  expect(second.status).toBe(0);
  expect(second.stderr).not.toContain('created');
  expect(s3KeyOf(second.json, functionIds(second.json)[0])).toBe(s3KeyOf(first.json, functionIds(first.json)[0]));
  expect(second.stderr).toContain('cdk-lambda-rust: MyStack/Fresh (x86_64): built with cargo-lambda');
  expect(await answerOf(second, 'Fresh', 'x')).toEqual({ function: 'single-fn', greeting: 'hello', input: 'x' });
});

test("the README's RUSTFLAGS example builds for ARM64; for x86_64 the error quotes the cause, keeps its code and leaves cdk.out clean", () => {
  defaultEntryCrate('Graviton');
  defaultEntryCrate('Intel');
  const flags = { environment: { RUSTFLAGS: '-C target-cpu=neoverse-n1' } };
  const arm = runApp([{ id: 'Graviton', props: { architecture: 'arm64', bundling: flags } }], { env });
  expect(arm.status).toBe(0);
  expect(arm.stderr).toContain('cdk-lambda-rust: MyStack/Graviton (arm64): built with cargo-lambda');

  const x86 = runApp([{ id: 'Intel', props: { bundling: flags } }], { env });
  expect(x86.status).toBe(1);
  // CDK re-wrapped it as text: no `code` of its own, but errorCode() finds it.
  expect(x86.error!.code).toBeUndefined();
  expect(x86.error!.errorCode).toBe('BUILD_FAILED');
  const message = x86.error!.message;
  const ours = message.slice(message.indexOf('[BUILD_FAILED]'));
  // The first quoted line says what went wrong, not Zig's list of CPUs.
  expect(ours.split('\n')[1].trim()).toBe("error: unknown CPU: 'neoverse_n1'");
  expect(ours).not.toContain('alderlake');
  // CDK names its bundling folder; it was removed, and the message says so.
  expect(message).toContain('Nothing was staged for this function: cdk-lambda-rust removed the bundling output folder named above.');
  expect(buildingFolders(x86.outdir)).toEqual([]);
});

test('two functions of the same binary say which is which', () => {
  defaultEntryCrate('Twin');
  const run = runApp(
    [
      { id: 'Twin', props: {} },
      { id: 'TwinArm', props: { entry: path.join(packedApp(), 'lib', 'my-stack.Twin'), architecture: 'arm64' } },
    ],
    { env },
  );
  expect(run.status).toBe(0);
  expect(run.stderr).toContain('cdk-lambda-rust: MyStack/Twin (x86_64): built with cargo-lambda');
  expect(run.stderr).toContain('cdk-lambda-rust: MyStack/TwinArm (arm64): built with cargo-lambda');
});

describe('options a build would reject are refused up front', () => {
  defaultEntryCrate('Opts');
  test.each([
    [
      'a profile name cargo refuses',
      { bundling: { profile: 'bad profile' } },
      '`bundling.profile` "bad profile" cannot be a cargo profile',
    ],
    [
      'an undefined profile',
      { bundling: { profile: 'fast' } },
      '`bundling.profile` `fast` is not defined: cargo knows dev, release, test and bench',
    ],
    ['--target-dir', { bundling: { extraBuildArgs: ['--target-dir', 'out'] } }, 'set `CARGO_TARGET_DIR` in `bundling.environment` instead'],
    ['a handler', { handler: 'main' }, 'RustFunction runs the binary as `bootstrap`'],
    ['an unknown packageManagerType', { bundling: { packageManagerType: 'npm' } }, 'use one of PackageManagerType.CARGO_LAMBDA'],
  ])('%s: INVALID_OPTION before any cargo run', (_, props, text) => {
    const run = runApp([{ id: 'Opts', props }], { env });
    expect(run.status).toBe(1);
    expect(run.error!.errorCode).toBe('INVALID_OPTION');
    expect(run.error!.message).toContain(text);
    expect(run.stderr).not.toContain('cargo lambda build');
    expect(buildingFolders(run.outdir)).toEqual([]);
  });

  test("plain JavaScript may name the enum member: packageManagerType 'CARGO_ZIGBUILD'", () => {
    const run = runApp([{ id: 'Opts', props: { bundling: { packageManagerType: 'CARGO_ZIGBUILD' } } }], { env, context: SKIP_BUNDLING });
    expect(run.status).toBe(0);
  });
});

test('a missing build tool leaves no bundling folder behind, and says why', () => {
  defaultEntryCrate('NoTool');
  const noZig = process.env.PATH!.split(path.delimiter).filter((d) => !fs.existsSync(path.join(d, 'cargo-zigbuild')));
  const run = runApp([{ id: 'NoTool', props: { bundling: { packageManagerType: 'cargo-zigbuild' } } }], {
    env: { ...env, PATH: noZig.join(path.delimiter) },
  });
  expect(run.status).toBe(1);
  expect(run.error!.errorCode).toBe('TOOL_MISSING');
  expect(run.error!.message).toContain('Nothing was staged for this function');
  expect(buildingFolders(run.outdir)).toEqual([]);
});

test('a new workspace above a synthesized crate is seen at once, with the exclude line to add', () => {
  const crate = defaultEntryCrate('Nested');
  const ok = runApp([{ id: 'Nested' }], { env, context: SKIP_BUNDLING });
  expect(ok.status).toBe(0);
  // The app root becomes a Rust workspace (the README's layout): the cached answer must not hide it.
  const rootManifest = path.join(packedApp(), 'Cargo.toml');
  const member = path.join(packedApp(), 'functions', 'hello');
  fs.mkdirSync(path.join(member, 'src'), { recursive: true });
  fs.writeFileSync(path.join(member, 'Cargo.toml'), '[package]\nname = "hello"\nversion = "0.1.0"\nedition = "2021"\n');
  fs.writeFileSync(path.join(member, 'src', 'lib.rs'), '');
  try {
    fs.writeFileSync(rootManifest, '[workspace]\nmembers = ["functions/*"]\n');
    const broken = runApp([{ id: 'Nested' }], { env, context: SKIP_BUNDLING });
    expect(broken.status).toBe(1);
    expect(broken.error!.errorCode).toBe('MANIFEST_INVALID');
    expect(broken.error!.message).toContain(`sits inside the workspace of ${rootManifest}`);
    expect(broken.error!.message).toContain('exclude = ["lib/my-stack.Nested"]');
    // The README's fix.
    fs.writeFileSync(rootManifest, '[workspace]\nmembers = ["functions/*"]\nexclude = ["lib"]\n');
    const fixed = runApp([{ id: 'Nested' }], { env, context: SKIP_BUNDLING });
    expect(fixed.status).toBe(0);
    expect(s3KeyOf(fixed.json, functionIds(fixed.json)[0])).toBe(s3KeyOf(ok.json, functionIds(ok.json)[0]));
    expect(fs.existsSync(path.join(crate, 'Cargo.lock'))).toBe(true);
  } finally {
    fs.rmSync(rootManifest, { force: true });
    fs.rmSync(path.join(packedApp(), 'functions'), { recursive: true, force: true });
  }
});

test("the README's .gitignore covers cargo's output next to default entries", () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const gitignore = /```gitignore\n([\s\S]*?)```/.exec(readme)![1].split('\n');
  for (const line of ['cdk.out/', 'node_modules/', 'target/']) expect(gitignore).toContain(line);
});
