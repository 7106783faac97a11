#!/usr/bin/env node
// Synthesizes one RustFunction of this package (the built dist/ and native
// module, `npm run build`) with forceDockerBundling, so CDK runs the
// library's own Docker bundling through $CDK_DOCKER. Used by smoke.sh:
//
//   CDK_DOCKER=.cache/container/docker node scripts/container/library-synth.js \
//     ENTRY OUTDIR X86_64|ARM_64 BIND_MOUNT|VOLUME_COPY
//
// Prints the staged asset folder (which holds `bootstrap`) on stdout.
'use strict';
const fs = require('fs');
const path = require('path');

const repo = path.resolve(__dirname, '..', '..');
const cdk = require(require.resolve('aws-cdk-lib', { paths: [repo] }));
const lambda = require(require.resolve('aws-cdk-lib/aws-lambda', { paths: [repo] }));
const rust = require(path.join(repo, 'dist'));

const [entry, outdir, arch, fileAccess] = process.argv.slice(2);
if (!entry || !outdir || !lambda.Architecture[arch] || !cdk.BundlingFileAccess[fileAccess]) {
  console.error('usage: library-synth.js ENTRY OUTDIR X86_64|ARM_64 BIND_MOUNT|VOLUME_COPY');
  process.exit(2);
}

const app = new cdk.App({ outdir });
const stack = new cdk.Stack(app, 'ContainerLibrarySmoke');
new rust.RustFunction(stack, 'Fn', {
  entry,
  architecture: lambda.Architecture[arch],
  bundling: { forceDockerBundling: true, bundlingFileAccess: cdk.BundlingFileAccess[fileAccess] },
});
app.synth();
const assets = fs.readdirSync(outdir).filter((f) => f.startsWith('asset.'));
if (assets.length !== 1) {
  console.error(`library-synth.js: expected one staged asset in ${outdir}, found ${assets.join(', ') || 'none'}`);
  process.exit(1);
}
console.log(path.join(outdir, assets[0]));
