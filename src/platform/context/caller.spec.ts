import { hasRole } from './caller';

describe('hasRole', () => {
  it('should rank viewer < operator < admin', () => {
    expect(hasRole({ roles: ['admin'] }, 'viewer')).toBe(true);
    expect(hasRole({ roles: ['operator'] }, 'operator')).toBe(true);
    expect(hasRole({ roles: ['operator'] }, 'admin')).toBe(false);
    expect(hasRole({ roles: ['viewer', 'operator'] }, 'operator')).toBe(true);
    expect(hasRole({ roles: [] }, 'viewer')).toBe(false);
  });
});
