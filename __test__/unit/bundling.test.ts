/**
 * The construct's own logic, with no cargo and no build: the exact Docker
 * command and options CDK gets, the JSON CDK folds into the asset hash, the
 * asset hash choices, and the mapping of our enums onto the addon's. The
 * resolved function is written by hand, as resolution would give it.
 */
import { AssetHashType, BundlingFileAccess, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as addon from '../../index';
import * as rust from '../../lib';
import { Bundling, type BundlingProps, DEFAULT_DOCKER_IMAGE } from '../../lib/bundling';
import { errorCode } from '../../lib/errors';
import * as native from '../../lib/native';
import { BuildScope, PackageManagerType } from '../../lib/types';

/** `single` (workspace root) and its path dependency, side by side under /src. */
const resolved: native.ResolvedFunction = {
  packageName: 'single-fn',
  binaryName: 'single-fn',
  workspaceRoot: '/src/single',
  sourceRoot: '/src',
  packageManifestPath: '/src/single/Cargo.toml',
  targetDirectory: '/src/single/target',
};

function bundling(extra: Partial<BundlingProps> = {}): Bundling {
  return new Bundling({
    resolved,
    architecture: lambda.Architecture.ARM_64,
    runtime: lambda.Runtime.PROVIDED_AL2023,
    label: 'TestStack/Fn (arm64)',
    cargoCacheDir: '/home/someone/.cache/cdk-lambda-rust/cargo-home',
    ...extra,
  });
}

/** What CDK hashes: the bundling options as JSON. */
function hashedJson(b: Bundling): any {
  return JSON.parse(JSON.stringify(b));
}

describe("the enums users pass are the addon's, value for value", () => {
  const sorted = (o: object) => Object.values(o).sort();
  test('PackageManagerType = BuildTool', () => {
    expect(sorted(PackageManagerType)).toEqual(sorted(addon.BuildTool));
    for (const v of Object.values(PackageManagerType)) expect(native.BUILD_TOOLS[v]).toBe(v);
  });
  test('BuildScope = BuildScope', () => {
    expect(sorted(BuildScope)).toEqual(sorted(addon.BuildScope));
    for (const v of Object.values(BuildScope)) expect(native.BUILD_SCOPES[v]).toBe(v);
  });
  test('lambda.Architecture names = Architecture', () => {
    expect(sorted(native.ARCHITECTURES)).toEqual(sorted(addon.Architecture));
    expect(native.architectureOf(lambda.Architecture.X86_64)).toBe('x86_64');
    expect(native.architectureOf(lambda.Architecture.ARM_64)).toBe('arm64');
  });
  test('plain JavaScript may pass an enum value or its name; anything else is INVALID_OPTION', () => {
    expect(native.buildToolOf('cargo-zigbuild')).toBe('cargo-zigbuild');
    expect(native.buildToolOf('CARGO_ZIGBUILD')).toBe('cargo-zigbuild');
    expect(native.buildScopeOf('FUNCTION')).toBe('function');
    expect(native.buildToolOf(undefined)).toBeUndefined();
    const error = (() => {
      try {
        native.buildToolOf('toString');
      } catch (e) {
        return e as native.CoreError;
      }
      throw new Error('no error');
    })();
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toContain('PackageManagerType.CARGO_LAMBDA, PackageManagerType.CARGO_ZIGBUILD, PackageManagerType.CROSS');
  });
  test('a custom architecture is INVALID_OPTION', () => {
    expect(() => native.architectureOf(lambda.Architecture.custom('riscv64', 'linux/riscv64'))).toThrow(
      /^\[INVALID_OPTION\] unsupported Lambda architecture `riscv64`/,
    );
  });
});

describe('Docker bundling, as CDK gets it', () => {
  test('the default image, platform, cache mount and command', () => {
    const b = bundling();
    expect(b.image.image).toBe(DEFAULT_DOCKER_IMAGE);
    // No platform: the engine's own; the image cross-compiles to the function's target.
    expect(b.platform).toBeUndefined();
    expect(b.environment).toEqual({ XDG_CACHE_HOME: '/cargo-home/.cache', CARGO_HOME: '/cargo-home' });
    expect(b.volumes).toEqual([
      expect.objectContaining({ hostPath: '/home/someone/.cache/cdk-lambda-rust/cargo-home', containerPath: '/cargo-home' }),
    ]);
    const [bash, dashC, script, name, binary, targetDir, ...build] = b.command;
    expect([bash, dashC, name]).toEqual(['bash', '-c', 'cdk-lambda-rust']);
    expect(script).toContain('"$@"');
    expect(targetDir).toBe('/asset-input/single/target/cdk-lambda-rust-docker');
    expect(binary).toMatch(
      /^\/asset-input\/single\/target\/cdk-lambda-rust-docker\/cdk-lambda-rust\/aarch64-unknown-linux-gnu-release-[0-9a-f]{16}\/single-fn\/bootstrap$/,
    );
    expect(build.slice(0, 6)).toEqual(['cargo', 'lambda', 'build', '--release', '--target', 'aarch64-unknown-linux-gnu']);
    expect(build.slice(6, 8)).toEqual(['--manifest-path', '/asset-input/single/Cargo.toml']);
    expect(build.slice(-4)).toEqual(['--package', 'single-fn', '--bin', 'single-fn']);
  });

  test('hooks get the container folders and become script text; user values stay arguments', () => {
    const seen: string[][] = [];
    const b = bundling({
      extraBuildArgs: ['--features', '$(touch /tmp/x)'],
      commandHooks: {
        beforeBundling: (i, o) => {
          seen.push([i, o]);
          return ['echo before'];
        },
        afterBundling: (i, o) => {
          seen.push([i, o]);
          return ['echo after'];
        },
      },
    });
    expect(seen).toEqual([
      ['/asset-input/single', '/asset-output'],
      ['/asset-input/single', '/asset-output'],
    ]);
    expect(b.command[2]).toMatch(/echo before[\s\S]*"\$@"[\s\S]*echo after/);
    expect(b.command[2]).not.toContain('touch');
    expect(b.command.slice(-2)).toEqual(['--features', '$(touch /tmp/x)']);
  });

  test('CROSS is refused in forced Docker bundling, and never run otherwise', () => {
    expect(() => bundling({ packageManagerType: PackageManagerType.CROSS, forceDockerBundling: true })).toThrow(
      /^\[INVALID_OPTION\] PackageManagerType.CROSS runs Docker itself/,
    );
    const b = bundling({ packageManagerType: PackageManagerType.CROSS });
    expect(b.command).toEqual([
      'bash',
      '-c',
      'echo "cdk-lambda-rust: PackageManagerType.CROSS builds on the host only, not in Docker bundling" >&2; exit 1',
    ]);
  });

  test('Docker options pass through; the image is the one asked for', () => {
    const b = bundling({
      dockerImage: DockerImage.fromRegistry('example/builder:1'),
      network: 'host',
      securityOpt: 'no-new-privileges',
      user: '1000:1000',
      volumesFrom: ['abc'],
      workingDirectory: '/w',
      entrypoint: ['/bin/sh'],
      platform: 'linux/amd64',
      environment: { K: 'v' },
      bundlingFileAccess: BundlingFileAccess.VOLUME_COPY,
    });
    expect(b).toMatchObject({
      network: 'host',
      securityOpt: 'no-new-privileges',
      user: '1000:1000',
      volumesFrom: ['abc'],
      workingDirectory: '/w',
      entrypoint: ['/bin/sh'],
      platform: 'linux/amd64',
      environment: { XDG_CACHE_HOME: '/cargo-home/.cache', K: 'v', CARGO_HOME: '/cargo-home' },
      bundlingFileAccess: BundlingFileAccess.VOLUME_COPY,
    });
    expect(b.image.image).toBe('example/builder:1');
  });
});

describe('passEnvironment', () => {
  test('mounts a private folder whose path stays out of the hash, and the script reads it first', () => {
    const b = bundling({ passEnvironment: ['TOKEN'] });
    const mount = b.volumes!.find((v) => v.containerPath === '/cdk-lambda-rust-env')!;
    expect(mount.hostPath).toMatch(/cdk-lambda-rust-env-[0-9a-f]{24}$/);
    expect(hashedJson(b).volumes).toEqual([
      { hostPath: '<cargo cache>', containerPath: '/cargo-home' },
      { hostPath: '<passed environment>', containerPath: '/cdk-lambda-rust-env' },
    ]);
    expect(b.command[2].split('\n')[0]).toBe('set -a; . /cdk-lambda-rust-env/env; set +a');
    expect(JSON.stringify(hashedJson(b))).not.toContain('TOKEN');
    expect(b.environment).toEqual({ XDG_CACHE_HOME: '/cargo-home/.cache', CARGO_HOME: '/cargo-home' });
  });

  test('without it, nothing changes', () => {
    const b = bundling();
    expect(b.volumes!.map((v) => v.containerPath)).toEqual(['/cargo-home']);
    expect(b.command[2]).not.toContain('cdk-lambda-rust-env');
  });
});

describe('what CDK folds into the asset hash', () => {
  test('no absolute host path, and the local bundler as a constant', () => {
    const json = hashedJson(bundling());
    expect(JSON.stringify(json)).not.toContain('/home/someone');
    expect(json.local).toEqual({ localBundler: 'cdk-lambda-rust' });
    expect(json.volumes).toEqual([{ hostPath: '<cargo cache>', containerPath: '/cargo-home' }]);
    expect(Object.keys(json).sort()).toEqual(['command', 'environment', 'image', 'local', 'volumes']);
  });

  test('compile cache settings (RUSTC_WRAPPER, SCCACHE_*) reach the container but not the hash', () => {
    const plain = bundling({ environment: { K: 'v' } });
    const cached = bundling({ environment: { K: 'v', RUSTC_WRAPPER: '/sccache/sccache', SCCACHE_REDIS: 'redis://:secret@cache:6379' } });
    expect(cached.environment).toMatchObject({ RUSTC_WRAPPER: '/sccache/sccache', SCCACHE_REDIS: 'redis://:secret@cache:6379' });
    expect(Object.keys(cached.environment)).not.toContain('toJSON');
    expect(hashedJson(cached)).toEqual(hashedJson(plain));
    expect(JSON.stringify(cached)).not.toContain('secret');
  });

  test('forceDockerBundling is recorded only when set', () => {
    expect(hashedJson(bundling({ forceDockerBundling: true })).local).toEqual({
      localBundler: 'cdk-lambda-rust',
      forceDockerBundling: true,
    });
  });

  test('an explicit hash or hash type wins; CUSTOM needs a hash', () => {
    const props = { resolved, architecture: lambda.Architecture.X86_64, runtime: lambda.Runtime.PROVIDED_AL2023, label: 'Fn' };
    expect(Bundling.assetHashFor({ ...props, assetHash: 'abc' })).toEqual({ assetHashType: AssetHashType.CUSTOM, assetHash: 'abc' });
    expect(Bundling.assetHashFor({ ...props, assetHashType: AssetHashType.OUTPUT })).toEqual({ assetHashType: AssetHashType.OUTPUT });
    expect(() => Bundling.assetHashFor({ ...props, assetHashType: AssetHashType.CUSTOM })).toThrow(
      /^\[INVALID_OPTION\] `assetHashType` CUSTOM/,
    );
  });
});

describe('errors from the addon carry their code', () => {
  test('set natively, with the [CODE] prefix kept in the message', () => {
    let error: any;
    try {
      native.resolveFunction({ entry: '/nonexistent/crate' });
    } catch (e) {
      error = e;
    }
    expect(error.code).toBe('ENTRY_NOT_FOUND');
    expect(error.message).toBe(
      "[ENTRY_NOT_FOUND] `entry` /nonexistent/crate does not exist. Point it at your crate's Cargo.toml or the folder holding it.",
    );
  });
});

describe('errorCode', () => {
  test('finds the code on the error, in its cause chain, or in the [CODE] text CDK re-wraps', () => {
    const coded = Object.assign(new Error('[UNKNOWN_BINARY] no binary'), { code: 'UNKNOWN_BINARY' });
    expect(errorCode(coded)).toBe('UNKNOWN_BINARY');
    expect(errorCode(new Error('wrapped', { cause: coded }))).toBe('UNKNOWN_BINARY');
    const cdk = new Error(
      'Failed to bundle asset TestStack/Fn/Code/Stage, bundle output is located at /x: Error: [BUILD_FAILED] `cargo lambda build` failed',
    );
    expect(errorCode(cdk)).toBe('BUILD_FAILED');
    expect(errorCode('[TOOL_MISSING] cargo-lambda is not on PATH')).toBe('TOOL_MISSING');
  });

  test('is undefined for errors of others, napi statuses included', () => {
    expect(errorCode(new Error('ENOENT: no such file'))).toBeUndefined();
    expect(errorCode(Object.assign(new Error('value `mips` does not match'), { code: 'InvalidArg' }))).toBeUndefined();
    expect(errorCode(undefined)).toBeUndefined();
    const loop: any = new Error('a');
    loop.cause = loop;
    expect(errorCode(loop)).toBeUndefined();
  });
});

describe('the forms jsii languages see (exported consts and functions do not reach them)', () => {
  test('RustErrors.codeOf is errorCode, and takes the message other languages get', () => {
    const coded = Object.assign(new Error('[UNKNOWN_BINARY] no binary'), { code: 'UNKNOWN_BINARY' });
    expect(rust.RustErrors.codeOf(coded)).toBe('UNKNOWN_BINARY');
    expect(rust.RustErrors.codeOf('[UNKNOWN_BINARY] no binary `nope` in the workspace')).toBe('UNKNOWN_BINARY');
    expect(rust.RustErrors.codeOf('something else')).toBeUndefined();
  });

  test('the default image is a static of both constructs, and TypeScript keeps its own exports', () => {
    expect(rust.RustFunction.DEFAULT_DOCKER_IMAGE).toBe(DEFAULT_DOCKER_IMAGE);
    expect(rust.RustExtension.DEFAULT_DOCKER_IMAGE).toBe(DEFAULT_DOCKER_IMAGE);
    expect(rust.DEFAULT_DOCKER_IMAGE).toBe(DEFAULT_DOCKER_IMAGE);
    expect(rust.errorCode).toBe(errorCode);
  });
});
