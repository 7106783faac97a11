/** Synthesizes in a child process: see child-app.js for why. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './synth';

export interface ChildFunction {
  readonly id: string;
  readonly entry: string;
  readonly binaryName?: string;
  readonly architecture?: 'x86_64' | 'arm64';
  /** JSON-able `bundling` props (enums as their string values). */
  readonly bundling?: Record<string, unknown>;
  /** The commands `bundling.commandHooks` returns. */
  readonly hooks?: { readonly beforeBundling?: string[]; readonly afterBundling?: string[] };
}

export interface ChildAppSpec {
  /** App context, e.g. `{ 'aws:cdk:bundling-stacks': [] }`. */
  readonly context?: Record<string, unknown>;
  readonly functions: ChildFunction[];
}

export interface ChildSynth {
  readonly status: number | null;
  readonly stderr: string;
  readonly outdir: string;
  /** The template, when the synth succeeded. */
  readonly json?: any;
}

const SCRIPT = path.join(__dirname, 'child-app.js');

function args(outdir: string, spec: ChildAppSpec): string[] {
  return [SCRIPT, outdir, JSON.stringify(spec)];
}

/** Runs the synth to completion, with `env` as the child's whole environment. */
export function synthAppInChild(spec: ChildAppSpec, env: NodeJS.ProcessEnv, outdir = tempDir('child-cdkout')): ChildSynth {
  const proc = spawnSync(process.execPath, args(outdir, spec), {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  const templatePath = path.join(outdir, 'TestStack.template.json');
  const json = proc.status === 0 && fs.existsSync(templatePath) ? JSON.parse(fs.readFileSync(templatePath, 'utf8')) : undefined;
  return { status: proc.status, stderr: proc.stderr, outdir, json };
}

/** Starts the synth in its own process group (so a test can kill it whole). */
export function startAppInChild(spec: ChildAppSpec, env: NodeJS.ProcessEnv, outdir: string): ChildProcess {
  return spawn(process.execPath, args(outdir, spec), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

/** Resolves when the child exits, with its exit code and stderr. */
export function finished(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}
