/**
 * A new user's app, with this package installed from its packed tarball (as
 * `npm install cdk-lambda-rust` would), laid out like `cdk init app`: the
 * stack in `lib/my-stack.js` (so default entries are `lib/my-stack.<id>/`),
 * the app in `bin/app.js`. One install per test file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './synth';

const root = path.resolve(__dirname, '..', '..');
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export interface AppFunction {
  readonly id: string;
  /** `RustFunction` props as JSON; `architecture: 'arm64'` becomes `Architecture.ARM_64`. */
  readonly props?: Record<string, unknown>;
}

export interface AppRun {
  readonly status: number | null;
  readonly stderr: string;
  readonly outdir: string;
  /** The template, when the synth succeeded. */
  readonly json?: any;
  /** What was thrown: its message, its own `code`, and `errorCode()` of it. */
  readonly error?: { message: string; code?: string; errorCode?: string };
}

const STACK = `const { Stack } = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const rust = require('cdk-lambda-rust');
class MyStack extends Stack {
  constructor(scope, id, functions) {
    super(scope, id);
    for (const fn of functions) {
      const props = { ...(fn.props || {}) };
      if (props.architecture === 'arm64') props.architecture = lambda.Architecture.ARM_64;
      new rust.RustFunction(this, fn.id, props);
    }
  }
}
module.exports = { MyStack };
`;

const APP = `const fs = require('fs');
const { App } = require('aws-cdk-lib');
const rust = require('cdk-lambda-rust');
const { MyStack } = require('../lib/my-stack');
const [outdir, specJson, resultFile] = process.argv.slice(2);
const spec = JSON.parse(specJson);
try {
  const app = new App({ outdir, context: spec.context });
  new MyStack(app, 'MyStack', spec.functions);
  app.synth();
} catch (e) {
  fs.writeFileSync(resultFile, JSON.stringify({ message: String(e && e.message), code: e && e.code, errorCode: rust.errorCode(e) }));
  process.exitCode = 1;
}
`;

let installed: string | undefined;

/** The app folder, with the packed tarball and the peer dependencies installed. */
export function packedApp(): string {
  if (installed) return installed;
  const app = tempDir('first-hour-app');
  npm(['pack', '--pack-destination', app], root);
  const tarball = fs.readdirSync(app).find((f) => f.endsWith('.tgz'))!;
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'my-app', private: true }));
  const peers = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies;
  npm(['install', '--no-audit', '--no-fund', `./${tarball}`, `aws-cdk-lib@${peers['aws-cdk-lib']}`, `constructs@${peers.constructs}`], app);
  fs.mkdirSync(path.join(app, 'lib'));
  fs.mkdirSync(path.join(app, 'bin'));
  fs.writeFileSync(path.join(app, 'lib', 'my-stack.js'), STACK);
  fs.writeFileSync(path.join(app, 'bin', 'app.js'), APP);
  installed = app;
  return app;
}

/** Synthesizes `functions` in the app, in a child process with `env` on top of ours. */
export function runApp(
  functions: AppFunction[],
  opts: { context?: Record<string, unknown>; env?: Record<string, string | undefined>; outdir?: string } = {},
): AppRun {
  const app = packedApp();
  const outdir = opts.outdir ?? tempDir('first-hour-out');
  const resultFile = path.join(tempDir('first-hour-result'), 'error.json');
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const spec = JSON.stringify({ context: opts.context, functions });
  const proc = spawnSync(process.execPath, [path.join(app, 'bin', 'app.js'), outdir, spec, resultFile], {
    cwd: app,
    env,
    encoding: 'utf8',
    timeout: 600_000,
  });
  const template = path.join(outdir, 'MyStack.template.json');
  return {
    status: proc.status,
    stderr: proc.stderr,
    outdir,
    json: proc.status === 0 && fs.existsSync(template) ? JSON.parse(fs.readFileSync(template, 'utf8')) : undefined,
    error: fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : undefined,
  };
}
