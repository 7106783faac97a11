#!/usr/bin/env node
// The floor of the synth benchmark: the same app shape (one stack, one
// Lambda function per member) with inline Node.js code instead of Rust, so
// no bundling at all. What any synth of 10 functions costs in Node and
// aws-cdk-lib alone (the repository's copy, as app-ours.js uses).

const path = require('node:path');

const repo = path.resolve(__dirname, '..', '..');
const cdk = require(require.resolve('aws-cdk-lib', { paths: [repo] }));
const lambda = require(require.resolve('aws-cdk-lib/aws-lambda', { paths: [repo] }));

const count = Number(process.env.BENCH_FUNCTIONS || 10);
if (!process.env.CDK_OUTDIR) throw new Error('set CDK_OUTDIR (bench/synth/run.js does)');

const app = new cdk.App();
const stack = new cdk.Stack(app, 'BenchFloor');
for (let i = 1; i <= count; i++) {
  new lambda.Function(stack, `Fn${String(i).padStart(2, '0')}`, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline(`exports.handler = async () => ${i};`),
  });
}
app.synth();
