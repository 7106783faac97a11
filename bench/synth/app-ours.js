#!/usr/bin/env node
// The cdk-lambda-rust side of the synth benchmark: one RustFunction per
// workspace member, as `cdk synth` would run it (`node app-ours.js` with
// CDK_OUTDIR set). Uses the package as built in this repository (dist/ and
// the napi addon), with the aws-cdk-lib copy that dist/ itself resolves.
// BENCH_BUILD_SCOPE=function sets `bundling.buildScope: BuildScope.FUNCTION`
// (one cargo invocation per function, as before shared builds).

const path = require('node:path');

const repo = path.resolve(__dirname, '..', '..');
const cdk = require(require.resolve('aws-cdk-lib', { paths: [repo] }));
const { RustFunction, BuildScope } = require(path.join(repo, 'dist'));

const ws = process.env.BENCH_WS;
const count = Number(process.env.BENCH_FUNCTIONS || 10);
if (!ws || !process.env.CDK_OUTDIR) throw new Error('set BENCH_WS and CDK_OUTDIR (bench/synth/run.js does)');

let bundling;
if (process.env.BENCH_BUILD_SCOPE) {
  if (!BuildScope) throw new Error('this build of cdk-lambda-rust has no BuildScope');
  bundling = { buildScope: process.env.BENCH_BUILD_SCOPE === 'function' ? BuildScope.FUNCTION : BuildScope.WORKSPACE };
}

const app = new cdk.App();
const stack = new cdk.Stack(app, 'BenchOurs');
for (let i = 1; i <= count; i++) {
  const name = `lambda_${String(i).padStart(2, '0')}`;
  new RustFunction(stack, `Fn${String(i).padStart(2, '0')}`, { entry: ws, binaryName: name, bundling });
}
app.synth();
