import { ModelLimiter } from './model-limiter';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe(ModelLimiter.name, () => {
  it('should run at most perKey tasks per key, in arrival order, keys independent', async () => {
    const limiter = new ModelLimiter(2);
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      limiter.run('a', async () => {
        started.push(i);
        await g.promise;
      }),
    );
    const other = limiter.run('b', () => Promise.resolve('b done'));
    await expect(other).resolves.toBe('b done');
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(limiter.running()).toMatchObject({ a: 2 });
    gates[0].resolve();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates[1].resolve();
    gates[2].resolve();
    await Promise.all(runs);
    expect(limiter.running()).toMatchObject({ a: 0 });
  });

  it('should drop a waiter whose signal aborts, and refuse one already aborted', async () => {
    const limiter = new ModelLimiter(1);
    const gate = deferred();
    const first = limiter.run('m', () => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const waiting = limiter.run(
      'm',
      async () => {
        ran = true;
      },
      controller.signal,
    );
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    await expect(limiter.run('m', async () => 1, controller.signal)).rejects.toThrow('cancelled');
    const third = limiter.run('m', async () => 'third');
    gate.resolve();
    await first;
    await expect(third).resolves.toBe('third');
    expect(ran).toBe(false);
    expect(limiter.running()).toMatchObject({ m: 0 });
  });
});
