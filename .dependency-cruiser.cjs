/** Architecture rules checked in CI (`npm run arch`). */
module.exports = {
  forbidden: [
    {
      name: 'platform-never-imports-services',
      comment: 'src/platform is the reusable core; services build on it, never the other way round.',
      severity: 'error',
      from: { path: '^src/platform' },
      to: { path: '^src/services' },
    },
    {
      name: 'no-deep-imports-between-services',
      comment: "Services talk through exported providers (their index.ts / module), not each other's internals.",
      severity: 'error',
      from: { path: '^src/services/([^/]+)/' },
      to: {
        path: '^src/services/([^/]+)/',
        pathNot: ['^src/services/$1/', '^src/services/[^/]+/index\\.ts$', '^src/services/[^/]+/[^/]+\\.module\\.ts$'],
      },
    },
    {
      name: 'production-never-imports-tests',
      comment: 'Fixtures such as the fake Ollama are for tests only.',
      severity: 'error',
      from: { path: '^src' },
      to: { path: '^test' },
    },
    {
      name: 'production-never-imports-test-support',
      comment: 'Contract suites (*.contract.ts) and test helpers (*.testing.ts) are left out of dist/.',
      severity: 'error',
      from: { path: '^src', pathNot: '\\.(spec|contract|testing)\\.ts$' },
      to: { path: '\\.(contract|testing)\\.ts$' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.spec\\.ts$' },
  },
};
