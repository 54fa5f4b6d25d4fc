import { parseRules } from './automation.service';

describe(parseRules.name, () => {
  const valid = {
    name: 'restart-when-down',
    service: '*',
    when: { metric: 'status', op: 'eq', value: 'DOWN' },
    forMs: 30000,
    level: 'ERROR',
    action: 'restart',
    cooldownMs: 300000,
    escalate: { afterFirings: 2, level: 'CRITICAL', action: 'isolate' },
  };

  it('should accept valid rules and nothing', () => {
    expect(parseRules(JSON.stringify([valid]))).toMatchObject([valid]);
    expect(parseRules(undefined)).toEqual([]);
  });

  it('should refuse bad JSON, a bad field and duplicate names, naming the variable', () => {
    expect(() => parseRules('[{')).toThrow(/HEALTH_AUTOMATION_RULES is not valid JSON/);
    expect(() => parseRules(JSON.stringify([{ ...valid, action: 'reboot' }]))).toThrow(
      /HEALTH_AUTOMATION_RULES\[0\].*action/,
    );
    expect(() => parseRules(JSON.stringify([{ ...valid, when: { metric: 'cpu', op: 'eq', value: 1 } }]))).toThrow(
      /when/,
    );
    expect(() => parseRules(JSON.stringify([valid, valid]))).toThrow(/duplicate/);
  });
});
