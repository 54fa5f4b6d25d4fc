import { BrokenCircuitError } from 'cockatiel';
import type { BreakerVerdict } from './sliding-window-breaker';
import { UpstreamInstance, type BreakerStateName } from './upstream-instance';
import { UpstreamCallAbortedError } from './upstream.errors';
import type { BreakerOptions } from './upstream.types';

const OPTIONS: BreakerOptions = {
  windowSize: 10,
  minimumCalls: 5,
  failureRateThreshold: 0.5,
  slowCallRateThreshold: 0.8,
  slowCallMs: 1_000,
  openWaitMs: 5_000,
};

describe(UpstreamInstance.name, () => {
  let changes: BreakerStateName[];
  let instance: UpstreamInstance;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    changes = [];
    instance = new UpstreamInstance({ url: 'http://10.0.0.1:8080' }, OPTIONS, (_, s) => changes.push(s));
  });
  afterEach(() => jest.useRealTimers());

  const ok = (verdict: Partial<BreakerVerdict> = {}) =>
    instance.breaker.execute(() => Promise.resolve({ failed: false, slow: false, ...verdict }));
  const boom = () => instance.breaker.execute(() => Promise.reject(new Error('ECONNRESET'))).catch((e: unknown) => e);

  it('should name the instance host:port, never the full URL', () => {
    expect(instance.id).toBe('10.0.0.1:8080');
  });

  it('should not open before the minimum number of calls, then open on the failure rate', async () => {
    for (let i = 0; i < 4; i++) await boom();
    expect(instance.breakerState).toBe('closed');
    await boom();
    expect(instance.breakerState).toBe('open');
    expect(changes).toEqual(['open']);
    expect(await instance.breaker.execute(() => Promise.resolve(1)).catch((e: unknown) => e)).toBeInstanceOf(
      BrokenCircuitError,
    );
  });

  it('should stay closed while the failure rate is below the threshold', async () => {
    for (let i = 0; i < 20; i++) {
      if (i % 3 === 0) await boom();
      else await ok();
    }
    expect(instance.breakerState).toBe('closed');
    expect(instance.window.rates.failureRate).toBeLessThan(0.5);
  });

  it('should count 5xx verdicts as failures and open on them', async () => {
    for (let i = 0; i < 5; i++) await ok({ failed: true });
    expect(instance.breakerState).toBe('open');
  });

  it('should open on the slow-call rate while still returning the slow answers', async () => {
    await ok();
    for (let i = 0; i < 3; i++) expect(await ok({ slow: true })).toEqual({ failed: false, slow: true });
    expect(instance.breakerState).toBe('closed');
    await ok({ slow: true });
    // 4 slow of 5 = 0.8 ≥ 0.8, failure rate 0.
    expect(instance.breakerState).toBe('open');
  });

  it('should admit one HALF_OPEN trial after the wait, and close on its success', async () => {
    for (let i = 0; i < 5; i++) await boom();
    expect(instance.breakerAdmits(Date.now())).toBe(false);
    expect(instance.availableAt(Date.now()) - Date.now()).toBe(5_000);
    jest.advanceTimersByTime(5_000);
    expect(instance.breakerAdmits(Date.now())).toBe(true);
    let release!: () => void;
    const trial = instance.breaker.execute(
      () => new Promise<BreakerVerdict>((r) => (release = () => r({ failed: false, slow: false }))),
    );
    expect(instance.breakerState).toBe('half_open');
    expect(instance.breakerAdmits(Date.now())).toBe(false);
    release();
    await trial;
    expect(instance.breakerState).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('should open again for another wait when the trial fails', async () => {
    for (let i = 0; i < 5; i++) await boom();
    jest.advanceTimersByTime(5_000);
    await boom();
    expect(instance.breakerState).toBe('open');
    expect(instance.breakerAdmits(Date.now())).toBe(false);
  });

  it('should admit the HALF_OPEN trial at once after a passed active probe, not after the wait', async () => {
    for (let i = 0; i < 5; i++) await boom();
    jest.advanceTimersByTime(100);
    expect(instance.probePassed(Date.now())).toEqual({ breaker: true, ejection: false });
    expect(instance.breakerAdmits(Date.now())).toBe(true);
    expect(instance.availableAt(Date.now())).toBe(Date.now());
    expect(await ok()).toEqual({ failed: false, slow: false });
    expect(instance.breakerState).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('should open for a full wait again when the trial after a passed probe fails, until the next passed probe', async () => {
    for (let i = 0; i < 5; i++) await boom();
    instance.probePassed(Date.now());
    await boom();
    expect(instance.breakerState).toBe('open');
    expect(instance.breakerAdmits(Date.now())).toBe(false);
    expect(instance.availableAt(Date.now()) - Date.now()).toBe(5_000);
    expect(instance.probePassed(Date.now()).breaker).toBe(true);
    expect(instance.breakerAdmits(Date.now())).toBe(true);
  });

  it('should make the wait apply again when a later probe fails', async () => {
    for (let i = 0; i < 5; i++) await boom();
    instance.probePassed(Date.now());
    instance.probeFailed();
    expect(instance.breakerAdmits(Date.now())).toBe(false);
    expect(await instance.breaker.execute(() => Promise.resolve(1)).catch((e: unknown) => e)).toBeInstanceOf(
      BrokenCircuitError,
    );
  });

  it('should cut nothing short for a passed probe while the breaker is closed', () => {
    expect(instance.probePassed(Date.now())).toEqual({ breaker: false, ejection: false });
    expect(instance.breakerState).toBe('closed');
  });

  it('should end an outlier ejection on a passed probe', () => {
    instance.outlier.ejectedUntil = Date.now() + 30_000;
    expect(instance.passivelyUp(Date.now())).toBe(false);
    expect(instance.probePassed(Date.now())).toEqual({ breaker: false, ejection: true });
    expect(instance.passivelyUp(Date.now())).toBe(true);
  });

  it('should not count calls aborted by the caller', async () => {
    for (let i = 0; i < 10; i++) {
      await instance.breaker.execute(() => Promise.reject(new UpstreamCallAbortedError())).catch(() => undefined);
    }
    expect(instance.breakerState).toBe('closed');
    expect(instance.window.rates.calls).toBe(0);
  });

  it('should re-open, not close, when the HALF_OPEN trial is aborted by its caller', async () => {
    for (let i = 0; i < 5; i++) await boom();
    jest.advanceTimersByTime(5_000);
    await instance.breaker.execute(() => Promise.reject(new UpstreamCallAbortedError())).catch(() => undefined);
    expect(instance.breakerState).toBe('open');
  });

  it('should keep a bounded window: old failures slide out', async () => {
    for (let i = 0; i < 4; i++) await boom();
    for (let i = 0; i < 10; i++) await ok();
    expect(instance.window.rates).toEqual({ calls: 10, failureRate: 0, slowCallRate: 0 });
  });
});
