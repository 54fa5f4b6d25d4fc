import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { appConfig } from './config/app.config';
import { validateEnvironment } from './config/env-namespace';
import { ErrorDialects } from './errors/error-dialects';
import { ProblemDetailsFilter } from './errors/problem-details.filter';
import { RequestValidationPipe } from './validation';
import { healthConfig } from './health/health.config';
import { HealthModule } from './health/health.module';
import { httpConfig } from './http/http.config';
import { HttpPipelineModule } from './http/http-pipeline.module';
import { loggingConfig, type LoggingConfig } from './logging/logging.config';
import { PlatformLogger } from './logging/platform-logger';
import { createRootLogger, ROOT_LOGGER } from './logging/root-logger';
import { MetricsController } from './metrics/metrics.controller';
import { metricsConfig } from './metrics/metrics.config';
import { MetricsService } from './metrics/metrics.service';
import { PLATFORM_OPTIONS, type PlatformOptions } from './platform.options';
import { lifecycleConfig } from './lifecycle/lifecycle.config';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { ServiceAvailabilityGuard } from './registry/service-availability.guard';
import { sensorsConfig } from './sensors/sensors.config';
import { SensorsModule } from './sensors/sensors.module';
import { AuthGuard } from './security/auth/auth.guard';
import { InputInspectionGuard } from './security/inspection/input-inspection.guard';
import { SecurityModule } from './security/security.module';
import { FennecThrottlerGuard } from './security/throttling/fennec-throttler.guard';
import { ServiceRegistryModule } from './registry/service-registry.module';
import { RuntimeConfigModule } from './runtime-config/runtime-config.module';
import { StateModule } from './state/state.module';
import { FeatureFlagsModule } from './feature-flags/feature-flags.module';
import { StreamingModule } from './streaming/streaming.module';
import { UpstreamModule } from './upstream/upstream.module';
import { StorageModule } from './storage/storage.module';
import { JobsModule } from './jobs';
import { tracingConfig, type TracingConfig } from './tracing/tracing.config';
import { TracingModule } from './tracing/tracing.module';
import { scalingConfig } from './scaling/scaling.config';
import { ScalingModule } from './scaling/scaling.module';

/**
 * The platform core, imported once by the application root. It loads and validates
 * configuration, sets up logging and metrics, and registers the global enhancers through DI.
 */
/**
 * ConfigModule.forRoot is asynchronous and validates the environment before Nest awaits it; a
 * rejection must not surface as an unhandled rejection (a crash with a stack trace) but reach
 * bootstrap, which prints the one-line cause.
 */
function loadConfig() {
  const config = ConfigModule.forRoot({
    isGlobal: true,
    cache: true,
    ignoreEnvFile: process.env.NODE_ENV === 'test',
    load: [
      appConfig,
      httpConfig,
      loggingConfig,
      metricsConfig,
      healthConfig,
      lifecycleConfig,
      sensorsConfig,
      tracingConfig,
      scalingConfig,
    ],
    validate: validateEnvironment,
  });
  config.catch(() => undefined);
  return config;
}

/**
 * Every global guard, in the order they run, registered here and nowhere else (each lives in its
 * own module, which provides and exports it). Nest runs global guards in registration order, so
 * this list is the order, whatever the order modules are imported in:
 * 1. throttling: cheapest refusal first, and it resolves the caller for its per-caller tracker;
 * 2. auth: deny by default, `@Public()`, roles, tenant;
 * 3. input inspection: only for authenticated or public callers that passed the limits;
 * 4. service availability: a `@ServiceRoute` answers 503 unless its service is up.
 * The one filter (problem+json) and the one pipe (validation) are registered below as well.
 */
const GLOBAL_GUARDS = [FennecThrottlerGuard, AuthGuard, InputInspectionGuard, ServiceAvailabilityGuard];

@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions = {}): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        loadConfig(),
        TracingModule,
        SensorsModule,
        ScalingModule,
        LifecycleModule,
        HealthModule,
        HttpPipelineModule,
        SecurityModule,
        ServiceRegistryModule,
        StorageModule,
        StateModule,
        FeatureFlagsModule,
        RuntimeConfigModule,
        StreamingModule,
        UpstreamModule,
        JobsModule,
      ],
      controllers: [MetricsController],
      providers: [
        { provide: PLATFORM_OPTIONS, useValue: options },
        {
          provide: ROOT_LOGGER,
          inject: [loggingConfig.KEY, tracingConfig.KEY],
          useFactory: (logging: LoggingConfig, tracing: TracingConfig) =>
            createRootLogger(logging, options.logStream, { traceFields: tracing.enabled }),
        },
        PlatformLogger,
        MetricsService,
        ErrorDialects,
        ...GLOBAL_GUARDS.map((guard) => ({ provide: APP_GUARD, useExisting: guard })),
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useClass: RequestValidationPipe },
      ],
      exports: [MetricsService, ErrorDialects, HealthModule, HttpPipelineModule, ROOT_LOGGER, PlatformLogger],
    };
  }
}
