/**
 * Local bundling options, checked by invoking what was built: `environment`
 * and `extraBuildArgs` reach the build verbatim (the `single` fixture bakes
 * FIXTURE_GREETING in with `option_env!` and uppercases it with feature
 * `loud`), cargo-zigbuild builds too, and command hooks run around the build
 * on the host, with their files in the asset.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as rust from '../lib';
import { synthAppInChild } from './support/child';
import { stagedAssetOf } from './support/recorder';
import { invokeBootstrap } from './support/runtime-api';
import { cargoLambdaShim } from './support/shim';
import { assetZipOf, bootstrapOf, copySingle, functionIds, s3KeyOf, synth, tempDir } from './support/synth';
import { extractZip, zipEntries } from './support/zip';

/** Builds a fresh copy of `single` with `bundling` and returns its answer to `event`. */
async function buildAndInvoke(label: string, bundling: rust.BundlingOptions, event: unknown = 'x'): Promise<any> {
  const crate = copySingle(tempDir(label));
  const s = synth((stack) => new rust.RustFunction(stack, 'Fn', { entry: crate, bundling }));
  const answer = await invokeBootstrap(bootstrapOf(s, functionIds(s.json)[0]), event);
  return answer.json;
}

/** A single-quoted shell word. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('environment and extraBuildArgs', () => {
  test('both reach the build: FIXTURE_GREETING with feature loud answers in capitals', async () => {
    const answer = await buildAndInvoke('env-loud', {
      environment: { FIXTURE_GREETING: 'hi there' },
      extraBuildArgs: ['--features', 'loud'],
    });
    expect(answer).toEqual({ function: 'single-fn', greeting: 'HI THERE', input: 'x' });
  });

  test('an environment value with spaces, quotes, $(...) and ; arrives verbatim and runs nothing', async () => {
    const marker = path.join(tempDir('env-marker'), 'pwned');
    const value = `it's "quoted" $(touch ${marker}) ; touch ${marker} \`touch ${marker}\``;
    const answer = await buildAndInvoke('env-hostile', { environment: { FIXTURE_GREETING: value } });
    expect(answer.greeting).toBe(value);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('an extraBuildArgs entry with spaces, quotes, $(...) and ; is one argument to cargo and runs nothing', async () => {
    const marker = path.join(tempDir('args-marker'), 'pwned');
    const greeting = `from --config; $(touch ${marker}) it's`;
    // One argv entry holding a whole TOML assignment: split by a shell, cargo would reject it.
    const answer = await buildAndInvoke('args-hostile', { extraBuildArgs: ['--config', `env.FIXTURE_GREETING = "${greeting}"`] });
    expect(answer.greeting).toBe(greeting);
    expect(fs.existsSync(marker)).toBe(false);
  });
});

test('packageManagerType CARGO_ZIGBUILD builds a bootstrap that answers, with the options applied', async () => {
  const crate = copySingle(tempDir('zigbuild'));
  // In a child process: the progress lines are written by the native core
  // straight to the process's stderr.
  const s = synthAppInChild(
    {
      functions: [
        {
          id: 'Zig',
          entry: crate,
          bundling: {
            packageManagerType: rust.PackageManagerType.CARGO_ZIGBUILD,
            environment: { FIXTURE_GREETING: 'zig' },
            extraBuildArgs: ['--features', 'loud'],
          },
        },
      ],
    },
    process.env,
  );
  expect(s.status).toBe(0);
  expect(s.stderr).toContain('cdk-lambda-rust: TestStack/Zig (x86_64): built with cargo-zigbuild');
  // cargo zigbuild leaves the binary where cargo puts it (cargo-lambda would have moved it away).
  expect(fs.existsSync(path.join(crate, 'target', 'x86_64-unknown-linux-gnu', 'release', 'single-fn'))).toBe(true);
  const unzipped = tempDir('zig-unzipped');
  extractZip(stagedAssetOf(s.outdir, s.json, functionIds(s.json)[0]), unzipped);
  const answer = await invokeBootstrap(path.join(unzipped, 'bootstrap'), 'x');
  expect(answer.json).toEqual({ function: 'single-fn', greeting: 'ZIG', input: 'x' });
});

describe('profile', () => {
  test('a non-release profile builds with --profile <name>, and each profile stages its own build', async () => {
    const crate = copySingle(tempDir('profile'));
    // A profile of the crate's own, with debug assertions on, and a binary
    // that says whether they were: the answer tells which build was staged.
    fs.appendFileSync(path.join(crate, 'Cargo.toml'), '\n[profile.checked]\ninherits = "release"\ndebug-assertions = true\n');
    const main = path.join(crate, 'src', 'main.rs');
    const source = fs.readFileSync(main, 'utf8');
    expect(source).toContain('.unwrap_or("hello")');
    fs.writeFileSync(main, source.replace('.unwrap_or("hello")', '.unwrap_or(if cfg!(debug_assertions) { "checked" } else { "hello" })'));
    const shim = cargoLambdaShim();
    const s = synthAppInChild(
      {
        functions: [
          { id: 'Checked', entry: crate, bundling: { profile: 'checked' } },
          { id: 'Release', entry: crate },
        ],
      },
      { ...process.env, PATH: shim.path },
    );
    expect(s.status).toBe(0);
    const calls = shim.calls();
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatch(/^lambda build --profile checked --target x86_64-unknown-linux-gnu /);
    expect(calls[0]).not.toContain('--release');
    expect(calls[1]).toMatch(/^lambda build --release --target x86_64-unknown-linux-gnu /);
    // Each configuration keeps its binary in its own folder, named by the profile.
    expect(calls[0]).toMatch(/--lambda-dir \S+\/target\/cdk-lambda-rust\/x86_64-unknown-linux-gnu-checked-[0-9a-f]{16} /);
    const [checked, release] = ['Checked', 'Release'].map((prefix) => functionIds(s.json).find((id) => id.startsWith(prefix))!);
    expect(s3KeyOf(s.json, checked)).not.toBe(s3KeyOf(s.json, release));
    const greeting = async (id: string) => {
      const dir = tempDir('profile-unzipped');
      extractZip(stagedAssetOf(s.outdir, s.json, id), dir);
      return (await invokeBootstrap(path.join(dir, 'bootstrap'), 0)).json.greeting;
    };
    expect(await greeting(checked)).toBe('checked');
    expect(await greeting(release)).toBe('hello');
  });
});

describe('command hooks with local bundling', () => {
  test('run on the host in order around the build, see the environment, and add their files to the asset', async () => {
    const crate = copySingle(tempDir('hooks'));
    const log = path.join(tempDir('hooks-log'), 'log');
    // cargo's dep-info for the binary: written by the build (cargo-lambda
    // then moves the binary itself into its own folder).
    const built = path.join(crate, 'target', 'x86_64-unknown-linux-gnu', 'release', 'single-fn.d');
    const calls: string[][] = [];
    const s = synth((stack) => {
      new rust.RustFunction(stack, 'Hooked', {
        entry: crate,
        bundling: {
          environment: { FIXTURE_GREETING: 'hooked' },
          commandHooks: {
            beforeBundling: (inputDir, outputDir) => {
              calls.push(['before', inputDir, outputDir]);
              return [
                `echo "before $FIXTURE_GREETING $(pwd)" >> ${sq(log)}`,
                `if [ -e ${sq(built)} ]; then echo 'binary already built' >> ${sq(log)}; else echo 'no binary yet' >> ${sq(log)}; fi`,
              ];
            },
            afterBundling: (inputDir, outputDir) => {
              calls.push(['after', inputDir, outputDir]);
              return [
                `if [ -e ${sq(built)} ]; then echo 'after: binary built' >> ${sq(log)}; fi`,
                `printf 'written by afterBundling' > ${sq(path.join(outputDir, 'extra.txt'))}`,
              ];
            },
          },
        },
      });
    });
    // The hooks are asked once with the container's paths (for the Docker
    // command, which enters the asset hash), then at bundling time with the
    // host's workspace root and CDK's bundling folder.
    expect(calls.slice(0, 2)).toEqual([
      ['before', '/asset-input/single', '/asset-output'],
      ['after', '/asset-input/single', '/asset-output'],
    ]);
    expect(calls.slice(2).map((c) => c[0])).toEqual(['before', 'after']);
    for (const [, inputDir, outputDir] of calls.slice(2)) {
      expect(inputDir).toBe(crate);
      expect(outputDir.startsWith(s.outdir + path.sep)).toBe(true);
    }
    expect(fs.readFileSync(log, 'utf8')).toBe(`before hooked ${crate}\nno binary yet\nafter: binary built\n`);

    const zip = assetZipOf(s, functionIds(s.json)[0]);
    const entries = zipEntries(zip);
    expect(entries.map((e) => e.name)).toEqual(['bootstrap', 'extra.txt']);
    expect(entries[0].mode & 0o777).toBe(0o755);
    const unzipped = tempDir('hooks-unzipped');
    extractZip(zip, unzipped);
    expect(fs.readFileSync(path.join(unzipped, 'extra.txt'), 'utf8')).toBe('written by afterBundling');
    const answer = await invokeBootstrap(path.join(unzipped, 'bootstrap'), 'h');
    expect(answer.json.greeting).toBe('hooked');
  });

  test('a failing beforeBundling hook stops bundling before the build', () => {
    const crate = copySingle(tempDir('hooks-fail'));
    let error: any;
    try {
      synth((stack) => {
        new rust.RustFunction(stack, 'Fails', {
          entry: crate,
          bundling: {
            commandHooks: {
              beforeBundling: () => ['echo about to fail >&2', '(exit 3)', 'echo never'],
              afterBundling: () => [],
            },
          },
        });
      });
    } catch (e) {
      error = e;
    }
    expect(error?.message).toContain('[BUILD_FAILED]');
    expect(error?.message).toContain('beforeBundling hook failed');
    expect(error?.message).toContain('exit status 3');
    expect(fs.existsSync(path.join(crate, 'target', 'x86_64-unknown-linux-gnu'))).toBe(false);
  });
});
