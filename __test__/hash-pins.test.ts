/**
 * Pinned asset hashes of the fixture crates. Users' jest snapshots hold these
 * S3Keys: a change here changes every user's template, so it must be a
 * deliberate one (say so in the commit and the changelog), never a side
 * effect of a refactor.
 *
 * The keys fold in the source digest and CDK's JSON of the bundling options
 * (Docker image, command, environment, volumes), so they pin both.
 */

import * as path from 'node:path';
import { DockerImage, type Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rust from '../lib';
import { functionIds, s3KeyOf, synth } from './support/synth';

const fixtures = path.join(__dirname, 'fixtures');
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

interface Pin {
  readonly props: rust.RustFunctionProps;
  readonly key: string;
}

const PINS: Record<string, Pin> = {
  single: { props: { entry: path.join(fixtures, 'single') }, key: '52ad026fcbad80b8cf511741dd981f9621a7bfb2221e7f4b9d34ce9d0f4d10ec.zip' },
  singleArm: {
    props: { entry: path.join(fixtures, 'single'), architecture: lambda.Architecture.ARM_64 },
    key: '760f819accecc73f8ea2943e9766a6971276ac3c69c9a3d34275bc401811254a.zip',
  },
  singleAl2: {
    props: { entry: path.join(fixtures, 'single'), runtime: lambda.Runtime.PROVIDED_AL2 },
    key: '52ad026fcbad80b8cf511741dd981f9621a7bfb2221e7f4b9d34ce9d0f4d10ec.zip',
  },
  alpha: {
    props: { entry: path.join(fixtures, 'workspace'), binaryName: 'alpha' },
    key: 'a761d25fa92e9c5b6339f04e07c48a2ccab90e4a58b019b38ae91b59f755fbc9.zip',
  },
  beta: {
    props: { entry: path.join(fixtures, 'workspace'), binaryName: 'beta' },
    key: '9cba347c7954ffc3807b7e5e1c3b13711c0443d4b68bcef0182ff9bd61350923.zip',
  },
  multiFirst: {
    props: { entry: path.join(fixtures, 'multi_bin'), binaryName: 'first' },
    key: 'e7b8ed99fc97667446c3d217d6ce9ac83eab61d67f752c9c0accd69c598aa035.zip',
  },
  multiThird: {
    props: { entry: path.join(fixtures, 'multi_bin'), binaryName: 'third' },
    key: '372b32f5293b0ec804c789299438d3445a9b2c0fb38704441022effe1c58ba3c.zip',
  },
  rooted: { props: { entry: path.join(fixtures, 'rooted') }, key: '3772ebf510bde530d07d5a821c3a5ae9208fbf187b6dd15236fae82514c7b316.zip' },
  rootedMember: {
    props: { entry: path.join(fixtures, 'rooted'), binaryName: 'rooted-member' },
    key: 'd48238102b0a5199711db0b7a08dab132d6918c21fa859967ad3b05994736fc7.zip',
  },
  defaultEntry: {
    props: { entry: path.join(fixtures, 'default_entry', 'my-construct.my_function') },
    key: '21e5b075d00f80abd97a1740c16846db26b8fbcd5e6c57ededbab9021bb3b782.zip',
  },
  options: {
    props: {
      entry: path.join(fixtures, 'single'),
      bundling: {
        profile: 'dev',
        extraBuildArgs: ['--features', 'a b'],
        environment: { GREETING: 'hi', RUSTFLAGS: '-C opt-level=1' },
        packageManagerType: rust.PackageManagerType.CARGO_ZIGBUILD,
        buildScope: rust.BuildScope.FUNCTION,
      },
    },
    key: 'bbc4d0e6167aa3f29a72c7b3aca9eb33d0d9381f808f411eb2306e1351d4f247.zip',
  },
  docker: {
    props: {
      entry: path.join(fixtures, 'single'),
      architecture: lambda.Architecture.ARM_64,
      bundling: {
        forceDockerBundling: true,
        dockerImage: DockerImage.fromRegistry('example/builder:1'),
        network: 'host',
        user: '1000:1000',
        commandHooks: {
          beforeBundling: (i: string) => [`echo before "${i}"`],
          afterBundling: (_i: string, o: string) => [`echo after "${o}"`],
        },
      },
    },
    key: '1710cb10256f246888f3fc8515993616396b7cb7d10bc538585fb81848021655.zip',
  },
  cross: {
    props: { entry: path.join(fixtures, 'single'), bundling: { packageManagerType: rust.PackageManagerType.CROSS } },
    key: '918d73c08be827c4c42a655ccb007ddc072f166dab1bd4145d9b553033e7cf8e.zip',
  },
};

test('fixture asset hashes are pinned', () => {
  const s = synth(
    (stack: Stack) => {
      for (const [id, pin] of Object.entries(PINS)) new rust.RustFunction(stack, id, pin.props);
    },
    { context: SKIP_BUNDLING },
  );
  const got: Record<string, string> = {};
  for (const id of Object.keys(PINS)) {
    const logicalId = functionIds(s.json).find((l) => new RegExp(`^${id}[0-9A-F]{8}$`).test(l));
    got[id] = s3KeyOf(s.json, logicalId!);
  }
  const want = Object.fromEntries(Object.entries(PINS).map(([id, pin]) => [id, pin.key]));
  expect(got).toEqual(want);
});
