// Tests run on the TypeScript sources, as ESM, through SWC (no type-check here: `pnpm test` runs tsc first).
export default {
  // node's, plus a guard that fails a test leaving a worker running (scripts/jest/test-environment.mjs).
  testEnvironment: '<rootDir>/scripts/jest/test-environment.mjs',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
      },
    ],
  },
  moduleNameMapper: {
    '^@pq/core$': '<rootDir>/packages/core/src/index.ts',
    '^@pq/core/internal$': '<rootDir>/packages/core/src/internal.ts',
    '^@pq/core/testing$': '<rootDir>/packages/core/src/testing/index.ts',
    '^@pq/cli-kit$': '<rootDir>/packages/cli-kit/src/index.ts',
    '^@pq/worker$': '<rootDir>/packages/worker/src/index.ts',
    '^@pq/cli$': '<rootDir>/packages/cli/src/index.ts',
    '^@pq/dashboard$': '<rootDir>/packages/dashboard/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/bench/src/**/*.test.ts', '<rootDir>/scripts/**/*.test.ts'],
  globalSetup: '<rootDir>/scripts/jest/global-setup.mjs',
  globalTeardown: '<rootDir>/scripts/jest/global-teardown.mjs',
  testTimeout: 30000,
  maxWorkers: 2,
}
