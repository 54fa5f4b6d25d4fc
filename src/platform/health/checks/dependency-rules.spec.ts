import { applyDependencyRules, overallStatus, type OwnHealth } from './dependency-rules';
import { httpStatusFor, worstOf } from './health-status';

const svc = (
  name: string,
  status: OwnHealth['status'],
  dependsOn: OwnHealth['dependsOn'] = [],
  critical = true,
): OwnHealth => ({
  name,
  status,
  dependsOn,
  critical,
});

describe('health status model', () => {
  it('should order by precedence DOWN > OUT_OF_SERVICE > DEGRADED > UNKNOWN > UP', () => {
    expect(worstOf(['UP', 'UNKNOWN'])).toBe('UNKNOWN');
    expect(worstOf(['UNKNOWN', 'DEGRADED', 'UP'])).toBe('DEGRADED');
    expect(worstOf(['DEGRADED', 'OUT_OF_SERVICE'])).toBe('OUT_OF_SERVICE');
    expect(worstOf(['OUT_OF_SERVICE', 'DOWN', 'UP'])).toBe('DOWN');
    expect(worstOf([])).toBe('UP');
  });

  it('should answer 503 for DOWN and OUT_OF_SERVICE only', () => {
    expect(['UP', 'DEGRADED', 'UNKNOWN', 'OUT_OF_SERVICE', 'DOWN'].map((s) => httpStatusFor(s as never))).toEqual([
      200, 200, 200, 503, 503,
    ]);
  });
});

describe(applyDependencyRules.name, () => {
  it('should make a service DOWN when a required dependency is DOWN, naming it, and cascade', () => {
    const out = applyDependencyRules([
      svc('db', 'DOWN'),
      svc('api', 'UP', [{ name: 'db', optional: false }]),
      svc('web', 'UP', [{ name: 'api', optional: false }]),
    ]);
    expect(out.get('api')).toEqual({ status: 'DOWN', reason: 'dependency db is DOWN' });
    expect(out.get('web')).toEqual({ status: 'DOWN', reason: 'dependency api is DOWN' });
  });

  it('should only degrade a service whose optional dependency is DOWN', () => {
    const out = applyDependencyRules([svc('cache', 'DOWN'), svc('api', 'UP', [{ name: 'cache', optional: true }])]);
    expect(out.get('api')).toEqual({ status: 'DEGRADED', reason: 'optional dependency cache is DOWN' });
  });

  it('should keep a worse own status and its reason', () => {
    const api = { ...svc('api', 'DOWN', [{ name: 'cache', optional: true }]), reason: 'own' };
    expect(applyDependencyRules([svc('cache', 'DOWN'), api]).get('api')).toEqual({ status: 'DOWN', reason: 'own' });
  });

  it('should degrade dependents of a required dependency that is OUT_OF_SERVICE', () => {
    const out = applyDependencyRules([
      svc('db', 'OUT_OF_SERVICE'),
      svc('api', 'UP', [{ name: 'db', optional: false }]),
    ]);
    expect(out.get('api')).toEqual({ status: 'DEGRADED', reason: 'dependency db is OUT_OF_SERVICE' });
  });
});

describe(overallStatus.name, () => {
  it('should be the worst part, a non-critical DOWN or OUT_OF_SERVICE counting as DEGRADED', () => {
    expect(overallStatus([{ critical: false, status: 'DOWN' }], ['UP'])).toBe('DEGRADED');
    expect(overallStatus([{ critical: false, status: 'OUT_OF_SERVICE' }], [])).toBe('DEGRADED');
    expect(overallStatus([{ critical: true, status: 'OUT_OF_SERVICE' }], [])).toBe('OUT_OF_SERVICE');
    expect(overallStatus([{ critical: true, status: 'UP' }], ['DOWN'])).toBe('DOWN');
    expect(overallStatus([{ critical: true, status: 'UNKNOWN' }], ['UP'])).toBe('UNKNOWN');
  });
});
