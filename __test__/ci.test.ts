/**
 * Under CI, a check that cannot run must fail, not pass by skipping itself:
 * the ARM64 tests need qemu there (support/qemu.ts), and `.ci/run` stops when
 * `scripts/setup-qemu.sh` fails. `.ci/run` is exercised for real, copied into
 * a scratch repository with stand-ins for the tools it installs and runs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { qemuRunner } from './support/qemu';
import { tempDir } from './support/synth';

const repo = path.resolve(__dirname, '..');
const QEMU_FILES = [
  'usr/bin/qemu-aarch64-static',
  'usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1',
  'usr/aarch64-linux-gnu/lib/libc.so.6',
  'usr/aarch64-linux-gnu/lib/libgcc_s.so.1',
];

/** A qemu cache folder with every file `qemuRunner` and `setup-qemu.sh` look for (empty stand-ins). */
function fakeQemuCache(dir: string): string {
  for (const rel of QEMU_FILES) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), '', { mode: 0o755 });
  }
  return dir;
}

describe('qemuRunner', () => {
  test('without qemu: undefined outside CI, an error naming the fix under CI', () => {
    const empty = tempDir('no-qemu');
    expect(qemuRunner({ cacheDir: empty, env: {} })).toBeUndefined();
    expect(qemuRunner({ cacheDir: empty, env: { CI: 'false' } })).toBeUndefined();
    expect(() => qemuRunner({ cacheDir: empty, env: { CI: 'true' } })).toThrow(
      new RegExp(
        `qemu is required under CI to run ARM64 bootstraps, but ${empty}/usr/bin/qemu-aarch64-static, .* are missing: run scripts/setup-qemu.sh`,
      ),
    );
    expect(() => qemuRunner({ cacheDir: empty, env: { CI: '1' } })).toThrow(/required under CI/);
  });

  test('with qemu: the runner, under CI or not', () => {
    const dir = fakeQemuCache(tempDir('fake-qemu'));
    const expected = [path.join(dir, QEMU_FILES[0]), '-L', path.join(dir, 'usr/aarch64-linux-gnu')];
    expect(qemuRunner({ cacheDir: dir, env: {} })).toEqual(expected);
    expect(qemuRunner({ cacheDir: dir, env: { CI: 'true' } })).toEqual(expected);
  });
});

describe('.ci/run', () => {
  /**
   * A scratch repository holding `.ci/run` and `scripts/setup-qemu.sh` (the
   * other scripts `.ci/run` runs are stand-ins that succeed), and a PATH
   * whose python3, rustup, cargo, node and npm do nothing but log (npm logs
   * its arguments and the CI it sees), and whose apt-get fails as it does
   * offline.
   */
  function scratch(): { root: string; env: NodeJS.ProcessEnv; npmCalls: () => string[] } {
    const root = tempDir('ci-run');
    const ciRun = fs.readFileSync(path.join(repo, '.ci/run'), 'utf8');
    const otherScripts = [...ciRun.matchAll(/^bash (scripts\/\S+)/gm)].map((m) => m[1]).filter((s) => s !== 'scripts/setup-qemu.sh');
    for (const rel of ['.ci/run', 'scripts/setup-qemu.sh', ...otherScripts]) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      if (otherScripts.includes(rel)) fs.writeFileSync(path.join(root, rel), 'exit 0\n');
      else fs.copyFileSync(path.join(repo, rel), path.join(root, rel));
      fs.chmodSync(path.join(root, rel), 0o755);
    }
    const bin = tempDir('ci-run-bin');
    const npmLog = path.join(bin, 'npm.log');
    const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    for (const name of ['python3', 'rustup', 'dpkg-deb']) stub(name, 'exit 0');
    stub('cargo', 'echo "cargo-lambda 1.9.2 (stand-in)"');
    stub('node', 'echo v20.0.0');
    stub('npm', `printf '%s CI=%s\\n' "$*" "$CI" >> '${npmLog}'`);
    stub('apt-get', 'echo "E: stand-in apt-get: no network" >&2; exit 100');
    const env: NodeJS.ProcessEnv = { PATH: `${bin}:/usr/bin:/bin`, HOME: root, TMPDIR: process.env.TMPDIR ?? '/tmp' };
    const npmCalls = () => (fs.existsSync(npmLog) ? fs.readFileSync(npmLog, 'utf8').trim().split('\n') : []);
    return { root, env, npmCalls };
  }

  const run = (root: string, env: NodeJS.ProcessEnv) =>
    spawnSync('bash', [path.join(root, '.ci/run')], { env, encoding: 'utf8', timeout: 60_000 });

  test('stops when setup-qemu.sh fails, before npm ci and npm test', () => {
    const { root, env, npmCalls } = scratch();
    const result = run(root, env);
    expect(result.stderr).toContain('setup-qemu: downloading');
    expect(result.status).not.toBe(0);
    expect(npmCalls()).toEqual([]);
  });

  test('goes on to npm ci and npm test, with CI set, once qemu is set up', () => {
    const { root, env, npmCalls } = scratch();
    fakeQemuCache(path.join(root, '.cache/qemu'));
    const result = run(root, env);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(npmCalls()).toEqual(['--version CI=true', 'ci --no-audit --no-fund CI=true', 'test CI=true']);
  });
});
