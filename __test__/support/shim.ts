/**
 * A PATH shim for counting (and pausing) build tool invocations: a folder put
 * first on PATH with `cargo-lambda` and `cargo` scripts that log each call
 * (optionally waiting first), then run the real tools. `cargo-lambda` also
 * writes a timeline: when each build started and ended (wall clock, with the
 * caller's `SHIM_LABEL`), for tests about concurrency. Give `path` to a child
 * process (support/child.ts): jest hands each test file a copy of
 * process.env, which the native addon never sees.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './synth';

export interface TimelineEvent {
  /** `start` and `end` of a cargo-lambda run; other words are the test's own lines. */
  readonly event: string;
  /** Wall-clock time, in milliseconds since the epoch (microsecond precision). */
  readonly ms: number;
  /** The `SHIM_LABEL` of the process that wrote the line. */
  readonly label: string;
}

export interface Shim {
  /** The folder to put first on PATH. */
  readonly dir: string;
  /** One line per invocation: its arguments. */
  readonly log: string;
  /**
   * The timeline file: lines `<event> <nanoseconds since the epoch> <label>`.
   * Tests may append their own events (e.g. from a command hook).
   */
  readonly timelineFile: string;
  /** PATH with the shim first. */
  readonly path: string;
  /** cargo-lambda build invocations so far. */
  calls(): string[];
  /** `cargo metadata` invocations so far. */
  metadataCalls(): string[];
  /** The timeline so far, in file order. */
  timeline(): TimelineEvent[];
}

export interface ShimOptions {
  /** Seconds each cargo-lambda run sleeps before the real tool runs. */
  readonly delaySeconds?: number;
  /**
   * Before the real tool runs, wait (at most 120 s) until the timeline holds
   * this many lines starting with `waitFor.event`.
   */
  readonly waitFor?: { readonly event: string; readonly count: number };
  /**
   * Never run the real cargo-lambda: log the call and exit with this status
   * (for builds that must not run, e.g. of crates whose dependencies are not
   * downloaded).
   */
  readonly failWith?: number;
}

/** A nanosecond wall-clock timestamp, from the shell. */
const NOW_NS = '$(date +%s%N)';

export function cargoLambdaShim(opts: ShimOptions = {}): Shim {
  const which = (tool: string) => execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  const realLambda = which('cargo-lambda');
  const realCargo = which('cargo');
  const dir = tempDir('shim');
  const log = path.join(dir, 'calls.log');
  const cargoLog = path.join(dir, 'cargo.log');
  const timelineFile = path.join(dir, 'timeline.log');
  const delay = opts.delaySeconds ? `sleep ${opts.delaySeconds}\n` : '';
  const wait = opts.waitFor
    ? `n=0; until c=$(grep -c '^${opts.waitFor.event} ' '${timelineFile}' 2>/dev/null); [ "\${c:-0}" -ge ${opts.waitFor.count} ] || [ $n -ge 2400 ]; do sleep 0.05; n=$((n+1)); done\n`
    : '';
  fs.writeFileSync(
    path.join(dir, 'cargo-lambda'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n` +
      `printf 'start %s %s\\n' "${NOW_NS}" "$SHIM_LABEL" >> '${timelineFile}'\n` +
      `${delay}${wait}${opts.failWith === undefined ? `'${realLambda}' "$@"\nstatus=$?` : `status=${opts.failWith}`}\n` +
      `printf 'end %s %s\\n' "${NOW_NS}" "$SHIM_LABEL" >> '${timelineFile}'\nexit $status\n`,
    { mode: 0o755 },
  );
  fs.writeFileSync(path.join(dir, 'cargo'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${cargoLog}'\nexec '${realCargo}' "$@"\n`, { mode: 0o755 });
  const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : []);
  return {
    dir,
    log,
    timelineFile,
    path: `${dir}${path.delimiter}${process.env.PATH}`,
    calls: () => lines(log).filter((l) => l.includes('build')),
    metadataCalls: () => lines(cargoLog).filter((l) => l.startsWith('metadata')),
    timeline: () =>
      lines(timelineFile)
        .filter((l) => l.length > 0)
        .map((l) => {
          const [event, ns, label = ''] = l.split(' ');
          return { event, ms: Number(BigInt(ns) / 1000n) / 1000, label };
        }),
  };
}
