/**
 * The disk cache of `cargo metadata` answers is used only while what cargo
 * read is as it was (README, "Many functions, one build"): the `CARGO_*` and
 * `RUSTUP_*` environment, `~/.cargo/config.toml`, and every
 * `.cargo/config.toml` above the workspace. Each change must cost a new
 * `cargo metadata` call, and the synth after it none again.
 *
 * Synths run in child processes (the addon sees only a real environment),
 * with bundling skipped (resolution still runs), a cache folder of the test's
 * own, a HOME of the test's own (so `~/.cargo` is a scratch folder; rustup's
 * toolchains are found through RUSTUP_HOME), and a PATH shim counting cargo
 * calls.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthAppInChild } from './support/child';
import { cargoLambdaShim } from './support/shim';
import { copySingle, tempDir } from './support/synth';

describe('the cargo metadata cache is invalidated by', () => {
  const parent = tempDir('metadata-cache');
  const crate = copySingle(parent);
  const home = tempDir('metadata-cache-home');
  const shim = cargoLambdaShim();
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: shim.path,
    HOME: home,
    RUSTUP_HOME: process.env.RUSTUP_HOME ?? path.join(os.homedir(), '.rustup'),
    CDK_LAMBDA_RUST_CACHE_DIR: tempDir('metadata-cache-dir'),
  };
  delete base.CARGO_HOME;
  const spec = { context: { 'aws:cdk:bundling-stacks': [] }, functions: [{ id: 'Fn', entry: crate }] };

  /** How many `cargo metadata` calls one synth with `env` made. */
  function metadataCallsOfSynth(env: NodeJS.ProcessEnv): number {
    const before = shim.metadataCalls().length;
    const s = synthAppInChild(spec, env);
    expect(s.stderr).not.toMatch(/Error/);
    expect(s.status).toBe(0);
    return shim.metadataCalls().length - before;
  }

  test('nothing, when nothing changed (the control)', () => {
    expect(metadataCallsOfSynth(base)).toBeGreaterThan(0);
    expect(metadataCallsOfSynth(base)).toBe(0);
  });

  test('a CARGO_* variable', () => {
    const env = { ...base, CARGO_TERM_COLOR: 'never' };
    expect(metadataCallsOfSynth(env)).toBeGreaterThan(0);
    expect(metadataCallsOfSynth(env)).toBe(0);
  });

  test('a RUSTUP_* variable', () => {
    const env = { ...base, RUSTUP_MAX_RETRIES: '3' };
    expect(metadataCallsOfSynth(env)).toBeGreaterThan(0);
    expect(metadataCallsOfSynth(env)).toBe(0);
  });

  test('~/.cargo/config.toml appearing, then changing', () => {
    expect(metadataCallsOfSynth(base)).toBe(0);
    fs.mkdirSync(path.join(home, '.cargo'));
    fs.writeFileSync(path.join(home, '.cargo', 'config.toml'), '[net]\nretry = 3\n');
    expect(metadataCallsOfSynth(base)).toBeGreaterThan(0);
    expect(metadataCallsOfSynth(base)).toBe(0);
    fs.appendFileSync(path.join(home, '.cargo', 'config.toml'), '[term]\nverbose = false\n');
    expect(metadataCallsOfSynth(base)).toBeGreaterThan(0);
  });

  test('a .cargo/config.toml in a folder above the workspace', () => {
    expect(metadataCallsOfSynth(base)).toBe(0);
    // `parent` holds the workspace (single) and its path dependency.
    expect(path.dirname(crate)).toBe(parent);
    fs.mkdirSync(path.join(parent, '.cargo'));
    fs.writeFileSync(path.join(parent, '.cargo', 'config.toml'), '[term]\ncolor = "never"\n');
    expect(metadataCallsOfSynth(base)).toBeGreaterThan(0);
    expect(metadataCallsOfSynth(base)).toBe(0);
  });
});
