/**
 * The addon is loaded lazily: `require('cdk-lambda-rust')` never throws, on
 * any platform, and a missing addon is one `ADDON_MISSING` error that names
 * the machine, the platform package that should be installed, and what to do.
 * The platform packages (npm/<platform>/package.json) are checked against the
 * loader's table and against what the napi loader (index.js) requires.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as addon from '../../index';
import { errorCode } from '../../lib/errors';
import * as native from '../../lib/native';

const root = path.resolve(__dirname, '../..');
const rootPackage = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** What index.js says when no addon loads (its message, with its load errors as the cause chain). */
function napiLoadError(): Error {
  const error = new Error('Cannot find native binding. npm has a bug related to optional dependencies');
  error.cause = new Error("Cannot find module 'cdk-lambda-rust-linux-arm64-musl'\nRequire stack:\n- /app/index.js");
  return error;
}

describe('loading the addon', () => {
  test('importing the package loads no addon; the first call does, and a failure is ADDON_MISSING', () => {
    jest.isolateModules(() => {
      let loads = 0;
      jest.doMock('../../index', () => {
        loads++;
        throw napiLoadError();
      });
      const lib = require('../../lib');
      expect(typeof lib.RustFunction).toBe('function');
      const lazy = require('../../lib/native');
      expect(loads).toBe(0);
      let thrown: unknown;
      try {
        lazy.cacheDir(undefined, undefined, '/home/me');
      } catch (e) {
        thrown = e;
      }
      expect(loads).toBe(1);
      expect(errorCode(thrown)).toBe('ADDON_MISSING');
      expect((thrown as Error).message).toMatch(/^\[ADDON_MISSING\] /);
      expect((thrown as Error).message).toContain(`(${process.platform} ${process.arch}`);
    });
    jest.dontMock('../../index');
  });

  test('a supported machine is told its package and how to get it', () => {
    const error = native.addonMissing({ platform: 'linux', arch: 'arm64', libc: 'musl' }, napiLoadError());
    expect(error.code).toBe('ADDON_MISSING');
    expect(error.message).toContain('(linux arm64 musl)');
    expect(error.message).toContain('`cdk-lambda-rust-linux-arm64-musl`');
    expect(error.message).toContain('npm install cdk-lambda-rust-linux-arm64-musl');
    expect(error.message).toContain('--omit=optional');
    expect(error.message).toContain("Cannot find module 'cdk-lambda-rust-linux-arm64-musl'");
    expect(error.message).not.toContain('Require stack');
    expect((error as Error & { cause?: unknown }).cause).toBeInstanceOf(Error);
  });

  test('an unsupported machine is told which ones are supported', () => {
    const error = native.addonMissing({ platform: 'freebsd', arch: 'x64' }, new Error('Unsupported OS: freebsd'));
    expect(error.message).toContain('no prebuilt native addon for this machine (freebsd x64)');
    expect(error.message).toContain('linux-x64-gnu, linux-arm64-gnu, linux-x64-musl, linux-arm64-musl, win32-x64-msvc');
    expect(native.platformPackage({ platform: 'win32', arch: 'arm64' })).toBeUndefined();
    expect(native.platformPackage({ platform: 'linux', arch: 'riscv64', libc: 'glibc' })).toBeUndefined();
  });

  test('each machine maps to the napi-rs package name index.js requires', () => {
    const machines: [native.Machine, string][] = [
      [{ platform: 'darwin', arch: 'arm64' }, 'darwin-arm64'],
      [{ platform: 'darwin', arch: 'x64' }, 'darwin-x64'],
      [{ platform: 'linux', arch: 'x64', libc: 'glibc' }, 'linux-x64-gnu'],
      [{ platform: 'linux', arch: 'arm64', libc: 'glibc' }, 'linux-arm64-gnu'],
      [{ platform: 'linux', arch: 'x64', libc: 'musl' }, 'linux-x64-musl'],
      [{ platform: 'linux', arch: 'arm64', libc: 'musl' }, 'linux-arm64-musl'],
      [{ platform: 'win32', arch: 'x64' }, 'win32-x64-msvc'],
    ];
    const loader = fs.readFileSync(path.join(root, 'index.js'), 'utf8');
    for (const [machine, platform] of machines) {
      expect(native.platformPackage(machine)).toBe(`cdk-lambda-rust-${platform}`);
      expect(loader).toContain(`require('cdk-lambda-rust-${platform}')`);
      expect(loader).toContain(`require('./cdk-lambda-rust.${platform}.node')`);
    }
    expect(native.thisMachine().platform).toBe(process.platform);
  });

  test('the addon is loaded once and then reused', () => {
    const first = native.addon();
    expect(native.addon()).toBe(first);
    expect(typeof first.resolveFunction).toBe('function');
  });
});

describe('the platform packages', () => {
  const platforms = Object.values(native.PLATFORM_PACKAGES);

  test('one npm/<platform>/package.json per prebuilt platform, at the root version, with os/cpu/libc', () => {
    expect(fs.readdirSync(path.join(root, 'npm')).sort()).toEqual([...platforms].sort());
    for (const [key, platform] of Object.entries(native.PLATFORM_PACKAGES)) {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'npm', platform, 'package.json'), 'utf8'));
      const [os, cpu, libc] = key.split('-');
      expect(pkg.name).toBe(`cdk-lambda-rust-${platform}`);
      expect(pkg.version).toBe(rootPackage.version);
      expect(pkg.os).toEqual([os]);
      expect(pkg.cpu).toEqual([cpu]);
      if (libc) expect(pkg.libc).toEqual([libc]);
      else expect(pkg).not.toHaveProperty('libc');
      expect(pkg.main).toBe(`cdk-lambda-rust.${platform}.node`);
      expect(pkg.files).toEqual([pkg.main]);
      expect(pkg.license).toBe(rootPackage.license);
    }
  });

  test('napi.targets lists the seven targets; the committed package.json has no optionalDependencies', () => {
    expect([...rootPackage.napi.targets].sort()).toEqual(
      [
        'aarch64-apple-darwin',
        'x86_64-apple-darwin',
        'x86_64-unknown-linux-gnu',
        'aarch64-unknown-linux-gnu',
        'x86_64-unknown-linux-musl',
        'aarch64-unknown-linux-musl',
        'x86_64-pc-windows-msvc',
      ].sort(),
    );
    // They do not exist on the registry until a release: scripts/pack-all.sh adds them to the packed copy.
    expect(rootPackage).not.toHaveProperty('optionalDependencies');
  });
});

describe('the enums are the addon values', () => {
  test('Artifact and BuildOutcome', () => {
    expect(Object.values(native.Artifact).sort()).toEqual(Object.values(addon.Artifact).sort());
    expect(Object.values(native.BuildOutcome).sort()).toEqual(Object.values(addon.BuildOutcome).sort());
  });
});
