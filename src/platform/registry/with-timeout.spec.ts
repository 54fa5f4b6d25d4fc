import { LifecycleTimeoutError } from './registry.errors';
import { withTimeout } from './with-timeout';

describe(withTimeout.name, () => {
  afterEach(() => jest.useRealTimers());

  it('should settle with the hook when it finishes in time', async () => {
    await expect(withTimeout(async () => 7, 1000, 'x')).resolves.toBe(7);
    await expect(withTimeout(() => Promise.reject(new Error('no')), 1000, 'x')).rejects.toThrow('no');
  });

  it('should turn a synchronous throw into a rejection', async () => {
    const hook = () => {
      throw new Error('sync');
    };
    await expect(withTimeout(hook, 1000, 'x')).rejects.toThrow('sync');
  });

  it('should reject with a timeout when the hook hangs, and not before', async () => {
    jest.useFakeTimers();
    let outcome: unknown;
    withTimeout(() => new Promise(() => undefined), 300, "start of 'a'").catch((e: unknown) => (outcome = e));
    await jest.advanceTimersByTimeAsync(299);
    expect(outcome).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(outcome).toBeInstanceOf(LifecycleTimeoutError);
    expect((outcome as Error).message).toBe("start of 'a' timed out after 300 ms");
  });

  it('should leave no timer behind for a hook that settles at once', async () => {
    jest.useFakeTimers();
    await withTimeout(async () => undefined, 300, 'x');
    expect(jest.getTimerCount()).toBe(0);
    const slow = withTimeout(() => new Promise((r) => setTimeout(r, 10)), 300, 'y');
    await Promise.resolve();
    expect(jest.getTimerCount()).toBe(2); // the hook's own timer and the timeout
    await jest.advanceTimersByTimeAsync(10);
    await slow;
    expect(jest.getTimerCount()).toBe(0);
  });
});
