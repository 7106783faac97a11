/**
 * Reliability under bad input, failures and concurrency: clear errors,
 * nothing half-written, nothing injected.
 */

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rust from '../lib';
import * as native from '../lib/native';
import { finished, startAppInChild } from './support/child';
import { invokeBootstrap } from './support/runtime-api';
import { cargoLambdaShim } from './support/shim';
import { bootstrapOf, copySingle, errorOf, functionIds, synth, tempDir } from './support/synth';
import { zipEntries } from './support/zip';

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

/** A single-quoted shell word. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('an interrupted synth', () => {
  test('the next synth rebuilds and stages a complete asset', async () => {
    const crate = copySingle(tempDir('interrupted'));
    const outdir = tempDir('interrupted-out');
    // The shim pauses before cargo-lambda runs, so the kill lands mid-bundling.
    const shim = cargoLambdaShim({ delaySeconds: 3 });
    const child = startAppInChild({ functions: [{ id: 'Fn', entry: crate }] }, { ...process.env, PATH: shim.path }, outdir);
    const done = finished(child);
    const deadline = Date.now() + 60_000;
    while (shim.calls().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(shim.calls().length).toBe(1);
    process.kill(-child.pid!, 'SIGKILL');
    expect((await done).code).not.toBe(0);
    expect(assetEntries(outdir).filter((f) => f.endsWith('.zip'))).toEqual([]);

    const s = synth((stack) => new rust.RustFunction(stack, 'Fn', { entry: crate }), { outdir });
    const [id] = functionIds(s.json);
    expect(zipEntries(path.join(outdir, `asset.${s.json.Resources[id].Properties.Code.S3Key}`)).map((e) => e.name)).toEqual(['bootstrap']);
    expect((await invokeBootstrap(bootstrapOf(s, id), 1)).json.input).toBe(1);
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
    [
      'localBuildTool',
      () => native.localBuildTool('fn', { architecture: x86, runtime: '', tool: native.BUILD_TOOLS.cross }, false, 'image'),
    ],
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
