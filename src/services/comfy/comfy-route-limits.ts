import { ThrottleFromConfig } from '../../platform/route-metadata';
import { comfyConfig, type ComfyConfig } from './comfy.config';

const MINUTE_MS = 60_000;

/** Job submissions: COMFY_JOBS_PER_MINUTE per caller (the `sustained` throttler). */
export const ComfyJobsRateLimit = () =>
  ThrottleFromConfig('sustained', comfyConfig.KEY, (c: ComfyConfig) => c.jobsPerMinute, MINUTE_MS);
