/**
 * Runs `task(i)` for every member index as soon as every member it waits for has finished, with
 * no limit on parallelism: wall time approaches the critical path. Indexes are positions in a
 * graph of `size` nodes; `waitsFor(i)` and `wakes(i)` are the two directions of the same edges
 * (non-members are ignored). Tasks must not reject; they record their own outcome. O(V + E), no
 * per-node allocation beyond the tasks themselves.
 */
export function runDataflow(
  size: number,
  members: readonly number[],
  waitsFor: (i: number) => readonly number[],
  wakes: (i: number) => readonly number[],
  task: (i: number) => Promise<void>,
): Promise<void> {
  // -1: not a member; otherwise the number of members still to finish before this one may run.
  const pending = new Int32Array(size).fill(-1);
  for (const m of members) pending[m] = 0;
  for (const m of members) for (const w of waitsFor(m)) if (pending[w] !== -1) pending[m]++;
  return new Promise<void>((resolve) => {
    let left = members.length;
    if (left === 0) return resolve();
    const launch = (i: number): void => {
      void task(i).then(() => {
        for (const next of wakes(i)) if (pending[next] > 0 && --pending[next] === 0) launch(next);
        if (--left === 0) resolve();
      });
    };
    for (const m of members) if (pending[m] === 0) launch(m);
  });
}
