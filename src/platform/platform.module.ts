import { type DynamicModule, Global, Module, Scope, ValidationPipe } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { Logger as NestPinoLogger, PARAMS_PROVIDER_TOKEN, PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { appConfig } from './config/app.config';
import { validateEnvironment } from './config/env-namespace';
import { ProblemDetailsFilter } from './errors/problem-details.filter';
import { validationExceptionFactory } from './errors/validation-errors';
import { installValidationMetadataCache } from './validation/validation-metadata-cache';
import { healthConfig } from './health/health.config';
import { HealthModule } from './health/health.module';
import { httpConfig } from './http/http.config';
import { HttpPipelineModule } from './http/http-pipeline.module';
import { loggingConfig, type LoggingConfig } from './logging/logging.config';
import { ContextPinoLogger } from './logging/context-pino-logger';
import { createRootLogger, ROOT_LOGGER } from './logging/root-logger';
import { MetricsController } from './metrics/metrics.controller';
import { metricsConfig } from './metrics/metrics.config';
import { MetricsService } from './metrics/metrics.service';
import { PLATFORM_OPTIONS, type PlatformOptions } from './platform.options';
import { SecurityModule } from './security/security.module';
import { RegistryModule } from './registry/registry.module';
import { RuntimeConfigModule } from './runtime-config/runtime-config.module';
import { StateModule } from './state/state.module';
import { FeatureFlagsModule } from './feature-flags/feature-flags.module';
import { StreamingModule } from './streaming/streaming.module';
import { UpstreamModule } from './upstream/upstream.module';
import { StorageModule } from './storage/storage.module';
import { JobsModule } from './jobs';

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
    load: [appConfig, httpConfig, loggingConfig, metricsConfig, healthConfig],
    validate: validateEnvironment,
  });
  config.catch(() => undefined);
  return config;
}

@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions = {}): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        loadConfig(),
        HealthModule,
        HttpPipelineModule,
        SecurityModule,
        RegistryModule,
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
          inject: [loggingConfig.KEY],
          useFactory: (logging: LoggingConfig) => createRootLogger(logging, options.logStream),
        },
        // nestjs-pino's Logger and PinoLogger on the root logger; requests are logged and given
        // their context by the platform's request edge (http/request-edge.ts), not nestjs-pino's
        // middleware, so PinoLogger is the variant that reads that context.
        {
          provide: PARAMS_PROVIDER_TOKEN,
          inject: [ROOT_LOGGER],
          useFactory: (root: Logger) => ({ pinoHttp: { logger: root }, useExisting: true }),
        },
        { provide: PinoLogger, useClass: ContextPinoLogger, scope: Scope.TRANSIENT },
        NestPinoLogger,
        MetricsService,
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        {
          provide: APP_PIPE,
          useFactory: () => {
            installValidationMetadataCache();
            return new ValidationPipe({
              whitelist: true,
              forbidNonWhitelisted: true,
              forbidUnknownValues: true,
              transform: true,
              exceptionFactory: validationExceptionFactory,
            });
          },
        },
      ],
      exports: [MetricsService, HealthModule, HttpPipelineModule, ROOT_LOGGER, PinoLogger, NestPinoLogger],
    };
  }
}
