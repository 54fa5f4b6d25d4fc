import { Inject, Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { isStateUnavailable, STATE_STORE, StateOutages, type StateStore } from '../state';
import type { SseConnection } from './sse-connection';
import { formatSseFrame } from './sse-frame';
import { SseTopic } from './sse-topic';
import { streamingConfig, type StreamingConfig } from './streaming.config';
import { StreamingMetrics } from './streaming.metrics';

/** Topics idle (no subscriber, no publish) this long are forgotten with their buffers. */
const IDLE_TOPIC_MS = 10 * 60_000;
const CHANNEL_PREFIX = 'sse:';

interface WireMessage {
  /** Instance that published it (it delivered locally already). */
  o: string;
  /** `e`: an event; `c`: the topic closed. */
  k: 'e' | 'c';
  id: number;
  f: string;
}

interface TopicEntry {
  topic: SseTopic;
  lastActive: number;
  unsubscribe?: Promise<(() => Promise<void>) | undefined>;
}

/**
 * Fan-out topics: many SSE clients follow one topic; `publish` reaches every follower on this
 * instance at once and, when the state store is Redis, on every other instance through its
 * pub/sub (each instance buffers what it receives, so Last-Event-ID resume works on any
 * instance that followed the topic). With the in-memory store, topics are local to the process.
 *
 * ```ts
 * await topics.publish('jobs:42', 'progress', { pct: 40 });
 * await topics.close('jobs:42', { result: 'ok' }); // followers get `done`
 * ```
 */
@Injectable()
export class SseTopics implements OnModuleDestroy {
  private readonly logger = new Logger('sse');
  private readonly topics = new Map<string, TopicEntry>();
  private readonly origin = randomUUID();
  private readonly offRecovered?: () => void;

  constructor(
    @Inject(streamingConfig.KEY) private readonly config: StreamingConfig,
    private readonly metrics: StreamingMetrics,
    @Optional() @Inject(STATE_STORE) private readonly store?: StateStore,
    @Optional() private readonly outages: StateOutages = new StateOutages(),
  ) {
    if (this.distributed) this.offRecovered = store!.onRecovered(() => void this.afterOutage());
  }

  private get distributed(): boolean {
    return this.store?.backend === 'redis';
  }

  /** Publishes one event to a topic; resolves with its id once handed to Redis (if used). */
  async publish(topic: string, event: string, data: unknown): Promise<string> {
    const entry = this.entry(topic);
    const id = entry.topic.nextId();
    const frame = formatSseFrame(String(id), event, data);
    this.deliver(entry, id, frame);
    if (this.distributed) await this.send(topic, { o: this.origin, k: 'e', id, f: frame });
    return String(id);
  }

  /** Ends a topic: every follower (on every instance) gets `done` with `data`; the buffer is dropped. */
  async close(topic: string, data: unknown = {}): Promise<void> {
    const entry = this.entry(topic);
    const id = entry.topic.nextId();
    const frame = JSON.stringify(data ?? {});
    this.closeLocal(topic, id, frame);
    if (this.distributed) await this.send(topic, { o: this.origin, k: 'c', id, f: frame });
  }

  /** Follows a topic (creating it here, and subscribing to Redis, on first use). */
  follow(topic: string): SseTopic {
    return this.entry(topic).topic;
  }

  /** Resolves once this instance listens to the topic's Redis channel (immediately without Redis). */
  async ready(topic: string): Promise<void> {
    await this.entry(topic).unsubscribe;
  }

  /** Drops idle topics; called by the heartbeat tick. */
  sweep(now = Date.now()): void {
    for (const [name, e] of this.topics) {
      if (e.topic.subscribers.size > 0) e.lastActive = now;
      else if (now - e.lastActive > IDLE_TOPIC_MS) void this.forget(name);
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.offRecovered?.();
    await Promise.all([...this.topics.keys()].map((name) => this.forget(name)));
  }

  private entry(name: string): TopicEntry {
    let e = this.topics.get(name);
    if (e === undefined) {
      e = { topic: new SseTopic(name, this.config.replayBuffer), lastActive: Date.now() };
      this.topics.set(name, e);
      if (this.distributed) e.unsubscribe = this.listen(name);
    }
    e.lastActive = Date.now();
    return e;
  }

  private deliver(entry: TopicEntry, id: number, frame: string): void {
    const ev = entry.topic.record(id, frame);
    const key = String(ev.id);
    // Encoded once for all followers: a string written to 10,000 responses is measured (byte
    // length) and encoded 10,000 times by Node; the same Buffer is handed to each socket as is.
    const bytes = Buffer.from(frame);
    let sent = 0;
    for (const conn of entry.topic.subscribers) if (conn.sendFrame(key, bytes, false)) sent++;
    this.metrics.sent(sent, sent * bytes.length);
  }

  private closeLocal(name: string, id: number, dataJson: string): void {
    const e = this.topics.get(name);
    if (e === undefined) return;
    const subscribers: SseConnection[] = [...e.topic.subscribers];
    const data: unknown = JSON.parse(dataJson);
    for (const conn of subscribers) conn.done(String(id), data);
    void this.forget(name);
  }

  private async listen(name: string): Promise<(() => Promise<void>) | undefined> {
    try {
      return await this.store!.subscribe(CHANNEL_PREFIX + name, (raw) => this.receive(name, raw));
    } catch (err) {
      this.logger.warn({ topic: name, err }, 'could not follow topic across instances; local only');
      return undefined;
    }
  }

  /**
   * Redis answers again after an outage: events other instances published meanwhile never arrived
   * here. Each topic's followers get `reset` (refetch state), a resume from before now answers
   * `reset` too, and topics that could not subscribe while Redis was down subscribe now.
   */
  private async afterOutage(): Promise<void> {
    for (const [name, e] of this.topics) {
      const id = String(e.topic.markGap());
      for (const conn of e.topic.subscribers) conn.send(id, 'reset', { latestId: id, reason: 'shared_state_outage' });
      if ((await e.unsubscribe) === undefined && this.topics.get(name) === e) e.unsubscribe = this.listen(name);
    }
  }

  private receive(name: string, raw: string): void {
    let msg: WireMessage;
    try {
      msg = JSON.parse(raw) as WireMessage;
    } catch {
      return;
    }
    if (msg.o === this.origin) return;
    const e = this.topics.get(name);
    if (e === undefined) return;
    if (msg.k === 'c') this.closeLocal(name, msg.id, msg.f);
    else this.deliver(e, msg.id, msg.f);
  }

  private async send(topic: string, msg: WireMessage): Promise<void> {
    try {
      await this.store!.publish(CHANNEL_PREFIX + topic, JSON.stringify(msg));
    } catch (err) {
      // Local followers already have it; other instances miss it and reset their followers once Redis is back.
      if (isStateUnavailable(err)) this.outages.record('sse_fanout', 'open', err);
      else this.logger.warn({ topic, err }, 'could not publish to other instances');
    }
  }

  private async forget(name: string): Promise<void> {
    const e = this.topics.get(name);
    if (e === undefined) return;
    this.topics.delete(name);
    const unsubscribe = await e.unsubscribe;
    await unsubscribe?.().catch(() => undefined);
  }
}
