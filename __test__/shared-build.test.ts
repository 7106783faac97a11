/**
 * Many functions, one build: functions of one workspace with the same build
 * configuration share one cargo invocation; different configurations get
 * their own builds and their own binaries. Invocations are counted with a
 * PATH shim, in a child process (the addon only sees a real environment).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { synthAppInChild } from './support/child';
import { stagedAssetOf } from './support/recorder';
import { invokeBootstrap } from './support/runtime-api';
import { cargoLambdaShim } from './support/shim';
import { copyFixtures, copySingle, functionIds, tempDir } from './support/synth';
import { extractZip } from './support/zip';

async function answer(outdir: string, json: any, logicalId: string, event: unknown): Promise<any> {
  const dir = tempDir('unzipped');
  extractZip(stagedAssetOf(outdir, json, logicalId), dir);
  return (await invokeBootstrap(path.join(dir, 'bootstrap'), event)).json;
}

function idFor(json: any, prefix: string): string {
  const id = functionIds(json).find((i) => i.startsWith(prefix));
  if (!id) throw new Error(`no function ${prefix} in ${functionIds(json)}`);
  return id;
}

describe('two functions of one workspace, one configuration', () => {
  const workspace = copyFixtures(tempDir('shared'), 'workspace', 'mini_lambda');
  const shim = cargoLambdaShim();
  const env = { ...process.env, PATH: shim.path };
  const spec = {
    functions: [
      { id: 'Alpha', entry: workspace, binaryName: 'alpha' },
      { id: 'Beta', entry: workspace, binaryName: 'beta' },
    ],
  };
  const first = synthAppInChild(spec, env);

  test('cost exactly one cargo invocation, and each function answers as itself', async () => {
    expect(first.status).toBe(0);
    expect(shim.calls()).toHaveLength(1);
    expect(shim.calls()[0]).toMatch(/--bin alpha --bin beta/);
    expect(first.stderr).toMatch(/TestStack\/Alpha \(x86_64\): built with cargo-lambda \(2 binaries in one cargo invocation\)/);
    expect(first.stderr).toMatch(/TestStack\/Beta \(x86_64\): reused from this synth's build/);
    expect(await answer(first.outdir, first.json, idFor(first.json, 'Alpha'), 'a')).toEqual({ function: 'alpha', input: 'a' });
    expect(await answer(first.outdir, first.json, idFor(first.json, 'Beta'), 'b')).toEqual({
      function: 'beta',
      tag: 'shared-v1',
      input: 'b',
    });
  });

  test('a synth with nothing changed starts no cargo process at all and says so', () => {
    expect(shim.metadataCalls().length).toBeGreaterThan(0);
    const metadataBefore = shim.metadataCalls().length;
    const again = synthAppInChild(spec, env, first.outdir);
    expect(again.status).toBe(0);
    expect(shim.calls()).toHaveLength(1);
    // Resolution answered from the disk cache of `cargo metadata`.
    expect(shim.metadataCalls()).toHaveLength(metadataBefore);
    expect(again.stderr).toMatch(/TestStack\/Alpha \(x86_64\): unchanged/);
    expect(again.stderr).toMatch(/TestStack\/Beta \(x86_64\): unchanged/);
  });

  test("the FUNCTION build scope builds only each function's binary", () => {
    const scoped = cargoLambdaShim();
    const functions = spec.functions.map((f) => ({ ...f, bundling: { buildScope: 'function' } }));
    const s = synthAppInChild({ functions }, { ...process.env, PATH: scoped.path });
    expect(s.status).toBe(0);
    expect(scoped.calls()).toHaveLength(2);
    expect(scoped.calls()[0]).not.toMatch(/--bin beta/);
  });
});

test('functions with different configurations get separate builds and their own binaries', async () => {
  const crate = copySingle(tempDir('configs'));
  const shim = cargoLambdaShim();
  const spec = {
    functions: [
      { id: 'Plain', entry: crate },
      { id: 'Loud', entry: crate, bundling: { extraBuildArgs: ['--features', 'loud'] } },
      { id: 'Greeted', entry: crate, bundling: { environment: { FIXTURE_GREETING: 'bonjour' } } },
      { id: 'PlainAgain', entry: crate, bundling: { extraBuildArgs: [] } },
    ],
  };
  const s = synthAppInChild(spec, { ...process.env, PATH: shim.path });
  expect(s.status).toBe(0);
  // PlainAgain has Plain's configuration and sources: the same asset, no build.
  expect(shim.calls()).toHaveLength(3);
  const greeting = async (prefix: string) => (await answer(s.outdir, s.json, idFor(s.json, prefix), 0)).greeting;
  expect(await greeting('Plain')).toBe('hello');
  expect(await greeting('Loud')).toBe('HELLO');
  expect(await greeting('Greeted')).toBe('bonjour');
  expect(await greeting('PlainAgain')).toBe('hello');
});

describe('a failed shared build', () => {
  const workspace = copyFixtures(tempDir('shared-fallback'), 'workspace', 'mini_lambda');
  // beta does not compile, so the shared build of alpha and beta fails.
  fs.appendFileSync(path.join(workspace, 'members', 'beta', 'src', 'main.rs'), '\nfn broken() -> u32 { undefined_name }\n');

  test("falls back to building the function's own binary alone, which succeeds for alpha", async () => {
    const shim = cargoLambdaShim();
    const s = synthAppInChild({ functions: [{ id: 'Alpha', entry: workspace, binaryName: 'alpha' }] }, { ...process.env, PATH: shim.path });
    expect(s.status).toBe(0);
    const calls = shim.calls();
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatch(/ --bin alpha --bin beta$/);
    expect(calls[1]).toMatch(/ --package alpha --bin alpha$/);
    expect(s.stderr).toContain('cdk-lambda-rust: the shared build of 2 binaries failed; building `alpha` alone.');
    expect(s.stderr).toContain('TestStack/Alpha (x86_64): built with cargo-lambda (1 binary in one cargo invocation)');
    expect(await answer(s.outdir, s.json, idFor(s.json, 'Alpha'), 'a')).toEqual({ function: 'alpha', input: 'a' });
  });

  test('and a function whose own binary is broken fails with its own error after building alone', () => {
    const shim = cargoLambdaShim();
    const s = synthAppInChild({ functions: [{ id: 'Beta', entry: workspace, binaryName: 'beta' }] }, { ...process.env, PATH: shim.path });
    expect(s.status).not.toBe(0);
    expect(shim.calls()).toHaveLength(2);
    expect(shim.calls()[1]).toMatch(/ --package beta --bin beta$/);
    expect(s.stderr).toMatch(/\[BUILD_FAILED\][\s\S]*cannot find value `undefined_name`/);
  });
});

test('members that depend on lambda_runtime, lambda_http or lambda-extension join the shared build; other binaries do not', () => {
  // fixtures/runtime_deps has no [package.metadata.lambda] table, and its
  // dependencies are not downloaded: cargo-lambda is replaced by a shim that
  // only records the build it was asked for, and fails.
  const workspace = copyFixtures(tempDir('runtime-deps'), 'runtime_deps');
  const shim = cargoLambdaShim({ failWith: 1 });
  const s = synthAppInChild({ functions: [{ id: 'Cli', entry: workspace, binaryName: 'cli' }] }, { ...process.env, PATH: shim.path });
  expect(s.status).not.toBe(0);
  const [shared] = shim.calls();
  const flags = (flag: string) => [...shared.matchAll(new RegExp(`${flag} (\\S+)`, 'g'))].map((m) => m[1]);
  expect(flags('--bin')).toEqual(['cli', 'renamed', 'with-extension', 'with-http', 'with-runtime']);
  expect(flags('--package')).toEqual(['cli', 'renamed', 'with-extension', 'with-http', 'with-runtime']);
});
