#!/usr/bin/env node
// Synthesizes a stack of RustFunctions in a Node process of its own, with the
// compiled package (dist/). Tests need this whenever the native core must see
// another environment (jest gives each test file a copy of process.env, which
// the addon and the tools it spawns never see), to run synths in parallel, or
// to kill one mid-build.
// Usage: node child-app.js <outdir> <spec JSON>
//   spec: { context?: {...}, functions: [{ id, entry, binaryName?, architecture?: 'x86_64'|'arm64', bundling?, hooks? }] }
//   hooks: { beforeBundling?: string[], afterBundling?: string[] }, the commands of `bundling.commandHooks`
const { App, Stack } = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');
const rust = require('../../dist');

const [outdir, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const app = new App({ outdir, context: spec.context });
const hooks = (h) => ({ beforeBundling: () => h.beforeBundling ?? [], afterBundling: () => h.afterBundling ?? [] });
const stack = new Stack(app, 'TestStack');
for (const fn of spec.functions) {
  new rust.RustFunction(stack, fn.id, {
    entry: fn.entry,
    binaryName: fn.binaryName,
    architecture: fn.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
    bundling: fn.hooks ? { ...fn.bundling, commandHooks: hooks(fn.hooks) } : fn.bundling,
  });
}
app.synth();
