#!/usr/bin/env node
// Synthesizes one RustFunction in a process of its own, with the compiled
// package (dist/), so tests can run synths in parallel or kill one mid-build.
// Usage: node child-synth.js <outdir> <entry> [binaryName]
const { App, Stack } = require('aws-cdk-lib');
const rust = require('../../dist');

const [outdir, entry, binaryName] = process.argv.slice(2);
const app = new App({ outdir });
const stack = new Stack(app, 'TestStack');
new rust.RustFunction(stack, 'Fn', { entry, binaryName });
app.synth();
process.stdout.write('synthesized\n');
