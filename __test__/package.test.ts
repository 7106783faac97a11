/**
 * The packed tarball is what users install: it must carry the native addon
 * and compiled JS (npm 11 runs no install scripts), leave sources and tests
 * out, and work in a separate CDK app with no build step of its own.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { invokeBootstrap } from './support/runtime-api';
import { copySingle, tempDir } from './support/synth';
import { extractZip } from './support/zip';

const root = path.resolve(__dirname, '..');
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('the tarball holds the addon and compiled JS, not sources or tests', () => {
  const [packed] = JSON.parse(npm(['pack', '--dry-run', '--json'], root));
  const files: string[] = packed.files.map((f: { path: string }) => f.path);
  for (const needed of ['index.js', 'index.d.ts', 'dist/index.js', 'dist/index.d.ts', 'dist/function.js', 'package.json', 'README.md']) {
    expect(files).toContain(needed);
  }
  expect(files.some((f) => /\.node$/.test(f))).toBe(true);
  expect(files.filter((f) => /^(src|lib|__test__|examples|bench|target)\//.test(f) || f.endsWith('.rs'))).toEqual([]);
  expect(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts).not.toHaveProperty('install');
});

test('a separate CDK app installs the tarball and synthesizes a working function', async () => {
  const app = tempDir('consumer');
  npm(['pack', '--pack-destination', app], root);
  const tarball = fs.readdirSync(app).find((f) => f.endsWith('.tgz'))!;
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  const peers = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies;
  npm(['install', '--no-audit', '--no-fund', `./${tarball}`, `aws-cdk-lib@${peers['aws-cdk-lib']}`, `constructs@${peers.constructs}`], app);
  const crate = copySingle(app);
  fs.writeFileSync(
    path.join(app, 'app.js'),
    `const { App, Stack } = require('aws-cdk-lib');
const { RustFunction } = require('cdk-lambda-rust');
const app = new App({ outdir: 'cdk.out' });
new RustFunction(new Stack(app, 'Consumer'), 'Fn', { entry: ${JSON.stringify(crate)} });
app.synth();
`,
  );
  execFileSync(process.execPath, ['app.js'], { cwd: app, stdio: ['ignore', 'ignore', 'pipe'] });
  const zip = fs.readdirSync(path.join(app, 'cdk.out')).find((f) => f.endsWith('.zip'))!;
  const unzipped = tempDir('consumer-unzipped');
  extractZip(path.join(app, 'cdk.out', zip), unzipped);
  const answer = await invokeBootstrap(path.join(unzipped, 'bootstrap'), 'installed');
  expect(answer.json).toEqual({ function: 'single-fn', greeting: 'hello', input: 'installed' });
});
