import { PluginMetadataGenerator } from '@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator';
import { ReadonlyVisitor } from '@nestjs/swagger/plugin';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The @nestjs/swagger CLI plugin's options; nest-cli.json gives `nest build` the same ones
 * (`plugin-metadata.spec.ts` checks they agree).
 */
export const SWAGGER_PLUGIN_OPTIONS = { classValidatorShim: true, introspectComments: true };

/** Where metadata is generated: the app, and the documented example service (test-only code). */
export const METADATA_TARGETS = [
  { tsconfig: 'tsconfig.build.json', outputDir: 'src' },
  { tsconfig: 'test/fixtures/example-service/tsconfig.json', outputDir: 'test/fixtures/example-service' },
];

/**
 * What the swagger plugin infers (DTO property types and optionality, class-validator constraints,
 * JSDoc descriptions, handler return types) as the source of `metadata.ts` for `outputDir`. It is
 * the plugin's own "metadata generator" (`PluginMetadataGenerator` + `ReadonlyVisitor`), which the
 * Nest docs give for builds the plugin cannot transform (swc, Jest); given a program of our own
 * it skips its type check, which would otherwise trip over a stale `metadata.ts`.
 */
export function renderPluginMetadata(tsconfig: string, outputDir: string, filename = 'metadata.ts'): string {
  const out = resolve(outputDir);
  new PluginMetadataGenerator().generate({
    visitors: [new ReadonlyVisitor({ ...SWAGGER_PLUGIN_OPTIONS, pathToSource: out })],
    outputDir: out,
    filename,
    tsProgramRef: ReadonlyVisitor.createTsProgram(resolve(tsconfig)),
  });
  return toRequires(readFileSync(join(out, filename), 'utf8'));
}

/**
 * The generator writes `import("./x.dto.js")` (ESM specifiers, for tsc's node16 resolution).
 * Neither swc-node nor Jest maps `.js` to `.ts` in CommonJS, so they become `require("./x.dto")`,
 * which resolves alike in dist/ (tsc's CommonJS output), under swc-node and in Jest.
 */
function toRequires(source: string): string {
  return source.replace(/(?:await )?import\("(\.{1,2}\/[^"]+?)\.js"\)/g, 'require("$1")');
}

/**
 * `npm run openapi:metadata` writes every target's `metadata.ts`; with `--check` it writes nothing
 * and exits 1 naming what is stale (a `metadata.ts`, or nest-cli.json's plugin options).
 */
function main(check: boolean): number {
  const stale: string[] = [];
  const cli = JSON.parse(readFileSync('nest-cli.json', 'utf8')) as {
    compilerOptions?: { plugins?: { name: string; options?: object }[] };
  };
  const plugin = cli.compilerOptions?.plugins?.find((p) => p.name === '@nestjs/swagger');
  if (JSON.stringify(plugin?.options) !== JSON.stringify(SWAGGER_PLUGIN_OPTIONS)) {
    stale.push(`nest-cli.json: the @nestjs/swagger plugin options must be ${JSON.stringify(SWAGGER_PLUGIN_OPTIONS)}`);
  }
  for (const { tsconfig, outputDir } of METADATA_TARGETS) {
    const file = join(outputDir, 'metadata.ts');
    if (!check) {
      writeFileSync(file, renderPluginMetadata(tsconfig, outputDir));
      process.stdout.write(`wrote ${file}\n`);
      continue;
    }
    const scratch = `metadata.check-${process.pid}.ts`;
    try {
      const fresh = renderPluginMetadata(tsconfig, outputDir, scratch);
      const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
      if (fresh !== committed) stale.push(`${file} is stale: run \`npm run openapi\` after changing DTOs or routes`);
    } finally {
      rmSync(join(outputDir, scratch), { force: true });
    }
  }
  for (const line of stale) process.stderr.write(`${line}\n`);
  return stale.length > 0 ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.includes('--check'));
