import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { contextOf } from '../../context/request-context';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import type { Caller, RequestWithCaller } from '../../context/caller';
import { JwtAuthenticator, looksLikeJwt } from './jwt.authenticator';

/** What the credentials on a request amount to. */
export type CallerResolution =
  { status: 'none' } | { status: 'ok'; caller: Caller } | { status: 'invalid'; reason: string };

const MAX_CREDENTIAL_LENGTH = 8192;

/**
 * Reads credentials (`Authorization: Bearer <key or JWT>`, or `x-api-key`) and authenticates them,
 * once per request: the throttler (which needs the caller for its tracker) and the AuthGuard
 * (which enforces) share the memoised answer.
 */
@Injectable()
export class CallerResolver {
  private readonly memo = new WeakMap<Request, Promise<CallerResolution>>();

  constructor(
    private readonly apiKeys: ApiKeyAuthenticator,
    private readonly jwt: JwtAuthenticator,
  ) {}

  resolve(req: Request): Promise<CallerResolution> {
    let pending = this.memo.get(req);
    if (!pending) {
      pending = this.authenticate(req).then((r) => {
        if (r.status === 'ok') {
          (req as RequestWithCaller).caller = r.caller;
          const ctx = contextOf(req);
          if (ctx) ctx.caller = r.caller;
        }
        return r;
      });
      this.memo.set(req, pending);
    }
    return pending;
  }

  private async authenticate(req: Request): Promise<CallerResolution> {
    const credential = extractCredential(req);
    if (credential === undefined) return { status: 'none' };
    if ('invalid' in credential) return { status: 'invalid', reason: credential.invalid };
    const token = credential.token;
    if (this.jwt.configured && looksLikeJwt(token)) {
      const r = await this.jwt.authenticate(token);
      return r.ok ? { status: 'ok', caller: r.caller } : { status: 'invalid', reason: r.reason };
    }
    const r = this.apiKeys.authenticate(token);
    if (r.ok) return { status: 'ok', caller: r.caller };
    return {
      status: 'invalid',
      reason: r.reason === 'expired' ? 'API key has expired' : 'credentials are not recognised',
    };
  }
}

function extractCredential(req: Request): { token: string } | { invalid: string } | undefined {
  const auth = req.headers.authorization;
  const apiKey = req.headers['x-api-key'];
  if (typeof auth === 'string' && auth !== '') {
    const m = /^Bearer +(\S+) *$/i.exec(auth);
    if (!m) return { invalid: 'Authorization must use the Bearer scheme' };
    return sane(m[1]);
  }
  if (typeof apiKey === 'string' && apiKey !== '') return sane(apiKey.trim());
  return undefined;
}

function sane(token: string): { token: string } | { invalid: string } {
  return token.length > MAX_CREDENTIAL_LENGTH ? { invalid: 'credential is too long' } : { token };
}
