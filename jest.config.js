// Real Postgres, Redis and RabbitMQ behind every suite: see libs/testing for the per-run namespace.
// Packages that ship only ES modules, compiled to CommonJS for jest (node itself loads them with require).
const ESM_ONLY = ['content-disposition', 'jose'];
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  roots: [
    '<rootDir>/services',
    '<rootDir>/libs',
    '<rootDir>/system',
    '<rootDir>/ops',
    '<rootDir>/bench',
    '<rootDir>/chaos',
  ],
  testRegex: '\\.(spec|e2e-spec|system-spec)\\.ts$',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
    [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: ['@swc/jest', { module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  moduleNameMapper: {
    '^@boxoffice/([a-z-]+)/(.*)$': '<rootDir>/libs/$1/src/$2',
  },
  testTimeout: 60000,
  // The slowest suites first, in a clean clone too (no jest cache): jest-sequencer.mjs.
  testSequencer: '<rootDir>/jest-sequencer.mjs',
};
