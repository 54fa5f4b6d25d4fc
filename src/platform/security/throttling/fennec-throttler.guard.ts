import { type ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { FennecError } from '../../errors/fennec-error';
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

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    this.inFlight.track(context.switchToHttp().getResponse<Response>());
    if (!this.config.enabled) return true;
    // Resolved first so per-throttler options (the tenant throttler's skipIf) can see the caller.
    await this.resolver.resolve(context.switchToHttp().getRequest<Request>());
    return super.canActivate(context);
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
