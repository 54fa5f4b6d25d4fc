import { normalizeIp } from '@nestjs/throttler';
import type { Request } from 'express';
import type { RequestWithCaller } from '../../context/caller';

/**
 * Who a request counts against: the API key or JWT subject when authenticated, else the client
 * IP as Express derives it with `trust proxy` = TRUST_PROXY_HOPS, so X-Forwarded-For entries
 * added by the client itself (left of the trusted hops) are ignored. IPv6 is grouped by /64.
 */
export function clientKey(req: Request): string {
  const caller = (req as RequestWithCaller).caller;
  if (caller) return caller.kind === 'jwt' ? `jwt:${caller.tenant}/${caller.id}` : `key:${caller.id}`;
  return `ip:${normalizeIp(req.ip ?? req.socket.remoteAddress ?? 'unknown')}`;
}
