/**
 * Jest runs TypeScript through ts-jest, transpiling only (tsconfig has isolatedModules; `npm run build`
 * type-checks). middy ships ES modules only, so its files are transpiled to CommonJS as well.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    '^.+/node_modules/@middy/.+\\.js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  testTimeout: 30000,
  // Two workers, on a 2-core machine too (jest's default there is one: cores - 1). Safe because the local
  // stack flows run on virtual time (test/support/stepped-clock.ts; only the tests of the time scale itself
  // run on the wall clock, with wide margins), every server a test starts listens on a port the OS picks (dynalite, moto, the local stack), each test
  // file writes its own summary file, and packagings run in service folders of their own
  // (test/support/packaged-template.ts). A worker that grew past 1 GB is replaced between test files.
  maxWorkers: 2,
  workerIdleMemoryLimit: '1GB',
};
