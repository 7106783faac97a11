/**
 * Nothing on disk steers a build (issue: "trust nothing on disk"): the
 * attacks below are run for real, as root, with the other user's steps run
 * as uid 65534 (`setpriv`), against synths in child processes.
 *
 * - A cache folder another user can write, with a poisoned metadata entry
 *   that points the build at their crate: refused with CACHE_UNSAFE, and
 *   their build script never runs.
 * - A poisoned entry in a private folder (describing another workspace, or a
 *   target directory that hides the sources): ignored, cargo is asked again.
 * - A Docker cargo home pre-created by another user: refused before Docker runs.
 * - `passEnvironment`: values reach the build, never argv, the hash or stderr.
 * - Hashing includes `src/target/` and dot-files; a subclass's defining file.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as rust from '../lib';
import { MyRustFunction } from './fixtures/subclass/my-rust-function';
import { synthAppInChild } from './support/child';
import { stagedAssetOf } from './support/recorder';
import { invokeBootstrap } from './support/runtime-api';
import { copySingle, functionIds, s3KeyOf, synth, tempDir } from './support/synth';
import { extractZip } from './support/zip';

const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const isRoot = process.getuid?.() === 0;
const OTHER = 65534;

/** Runs `script` with `sh -c` as the other user (the attacker). */
function asOtherUser(script: string, ...args: string[]): void {
  execFileSync('setpriv', ['--reuid', String(OTHER), '--regid', String(OTHER), '--clear-groups', 'sh', '-c', script, 'sh', ...args], {
    stdio: 'inherit',
  });
}

/** A child process environment: ours, with `extra` on top (undefined removes). */
function env(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** An evil crate whose build script leaves `marker` behind if it ever runs. */
function evilCrate(parent: string, marker: string): string {
  const root = path.join(parent, 'evil');
  fs.mkdirSync(path.join(root, 'src'), { recursive: true });
  fs.writeFileSync(path.join(root, 'Cargo.toml'), '[package]\nname = "single-fn"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n');
  fs.writeFileSync(path.join(root, 'build.rs'), `fn main() { std::fs::write(${JSON.stringify(marker)}, "pwned").unwrap(); }\n`);
  fs.writeFileSync(path.join(root, 'src', 'main.rs'), 'fn main() {}\n');
  return root;
}

/** `{ mtime_ns, size }` of a file as the core records it, or null; mtimes as exact integers. */
function stamp(p: string): string {
  try {
    const st = fs.statSync(p, { bigint: true });
    return `{"mtime_ns":${st.mtimeNs.toString()},"size":${st.size.toString()}}`;
  } catch {
    return 'null';
  }
}

/** Every file the core could watch for a workspace at `root` (a superset: extra entries do no harm). */
function candidateInputs(root: string, manifests: string[]): string[] {
  const files = new Set(manifests);
  for (let d = root; ; d = path.dirname(d)) {
    files.add(path.join(d, '.cargo', 'config.toml'));
    files.add(path.join(d, '.cargo', 'config'));
    if (path.dirname(d) === d) break;
  }
  for (const home of [process.env.CARGO_HOME, path.join(os.homedir(), '.cargo')]) {
    if (home) for (const f of ['config.toml', 'config']) files.add(path.join(home, f));
  }
  return [...files];
}

/**
 * Forges the metadata entry of `manifest` in `cacheDir` so that it describes
 * `workspace` (and a snapshot that matches the disk now): a forgery that
 * passes every freshness check.
 */
function forgeEntry(
  cacheDir: string,
  manifest: string,
  workspace: { root: string; target: string; members: { name: string; manifest: string }[] },
): string {
  const dir = path.join(cacheDir, 'metadata');
  const entries = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  const file = entries.find((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).manifest === manifest);
  if (!file) throw new Error(`no cache entry for ${manifest} among ${entries}`);
  const entryPath = path.join(dir, file);
  const entry = JSON.parse(fs.readFileSync(entryPath, 'utf8'));
  const manifests = [path.join(workspace.root, 'Cargo.toml'), entry.manifest, ...workspace.members.map((m) => m.manifest)];
  const inputs = candidateInputs(workspace.root, manifests);
  const snapshot = `{${inputs.map((p) => `${JSON.stringify(p)}:${stamp(p)}`).join(',')}}`;
  const ws = {
    workspace_root: workspace.root,
    target_directory: workspace.target,
    members: workspace.members.map((m) => ({
      name: m.name,
      manifest_path: m.manifest,
      bins: [m.name],
      has_lib: false,
      path_deps: [],
      is_lambda: true,
    })),
  };
  const text = `{"format":${entry.format},"manifest":${JSON.stringify(entry.manifest)},"environment":${JSON.stringify(entry.environment)},"snapshot":${snapshot},"workspace":${JSON.stringify(ws)}}`;
  fs.writeFileSync(path.join(dir, 'forged.json'), text);
  return path.join(dir, file);
}

/**
 * A `docker` that records each call's argv (and, for a bundling run, the
 * mode and contents of a mounted `passEnvironment` file as "the container"
 * would see them) and leaves a minimal x86_64 ELF as the `bootstrap`.
 */
function recordingDocker(): { executable: string; runs: () => { args: string[]; file: { mode: string; text: string } | null }[] } {
  const dir = tempDir('sec-docker');
  const log = path.join(dir, 'log');
  const impl = path.join(dir, 'docker.js');
  fs.writeFileSync(
    impl,
    `const fs = require("fs");
const args = process.argv.slice(2);
let file = null;
if (args[0] === "run") {
  const at = (suffix) => args.find((a, i) => args[i - 1] === "-v" && a.includes(suffix));
  const env = at(":/cdk-lambda-rust-env:");
  if (env) { const f = env.split(":")[0] + "/env"; const st = fs.statSync(f); file = { mode: (st.mode & 0o777).toString(8), text: fs.readFileSync(f, "utf8") }; }
  const out = at(":/asset-output:");
  // A minimal static x86_64 ELF header: what the checks of Docker-built bootstraps accept.
  const elf = Buffer.alloc(64);
  elf.write("\\x7fELF", 0, "latin1"); elf[4] = 2; elf[5] = 1; elf[6] = 1;
  elf.writeUInt16LE(2, 16); elf.writeUInt16LE(62, 18); elf.writeUInt32LE(1, 20);
  elf.writeUInt16LE(64, 52); elf.writeUInt16LE(56, 54); elf.writeUInt16LE(64, 58);
  if (out) fs.writeFileSync(out.split(":")[0] + "/bootstrap", elf, { mode: 0o755 });
}
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args, file }) + "\\n");
`,
  );
  const executable = path.join(dir, 'docker');
  fs.writeFileSync(executable, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(impl)} "$@"\n`, { mode: 0o755 });
  const runs = () =>
    fs.existsSync(log)
      ? fs
          .readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
          .filter((c) => c.args[0] === 'run')
      : [];
  return { executable, runs };
}

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, rel);
    if (fs.statSync(p).isFile() && fs.readFileSync(p).includes(needle)) found.push(rel);
  }
  return found;
}

const describeAsRoot = isRoot ? describe : describe.skip;
if (!isRoot && process.env.CI) {
  throw new Error('the security tests run attacks as another user: CI must run them as root');
}

describeAsRoot('the metadata cache', () => {
  test('a folder another user can write is refused, and their forged entry never runs their code', async () => {
    const parent = tempDir('poison-shared');
    const crate = copySingle(parent);
    const marker = path.join(tempDir('poison-marker'), 'pwned');
    fs.chmodSync(path.dirname(marker), 0o777);
    const evil = evilCrate(tempDir('poison-evil'), marker);
    fs.chmodSync(path.dirname(evil), 0o755);
    const cache = path.join(tempDir('poison-cache'), 'cache');
    const fn = { id: 'Fn', entry: crate };
    // The victim's first synth fills the cache.
    const first = synthAppInChild({ context: SKIP_BUNDLING, functions: [fn] }, env({ CDK_LAMBDA_RUST_CACHE_DIR: cache }));
    expect(first.status).toBe(0);
    // A shared CI volume: the folder is writable by others, and another user forges the entry.
    fs.chmodSync(path.dirname(cache), 0o755);
    fs.chmodSync(cache, 0o755);
    fs.chmodSync(path.join(cache, 'metadata'), 0o777);
    const entryPath = forgeEntry(cache, path.join(crate, 'Cargo.toml'), {
      root: evil,
      target: path.join(evil, 'target'),
      members: [{ name: 'single-fn', manifest: path.join(evil, 'Cargo.toml') }],
    });
    const forged = path.join(cache, 'metadata', 'forged.json');
    fs.chmodSync(forged, 0o644);
    asOtherUser('cat "$1" > "$2.tmp" && mv "$2.tmp" "$2"', forged, entryPath);
    expect(fs.statSync(entryPath).uid).toBe(OTHER);

    const second = synthAppInChild({ functions: [fn] }, env({ CDK_LAMBDA_RUST_CACHE_DIR: cache }));
    expect(second.status).not.toBe(0);
    expect(second.stderr).toContain('[CACHE_UNSAFE]');
    expect(second.stderr).toContain('can be written by others (mode 777)');
    expect(second.stderr).toContain('CDK_LAMBDA_RUST_CACHE_DIR');
    expect(fs.existsSync(marker)).toBe(false);

    // The same forgery in a folder only the victim can write (say, planted
    // before it was locked down): it describes another workspace, so it is
    // ignored and the victim's own crate is built.
    fs.chmodSync(path.join(cache, 'metadata'), 0o700);
    fs.chownSync(entryPath, 0, 0);
    const third = synthAppInChild({ functions: [fn] }, env({ CDK_LAMBDA_RUST_CACHE_DIR: cache }));
    expect(third.status).toBe(0);
    expect(fs.existsSync(marker)).toBe(false);
    const unzipped = tempDir('poison-unzipped');
    extractZip(stagedAssetOf(third.outdir, third.json, functionIds(third.json)[0]), unzipped);
    const answer = await invokeBootstrap(path.join(unzipped, 'bootstrap'), 'x');
    expect(answer.json).toEqual({ function: 'single-fn', greeting: 'hello', input: 'x' });
  });

  test('a folder owned by another user is refused', () => {
    const crate = copySingle(tempDir('owned-by-other'));
    const shared = tempDir('owned-shared');
    fs.chmodSync(shared, 0o777);
    const cache = path.join(shared, 'cdk-lambda-rust');
    asOtherUser('mkdir -m 700 "$1"', cache);
    const s = synthAppInChild({ context: SKIP_BUNDLING, functions: [{ id: 'Fn', entry: crate }] }, env({ XDG_CACHE_HOME: shared }));
    expect(s.status).not.toBe(0);
    expect(s.stderr).toContain(`[CACHE_UNSAFE] the cache folder ${cache} belongs to uid ${OTHER}`);
  });

  test('an entry whose target directory would hide the sources is ignored: edits still change the hash', () => {
    const crate = copySingle(tempDir('frozen'));
    const cache = path.join(tempDir('frozen-cache'), 'cache');
    const fn = { id: 'Fn', entry: crate };
    const synthKey = () => {
      const s = synthAppInChild({ context: SKIP_BUNDLING, functions: [fn] }, env({ CDK_LAMBDA_RUST_CACHE_DIR: cache }));
      expect(s.status).toBe(0);
      return s3KeyOf(s.json, functionIds(s.json)[0]);
    };
    const before = synthKey();
    const entryPath = forgeEntry(cache, path.join(crate, 'Cargo.toml'), {
      root: crate,
      target: crate,
      members: [{ name: 'single-fn', manifest: path.join(crate, 'Cargo.toml') }],
    });
    fs.renameSync(path.join(cache, 'metadata', 'forged.json'), entryPath);
    // The forgery changes nothing (it is ignored)...
    const forged = synthKey();
    expect(forged).toBe(before);
    // ...and an edit still changes the key (a target directory holding the sources would have frozen it).
    fs.appendFileSync(path.join(crate, 'src', 'main.rs'), '\n// an edit that must be deployed\n');
    expect(synthKey()).not.toBe(forged);
  });
});

describeAsRoot('the Docker cargo home', () => {
  test('one another user pre-created (with a rustc-wrapper in its config) is refused before Docker runs', () => {
    const crate = copySingle(tempDir('cargo-home-planted'));
    const shared = tempDir('cargo-home-shared');
    fs.chmodSync(shared, 0o1777);
    asOtherUser(
      'mkdir -p "$1/cdk-lambda-rust/cargo-home" && printf "[build]\\nrustc-wrapper = \\"/tmp/evil\\"\\n" > "$1/cdk-lambda-rust/cargo-home/config.toml" && chmod -R 755 "$1/cdk-lambda-rust"',
      shared,
    );
    const docker = recordingDocker();
    const s = synthAppInChild(
      { functions: [{ id: 'Fn', entry: crate, bundling: { forceDockerBundling: true } }] },
      env({ XDG_CACHE_HOME: shared, CDK_DOCKER: docker.executable, CDK_LAMBDA_RUST_CACHE_DIR: undefined }),
    );
    expect(s.status).not.toBe(0);
    expect(s.stderr).toContain(`[CACHE_UNSAFE] the cache folder ${path.join(shared, 'cdk-lambda-rust')} belongs to uid ${OTHER}`);
    expect(docker.runs()).toEqual([]);
  });

  test('with no home and no cache folder, it is a fresh private folder, not a shared /tmp path', () => {
    const crate = copySingle(tempDir('cargo-home-nohome'));
    const docker = recordingDocker();
    const s = synthAppInChild(
      { functions: [{ id: 'Fn', entry: crate, bundling: { forceDockerBundling: true } }] },
      env({ HOME: '', XDG_CACHE_HOME: undefined, CDK_LAMBDA_RUST_CACHE_DIR: undefined, CDK_DOCKER: docker.executable }),
    );
    expect(s.status).toBe(0);
    const [run] = docker.runs();
    const mount = run.args.find((a) => /:\/cargo-home:/.test(a))!;
    const host = mount.split(':')[0];
    expect(host).toMatch(new RegExp(`^${os.tmpdir()}/cdk-lambda-rust-[0-9a-f]{24}/cargo-home$`));
    expect(fs.statSync(host).mode & 0o777).toBe(0o700);
    expect(fs.existsSync('/tmp/cdk-lambda-rust/cargo-home/config.toml')).toBe(false);
  });
});

describe('passEnvironment', () => {
  test('Docker bundling reads the values from a private file: never argv, the hash, cdk.out or stderr', () => {
    const crate = copySingle(tempDir('pass-docker'));
    const docker = recordingDocker();
    const spec = { functions: [{ id: 'Fn', entry: crate, bundling: { forceDockerBundling: true, passEnvironment: ['TOKEN'] } }] };
    const runWith = (token: string) => {
      const before = docker.runs().length;
      const s = synthAppInChild(spec, env({ CDK_DOCKER: docker.executable, TOKEN: token, XDG_CACHE_HOME: tempDir('pass-cache') }));
      expect(s.status).toBe(0);
      const runs = docker.runs();
      expect(runs).toHaveLength(before + 1);
      return { s, run: runs[before] };
    };
    const secret = "s3cr3t-'quoted' $(touch /tmp/pwned-by-token)";
    const a = runWith(secret);
    expect(a.run.file).toEqual({ mode: '600', text: `TOKEN='s3cr3t-'\\''quoted'\\'' $(touch /tmp/pwned-by-token)'\n` });
    expect(JSON.stringify(a.run.args)).not.toContain('s3cr3t');
    expect(a.run.args.join(' ')).not.toContain('TOKEN');
    expect(a.s.stderr).not.toContain('s3cr3t');
    expect(filesContaining(a.s.outdir, 's3cr3t')).toEqual([]);
    expect(fs.existsSync('/tmp/pwned-by-token')).toBe(false);
    // The folder holding the value is gone once the synth exited.
    const host = a.run.args.find((x) => x.includes(':/cdk-lambda-rust-env:'))!.split(':')[0];
    expect(fs.existsSync(host)).toBe(false);
    // Another value: the same S3 key (nothing of it entered the hash).
    const b = runWith('another value');
    expect(b.run.file?.text).toBe(`TOKEN='another value'\n`);
    expect(s3KeyOf(b.s.json, functionIds(b.s.json)[0])).toBe(s3KeyOf(a.s.json, functionIds(a.s.json)[0]));
  });

  test('a local build inherits the value (baked in with option_env!), and the key does not change with it', async () => {
    const crate = copySingle(tempDir('pass-local'));
    const fn = { id: 'Fn', entry: crate, bundling: { passEnvironment: ['FIXTURE_GREETING'] } };
    const build = (greeting: string) => {
      const s = synthAppInChild({ functions: [fn] }, env({ FIXTURE_GREETING: greeting }));
      expect(s.status).toBe(0);
      expect(s.stderr).not.toContain(greeting);
      return s;
    };
    const a = build('from the environment');
    const unzipped = tempDir('pass-local-unzipped');
    extractZip(stagedAssetOf(a.outdir, a.json, functionIds(a.json)[0]), unzipped);
    expect((await invokeBootstrap(path.join(unzipped, 'bootstrap'), 'x')).json.greeting).toBe('from the environment');
    const b = synthAppInChild({ context: SKIP_BUNDLING, functions: [fn] }, env({ FIXTURE_GREETING: 'something else' }));
    expect(s3KeyOf(b.json, functionIds(b.json)[0])).toBe(s3KeyOf(a.json, functionIds(a.json)[0]));
  });

  test('a name that is not set, or is no variable name, is INVALID_OPTION', () => {
    const crate = copySingle(tempDir('pass-unset'));
    const unset = synthAppInChild(
      { functions: [{ id: 'Fn', entry: crate, bundling: { passEnvironment: ['NOT_SET_ANYWHERE'] } }] },
      env({ NOT_SET_ANYWHERE: undefined }),
    );
    expect(unset.status).not.toBe(0);
    expect(unset.stderr).toContain('[INVALID_OPTION] `bundling.passEnvironment` names `NOT_SET_ANYWHERE`');
    const bad = synthAppInChild({ functions: [{ id: 'Fn', entry: crate, bundling: { passEnvironment: ['A=B'] } }] }, env({}));
    expect(bad.stderr).toContain('[INVALID_OPTION] `bundling.passEnvironment` names "A=B"');
  });
});

describe('hashing includes what a build may read', () => {
  test('a src/target/ module and a generated dot-file change the S3 key', () => {
    const crate = copySingle(tempDir('hash-inputs'));
    const key = () => {
      const s = synth((stack) => new rust.RustFunction(stack, 'Fn', { entry: crate }), { context: SKIP_BUNDLING });
      return s3KeyOf(s.json, functionIds(s.json)[0]);
    };
    const keys = [key()];
    fs.mkdirSync(path.join(crate, 'src', 'target'));
    fs.writeFileSync(path.join(crate, 'src', 'target', 'mod.rs'), 'pub fn f() {}\n');
    keys.push(key());
    fs.writeFileSync(path.join(crate, 'src', '.gen.rs'), 'pub const X: u8 = 1;\n');
    keys.push(key());
    fs.writeFileSync(path.join(crate, 'src', '.gen.rs'), 'pub const X: u8 = 2;\n');
    keys.push(key());
    expect(new Set(keys).size).toBe(4);
    // Version-control data and cargo's own target directory still do not count.
    fs.mkdirSync(path.join(crate, '.git'));
    fs.writeFileSync(path.join(crate, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    fs.mkdirSync(path.join(crate, 'target', 'release'), { recursive: true });
    fs.writeFileSync(path.join(crate, 'target', 'release', 'x'), 'build output');
    expect(key()).toBe(keys[3]);
  });
});

describe('the defining file of a subclass', () => {
  test("is the subclass's own file, as with NodejsFunction", () => {
    const s = synth(
      (stack) => {
        const fn = new MyRustFunction(stack, 'Sub');
        expect(fn.packageName).toBe('subclassed');
      },
      { context: SKIP_BUNDLING },
    );
    expect(functionIds(s.json)).toHaveLength(1);
  });
});

describe('the README teaches no injection', () => {
  test('every path a hook example puts into a shell command is quoted', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    const hooks = blocks.filter((b) => b.includes('beforeBundling') || b.includes('afterBundling'));
    expect(hooks.length).toBeGreaterThan(0);
    for (const block of hooks) {
      // `${inputDir}` or `${outputDir}` interpolated bare into a command string.
      expect(block).not.toMatch(/\$\{(inputDir|outputDir)\}/);
    }
  });
});
