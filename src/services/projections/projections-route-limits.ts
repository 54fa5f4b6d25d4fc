import { ThrottleFromConfig } from '../../platform/route-metadata';
import { projectionsConfig, type ProjectionsConfig } from './projections.config';

/** Submissions: PROJECTIONS_SUBMITS_PER_MINUTE per caller (the `sustained` throttler). */
export const ProjectionSubmitRateLimit = () =>
  ThrottleFromConfig('sustained', projectionsConfig.KEY, (c: ProjectionsConfig) => c.submitsPerMinute, 60_000);
