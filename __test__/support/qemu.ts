/**
 * Locates the user-mode qemu unpacked by `scripts/setup-qemu.sh`, so tests can
 * run aarch64 Lambda binaries on an x86_64 host.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where `scripts/setup-qemu.sh` unpacks its packages. */
export const QEMU_CACHE_DIR = path.resolve(__dirname, '../../.cache/qemu');

/**
 * Command prefix that runs an aarch64 Linux (glibc) executable, i.e.
 * `[qemu-aarch64-static, '-L', <aarch64 sysroot>]`, or `undefined` when
 * `scripts/setup-qemu.sh` has not been run.
 */
export function qemuRunner(): string[] | undefined {
  const qemu = path.join(QEMU_CACHE_DIR, 'usr/bin/qemu-aarch64-static');
  const sysroot = path.join(QEMU_CACHE_DIR, 'usr/aarch64-linux-gnu');
  const required = [
    qemu,
    path.join(sysroot, 'lib/ld-linux-aarch64.so.1'),
    path.join(sysroot, 'lib/libc.so.6'),
    path.join(sysroot, 'lib/libgcc_s.so.1'),
  ];
  if (!required.every((f) => fs.existsSync(f))) return undefined;
  return [qemu, '-L', sysroot];
}
