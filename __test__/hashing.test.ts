/**
 * Precise source hashing: the asset hash (the S3Key) is a digest of exactly
 * the files that feed the function's binary and of its build configuration,
 * computed before any build. The same sources give the same template in any
 * folder at any mtime; an edit changes only the functions built from the
 * edited files; an unchanged re-synth runs no build tool; skipping bundling
 * gives the key a real build gives.
 *
 * Build-tool invocations are counted with a `cargo-lambda` PATH shim in a
 * child process: jest gives each test file a copy of `process.env`, which
 * the native addon (and the tools it spawns) never see, so a shim put on
 * `process.env.PATH` in this process would never be called.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rust from '../lib';
import { synthAppInChild } from './support/child';
import { stagedAssetOf } from './support/recorder';
import { invokeBootstrap } from './support/runtime-api';
import { cargoLambdaShim } from './support/shim';
import { bootstrapOf, copyFixtures, copySingle, functionIds, type Synthesized, s3KeyOf, synth, tempDir } from './support/synth';
import { extractZip } from './support/zip';

/** Context that skips bundling for every stack (as `cdk synth --exclusively` of nothing). */
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/** The S3Key of the function whose construct id is `id`. */
function keyOf(s: { json: any }, id: string): string {
  const found = functionIds(s.json).filter((logicalId) => new RegExp(`^${id}[0-9A-F]{8}$`).test(logicalId));
  if (found.length !== 1) throw new Error(`expected one function ${id}, got ${functionIds(s.json)}`);
  return s3KeyOf(s.json, found[0]);
}

/** Sets the access and modification times of `dir` and everything under it. */
function touchAll(dir: string, when: Date): number {
  let count = 0;
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    fs.utimesSync(path.join(dir, rel), when, when);
    count++;
  }
  fs.utimesSync(dir, when, when);
  return count;
}

describe('the same sources in two folders, with different mtimes', () => {
  test('synthesize deeply equal templates, S3Key included', () => {
    const first = copySingle(tempDir('hash-folder-a'));
    const secondParent = path.join(tempDir('hash-folder-b'), 'deeper', 'and a space');
    fs.mkdirSync(secondParent, { recursive: true });
    const second = copySingle(secondParent);
    // Every file and folder of the second copy gets one old mtime; the first keeps the copy's.
    expect(touchAll(secondParent, new Date('2001-02-03T04:05:06Z'))).toBeGreaterThan(6);
    expect(fs.statSync(path.join(second, 'src', 'main.rs')).mtimeMs).not.toBe(fs.statSync(path.join(first, 'src', 'main.rs')).mtimeMs);

    const define = (entry: string) => (stack: Stack) => new rust.RustFunction(stack, 'Fn', { entry, memorySize: 256 });
    const a = synth(define(first));
    const b = synth(define(second));
    expect(keyOf(a, 'Fn')).toMatch(/^[0-9a-f]{64}\.zip$/);
    expect(b.json).toEqual(a.json);
  });
});

describe('editing one workspace member changes only the functions built from it', () => {
  const workspace = copyFixtures(tempDir('hash-ws'), 'workspace', 'mini_lambda');
  const keys = () => {
    const s = synth((stack) => {
      new rust.RustFunction(stack, 'Alpha', { entry: workspace, binaryName: 'alpha' });
      new rust.RustFunction(stack, 'Beta', { entry: workspace, binaryName: 'beta' });
    });
    return { alpha: keyOf(s, 'Alpha'), beta: keyOf(s, 'Beta') };
  };
  const initial = keys();

  test('an unchanged workspace gives the same keys again', () => {
    expect(keys()).toEqual(initial);
    expect(initial.alpha).not.toBe(initial.beta);
  });

  test("a comment appended to alpha's main.rs changes alpha's key, not beta's", () => {
    const before = keys();
    fs.appendFileSync(path.join(workspace, 'members', 'alpha', 'src', 'main.rs'), '\n// edited by hashing.test.ts\n');
    const after = keys();
    expect(after.alpha).not.toBe(before.alpha);
    expect(after.beta).toBe(before.beta);
  });

  test("an edit of shared's lib.rs (beta's path dependency) changes beta's key, not alpha's", () => {
    const before = keys();
    fs.appendFileSync(path.join(workspace, 'members', 'shared', 'src', 'lib.rs'), '\n// edited by hashing.test.ts\n');
    const after = keys();
    expect(after.beta).not.toBe(before.beta);
    expect(after.alpha).toBe(before.alpha);
  });
});

describe('a non-virtual workspace root (fixtures/rooted): the root package does not contain its member', () => {
  const rooted = copyFixtures(tempDir('hash-rooted'), 'rooted', 'mini_lambda');
  const keys = () => {
    const s = synth(
      (stack) => {
        new rust.RustFunction(stack, 'Root', { entry: rooted });
        new rust.RustFunction(stack, 'Member', { entry: rooted, binaryName: 'rooted-member' });
      },
      { context: SKIP_BUNDLING },
    );
    return { root: keyOf(s, 'Root'), member: keyOf(s, 'Member') };
  };

  test("editing the member changes only the member's key; editing the root's main.rs only the root's", () => {
    const initial = keys();
    fs.appendFileSync(path.join(rooted, 'member', 'src', 'main.rs'), '\n// edited\n');
    const memberEdited = keys();
    expect(memberEdited.member).not.toBe(initial.member);
    expect(memberEdited.root).toBe(initial.root);
    fs.appendFileSync(path.join(rooted, 'src', 'main.rs'), '\n// edited\n');
    const rootEdited = keys();
    expect(rootEdited.root).not.toBe(memberEdited.root);
    expect(rootEdited.member).toBe(memberEdited.member);
  });
});

describe('the build configuration is part of the key', () => {
  const crate = copySingle(tempDir('hash-config'));
  const keyWith = (props: rust.RustFunctionProps) =>
    keyOf(
      synth((stack) => new rust.RustFunction(stack, 'Fn', { entry: crate, ...props }), { context: SKIP_BUNDLING }),
      'Fn',
    );
  const base = keyWith({});

  test('extraBuildArgs, environment and architecture each change the S3Key', () => {
    const variants = {
      base,
      locked: keyWith({ bundling: { extraBuildArgs: ['--locked'] } }),
      environment: keyWith({ bundling: { environment: { FIXTURE_GREETING: 'hi' } } }),
      otherValue: keyWith({ bundling: { environment: { FIXTURE_GREETING: 'ho' } } }),
      arm: keyWith({ architecture: lambda.Architecture.ARM_64 }),
    };
    expect(new Set(Object.values(variants)).size).toBe(Object.keys(variants).length);
    // and nothing else moves it: the same props give the same key
    expect(keyWith({})).toBe(base);
    expect(keyWith({ bundling: { extraBuildArgs: ['--locked'] } })).toBe(variants.locked);
    expect(keyWith({ architecture: lambda.Architecture.X86_64, memorySize: 1024 })).toBe(base);
  });

  test('assetHash fixes the key: derived from it, unmoved by source edits', () => {
    const fixed = keyWith({ bundling: { assetHash: 'fixed' } });
    expect(fixed).toMatch(/^[0-9a-f]{64}\.zip$/);
    expect(fixed).not.toBe(base);
    expect(keyWith({ bundling: { assetHash: 'fixed-2' } })).not.toBe(fixed);

    fs.appendFileSync(path.join(crate, 'src', 'main.rs'), '\n// edited by hashing.test.ts\n');
    expect(keyWith({})).not.toBe(base); // the source-derived key does move...
    expect(keyWith({ bundling: { assetHash: 'fixed' } })).toBe(fixed); // ...the fixed one does not
  });
});

test('assetHashType OUTPUT builds, and its key is the hash of the (deterministic) output', async () => {
  const crate = copySingle(tempDir('hash-output'));
  const define = (stack: Stack) => new rust.RustFunction(stack, 'Fn', { entry: crate, bundling: { assetHashType: AssetHashType.OUTPUT } });
  const s = synth(define);
  const key = keyOf(s, 'Fn');
  expect(key).toMatch(/^[0-9a-f]{64}\.zip$/);
  const answer = await invokeBootstrap(bootstrapOf(s, functionIds(s.json)[0]), 'out');
  expect(answer.json).toEqual({ function: 'single-fn', greeting: 'hello', input: 'out' });
  const sourceKey = keyOf(
    synth((stack) => new rust.RustFunction(stack, 'Fn', { entry: crate }), { context: SKIP_BUNDLING }),
    'Fn',
  );
  expect(key).not.toBe(sourceKey);
  // A second synth into another cdk.out stages the same bytes, so the same key.
  expect(keyOf(synth(define), 'Fn')).toBe(key);
});

describe('re-synthesizing after an edit, in the same process', () => {
  // A long-lived process that synthesizes more than once (jest --watch, a test
  // suite that edits sources between synths) must stage what the new hash
  // says: the edited sources' binary.
  const crate = copySingle(tempDir('hash-edit'));
  const main = path.join(crate, 'src', 'main.rs');
  const define = (stack: Stack) => new rust.RustFunction(stack, 'Fn', { entry: crate });
  let before: Synthesized;
  let after: Synthesized;

  beforeAll(() => {
    before = synth(define);
    const source = fs.readFileSync(main, 'utf8');
    const edited = source.replace('unwrap_or("hello")', 'unwrap_or("hello, edited")');
    expect(edited).not.toBe(source);
    fs.writeFileSync(main, edited);
    after = synth(define);
  });

  test('the S3Key follows the edit', async () => {
    expect(keyOf(after, 'Fn')).not.toBe(keyOf(before, 'Fn'));
    const old = await invokeBootstrap(bootstrapOf(before, functionIds(before.json)[0]), 1);
    expect(old.json.greeting).toBe('hello');
  });

  // Regression: builds reused within a process are checked against the
  // sources they were built from (jest --watch, apps that synthesize twice).
  test('the asset staged under the new key is built from the edited sources', async () => {
    const answer = await invokeBootstrap(bootstrapOf(after, functionIds(after.json)[0]), 1);
    expect(answer.json.greeting).toBe('hello, edited');
  });
});

describe('a synth with nothing changed runs no build (counted with a cargo-lambda PATH shim)', () => {
  const crate = copySingle(tempDir('hash-zero'));
  const shim = cargoLambdaShim();
  const env = { ...process.env, PATH: shim.path };
  const spec = { functions: [{ id: 'Fn', entry: crate }] };
  const lines = () => shim.calls();
  const synthInChild = (outdir: string, context?: Record<string, unknown>) => {
    const s = synthAppInChild({ ...spec, context }, env, outdir);
    if (s.status !== 0) throw new Error(`child synth failed (${s.status}):\n${s.stderr}`);
    return { json: s.json, stderr: s.stderr };
  };
  const outdir = tempDir('hash-zero-out');
  let firstKey: string;

  test('the first synth builds once; a second synth into the same cdk.out builds nothing', async () => {
    const first = synthInChild(outdir);
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatch(/^lambda build .*--bin single-fn/);
    firstKey = keyOf(first, 'Fn');
    const unzipped = tempDir('hash-zero-unzipped');
    extractZip(stagedAssetOf(outdir, first.json, functionIds(first.json)[0]), unzipped);
    const answer = await invokeBootstrap(path.join(unzipped, 'bootstrap'), 'z');
    expect(answer.json.input).toBe('z');

    const second = synthInChild(outdir);
    expect(lines()).toHaveLength(1);
    expect(second.stderr).toContain('cdk-lambda-rust: TestStack/Fn (x86_64): unchanged');
    expect(keyOf(second, 'Fn')).toBe(firstKey);
  });

  test("with bundling skipped ('aws:cdk:bundling-stacks': []) nothing builds, and the key is the real build's", () => {
    const skipped = tempDir('hash-zero-skip');
    const s = synthInChild(skipped, SKIP_BUNDLING);
    expect(lines()).toHaveLength(1);
    expect(s.stderr).not.toMatch(/built with|reused|Bundling asset/);
    expect(fs.readdirSync(skipped).filter((f) => f.startsWith('asset.'))).toEqual([]);
    expect(keyOf(s, 'Fn')).toBe(firstKey);
  });
});
