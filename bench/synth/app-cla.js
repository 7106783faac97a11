#!/usr/bin/env node
// The cargo-lambda-cdk side of the synth benchmark: one RustFunction per
// workspace member, as `cdk synth` would run it (`node app-cla.js` with
// CDK_OUTDIR set). cargo-lambda-cdk bundles locally when `cargo lambda
// --version` succeeds (it does here; there is no Docker engine) and never
// uses Docker unless `bundling.forcedDockerBundling` is set, so no switch is
// needed. Its default asset hash is AssetHashType.OUTPUT (left as is: that is
// what its users get).

const path = require('node:path');

const cdk = require('aws-cdk-lib');
const { RustFunction } = require('cargo-lambda-cdk');

const ws = process.env.BENCH_WS;
const count = Number(process.env.BENCH_FUNCTIONS || 10);
if (!ws || !process.env.CDK_OUTDIR) throw new Error('set BENCH_WS and CDK_OUTDIR (bench/synth/run.js does)');

const app = new cdk.App();
const stack = new cdk.Stack(app, 'BenchCla');
for (let i = 1; i <= count; i++) {
  const name = `lambda_${String(i).padStart(2, '0')}`;
  new RustFunction(stack, `Fn${String(i).padStart(2, '0')}`, {
    manifestPath: path.join(ws, 'Cargo.toml'),
    binaryName: name,
  });
}
app.synth();
