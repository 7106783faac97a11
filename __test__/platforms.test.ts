/**
 * A foreign platform's addon, built here and loaded by a real Node of that
 * platform (issue 10, the part CI runs): scripts/build-addons.sh builds the
 * linux-arm64-gnu addon with Zig (a debug build, to keep CI quick; releases
 * build all seven with `npm run test:platforms`), and
 * scripts/platforms/load-test.sh --quick lays it out in node_modules as npm
 * would, then runs the npm registry's linux-arm64 Node under qemu-aarch64: it
 * loads the addon through the napi loader (index.js), resolves and hashes the
 * fixture workspace, and must get this machine's x64 hashes.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { qemuRunner } from './support/qemu';

const root = path.resolve(__dirname, '..');

/** Runs a script of ours; returns its stderr (where they report), failing with it. */
function run(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync('bash', [path.join(root, script), ...args], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stderr;
}

test('the linux-arm64-gnu addon, built with Zig, loads in an arm64 Node under qemu and hashes like x64', () => {
  if (!qemuRunner()) {
    console.warn('skipped: qemu is missing (run scripts/setup-qemu.sh)');
    return;
  }
  run('scripts/build-addons.sh', ['linux-arm64-gnu'], { ...process.env, ADDON_PROFILE: 'dev' });
  const report = run('scripts/platforms/load-test.sh', ['--quick', 'linux-arm64-gnu']);
  expect(report).toMatch(
    /linux-arm64-gnu: node v\S+ arm64 glibc [\d.]+, alpha\/arm64 [0-9a-f]{16}… \(\d+ s\) same as this repository's host addon/,
  );
  expect(report).toContain('load-test: all passed');
}, 900_000);

// Item 4: the core compiles for the platforms CI cannot run (Windows, macOS),
// tests included, so a `std::os::unix` outside `cfg(unix)` fails here, not on a
// user's machine. `cargo check` compiles without linking: no SDK needed.
test('the core compiles for Windows and macOS', () => {
  const r = spawnSync(
    'cargo',
    [
      'check',
      '--quiet',
      '-p',
      'cdk-lambda-rust-core',
      '--all-targets',
      '--target',
      'x86_64-pc-windows-gnu',
      '--target',
      'aarch64-apple-darwin',
    ],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
}, 900_000);
