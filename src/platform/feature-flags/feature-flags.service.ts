import { Injectable } from '@nestjs/common';
import { ManagedService } from '../registry/managed-service.decorator';
import type { ManagedLifecycle, ServiceHealthReport } from '../registry/managed-service.types';
import { RuntimeConfigService } from '../runtime-config/runtime-config.service';
import { FLAG_BUCKETS, flagBucket } from './flag-bucket';
import { FeatureFlagsSettings, type TenantFlagRule } from './feature-flags.settings';

/** Who a flag is evaluated for. */
export interface FlagContext {
  tenant?: string;
  /** Stable caller identity (API-key id, JWT subject, …); rollouts bucket by it. */
  callerId?: string;
}

/** The runtime-config section (and managed service) that holds the flags. */
export const FLAGS_SERVICE = 'flags';

/**
 * Feature flags, read from the `flags` runtime configuration on every call (so a change made on
 * any instance applies at once). A flag with a partial rollout is on for a stable share of
 * callers: the same tenant/caller always gets the same answer. Unknown flags are off.
 */
@ManagedService({
  name: FLAGS_SERVICE,
  config: FeatureFlagsSettings,
  critical: false,
  description: 'Feature flags (boolean or percentage rollout, per tenant)',
})
@Injectable()
export class FeatureFlags implements ManagedLifecycle {
  constructor(private readonly config: RuntimeConfigService) {}

  isEnabled(flag: string, context: FlagContext = {}): boolean {
    const rule = this.config.get<FeatureFlagsSettings>(FLAGS_SERVICE).flags[flag];
    if (!rule) return false;
    const tenantRule = context.tenant !== undefined ? rule.tenants?.[context.tenant] : undefined;
    return evaluate(flag, tenantRule ?? rule, context);
  }

  async checkHealth(): Promise<ServiceHealthReport> {
    return {
      status: 'UP',
      details: { flags: Object.keys(this.config.get<FeatureFlagsSettings>(FLAGS_SERVICE).flags).length },
    };
  }
}

/** A rule for a context: off, on, or on for `rolloutPercent` % of subjects. */
export function evaluate(flag: string, rule: TenantFlagRule, context: FlagContext): boolean {
  if (!rule.enabled) return false;
  const threshold = Math.round((rule.rolloutPercent ?? 100) * (FLAG_BUCKETS / 100));
  if (threshold >= FLAG_BUCKETS) return true;
  if (threshold <= 0) return false;
  const subject = context.callerId ?? context.tenant;
  // Without anyone to bucket, a partial rollout stays off rather than flapping per request.
  if (subject === undefined) return false;
  return flagBucket(flag, context.tenant ?? '', subject) < threshold;
}
