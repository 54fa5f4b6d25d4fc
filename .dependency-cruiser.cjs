/** Architecture rules checked in CI (`npm run arch`). */

/**
 * The platform's folders in layers, lowest first. A folder may import folders of lower layers
 * only: never one of its own layer, never one above. That makes the order between folders one
 * direction (no folder-level cycles, which file-level cycle detection does not see: a file of
 * `health` importing `registry` while another file of `registry` imports `health` is no file cycle
 * but is a folder loop). A new folder must be placed here, or `platform-folder-has-a-layer` fails.
 */
const PLATFORM_LAYERS = [
  ['config', 'context'],
  ['tracing'],
  ['route-metadata', 'sensors'],
  ['metrics', 'logging', 'lifecycle'],
  ['errors', 'scaling'],
  ['openapi', 'http'],
  ['registry', 'validation'],
  ['state', 'storage', 'health'],
  ['security', 'runtime-config', 'upstream', 'streaming'],
  ['feature-flags', 'jobs'],
];

const layerRules = PLATFORM_LAYERS.flatMap((layer, i) =>
  layer.map((folder) => {
    const notBelow = PLATFORM_LAYERS.slice(i)
      .flat()
      .filter((f) => f !== folder);
    return {
      name: `platform-layers: ${folder}`,
      comment: `${folder} may import only lower platform layers (see PLATFORM_LAYERS)`,
      severity: 'error',
      from: { path: `^src/platform/${folder}/` },
      to: { path: `^src/platform/(${notBelow.join('|')})/` },
    };
  }),
);

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'platform-folder-has-a-layer',
      comment: 'Every src/platform folder is placed in PLATFORM_LAYERS.',
      severity: 'error',
      from: { path: `^src/platform/(?!(${PLATFORM_LAYERS.flat().join('|')})/)[^/]+/` },
      to: {},
    },
    {
      name: 'services-use-platform-barrels',
      comment:
        "Services import the platform through its public barrels: src/platform/index.ts or a folder's index.ts, never a file inside one.",
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: '^src/platform/', pathNot: ['^src/platform/index\\.ts$', '^src/platform/[^/]+/index\\.ts$'] },
    },
    {
      name: 'platform-never-imports-its-root-barrel',
      comment:
        'src/platform/index.ts re-exports every folder for services; inside the platform it would hide the layers.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/platform/index\\.ts$' },
    },
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
