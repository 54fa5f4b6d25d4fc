import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

type Target = object;

/**
 * Route metadata (handler overriding class, as `Reflector.getAllAndOverride`) read once per
 * controller class and handler, then served from memory. Decorator metadata does not change after
 * boot, and global guards otherwise walk reflect-metadata's maps on every request for every key
 * they read (a few microseconds each, per guard, per request).
 */
export class RouteMetadata<T> {
  private readonly byClass = new WeakMap<Target, WeakMap<Target, { value: T | undefined }>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly key: string | symbol,
  ) {}

  get(context: ExecutionContext): T | undefined {
    const cls = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.byClass.get(cls);
    if (!byHandler) this.byClass.set(cls, (byHandler = new WeakMap()));
    let hit = byHandler.get(handler);
    if (!hit) {
      hit = { value: this.reflector.getAllAndOverride<T | undefined>(this.key, [handler, cls]) };
      byHandler.set(handler, hit);
    }
    return hit.value;
  }
}
