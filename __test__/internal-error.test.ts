/**
 * INTERNAL_ERROR end to end: a panic in the native code reaches Node as an
 * Error with code `INTERNAL_ERROR`, and Node goes on.
 *
 * No input makes a real export panic (there must be none), and production
 * code has no panic hook, so this test builds an addon of its own with the
 * `test-panic` cargo feature: it adds one export, `panicForTests`, that
 * panics inside the same boundary (`guarded` in src/boundary.rs) as every
 * export. The addon `npm run build` ships is checked to have no such export.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as shipped from '../index';
import { tempDir } from './support/synth';

const repo = path.resolve(__dirname, '..');

/** Builds the binding with `--features test-panic` (debug profile) and returns the path of its cdylib. */
function buildTestAddon(): string {
  const cargo = spawnSync('cargo', ['build', '--quiet', '-p', 'cdk-lambda-rust', '--features', 'test-panic', '--message-format=json'], {
    cwd: repo,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 900_000,
  });
  if (cargo.status !== 0) throw new Error(`cargo build --features test-panic failed:\n${cargo.stderr}`);
  const artifacts = cargo.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .filter((m) => m.reason === 'compiler-artifact' && m.target?.name === 'cdk_lambda_rust' && m.target.kind.includes('cdylib'));
  expect(artifacts).toHaveLength(1);
  return artifacts[0].filenames.find((f: string) => f.endsWith('.so'));
}

describe('a panic inside the native boundary', () => {
  let addon: any;
  beforeAll(() => {
    // A copy named .node, outside the package (whose *.node files are published).
    const file = path.join(tempDir('test-addon'), 'cdk-lambda-rust-test-panic.node');
    fs.copyFileSync(buildTestAddon(), file);
    const loaded = { exports: {} as any };
    process.dlopen(loaded, file);
    addon = loaded.exports;
  });

  test('becomes an Error with code INTERNAL_ERROR and the panic message, and the addon keeps working', () => {
    let error: any;
    try {
      addon.panicForTests('index out of bounds: the len is 0 but the index is 3');
    } catch (e) {
      error = e;
    }
    // (An Error of Node's own realm: jest's sandbox has another `Error`.)
    expect(Object.prototype.toString.call(error)).toBe('[object Error]');
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(error.message).toMatch(/^\[INTERNAL_ERROR\] .*index out of bounds: the len is 0 but the index is 3/);
    // The process and the addon are still there: another call, and another panic.
    expect(addon.cacheDir('/explicit', undefined, undefined)).toBe('/explicit');
    expect(() => addon.panicForTests('again')).toThrow(/\[INTERNAL_ERROR\] .*again/);
  });

  test('the shipped addon has no panicForTests export', () => {
    expect(Object.keys(addon)).toContain('panicForTests');
    expect(Object.keys(shipped)).not.toContain('panicForTests');
    expect(Object.keys(shipped)).toContain('resolveFunction');
  });
});
