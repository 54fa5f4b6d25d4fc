import { Inject, Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { StateStore } from '../../state/state-store';
import { SECURITY_STATE } from '../security-state';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * @nestjs/throttler storage on the shared {@link StateStore}: a fixed-window counter per key
 * (atomic in Redis, so N instances enforce one limit) plus a block marker once the limit is passed.
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
    const base = `throttle:${name}:${key}`;
    const blockedUntil = Number(await this.state.get(`${base}:blocked`));
    const now = Date.now();
    if (blockedUntil > now) {
      return {
        totalHits: limit + 1,
        timeToExpire: seconds(blockedUntil - now),
        isBlocked: true,
        timeToBlockExpire: seconds(blockedUntil - now),
      };
    }
    const { count, ttlMs } = await this.state.increment(`${base}:hits`, ttl);
    if (count > limit) {
      await this.state.set(`${base}:blocked`, String(now + blockDuration), { ttlMs: blockDuration });
      return {
        totalHits: count,
        timeToExpire: seconds(ttlMs),
        isBlocked: true,
        timeToBlockExpire: seconds(blockDuration),
      };
    }
    return { totalHits: count, timeToExpire: seconds(ttlMs), isBlocked: false, timeToBlockExpire: 0 };
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
