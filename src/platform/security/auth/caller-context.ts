import { Injectable } from '@nestjs/common';
import { currentContext, RequestContext, runInContext } from '../../context/request-context';
import { AuthRequiredError } from '../security.errors';
import type { Caller } from '../../context/caller';

/**
 * The current request's caller for code that has no request at hand (services, repositories).
 * Inject it and call {@link tenant} to scope data: it throws rather than guess when there is
 * no authenticated caller. It reads the request context the request edge enters for every
 * request (context/request-context.ts); authentication fills in the caller.
 */
@Injectable()
export class CallerContext {
  get caller(): Caller | undefined {
    return currentContext()?.caller as Caller | undefined;
  }

  /** The caller's tenant; throws AUTH.REQUIRED outside an authenticated request. */
  get tenant(): string {
    const caller = currentContext()?.caller;
    if (!caller) throw new AuthRequiredError('No authenticated caller in this context');
    return caller.tenant;
  }

  /** Runs `fn` as `caller` (background jobs acting for a tenant, tests). */
  run<T>(caller: Caller, fn: () => T): T {
    return runInContext(RequestContext.forCaller(caller), fn);
  }
}
