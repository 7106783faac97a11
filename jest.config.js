// The asset store (a cache of staged zips, on by default for users) would
// turn most tests' builds into restores: tests opt in where they test it.
// Set here, in jest's own process, so the native addon and every child sees it.
process.env.CDK_LAMBDA_RUST_ASSET_STORE ??= 'off';

/** @type {import('jest').Config} */
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/__test__/tsconfig.json' }] },
};

module.exports = {
  projects: [
    // Seconds, no cargo: the construct's own logic against the addon.
    { ...common, displayName: 'unit', roots: ['<rootDir>/__test__/unit'], testMatch: ['**/*.test.ts'] },
    // Minutes: compiles real fixture crates and runs what it stages.
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/__test__'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/__test__/unit/', '/node_modules/'],
    },
  ],
  // Tests compile real crates: run files one at a time on small CI machines so
  // cargo builds do not fight over two cores.
  maxWorkers: 1,
  testTimeout: 600_000,
  reporters: ['default', '<rootDir>/__test__/support/summary-reporter.js'],
};
