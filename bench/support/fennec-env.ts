import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** The API key bench clients send to the Fennec server (a viewer of tenant `bench`). */
export const BENCH_KEY = 'bench-key-0123456789abcdef';

/**
 * Environment of the Fennec bench server: production settings, JSON logs at info (one line per
 * request), one API key, and limits high enough that the benchmark measures the throttler's
 * cost, not its refusals. `BENCH_FENNEC_ENV` (JSON) overrides, e.g. to switch a feature off.
 */
export function fennecBenchEnv(): Record<string, string> {
  const keyHash = createHash('sha256').update(BENCH_KEY).digest('hex');
  return {
    NODE_ENV: 'production',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    DATA_DIR: join(__dirname, '..', '..', 'data', 'bench'),
    FENNEC_API_KEYS: JSON.stringify([{ id: 'bench', hash: `sha256:${keyHash}`, roles: ['viewer'], tenant: 'bench' }]),
    THROTTLE_BURST_LIMIT: '1000000',
    THROTTLE_SUSTAINED_LIMIT: '100000000',
    ...(JSON.parse(process.env.BENCH_FENNEC_ENV ?? '{}') as Record<string, string>),
  };
}
