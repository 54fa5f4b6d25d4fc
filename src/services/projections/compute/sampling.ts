import { Randomizer } from '@saehrimnir/druidjs';

/**
 * A uniform random sample of at most `size` items from a stream of unknown length, reproducible
 * for a seed (reservoir sampling, Vitter's algorithm R, on druid's seeded Mersenne Twister). Every
 * item has the same chance, whatever its position: not "the newest N". Memory holds `size` items.
 */
export class SeededReservoir<T> {
  private readonly random: Randomizer;
  private readonly items: T[] = [];
  /** Items offered so far. */
  seen = 0;

  constructor(
    private readonly size: number,
    seed: number,
  ) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`size must be a non-negative integer: ${size}`);
    this.random = new Randomizer(seed);
  }

  offer(item: T): void {
    this.seen++;
    if (this.items.length < this.size) {
      this.items.push(item);
      return;
    }
    const j = Math.floor(this.random.random * this.seen);
    if (j < this.size) this.items[j] = item;
  }

  /** The sample, in the order items were offered (so a result does not depend on slot positions). */
  sample(): T[] {
    return this.items;
  }
}
