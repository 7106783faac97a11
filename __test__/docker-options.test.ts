/**
 * Docker bundling options the README promises and docker.test.ts does not
 * cover: `platform`, `command`, `entrypoint` and `workingDirectory` overrides,
 * `volumes` in the asset hash, and the Docker fallback's asset hash. As in
 * docker.test.ts, `$CDK_DOCKER` is the recording stand-in (support/recorder.ts):
 * these tests check what CDK would ask of Docker, not a container build.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as rust from '../lib';
import { synthAppInChild } from './support/child';
import {
  dockerRecorder,
  flagValues,
  PLACEHOLDER_BOOTSTRAP,
  pathWithoutLocalTools,
  splitRun,
  stagedAssetOf,
  withEnv,
} from './support/recorder';
import { functionIds, s3KeyOf, synth, tempDir } from './support/synth';

const single = path.join(__dirname, 'fixtures', 'single');
const recorder = dockerRecorder();
const cacheHome = tempDir('docker-options-cache');
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/** Synthesizes one function with `bundling` (Docker forced), with the recorder as Docker; returns the run's argv parts. */
function dockerRun(bundling: rust.BundlingOptions) {
  recorder.reset();
  const s = withEnv({ CDK_DOCKER: recorder.executable, XDG_CACHE_HOME: cacheHome }, () =>
    synth((stack) => new rust.RustFunction(stack, 'Fn', { entry: single, bundling: { forceDockerBundling: true, ...bundling } })),
  );
  const runs = recorder.runs();
  expect(runs).toHaveLength(1);
  return { s, ...splitRun(runs[0], rust.DEFAULT_DOCKER_IMAGE) };
}

describe('Docker run overrides', () => {
  test('platform changes the container platform only, never the target of the binary', () => {
    const { options, command } = dockerRun({ platform: 'linux/arm64' });
    expect(flagValues(options, '--platform')).toEqual(['linux/arm64']);
    expect(flagValues(command, '--target')).toEqual(['x86_64-unknown-linux-gnu']);
  });

  test('command replaces the whole container command, hooks and build included; entrypoint and workingDirectory reach docker run', () => {
    const hookCalls: string[] = [];
    const { s, options, command } = dockerRun({
      command: ['-c', 'cp /asset-input/prebuilt /asset-output/bootstrap'],
      entrypoint: ['/bin/sh', '-e'],
      workingDirectory: '/asset-input/single',
      commandHooks: {
        beforeBundling: () => {
          hookCalls.push('before');
          return ['echo before-hook'];
        },
        afterBundling: () => {
          hookCalls.push('after');
          return ['echo after-hook'];
        },
      },
    });
    // CDK: `--entrypoint <first>`, then the image, the entrypoint's other words, the command.
    expect(flagValues(options, '--entrypoint')).toEqual(['/bin/sh']);
    expect(flagValues(options, '-w')).toEqual(['/asset-input/single']);
    expect(command).toEqual(['-e', '-c', 'cp /asset-input/prebuilt /asset-output/bootstrap']);
    expect(command.join(' ')).not.toMatch(/cargo|hook/);
    // The asset is what the container left in /asset-output.
    const asset = stagedAssetOf(s.outdir, s.json, functionIds(s.json)[0]);
    expect(fs.readFileSync(path.join(asset, 'bootstrap'), 'latin1')).toContain(PLACEHOLDER_BOOTSTRAP);
  });
});

describe('volumes in the asset hash', () => {
  const keyWith = (volumes?: { hostPath: string; containerPath: string }[]) => {
    const s = synth((stack) => new rust.RustFunction(stack, 'Fn', { entry: single, bundling: { forceDockerBundling: true, volumes } }), {
      context: SKIP_BUNDLING,
    });
    return s3KeyOf(s.json, functionIds(s.json)[0]);
  };

  test('their host paths enter the hash: another path, another key; the same path, the same key', () => {
    const [a, b] = [tempDir('volume-a'), tempDir('volume-b')];
    const none = keyWith();
    const withA = keyWith([{ hostPath: a, containerPath: '/data' }]);
    expect(withA).not.toBe(none);
    expect(keyWith([{ hostPath: b, containerPath: '/data' }])).not.toBe(withA);
    expect(keyWith([{ hostPath: a, containerPath: '/data' }])).toBe(withA);
    expect(keyWith([{ hostPath: a, containerPath: '/elsewhere' }])).not.toBe(withA);
  });
});

test('the Docker fallback (no local tool) stages under the same S3Key as a local build', () => {
  const env = { ...process.env, CDK_DOCKER: recorder.executable, XDG_CACHE_HOME: cacheHome };
  const spec = { functions: [{ id: 'Fn', entry: single }] };
  recorder.reset();
  const local = synthAppInChild(spec, env);
  expect(local.status).toBe(0);
  expect(local.stderr).toContain('TestStack/Fn (x86_64): built with cargo-lambda');
  expect(recorder.runs()).toEqual([]);

  const fallback = synthAppInChild(spec, { ...env, PATH: pathWithoutLocalTools() });
  expect(fallback.status).toBe(0);
  expect(fallback.stderr).toContain('neither cargo-lambda nor cargo-zigbuild is on PATH, so it is built with Docker');
  expect(recorder.runs()).toHaveLength(1);

  const key = (s: { json?: any }) => s3KeyOf(s.json, functionIds(s.json)[0]);
  expect(key(fallback)).toBe(key(local));
});
