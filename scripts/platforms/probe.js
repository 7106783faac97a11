// Run by each platform's own Node (scripts/platforms/load-test.sh): loads the
// installed addon through the package's napi loader and calls its exports on
// the fixture workspace. Prints one JSON line: the machine, the addon file
// that loaded, the resolution (workspace-relative) and the asset hashes.
//
//   node probe.js <installed package folder> <fixture workspace>
'use strict';
const path = require('node:path');

const [pkgDir, fixture] = process.argv.slice(2);
const addon = require(path.join(pkgDir, 'index.js'));
const loadedFrom = Object.keys(require.cache).find((f) => f.endsWith('.node'));
const rel = (p) => path.relative(fixture, p).split(path.sep).join('/');
const out = {
  node: process.version,
  platform: process.platform,
  arch: process.arch,
  glibc: process.report.getReport().header.glibcVersionRuntime ?? null,
  addon: loadedFrom && path.relative(pkgDir, loadedFrom).split(path.sep).join('/'),
  hashes: {},
};
for (const binaryName of ['alpha', 'beta']) {
  const resolved = addon.resolveFunction({ entry: fixture, binaryName });
  out[binaryName] = { packageName: resolved.packageName, manifest: rel(resolved.packageManifestPath), target: rel(resolved.targetDirectory) };
  for (const architecture of ['x86_64', 'arm64']) {
    const build = { architecture, runtime: 'provided.al2023', tool: 'cargo-zigbuild' };
    out.hashes[`${binaryName}/${architecture}`] = addon.fingerprintFunction(resolved, build);
  }
}
out.cacheDir = addon.cacheDir(undefined, undefined, '/home/someone');
process.stdout.write(`${JSON.stringify(out)}\n`);
