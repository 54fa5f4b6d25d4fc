/**
 * Runs `task(name)` for every name in `names` as soon as every name it waits for (restricted to
 * `names`) has finished, with no limit on parallelism: wall time approaches the critical path.
 * Tasks must not reject; they record their own outcome. O(V + E).
 */
export async function runDataflow(
  names: readonly string[],
  waitsFor: (name: string) => readonly string[],
  task: (name: string) => Promise<void>,
): Promise<void> {
  const members = new Set(names);
  const pending = new Map<string, number>();
  const waiters = new Map<string, string[]>();
  for (const name of names) {
    let count = 0;
    for (const before of waitsFor(name)) {
      if (!members.has(before)) continue;
      count++;
      const list = waiters.get(before);
      if (list) list.push(name);
      else waiters.set(before, [name]);
    }
    pending.set(name, count);
  }
  await new Promise<void>((resolve) => {
    let left = names.length;
    if (left === 0) return resolve();
    const launch = (name: string): void => {
      void task(name).then(() => {
        for (const next of waiters.get(name) ?? []) {
          const count = pending.get(next)! - 1;
          pending.set(next, count);
          if (count === 0) launch(next);
        }
        if (--left === 0) resolve();
      });
    };
    for (const name of names) if (pending.get(name) === 0) launch(name);
  });
}
