/**
 * The asset store: a synth into a fresh output folder takes a function's zip
 * from the store instead of building, byte for byte what a build stages; a
 * damaged entry is dropped and rebuilt; concurrent synths never see a
 * partial entry; the size limit prunes; the opt-out works; another
 * toolchain is another key; Docker-built assets go in too.
 *
 * (jest.config.js switches the store off for every other test: here each
 * synth runs in a child process with the store on and a cache of its own.)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { finished, startAppInChild, synthAppInChild } from './support/child';
import { dockerRecorder, stagedAssetOf } from './support/recorder';
import { invokeBootstrap } from './support/runtime-api';
import { cargoLambdaShim } from './support/shim';
import { copySingle, functionIds, tempDir } from './support/synth';
import { extractZip } from './support/zip';

function setup(label: string) {
  const crate = copySingle(tempDir(label));
  const shim = cargoLambdaShim();
  const cache = tempDir(`${label}-cache`);
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    PATH: shim.path,
    CDK_LAMBDA_RUST_CACHE_DIR: cache,
    CDK_LAMBDA_RUST_ASSET_STORE: 'on',
    ...extra,
  });
  const spec = { functions: [{ id: 'Fn', entry: crate }] };
  const synth = (extra: Record<string, string> = {}) => {
    const s = synthAppInChild(spec, env(extra));
    expect(s.status).toBe(0);
    return { ...s, zip: fs.readFileSync(stagedAssetOf(s.outdir, s.json, functionIds(s.json)[0])) };
  };
  const store = path.join(cache, 'assets');
  const entries = () => (fs.existsSync(store) ? fs.readdirSync(store).filter((f) => f.endsWith('.zip') && !f.startsWith('.')) : []);
  return { crate, shim, cache, env, spec, synth, store, entries };
}

test('after one build, a synth into a fresh output folder starts no cargo and stages the same bytes', async () => {
  const t = setup('store-hit');
  const first = t.synth();
  expect(t.shim.calls()).toHaveLength(1);
  expect(t.entries()).toHaveLength(1);
  const metadataBefore = t.shim.metadataCalls().length;
  const second = t.synth();
  expect(t.shim.calls()).toHaveLength(1);
  expect(t.shim.metadataCalls()).toHaveLength(metadataBefore);
  expect(second.stderr).toContain('cdk-lambda-rust: TestStack/Fn (x86_64): taken from the asset store');
  expect(second.zip.equals(first.zip)).toBe(true);
  const unzipped = tempDir('store-hit-unzipped');
  extractZip(stagedAssetOf(second.outdir, second.json, functionIds(second.json)[0]), unzipped);
  expect((await invokeBootstrap(path.join(unzipped, 'bootstrap'), 's')).json.input).toBe('s');
});

test.each([
  [
    'altered',
    (file: string) => {
      const bytes = fs.readFileSync(file);
      bytes[bytes.length >> 1] ^= 0xff;
      fs.writeFileSync(file, bytes);
    },
  ],
  ['truncated', (file: string) => fs.truncateSync(file, 100)],
])('an %s entry is detected, dropped and rebuilt, never staged', (_, damage) => {
  const t = setup('store-damage');
  const first = t.synth();
  damage(path.join(t.store, t.entries()[0]));
  const second = t.synth();
  expect(t.shim.calls()).toHaveLength(2);
  expect(second.stderr).not.toContain('taken from the asset store');
  expect(second.zip.equals(first.zip)).toBe(true);
  // The rebuilt entry replaced the damaged one.
  const third = t.synth();
  expect(t.shim.calls()).toHaveLength(2);
  expect(third.zip.equals(first.zip)).toBe(true);
});

test('concurrent synths: cold ones build and file one entry; warm ones both restore the same bytes', async () => {
  const t = setup('store-concurrent');
  const run = async () => {
    const children = [0, 1].map(() => startAppInChild(t.spec, t.env(), tempDir('store-concurrent-out')));
    const results = await Promise.all(children.map(finished));
    for (const r of results) expect(r.code).toBe(0);
  };
  await run();
  expect(t.entries()).toHaveLength(1);
  const buildsCold = t.shim.calls().length;
  expect(buildsCold).toBeGreaterThanOrEqual(1);
  await run();
  expect(t.shim.calls()).toHaveLength(buildsCold);
  const reference = t.synth().zip;
  expect(t.shim.calls()).toHaveLength(buildsCold);
  expect(reference.length).toBeGreaterThan(1000);
});

test('the size limit prunes: with no room, nothing is kept and the next synth builds', () => {
  const t = setup('store-limit');
  t.synth({ CDK_LAMBDA_RUST_ASSET_STORE_MAX_MB: '0' });
  expect(t.entries()).toEqual([]);
  t.synth({ CDK_LAMBDA_RUST_ASSET_STORE_MAX_MB: '0' });
  expect(t.shim.calls()).toHaveLength(2);
});

test('the opt-out: CDK_LAMBDA_RUST_ASSET_STORE=off builds every time and keeps nothing', () => {
  const t = setup('store-off');
  t.synth({ CDK_LAMBDA_RUST_ASSET_STORE: 'off' });
  t.synth({ CDK_LAMBDA_RUST_ASSET_STORE: 'off' });
  expect(t.shim.calls()).toHaveLength(2);
  expect(t.entries()).toEqual([]);
});

test('another toolchain (rustc -vV) is another key: the store misses and builds', () => {
  const t = setup('store-toolchain');
  t.synth();
  // A rustc that reports another version but compiles as the real one.
  const dir = tempDir('store-rustc');
  const rustc = path.join(dir, 'rustc');
  const real = execFileSync('sh', ['-c', 'command -v rustc'], { encoding: 'utf8' }).trim();
  fs.writeFileSync(
    rustc,
    `#!/bin/sh\nif [ "$1" = "-vV" ]; then "${real}" -vV | sed 's/^release: .*/release: 9.99.0/'; exit; fi\nexec "${real}" "$@"\n`,
    {
      mode: 0o755,
    },
  );
  const other = t.synth({ RUSTC: rustc });
  expect(t.shim.calls()).toHaveLength(2);
  expect(other.stderr).not.toContain('taken from the asset store');
  expect(t.entries()).toHaveLength(2);
});

test('a Docker-built asset goes in too, keyed by its image: the next synth runs no container', () => {
  const t = setup('store-docker');
  const recorder = dockerRecorder();
  const spec = { functions: [{ id: 'Fn', entry: t.crate, bundling: { forceDockerBundling: true } }] };
  const env = t.env({ CDK_DOCKER: recorder.executable });
  const first = synthAppInChild(spec, env);
  expect(first.status).toBe(0);
  expect(recorder.runs()).toHaveLength(1);
  expect(t.entries()).toHaveLength(1);
  const second = synthAppInChild(spec, env);
  expect(second.status).toBe(0);
  expect(recorder.runs()).toHaveLength(1);
  expect(second.stderr).toContain('taken from the asset store');
  // No local build ran at all: the zip came from what the container staged.
  expect(t.shim.calls()).toHaveLength(0);
});
