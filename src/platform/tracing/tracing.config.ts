import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvBoolean, EnvInt } from '../config/env-transforms';

/** The samplers of the OpenTelemetry SDK environment specification. */
export const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TraceSampler = (typeof TRACE_SAMPLERS)[number];

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/**
 * Tracing is configured in OpenTelemetry's own variables (the SDK environment specification), so
 * an operator's collector settings carry over. It is on only when an OTLP endpoint is set.
 */
class TracingEnv {
  /** OTLP/HTTP base URL of the collector (`http://otel-collector:4318`); traces go to `<url>/v1/traces`. Tracing is off while neither this nor OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. */
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  /** Full OTLP/HTTP traces URL; overrides OTEL_EXPORTER_OTLP_ENDPOINT for traces. */
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;

  /** `true` turns tracing off even with an endpoint set. */
  @EnvBoolean()
  @IsBoolean()
  OTEL_SDK_DISABLED: boolean = false;

  /** `service.name` of the spans. */
  @IsString()
  OTEL_SERVICE_NAME: string = 'fennec';

  /** always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio. */
  @IsIn(TRACE_SAMPLERS)
  OTEL_TRACES_SAMPLER: TraceSampler = 'parentbased_always_on';

  /** Ratio (0..1) of new traces sampled by the *traceidratio samplers. */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value,
  )
  @IsNumber()
  @Min(0)
  @Max(1)
  OTEL_TRACES_SAMPLER_ARG: number = 1;

  /** Extra resource attributes, `key=value` pairs separated by commas (`deployment.environment.name=prod,service.version=1.4`). */
  @IsOptional()
  @IsString()
  OTEL_RESOURCE_ATTRIBUTES?: string;

  /** Milliseconds between two span exports (the batch span processor's delay). */
  @EnvInt()
  @IsInt()
  @Min(1)
  OTEL_BSP_SCHEDULE_DELAY: number = 5000;
}

export const tracingConfig = defineEnvNamespace('tracing', TracingEnv, (env) => {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base === undefined ? undefined : `${base}/v1/traces`);
  return {
    enabled: url !== undefined && !env.OTEL_SDK_DISABLED,
    tracesUrl: url,
    serviceName: env.OTEL_SERVICE_NAME,
    sampler: env.OTEL_TRACES_SAMPLER,
    samplerRatio: env.OTEL_TRACES_SAMPLER_ARG,
    resourceAttributes: env.OTEL_RESOURCE_ATTRIBUTES,
    exportDelayMs: env.OTEL_BSP_SCHEDULE_DELAY,
  };
});
export type TracingConfig = ReturnType<typeof tracingConfig>;
