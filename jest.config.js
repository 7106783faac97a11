/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/__test__'],
  testMatch: ['**/*.test.ts'],
  // Tests compile real crates: give them time, and run files one at a time on
  // small CI machines so cargo builds do not fight over two cores.
  testTimeout: 600_000,
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/__test__/support/summary-reporter.js'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '__test__/tsconfig.json' }] },
};
