// The helpers of bench/synth/run.js (workspace generator, tool lookup, shim
// log reader, CPU clock, formatting), reused here rather than copied.
// run.js is a script: it ends with `main();` and exports nothing. So its
// source is compiled as a module whose last statement is replaced by an
// export list, and main() never runs. If that file changes shape, this fails
// loudly instead of running the synth benchmark.

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const file = path.resolve(__dirname, '..', 'synth', 'run.js');
const NAMES = [
  'generateTemplate',
  'findRealTools',
  'readLog',
  'childrenCpuMs',
  'capture',
  'shortDigest',
  'mtime',
  'loadavg',
  'secs',
  'shellQuote',
  'packageFingerprint',
  'template',
];

const source = fs.readFileSync(file, 'utf8');
const last = /\nmain\(\);\s*$/;
if (!last.test(source)) throw new Error(`${file} no longer ends with \`main();\`: update bench/jest-store/synth-helpers.js`);
const m = new Module(file, module);
m.filename = file;
m.paths = Module._nodeModulePaths(path.dirname(file));
m._compile(source.replace(last, `\nmodule.exports = { ${NAMES.join(', ')} };\n`), file);
for (const name of NAMES) {
  if (m.exports[name] === undefined) throw new Error(`${file} has no \`${name}\` any more: update bench/jest-store/synth-helpers.js`);
}

module.exports = m.exports;
