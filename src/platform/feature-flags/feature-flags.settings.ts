import { ValidateBy, type ValidationArguments } from 'class-validator';
import { isPlainObject } from '../runtime-config/merge-patch';

/** A flag for one tenant, overriding the flag's general rule. */
export interface TenantFlagRule {
  enabled: boolean;
  /** Share of callers (0-100, decimals allowed) who get the flag; default 100. */
  rolloutPercent?: number;
}

/** One feature flag: on/off, optionally for a share of callers, optionally per tenant. */
export interface FlagRule extends TenantFlagRule {
  tenants?: Record<string, TenantFlagRule>;
}

const FLAG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function ruleProblems(path: string, rule: unknown, allowTenants: boolean): string[] {
  if (!isPlainObject(rule)) return [`${path} must be an object like { "enabled": true, "rolloutPercent": 25 }`];
  const problems: string[] = [];
  const allowed = allowTenants ? ['enabled', 'rolloutPercent', 'tenants'] : ['enabled', 'rolloutPercent'];
  for (const key of Object.keys(rule))
    if (!allowed.includes(key)) problems.push(`${path}.${key} is not a flag setting`);
  if (typeof rule.enabled !== 'boolean') problems.push(`${path}.enabled must be true or false`);
  const pct = rule.rolloutPercent;
  if (pct !== undefined && (typeof pct !== 'number' || !Number.isFinite(pct) || pct < 0 || pct > 100)) {
    problems.push(`${path}.rolloutPercent must be a number from 0 to 100`);
  }
  if (allowTenants && rule.tenants !== undefined) {
    if (!isPlainObject(rule.tenants)) problems.push(`${path}.tenants must be an object of tenant to rule`);
    else
      for (const [t, r] of Object.entries(rule.tenants))
        problems.push(...ruleProblems(`${path}.tenants.${t}`, r, false));
  }
  return problems;
}

/** Every problem of a flag map, each naming the nested path (`flags.beta.rolloutPercent`). */
export function flagMapProblems(value: unknown): string[] {
  if (!isPlainObject(value)) return ['flags must be an object of flag name to rule'];
  return Object.entries(value).flatMap(([name, rule]) => [
    ...(FLAG_NAME.test(name) ? [] : [`flags.${name}: flag names are 1-64 of A-Z a-z 0-9 . _ -`]),
    ...ruleProblems(`flags.${name}`, rule, true),
  ]);
}

const IsFlagMap = () =>
  ValidateBy({
    name: 'isFlagMap',
    validator: {
      validate: (value: unknown) => flagMapProblems(value).length === 0,
      defaultMessage: (args?: ValidationArguments) => flagMapProblems(args?.value).join('; '),
    },
  });

/**
 * Runtime configuration of the platform-owned `flags` service, so flags are versioned,
 * validated, audited and cluster-wide like any other setting. Change one flag with a merge patch:
 * `PATCH /config/flags {"flags":{"beta":{"enabled":true,"rolloutPercent":10}}}`; remove it with
 * `{"flags":{"beta":null}}`.
 */
export class FeatureFlagsSettings {
  @IsFlagMap()
  flags: Record<string, FlagRule> = {};
}
