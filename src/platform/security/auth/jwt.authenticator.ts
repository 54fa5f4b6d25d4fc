import { Inject, Injectable } from '@nestjs/common';
import {
  createRemoteJWKSet,
  errors,
  type JWTPayload,
  jwtVerify,
  type JWTHeaderParameters,
  type FlattenedJWSInput,
} from 'jose';
import type { Role } from '../../context/caller';
import { authConfig, type AuthConfig, type JwtSettings } from './auth.config';
import { type Caller, isRole } from '../../context/caller';

export type JwtOutcome = { ok: true; caller: Caller } | { ok: false; reason: string };

/** Three base64url segments, the first a JSON header: what a compact JWS looks like. */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

function claimAt(payload: JWTPayload, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), payload);
}

/**
 * Verifies HS256 / RS256 JWTs with jose: signature, `exp`/`nbf` (with clock skew), issuer and
 * audience when configured. Roles come from a claim (array or space-separated string), mapped
 * to Fennec roles; values that map to nothing are ignored.
 */
@Injectable()
export class JwtAuthenticator {
  private readonly settings?: JwtSettings;
  private readonly algorithms: string[];
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(@Inject(authConfig.KEY) config: AuthConfig) {
    this.settings = config.jwt;
    const rsa = Boolean(config.jwt?.publicKey || config.jwt?.jwksUrl);
    this.algorithms = [...(config.jwt?.secret ? ['HS256'] : []), ...(rsa ? ['RS256'] : [])];
    // jose caches the set, refetches on an unknown `kid` at most every 30 s, and times out after 5 s.
    if (config.jwt?.jwksUrl) this.jwks = createRemoteJWKSet(new URL(config.jwt.jwksUrl), { timeoutDuration: 5000 });
  }

  get configured(): boolean {
    return this.settings !== undefined;
  }

  async authenticate(token: string): Promise<JwtOutcome> {
    const s = this.settings;
    if (!s) return { ok: false, reason: 'JWT is not accepted here' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        (header: JWTHeaderParameters, input: FlattenedJWSInput) => {
          if (header.alg === 'HS256') return s.secret!;
          return s.publicKey ?? this.jwks!(header, input);
        },
        {
          algorithms: this.algorithms,
          issuer: s.issuer,
          audience: s.audience,
          clockTolerance: s.clockSkewSeconds,
          requiredClaims: ['sub', 'exp'],
        },
      ));
    } catch (e) {
      return { ok: false, reason: describeJoseError(e) };
    }
    const tenantClaim = claimAt(payload, s.tenantClaim);
    const tenant = typeof tenantClaim === 'string' && tenantClaim !== '' ? tenantClaim : s.defaultTenant;
    if (!tenant) return { ok: false, reason: `token has no "${s.tenantClaim}" claim` };
    return {
      ok: true,
      caller: { id: payload.sub!, kind: 'jwt', roles: this.mapRoles(claimAt(payload, s.rolesClaim)), tenant },
    };
  }

  private mapRoles(claim: unknown): Role[] {
    const values = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/\s+/) : [];
    const roles = new Set<Role>();
    for (const v of values) {
      if (typeof v !== 'string') continue;
      const role = isRole(v) ? v : this.settings?.roleMap.get(v);
      if (role) roles.add(role);
    }
    return [...roles];
  }
}

function describeJoseError(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'token has expired';
  if (e instanceof errors.JWTClaimValidationFailed) return `token claim "${e.claim}" is not acceptable`;
  if (e instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not accepted';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (e instanceof errors.JWKSNoMatchingKey) return 'token key id is not in the key set';
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return 'token is malformed';
  // JWKS unreachable, timed out or invalid: the caller cannot tell, and it is not their fault.
  return 'token could not be verified';
}
