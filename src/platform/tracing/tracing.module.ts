import { Global, Module } from '@nestjs/common';
import { TracingService } from './tracing.service';

/** OpenTelemetry tracing (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set); see docs/operations.md "Tracing". */
@Global()
@Module({ providers: [TracingService], exports: [TracingService] })
export class TracingModule {}
