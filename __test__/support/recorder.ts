/**
 * Recording stand-ins for tools that cannot (or must not) run here.
 *
 * - `dockerRecorder()`: a bash script for `$CDK_DOCKER` (CDK runs it instead of
 *   `docker`). It logs each call's full argv as one JSON array per line and,
 *   for the bundling `run` (and VOLUME_COPY's `cp` out of the container),
 *   writes a placeholder `bootstrap` where CDK collects the output. It builds
 *   nothing: tests that use it check the argv CDK would hand to a real Docker
 *   engine, never that a Docker build works.
 * - `crossRecorder()`: a bash `cross` to put first on PATH. It logs its argv
 *   and, if told to, copies a real binary to where `cross build` would leave
 *   it. The real cross is never run (it would change the shared toolchain).
 * - `pathWithoutLocalTools()`: a PATH with cargo and rustc but without
 *   cargo-lambda and cargo-zigbuild.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ChildSynth, synthAppInChild } from './child';
import { tempDir } from './synth';

export type { ChildSynth };

/**
 * The text every recorded `docker run` leaves in its `bootstrap`, after a
 * minimal static ELF header for the `--target` of the build (so the checks
 * Docker-built bootstraps get pass: machine right, no glibc needs).
 */
export const PLACEHOLDER_BOOTSTRAP = 'placeholder bootstrap written by the docker recorder\n';

export interface Recorder {
  /** The executable to use (`CDK_DOCKER`, or the folder to put on PATH for cross). */
  readonly executable: string;
  /** Every call so far, one argv (without the program) per call. */
  calls(): string[][];
  /** Forgets the calls so far. */
  reset(): void;
}

export interface DockerRecorder extends Recorder {
  /** The bundling runs: `docker run --rm ...` calls. */
  runs(): string[][];
}

export interface DockerRecorderOptions {
  /** Exit status of the bundling `run` (default 0), after writing to stderr. */
  readonly runExitCode?: number;
}

function writeRecorder(dir: string, name: string, js: string): { executable: string; log: string } {
  const log = path.join(dir, `${name}.calls.jsonl`);
  const impl = path.join(dir, `${name}.recorder.js`);
  fs.writeFileSync(
    impl,
    `'use strict';\nconst fs = require('fs');\nconst path = require('path');\nconst LOG = ${JSON.stringify(log)};\n` +
      `const args = process.argv.slice(2);\nfs.appendFileSync(LOG, JSON.stringify(args) + '\\n');\n${js}\n`,
  );
  const executable = path.join(dir, name);
  // Node is run by absolute path: the tests change PATH.
  fs.writeFileSync(executable, `#!/bin/bash\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(impl)} "$@"\n`, {
    mode: 0o755,
  });
  return { executable, log };
}

function readCalls(log: string): string[][] {
  if (!fs.existsSync(log)) return [];
  return fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as string[]);
}

export function dockerRecorder(opts: DockerRecorderOptions = {}): DockerRecorder {
  const dir = tempDir('docker-recorder');
  const js = `
const BOOTSTRAP = ${JSON.stringify(PLACEHOLDER_BOOTSTRAP)};
const RUN_EXIT = ${opts.runExitCode ?? 0};
function elfHeader() {
  // EM_AARCH64 for an aarch64 --target, else EM_X86_64; ELF64 LE, ET_EXEC, no program or section headers.
  const target = args[args.indexOf('--target') + 1] || '';
  const b = Buffer.alloc(64);
  b.write('\\x7fELF', 0, 'latin1');
  b[4] = 2; b[5] = 1; b[6] = 1;
  b.writeUInt16LE(2, 16);
  b.writeUInt16LE(target.startsWith('aarch64') ? 183 : 62, 18);
  b.writeUInt32LE(1, 20);
  b.writeUInt16LE(64, 52); b.writeUInt16LE(56, 54); b.writeUInt16LE(64, 58);
  return b;
}
function place(folder) {
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'bootstrap'), Buffer.concat([elfHeader(), Buffer.from(BOOTSTRAP)]), { mode: 0o755 });
}
if (args[0] === 'run' && args.includes('--rm')) {
  // Bind mount: -v <host>:/asset-output:[z,]delegated
  for (let i = 0; i + 1 < args.length; i++) {
    const m = args[i] === '-v' ? /^(.+):\\/asset-output(?::[^:]*)?$/.exec(args[i + 1]) : null;
    if (m && RUN_EXIT === 0) place(m[1]);
  }
  if (RUN_EXIT !== 0) {
    process.stderr.write('docker recorder: failing this run as the test asked\\n');
    process.exit(RUN_EXIT);
  }
} else if (args[0] === 'cp' && /^[^/]+:\\/asset-output\\/\\.$/.test(args[1] || '')) {
  // VOLUME_COPY: docker cp <container>:/asset-output/. <bundle dir>
  place(args[2]);
} else if (args[0] === 'create') {
  process.stdout.write('0123456789abcdef0123456789abcdef\\n');
}
process.exit(0);
`;
  const { executable, log } = writeRecorder(dir, 'docker', js);
  return {
    executable,
    calls: () => readCalls(log),
    runs: () => readCalls(log).filter((c) => c[0] === 'run' && c.includes('--rm')),
    reset: () => fs.rmSync(log, { force: true }),
  };
}

export interface CrossRecorderOptions {
  /** A real binary to copy to `<target dir>/<triple>/<profile>/<bin>` for each `--bin`. */
  readonly binary?: string;
  /** Exit status (default 0); lines written to stderr first. */
  readonly exitCode?: number;
  readonly stderrLines?: string[];
  /** Environment variables whose values each call records (see `envs()`). */
  readonly recordEnv?: string[];
}

export interface CrossRecorder extends Recorder {
  /** The folder holding `cross`, to put first on PATH. */
  readonly dir: string;
  /** PATH with the recorder first. */
  readonly path: string;
  /** Per call, the values of `recordEnv` it saw (null: unset). */
  envs(): Record<string, string | null>[];
}

export function crossRecorder(opts: CrossRecorderOptions = {}): CrossRecorder {
  const dir = tempDir('cross-recorder');
  const js = `
const BINARY = ${JSON.stringify(opts.binary ?? null)};
const value = (flag) => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
if (BINARY && args[0] === 'build') {
  const manifest = value('--manifest-path') || path.join(process.cwd(), 'Cargo.toml');
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(path.dirname(manifest), 'target');
  const profile = args.includes('--release') ? 'release' : (value('--profile') || 'debug');
  const out = path.join(targetDir, value('--target'), profile);
  fs.mkdirSync(out, { recursive: true });
  args.forEach((a, i) => { if (a === '--bin') fs.copyFileSync(BINARY, path.join(out, args[i + 1])); });
}
const seen = {};
for (const name of ${JSON.stringify(opts.recordEnv ?? [])}) seen[name] = process.env[name] ?? null;
fs.appendFileSync(LOG + '.env', JSON.stringify(seen) + '\\n');
for (const line of ${JSON.stringify(opts.stderrLines ?? [])}) process.stderr.write(line + '\\n');
process.exit(${opts.exitCode ?? 0});
`;
  const { executable, log } = writeRecorder(dir, 'cross', js);
  return {
    executable,
    dir,
    path: `${dir}${path.delimiter}${process.env.PATH}`,
    calls: () => readCalls(log),
    envs: () => readCalls(`${log}.env`) as unknown as Record<string, string | null>[],
    reset: () => {
      fs.rmSync(log, { force: true });
      fs.rmSync(`${log}.env`, { force: true });
    },
  };
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first `tool` on `pathVar`, like `command -v`. */
export function which(tool: string, pathVar = process.env.PATH ?? ''): string | undefined {
  return pathVar
    .split(path.delimiter)
    .filter(Boolean)
    .map((d) => path.join(d, tool))
    .find(isExecutable);
}

/**
 * The current PATH without the folders that hold cargo-lambda or
 * cargo-zigbuild, plus a folder of links to cargo, rustc and rustup if
 * dropping those folders lost them (cargo-lambda installed with
 * `cargo install` sits next to cargo).
 */
export function pathWithoutLocalTools(): string {
  const dropped = ['cargo-lambda', 'cargo-zigbuild'];
  const needed = ['cargo', 'rustc', 'rustup'];
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const kept = dirs.filter((d) => !dropped.some((tool) => isExecutable(path.join(d, tool))));
  const links = tempDir('tools');
  for (const tool of needed) {
    const found = which(tool);
    if (found && !which(tool, kept.join(path.delimiter))) fs.symlinkSync(found, path.join(links, tool));
  }
  return [links, ...kept].join(path.delimiter);
}

/** Runs `fn` with environment variables set (undefined: removed), then restores them. */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The values that follow each occurrence of `flag` in `argv`. */
export function flagValues(argv: string[], flag: string): string[] {
  return argv.flatMap((a, i) => (a === flag && i + 1 < argv.length ? [argv[i + 1]] : []));
}

/** Splits a recorded `docker run` at `image`: the options before it, the container command after. */
export function splitRun(argv: string[], image: string): { options: string[]; command: string[] } {
  const i = argv.indexOf(image);
  if (i < 0) throw new Error(`image ${image} not in ${JSON.stringify(argv)}`);
  return { options: argv.slice(1, i), command: argv.slice(i + 1) };
}

export interface ChildSynthSpec {
  /** `entry` of the one RustFunction. */
  readonly entry: string;
  /** `x86_64` (default) or `arm64`. */
  readonly architecture?: 'x86_64' | 'arm64';
  /** JSON-able `bundling` props (`packageManagerType` as its string value). */
  readonly bundling?: Record<string, unknown>;
}

/** Synthesizes one RustFunction (id `Fn`) in a child process with `env` (see child-app.js). */
export function synthInChild(spec: ChildSynthSpec, env: NodeJS.ProcessEnv): ChildSynth {
  return synthAppInChild({ functions: [{ id: 'Fn', ...spec }] }, env);
}

/**
 * The staged asset of a function's code in `outdir`: a zip (local bundling
 * writes `bootstrap.zip`) or a folder (Docker bundling leaves loose files).
 */
export function stagedAssetOf(outdir: string, json: any, logicalId: string): string {
  const key: string = json.Resources[logicalId].Properties.Code.S3Key;
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'TestStack.assets.json'), 'utf8'));
  const asset = manifest.files[key.replace(/\.zip$/, '')];
  if (!asset) throw new Error(`no asset for ${key} in ${outdir}`);
  return path.join(outdir, asset.source.path);
}
