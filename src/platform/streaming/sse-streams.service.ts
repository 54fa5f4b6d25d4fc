import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { isObservable, type Observable } from 'rxjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { FennecError } from '../errors/fennec-error';
import { healthConfig, type HealthConfig } from '../health/health.config';
import { LifecyclePhaseService } from '../health/lifecycle-phase.service';
import { SseConnection } from './sse-connection';
import type { SseMessage } from './sse-frame';
import { streamProblem } from './sse-problem';
import { SseTopics } from './sse-topics.service';
import { streamingConfig, type StreamingConfig } from './streaming.config';
import { StreamShuttingDownError } from './streaming.errors';
import { StreamingMetrics } from './streaming.metrics';

/** What a controller can stream: an async iterable or Observable of events, or a factory given the stream's AbortSignal. */
export type SseSource<T = unknown> =
  | AsyncIterable<SseMessage<T>>
  | Observable<SseMessage<T>>
  | ((signal: AbortSignal) => AsyncIterable<SseMessage<T>> | Observable<SseMessage<T>>);

/** Per-stream overrides of the configured defaults. */
export interface SseStreamOptions {
  /** Data of the terminal `done` event when the source completes. Default `{}`. */
  doneData?: unknown;
}

/** What `stream()`/`topic()` return; controllers may return it (Nest ignores it under `@Res()`). */
export interface SseHandle {
  /** Settles when the stream has ended, however it ended; never rejects. */
  ended: Promise<void>;
}

/** A topic follower's handle: `ended` is built only if someone asks for it. */
class TopicStreamHandle implements SseHandle {
  constructor(private readonly conn: SseConnection) {}

  get ended(): Promise<void> {
    return this.conn.whenEnded();
  }
}

interface OpenStream {
  conn: SseConnection;
  /** Id the terminal event gets if the server ends the stream (shutdown). */
  terminalId: () => string;
}

const CLOSED = Symbol('closed');

function lastEventIdOf(req: Request): string | undefined {
  const h = req.headers['last-event-id'];
  return typeof h === 'string' && h.length > 0 && h.length <= 64 ? h : undefined;
}

/**
 * The SSE toolkit for controllers. Every stream: `text/event-stream`, a `retry:` hint, events
 * with increasing `id`, `event` and JSON `data`, heartbeat comments, and exactly one terminal
 * event (`done`, or `error` with a problem object). The client going away stops the source at
 * once (its AbortSignal fires, the iterator is returned, the Observable unsubscribed).
 *
 * ```ts
 * @Get('chat') @SseEndpoint()
 * chat(@Req() req: Request, @Res() res: Response) {
 *   return this.sse.stream(req, res, (signal) => this.llm.tokens(prompt, signal));
 * }
 * @Get('news') @SseEndpoint()
 * news(@Req() req: Request, @Res() res: Response) {
 *   return this.sse.topic(req, res, 'news'); // resumable with Last-Event-ID
 * }
 * ```
 */
@Injectable()
export class SseStreams implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('sse');
  private readonly open = new Set<OpenStream>();
  private ticker?: NodeJS.Timeout;
  private shuttingDown = false;

  constructor(
    @Inject(streamingConfig.KEY) private readonly config: StreamingConfig,
    private readonly topics: SseTopics,
    private readonly metrics: StreamingMetrics,
    @Optional() @Inject(healthConfig.KEY) private readonly health?: HealthConfig,
    @Optional() private readonly lifecycle?: LifecyclePhaseService,
  ) {}

  /** Streams open on this instance now. */
  get openCount(): number {
    return this.open.size;
  }

  /**
   * Streams events from `source` until it completes (`done`) or fails (`error`). Async
   * iterables are pulled only as fast as the client reads (no queue, no drops); Observables are
   * pushed through the bounded per-client queue. A `Last-Event-ID` on such a one-off stream
   * cannot be honoured, so the client gets `reset` first.
   *
   * Returns at once (the handler can return the handle and finish): a handler promise kept
   * pending for the life of the stream would keep Nest's whole per-request pipeline in memory.
   */
  stream<T>(req: Request, res: Response, source: SseSource<T>, options: SseStreamOptions = {}): SseHandle {
    let seq = 0;
    const nextId = () => String(++seq);
    const conn = this.start(req, res, nextId);
    if (conn === undefined) return { ended: Promise.resolve() };
    if (lastEventIdOf(req) !== undefined) conn.send(nextId(), 'reset', { reason: 'not_resumable' });
    const ended = (async () => {
      try {
        const src = typeof source === 'function' ? source(conn.signal) : source;
        if (isObservable(src)) await this.pushObservable(conn, src, nextId, req, options);
        else await this.pullIterable(conn, src, nextId, options);
      } catch (err) {
        this.failStream(conn, nextId(), err, req);
      }
    })();
    return { ended };
  }

  /**
   * Follows a fan-out topic (see {@link SseTopics}) until the client leaves or the topic is
   * closed. With `Last-Event-ID` the client first gets what it missed from the topic's buffer,
   * or a `reset` event (data `{ latestId }`) when the buffer no longer reaches back that far.
   * Returns at once, like {@link stream}.
   */
  topic(req: Request, res: Response, name: string): SseHandle {
    const topic = this.topics.follow(name);
    const conn = this.start(req, res, () => String(topic.latestId));
    if (conn === undefined) return { ended: Promise.resolve() };
    const last = lastEventIdOf(req);
    if (last !== undefined) {
      const replay = topic.since(last);
      if (replay.kind === 'reset') conn.send(String(replay.latestId), 'reset', { latestId: String(replay.latestId) });
      else for (const ev of replay.events) conn.sendFrame(String(ev.id), ev.frame);
    }
    topic.subscribers.add(conn);
    conn.onClose(() => topic.subscribers.delete(conn));
    return new TopicStreamHandle(conn);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    // Streams stay open through the drain delay (load balancers are still moving traffic away);
    // if the health module's hook has not run its drain yet, wait it here first.
    const drainMs = this.health?.drainDelayMs ?? 0;
    if (this.open.size > 0 && drainMs > 0 && this.lifecycle?.phase !== 'draining') await sleep(drainMs);
    this.endAll();
  }

  onApplicationShutdown(): void {
    this.endAll();
    this.stopTicker();
  }

  private endAll(): void {
    const err = new StreamShuttingDownError('This instance is shutting down; reconnect to resume', {
      retryAfterSeconds: 1,
    });
    for (const s of [...this.open]) s.conn.fail(s.terminalId(), streamProblem(err, '', ''), 'shutdown');
  }

  private start(req: Request, res: Response, terminalId: () => string): SseConnection | undefined {
    const conn = new SseConnection(
      res,
      { retryMs: this.config.retryMs, queueMax: this.config.clientQueueMax, overflow: this.config.overflow },
      this.metrics,
    );
    conn.open();
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    if (this.shuttingDown) {
      const err = new StreamShuttingDownError('This instance is shutting down; reconnect to resume');
      conn.fail(terminalId(), streamProblem(err, this.instanceOf(req), this.requestIdOf(req)), 'shutdown');
      return undefined;
    }
    const entry: OpenStream = { conn, terminalId };
    this.open.add(entry);
    conn.onClose(() => {
      this.open.delete(entry);
      if (this.open.size === 0) this.stopTicker();
    });
    this.ticker ??= setInterval(() => this.tick(), this.config.heartbeatMs);
    return conn;
  }

  private tick(): void {
    for (const s of this.open) s.conn.heartbeat();
    this.topics.sweep();
  }

  private stopTicker(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private async pullIterable<T>(
    conn: SseConnection,
    src: AsyncIterable<SseMessage<T>>,
    nextId: () => string,
    options: SseStreamOptions,
  ): Promise<void> {
    const it = src[Symbol.asyncIterator]();
    // One pending promise per step, woken by either the iterator or the close: a long stream
    // does not pile reactions onto a shared "closed" promise.
    let wake: ((v: typeof CLOSED) => void) | undefined;
    conn.onClose(() => wake?.(CLOSED));
    for (;;) {
      await conn.whenWritable();
      if (conn.closed) break;
      const step = await new Promise<IteratorResult<SseMessage<T>> | typeof CLOSED>((resolve, reject) => {
        wake = resolve;
        it.next().then(resolve, reject);
      });
      if (step === CLOSED) break;
      if (step.done) {
        conn.done(nextId(), options.doneData ?? {});
        return;
      }
      conn.send(nextId(), step.value.event ?? 'message', step.value.data);
    }
    // The client left: stop the source (a generator runs its finally blocks).
    void it.return?.()?.catch(() => undefined);
  }

  private pushObservable<T>(
    conn: SseConnection,
    src: Observable<SseMessage<T>>,
    nextId: () => string,
    req: Request,
    options: SseStreamOptions,
  ): Promise<void> {
    return new Promise((resolve) => {
      const sub = src.subscribe({
        next: (m) => conn.send(nextId(), m.event ?? 'message', m.data),
        error: (err: unknown) => {
          this.failStream(conn, nextId(), err, req);
          resolve();
        },
        complete: () => {
          conn.done(nextId(), options.doneData ?? {});
          resolve();
        },
      });
      conn.onClose(() => {
        sub.unsubscribe();
        resolve();
      });
    });
  }

  private failStream(conn: SseConnection, id: string, err: unknown, req: Request): void {
    if (conn.closed) return;
    if (!(err instanceof FennecError) || err.kind === 'internal') {
      this.logger.error({ err, requestId: this.requestIdOf(req) }, 'SSE source failed');
    }
    conn.fail(id, streamProblem(err, this.instanceOf(req), this.requestIdOf(req)));
  }

  private instanceOf(req: Request): string {
    return req.originalUrl.split('?')[0].slice(0, 256);
  }

  private requestIdOf(req: Request): string {
    const id: unknown = req.id;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : '';
  }
}
