import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { JobKind, type JobKindHandler } from './job-kind.decorator';
import type { JobHandler, JobKindDefinition, JobKindOptions } from './job.types';
import { jobsConfig, type JobsConfig } from './jobs.config';
import { InvalidJobKindError, UnknownJobKindError } from './jobs.errors';

const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const MAX_PRIORITY = 1_000_000;

function positiveInt(value: number | undefined, fallback: number, what: string, kind: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) {
    throw new InvalidJobKindError(`Job kind ${kind}: ${what} must be a positive integer, got ${String(value)}`);
  }
  return v;
}

/** Applies defaults and rejects what cannot work (retries on a kind that is not idempotent). */
export function toJobKindDefinition(
  options: JobKindOptions,
  handler: JobHandler,
  defaultTimeoutMs: number,
): JobKindDefinition {
  const { name } = options;
  if (!NAME.test(name)) {
    throw new InvalidJobKindError(`Job kind name ${JSON.stringify(name)} must match ${NAME.source}`);
  }
  const attempts = positiveInt(options.retry?.attempts, 1, 'retry.attempts', name);
  if (attempts > 1 && options.idempotent !== true) {
    throw new InvalidJobKindError(`Job kind ${name}: retries need idempotent: true (a retry runs the work again)`);
  }
  const priority = positiveInt(options.priority, 100, 'priority', name);
  if (priority > MAX_PRIORITY) throw new InvalidJobKindError(`Job kind ${name}: priority must be <= ${MAX_PRIORITY}`);
  return {
    name,
    concurrency: positiveInt(options.concurrency, 1, 'concurrency', name),
    clusterConcurrency:
      options.clusterConcurrency === undefined
        ? undefined
        : positiveInt(options.clusterConcurrency, 1, 'clusterConcurrency', name),
    timeoutMs: positiveInt(options.timeoutMs, defaultTimeoutMs, 'timeoutMs', name),
    idempotent: options.idempotent === true,
    retry: {
      attempts,
      backoffMs: positiveInt(options.retry?.backoffMs, 1_000, 'retry.backoffMs', name),
      maxBackoffMs: positiveInt(options.retry?.maxBackoffMs, 5 * 60_000, 'retry.maxBackoffMs', name),
    },
    priority,
    description: options.description,
    handler,
  };
}

/**
 * Delay before attempt `attempt + 1` after attempt `attempt` failed: exponential with full
 * jitter (uniform in [0, min(max, base * 2^(attempt-1))]), so retries of many jobs that failed
 * together do not hit the upstream together.
 */
export function retryDelayMs(policy: Required<JobRetryPolicyLike>, attempt: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * random());
}
type JobRetryPolicyLike = { backoffMs: number; maxBackoffMs: number };

/** The job kinds known to this instance: discovered `@JobKind` providers plus any registered in code. */
@Injectable()
export class JobKindRegistry implements OnModuleInit {
  private readonly kinds = new Map<string, JobKindDefinition>();

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(jobsConfig.KEY) private readonly config: JobsConfig,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: JobKind.KEY })) {
      const options = this.discovery.getMetadataByDecorator(JobKind, wrapper)!;
      const instance = wrapper.instance as JobKindHandler | undefined;
      if (!instance || typeof instance.run !== 'function' || !wrapper.isDependencyTreeStatic()) {
        throw new InvalidJobKindError(
          `Job kind ${options.name}: ${wrapper.metatype?.name ?? String(wrapper.token)} must be a singleton provider with run(payload, ctx)`,
        );
      }
      this.register(options, (payload, ctx) => instance.run(payload, ctx));
    }
  }

  /** Registers a kind in code (tests, kinds built at runtime). Throws on a duplicate name. */
  register<P, R>(options: JobKindOptions, handler: JobHandler<P, R>): JobKindDefinition {
    if (this.kinds.has(options.name)) {
      throw new InvalidJobKindError(`Job kind ${options.name} is declared twice`);
    }
    const def = toJobKindDefinition(options, handler as JobHandler, this.config.defaultTimeoutMs);
    this.kinds.set(def.name, def);
    return def;
  }

  get(name: string): JobKindDefinition | undefined {
    return this.kinds.get(name);
  }

  /** The kind, or JOBS.UNKNOWN_KIND. */
  require(name: string): JobKindDefinition {
    const def = this.kinds.get(name);
    if (!def) throw new UnknownJobKindError(`No job kind ${JSON.stringify(name)} is registered`);
    return def;
  }

  list(): JobKindDefinition[] {
    return [...this.kinds.values()];
  }
}
