/**
 * At most `limit` image operations at once; the rest wait in order. Decoding a large image holds
 * tens of MB in libvips, so concurrency, not request count, is what bounds memory. Hand-written:
 * a counter and a queue, smaller than any dependency that does it.
 */
export class OperationLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get active(): number {
    return this.running;
  }
}
