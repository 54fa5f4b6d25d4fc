import { ThrottleFromConfig } from '../../platform/route-metadata';
import { captionsConfig, type CaptionsConfig } from './captions.config';

/** Caption requests and batch submissions: CAPTIONS_PER_MINUTE per caller and route. */
export const CaptionRateLimit = () =>
  ThrottleFromConfig('sustained', captionsConfig.KEY, (c: CaptionsConfig) => c.perMinute, 60_000);
