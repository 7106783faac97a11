/**
 * Python through jsii, end to end: the wheel built by jsii + jsii-pacmak
 * (scripts/jsii-package.sh), installed into a venv with aws-cdk-lib and
 * constructs from PyPI, and a Python CDK app (fixtures/python/app.py) that
 * synthesizes a workspace member found by `binary_name` alone (the default
 * entry where there is no defining file: ./Cargo.toml), an explicit `entry`,
 * an ARM64 function and command hooks written in Python. The staged
 * bootstraps answer real invocations, and every asset hash equals the one a
 * Node synth of the same app gives.
 *
 * The venv (~460 MB: aws-cdk-lib) is kept in .cache/python/venv-<key of the
 * pins and the Python version>, so only the first run downloads it; the wheel
 * is rebuilt and reinstalled on every run.
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rust from '../lib';
import { invokeArm64Bootstrap, invokeBootstrap } from './support/runtime-api';
import { copyFixtures, tempDir } from './support/synth';
import { extractZip, zipEntries } from './support/zip';

const root = path.resolve(__dirname, '..');
const pythonFixture = path.join(__dirname, 'fixtures', 'python');
const cacheDir = path.join(root, '.cache', 'python');
const STACK = 'PyStack';
const FUNCTIONS = ['Alpha', 'Single', 'Arm', 'Hooked'] as const;

const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;
const run = (command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync(command, args, { cwd: opts.cwd ?? root, env: opts.env ?? process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The venv with the pinned requirements, made once per set of pins and Python version. */
function pinnedVenv(): string {
  const pins = fs.readFileSync(path.join(pythonFixture, 'requirements.txt'), 'utf8');
  const python = run('python3', ['--version']).trim();
  const key = crypto.createHash('sha256').update(`${python}\n${pins}`).digest('hex').slice(0, 16);
  const venv = path.join(cacheDir, `venv-${key}`);
  const done = path.join(venv, '.complete');
  if (fs.existsSync(done)) return venv;
  // Venvs of other pins are stale: remove them, they are large.
  if (fs.existsSync(cacheDir)) {
    for (const old of fs.readdirSync(cacheDir).filter((d) => d.startsWith('venv-'))) {
      fs.rmSync(path.join(cacheDir, old), { recursive: true, force: true });
    }
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  run('python3', ['-m', 'venv', venv]);
  run(
    path.join(venv, 'bin', 'python'),
    ['-m', 'pip', 'install', '--quiet', '--no-input', '-r', path.join(pythonFixture, 'requirements.txt')],
    {
      env: { ...process.env, PIP_CACHE_DIR: path.join(root, '.cache', 'pip') },
    },
  );
  fs.writeFileSync(done, `${python}\n${pins}`);
  return venv;
}

interface PythonResult {
  readonly defaultDockerImage: string;
  readonly alpha: { packageName: string; binaryName: string };
  readonly error: { type: string; message: string; code: string | null } | null;
}

/** The logical id of the construct `id`'s Lambda function in `json`. */
function functionId(json: any, id: string): string {
  const found = Object.entries(json.Resources as Record<string, any>).find(
    ([logicalId, r]) => r.Type === 'AWS::Lambda::Function' && logicalId.startsWith(id),
  );
  if (!found) throw new Error(`no function ${id} in the template`);
  return found[0];
}

const s3Key = (json: any, id: string): string => json.Resources[functionId(json, id)].Properties.Code.S3Key;

/** The staged zip of the construct `id`'s function in the cloud assembly `outdir`. */
function stagedZip(outdir: string, json: any, id: string): string {
  const hash = s3Key(json, id).replace(/\.zip$/, '');
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, `${STACK}.assets.json`), 'utf8'));
  return path.join(outdir, manifest.files[hash].source.path);
}

const timings: Record<string, number> = {};
let pyOut: string;
let pyJson: any;
let nodeJson: any;
let result: PythonResult;
let venvPython: string;

beforeAll(() => {
  let t = Date.now();
  const built = run('bash', [path.join(root, 'scripts', 'jsii-package.sh'), 'python']);
  timings.jsiiPackage = seconds(t);
  timings.jsii = Number(/jsii compiled lib\/ in (\d+) s/.exec(built)?.[1]);
  timings.pacmakPython = Number(/jsii-pacmak built python in (\d+) s/.exec(built)?.[1]);
  const wheel = fs
    .readdirSync(path.join(root, 'dist-jsii', 'python'))
    .filter((f) => f.endsWith('.whl'))
    .map((f) => path.join(root, 'dist-jsii', 'python', f))[0];
  if (!wheel) throw new Error(`jsii-pacmak made no wheel:\n${built}`);
  timings.wheelBytes = fs.statSync(wheel).size;

  t = Date.now();
  const venv = pinnedVenv();
  timings.venv = seconds(t);
  t = Date.now();
  const python = path.join(venv, 'bin', 'python');
  venvPython = python;
  run(python, ['-m', 'pip', 'install', '--quiet', '--no-input', '--no-deps', '--force-reinstall', wheel]);
  timings.wheelInstall = seconds(t);

  // The Python app and the Node app work on the same copies, so paths match.
  const work = tempDir('python');
  const workspace = copyFixtures(work, 'workspace', 'single', 'mini_lambda');
  const single = path.join(work, 'single');
  const spec = path.join(work, 'spec.json');
  fs.writeFileSync(spec, JSON.stringify({ single }));
  const resultFile = path.join(work, 'result.json');
  pyOut = path.join(work, 'py.out');
  t = Date.now();
  try {
    // From the workspace root: `binary_name` alone finds ./Cargo.toml.
    run(python, [path.join(pythonFixture, 'app.py'), pyOut, spec, resultFile], { cwd: workspace });
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`the Python app failed: ${failed.message}\n${failed.stderr ?? ''}`);
  }
  timings.pythonSynth = seconds(t);
  result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  pyJson = JSON.parse(fs.readFileSync(path.join(pyOut, `${STACK}.template.json`), 'utf8'));

  // The same app in Node (entries explicit: here the defining file is this test).
  t = Date.now();
  const nodeOut = path.join(work, 'node.out');
  const app = new App({ outdir: nodeOut });
  const stack = new Stack(app, STACK);
  new rust.RustFunction(stack, 'Alpha', { entry: workspace, binaryName: 'alpha' });
  new rust.RustFunction(stack, 'Single', { entry: single });
  new rust.RustFunction(stack, 'Arm', { entry: single, architecture: lambda.Architecture.ARM_64 });
  const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  new rust.RustFunction(stack, 'Hooked', {
    entry: workspace,
    binaryName: 'beta',
    bundling: {
      commandHooks: {
        beforeBundling: (inputDir: string) => [`test -f ${shellQuote(`${inputDir}/Cargo.toml`)}`],
        afterBundling: (_: string, outputDir: string) => [`echo from-python > ${shellQuote(`${outputDir}/hook.txt`)}`],
      },
      extraBuildArgs: ['--locked'],
    },
  });
  app.synth();
  timings.nodeSynth = seconds(t);
  nodeJson = JSON.parse(fs.readFileSync(path.join(nodeOut, `${STACK}.template.json`), 'utf8'));
  console.log(`python.test timings (s; wheel in bytes): ${JSON.stringify(timings)}`);
  console.log(
    `python.test asset hashes (Python synth): ${JSON.stringify(Object.fromEntries(FUNCTIONS.map((id) => [id, s3Key(pyJson, id)])))}`,
  );
});

test('the wheel carries the npm tarball with this machine’s addon and the assembly', () => {
  const wheel = fs.readdirSync(path.join(root, 'dist-jsii', 'python')).find((f) => f.endsWith('.whl'))!;
  const unpacked = tempDir('wheel');
  extractZip(path.join(root, 'dist-jsii', 'python', wheel), unpacked);
  const jsiiDir = path.join(unpacked, 'cdk_lambda_rust', '_jsii');
  const tarball = fs.readdirSync(jsiiDir).find((f) => f.endsWith('.jsii.tgz'))!;
  const files = run('tar', ['tzf', path.join(jsiiDir, tarball)]).split('\n');
  expect(files).toEqual(expect.arrayContaining(['package/.jsii', 'package/index.js', 'package/dist/index.js']));
  const addons = files.filter((f) => /^package\/cdk-lambda-rust\.[^/]+\.node$/.test(f));
  const own = fs.readdirSync(root).filter((f) => /^cdk-lambda-rust\..+\.node$/.test(f));
  expect(addons.sort()).toEqual(own.map((f) => `package/${f}`).sort());
  expect(files.filter((f) => /^package\/(lib|src|__test__|crates)\//.test(f))).toEqual([]);
});

test('the default entry from Python is ./Cargo.toml: binary_name alone finds the workspace member', () => {
  expect(result.alpha).toEqual({ packageName: 'alpha', binaryName: 'alpha' });
});

test.each(FUNCTIONS)('%s has the asset hash of a Node synth of the same app', (id) => {
  expect(s3Key(pyJson, id)).toMatch(/^[0-9a-f]{64}\.zip$/);
  expect(s3Key(pyJson, id)).toBe(s3Key(nodeJson, id));
});

test.each([
  ['Alpha', { function: 'alpha', input: 'py' }],
  ['Single', { function: 'single-fn', greeting: 'hello', input: 'py' }],
  ['Hooked', { function: 'beta', tag: 'shared-v1', input: 'py' }],
])('the staged bootstrap of %s answers an invocation', async (id, expected) => {
  const dir = tempDir('py-unzipped');
  extractZip(stagedZip(pyOut, pyJson, id), dir);
  const answer = await invokeBootstrap(path.join(dir, 'bootstrap'), 'py');
  expect(answer.json).toEqual(expected);
});

test('the ARM64 function is an aarch64 bootstrap that answers under qemu (ELF header only without qemu, outside CI)', async () => {
  expect(pyJson.Resources[functionId(pyJson, 'Arm')].Properties.Architectures).toEqual(['arm64']);
  const dir = tempDir('py-arm');
  extractZip(stagedZip(pyOut, pyJson, 'Arm'), dir);
  const bootstrap = path.join(dir, 'bootstrap');
  expect(fs.readFileSync(bootstrap).readUInt16LE(18)).toBe(183); // EM_AARCH64
  const answer = await invokeArm64Bootstrap(bootstrap, 'arm');
  if (answer !== undefined) expect(answer).toEqual({ function: 'single-fn', greeting: 'hello', input: 'arm' });
});

test('command hooks written in Python ran: the after-bundling file is in the asset', () => {
  const zip = stagedZip(pyOut, pyJson, 'Hooked');
  expect(zipEntries(zip).map((e) => e.name)).toEqual(expect.arrayContaining(['bootstrap', 'hook.txt']));
  const dir = tempDir('py-hooked');
  extractZip(zip, dir);
  expect(fs.readFileSync(path.join(dir, 'hook.txt'), 'utf8').trim()).toBe('from-python');
});

test('errors reach Python as RuntimeError with the [CODE] prefix, and RustErrors.code_of reads it', () => {
  expect(result.error).not.toBeNull();
  expect(result.error!.type).toBe('RuntimeError');
  expect(result.error!.message).toMatch(/^\[UNKNOWN_BINARY\] no binary named `no_such_binary`/);
  expect(result.error!.code).toBe('UNKNOWN_BINARY');
});

test('RustFunction.DEFAULT_DOCKER_IMAGE reaches Python', () => {
  expect(result.defaultDockerImage).toBe(rust.DEFAULT_DOCKER_IMAGE);
});

test('the README’s Python snippets compile, and what they import from cdk_lambda_rust exists', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```python\n([\s\S]*?)^```/gm)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThanOrEqual(1);
  const dir = tempDir('readme-python');
  blocks.forEach((code, i) => {
    const file = path.join(dir, `snippet${i}.py`);
    fs.writeFileSync(file, code);
    run(venvPython, ['-m', 'py_compile', file]);
    const imports = [...code.matchAll(/^from cdk_lambda_rust import (.+)$/gm)].map((m) => m[0]);
    if (imports.length > 0) run(venvPython, ['-c', imports.join('\n')]);
  });
});

test('the assembly keeps every prop’s documentation: a summary, and a default for each optional one', () => {
  const assembly = JSON.parse(fs.readFileSync(path.join(root, '.jsii'), 'utf8'));
  const missing: string[] = [];
  for (const [fqn, type] of Object.entries(assembly.types as Record<string, any>)) {
    for (const prop of type.properties ?? []) {
      if (!prop.docs?.summary) missing.push(`${fqn}.${prop.name}: summary`);
      if (prop.optional && prop.docs?.default === undefined) missing.push(`${fqn}.${prop.name}: @default`);
    }
  }
  expect(missing).toEqual([]);
  expect(Object.keys(assembly.types)).toEqual(
    expect.arrayContaining(['cdk-lambda-rust.RustFunction', 'cdk-lambda-rust.RustExtension', 'cdk-lambda-rust.RustErrors']),
  );
  expect(Object.keys(assembly.targets).sort()).toEqual(['dotnet', 'go', 'java', 'js', 'python']);
});
