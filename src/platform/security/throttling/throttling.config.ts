import { IsArray, IsBoolean, IsInt, IsNumber, Matches, Max, Min } from 'class-validator';
import { Transform } from 'class-transformer';
import { defineEnvNamespace } from '../../config/env-namespace';
import { EnvBoolean, EnvInt, EnvList } from '../../config/env-transforms';

const EnvFloat = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value,
  );

class ThrottlingEnv {
  /** Rate limiting on or off. */
  @EnvBoolean()
  @IsBoolean()
  THROTTLE_ENABLED: boolean = true;

  /** `burst` throttler: requests per THROTTLE_BURST_TTL_MS per client and route. */
  @EnvInt()
  @IsInt()
  @Min(1)
  THROTTLE_BURST_LIMIT: number = 20;

  /** Window of the `burst` throttler, in ms. */
  @EnvInt()
  @IsInt()
  @Min(100)
  THROTTLE_BURST_TTL_MS: number = 1000;

  /** `sustained` throttler: requests per THROTTLE_SUSTAINED_TTL_MS per client and route. */
  @EnvInt()
  @IsInt()
  @Min(1)
  THROTTLE_SUSTAINED_LIMIT: number = 300;

  /** Window of the `sustained` throttler, in ms. */
  @EnvInt()
  @IsInt()
  @Min(1000)
  THROTTLE_SUSTAINED_TTL_MS: number = 60_000;

  /** `tenant` throttler: requests per THROTTLE_TENANT_TTL_MS shared by all callers of a tenant; 0 = off. */
  @EnvInt()
  @IsInt()
  @Min(0)
  THROTTLE_TENANT_LIMIT: number = 0;

  /** Window of the per-tenant throttler, in ms. */
  @EnvInt()
  @IsInt()
  @Min(1000)
  THROTTLE_TENANT_TTL_MS: number = 60_000;

  /** Per-tenant overrides of THROTTLE_TENANT_LIMIT, e.g. `acme:5000,trial:100`. */
  @EnvList()
  @IsArray()
  @Matches(/^[A-Za-z0-9._-]{1,64}:\d+$/, {
    /** Per-tenant overrides of THROTTLE_TENANT_LIMIT, as `tenant:limit,tenant:limit`. */
    each: true,
    message: 'THROTTLE_TENANT_LIMITS must look like "tenant:limit,other:limit"',
  })
  THROTTLE_TENANT_LIMITS: string[] = [];

  /** State backend unreachable: true lets requests through (logged), false answers 503. */
  @EnvBoolean()
  @IsBoolean()
  THROTTLE_FAIL_OPEN: boolean = true;

  /** Adaptive limits (tighten under load and for clients after security events) on or off. */
  @EnvBoolean()
  @IsBoolean()
  THROTTLE_ADAPTIVE: boolean = true;

  /** Event-loop p99 delay above which limits tighten (proportionally). */
  @EnvInt()
  @IsInt()
  @Min(1)
  THROTTLE_LAG_THRESHOLD_MS: number = 200;

  /** In-flight requests (this process) above which limits tighten (proportionally). */
  @EnvInt()
  @IsInt()
  @Min(1)
  THROTTLE_INFLIGHT_THRESHOLD: number = 512;

  /** Floor of the adaptive factor: limits never drop below this share of the configured value. */
  @EnvFloat()
  @IsNumber()
  @Min(0.01)
  @Max(1)
  THROTTLE_MIN_FACTOR: number = 0.25;

  /** How fast the pressure factor recovers once pressure is gone (share of the limit per second). */
  @EnvFloat()
  @IsNumber()
  @Min(0.001)
  @Max(1)
  THROTTLE_RELAX_PER_SECOND: number = 0.05;

  /** Half-life of a client's security-event penalty (its trust score recovers with it). */
  @EnvInt()
  @IsInt()
  @Min(1000)
  THROTTLE_TRUST_HALF_LIFE_MS: number = 600_000;
}

/** Rate limits (named `burst` and `sustained`) and the adaptive-limit algorithm's parameters. */
export const throttlingConfig = defineEnvNamespace('throttling', ThrottlingEnv, (env) => ({
  enabled: env.THROTTLE_ENABLED,
  burst: { limit: env.THROTTLE_BURST_LIMIT, ttlMs: env.THROTTLE_BURST_TTL_MS },
  sustained: { limit: env.THROTTLE_SUSTAINED_LIMIT, ttlMs: env.THROTTLE_SUSTAINED_TTL_MS },
  tenant: {
    limit: env.THROTTLE_TENANT_LIMIT,
    ttlMs: env.THROTTLE_TENANT_TTL_MS,
    overrides: new Map(
      env.THROTTLE_TENANT_LIMITS.map((p) => [p.slice(0, p.lastIndexOf(':')), Number(p.slice(p.lastIndexOf(':') + 1))]),
    ),
  },
  failOpen: env.THROTTLE_FAIL_OPEN,
  adaptive: {
    enabled: env.THROTTLE_ADAPTIVE,
    lagThresholdMs: env.THROTTLE_LAG_THRESHOLD_MS,
    inFlightThreshold: env.THROTTLE_INFLIGHT_THRESHOLD,
    minFactor: env.THROTTLE_MIN_FACTOR,
    relaxPerSecond: env.THROTTLE_RELAX_PER_SECOND,
    trustHalfLifeMs: env.THROTTLE_TRUST_HALF_LIFE_MS,
  },
}));
export type ThrottlingConfig = ReturnType<typeof throttlingConfig>;
export type AdaptiveSettings = ThrottlingConfig['adaptive'];
