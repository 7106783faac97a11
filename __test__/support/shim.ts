/**
 * A PATH shim for counting (and pausing) build tool invocations: a folder put
 * first on PATH with `cargo-lambda` and `cargo` scripts that log each call
 * (the first optionally waits), then run the real tools. Give `path` to a child process
 * (support/child.ts): jest hands each test file a copy of process.env, which
 * the native addon never sees.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './synth';

export interface Shim {
  /** The folder to put first on PATH. */
  readonly dir: string;
  /** One line per invocation: its arguments. */
  readonly log: string;
  /** PATH with the shim first. */
  readonly path: string;
  /** cargo-lambda build invocations so far. */
  calls(): string[];
  /** `cargo metadata` invocations so far. */
  metadataCalls(): string[];
}

export function cargoLambdaShim(opts: { delaySeconds?: number } = {}): Shim {
  const which = (tool: string) => execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  const realLambda = which('cargo-lambda');
  const realCargo = which('cargo');
  const dir = tempDir('shim');
  const log = path.join(dir, 'calls.log');
  const cargoLog = path.join(dir, 'cargo.log');
  const delay = opts.delaySeconds ? `sleep ${opts.delaySeconds}\n` : '';
  fs.writeFileSync(path.join(dir, 'cargo-lambda'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n${delay}exec '${realLambda}' "$@"\n`, {
    mode: 0o755,
  });
  fs.writeFileSync(path.join(dir, 'cargo'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${cargoLog}'\nexec '${realCargo}' "$@"\n`, { mode: 0o755 });
  const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : []);
  return {
    dir,
    log,
    path: `${dir}${path.delimiter}${process.env.PATH}`,
    calls: () => lines(log).filter((l) => l.includes('build')),
    metadataCalls: () => lines(cargoLog).filter((l) => l.startsWith('metadata')),
  };
}
