import { retryDelayMs, toJobKindDefinition } from './job-kind-registry';

const noop = () => Promise.resolve(null);

describe(toJobKindDefinition.name, () => {
  it('should apply the defaults: one attempt, concurrency 1, priority 100, the configured timeout', () => {
    expect(toJobKindDefinition({ name: 'a.b' }, noop, 60_000)).toMatchObject({
      concurrency: 1,
      timeoutMs: 60_000,
      idempotent: false,
      priority: 100,
      retry: { attempts: 1, backoffMs: 1_000, maxBackoffMs: 300_000 },
    });
  });

  it('should refuse retries on a kind that is not idempotent', () => {
    expect(() => toJobKindDefinition({ name: 'x', retry: { attempts: 3 } }, noop, 1_000)).toThrow(
      /retries need idempotent: true/,
    );
    expect(
      toJobKindDefinition({ name: 'x', idempotent: true, retry: { attempts: 3 } }, noop, 1_000).retry.attempts,
    ).toBe(3);
  });

  it('should refuse bad names and non-positive numbers, naming the field', () => {
    expect(() => toJobKindDefinition({ name: 'Bad Name' }, noop, 1_000)).toThrow(/must match/);
    expect(() => toJobKindDefinition({ name: 'x', concurrency: 0 }, noop, 1_000)).toThrow(/concurrency/);
    expect(() => toJobKindDefinition({ name: 'x', timeoutMs: 1.5 }, noop, 1_000)).toThrow(/timeoutMs/);
  });
});

describe(retryDelayMs.name, () => {
  const policy = { backoffMs: 100, maxBackoffMs: 1_000 };

  it('should double the ceiling per attempt up to the maximum (full jitter: random × ceiling)', () => {
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(policy, a, () => 1))).toEqual([100, 200, 400, 800, 1_000]);
    expect(retryDelayMs(policy, 3, () => 0)).toBe(0);
    expect(retryDelayMs(policy, 3, () => 0.5)).toBe(200);
  });
});
