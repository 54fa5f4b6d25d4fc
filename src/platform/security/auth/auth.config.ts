import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateBy } from 'class-validator';
import { defineEnvNamespace } from '../../config/env-namespace';
import { EnvBoolean, EnvInt } from '../../config/env-transforms';
import type { Role } from '../../context/caller';
import { parseApiKeyFile, parseApiKeyJson, ParsedApiKeys } from './api-key-entries';
import { isRole } from '../../context/caller';

/** A parsed PEM public key, shown in boot errors by its type only. */
class PublicKeyValue {
  constructor(
    readonly key: KeyObject | undefined,
    readonly problem?: string,
  ) {}
  toJSON(): string {
    return this.key ? `${this.key.asymmetricKeyType ?? 'unknown'} public key` : 'unreadable key';
  }
}

const parsedKeys = (source: string, fromFile: boolean) =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    return fromFile ? parseApiKeyFile(value, `${source} (${value})`) : parseApiKeyJson(value, source);
  });

const ValidApiKeys = () =>
  ValidateBy({
    name: 'validApiKeys',
    validator: {
      validate: (v: unknown) => v instanceof ParsedApiKeys && v.problems.length === 0,
      defaultMessage: (args) => (args?.value instanceof ParsedApiKeys ? args.value.problems.join('; ') : 'invalid'),
    },
  });

const parsedPublicKey = (fromFile: boolean) =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    try {
      const pem = fromFile ? readFileSync(value, 'utf8') : value.replace(/\\n/g, '\n');
      return new PublicKeyValue(createPublicKey(pem));
    } catch {
      return new PublicKeyValue(undefined, 'must be a PEM (SPKI) RSA public key');
    }
  });

const ValidPublicKey = () =>
  ValidateBy({
    name: 'validPublicKey',
    validator: {
      validate: (v: unknown) => v instanceof PublicKeyValue && v.key?.asymmetricKeyType === 'rsa',
      defaultMessage: () => 'must be a PEM (SPKI) RSA public key (or a readable file holding one)',
    },
  });

/** `claimValue:role` pairs, e.g. `fennec-admins:admin,ops:operator`. */
const ROLE_MAP = /^([^:,\s]+:(viewer|operator|admin))(,[^:,\s]+:(viewer|operator|admin))*$/;

const CredentialsInProduction = () =>
  ValidateBy({
    name: 'credentialsInProduction',
    validator: {
      validate: (value: unknown, args) => {
        if (value !== 'production') return true;
        const env = args?.object as AuthEnv;
        // An empty key list ("[]") is not a credential.
        const keys = (env.FENNEC_API_KEYS?.entries.length ?? 0) + (env.FENNEC_API_KEYS_FILE?.entries.length ?? 0);
        return keys > 0 || Boolean(env.JWT_SECRET || env.JWT_PUBLIC_KEY || env.JWT_PUBLIC_KEY_FILE || env.JWT_JWKS_URL);
      },
      defaultMessage: () =>
        'production needs credentials: set FENNEC_API_KEYS or FENNEC_API_KEYS_FILE (API keys), or JWT_SECRET / JWT_PUBLIC_KEY / JWT_JWKS_URL (JWT); the generated dev key exists only outside production',
    },
  });

class AuthEnv {
  /** JSON array of `{ id, hash: "sha256:<hex>", roles, tenant, expiresAt? }`. */
  @IsOptional()
  @parsedKeys('FENNEC_API_KEYS', false)
  @ValidApiKeys()
  FENNEC_API_KEYS?: ParsedApiKeys;

  /** Path of a file holding the same JSON as FENNEC_API_KEYS (both may be set; ids must be unique). */
  @IsOptional()
  @parsedKeys('FENNEC_API_KEYS_FILE', true)
  @ValidApiKeys()
  FENNEC_API_KEYS_FILE?: ParsedApiKeys;

  /** HS256 shared secret (at least 32 characters). */
  @IsOptional()
  @IsString()
  @MinLength(32)
  JWT_SECRET?: string;

  /** RS256 public key, PEM (SPKI); `\n` escapes allowed. */
  @IsOptional()
  @parsedPublicKey(false)
  @ValidPublicKey()
  JWT_PUBLIC_KEY?: PublicKeyValue;

  /** Path of a PEM file holding the RS256 public key (instead of JWT_PUBLIC_KEY). */
  @IsOptional()
  @parsedPublicKey(true)
  @ValidPublicKey()
  JWT_PUBLIC_KEY_FILE?: PublicKeyValue;

  /** RS256 keys from a JWKS endpoint (an identity provider's `jwks_uri`), cached and refetched on unknown `kid`. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'JWT_JWKS_URL must be an http(s) URL' })
  JWT_JWKS_URL?: string;

  /** Required `iss` claim; unset: any issuer. */
  @IsOptional()
  @IsString()
  JWT_ISSUER?: string;

  /** Required `aud` claim; unset: any audience. */
  @IsOptional()
  @IsString()
  JWT_AUDIENCE?: string;

  /** Tolerance on `exp`/`nbf`/`iat`, in seconds (0–300). */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(300)
  JWT_CLOCK_SKEW_SECONDS: number = 30;

  /** Claim holding the caller's roles (array or space-separated string); dotted paths allowed. */
  @IsString()
  JWT_ROLES_CLAIM: string = 'roles';

  /** Extra mappings from claim values to Fennec roles; Fennec role names always map to themselves. */
  @IsOptional()
  @Matches(ROLE_MAP, {
    message: 'JWT_ROLE_MAP must look like "claimValue:role,other:role" with roles viewer|operator|admin',
  })
  JWT_ROLE_MAP?: string;

  /** Claim holding the caller's tenant. */
  @IsString()
  JWT_TENANT_CLAIM: string = 'tenant';

  /** Tenant for tokens without the tenant claim; unset: such tokens are rejected. */
  @IsOptional()
  @IsString()
  JWT_DEFAULT_TENANT?: string;

  /** Whether GET /metrics answers without credentials (Prometheus scrapers usually have none). */
  @EnvBoolean()
  @IsBoolean()
  METRICS_PUBLIC: boolean = true;

  @IsOptional()
  @CredentialsInProduction()
  NODE_ENV?: string;
}

function roleMap(spec: string | undefined): Map<string, Role> {
  const map = new Map<string, Role>();
  for (const pair of (spec ?? '').split(',').filter(Boolean)) {
    const [claim, role] = pair.split(':');
    if (isRole(role)) map.set(claim, role);
  }
  return map;
}

/** Authentication: API keys, JWT verification settings, which operational routes are public. */
export const authConfig = defineEnvNamespace('auth', AuthEnv, (env) => {
  const apiKeys = [...(env.FENNEC_API_KEYS?.entries ?? []), ...(env.FENNEC_API_KEYS_FILE?.entries ?? [])];
  const publicKey = (env.JWT_PUBLIC_KEY ?? env.JWT_PUBLIC_KEY_FILE)?.key;
  const jwtConfigured = Boolean(env.JWT_SECRET || publicKey || env.JWT_JWKS_URL);
  return {
    apiKeys,
    jwt: jwtConfigured
      ? {
          secret: env.JWT_SECRET ? new TextEncoder().encode(env.JWT_SECRET) : undefined,
          publicKey,
          jwksUrl: env.JWT_JWKS_URL,
          issuer: env.JWT_ISSUER,
          audience: env.JWT_AUDIENCE,
          clockSkewSeconds: env.JWT_CLOCK_SKEW_SECONDS,
          rolesClaim: env.JWT_ROLES_CLAIM,
          roleMap: roleMap(env.JWT_ROLE_MAP),
          tenantClaim: env.JWT_TENANT_CLAIM,
          defaultTenant: env.JWT_DEFAULT_TENANT,
        }
      : undefined,
    /** No keys and no JWT: outside production a dev admin key is generated at boot. */
    devMode: apiKeys.length === 0 && !jwtConfigured && env.NODE_ENV !== 'production',
    metricsPublic: env.METRICS_PUBLIC,
  };
});
export type AuthConfig = ReturnType<typeof authConfig>;
export type JwtSettings = NonNullable<AuthConfig['jwt']>;
