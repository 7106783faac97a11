/**
 * Locates the user-mode qemu unpacked by `scripts/setup-qemu.sh`, so tests can
 * run aarch64 Lambda binaries on an x86_64 host.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where `scripts/setup-qemu.sh` unpacks its packages. */
export const QEMU_CACHE_DIR = path.resolve(__dirname, '../../.cache/qemu');

/** Whether `env` says this is a CI run: `CI` set (CI services set `CI=true`), and not `false` or `0`. */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI;
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

export interface QemuLookup {
  /** The folder `scripts/setup-qemu.sh` fills (default `QEMU_CACHE_DIR`). */
  readonly cacheDir?: string;
  /** The environment that says whether this is CI (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Command prefix that runs an aarch64 Linux (glibc) executable, i.e.
 * `[qemu-aarch64-static, '-L', <aarch64 sysroot>]`, or `undefined` when
 * `scripts/setup-qemu.sh` has not been run. Under CI a missing qemu throws
 * instead: there, an ARM64 bootstrap that is only checked by its ELF header
 * would pass a test that claims it ran.
 */
export function qemuRunner(lookup: QemuLookup = {}): string[] | undefined {
  const cacheDir = lookup.cacheDir ?? QEMU_CACHE_DIR;
  const qemu = path.join(cacheDir, 'usr/bin/qemu-aarch64-static');
  const sysroot = path.join(cacheDir, 'usr/aarch64-linux-gnu');
  const required = [
    qemu,
    path.join(sysroot, 'lib/ld-linux-aarch64.so.1'),
    path.join(sysroot, 'lib/libc.so.6'),
    path.join(sysroot, 'lib/libgcc_s.so.1'),
  ];
  const missing = required.filter((f) => !fs.existsSync(f));
  if (missing.length === 0) return [qemu, '-L', sysroot];
  if (underCi(lookup.env ?? process.env)) {
    throw new Error(
      `qemu is required under CI to run ARM64 bootstraps, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing: ` +
        'run scripts/setup-qemu.sh (.ci/run does, and stops when it fails)',
    );
  }
  return undefined;
}
