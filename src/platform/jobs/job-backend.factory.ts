import { join } from 'node:path';
import type { StateConfig } from '../state';
import type { DataDirService } from '../storage';
import type { JobBackend } from './job-backend';
import { EmbeddedJobBackend } from './embedded-job-backend';
import type { JobsConfig } from './jobs.config';
import { JobsUnavailableError } from './jobs.errors';

/** The backend JOBS_BACKEND (and REDIS_URL, for `auto`) selects. */
export function createJobBackend(config: JobsConfig, state: StateConfig, dataDir: DataDirService): JobBackend {
  void state;
  if (config.backend === 'redis') {
    throw new JobsUnavailableError('JOBS_BACKEND=redis is not available in this build; use embedded');
  }
  return new EmbeddedJobBackend({ file: join(dataDir.path, 'jobs', 'jobs.sqlite') });
}
