import { Global, Module } from '@nestjs/common';
import { FeatureFlagGuard } from './feature-flag.guard';
import { FeatureFlags } from './feature-flags.service';

/** `FeatureFlags.isEnabled(flag, context)` and `@RequireFlag('x')`, backed by the `flags` runtime config. */
@Global()
@Module({ providers: [FeatureFlags, FeatureFlagGuard], exports: [FeatureFlags, FeatureFlagGuard] })
export class FeatureFlagsModule {}
