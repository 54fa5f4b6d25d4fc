import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { tracingConfig, type TracingConfig } from './tracing.config';
import { startTracing, stopTracing } from './tracing-runtime';

/**
 * Starts OpenTelemetry tracing when an OTLP endpoint is configured (before any service starts,
 * so the registry's start spans are recorded) and flushes it at shutdown, after the services
 * stopped. With tracing off it does nothing at all.
 */
@Injectable()
export class TracingService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('tracing');
  private started = false;

  constructor(@Inject(tracingConfig.KEY) private readonly config: TracingConfig) {}

  get enabled(): boolean {
    return this.config.enabled;
  }

  onModuleInit(): void {
    if (!this.config.enabled) return;
    startTracing(this.config);
    this.started = true;
    this.logger.log(
      { endpoint: this.config.tracesUrl, sampler: this.config.sampler, ratio: this.config.samplerRatio },
      'tracing on: spans exported over OTLP/HTTP',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    try {
      await stopTracing();
    } catch (err) {
      this.logger.warn({ err }, 'flushing the last spans failed');
    }
  }
}
