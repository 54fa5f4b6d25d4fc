import type { SseConnection } from './sse-connection';

/** A published topic event as kept in the replay buffer. */
export interface TopicEvent {
  id: number;
  frame: string;
}

export type ReplayResult = { kind: 'replay'; events: TopicEvent[] } | { kind: 'reset'; latestId: number };

/**
 * A fan-out topic on this instance: its subscribed connections and a bounded replay buffer.
 * Ids are a hybrid logical clock (max(now µs, last + 1), and at least any id seen from another
 * instance), so they increase monotonically per topic and stay comparable across instances.
 */
export class SseTopic {
  readonly subscribers = new Set<SseConnection>();
  private readonly buffer: TopicEvent[] = [];
  private lastId: number;
  /** Ids below this were published before this instance followed the topic, or before a {@link markGap}. */
  private horizon: number;
  /** Highest id evicted from the buffer. */
  private evictedUpTo = 0;

  constructor(
    readonly name: string,
    private readonly capacity: number,
  ) {
    this.lastId = Date.now() * 1000;
    this.horizon = this.lastId;
  }

  /** Next id for a locally published event. */
  nextId(): number {
    this.lastId = Math.max(Date.now() * 1000, this.lastId + 1);
    return this.lastId;
  }

  get latestId(): number {
    return this.lastId;
  }

  /** Buffers an event (local or from another instance) and returns it. */
  record(id: number, frame: string): TopicEvent {
    if (id > this.lastId) this.lastId = id;
    const ev = { id, frame };
    if (this.capacity > 0) {
      this.buffer.push(ev);
      if (this.buffer.length > this.capacity) this.evictedUpTo = Math.max(this.evictedUpTo, this.buffer.shift()!.id);
    } else {
      this.evictedUpTo = Math.max(this.evictedUpTo, id);
    }
    return ev;
  }

  /**
   * Events from other instances may be missing up to now (their pub/sub did not reach this one):
   * takes a new id past every id seen, and resuming from an earlier one answers `reset` from now
   * on. Returns that id (from it on, nothing is missing).
   */
  markGap(): number {
    this.horizon = this.nextId();
    return this.horizon;
  }

  /** Events after `lastEventId`, or `reset` when some of them are no longer known here. */
  since(lastEventId: string): ReplayResult {
    const after = /^\d{1,16}$/.test(lastEventId) ? Number(lastEventId) : NaN;
    if (!Number.isSafeInteger(after) || after < this.horizon || after < this.evictedUpTo || after > this.lastId) {
      return { kind: 'reset', latestId: this.lastId };
    }
    return { kind: 'replay', events: this.buffer.filter((e) => e.id > after) };
  }
}
