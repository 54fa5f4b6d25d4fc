import type { RuntimeConfigService } from '../runtime-config/runtime-config.service';
import { FeatureFlags } from './feature-flags.service';
import { type FeatureFlagsSettings, flagMapProblems, type FlagRule } from './feature-flags.settings';

function flagsWith(flags: Record<string, FlagRule>): FeatureFlags {
  const settings: FeatureFlagsSettings = { flags };
  return new FeatureFlags({ get: () => settings } as unknown as RuntimeConfigService);
}

const CALLERS = Array.from({ length: 10_000 }, (_, i) => `caller-${i}`);
const share = (flags: FeatureFlags, flag: string, tenant?: string) =>
  CALLERS.filter((callerId) => flags.isEnabled(flag, { callerId, tenant })).length / CALLERS.length;

describe(FeatureFlags.name, () => {
  it.each([1, 5, 10, 25, 50, 75, 90, 99])(
    'should enable a %i%% rollout for that share of 10,000 callers (±2%%)',
    (pct) => {
      const flags = flagsWith({ beta: { enabled: true, rolloutPercent: pct } });
      expect(Math.abs(share(flags, 'beta') - pct / 100)).toBeLessThanOrEqual(0.02);
    },
  );

  it('should give every caller the same answer every time, on every instance', () => {
    const a = flagsWith({ beta: { enabled: true, rolloutPercent: 40 } });
    const b = flagsWith({ beta: { enabled: true, rolloutPercent: 40 } });
    const first = CALLERS.map((callerId) => a.isEnabled('beta', { callerId }));
    expect(CALLERS.map((callerId) => a.isEnabled('beta', { callerId }))).toEqual(first);
    expect(CALLERS.map((callerId) => b.isEnabled('beta', { callerId }))).toEqual(first);
  });

  it('should keep callers who had the flag when the rollout grows', () => {
    const small = flagsWith({ beta: { enabled: true, rolloutPercent: 10 } });
    const large = flagsWith({ beta: { enabled: true, rolloutPercent: 60 } });
    const lost = CALLERS.filter(
      (c) => small.isEnabled('beta', { callerId: c }) && !large.isEnabled('beta', { callerId: c }),
    );
    expect(lost).toEqual([]);
  });

  it('should bucket different flags independently', () => {
    const flags = flagsWith({ a: { enabled: true, rolloutPercent: 50 }, b: { enabled: true, rolloutPercent: 50 } });
    const both = CALLERS.filter((c) => flags.isEnabled('a', { callerId: c }) && flags.isEnabled('b', { callerId: c }));
    expect(Math.abs(both.length / CALLERS.length - 0.25)).toBeLessThanOrEqual(0.02);
  });

  it('should treat unknown and disabled flags as off, and 0% / 100% as none / all', () => {
    const flags = flagsWith({
      off: { enabled: false },
      none: { enabled: true, rolloutPercent: 0 },
      all: { enabled: true },
    });
    expect(flags.isEnabled('nope', { callerId: 'x' })).toBe(false);
    expect(share(flags, 'off')).toBe(0);
    expect(share(flags, 'none')).toBe(0);
    expect(share(flags, 'all')).toBe(1);
    expect(flags.isEnabled('all')).toBe(true);
  });

  it('should apply a tenant rule over the general one, and bucket by tenant without a caller', () => {
    const flags = flagsWith({
      beta: { enabled: false, tenants: { acme: { enabled: true }, globex: { enabled: true, rolloutPercent: 30 } } },
    });
    expect(share(flags, 'beta')).toBe(0);
    expect(share(flags, 'beta', 'acme')).toBe(1);
    expect(Math.abs(share(flags, 'beta', 'globex') - 0.3)).toBeLessThanOrEqual(0.02);
    expect(flags.isEnabled('beta', { tenant: 'globex' })).toBe(flags.isEnabled('beta', { tenant: 'globex' }));
  });

  it('should leave a partial rollout off when there is nobody to bucket', () => {
    expect(flagsWith({ beta: { enabled: true, rolloutPercent: 99 } }).isEnabled('beta', {})).toBe(false);
  });
});

describe(flagMapProblems.name, () => {
  it('should name each bad nested setting', () => {
    expect(
      flagMapProblems({
        ok: { enabled: true, rolloutPercent: 12.5, tenants: { acme: { enabled: false } } },
        bad: { enabled: 'yes', rolloutPercent: 101, tenants: { acme: { enabled: true, tenants: {} } } },
        'no spaces': { enabled: true },
      }),
    ).toEqual([
      'flags.bad.enabled must be true or false',
      'flags.bad.rolloutPercent must be a number from 0 to 100',
      'flags.bad.tenants.acme.tenants is not a flag setting',
      'flags.no spaces: flag names are 1-64 of A-Z a-z 0-9 . _ -',
    ]);
    expect(flagMapProblems([])).toEqual(['flags must be an object of flag name to rule']);
  });
});
