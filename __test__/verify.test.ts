/**
 * The native boundary's bootstrap checks (`verifyBootstrap`, the same check
 * bundling runs before staging) on real files: a bootstrap built by a synth,
 * a host binary linked against a recent glibc, a text file, a missing path.
 * glibc needs are cross-checked with `objdump -T`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as rust from '../lib';
import * as native from '../lib/native';
import { bootstrapOf, errorOf, functionIds, synth, tempDir } from './support/synth';

const fixtures = path.join(__dirname, 'fixtures');

type Version = [number, number];

/** The highest GLIBC_x.y symbol version `file` needs, per `objdump -T` (undefined: none). */
function maxGlibc(file: string): Version | undefined {
  const dump = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const versions = [...dump.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])] as Version);
  return versions.sort((a, b) => a[0] - b[0] || a[1] - b[1]).pop();
}

const newer = (a: Version, b: Version) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
const hostArch = native.ARCHITECTURES[process.arch === 'arm64' ? 'arm64' : 'x86_64'];
const otherArch = native.ARCHITECTURES[process.arch === 'arm64' ? 'x86_64' : 'arm64'];

describe('an x86_64 bootstrap built by a synth', () => {
  const s = synth((stack) => new rust.RustFunction(stack, 'Fn', { entry: path.join(fixtures, 'single') }));
  const bootstrap = bootstrapOf(s, functionIds(s.json)[0]);

  test('is an x86-64 ELF whose glibc needs fit provided.al2023 (objdump agrees)', () => {
    const header = fs.readFileSync(bootstrap).subarray(0, 20);
    expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(header.readUInt16LE(18)).toBe(62); // EM_X86_64
    const needs = maxGlibc(bootstrap);
    expect(needs).toBeDefined();
    expect(newer(needs!, [2, 34])).toBe(false);
  });

  test("passes for ('x86_64', 'provided.al2023')", () => {
    expect(native.verifyBootstrap(bootstrap, native.ARCHITECTURES.x86_64, 'provided.al2023')).toBeUndefined();
  });

  test('passes for provided.al2 too when objdump says it needs no more than GLIBC_2.26 (zig links an old glibc)', () => {
    const needs = maxGlibc(bootstrap)!;
    if (newer(needs, [2, 26])) {
      expect(errorOf(() => native.verifyBootstrap(bootstrap, native.ARCHITECTURES.x86_64, 'provided.al2')).code).toBe('GLIBC_TOO_NEW');
    } else {
      expect(native.verifyBootstrap(bootstrap, native.ARCHITECTURES.x86_64, 'provided.al2')).toBeUndefined();
    }
  });

  test("fails for 'arm64' with ARCH_MISMATCH, saying which target to build", () => {
    const error = errorOf(() => native.verifyBootstrap(bootstrap, native.ARCHITECTURES.arm64, 'provided.al2023'));
    expect(error.code).toBe('ARCH_MISMATCH');
    expect(error.message).toContain(bootstrap);
    expect(error.message).toContain('built for x86_64');
    expect(error.message).toContain('--target aarch64-unknown-linux-gnu');
    expect(error.message).toContain('Architecture.X86_64');
  });
});

describe('a host binary linked against a recent glibc (/bin/ls)', () => {
  const ls = fs.realpathSync('/bin/ls');
  const needs = maxGlibc(ls);

  test('objdump says it needs GLIBC_2.27 or newer (the premise of the next tests)', () => {
    expect(needs).toBeDefined();
    expect(newer(needs!, [2, 26])).toBe(true);
  });

  test('fails for provided.al2 with GLIBC_TOO_NEW, naming the version it needs and the runtime', () => {
    const error = errorOf(() => native.verifyBootstrap(ls, hostArch, 'provided.al2'));
    expect(error.code).toBe('GLIBC_TOO_NEW');
    expect(error.message).toContain(`needs GLIBC_${needs![0]}.${needs![1]}`);
    expect(error.message).toContain('`provided.al2` runtime has glibc 2.26');
    expect(error.message).toContain(ls);
  });

  test('on provided.al2023 (glibc 2.34) it passes exactly when objdump says it needs no more', () => {
    if (newer(needs!, [2, 34])) {
      const error = errorOf(() => native.verifyBootstrap(ls, hostArch, 'provided.al2023'));
      expect(error.code).toBe('GLIBC_TOO_NEW');
      expect(error.message).toContain(`GLIBC_${needs![0]}.${needs![1]}`);
    } else {
      expect(native.verifyBootstrap(ls, hostArch, 'provided.al2023')).toBeUndefined();
    }
  });

  test('for the other architecture the machine is checked first: ARCH_MISMATCH', () => {
    expect(errorOf(() => native.verifyBootstrap(ls, otherArch, 'provided.al2')).code).toBe('ARCH_MISMATCH');
  });
});

describe('files that are not a Linux executable', () => {
  const dir = tempDir('verify');

  test('a text file fails with NOT_ELF, naming it', () => {
    const text = path.join(dir, 'bootstrap.txt');
    fs.writeFileSync(text, '#!/bin/sh\necho this is a script, not an ELF executable\n', { mode: 0o755 });
    const error = errorOf(() => native.verifyBootstrap(text, native.ARCHITECTURES.x86_64, 'provided.al2023'));
    expect(error.code).toBe('NOT_ELF');
    expect(error.message).toContain(text);
    expect(error.message).toContain('not an ELF executable');
  });

  test('a truncated ELF (the first 64 bytes of /bin/ls) fails with NOT_ELF', () => {
    const truncated = path.join(dir, 'truncated');
    fs.writeFileSync(truncated, fs.readFileSync('/bin/ls').subarray(0, 64));
    const error = errorOf(() => native.verifyBootstrap(truncated, hostArch, 'provided.al2023'));
    expect(error.code).toBe('NOT_ELF');
    expect(error.message).toContain(truncated);
  });

  test('a missing path fails with BINARY_NOT_FOUND, naming it', () => {
    const missing = path.join(dir, 'no-such-bootstrap');
    const error = errorOf(() => native.verifyBootstrap(missing, native.ARCHITECTURES.x86_64, 'provided.al2023'));
    expect(error.code).toBe('BINARY_NOT_FOUND');
    expect(error.message).toContain(missing);
  });
});
