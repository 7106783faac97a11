/**
 * `npm run example` as a user runs it: the example CDK app, using the built
 * package by its name, synthesizes a real lambda_runtime function whose
 * bootstrap answers an invocation.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { invokeBootstrap } from './support/runtime-api';
import { tempDir } from './support/synth';

test('the example app synthesizes a bootstrap that answers', async () => {
  const outdir = tempDir('example');
  const printed = execFileSync('node', [path.join(__dirname, '../examples/app/synth.js')], {
    env: { ...process.env, CDK_OUTDIR: outdir },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const bootstrap = /bootstrap: +(\S+)/.exec(printed)?.[1];
  expect(bootstrap).toBeDefined();
  expect(fs.statSync(bootstrap!).mode & 0o777).toBe(0o755);
  const template = JSON.parse(fs.readFileSync(path.join(outdir, 'HelloRust.template.json'), 'utf8'));
  const fn = Object.values(template.Resources as Record<string, any>).find((r) => r.Type === 'AWS::Lambda::Function');
  expect(fn.Properties).toMatchObject({ Runtime: 'provided.al2023', Handler: 'bootstrap', Architectures: ['x86_64'] });

  const answer = await invokeBootstrap(bootstrap!, { name: 'CDK' });
  expect(answer.json).toEqual({ message: 'Hello, CDK! (from Rust on x86_64)' });
});

test('the real cdk CLI synthesizes the example, with only the template on stdout', () => {
  const outdir = tempDir('example-cli');
  const cdk = path.join(__dirname, '..', 'node_modules', '.bin', 'cdk');
  const stdout = execFileSync(cdk, ['synth', '--no-notices', '--no-version-reporting', '--output', outdir], {
    cwd: path.join(__dirname, '..', 'examples', 'app'),
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // cargo's progress goes to stderr: stdout is exactly the template.
  expect(stdout).toMatch(/^Resources:\n/);
  expect(stdout).not.toMatch(/Compiling|Finished|cdk-lambda-rust:/);
  expect(stdout).toContain('Handler: bootstrap');
  expect(fs.readdirSync(outdir).filter((f) => /^asset\..*\.zip$/.test(f))).toHaveLength(1);
});
