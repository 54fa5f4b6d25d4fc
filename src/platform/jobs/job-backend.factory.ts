import { join } from 'node:path';
import type { StateConfig } from '../state';
import type { DataDirService } from '../storage';
import { EmbeddedJobBackend } from './embedded-job-backend';
import type { JobBackend } from './job-backend';
import type { JobsConfig } from './jobs.config';
import { InvalidJobKindError } from './jobs.errors';
import { RedisJobBackend } from './redis-job-backend';

/** The backend JOBS_BACKEND selects: `auto` is BullMQ on REDIS_URL when it is set, else embedded. */
export function createJobBackend(config: JobsConfig, state: StateConfig, dataDir: DataDirService): JobBackend {
  const redis = config.backend === 'redis' || (config.backend === 'auto' && state.redisUrl !== undefined);
  if (redis) {
    if (state.redisUrl === undefined) throw new InvalidJobKindError('JOBS_BACKEND=redis needs REDIS_URL');
    return new RedisJobBackend({ url: state.redisUrl, keyPrefix: state.keyPrefix, lockMs: config.redisLockMs });
  }
  return new EmbeddedJobBackend({ dir: join(dataDir.path, 'jobs') });
}
