#!/usr/bin/env node
// Benchmark (issue #4): how long the asset hash of a large workspace takes.
//
//   node bench/hash/run.js            (after `npm run build` at the repository root)
//
// Generates, into bench/work/hash/ (gitignored), a cargo workspace of 5,000
// source files (~2 KB each) in 50 member packages, plus a `target/` folder of
// junk files that must not be hashed, then times side by side in this one
// process:
//
//   (a) this package's `fingerprintFunction` (the native core: walk on one
//       thread, SHA-256 of contents on every core), and
//   (b) aws-cdk-lib's `FileSystem.fingerprint(root, { exclude: ['target'] })`,
//       what a `Code.fromAsset(root)` with the default SOURCE hash costs.
//       Recent aws-cdk-lib keeps an on-disk cache of file digests keyed by
//       (inode, mtime, size) in `~/.cdk/cache/fingerprints/`; it is measured
//       twice: with that cache removed before every call (every file read
//       and hashed, like ours) and with it warm (files only stat'ed). This
//       script points HOME at bench/work/hash/home so it never touches yours.
//
// Our fingerprint only covers the selected package and its path dependencies,
// so the function package depends by path on all 49 other members: both
// sides then read the same ~5,000 source files. Best of N runs after one
// warm-up each, interleaved, warm page cache. A script, not a test: it prints
// ratios and asserts nothing about wall time.

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const { repo, gitCommit } = require('../common');
const work = path.join(repo, 'bench', 'work', 'hash');
const root = path.join(work, 'ws');
// aws-cdk-lib reads os.homedir() (i.e. $HOME) when it first fingerprints.
// rustup and cargo find their homes through $HOME too: pin them first.
const realHome = require('node:os').homedir();
process.env.RUSTUP_HOME = process.env.RUSTUP_HOME || path.join(realHome, '.rustup');
process.env.CARGO_HOME = process.env.CARGO_HOME || path.join(realHome, '.cargo');
const home = path.join(work, 'home');
process.env.HOME = home;
const cdkCache = path.join(home, '.cdk', 'cache', 'fingerprints');

const PACKAGES = 50;
const FILES_PER_PACKAGE = 100; // src/main.rs + src/lib.rs + 98 modules
const FILE_BYTES = 2048;
const JUNK_FILES = 3000;
const RUNS = Number(process.env.BENCH_RUNS || 5);
const FUNCTION_PACKAGE = 'pkg_00';

function main() {
  const addon = loadAddon();
  const { FileSystem } = require(path.join(repo, 'node_modules', 'aws-cdk-lib'));

  console.log('# hash benchmark: cdk-lambda-rust fingerprintFunction vs aws-cdk-lib FileSystem.fingerprint');
  console.log(`commit:      ${gitCommit()}`);
  console.log(`aws-cdk-lib: ${require(path.join(repo, 'node_modules', 'aws-cdk-lib', 'package.json')).version}`);
  console.log(`node:        ${process.version}, ${require('node:os').cpus().length} cores`);
  console.log(`date:        ${new Date().toISOString()}`);

  const t0 = process.hrtime.bigint();
  const counts = generate();
  console.log(`generated ${root} in ${ms(process.hrtime.bigint() - t0)}:`);
  console.log(
    `  ${counts.sources} source files (${counts.sourceBytes} bytes) in ${PACKAGES} packages, ` +
      `${counts.other} manifests/lock, ${counts.junk} junk files under target/ (excluded by both)`,
  );

  // Resolution runs `cargo metadata --no-deps` once per workspace per process
  // (cached, keyed on the manifest's mtime). It is not part of the timed
  // region; shown here once because a real synth pays it once.
  let t = process.hrtime.bigint();
  const resolved = addon.resolveFunction({ entry: root, binaryName: FUNCTION_PACKAGE });
  console.log(`resolveFunction (first call, runs cargo metadata, not timed below): ${ms(process.hrtime.bigint() - t)}`);
  const build = { architecture: 'x86_64', runtime: 'provided.al2023' };

  const ours = () => addon.fingerprintFunction(resolved, build);
  const cdkWarm = () => FileSystem.fingerprint(root, { exclude: ['target'] });
  const cdkCold = () => {
    fs.rmSync(cdkCache, { recursive: true, force: true });
    return cdkWarm();
  };

  // The first fingerprint also loads the (cached) metadata; keep it out too.
  t = process.hrtime.bigint();
  const ourHash = ours();
  console.log(`fingerprintFunction first call (warm-up): ${ms(process.hrtime.bigint() - t)}`);
  t = process.hrtime.bigint();
  const cdkHash = cdkCold();
  console.log(`FileSystem.fingerprint first call (warm-up, empty digest cache): ${ms(process.hrtime.bigint() - t)}`);

  sanityChecks(ours, cdkCold, ourHash, cdkHash);

  const variants = [
    ['cdk-lambda-rust fingerprintFunction', ours, 'reads and hashes every file'],
    ['aws-cdk-lib FileSystem.fingerprint, empty digest cache', cdkCold, 'reads and hashes every file'],
    ['aws-cdk-lib FileSystem.fingerprint, warm digest cache', cdkWarm, 'stats every file, reads none'],
  ];
  cdkWarm(); // fill the digest cache for the warm variant
  const times = variants.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    variants.forEach(([, fn], v) => {
      times[v].push(timed(fn, v === 0 ? ourHash : cdkHash));
    });
    cdkWarm(); // leave the cache warm for the next round's warm variant
  }
  const best = times.map((xs) => Math.min(...xs));
  const fmt = (xs) => xs.map((x) => x.toFixed(1)).join(', ');
  const files = counts.sources + counts.other;
  console.log('');
  console.log(`runs (ms), best of ${RUNS} after one warm-up, interleaved:`);
  variants.forEach(([name], v) => {
    console.log(`  ${name.padEnd(56)}: ${fmt(times[v])}`);
  });
  console.log('');
  console.log('| hasher | what it does per file | files | best (ms) | files/s | vs ours |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  variants.forEach(([name, , what], v) => {
    const rate = Math.round((files / best[v]) * 1000);
    console.log(`| ${name} | ${what} | ${files} | ${best[v].toFixed(1)} | ${rate} | ${(best[v] / best[0]).toFixed(2)}x |`);
  });
  console.log('');
  console.log(`ratio, both hashing contents: FileSystem.fingerprint / fingerprintFunction = ${(best[1] / best[0]).toFixed(2)}x`);
  console.log(`ratio, CDK with its warm mtime cache: FileSystem.fingerprint / fingerprintFunction = ${(best[2] / best[0]).toFixed(2)}x`);
  console.log(`fingerprintFunction under 1 s for ${counts.sources} files: ${best[0] < 1000 ? 'yes' : 'NO'} (${best[0].toFixed(1)} ms)`);
}

function loadAddon() {
  try {
    return require(path.join(repo, 'index.js'));
  } catch (e) {
    console.error(`cannot load the native addon (${e.message}): run \`npm run build\` at the repository root first.`);
    process.exit(1);
  }
}

function timed(fn, expected) {
  const t = process.hrtime.bigint();
  const h = fn();
  const elapsed = Number(process.hrtime.bigint() - t) / 1e6;
  if (h !== expected) throw new Error(`hash changed between runs: ${h} != ${expected}`);
  return elapsed;
}

/**
 * Not timed. Shows that the hash covers the farthest path dependency and
 * ignores target/: edit a module of the last package (both hashes must
 * change), then a junk file under target/ (neither may change).
 */
function sanityChecks(ours, cdk, ourHash, cdkHash) {
  const last = `pkg_${String(PACKAGES - 1).padStart(2, '0')}`;
  const src = path.join(root, last, 'src', 'mod_097.rs');
  const original = fs.readFileSync(src);
  fs.writeFileSync(src, Buffer.concat([original, Buffer.from('// edited\n')]));
  const editedOurs = ours();
  const editedCdk = cdk();
  fs.writeFileSync(src, original);
  const junk = path.join(root, 'target', 'release', 'deps', 'junk_0000.rlib');
  const junkOriginal = fs.readFileSync(junk);
  fs.writeFileSync(junk, Buffer.concat([junkOriginal, Buffer.from('changed')]));
  const junkOurs = ours();
  const junkCdk = cdk();
  fs.writeFileSync(junk, junkOriginal);
  const check = (what, ok) => console.log(`  check: ${what}: ${ok ? 'ok' : 'FAILED'}`);
  console.log('sanity checks (not timed):');
  check(`editing ${last}/src/mod_097.rs changes our hash (it covers the path deps)`, editedOurs !== ourHash);
  check(`editing ${last}/src/mod_097.rs changes the CDK hash`, editedCdk !== cdkHash);
  check('editing a file under target/ leaves our hash alone', junkOurs === ourHash);
  check('editing a file under target/ leaves the CDK hash alone', junkCdk === cdkHash);
  check('hashes back to the originals after reverting', ours() === ourHash && cdk() === cdkHash);
}

/** Writes the workspace (once; reused when its marker matches). */
function generate() {
  const spec = `v1:${PACKAGES}:${FILES_PER_PACKAGE}:${FILE_BYTES}:${JUNK_FILES}`;
  const marker = path.join(work, '.generated');
  const counts = {
    sources: PACKAGES * FILES_PER_PACKAGE,
    sourceBytes: 0,
    other: PACKAGES + 2, // member manifests, root Cargo.toml, Cargo.lock
    junk: JUNK_FILES,
  };
  counts.sourceBytes = counts.sources * FILE_BYTES;
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === spec) return counts;

  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const names = Array.from({ length: PACKAGES }, (_, i) => `pkg_${String(i).padStart(2, '0')}`);
  fs.writeFileSync(
    path.join(root, 'Cargo.toml'),
    `[workspace]\nresolver = "2"\nmembers = [\n${names.map((n) => `  "${n}",`).join('\n')}\n]\n`,
  );
  let seed = 0x9e3779b9;
  const rand = () => {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed;
  };
  names.forEach((name, p) => {
    const dir = path.join(root, name);
    fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
    // The function package depends by path on every other member, so our
    // hash (selected package + path deps) covers all of them.
    const deps =
      p === 0
        ? names
            .slice(1)
            .map((n) => `${n} = { path = "../${n}" }`)
            .join('\n')
        : '';
    fs.writeFileSync(
      path.join(dir, 'Cargo.toml'),
      `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n\n[dependencies]\n${deps}\n`,
    );
    const modules = Array.from({ length: FILES_PER_PACKAGE - 2 }, (_, m) => `mod_${String(m).padStart(3, '0')}`);
    fs.writeFileSync(path.join(dir, 'src', 'lib.rs'), pad(modules.map((m) => `pub mod ${m};`).join('\n') + '\n', name, rand));
    fs.writeFileSync(
      path.join(dir, 'src', 'main.rs'),
      pad(`fn main() {\n    println!("{}", ${name}::mod_000::value_0());\n}\n`, `${name} main`, rand),
    );
    for (const m of modules) {
      let body = '';
      for (let f = 0; body.length < FILE_BYTES - 200; f++) {
        body += `/// ${name}::${m}::value_${f}\npub fn value_${f}() -> u64 {\n    ${rand()}u64.wrapping_mul(${rand()})\n}\n\n`;
      }
      fs.writeFileSync(path.join(dir, 'src', `${m}.rs`), pad(body, `${name}::${m}`, rand));
    }
  });
  // Path-only workspace: the lock file needs no registry.
  execFileSync('cargo', ['generate-lockfile', '--offline', '--manifest-path', path.join(root, 'Cargo.toml')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deps = path.join(root, 'target', 'release', 'deps');
  fs.mkdirSync(deps, { recursive: true });
  for (let j = 0; j < JUNK_FILES; j++) {
    const buf = Buffer.alloc(FILE_BYTES);
    for (let b = 0; b < FILE_BYTES; b += 4) buf.writeUInt32LE(rand(), b);
    fs.writeFileSync(path.join(deps, `junk_${String(j).padStart(4, '0')}.rlib`), buf);
  }
  fs.writeFileSync(marker, spec);
  return counts;
}

/** `text` padded with comment lines to exactly FILE_BYTES bytes. */
function pad(text, label, rand) {
  let out = text;
  while (out.length < FILE_BYTES) out += `// ${label} ${rand().toString(16)}\n`;
  return out.slice(0, FILE_BYTES - 1) + '\n';
}

function ms(ns) {
  return `${(Number(ns) / 1e6).toFixed(1)} ms`;
}

main();
