/**
 * Entry resolution, complete: every fixture shape (virtual workspace,
 * non-virtual workspace root, multi-binary package with `[[bin]]` and
 * `src/bin/`, excluded folder) is built with cargo-lambda and its staged
 * bootstrap invoked; every resolution error reaches the user through the
 * construct with its code and the facts it needs; cargo's real target
 * directory (CARGO_TARGET_DIR in `bundling.environment`, `build.target-dir`
 * in `.cargo/config.toml`) is where the binary is taken from.
 *
 * Crates are built from temp copies (fixtures side by side, so relative path
 * dependencies such as `../mini_lambda` resolve), never in the fixtures.
 */

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rust from '../lib';
import * as native from '../lib/native';
import { invokeArm64Bootstrap, invokeBootstrap } from './support/runtime-api';
import { bootstrapOf, copyFixtures, copySingle, errorOf, functionIds, type Synthesized, s3KeyOf, synth, tempDir } from './support/synth';

const fixtures = path.join(__dirname, 'fixtures');

/** The logical id of the function whose construct id is `id`. */
function idOf(s: Synthesized, id: string): string {
  const found = functionIds(s.json).filter((logicalId) => new RegExp(`^${id}[0-9A-F]{8}$`).test(logicalId));
  if (found.length !== 1) throw new Error(`expected one function ${id}, got ${functionIds(s.json)}`);
  return found[0];
}

/** e_machine of an ELF file (62 = x86-64, 183 = AArch64). */
function elfMachine(file: string): number {
  const header = fs.readFileSync(file).subarray(0, 20);
  expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return header.readUInt16LE(18);
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

describe('virtual workspace: members found by binaryName from the root, or by entry = member folder', () => {
  const parent = tempDir('res-ws');
  const workspace = copyFixtures(parent, 'workspace', 'mini_lambda');
  const made: Record<string, rust.RustFunction> = {};
  const s = synth((stack) => {
    made.Alpha = new rust.RustFunction(stack, 'Alpha', { entry: workspace, binaryName: 'alpha' });
    made.Beta = new rust.RustFunction(stack, 'Beta', { entry: workspace, binaryName: 'beta' });
    made.BetaMember = new rust.RustFunction(stack, 'BetaMember', { entry: path.join(workspace, 'members', 'beta') });
  });

  test('each construct resolves to its member package and binary', () => {
    expect([made.Alpha.packageName, made.Alpha.binaryName]).toEqual(['alpha', 'alpha']);
    expect([made.Beta.packageName, made.Beta.binaryName]).toEqual(['beta', 'beta']);
    expect([made.BetaMember.packageName, made.BetaMember.binaryName]).toEqual(['beta', 'beta']);
  });

  test('alpha, built from the workspace root, answers as alpha', async () => {
    const answer = await invokeBootstrap(bootstrapOf(s, idOf(s, 'Alpha')), { n: 1 });
    expect(answer.json).toEqual({ function: 'alpha', input: { n: 1 } });
  });

  test('beta, built from the workspace root, answers with the shared library tag', async () => {
    const answer = await invokeBootstrap(bootstrapOf(s, idOf(s, 'Beta')), 'b');
    expect(answer.json).toEqual({ function: 'beta', tag: 'shared-v1', input: 'b' });
  });

  test('beta with entry = members/beta and no binaryName answers too, from the same asset as via the root', async () => {
    const answer = await invokeBootstrap(bootstrapOf(s, idOf(s, 'BetaMember')), [1, 2]);
    expect(answer.json).toEqual({ function: 'beta', tag: 'shared-v1', input: [1, 2] });
    // Same package, binary and configuration: the entry's spelling does not change the asset.
    expect(s3KeyOf(s.json, idOf(s, 'BetaMember'))).toBe(s3KeyOf(s.json, idOf(s, 'Beta')));
    expect(s3KeyOf(s.json, idOf(s, 'Alpha'))).not.toBe(s3KeyOf(s.json, idOf(s, 'Beta')));
  });

  test('the build ran from the workspace root: its target/ holds the binaries, the members have none', () => {
    expect(fs.existsSync(path.join(workspace, 'target'))).toBe(true);
    for (const member of ['alpha', 'beta', 'shared']) {
      expect(fs.existsSync(path.join(workspace, 'members', member, 'target'))).toBe(false);
    }
  });

  describe('the excluded folder', () => {
    test('binaryName excluded-crate with entry = the workspace root is UNKNOWN_BINARY listing only the members', () => {
      const error = errorOf(() =>
        synth((stack: Stack) => new rust.RustFunction(stack, 'Excluded', { entry: workspace, binaryName: 'excluded-crate' })),
      );
      expect(error.code).toBe('UNKNOWN_BINARY');
      expect(error.message).toContain('`excluded-crate`');
      expect(error.message).toContain('- alpha: alpha');
      expect(error.message).toContain('- beta: beta');
      expect(error.message).not.toMatch(/- excluded-crate/);
    });

    test('entry = workspace/excluded resolves it as its own workspace, builds it there and stages its binary', () => {
      const excluded = path.join(workspace, 'excluded');
      const resolved = native.resolveFunction({ entry: excluded });
      expect(resolved.workspaceRoot).toBe(excluded);
      expect(resolved.packageName).toBe('excluded-crate');
      expect(resolved.targetDirectory).toBe(path.join(excluded, 'target'));

      let fn: rust.RustFunction | undefined;
      const ex = synth((stack) => {
        fn = new rust.RustFunction(stack, 'Excluded', { entry: excluded });
      });
      expect([fn!.packageName, fn!.binaryName]).toEqual(['excluded-crate', 'excluded-crate']);
      expect(fs.existsSync(path.join(excluded, 'target', 'x86_64-unknown-linux-gnu', 'release'))).toBe(true);
      // Not a Lambda function: it prints its name and exits, which is enough to know which binary was staged.
      const bootstrap = bootstrapOf(ex, functionIds(ex.json)[0]);
      expect(execFileSync(bootstrap, { encoding: 'utf8' })).toBe('excluded-crate\n');
    });
  });
});

describe('multi-binary package: [[bin]] targets and an auto-discovered src/bin binary', () => {
  const crate = copyFixtures(tempDir('res-multi'), 'multi_bin', 'mini_lambda');
  const made: Record<string, rust.RustFunction> = {};
  const s = synth((stack) => {
    made.First = new rust.RustFunction(stack, 'First', { entry: crate, binaryName: 'first' });
    made.Second = new rust.RustFunction(stack, 'Second', { entry: crate, binaryName: 'second' });
    made.Third = new rust.RustFunction(stack, 'Third', { entry: crate, binaryName: 'third', architecture: lambda.Architecture.ARM_64 });
  });

  test.each([
    ['First', 'first'],
    ['Second', 'second'],
  ])('%s ([[bin]]) builds for x86_64 and answers as itself', async (id, bin) => {
    expect([made[id].packageName, made[id].binaryName]).toEqual(['multi-bin', bin]);
    const bootstrap = bootstrapOf(s, idOf(s, id));
    expect(elfMachine(bootstrap)).toBe(62);
    const answer = await invokeBootstrap(bootstrap, { bin });
    expect(answer.json).toEqual({ function: bin, input: { bin } });
  });

  test('third (src/bin/third.rs) builds for ARM_64: an aarch64 ELF that answers under qemu', async () => {
    expect([made.Third.packageName, made.Third.binaryName]).toEqual(['multi-bin', 'third']);
    s.template.hasResourceProperties('AWS::Lambda::Function', { Architectures: ['arm64'] });
    const bootstrap = bootstrapOf(s, idOf(s, 'Third'));
    expect(elfMachine(bootstrap)).toBe(183); // EM_AARCH64
    const answer = await invokeArm64Bootstrap(bootstrap, 'arm');
    if (answer !== undefined) expect(answer).toEqual({ function: 'third', input: 'arm' });
  });
});

describe('non-virtual workspace root (fixtures/rooted: a package that is also the workspace root)', () => {
  test('the fixture is commit-ready: Cargo.lock present, no target/', () => {
    const rooted = path.join(fixtures, 'rooted');
    expect(fs.readFileSync(path.join(rooted, 'Cargo.lock'), 'utf8')).toMatch(/name = "rooted-member"/);
    expect(fs.existsSync(path.join(rooted, 'target'))).toBe(false);
    expect(fs.existsSync(path.join(rooted, 'member', 'target'))).toBe(false);
  });

  const rooted = copyFixtures(tempDir('res-rooted'), 'rooted', 'mini_lambda');
  const made: Record<string, rust.RustFunction> = {};
  const s = synth((stack) => {
    made.Root = new rust.RustFunction(stack, 'Root', { entry: rooted });
    made.Member = new rust.RustFunction(stack, 'Member', { entry: rooted, binaryName: 'rooted-member' });
    made.MemberEntry = new rust.RustFunction(stack, 'MemberEntry', { entry: path.join(rooted, 'member') });
  });

  test('entry = the root without binaryName builds the root package', async () => {
    expect([made.Root.packageName, made.Root.binaryName]).toEqual(['rooted', 'rooted']);
    const answer = await invokeBootstrap(bootstrapOf(s, idOf(s, 'Root')), 'root');
    expect(answer.json).toEqual({ function: 'rooted', input: 'root' });
  });

  test('binaryName rooted-member from the root, and entry = member/, both build the member', async () => {
    expect([made.Member.packageName, made.Member.binaryName]).toEqual(['rooted-member', 'rooted-member']);
    expect([made.MemberEntry.packageName, made.MemberEntry.binaryName]).toEqual(['rooted-member', 'rooted-member']);
    const answer = await invokeBootstrap(bootstrapOf(s, idOf(s, 'Member')), 'm');
    expect(answer.json).toEqual({ function: 'rooted-member', input: 'm' });
    expect(s3KeyOf(s.json, idOf(s, 'MemberEntry'))).toBe(s3KeyOf(s.json, idOf(s, 'Member')));
    expect(s3KeyOf(s.json, idOf(s, 'Member'))).not.toBe(s3KeyOf(s.json, idOf(s, 'Root')));
  });

  test('both binaries come from the one workspace target/ at the root', () => {
    expect(fs.existsSync(path.join(rooted, 'target'))).toBe(true);
    expect(fs.existsSync(path.join(rooted, 'member', 'target'))).toBe(false);
  });
});

describe('errors through the construct carry their code and what to do', () => {
  const define = (props: rust.RustFunctionProps) => () => synth((stack) => new rust.RustFunction(stack, 'Fn', props));

  test('UNKNOWN_BINARY lists the binaries that exist, per package', () => {
    const error = errorOf(define({ entry: path.join(fixtures, 'workspace'), binaryName: 'gamma' }));
    expect(error.code).toBe('UNKNOWN_BINARY');
    expect(error.message).toContain('no binary named `gamma`');
    expect(error.message).toContain(path.join(fixtures, 'workspace'));
    expect(error.message).toContain('- alpha: alpha');
    expect(error.message).toContain('- beta: beta');
    // shared is a library: nothing to list for it.
    expect(error.message).not.toContain('- shared');
  });

  test('AMBIGUOUS_BINARY for multi_bin without binaryName lists first, second and third', () => {
    const error = errorOf(define({ entry: path.join(fixtures, 'multi_bin') }));
    expect(error.code).toBe('AMBIGUOUS_BINARY');
    expect(error.message).toContain('multi-bin');
    expect(error.message).toContain('first, second, third');
    expect(error.message).toContain('binaryName');
  });

  test('AMBIGUOUS_BINARY for a virtual workspace root without binaryName lists its binaries', () => {
    const error = errorOf(define({ entry: path.join(fixtures, 'workspace') }));
    expect(error.code).toBe('AMBIGUOUS_BINARY');
    expect(error.message).toContain('virtual workspace');
    expect(error.message).toContain('- alpha: alpha');
    expect(error.message).toContain('- beta: beta');
  });

  test('LIBRARY_ONLY for a package with no binary target', () => {
    const error = errorOf(define({ entry: path.join(fixtures, 'lib_only') }));
    expect(error.code).toBe('LIBRARY_ONLY');
    expect(error.message).toContain('`lib-only`');
    expect(error.message).toContain('src/main.rs');
  });

  test('MANIFEST_INVALID for a malformed Cargo.toml quotes cargo', () => {
    const error = errorOf(define({ entry: path.join(fixtures, 'malformed') }));
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.message).toContain(path.join(fixtures, 'malformed', 'Cargo.toml'));
    // cargo's own diagnostic: the location and the offending line.
    expect(error.message).toMatch(/Cargo\.toml:2:\d+/);
    expect(error.message).toContain('name = "malformed');
  });

  test('MANIFEST_INVALID for a package inside a workspace that does not list it, with the hint', () => {
    const error = errorOf(define({ entry: path.join(fixtures, 'non_member', 'stray') }));
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.message).toContain("believes it's in a workspace");
    expect(error.message).toContain(path.join(fixtures, 'non_member', 'Cargo.toml'));
    expect(error.message).toContain('Keep it out of that workspace with `exclude = ["stray"]`');
    expect(error.message).toContain('empty `[workspace]` table');
  });

  test('INVALID_OPTION for a binaryName cargo would refuse, before anything runs', () => {
    const marker = '/tmp/x';
    const existedBefore = fs.existsSync(marker);
    const error = errorOf(define({ entry: path.join(fixtures, 'single'), binaryName: '$(touch /tmp/x)' }));
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toContain('"$(touch /tmp/x)"');
    expect(error.message).toContain('letters, digits');
    if (!existedBefore) expect(fs.existsSync(marker)).toBe(false);
  });

  test('ENTRY_NOT_FOUND for an entry that does not exist names it', () => {
    const missing = path.join(fixtures, 'does-not-exist');
    const error = errorOf(define({ entry: missing }));
    expect(error.code).toBe('ENTRY_NOT_FOUND');
    expect(error.message).toContain(missing);
  });

  test('ENTRY_NOT_FOUND for an entry folder without Cargo.toml names the manifest it looked for', () => {
    const folder = path.join(fixtures, 'workspace', 'members');
    const error = errorOf(define({ entry: folder }));
    expect(error.code).toBe('ENTRY_NOT_FOUND');
    expect(error.message).toContain(path.join(folder, 'Cargo.toml'));
  });

  test('ENTRY_NOT_FOUND without entry lists every place the default search looked', () => {
    // A defining file and a working directory with no Cargo.toml anywhere above them.
    const root = tempDir('res-noentry');
    const lib = path.join(root, 'app', 'lib');
    fs.mkdirSync(lib, { recursive: true });
    const definingFile = path.join(lib, 'my-stack.js');
    fs.writeFileSync(definingFile, "module.exports = (stack, rust) => new rust.RustFunction(stack, 'my_function');\n");
    const cwd = path.join(root, 'cwd');
    fs.mkdirSync(cwd);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const defineInFile: (stack: Stack, r: typeof rust) => void = require(definingFile);
    const saved = process.cwd();
    process.chdir(cwd);
    let error: any;
    try {
      error = errorOf(() => synth((stack) => defineInFile(stack, rust)));
    } finally {
      process.chdir(saved);
    }
    expect(error.code).toBe('ENTRY_NOT_FOUND');
    expect(error.message).toContain(path.join(lib, 'my-stack.my_function', 'Cargo.toml'));
    expect(error.message).toContain(`${path.join(lib, 'Cargo.toml')} (and every parent folder)`);
    expect(error.message).toContain(path.join(cwd, 'Cargo.toml'));
  });

  test('a bundling-time error is wrapped by CDK with its [CODE] in the message', () => {
    // A failing beforeBundling hook: an error raised while CDK bundles.
    const crate = copySingle(tempDir('res-wrapped'));
    const error = errorOf(
      define({ entry: crate, bundling: { commandHooks: { beforeBundling: () => ['exit 7'], afterBundling: () => [] } } }),
    );
    expect(error.message).toContain('Failed to bundle asset');
    expect(error.message).toContain('[BUILD_FAILED]');
    expect(error.message).toContain('exit status 7');
  });
});

describe("cargo's real target directory is where the binary is built and taken from", () => {
  test('CARGO_TARGET_DIR in bundling.environment', async () => {
    const crate = copySingle(tempDir('res-ctd'));
    // Inside the package, under a name that is not `target`: also proves the
    // fingerprint skips it (the second synth hashes the crate after the build).
    const targetDir = path.join(crate, 'build out');
    const environment = { CARGO_TARGET_DIR: targetDir };
    expect(native.resolveFunction({ entry: crate, environment }).targetDirectory).toBe(targetDir);

    const define = (stack: Stack) => new rust.RustFunction(stack, 'Fn', { entry: crate, bundling: { environment } });
    const s = synth(define);
    const answer = await invokeBootstrap(bootstrapOf(s, functionIds(s.json)[0]), 'ctd');
    expect(answer.json).toEqual({ function: 'single-fn', greeting: 'hello', input: 'ctd' });
    expect(fs.existsSync(path.join(crate, 'target'))).toBe(false);
    const built = filesUnder(targetDir);
    expect(built).toContain(path.join('x86_64-unknown-linux-gnu', 'release', 'single-fn.d'));
    expect(built.some((f) => f.startsWith('cdk-lambda-rust') && f.endsWith(path.join('single-fn', 'bootstrap')))).toBe(true);

    const again = synth(define);
    expect(s3KeyOf(again.json, functionIds(again.json)[0])).toBe(s3KeyOf(s.json, functionIds(s.json)[0]));
  });

  test('[build] target-dir in .cargo/config.toml', async () => {
    const crate = copySingle(tempDir('res-config'));
    fs.mkdirSync(path.join(crate, '.cargo'));
    fs.writeFileSync(path.join(crate, '.cargo', 'config.toml'), '[build]\ntarget-dir = "cargo-out"\n');
    const targetDir = path.join(crate, 'cargo-out');
    expect(native.resolveFunction({ entry: crate }).targetDirectory).toBe(targetDir);

    const define = (stack: Stack) => new rust.RustFunction(stack, 'Fn', { entry: crate });
    const s = synth(define);
    const answer = await invokeBootstrap(bootstrapOf(s, functionIds(s.json)[0]), 'cfg');
    expect(answer.json).toEqual({ function: 'single-fn', greeting: 'hello', input: 'cfg' });
    expect(fs.existsSync(path.join(crate, 'target'))).toBe(false);
    const built = filesUnder(targetDir);
    expect(built).toContain(path.join('x86_64-unknown-linux-gnu', 'release', 'single-fn.d'));
    expect(built.some((f) => f.startsWith('cdk-lambda-rust') && f.endsWith(path.join('single-fn', 'bootstrap')))).toBe(true);

    const again = synth(define);
    expect(s3KeyOf(again.json, functionIds(again.json)[0])).toBe(s3KeyOf(s.json, functionIds(s.json)[0]));
  });

  describe('a relative CARGO_TARGET_DIR (cargo takes it from the working directory)', () => {
    const workspace = copyFixtures(tempDir('res-rel-ctd'), 'workspace', 'mini_lambda');
    // cargo-zigbuild leaves the binary in cargo's target directory, so a
    // disagreement about where that is shows as BINARY_NOT_FOUND.
    const bundling = {
      packageManagerType: rust.PackageManagerType.CARGO_ZIGBUILD,
      buildScope: rust.BuildScope.FUNCTION,
      environment: { CARGO_TARGET_DIR: 'reltarget' },
    };

    test('with entry = the workspace root: built under <root>/reltarget and found there', async () => {
      const s = synth((stack) => new rust.RustFunction(stack, 'Beta', { entry: workspace, binaryName: 'beta', bundling }));
      const answer = await invokeBootstrap(bootstrapOf(s, functionIds(s.json)[0]), 'rel');
      expect(answer.json).toEqual({ function: 'beta', tag: 'shared-v1', input: 'rel' });
      expect(fs.existsSync(path.join(workspace, 'reltarget', 'x86_64-unknown-linux-gnu', 'release', 'beta'))).toBe(true);
    });

    // Regression: `cargo metadata` and the build both run from the workspace
    // root, so a relative CARGO_TARGET_DIR means the same folder to both.
    test('with entry = a member folder: the binary is found where the build put it', async () => {
      const s = synth((stack) => new rust.RustFunction(stack, 'Beta', { entry: path.join(workspace, 'members', 'beta'), bundling }));
      const answer = await invokeBootstrap(bootstrapOf(s, functionIds(s.json)[0]), 'rel');
      expect(answer.json).toEqual({ function: 'beta', tag: 'shared-v1', input: 'rel' });
    });
  });
});
