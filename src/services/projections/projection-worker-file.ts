import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let resolved: string | undefined;

/**
 * Absolute path of the projection worker for JobWorkerPool. Built (`nest build`), it is the
 * compiled `projection.worker.js` beside this file. Run from TypeScript sources (Jest, `npm run
 * bench:*` under @swc-node/register) there is only the `.ts`, which plain Node in a thread cannot
 * load: a two-line loader that registers the TypeScript hook first is written to the temp dir.
 */
export function projectionWorkerFile(): string {
  if (resolved) return resolved;
  const built = join(__dirname, 'projection.worker.js');
  if (existsSync(built)) return (resolved = built);
  const source = join(__dirname, 'projection.worker.ts');
  const dir = join(tmpdir(), `fennec-projections-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const loader = join(dir, 'projection.worker.js');
  const hook = require.resolve('@swc-node/register');
  writeFileSync(loader, `require(${JSON.stringify(hook)});\nmodule.exports = require(${JSON.stringify(source)});\n`);
  return (resolved = loader);
}

/**
 * A task that only starts a worker thread and loads the method libraries (the worker file's
 * imports), sent while the job streams its sample so that this start-up overlaps the sampling.
 */
export const WARM_UP_TASK = { warmUp: true } as const;
