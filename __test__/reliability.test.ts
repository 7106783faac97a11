/**
 * Reliability under bad input, failures and concurrency: clear errors,
 * nothing half-written, nothing injected.
 */

import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rust from '../lib';
import * as native from '../lib/native';
import { finished, startAppInChild, synthAppInChild } from './support/child';
import { stagedAssetOf } from './support/recorder';
import { invokeBootstrap } from './support/runtime-api';
import { cargoLambdaShim } from './support/shim';
import { bootstrapOf, copySingle, errorOf, functionIds, synth, tempDir } from './support/synth';
import { extractZip, zipEntries } from './support/zip';

const fixtures = path.join(__dirname, 'fixtures');
function assetEntries(outdir: string): string[] {
  return fs.existsSync(outdir) ? fs.readdirSync(outdir).filter((f) => f.startsWith('asset.')) : [];
}

describe('a failed build', () => {
  const crate = copySingle(tempDir('broken'));
  const main = path.join(crate, 'src', 'main.rs');
  const good = fs.readFileSync(main, 'utf8');
  const outdir = tempDir('broken-out');

  test('shows cargo diagnostics, leaves no asset, and a fixed source then synthesizes', async () => {
    fs.writeFileSync(main, good + '\nfn broken() -> u32 { undefined_name }\n');
    const error = errorOf(() => synth((stack) => new rust.RustFunction(stack, 'Broken', { entry: crate }), { outdir }));
    expect(error.message).toContain('[BUILD_FAILED]');
    expect(error.message).toMatch(/exit status \d+/);
    expect(error.message).toContain('error[E0425]: cannot find value `undefined_name`');
    expect(assetEntries(outdir)).toEqual([]);

    fs.writeFileSync(main, good);
    const s = synth((stack) => new rust.RustFunction(stack, 'Broken', { entry: crate }), { outdir });
    const answer = await invokeBootstrap(bootstrapOf(s, functionIds(s.json)[0]), 'fixed');
    expect(answer.json.input).toBe('fixed');
  });
});

/** Every path under `dir`, relative, recursively. */
function tree(dir: string): string[] {
  return fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).sort() : [];
}

/** A single-quoted shell word. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The bytes of the single function's staged asset in a child synth's cdk.out. */
function stagedZip(s: { outdir: string; json?: any }): Buffer {
  expect(s.json).toBeDefined();
  return fs.readFileSync(stagedAssetOf(s.outdir, s.json, functionIds(s.json)[0]));
}

describe('an interrupted synth', () => {
  /** MiB of incompressible data baked into the binary: its zip takes seconds to write. */
  const BLOB_MIB = 64;

  /**
   * Polls `outdir` until a file appears in CDK's `asset.*-building` folder:
   * the first file there is the one the core writes the zip to. Fails if the
   * synth ends first.
   */
  async function firstFileWhileBundling(outdir: string, done: Promise<{ code: number | null; stderr: string }>) {
    let ended: { code: number | null; stderr: string } | undefined;
    done.then((r) => (ended = r));
    const deadline = Date.now() + 540_000;
    while (Date.now() < deadline) {
      if (ended) throw new Error(`the synth ended (${ended.code}) before writing its zip:\n${ended.stderr}`);
      for (const building of fs.readdirSync(outdir).filter((f) => /^asset\..*-building$/.test(f))) {
        const dir = path.join(outdir, building);
        // (CDK may rename the folder between the two listings.)
        for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
          const size = fs.statSync(path.join(dir, name), { throwIfNoEntry: false })?.size;
          if (size !== undefined) return { building, name, size };
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('no file appeared in an asset.*-building folder');
  }

  test('killed while the zip is written: no asset and no bootstrap.zip is left, and the next synth stages the clean bytes', async () => {
    const crate = copySingle(tempDir('interrupted'));
    fs.writeFileSync(path.join(crate, 'blob.bin'), crypto.randomBytes(BLOB_MIB << 20));
    const main = path.join(crate, 'src', 'main.rs');
    const source = fs.readFileSync(main, 'utf8');
    expect(source).toContain('fn main() {');
    fs.writeFileSync(
      main,
      source.replace('fn main() {', 'static BLOB: &[u8] = include_bytes!("../blob.bin");\n\nfn main() {\n    std::hint::black_box(BLOB);'),
    );
    const spec = { functions: [{ id: 'Fn', entry: crate }] };
    const outdir = tempDir('interrupted-out');
    const child = startAppInChild(spec, process.env, outdir);
    const done = finished(child);
    const seen = await firstFileWhileBundling(outdir, done);
    process.kill(-child.pid!, 'SIGKILL');
    expect((await done).code).not.toBe(0);

    // The kill landed while the zip was being written: what existed was the
    // core's temporary file, never a bootstrap.zip, and the asset was not staged.
    expect(seen.name).not.toBe('bootstrap.zip');
    const left = tree(outdir);
    expect(left.filter((f) => path.basename(f) === 'bootstrap.zip')).toEqual([]);
    expect(left.filter((f) => f.startsWith('asset.') && !f.startsWith(seen.building))).toEqual([]);
    expect(left.filter((f) => f.startsWith(seen.building + path.sep))).toEqual([path.join(seen.building, seen.name)]);

    // The next synth in the same cdk.out, and a clean one in a fresh cdk.out.
    const next = synthAppInChild(spec, process.env, outdir);
    expect(next.status).toBe(0);
    expect(tree(outdir).filter((f) => f.includes('-building'))).toEqual([]);
    const clean = synthAppInChild(spec, process.env);
    expect(clean.status).toBe(0);
    const [nextZip, cleanZip] = [stagedZip(next), stagedZip(clean)];
    expect(nextZip.equals(cleanZip)).toBe(true);
    // The kill was mid-write: the file seen then was shorter than the finished zip.
    expect(seen.size).toBeLessThan(nextZip.length);

    const [entry] = zipEntries(stagedAssetOf(next.outdir, next.json, functionIds(next.json)[0]));
    expect(entry.name).toBe('bootstrap');
    expect(entry.size).toBeGreaterThan(BLOB_MIB << 20);
    const unzipped = tempDir('interrupted-unzipped');
    extractZip(stagedAssetOf(next.outdir, next.json, functionIds(next.json)[0]), unzipped);
    expect((await invokeBootstrap(path.join(unzipped, 'bootstrap'), 1)).json.input).toBe(1);
    // Some copies of a 64 MiB binary: not worth keeping in the temp folder.
    for (const dir of [path.dirname(crate), outdir, clean.outdir, unzipped]) fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('two synths at once', () => {
  test('overlap in time, build one after the other (the target lock), and stage identical assets', async () => {
    const crate = copySingle(tempDir('concurrent'));
    // Each synth notes, from a beforeBundling hook, when it reached bundling
    // (hooks run before the target lock is taken). The first build waits
    // until both have: the synths then overlap by construction, and only the
    // lock can keep the second build from starting at once.
    const shim = cargoLambdaShim({ waitFor: { event: 'bundling', count: 2 } });
    const hook = `printf 'bundling %s %s\\n' "$(date +%s%N)" "$SHIM_LABEL" >> ${sq(shim.timelineFile)}`;
    const spec = { functions: [{ id: 'Fn', entry: crate, hooks: { beforeBundling: [hook] } }] };
    const labels = ['a', 'b'];
    const outdirs = labels.map((l) => tempDir(`concurrent-${l}`));
    const results = await Promise.all(
      labels.map((label, i) => finished(startAppInChild(spec, { ...process.env, PATH: shim.path, SHIM_LABEL: label }, outdirs[i]))),
    );
    for (const r of results) expect(r).toMatchObject({ code: 0 });

    const timeline = shim.timeline();
    const at = (event: string, label: string) => {
      const found = timeline.filter((e) => e.event === event && e.label === label);
      expect(found).toHaveLength(1);
      return found[0].ms;
    };
    // Each synth built once (its own process, so no reuse across them).
    const starts = timeline.filter((e) => e.event === 'start');
    expect(starts.map((e) => e.label).sort()).toEqual(labels);
    const [first, second] = starts.map((e) => e.label);
    // Overlap: both synths were bundling before the first build ended.
    expect(at('bundling', second)).toBeLessThan(at('end', first));
    expect(at('bundling', first)).toBeLessThan(at('end', first));
    // Serialisation: the second build started only after the first build
    // ended and after the first synth's zip was written.
    expect(at('start', second)).toBeGreaterThanOrEqual(at('end', first));
    const firstZip = outdirs[labels.indexOf(first)];
    const firstZipWritten = fs.statSync(path.join(firstZip, assetEntries(firstZip).find((f) => f.endsWith('.zip'))!)).mtimeMs;
    expect(at('start', second)).toBeGreaterThanOrEqual(firstZipWritten);

    const zips = outdirs.map((outdir) => assetEntries(outdir).filter((f) => f.endsWith('.zip')));
    expect(zips[0]).toHaveLength(1);
    expect(zips[0]).toEqual(zips[1]);
    const bytes = outdirs.map((outdir, i) => fs.readFileSync(path.join(outdir, zips[i][0])));
    expect(bytes[0].equals(bytes[1])).toBe(true);
  });
});

describe('no injection', () => {
  test('paths with spaces, quotes, $(...), ; and newlines are data', async () => {
    const marker = path.join(tempDir('marker'), 'pwned');
    const parent = path.join(tempDir('odd'), `we ird $(touch ${marker}); 'q' "d"\nline`);
    fs.mkdirSync(parent, { recursive: true });
    const crate = copySingle(parent);
    const s = synth((stack) => new rust.RustFunction(stack, 'Odd', { entry: crate }));
    expect(fs.existsSync(marker)).toBe(false);
    expect((await invokeBootstrap(bootstrapOf(s, functionIds(s.json)[0]), 'odd')).json.input).toBe('odd');
  });

  test.each(['$(touch /tmp/cdk-lambda-rust-pwned)', 'a b', 'x;y', 'a\nb', '-rf', ''])('binaryName %j is refused up front', (binaryName) => {
    const error = errorOf(() =>
      synth((stack) => new rust.RustFunction(stack, 'Bad', { entry: path.join(fixtures, 'single'), binaryName })),
    );
    expect(error.code).toBe('INVALID_OPTION');
    expect(fs.existsSync('/tmp/cdk-lambda-rust-pwned')).toBe(false);
  });
});

describe('hashing edge cases', () => {
  const crate = copySingle(tempDir('edges'));
  const extras = path.join(crate, 'assets');
  fs.mkdirSync(extras);
  fs.symlinkSync('..', path.join(extras, 'loop'));
  fs.writeFileSync(path.join(tempDir('outside'), 'data.txt'), 'outside');
  fs.symlinkSync('/etc/hostname', path.join(extras, 'outside-link'));
  fs.symlinkSync(path.join(crate, 'nowhere'), path.join(extras, 'dangling'));
  execFileSync('mkfifo', [path.join(extras, 'pipe')]);
  fs.writeFileSync(path.join(extras, Buffer.from('caf\xe9.txt', 'latin1').toString('latin1')), 'x');
  fs.writeFileSync(Buffer.concat([Buffer.from(extras + '/'), Buffer.from([0x6e, 0xff, 0x2e, 0x62])]), 'non-utf8');
  const big = path.join(extras, 'big.bin');
  fs.closeSync(fs.openSync(big, 'w'));
  fs.truncateSync(big, 200 * 1024 * 1024);

  test('loops, outside links, dangling links, FIFOs, non-UTF-8 names and a 200 MB file hash without hanging', () => {
    const resolved = native.resolveFunction({ entry: crate });
    const build = { architecture: native.ARCHITECTURES.x86_64, runtime: 'provided.al2023' };
    const first = native.fingerprintFunction(resolved, build);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(native.fingerprintFunction(resolved, build)).toBe(first);
    fs.appendFileSync(big, 'more');
    expect(native.fingerprintFunction(resolved, build)).not.toBe(first);
  });
});

describe('the native boundary', () => {
  const single = () => native.resolveFunction({ entry: path.join(fixtures, 'single') });
  const x86 = native.ARCHITECTURES.x86_64;
  test.each([
    ['resolveFunction', () => native.resolveFunction({ entry: '\0nul' })],
    ['resolveFunction', () => native.resolveFunction({ entry: 'x'.repeat(100_000) })],
    ['resolveFunction', () => native.resolveFunction({ definingFile: '', id: '../../..' })],
    [
      'fingerprintFunction',
      () =>
        native.fingerprintFunction(
          {
            workspaceRoot: '/',
            packageName: '',
            packageManifestPath: '/nope/Cargo.toml',
            binaryName: '',
            targetDirectory: '',
            sourceRoot: '/',
          },
          { architecture: x86, runtime: 'provided.al2023' },
        ),
    ],
    ['architectureOf', () => native.architectureOf(lambda.Architecture.custom('mips', 'linux/mips'))],
    ['buildToolOf', () => native.buildToolOf('npm')],
    ['buildScopeOf', () => native.buildScopeOf('everything')],
    ['verifyBootstrap', () => native.verifyBootstrap('/dev/null', x86, 'provided.al2023')],
    ['localBuildTool', () => native.localBuildTool({ architecture: x86, runtime: '', tool: native.BUILD_TOOLS.cross }, false)],
  ])('%s turns hostile input into a coded error, not a crash', (_, call) => {
    const error = errorOf(call);
    expect(error.code).toMatch(/^[A-Z_]+$/);
    expect(error.code).not.toBe('INTERNAL_ERROR');
    expect(error.message).toMatch(new RegExp(`^\\[${error.code}\\] .{10,}`));
  });

  test('values outside the typed boundary are refused by napi before the core runs', () => {
    const error = errorOf(() => native.fingerprintFunction(single(), { architecture: 'mips' as any, runtime: '' }));
    expect(error.code).toBe('InvalidArg');
    expect(error.message).toContain('mips');
  });
});
