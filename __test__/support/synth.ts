/**
 * Synthesizes stacks the way `cdk synth` does (bundling included) and finds
 * the staged `bootstrap.zip` of each Rust function in the cloud assembly.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { extractZip } from './zip';

export interface Synthesized {
  readonly outdir: string;
  readonly stack: Stack;
  readonly template: Template;
  /** Raw CloudFormation template. */
  readonly json: any;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cdk-lambda-rust-${prefix}-`));
}

/** Builds a stack with `define` and synthesizes it into `outdir`. */
export function synth(define: (stack: Stack) => void, opts: { outdir?: string; context?: Record<string, unknown> } = {}): Synthesized {
  const outdir = opts.outdir ?? tempDir('cdkout');
  const app = new App({ outdir, context: opts.context });
  const stack = new Stack(app, 'TestStack');
  define(stack);
  app.synth();
  const json = JSON.parse(fs.readFileSync(path.join(outdir, 'TestStack.template.json'), 'utf8'));
  return { outdir, stack, template: Template.fromJSON(json), json };
}

/** Logical ids of the stack's Lambda functions, in template order. */
export function functionIds(json: any): string[] {
  return Object.entries(json.Resources as Record<string, any>)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([id]) => id);
}

/** The S3 key of a function's code. */
export function s3KeyOf(json: any, logicalId: string): string {
  return json.Resources[logicalId].Properties.Code.S3Key;
}

/** The staged asset file (`asset.<hash>.zip`) of a function. */
export function assetZipOf(s: Synthesized, logicalId: string): string {
  const hash = s3KeyOf(s.json, logicalId).replace(/\.zip$/, '');
  const manifest = JSON.parse(fs.readFileSync(path.join(s.outdir, 'TestStack.assets.json'), 'utf8'));
  const asset = manifest.files[hash];
  if (!asset) throw new Error(`no asset ${hash} in ${s.outdir}`);
  return path.join(s.outdir, asset.source.path);
}

/** Unpacks a function's asset into a temp folder and returns its `bootstrap`. */
export function bootstrapOf(s: Synthesized, logicalId: string): string {
  const dir = tempDir('unzipped');
  extractZip(assetZipOf(s, logicalId), dir);
  return path.join(dir, 'bootstrap');
}

const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** Copies fixture crates side by side into `parent` (without build output); returns the first copy. */
export function copyFixtures(parent: string, ...names: string[]): string {
  const skipTarget = (src: string) => path.basename(src) !== 'target';
  for (const name of names) {
    fs.cpSync(path.join(FIXTURES, name), path.join(parent, name), { recursive: true, filter: skipTarget });
  }
  return path.join(parent, names[0]);
}

/** Copies the `single` fixture (and the mini_lambda it depends on) into `parent`. */
export function copySingle(parent: string): string {
  return copyFixtures(parent, 'single', 'mini_lambda');
}

/** The error `fn` throws (fails the test when it throws none). */
export function errorOf(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error, but none was thrown');
}
