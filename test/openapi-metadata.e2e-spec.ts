import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe('Swagger plugin metadata (src/metadata.ts, test/fixtures/example-service/metadata.ts)', () => {
  it('should be up to date with the DTOs and routes, with nest-cli.json using the same plugin options', () => {
    const run = () =>
      execFileSync(process.execPath, ['-r', '@swc-node/register', 'scripts/generate-plugin-metadata.ts', '--check'], {
        cwd: join(__dirname, '..'),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    // On failure the thrown error carries the script's stderr: which file is stale, and to run `npm run openapi`.
    expect(run).not.toThrow();
    // Two TypeScript programs over the whole project: ~20 s on an idle 2-core machine.
  }, 180_000);
});
