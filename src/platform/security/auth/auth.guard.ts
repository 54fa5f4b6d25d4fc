import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RouteMetadata } from '../../route-metadata/route-metadata';
import type { Request } from 'express';
import { currentContext } from '../../context/request-context';
import type { Role } from '../../context/caller';
import { IS_PUBLIC_KEY, type PublicSwitch, REQUIRED_ROLE_KEY } from '../../route-metadata/access.decorators';
import { SecurityEventsService } from '../events/security-events.service';
import { AuthForbiddenError, AuthInvalidError, AuthRequiredError } from '../security.errors';
import { authConfig, type AuthConfig } from './auth.config';
import { CallerResolver } from './caller-resolver.service';
import { type Caller, hasRole } from '../../context/caller';

/**
 * Deny by default: every route needs an authenticated caller with at least `viewer`, or the role
 * named by `@Roles()`, unless it is `@Public()` (or `@PublicIf()` with the setting on).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly publicOf: RouteMetadata<boolean | PublicSwitch>;
  private readonly roleOf: RouteMetadata<Role>;

  constructor(
    reflector: Reflector,
    private readonly resolver: CallerResolver,
    private readonly events: SecurityEventsService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {
    this.publicOf = new RouteMetadata(reflector, IS_PUBLIC_KEY);
    this.roleOf = new RouteMetadata(reflector, REQUIRED_ROLE_KEY);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    const resolution = await this.resolver.resolve(req);
    if (resolution.status === 'ok') this.bindToLogs(resolution.caller);
    if (this.isPublic(this.publicOf.get(context))) return true;

    if (resolution.status === 'none')
      throw new AuthRequiredError('This route needs credentials: send Authorization: Bearer <key or JWT> or x-api-key');
    if (resolution.status === 'invalid') {
      this.events.record(req, 'auth.invalid', resolution.reason);
      throw new AuthInvalidError(`Credentials rejected: ${resolution.reason}`);
    }
    const required = this.roleOf.get(context) ?? 'viewer';
    if (!hasRole(resolution.caller, required)) {
      this.events.record(req, 'auth.forbidden', `needs ${required}`);
      throw new AuthForbiddenError(`This route needs the ${required} role`);
    }
    return true;
  }

  /** Every later log line of this request (and its completion line) names the caller and tenant. */
  private bindToLogs(caller: Caller): void {
    // Outside a request's context (e.g. a test calling the guard directly) there is nothing to bind.
    currentContext()?.assign({ callerId: caller.id, tenant: caller.tenant, roles: caller.roles });
  }

  private isPublic(flag: boolean | PublicSwitch | undefined): boolean {
    if (flag === undefined || flag === false) return false;
    if (flag === true) return true;
    return this.config[flag];
  }
}
