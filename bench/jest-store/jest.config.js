// The jest project of the asset-store benchmark (bench/jest-store/run.js runs
// it; see bench/README.md). Its own config, not the repository's: plain
// JavaScript (no transform), one folder of 10 identical test files.

/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.js'],
  testEnvironment: 'node',
  transform: {},
  cacheDirectory: require('node:path').join(__dirname, '..', 'work', 'jest-store', 'jest-cache'),
  testTimeout: 900_000,
  // BENCH_JEST_FRESH (run.js's "one process per file" mode): a worker is
  // restarted after every test file once its heap passes this many bytes,
  // that is always.
  ...(process.env.BENCH_JEST_FRESH ? { workerIdleMemoryLimit: 16 } : {}),
};
