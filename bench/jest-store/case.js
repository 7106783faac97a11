// The body of every test file of the asset-store benchmark: a snapshot-style
// test of the 10-function workspace app (bench/synth's workspace, one
// RustFunction per member by binaryName, as bench/synth/app-*.js build it).
// `Template.fromStack` synthesizes a new App without `outdir`, so CDK makes a
// fresh temporary cdk.out for each test file (under $TMPDIR, which run.js
// points into bench/work and empties after each scenario).
//
// BENCH_TOOL picks the construct:
//   ours   cdk-lambda-rust (this repository's dist/ and addon)
//   cla    cargo-lambda-cdk 0.0.36 from bench/synth/node_modules, on its own aws-cdk-lib
//   floor  the same app shape with inline Node.js functions (no bundling)
//
// Each test appends one JSON line to $BENCH_RECORD: its file, its process, its output
// folder, the time of the synth alone, and a digest of every staged asset
// (run.js checks that the warm-store zips are the bytes a build stages). No
// test asserts a time.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const repo = path.resolve(__dirname, '..', '..');
const synthDir = path.join(repo, 'bench', 'synth');
const tool = process.env.BENCH_TOOL;
const ws = process.env.BENCH_WS;
const count = Number(process.env.BENCH_FUNCTIONS || 10);

function construct() {
  if (tool === 'ours') {
    const cdk = require(require.resolve('aws-cdk-lib', { paths: [repo] }));
    const { RustFunction } = require(path.join(repo, 'dist'));
    return { cdk, add: (stack, id, name) => new RustFunction(stack, id, { entry: ws, binaryName: name }) };
  }
  if (tool === 'cla') {
    const cdk = require(require.resolve('aws-cdk-lib', { paths: [synthDir] }));
    const { RustFunction } = require(require.resolve('cargo-lambda-cdk', { paths: [synthDir] }));
    const manifestPath = path.join(ws, 'Cargo.toml');
    return { cdk, add: (stack, id, name) => new RustFunction(stack, id, { manifestPath, binaryName: name }) };
  }
  if (tool === 'floor') {
    const cdk = require(require.resolve('aws-cdk-lib', { paths: [repo] }));
    const lambda = cdk.aws_lambda;
    const add = (stack, id, name) =>
      new lambda.Function(stack, id, {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline(`exports.handler = async () => '${name}';`),
      });
    return { cdk, add };
  }
  throw new Error(`BENCH_TOOL must be ours, cla or floor (bench/jest-store/run.js sets it), not ${tool}`);
}

/**
 * Every staged asset of the assembly (a folder, or the `asset.<hash>.zip`
 * CDK keeps for an archive output): its name and a digest of its bytes.
 */
function stagedAssets(outdir) {
  return fs
    .readdirSync(outdir)
    .filter((name) => name.startsWith('asset.'))
    .sort()
    .map((name) => {
      const h = crypto.createHash('sha256');
      const full = path.join(outdir, name);
      const files = fs.statSync(full).isDirectory() ? fs.readdirSync(full).sort() : [''];
      for (const file of files)
        h.update(file)
          .update('\0')
          .update(fs.readFileSync(path.join(full, file)));
      return { name, sha256: h.digest('hex') };
    });
}

module.exports = function synthCase(testFile) {
  test(`${count}-function workspace app, ${tool}: Template.fromStack into a fresh cdk.out`, () => {
    if (tool !== 'floor' && !ws) throw new Error('set BENCH_WS (bench/jest-store/run.js does)');
    const { cdk, add } = construct();
    const start = Date.now();
    const app = new cdk.App();
    const stack = new cdk.Stack(app, 'BenchJestStore');
    for (let i = 1; i <= count; i++) {
      const nn = String(i).padStart(2, '0');
      add(stack, `Fn${nn}`, `lambda_${nn}`);
    }
    const template = cdk.assertions.Template.fromStack(stack);
    const synthMs = Date.now() - start;
    template.resourceCountIs('AWS::Lambda::Function', count);
    if (process.env.BENCH_RECORD) {
      const record = {
        file: path.basename(testFile),
        pid: process.pid,
        outdir: app.outdir,
        start,
        synthMs,
        assets: stagedAssets(app.outdir),
      };
      fs.appendFileSync(process.env.BENCH_RECORD, `${JSON.stringify(record)}\n`);
    }
  });
};
