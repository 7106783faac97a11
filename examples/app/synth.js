#!/usr/bin/env node
// `npm run example`: synthesizes the example app into examples/app/cdk.out,
// as `cdk synth` would, then unpacks the staged bootstrap and says where it is.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const here = __dirname;
// CDK_OUTDIR lets tests synthesize into a folder of their own.
const outdir = process.env.CDK_OUTDIR || path.join(here, 'cdk.out');
process.env.CDK_OUTDIR = outdir;
process.chdir(here);
require('./bin/app.js');

const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'HelloRust.assets.json'), 'utf8'));
for (const [hash, asset] of Object.entries(manifest.files)) {
  if (asset.source.packaging !== 'file' || !asset.source.path.endsWith('.zip')) continue;
  const zip = path.join(outdir, asset.source.path);
  const unpacked = path.join(outdir, `bootstrap.${hash.slice(0, 12)}`);
  fs.rmSync(unpacked, { recursive: true, force: true });
  execFileSync('unzip', ['-q', '-o', zip, '-d', unpacked]);
  console.log(`Lambda asset: ${zip}`);
  console.log(`bootstrap:    ${path.join(unpacked, 'bootstrap')}`);
}
