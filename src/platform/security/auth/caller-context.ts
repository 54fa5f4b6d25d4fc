import { AsyncLocalStorage } from 'node:async_hooks';
import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AuthRequiredError } from '../security.errors';
import type { RequestWithCaller } from './caller-resolver.service';
import type { Caller } from './caller';

const storage = new AsyncLocalStorage<Caller | undefined>();

/**
 * The current request's caller for code that has no request at hand (services, repositories).
 * Inject it and call {@link tenant} to scope data: it throws rather than guess when there is
 * no authenticated caller.
 */
@Injectable()
export class CallerContext {
  get caller(): Caller | undefined {
    return storage.getStore();
  }

  /** The caller's tenant; throws AUTH.REQUIRED outside an authenticated request. */
  get tenant(): string {
    const caller = storage.getStore();
    if (!caller) throw new AuthRequiredError('No authenticated caller in this context');
    return caller.tenant;
  }

  /** Runs `fn` as `caller` (background jobs acting for a tenant, tests). */
  run<T>(caller: Caller, fn: () => T): T {
    return storage.run(caller, fn);
  }
}

/**
 * Runs the handler (and the pipes before it) inside the caller's async context. An interceptor,
 * not middleware: it runs after the guards have authenticated, and after body parsing, whose
 * stream callbacks would otherwise lose the context.
 */
@Injectable()
export class CallerContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const caller = context.switchToHttp().getRequest<RequestWithCaller>().caller;
    return new Observable((subscriber) => storage.run(caller, () => next.handle().subscribe(subscriber)));
  }
}
