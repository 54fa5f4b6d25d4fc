import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { randomUUID } from 'node:crypto';
import { PlatformContextManager } from './platform-context-manager';
import type { TracingConfig } from './tracing.config';

/** Instrumentation scope of every span the platform makes. */
const SCOPE = 'fennec-platform';

/**
 * The process's OpenTelemetry SDK. OpenTelemetry's API is process-global (one tracer provider,
 * context manager and propagator per process), so this is too: the first app that starts with
 * tracing on installs it, later apps of the same process (tests run two instances in one) share
 * it, and the last one to stop flushes and removes it.
 */
interface Runtime {
  provider: NodeTracerProvider;
  users: number;
  /** Removes the Redis and PostgreSQL client patches. */
  unpatch: () => void;
}

let runtime: Runtime | undefined;
/**
 * The tracer while tracing is on, else undefined. Every hook on a hot path reads this one variable
 * first and does nothing more when it is undefined: with tracing off no span, context or exporter
 * exists and no OpenTelemetry code runs.
 */
let tracer: Tracer | undefined;

/** The platform's tracer while tracing is on. */
export function activeTracer(): Tracer | undefined {
  return tracer;
}

/** Starts the SDK (or joins the one this process already runs). */
export function startTracing(config: TracingConfig): void {
  if (!config.enabled || config.tracesUrl === undefined) return;
  if (runtime) {
    runtime.users++;
    return;
  }
  const resource = resourceFromAttributes({ 'service.instance.id': randomUUID() })
    // OTEL_RESOURCE_ATTRIBUTES, parsed by the SDK's own detector.
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }));
  const exporter = new OTLPTraceExporter({ url: config.tracesUrl });
  const provider = new NodeTracerProvider({
    resource,
    sampler: samplerOf(config),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.exportDelayMs })],
  });
  provider.register({
    // The platform's AsyncLocalStorage rather than a second one (see PlatformContextManager).
    contextManager: new PlatformContextManager(),
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });
  runtime = { provider, users: 1, unpatch: instrumentClients(provider) };
  tracer = provider.getTracer(SCOPE);
}

/**
 * Redis (ioredis) and PostgreSQL (pg) spans from the official instrumentations, for commands run
 * inside a trace (`requireParentSpan`: BullMQ's polling and pub/sub outside any request stay out).
 * They patch the client classes' prototypes when the module is required; the app loaded both
 * before this runs, so each is required once more here, which makes the instrumentation's require
 * hook patch the module already loaded, and with it every client made before. (Jest's module
 * loader bypasses that hook: the spans show in a real process, test/tracing-process.e2e-spec.ts.)
 */
function instrumentClients(provider: NodeTracerProvider): () => void {
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new IORedisInstrumentation({ requireParentSpan: true }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  for (const name of ['ioredis', 'pg']) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the require is the point (see above)
      require(name);
    } catch {
      // Not installed: nothing to patch.
    }
  }
  return unregister;
}

/** Leaves the SDK; the last user flushes the spans still buffered and removes it. */
export async function stopTracing(): Promise<void> {
  if (!runtime) return;
  if (--runtime.users > 0) return;
  const { provider, unpatch } = runtime;
  runtime = undefined;
  tracer = undefined;
  unpatch();
  try {
    await provider.shutdown();
  } finally {
    trace.disable();
    context.disable();
    propagation.disable();
  }
}

/** Exports the spans ended so far (tests and shutdown). */
export async function flushTracing(): Promise<void> {
  await runtime?.provider.forceFlush();
}

function samplerOf(config: TracingConfig): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(config.samplerRatio);
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
  }
}
