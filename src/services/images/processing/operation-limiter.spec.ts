import { OperationLimiter } from './operation-limiter';

describe(OperationLimiter.name, () => {
  it('should run at most `limit` operations at once, the rest in order, and survive failures', async () => {
    const limiter = new OperationLimiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const task = (n: number, fail = false) =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => releases.push(r));
        running--;
        order.push(n);
        if (fail) throw new Error(`task ${n}`);
        return n;
      });
    const all = [task(1, true), task(2), task(3), task(4)].map((p) => p.catch((e: Error) => e.message));
    while (order.length < 4) {
      await new Promise((r) => setImmediate(r));
      releases.shift()?.();
    }
    expect(await Promise.all(all)).toEqual(['task 1', 2, 3, 4]);
    expect(peak).toBe(2);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(limiter.active).toBe(0);
  });
});
