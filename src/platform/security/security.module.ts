import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { getOptionsToken, getStorageToken, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { ApiKeyAuthenticator } from './auth/api-key.authenticator';
import { PUBLIC_SWITCHES, type PublicSwitches } from '../route-metadata/access.decorators';
import { authConfig, type AuthConfig } from './auth/auth.config';
import { AuthGuard } from './auth/auth.guard';
import { CallerContext } from './auth/caller-context';
import { CallerResolver } from './auth/caller-resolver.service';
import { JwtAuthenticator } from './auth/jwt.authenticator';
import { SecurityEventsController } from './events/security-events.controller';
import { SecurityEventsService } from './events/security-events.service';
import { requestLimitsConfig } from './http/request-limits.config';
import { UrlLengthMiddleware } from './http/url-length.middleware';
import { InputInspectionGuard } from './inspection/input-inspection.guard';
import { inspectionConfig } from './inspection/inspection.config';
import { securityStateProvider } from './security-state';
import { AdaptiveLimiter } from './throttling/adaptive-limiter.service';
import { FennecThrottlerGuard } from './throttling/fennec-throttler.guard';
import { StateThrottlerStorage } from './throttling/state-throttler.storage';
import { tenantThrottler } from './throttling/tenant-throttler';
import { throttlingConfig, type ThrottlingConfig } from './throttling/throttling.config';
import { TrustScoreService } from './throttling/trust-score.service';

/**
 * Authentication (API keys, JWT) and roles, rate limiting with adaptive limits, input threat
 * inspection, security events.
 * Its guards are registered globally, in order, by the platform module (throttling resolves the
 * caller for its tracker, then auth, then input inspection). {@link CallerContext} is exported for
 * services that scope data per tenant.
 */
@Global()
@Module({
  imports: [
    ConfigModule.forFeature(authConfig),
    ConfigModule.forFeature(throttlingConfig),
    ConfigModule.forFeature(requestLimitsConfig),
    ConfigModule.forFeature(inspectionConfig),
  ],
  controllers: [SecurityEventsController],
  providers: [
    UrlLengthMiddleware,
    securityStateProvider,
    ApiKeyAuthenticator,
    JwtAuthenticator,
    CallerResolver,
    CallerContext,
    TrustScoreService,
    SecurityEventsService,
    AdaptiveLimiter,
    StateThrottlerStorage,
    { provide: getStorageToken(), useExisting: StateThrottlerStorage },
    {
      provide: getOptionsToken(),
      inject: [throttlingConfig.KEY],
      useFactory: (c: ThrottlingConfig): ThrottlerModuleOptions => ({
        throttlers: [
          { name: 'burst', limit: c.burst.limit, ttl: c.burst.ttlMs },
          { name: 'sustained', limit: c.sustained.limit, ttl: c.sustained.ttlMs },
          tenantThrottler(c.tenant),
        ],
      }),
    },
    {
      provide: PUBLIC_SWITCHES,
      inject: [authConfig.KEY],
      useFactory: (c: AuthConfig): PublicSwitches => ({ metricsPublic: c.metricsPublic }),
    },
    FennecThrottlerGuard,
    AuthGuard,
    InputInspectionGuard,
  ],
  exports: [
    CallerContext,
    SecurityEventsService,
    UrlLengthMiddleware,
    PUBLIC_SWITCHES,
    FennecThrottlerGuard,
    AuthGuard,
    InputInspectionGuard,
  ],
})
export class SecurityModule {}
