/**
 * Collects garbage after each test file when Node runs with `--expose-gc` (`npm test` does), so a
 * file handle or socket a test forgot to close is finalised while its own file still runs: with
 * `--throw-deprecation` Node's DEP0137 ("Closing a FileHandle object on garbage collection") then
 * fails that file instead of surfacing at random later, or never.
 */
afterAll(async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  gc();
  // Finalisers report on a later turn.
  await new Promise((resolve) => setImmediate(resolve));
  // A full collection of a worker's heap can take seconds on a loaded CI machine.
}, 60_000);
