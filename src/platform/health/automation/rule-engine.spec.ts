import { AlertLog } from '../alerts/alert-log';
import type { AutomationAction } from '../alerts/health-alert';
import type { AutomationRule } from './automation-rule';
import { RuleEngine, type ServiceObservation } from './rule-engine';

const obs = (status: ServiceObservation['status'], extra: Partial<ServiceObservation> = {}): ServiceObservation => ({
  status,
  latencyP95: 10,
  failureRate: 0,
  predicted: false,
  ...extra,
});

const rule = (over: Partial<AutomationRule> = {}): AutomationRule => ({
  name: 'heal',
  service: 'db',
  when: { metric: 'status', op: 'eq', value: 'DOWN' },
  forMs: 30_000,
  level: 'ERROR',
  action: 'restart',
  cooldownMs: 60_000,
  ...over,
});

describe(RuleEngine.name, () => {
  let calls: { action: AutomationAction; service: string; at: number }[];
  let alerts: AlertLog;
  let engine: RuleEngine;
  let outcome: { ok: boolean; detail?: string };

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    calls = [];
    outcome = { ok: true };
    alerts = new AlertLog(50);
    engine = new RuleEngine(alerts, {
      execute: (action, service) => {
        calls.push({ action, service, at: Date.now() });
        return Promise.resolve(outcome);
      },
    });
  });

  afterEach(() => jest.useRealTimers());

  /** Evaluates every 5 s for `ms` with the given observations. */
  async function hold(ms: number, observations: Record<string, ServiceObservation>) {
    for (let t = 0; t < ms; t += 5000) {
      await engine.evaluate(new Map(Object.entries(observations)));
      jest.advanceTimersByTime(5000);
    }
  }

  it('should fire only once the condition has held for forMs', async () => {
    engine.upsert(rule());
    await hold(30_000, { db: obs('DOWN') }); // evaluations at 0..25 s: not yet
    expect(calls).toEqual([]);
    await engine.evaluate(new Map([['db', obs('DOWN')]])); // 30 s
    expect(calls).toEqual([{ action: 'restart', service: 'db', at: 1_030_000 }]);
    expect(alerts.active()[0]).toMatchObject({
      level: 'ERROR',
      firedAt: 1_030_000,
      actions: [{ action: 'restart', ok: true }],
    });
  });

  it('should restart the forMs clock when the condition breaks', async () => {
    engine.upsert(rule());
    await hold(20_000, { db: obs('DOWN') });
    await hold(5000, { db: obs('UP') });
    await hold(25_000, { db: obs('DOWN') });
    expect(calls).toEqual([]);
  });

  it('should honour the cooldown, then escalate after the configured firings', async () => {
    engine.upsert(rule({ forMs: 0, escalate: { afterFirings: 2, level: 'CRITICAL', action: 'isolate' } }));
    await hold(200_000, { db: obs('DOWN') });
    // Firings at 0, 60, 120, 180 s: the third and fourth are escalated.
    expect(calls.map((c) => [c.action, c.at - 1_000_000])).toEqual([
      ['restart', 0],
      ['restart', 60_000],
      ['isolate', 120_000],
      ['isolate', 180_000],
    ]);
    const alert = alerts.active()[0];
    expect(alert).toMatchObject({
      level: 'CRITICAL',
      firings: 4,
      escalated: true,
      firedAt: 1_000_000,
      lastFiredAt: 1_180_000,
    });
    expect(alert.actions).toHaveLength(4);
  });

  it('should clear the alert when the condition ends, and start a new episode after a cooldown of calm', async () => {
    engine.upsert(
      rule({ forMs: 0, cooldownMs: 10_000, escalate: { afterFirings: 1, level: 'CRITICAL', action: 'notify' } }),
    );
    await hold(5000, { db: obs('DOWN') });
    await hold(5000, { db: obs('UP') });
    expect(alerts.active()).toEqual([]);
    expect(alerts.recent()[0]).toMatchObject({ firedAt: 1_000_000, clearedAt: 1_005_000 });
    await hold(10_000, { db: obs('UP') });
    await hold(5000, { db: obs('DOWN') });
    expect(calls.map((c) => c.action)).toEqual(['restart', 'restart']);
  });

  it("should apply a '*' rule to each service, and compare numeric metrics", async () => {
    engine.upsert(
      rule({ service: '*', forMs: 0, action: 'notify', when: { metric: 'latencyP95', op: 'gt', value: 100 } }),
    );
    await engine.evaluate(
      new Map([
        ['a', obs('UP', { latencyP95: 150 })],
        ['b', obs('UP', { latencyP95: 50 })],
        ['c', obs('UP', { latencyP95: null })],
      ]),
    );
    expect(calls.map((c) => c.service)).toEqual(['a']);
  });

  it('should record a failed action on the alert', async () => {
    outcome = { ok: false, detail: 'HTTP 500 after 3 attempt(s)' };
    engine.upsert(rule({ forMs: 0, action: 'notify', when: { metric: 'predicted', op: 'eq', value: true } }));
    await engine.evaluate(new Map([['db', obs('UP', { predicted: true })]]));
    expect(alerts.active()[0].actions).toEqual([
      { action: 'notify', at: 1_000_000, ok: false, detail: 'HTTP 500 after 3 attempt(s)' },
    ]);
  });

  it('should clear the alerts of a removed rule', async () => {
    engine.upsert(rule({ forMs: 0 }));
    await engine.evaluate(new Map([['db', obs('DOWN')]]));
    expect(engine.remove('heal')).toBe(true);
    expect(alerts.active()).toEqual([]);
    expect(engine.remove('heal')).toBe(false);
  });

  describe('with a slow action', () => {
    let releaseNotify: () => void;

    beforeEach(() => {
      engine = new RuleEngine(alerts, {
        execute: (action, service) => {
          calls.push({ action, service, at: Date.now() });
          if (action !== 'notify') return Promise.resolve({ ok: true });
          return new Promise((resolve) => (releaseNotify = () => resolve({ ok: true, detail: 'delivered' })));
        },
      });
      engine.upsert(rule({ name: 'page', service: 'db', forMs: 0, cooldownMs: 0, action: 'notify' }));
      engine.upsert(rule({ name: 'heal', service: 'db', forMs: 5000, cooldownMs: 0, action: 'restart' }));
    });

    it("should run another rule's restart while a notify is still in flight", async () => {
      void engine.evaluate(new Map([['db', obs('DOWN')]])); // 0 s: page fires, its webhook hangs
      jest.advanceTimersByTime(5000);
      await engine.evaluate(new Map([['db', obs('DOWN')]])); // 5 s: heal is due, and acts
      expect(calls.map((c) => [c.action, c.at - 1_000_000])).toEqual([
        ['notify', 0],
        ['restart', 5000],
      ]);
      const heal = alerts.active().find((a) => a.rule === 'heal')!;
      expect(heal.actions).toEqual([expect.objectContaining({ action: 'restart', ok: true })]);
      expect(alerts.active().find((a) => a.rule === 'page')!.actions).toEqual([]);
      releaseNotify();
      await engine.idle();
      expect(alerts.active().find((a) => a.rule === 'page')!.actions).toEqual([
        expect.objectContaining({ action: 'notify', ok: true, detail: 'delivered' }),
      ]);
    });

    it('should not fire a rule again while its own action is in flight, and fire once it has finished', async () => {
      engine.remove('heal');
      void engine.evaluate(new Map([['db', obs('DOWN')]]));
      for (let i = 0; i < 3; i++) {
        jest.advanceTimersByTime(5000);
        await engine.evaluate(new Map([['db', obs('DOWN')]]));
      }
      expect(calls.map((c) => c.action)).toEqual(['notify']);
      releaseNotify();
      await engine.idle();
      jest.advanceTimersByTime(5000);
      void engine.evaluate(new Map([['db', obs('DOWN')]]));
      expect(calls.map((c) => c.action)).toEqual(['notify', 'notify']);
      releaseNotify();
      await engine.idle();
    });
  });
});
