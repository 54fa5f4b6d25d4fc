import { ThrottleFromConfig } from '../../platform/route-metadata';
import { diffusionConfig, type DiffusionConfig } from './diffusion.config';

/** Generation requests: DIFFUSION_REQUESTS_PER_MINUTE per caller and route. */
export const GenerationRateLimit = () =>
  ThrottleFromConfig('sustained', diffusionConfig.KEY, (c: DiffusionConfig) => c.requestsPerMinute, 60_000);
