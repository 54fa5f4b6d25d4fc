import { Inject, Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { StateStore } from '../../state/state-store';
import { SECURITY_STATE } from '../security-state';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * @nestjs/throttler storage on the shared {@link StateStore}: a fixed-window counter per key
 * (atomic in Redis, so N instances enforce one limit) plus a block marker once the limit is passed,
 * checked and counted in one store operation per throttler (one Redis round trip; it was a `get`
 * of the marker then an `increment`).
 */
@Injectable()
export class StateThrottlerStorage implements ThrottlerStorage {
  constructor(@Inject(SECURITY_STATE) private readonly state: StateStore) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    name: string,
  ): Promise<ThrottlerStorageRecord> {
    const hit = await this.state.hitRateLimit(`throttle:${name}:${key}`, ttl, limit, blockDuration);
    if (hit.blockedMs > 0 && hit.count === 0) {
      // Blocked before this hit (not counted).
      return {
        totalHits: limit + 1,
        timeToExpire: seconds(hit.blockedMs),
        isBlocked: true,
        timeToBlockExpire: seconds(hit.blockedMs),
      };
    }
    if (hit.blockedMs > 0) {
      // This hit passed the limit and started the block.
      return {
        totalHits: hit.count,
        timeToExpire: seconds(hit.ttlMs),
        isBlocked: true,
        timeToBlockExpire: seconds(hit.blockedMs),
      };
    }
    return { totalHits: hit.count, timeToExpire: seconds(hit.ttlMs), isBlocked: false, timeToBlockExpire: 0 };
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
