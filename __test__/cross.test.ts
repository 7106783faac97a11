/**
 * PackageManagerType.CROSS, with a recording `cross` first on PATH. The real
 * cross is never run (it needs Docker and would change the shared rustup
 * toolchain): the recorder logs its argv and, where a test says so, copies a
 * real bootstrap (built here with cargo-lambda for the same target) to where
 * `cross build` leaves its binary. What is proven: the argv the core hands to
 * cross, where it takes the binary from, and that it checks that binary like
 * any other. Synths run in a child process, so the core sees the PATH.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as rust from '../lib';
import { crossRecorder, stagedAssetOf, synthInChild, which } from './support/recorder';
import { invokeBootstrap } from './support/runtime-api';
import { bootstrapOf, copySingle, functionIds, synth, tempDir } from './support/synth';
import { extractZip, zipEntries } from './support/zip';

const CROSS = rust.PackageManagerType.CROSS;

let realBootstrap: string;
beforeAll(() => {
  // A real x86_64 bootstrap of the same crate, built locally with cargo-lambda.
  const s = synth((stack) => new rust.RustFunction(stack, 'Real', { entry: path.join(__dirname, 'fixtures', 'single') }));
  realBootstrap = bootstrapOf(s, functionIds(s.json)[0]);
});

function synthWithCross(
  rec: ReturnType<typeof crossRecorder>,
  crate: string,
  extra: { architecture?: 'x86_64' | 'arm64'; bundling?: Record<string, unknown> } = {},
) {
  // The recorder, not a real cross, is what the child will find.
  expect(which('cross', rec.path)).toBe(rec.executable);
  return synthInChild(
    { entry: crate, architecture: extra.architecture, bundling: { packageManagerType: CROSS, ...extra.bundling } },
    { ...process.env, PATH: rec.path },
  );
}

test('cross build gets release, target, manifest, package, bin and extraBuildArgs as argv; its binary is staged and answers', async () => {
  const rec = crossRecorder({ binary: realBootstrap, recordEnv: ['FIXTURE_GREETING'] });
  const crate = copySingle(tempDir('cross-ok'));
  const child = synthWithCross(rec, crate, {
    bundling: { extraBuildArgs: ['--features', 'loud', '--config', 'a b'], environment: { FIXTURE_GREETING: "it's $(x)" } },
  });
  expect(child.stderr).not.toContain('Error');
  expect(child.status).toBe(0);
  expect(rec.calls()).toEqual([
    [
      'build',
      '--release',
      '--target',
      'x86_64-unknown-linux-gnu',
      '--manifest-path',
      path.join(crate, 'Cargo.toml'),
      '--package',
      'single-fn',
      '--bin',
      'single-fn',
      '--features',
      'loud',
      '--config',
      'a b',
    ],
  ]);
  expect(rec.envs()).toEqual([{ FIXTURE_GREETING: "it's $(x)" }]);
  expect(child.stderr).toContain('cdk-lambda-rust: cross build --release --target x86_64-unknown-linux-gnu');
  expect(child.stderr).toContain('cdk-lambda-rust: TestStack/Fn (x86_64): built with cross');

  const zip = stagedAssetOf(child.outdir, child.json, functionIds(child.json)[0]);
  expect(zipEntries(zip).map((e) => e.name)).toEqual(['bootstrap']);
  const unzipped = tempDir('cross-unzipped');
  extractZip(zip, unzipped);
  const staged = path.join(unzipped, 'bootstrap');
  expect(fs.readFileSync(staged).equals(fs.readFileSync(realBootstrap))).toBe(true);
  const answer = await invokeBootstrap(staged, 'via cross');
  expect(answer.json).toEqual({ function: 'single-fn', greeting: 'hello', input: 'via cross' });
});

test('an ARM_64 function asks cross for aarch64, and an x86_64 binary from it is refused (ARCH_MISMATCH)', () => {
  const rec = crossRecorder({ binary: realBootstrap });
  const crate = copySingle(tempDir('cross-arm'));
  const child = synthWithCross(rec, crate, { architecture: 'arm64' });
  expect(rec.calls()).toHaveLength(1);
  expect(rec.calls()[0].slice(0, 4)).toEqual(['build', '--release', '--target', 'aarch64-unknown-linux-gnu']);
  expect(child.status).not.toBe(0);
  expect(child.stderr).toContain('[ARCH_MISMATCH]');
});

test('a cross build that leaves no binary is BINARY_NOT_FOUND, naming where cross puts it', () => {
  const rec = crossRecorder();
  const crate = copySingle(tempDir('cross-none'));
  const child = synthWithCross(rec, crate);
  expect(rec.calls()).toHaveLength(1);
  expect(child.status).not.toBe(0);
  expect(child.stderr).toContain('[BINARY_NOT_FOUND]');
  expect(child.stderr).toContain(path.join(crate, 'target', 'x86_64-unknown-linux-gnu', 'release', 'single-fn'));
});

test('a failing cross build is BUILD_FAILED with its exit status and first error lines', () => {
  const rec = crossRecorder({
    exitCode: 101,
    stderrLines: [
      '   Compiling single-fn v0.1.0',
      "error[E0463]: can't find crate for `core`",
      '  = note: the target may not be installed',
    ],
  });
  const crate = copySingle(tempDir('cross-fail'));
  const child = synthWithCross(rec, crate);
  expect(child.status).not.toBe(0);
  expect(child.stderr).toContain('[BUILD_FAILED]');
  expect(child.stderr).toContain('exit status 101');
  expect(child.stderr).toContain("error[E0463]: can't find crate for `core`\n  = note: the target may not be installed");
});

test('CROSS without cross on PATH is TOOL_MISSING with the install command', () => {
  const noCross = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => !fs.existsSync(path.join(d, 'cross')))
    .join(path.delimiter);
  expect(which('cross', noCross)).toBeUndefined();
  const child = synthInChild(
    { entry: copySingle(tempDir('cross-missing')), bundling: { packageManagerType: CROSS } },
    { ...process.env, PATH: noCross },
  );
  expect(child.status).not.toBe(0);
  expect(child.stderr).toContain('[TOOL_MISSING]');
  expect(child.stderr).toContain('cargo install cross');
});
