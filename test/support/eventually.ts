type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/**
 * Waits until `check` holds, polling with a growing interval, and returns its last truthy value.
 * Tests use it instead of a fixed sleep wherever the app does something shortly after a response
 * (a log line, a security event, an abort reaching a fake upstream): a fixed sleep is either slow
 * or flaky on a loaded CI machine, a poll is neither.
 *
 * `maxChecks` bounds the number of calls for checks that cost something (a rate-limited route).
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 5_000, firstDelayMs = 5, maxDelayMs = 250, maxChecks = Infinity, what = 'condition' } = {},
): Promise<Truthy<T>> {
  const until = Date.now() + timeoutMs;
  let delay = firstDelayMs;
  for (let checks = 1; ; checks++) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() >= until || checks >= maxChecks) {
      throw new Error(`${what} did not hold within ${timeoutMs} ms (${checks} checks)`);
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, maxDelayMs);
  }
}
