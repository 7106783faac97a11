/**
 * The walking skeleton end to end: real CDK synth, real cargo-lambda build,
 * and the staged bootstrap invoked against a Runtime API served here.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rust from '../lib';
import { MyConstruct } from './fixtures/default_entry/my-construct';
import { invokeArm64Bootstrap, invokeBootstrap } from './support/runtime-api';
import { assetZipOf, bootstrapOf, errorOf, functionIds, synth } from './support/synth';
import { zipEntries } from './support/zip';

const fixtures = path.join(__dirname, 'fixtures');

describe('default entry (defining-file.id/Cargo.toml)', () => {
  const s = synth((stack) => new MyConstruct(stack, 'Mine'));
  const [id] = functionIds(s.json);

  test('the template is an OS-only function running bootstrap, with props passed through', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      Architectures: ['x86_64'],
      MemorySize: 256,
      Description: 'default entry',
      Environment: { Variables: { STAGE: 'test' } },
    });
  });

  test('the asset is one zip holding an executable bootstrap', () => {
    const entries = zipEntries(assetZipOf(s, id));
    expect(entries.map((e) => e.name)).toEqual(['bootstrap']);
    expect(entries[0].mode & 0o777).toBe(0o755);
  });

  test('the staged bootstrap answers a real invocation', async () => {
    const answer = await invokeBootstrap(bootstrapOf(s, id), { hello: 'lambda' });
    expect(answer.json).toEqual({ function: 'my_function', input: { hello: 'lambda' } });
  });
});

describe('explicit entry', () => {
  test.each([
    ['a folder', path.join(fixtures, 'single')],
    ['a Cargo.toml', path.join(fixtures, 'single', 'Cargo.toml')],
    ['a relative path', path.relative(process.cwd(), path.join(fixtures, 'single'))],
  ])('entry as %s builds the package binary', async (_, entry) => {
    const s = synth((stack) => {
      const fn = new rust.RustFunction(stack, 'Single', { entry, timeout: Duration.seconds(3) });
      expect(fn.binaryName).toBe('single-fn');
      expect(fn.packageName).toBe('single-fn');
    });
    s.template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 3, Handler: 'bootstrap' });
    const answer = await invokeBootstrap(bootstrapOf(s, functionIds(s.json)[0]), 42);
    expect(answer.json).toEqual({ function: 'single-fn', greeting: 'hello', input: 42 });
  });

  test('ARM_64 builds an aarch64 bootstrap that answers under qemu (ELF header only without qemu, outside CI)', async () => {
    const s = synth((stack) => {
      new rust.RustFunction(stack, 'Arm', { entry: path.join(fixtures, 'single'), architecture: lambda.Architecture.ARM_64 });
    });
    s.template.hasResourceProperties('AWS::Lambda::Function', { Architectures: ['arm64'] });
    const bootstrap = bootstrapOf(s, functionIds(s.json)[0]);
    const header = fs.readFileSync(bootstrap).subarray(0, 20);
    expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(header.readUInt16LE(18)).toBe(183); // EM_AARCH64
    const answer = await invokeArm64Bootstrap(bootstrap, 'arm');
    if (answer !== undefined) expect(answer).toEqual({ function: 'single-fn', greeting: 'hello', input: 'arm' });
  });
});

describe('errors a user can act on', () => {
  test('a non OS-only runtime is refused', () => {
    const error = errorOf(() =>
      synth((stack) => new rust.RustFunction(stack, 'Node', { entry: path.join(fixtures, 'single'), runtime: lambda.Runtime.NODEJS_20_X })),
    );
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toMatch(/OS-only runtime such as lambda.Runtime.PROVIDED_AL2023, got nodejs20.x/);
  });

  test('assetHashType CUSTOM without assetHash is refused with the fix', () => {
    const error = errorOf(() =>
      synth(
        (stack) =>
          new rust.RustFunction(stack, 'Custom', {
            entry: path.join(fixtures, 'single'),
            bundling: { assetHashType: AssetHashType.CUSTOM },
          }),
      ),
    );
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toContain('set `bundling.assetHash`');
  });

  test('a missing crate says where it looked, with a stable code', () => {
    const error = errorOf(() =>
      synth((stack) => new rust.RustFunction(stack, 'Missing', { entry: path.join(fixtures, 'does-not-exist') })),
    );
    expect(error.code).toBe('ENTRY_NOT_FOUND');
    expect(error.message).toContain(path.join(fixtures, 'does-not-exist'));
  });
});
