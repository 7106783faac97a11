/**
 * A PATH shim for counting (and pausing) build tool invocations: a folder put
 * first on PATH with a `cargo-lambda` script that logs each call, optionally
 * waits, then runs the real cargo-lambda. Give `path` to a child process
 * (support/child.ts): jest hands each test file a copy of process.env, which
 * the native addon never sees.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './synth';

export interface Shim {
  /** The folder to put first on PATH. */
  readonly dir: string;
  /** One line per invocation: its arguments. */
  readonly log: string;
  /** PATH with the shim first. */
  readonly path: string;
  /** Invocations so far. */
  calls(): string[];
}

export function cargoLambdaShim(opts: { delaySeconds?: number } = {}): Shim {
  const real = execFileSync('sh', ['-c', 'command -v cargo-lambda'], { encoding: 'utf8' }).trim();
  const dir = tempDir('shim');
  const log = path.join(dir, 'calls.log');
  const delay = opts.delaySeconds ? `sleep ${opts.delaySeconds}\n` : '';
  fs.writeFileSync(
    path.join(dir, 'cargo-lambda'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n${delay}exec '${real}' "$@"\n`,
    { mode: 0o755 },
  );
  return {
    dir,
    log,
    path: `${dir}${path.delimiter}${process.env.PATH}`,
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('build')) : []),
  };
}
