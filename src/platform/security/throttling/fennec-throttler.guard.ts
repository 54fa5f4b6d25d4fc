import { type ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { FennecError } from '../../errors/fennec-error';
import { RouteMetadata } from '../../http/route-metadata';
import { CallerResolver } from '../auth/caller-resolver.service';
import { SecurityEventsService } from '../events/security-events.service';
import { RateLimitExceededError } from '../security.errors';
import { AdaptiveLimiter } from './adaptive-limiter.service';
import { clientKey } from './client-key';
import { InFlightRequests } from './in-flight-requests';
import { throttlingConfig, type ThrottlingConfig } from './throttling.config';

/**
 * @nestjs/throttler's guard with Fennec's tracker (API key / JWT subject / proxy-aware IP), the
 * adaptive limit, shared storage, a 429 problem with Retry-After, and a fail-open (or closed)
 * policy when the state backend is unreachable. It runs before the AuthGuard (resolving the
 * caller itself, memoised) so failed logins spend the client's IP quota.
 */
@Injectable()
export class FennecThrottlerGuard extends ThrottlerGuard {
  private readonly log = new Logger('throttling');
  private cachedRouteThrottlers?: RouteThrottler[];

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(throttlingConfig.KEY) private readonly config: ThrottlingConfig,
    private readonly resolver: CallerResolver,
    private readonly adaptive: AdaptiveLimiter,
    private readonly inFlight: InFlightRequests,
    private readonly events: SecurityEventsService,
  ) {
    super(options, storage, reflector);
  }

  /**
   * @nestjs/throttler's canActivate, with the route's throttler decorators read once per route
   * (see {@link RouteMetadata}) instead of five reflect-metadata lookups per throttler per request.
   * Same semantics: `@SkipThrottle`, `@Throttle` limits/ttls/block durations, per-throttler
   * `skipIf`, trackers and key generators, values that are functions of the context.
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    this.inFlight.track(context.switchToHttp().getResponse<Response>());
    if (!this.config.enabled) return true;
    // Resolved first so per-throttler options (the tenant throttler's skipIf) can see the caller.
    await this.resolver.resolve(context.switchToHttp().getRequest<Request>());
    for (const { throttler, route } of this.routeThrottlers) {
      const skipIf = throttler.skipIf ?? this.commonOptions.skipIf;
      if (route.skip.get(context) || skipIf?.(context)) continue;
      const limit = await resolveNumber(context, route.limit.get(context) ?? throttler.limit, 'limit', throttler);
      const ttl = await resolveNumber(context, route.ttl.get(context) ?? throttler.ttl, 'ttl', throttler);
      const blockDuration = await resolveNumber(
        context,
        route.blockDuration.get(context) ?? throttler.blockDuration ?? ttl,
        'blockDuration',
        throttler,
      );
      await this.handleRequest({
        context,
        limit,
        ttl,
        throttler,
        blockDuration,
        getTracker: route.tracker.get(context) ?? throttler.getTracker ?? this.commonOptions.getTracker!,
        generateKey: route.keyGenerator.get(context) ?? throttler.generateKey ?? this.commonOptions.generateKey!,
      });
    }
    return true;
  }

  private get routeThrottlers(): RouteThrottler[] {
    return (this.cachedRouteThrottlers ??= this.throttlers.map((throttler) => {
      const meta = <T>(key: string) => new RouteMetadata<T>(this.reflector, key + throttler.name);
      return {
        throttler,
        route: {
          skip: meta<boolean>(THROTTLER_SKIP),
          limit: meta<Resolvable<number>>(THROTTLER_LIMIT),
          ttl: meta<Resolvable<number>>(THROTTLER_TTL),
          blockDuration: meta<Resolvable<number>>(THROTTLER_BLOCK_DURATION),
          tracker: meta<ThrottlerOptions['getTracker']>(THROTTLER_TRACKER),
          keyGenerator: meta<ThrottlerOptions['generateKey']>(THROTTLER_KEY_GENERATOR),
        },
      };
    }));
  }

  /** Headers set directly: Express's `res.header` adds a charset check and string conversion. */
  protected override setResponseHeader(res: Record<string, unknown>, name: string, value: string | number): void {
    (res as unknown as Response).setHeader(name, String(value));
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    await this.resolver.resolve(req as unknown as Request);
    return clientKey(req as unknown as Request);
  }

  /**
   * Storage key without @nestjs/throttler's sha256 of the same parts: class, handler, throttler
   * name and tracker are short and printable already, and hashing them per throttler per request
   * showed up in profiles.
   */
  protected override generateKey(context: ExecutionContext, suffix: string, name: string): string {
    return `${context.getClass().name}:${context.getHandler().name}:${name}:${suffix}`;
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const req = props.context.switchToHttp().getRequest<Request>();
    try {
      const tracker = await props.getTracker(req, props.context);
      const limit = await this.adaptive.limitFor(tracker, props.limit);
      return await super.handleRequest({ ...props, limit, getTracker: () => tracker });
    } catch (e) {
      if (!(e instanceof FennecError && e.code === 'STATE.UNAVAILABLE')) throw e;
      this.log.warn(`rate limit not checked (${this.config.failOpen ? 'fail-open' : 'fail-closed'}): ${e.message}`);
      if (this.config.failOpen) return true;
      throw e;
    }
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const req = context.switchToHttp().getRequest<Request>();
    this.events.record(req, 'rate_limit.exceeded', `limit ${detail.limit} per ${detail.ttl} ms`);
    throw new RateLimitExceededError(
      `Rate limit exceeded: at most ${detail.limit} requests per ${detail.ttl / 1000} s`,
      {
        retryAfterSeconds: detail.timeToBlockExpire,
      },
    );
  }
}

type Resolvable<T> = T | ((context: ExecutionContext) => T | Promise<T>);

interface RouteThrottler {
  throttler: ThrottlerOptions;
  route: {
    skip: RouteMetadata<boolean>;
    limit: RouteMetadata<Resolvable<number>>;
    ttl: RouteMetadata<Resolvable<number>>;
    blockDuration: RouteMetadata<Resolvable<number>>;
    tracker: RouteMetadata<ThrottlerOptions['getTracker']>;
    keyGenerator: RouteMetadata<ThrottlerOptions['generateKey']>;
  };
}

/** @nestjs/throttler's metadata keys (suffixed with the throttler's name), as its decorators write them. */
const THROTTLER_SKIP = 'THROTTLER:SKIP';
const THROTTLER_LIMIT = 'THROTTLER:LIMIT';
const THROTTLER_TTL = 'THROTTLER:TTL';
const THROTTLER_BLOCK_DURATION = 'THROTTLER:BLOCK_DURATION';
const THROTTLER_TRACKER = 'THROTTLER:TRACKER';
const THROTTLER_KEY_GENERATOR = 'THROTTLER:KEY_GENERATOR';

async function resolveNumber(
  context: ExecutionContext,
  value: Resolvable<number> | undefined,
  what: string,
  throttler: ThrottlerOptions,
): Promise<number> {
  const resolved = typeof value === 'function' ? await value(context) : value;
  if (typeof resolved !== 'number' || Number.isNaN(resolved))
    throw new Error(`Throttler "${throttler.name ?? 'default'}": ${what} must be a number, got ${String(resolved)}`);
  return resolved;
}
