/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Quiet by default: loggers silent unless a test asks for its lines (test/support/setup.ts).
  setupFiles: ['<rootDir>/test/support/setup.ts'],
  // Native ES modules, as in production: middy 7 ships only ESM.
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'es6' } }],
  },
  testTimeout: 30_000,
  // One DynamoDB Local (a JVM) for the whole run, shared by the suites that run on it.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
