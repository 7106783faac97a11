/**
 * Docker bundling, checked through the argv CDK hands to Docker. No Docker
 * engine runs here: CDK runs `$CDK_DOCKER` instead of `docker`, and that is
 * a recorder (support/recorder.ts) that logs each call and leaves a
 * placeholder `bootstrap` where CDK collects the output. These tests prove
 * what would be asked of Docker, not that a Docker build works.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BundlingFileAccess, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rust from '../lib';
import {
  dockerRecorder,
  flagValues,
  PLACEHOLDER_BOOTSTRAP,
  pathWithoutLocalTools,
  splitRun,
  stagedAssetOf,
  synthInChild,
  which,
  withEnv,
} from './support/recorder';
import { copySingle, functionIds, s3KeyOf, synth, tempDir } from './support/synth';

const single = path.join(__dirname, 'fixtures', 'single');
// `single` depends on `../mini_lambda`: the container gets the folder holding
// both, and builds the workspace below it.
const sourceRoot = path.dirname(single);
const workspace = '/asset-input/single';
const recorder = dockerRecorder();
const cacheHome = tempDir('xdg-cache');
const defaultCache = path.join(cacheHome, 'cdk-lambda-rust', 'cargo-home');
/**
 * The `--lambda-dir` of a recorded build: a folder per build configuration
 * (triple, profile, then a digest of the configuration) in the container's
 * own target directory.
 */
function lambdaDirOf(command: string[], triple: string): string {
  const dir = flagValues(command, '--lambda-dir')[0];
  expect(dir).toMatch(new RegExp(`^${workspace}/target/cdk-lambda-rust-docker/cdk-lambda-rust/${triple}-release-[0-9a-f]{16}$`));
  return dir;
}

/** Synthesizes with the recorder as Docker and a cache home of the test's own. */
function dockerSynth(define: Parameters<typeof synth>[0], env: Record<string, string | undefined> = {}) {
  recorder.reset();
  return withEnv({ CDK_DOCKER: recorder.executable, XDG_CACHE_HOME: cacheHome, ...env }, () => synth(define));
}

/** The `bootstrap` Docker bundling staged: CDK keeps the container's output as a folder. */
function stagedBootstrap(outdir: string, json: any): string {
  const asset = stagedAssetOf(outdir, json, functionIds(json)[0]);
  expect(fs.statSync(asset).isDirectory()).toBe(true);
  return fs.readFileSync(path.join(asset, 'bootstrap'), 'latin1');
}

function onlyRun(): string[] {
  const runs = recorder.runs();
  expect(runs).toHaveLength(1);
  return runs[0];
}

/** `-v` values as host → container (consistency flags dropped). */
function mounts(options: string[]): Record<string, string> {
  return Object.fromEntries(
    flagValues(options, '-v').map((v) => {
      const m = /^(.*):(\/[^:]*):(?:z,)?delegated$/.exec(v);
      if (!m) throw new Error(`unexpected -v ${v}`);
      return [m[2], m[1]];
    }),
  );
}

describe('Docker bundling with the defaults', () => {
  let s: ReturnType<typeof synth>;
  let run: string[];
  beforeAll(() => {
    fs.rmSync(defaultCache, { recursive: true, force: true });
    s = dockerSynth((stack) => new rust.RustFunction(stack, 'Fn', { entry: single, bundling: { forceDockerBundling: true } }));
    run = onlyRun();
  });

  test('runs the pinned cargo-lambda image, never an untagged one', () => {
    expect(rust.DEFAULT_DOCKER_IMAGE).toBe('ghcr.io/cargo-lambda/cargo-lambda:1.9.2');
    expect(run).toContain(rust.DEFAULT_DOCKER_IMAGE);
    expect(run.some((a) => a === 'ghcr.io/cargo-lambda/cargo-lambda' || a.endsWith(':latest'))).toBe(false);
  });

  test('mounts the workspace and its outside path dependencies at /asset-input, the output folder and the cargo cache, as the host user', () => {
    const { options } = splitRun(run, rust.DEFAULT_DOCKER_IMAGE);
    expect(run.slice(0, 2)).toEqual(['run', '--rm']);
    const m = mounts(options);
    expect(m['/asset-input']).toBe(sourceRoot);
    expect(path.dirname(m['/asset-output'])).toBe(s.outdir);
    expect(m['/cargo-home']).toBe(defaultCache);
    // Created before Docker ran: a folder Docker creates for a bind mount belongs to root.
    expect(fs.statSync(defaultCache).isDirectory()).toBe(true);
    const { uid, gid } = os.userInfo();
    expect(flagValues(options, '-u')).toEqual([`${uid}:${gid}`]);
    // No --platform: the engine runs its own, and the image cross-compiles.
    expect(flagValues(options, '--platform')).toEqual([]);
    expect(flagValues(options, '--env')).toEqual(['XDG_CACHE_HOME=/cargo-home/.cache', 'CARGO_HOME=/cargo-home']);
    expect(flagValues(options, '-w')).toEqual(['/asset-input']);
    for (const absent of ['--network', '--security-opt', '--volumes-from']) expect(options).not.toContain(absent);
  });

  test('the container command is bash -c with the build as separate arguments', () => {
    const { command } = splitRun(run, rust.DEFAULT_DOCKER_IMAGE);
    expect(command.slice(0, 2)).toEqual(['bash', '-c']);
    const x86Dir = lambdaDirOf(command, 'x86_64-unknown-linux-gnu');
    expect(command.slice(3)).toEqual([
      'cdk-lambda-rust',
      `${x86Dir}/single-fn/bootstrap`,
      `${workspace}/target/cdk-lambda-rust-docker`,
      'cargo',
      'lambda',
      'build',
      '--release',
      '--target',
      'x86_64-unknown-linux-gnu',
      '--manifest-path',
      `${workspace}/Cargo.toml`,
      '--lambda-dir',
      x86Dir,
      '--package',
      'single-fn',
      '--bin',
      'single-fn',
    ]);
    const script = command[2];
    expect(script).not.toContain('single-fn');
    expect(script).toContain('cp "$binary" /asset-output/bootstrap');
  });

  test('the asset is what the container left in /asset-output (no local build ran)', () => {
    expect(stagedBootstrap(s.outdir, s.json)).toContain(PLACEHOLDER_BOOTSTRAP);
  });
});

describe('Docker bundling with every option', () => {
  const extraVolume = tempDir('extra-volume');
  const ownCache = path.join(tempDir('own-cache'), 'nested', 'cargo');
  let options: string[];
  let command: string[];
  const hookCalls: string[][] = [];

  beforeAll(() => {
    dockerSynth((stack) => {
      new rust.RustFunction(stack, 'Arm', {
        entry: single,
        architecture: lambda.Architecture.ARM_64,
        bundling: {
          forceDockerBundling: true,
          environment: { FIXTURE_GREETING: 'hi there', RUSTFLAGS: '-C target-cpu=neoverse-n1' },
          extraBuildArgs: ['--features', 'loud', '--config', 'profile.release.debug = "line-tables-only"'],
          network: 'host',
          securityOpt: 'no-new-privileges',
          user: '1234:5678',
          volumesFrom: ['777f7dc92da7'],
          volumes: [{ hostPath: extraVolume, containerPath: '/container-path' }],
          cargoCacheDir: ownCache,
          commandHooks: {
            beforeBundling: (i, o) => {
              hookCalls.push(['before', i, o]);
              return [`echo before ${i} ${o}`, 'export FROM_HOOK=1'];
            },
            afterBundling: (i, o) => {
              hookCalls.push(['after', i, o]);
              return [`cp ${i}/Cargo.toml ${o}/extra.toml`];
            },
          },
        },
      });
    });
    ({ options, command } = splitRun(onlyRun(), rust.DEFAULT_DOCKER_IMAGE));
  });

  test("an ARM_64 function's container runs at the engine's own platform: the target is aarch64, no emulation", () => {
    expect(flagValues(options, '--platform')).toEqual([]);
    expect(flagValues(command, '--target')).toEqual(['aarch64-unknown-linux-gnu']);
  });

  test('network, security-opt, user, volumes-from and volumes reach docker run', () => {
    expect(flagValues(options, '--network')).toEqual(['host']);
    expect(flagValues(options, '--security-opt')).toEqual(['no-new-privileges']);
    expect(flagValues(options, '-u')).toEqual(['1234:5678']);
    expect(flagValues(options, '--volumes-from')).toEqual(['777f7dc92da7']);
    const m = mounts(options);
    expect(m['/container-path']).toBe(extraVolume);
    expect(m['/cargo-home']).toBe(ownCache);
    expect(fs.statSync(ownCache).isDirectory()).toBe(true);
  });

  test('the environment reaches the container verbatim, with CARGO_HOME on the cache', () => {
    expect(flagValues(options, '--env').sort()).toEqual(
      [
        'CARGO_HOME=/cargo-home',
        'FIXTURE_GREETING=hi there',
        'RUSTFLAGS=-C target-cpu=neoverse-n1',
        'XDG_CACHE_HOME=/cargo-home/.cache',
      ].sort(),
    );
  });

  test('the build targets aarch64 with package, bin and extraBuildArgs as separate argv entries', () => {
    expect(command[5]).toBe(`${workspace}/target/cdk-lambda-rust-docker`);
    const build = command.slice(6);
    const armDir = lambdaDirOf(command, 'aarch64-unknown-linux-gnu');
    expect(build).toEqual([
      'cargo',
      'lambda',
      'build',
      '--release',
      '--target',
      'aarch64-unknown-linux-gnu',
      '--manifest-path',
      `${workspace}/Cargo.toml`,
      '--lambda-dir',
      armDir,
      '--package',
      'single-fn',
      '--bin',
      'single-fn',
      '--features',
      'loud',
      '--config',
      'profile.release.debug = "line-tables-only"',
    ]);
    expect(command[4]).toBe(`${armDir}/single-fn/bootstrap`);
  });

  test('hooks get the container paths and wrap the build inside the container', () => {
    expect(hookCalls).toEqual([
      ['before', workspace, '/asset-output'],
      ['after', workspace, '/asset-output'],
    ]);
    const script = command[2];
    const at = (text: string) => {
      const i = script.indexOf(text);
      expect(i).toBeGreaterThanOrEqual(0);
      return i;
    };
    const before = at(`echo before ${workspace} /asset-output && export FROM_HOOK=1`);
    const build = at('"$@"');
    const copy = at('cp "$binary" /asset-output/bootstrap');
    const after = at(`cp ${workspace}/Cargo.toml /asset-output/extra.toml`);
    expect(before).toBeLessThan(build);
    expect(build).toBeLessThan(copy);
    expect(copy).toBeLessThan(after);
  });
});

describe('Docker image, file access, failures', () => {
  test('a custom dockerImage is the image that runs', () => {
    dockerSynth((stack) => {
      new rust.RustFunction(stack, 'Custom', {
        entry: single,
        bundling: { forceDockerBundling: true, dockerImage: DockerImage.fromRegistry('my/image:1') },
      });
    });
    const run = onlyRun();
    expect(run).toContain('my/image:1');
    expect(run).not.toContain(rust.DEFAULT_DOCKER_IMAGE);
    expect(splitRun(run, 'my/image:1').command.slice(5, 9)).toEqual([
      `${workspace}/target/cdk-lambda-rust-docker`,
      'cargo',
      'lambda',
      'build',
    ]);
  });

  test('VOLUME_COPY copies through volumes and mounts no host folder into the build', () => {
    const s = dockerSynth((stack) => {
      new rust.RustFunction(stack, 'Copy', {
        entry: single,
        bundling: { forceDockerBundling: true, bundlingFileAccess: BundlingFileAccess.VOLUME_COPY },
      });
    });
    const calls = recorder.calls();
    const verbs = calls.map((c) => c.slice(0, 2).join(' '));
    expect(verbs[0]).toBe('volume create');
    expect(verbs[1]).toBe('volume create');
    const helper = calls[2];
    expect(helper.slice(0, 2)).toEqual(['run', '--name']);
    const container = helper[2];
    expect(calls[3]).toEqual(['cp', `${sourceRoot}/.`, `${container}:/asset-input`]);
    const { options } = splitRun(calls[4], rust.DEFAULT_DOCKER_IMAGE);
    expect(flagValues(options, '--volumes-from')).toEqual([container]);
    expect(flagValues(options, '-v')).toEqual([]);
    expect(flagValues(options, '--env')).toEqual([
      'XDG_CACHE_HOME=/tmp/cdk-lambda-rust-cache',
      'CARGO_HOME=/tmp/cdk-lambda-rust-cargo-home',
    ]);
    expect(flagValues(options, '--platform')).toEqual([]);
    expect(calls[5].slice(0, 2)).toEqual(['cp', `${container}:/asset-output/.`]);
    expect(verbs.slice(6)).toEqual([`rm ${container}`, 'volume rm', 'volume rm']);
    expect(stagedBootstrap(s.outdir, s.json)).toContain(PLACEHOLDER_BOOTSTRAP);
  });

  test('a failing container fails the synth with its exit status', () => {
    const failing = dockerRecorder({ runExitCode: 125 });
    expect(() =>
      withEnv({ CDK_DOCKER: failing.executable, XDG_CACHE_HOME: cacheHome }, () =>
        synth((stack) => new rust.RustFunction(stack, 'Fails', { entry: single, bundling: { forceDockerBundling: true } })),
      ),
    ).toThrow(/exited with status 125/);
  });

  test('CROSS cannot build inside Docker bundling, and says so at synth', () => {
    let error: any;
    try {
      dockerSynth((stack) => {
        new rust.RustFunction(stack, 'Cross', {
          entry: single,
          bundling: { forceDockerBundling: true, packageManagerType: rust.PackageManagerType.CROSS },
        });
      });
    } catch (e) {
      error = e;
    }
    expect(error?.code).toBe('INVALID_OPTION');
    expect(error?.message).toMatch(/CROSS/);
    expect(recorder.calls()).toEqual([]);
  });
});

describe('the asset hash of a Docker-bundled function', () => {
  test('is the same in two folders with two cargo caches, and changes with the image', () => {
    const synthIn = (label: string, image?: DockerImage) => {
      const crate = copySingle(tempDir(label));
      const cache = tempDir(`${label}-cache`);
      const s = dockerSynth(
        (stack) => new rust.RustFunction(stack, 'Fn', { entry: crate, bundling: { forceDockerBundling: true, dockerImage: image } }),
        { XDG_CACHE_HOME: cache },
      );
      const { options } = splitRun(onlyRun(), image?.image ?? rust.DEFAULT_DOCKER_IMAGE);
      return { key: s3KeyOf(s.json, functionIds(s.json)[0]), mounts: mounts(options) };
    };
    const a = synthIn('hash-a');
    const b = synthIn('hash-b');
    // The two synths really mounted different host folders...
    expect(a.mounts['/asset-input']).not.toBe(b.mounts['/asset-input']);
    expect(a.mounts['/cargo-home']).not.toBe(b.mounts['/cargo-home']);
    // ...and none of them entered the hash.
    expect(a.key).toBe(b.key);
    expect(synthIn('hash-c', DockerImage.fromRegistry('my/image:1')).key).not.toBe(a.key);
  });
});

describe('local bundling without a local tool (synthesized in a child process with its own PATH)', () => {
  const noTools = pathWithoutLocalTools();
  const env = () => ({ ...process.env, PATH: noTools, CDK_DOCKER: recorder.executable, XDG_CACHE_HOME: cacheHome });

  test('the PATH used here has cargo and rustc but neither cargo-lambda nor cargo-zigbuild', () => {
    expect(which('cargo', noTools)).toBeDefined();
    expect(which('rustc', noTools)).toBeDefined();
    expect(which('cargo-lambda', noTools)).toBeUndefined();
    expect(which('cargo-zigbuild', noTools)).toBeUndefined();
  });

  test('falls back to Docker, for the function architecture, with a note on stderr', () => {
    recorder.reset();
    const child = synthInChild({ entry: single, architecture: 'arm64' }, env());
    expect(child.stderr).not.toMatch(/built with cargo/);
    expect(child.status).toBe(0);
    expect(child.stderr).toContain(
      'cdk-lambda-rust: TestStack/Fn (arm64): neither cargo-lambda nor cargo-zigbuild is on PATH, so it is built with Docker ' +
        `(image ${rust.DEFAULT_DOCKER_IMAGE}, target arm64)`,
    );
    expect(child.stderr).toContain('pip install cargo-lambda');
    const { options, command } = splitRun(onlyRun(), rust.DEFAULT_DOCKER_IMAGE);
    expect(flagValues(options, '--platform')).toEqual([]);
    expect(flagValues(command, '--target')).toEqual(['aarch64-unknown-linux-gnu']);
    expect(stagedBootstrap(child.outdir, child.json)).toContain(PLACEHOLDER_BOOTSTRAP);
  });

  test('a requested tool that is missing is an error, not a silent switch to Docker', () => {
    recorder.reset();
    const child = synthInChild({ entry: single, bundling: { packageManagerType: rust.PackageManagerType.CARGO_ZIGBUILD } }, env());
    expect(child.status).not.toBe(0);
    expect(child.stderr).toContain('[TOOL_MISSING]');
    expect(child.stderr).toContain('pip install cargo-zigbuild');
    expect(recorder.calls()).toEqual([]);
  });
});
