/**
 * Pinned asset hashes of the fixture crates. Users' jest snapshots hold these
 * S3Keys: a change here changes every user's template, so it must be a
 * deliberate one (say so in the commit and the changelog), never a side
 * effect of a refactor.
 *
 * The keys fold in the source digest and CDK's JSON of the bundling options
 * (Docker image, command, environment, volumes), so they pin both.
 *
 * Changes so far, each deliberate:
 * - fingerprint v2: every file of a package counts except cargo's real target
 *   directories, version-control data and `.DS_Store` (v1 also skipped any
 *   folder named `target` and every dot-entry but `.cargo`, so edits there were
 *   never deployed). Every key changed once, for the format tag.
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
  single: { props: { entry: path.join(fixtures, 'single') }, key: '2d681e4bdafbe78efd40bfbb8ad3aa9d87d92c2b4f50511be2af332bf8510505.zip' },
  singleArm: {
    props: { entry: path.join(fixtures, 'single'), architecture: lambda.Architecture.ARM_64 },
    key: '012e06600aa8f187f03b284da6c3e0eb3b7b83a7a09ce0eef412940750072faf.zip',
  },
  singleAl2: {
    props: { entry: path.join(fixtures, 'single'), runtime: lambda.Runtime.PROVIDED_AL2 },
    key: '2d681e4bdafbe78efd40bfbb8ad3aa9d87d92c2b4f50511be2af332bf8510505.zip',
  },
  alpha: {
    props: { entry: path.join(fixtures, 'workspace'), binaryName: 'alpha' },
    key: 'f326c75351c260bd008a6490c4594b74672f22b629404522a7459371772caef5.zip',
  },
  beta: {
    props: { entry: path.join(fixtures, 'workspace'), binaryName: 'beta' },
    key: '9496e85cc90caad7d05093b24172fac71ae1a6f97baa37ec8e6d28f7bb1dd78b.zip',
  },
  multiFirst: {
    props: { entry: path.join(fixtures, 'multi_bin'), binaryName: 'first' },
    key: '0818cc868b1dcf7337fcb16790cc85ac9bba8e8cf354ed03847b34a1faf6cb9f.zip',
  },
  multiThird: {
    props: { entry: path.join(fixtures, 'multi_bin'), binaryName: 'third' },
    key: '9913b371b69d562bc9dc16d876b2ba6896ab7ed1df520a117b84eef38a8f1974.zip',
  },
  rooted: { props: { entry: path.join(fixtures, 'rooted') }, key: 'b5dc927df47efb73f580361e2ac890bf452855744ec902d0b03a756867b976dd.zip' },
  rootedMember: {
    props: { entry: path.join(fixtures, 'rooted'), binaryName: 'rooted-member' },
    key: '054fb0fabfd0ee2ef4cbfe2da3c2a09eff0f5cd3370d2e6458ed49b063372caf.zip',
  },
  defaultEntry: {
    props: { entry: path.join(fixtures, 'default_entry', 'my-construct.my_function') },
    key: '0e475c540a7e080288ce44ca2513e14ce11c6be2a317330ef7f0bed84104d503.zip',
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
    key: '3c93b08e0d31d3bd11600eb82bbb12675f0cbf544caf7134e1592fba6a7d25b4.zip',
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
    key: '9eabb93b6169c43585f071fe70b82724a57c97cf247a47283dc1604672f0aa96.zip',
  },
  cross: {
    props: { entry: path.join(fixtures, 'single'), bundling: { packageManagerType: rust.PackageManagerType.CROSS } },
    key: '916d464d8c85021fc6953bc159405f0be47f36110a66c747bc7cdfd3c8f2f7cc.zip',
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
