import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { RouteNotFoundError } from '../errors/common.errors';
import { FeatureFlags, type FlagContext } from './feature-flags.service';

/** Metadata key set by `@RequireFlag`. */
export const REQUIRED_FLAG_KEY = 'fennec:required-flag';

/** The caller as the security module puts it on the request (absent on unauthenticated routes). */
type RequestWithCaller = Request & { caller?: { id?: string; tenant?: string } };

/** The flag context of a request: the authenticated caller, or the client address without one. */
export function flagContextOf(req: Request): FlagContext {
  const caller = (req as RequestWithCaller).caller;
  return { tenant: caller?.tenant, callerId: caller?.id ?? req.ip };
}

/** Enforces {@link RequireFlag}: a disabled flag hides the route behind a 404. */
@Injectable()
export class FeatureFlagGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly flags: FeatureFlags,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const flag = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_FLAG_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (flag === undefined) return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (this.flags.isEnabled(flag, flagContextOf(req))) return true;
    throw new RouteNotFoundError(`No route matches ${req.method} ${req.originalUrl.split('?')[0].slice(0, 256)}`);
  }
}
