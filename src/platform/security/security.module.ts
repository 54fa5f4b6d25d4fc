import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { getOptionsToken, getStorageToken, type ThrottlerModuleOptions } from '@nestjs/throttler';
import { HealthModule } from '../health/health.module';
import { ApiKeyAuthenticator } from './auth/api-key.authenticator';
import { authConfig } from './auth/auth.config';
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
 * Guards run in this order: throttling (which resolves the caller for its tracker), auth, then
 * input inspection. {@link CallerContext} is exported for services that scope data per tenant.
 */
@Global()
@Module({
  imports: [
    ConfigModule.forFeature(authConfig),
    ConfigModule.forFeature(throttlingConfig),
    ConfigModule.forFeature(requestLimitsConfig),
    ConfigModule.forFeature(inspectionConfig),
    HealthModule,
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
    { provide: APP_GUARD, useClass: FennecThrottlerGuard },
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: InputInspectionGuard },
  ],
  exports: [CallerContext, SecurityEventsService, UrlLengthMiddleware],
})
export class SecurityModule {}
