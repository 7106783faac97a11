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
 * - Docker bundling runs at the engine's own platform (no `platform` in the
 *   JSON: the key no longer depends on the architecture's Docker platform)
 *   and sets `XDG_CACHE_HOME` in the container (Zig's cache in the cargo
 *   cache mount): the bundling JSON of every function changed once.
 * - provided.al2 functions build for `<triple>.2.26` (Zig links glibc 2.26,
 *   so they start there): their key follows the target.
 * - The executable bit no longer counts (issue 10: one hash on macOS, Linux
 *   and Windows, which has no such bit), and paths are `/`-separated on every
 *   platform. The record format is otherwise unchanged and kept its tag, so
 *   no pin here changed: no fixture file is executable. Users' sources with an
 *   executable file (a script in the package folder) get a new key once.
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
  single: { props: { entry: path.join(fixtures, 'single') }, key: '8f61c603aaed5d7f54208caa3aaccb3a219d3895d6166dbb3693a705d995720e.zip' },
  singleArm: {
    props: { entry: path.join(fixtures, 'single'), architecture: lambda.Architecture.ARM_64 },
    key: 'efaac3fe276b334d0820b0311fd57c90c96fe33411c4fa22b13b1eaea6e784bd.zip',
  },
  singleAl2: {
    props: { entry: path.join(fixtures, 'single'), runtime: lambda.Runtime.PROVIDED_AL2 },
    key: 'a2fb592276abb2e20b55f02cad9e30499f047d6d5a4e8e5493cd7263db2f7292.zip',
  },
  alpha: {
    props: { entry: path.join(fixtures, 'workspace'), binaryName: 'alpha' },
    key: '6d11b683879609f30ff212d99d1893d5a9a49dcf807734b9dd51c366bd38aaab.zip',
  },
  beta: {
    props: { entry: path.join(fixtures, 'workspace'), binaryName: 'beta' },
    key: '896f3ffa6090a3434e1f0aebbcbbbd9153007189187f9ebca285efa6788de899.zip',
  },
  multiFirst: {
    props: { entry: path.join(fixtures, 'multi_bin'), binaryName: 'first' },
    key: '3bedfa35f156ba01b53f272522b37eae6229fb24c2a0f43e2dbe5f578748669a.zip',
  },
  multiThird: {
    props: { entry: path.join(fixtures, 'multi_bin'), binaryName: 'third' },
    key: '66399344624774b891a215c116efcc490a60607c7cdc10715915dd3b00ec69ce.zip',
  },
  rooted: { props: { entry: path.join(fixtures, 'rooted') }, key: '9aa06432804d8bce5f730eb31cc88a8869a1f7a1df8f132c930dbc1df31c2523.zip' },
  rootedMember: {
    props: { entry: path.join(fixtures, 'rooted'), binaryName: 'rooted-member' },
    key: '58adc2f5b00fec123a6b9f21845e333295f836c6450c32d1efc58342c9896339.zip',
  },
  defaultEntry: {
    props: { entry: path.join(fixtures, 'default_entry', 'my-construct.my_function') },
    key: '5a62440c38a78beacb7dfadc256d0e19ad1fd970377aadf7e154ba0cd452aba6.zip',
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
    key: 'c015ab1c1ee5f4aeb922c00e7f308d88446524795d561c297099c2a9f560f38d.zip',
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
    key: 'a4620ca97d19c95af69e0064750bb37e5ce488ce581a0a1c378a1b56c13b185b.zip',
  },
  cross: {
    props: { entry: path.join(fixtures, 'single'), bundling: { packageManagerType: rust.PackageManagerType.CROSS } },
    key: '3e7d5a9fdd1bd96646adbcfe0eb0ac8dc19429b5caccf5eef8e1c841c9655f43.zip',
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
