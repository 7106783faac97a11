/**
 * A missing rustup target, for real: a copy of this machine's rustc whose
 * sysroot holds only the host's standard library (as a toolchain without
 * `rustup target add aarch64-unknown-linux-gnu` does), given to the build
 * through `RUSTC`.
 */

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rust from '../lib';
import { invokeBootstrap } from './support/runtime-api';
import { bootstrapOf, copySingle, functionIds, synth, tempDir } from './support/synth';

/** A toolchain folder with rustc and the host's std only. */
function toolchainWithoutArm64(): string {
  const sysroot = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim();
  const host = 'x86_64-unknown-linux-gnu';
  const dir = tempDir('toolchain');
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.mkdirSync(path.join(dir, 'lib', 'rustlib'), { recursive: true });
  // rustc finds its sysroot from where librustc_driver really is: copy
  // those two, link the rest.
  fs.copyFileSync(path.join(sysroot, 'bin', 'rustc'), path.join(dir, 'bin', 'rustc'));
  fs.chmodSync(path.join(dir, 'bin', 'rustc'), 0o755);
  for (const lib of fs.readdirSync(path.join(sysroot, 'lib'))) {
    const from = path.join(sysroot, 'lib', lib);
    if (lib.startsWith('librustc_driver')) fs.copyFileSync(from, path.join(dir, 'lib', lib));
    else if (lib.endsWith('.so') || lib.includes('.so.')) fs.symlinkSync(from, path.join(dir, 'lib', lib));
  }
  fs.symlinkSync(path.join(sysroot, 'lib', 'rustlib', host), path.join(dir, 'lib', 'rustlib', host));
  return path.join(dir, 'bin', 'rustc');
}

const rustc = toolchainWithoutArm64();
const crate = copySingle(tempDir('target-missing'));

test('the toolchain is real: it builds and runs the host target', async () => {
  expect(execFileSync(rustc, ['--print', 'sysroot'], { encoding: 'utf8' }).trim()).toBe(path.dirname(path.dirname(rustc)));
  const s = synth((stack) => new rust.RustFunction(stack, 'Host', { entry: crate, bundling: { environment: { RUSTC: rustc } } }));
  expect((await invokeBootstrap(bootstrapOf(s, functionIds(s.json)[0]), 'host')).json.input).toBe('host');
});

test('building ARM_64 with it names the exact rustup command', () => {
  expect(() =>
    synth(
      (stack) =>
        new rust.RustFunction(stack, 'Arm', {
          entry: crate,
          architecture: lambda.Architecture.ARM_64,
          bundling: { environment: { RUSTC: rustc } },
        }),
    ),
  ).toThrow(/\[TARGET_MISSING\][\s\S]*rustup target add aarch64-unknown-linux-gnu/);
});
