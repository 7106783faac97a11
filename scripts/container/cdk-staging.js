#!/usr/bin/env node
// Runs AWS CDK's own Docker bundling (aws-cdk-lib AssetStaging, the code
// every bundled asset goes through) against the local cargo-lambda image,
// with whatever $CDK_DOCKER is set to. Used by smoke.sh to prove that CDK's
// exact argv works through the podman wrapper, for both file-access modes:
//
//   CDK_DOCKER=.cache/container/docker node scripts/container/cdk-staging.js \
//     SOURCE OUTDIR BIND_MOUNT|VOLUME_COPY TRIPLE USER [CARGO_HOME_HOST]
//
// SOURCE is mounted (or copied) as /asset-input and must hold `single` and
// `mini_lambda`; the bootstrap built in /asset-input/single lands in the
// staged asset folder, whose path is printed on stdout. USER is CDK's `-u`
// value (uid:gid). With CARGO_HOME_HOST, that folder is mounted as
// /cargo-home and is cargo's home (as lib/bundling.ts does); without it,
// cargo's home is a scratch folder in the container.
'use strict';
const path = require('path');

const repo = path.resolve(__dirname, '..', '..');
const cdk = require(require.resolve('aws-cdk-lib', { paths: [repo] }));

const [source, outdir, fileAccess, triple, user, cargoHomeHost] = process.argv.slice(2);
if (!source || !outdir || !fileAccess || !triple || !user) {
  console.error('usage: cdk-staging.js SOURCE OUTDIR BIND_MOUNT|VOLUME_COPY TRIPLE USER [CARGO_HOME_HOST]');
  process.exit(2);
}
if (!process.env.CDK_DOCKER) {
  console.error('cdk-staging.js: set CDK_DOCKER (scripts/container/setup-engine.sh prints the wrapper path)');
  process.exit(2);
}

// The same build the library asks for, reduced to its essentials: cargo
// lambda in the workspace, then the binary copied to /asset-output/bootstrap.
const script = [
  'set -eu',
  'cd /asset-input/single',
  'cargo lambda build --release --target "$1" --lambda-dir "target/lambda-$1"',
  'cp "target/lambda-$1/single-fn/bootstrap" /asset-output/bootstrap',
  'chmod 0755 /asset-output/bootstrap',
].join('\n');

const app = new cdk.App({ outdir });
const stack = new cdk.Stack(app, 'ContainerSmoke');
const staging = new cdk.AssetStaging(stack, 'Asset', {
  sourcePath: source,
  assetHashType: cdk.AssetHashType.OUTPUT,
  bundling: {
    image: cdk.DockerImage.fromRegistry('ghcr.io/cargo-lambda/cargo-lambda:1.9.2'),
    command: ['bash', '-c', script, 'cdk-staging', triple],
    user,
    platform: 'linux/amd64',
    bundlingFileAccess: cdk.BundlingFileAccess[fileAccess],
    environment: { CARGO_HOME: cargoHomeHost ? '/cargo-home' : '/tmp/cargo-home' },
    volumes: cargoHomeHost ? [{ hostPath: cargoHomeHost, containerPath: '/cargo-home' }] : [],
  },
});
console.log(staging.absoluteStagedPath);
