import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Caller, RequestWithCaller } from './caller';

/**
 * The authenticated caller of this request (`undefined` on a public route called without
 * credentials). `@CurrentCaller() caller: Caller`.
 */
export const CurrentCaller = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Caller | undefined =>
    ctx.switchToHttp().getRequest<RequestWithCaller>().caller,
);
