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
import { FennecError } from '../errors/fennec-error';
import { LifecyclePhaseService } from '../lifecycle/lifecycle-phase.service';
import { releaseRequestState } from './release-request-state';
import { SseConnection, type SseConnectionOptions } from './sse-connection';
import type { SseMessage } from './sse-frame';
import { streamProblem } from './sse-problem';
import { SseTerminalProblem } from './sse-terminal-problem';
import type { SseTopic } from './sse-topic';
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
  /**
   * The source resumes by itself: it reads `Last-Event-ID` (see {@link lastEventIdOf}) and gives
   * its messages their own increasing integer `id`s, so no `reset` is sent and the terminal event
   * gets the next id after the last one sent. `doneData` may then be a function, called at the end.
   */
  resumable?: boolean;
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

/**
 * What the server needs to end an open stream itself (shutdown): the id its terminal event gets,
 * from the stream's own id sequence or from the topic it follows (which it also leaves on close).
 */
type StreamOwner = (() => string) | SseTopic;

const CLOSED = Symbol('closed');

function doneDataOf(options: SseStreamOptions): unknown {
  const d = options.doneData;
  return (options.resumable && typeof d === 'function' ? (d as () => unknown)() : d) ?? {};
}

function terminalIdOf(owner: StreamOwner): string {
  return typeof owner === 'function' ? owner() : String(owner.latestId);
}

/** The request's `Last-Event-ID` (at most 64 characters), for sources of resumable streams. */
export function lastEventIdOf(req: Request): string | undefined {
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
  private readonly open = new Map<SseConnection, StreamOwner>();
  private ticker?: NodeJS.Timeout;
  private shuttingDown = false;
  private readonly connOptions: SseConnectionOptions;
  /** One function for every connection's bookkeeping on close, rather than closures per stream. */
  private readonly released = (conn: SseConnection): void => {
    const owner = this.open.get(conn);
    if (owner !== undefined && typeof owner !== 'function') owner.subscribers.delete(conn);
    this.open.delete(conn);
    if (this.open.size === 0) this.stopTicker();
  };

  constructor(
    @Inject(streamingConfig.KEY) private readonly config: StreamingConfig,
    private readonly topics: SseTopics,
    private readonly metrics: StreamingMetrics,
    @Optional() private readonly lifecycle?: LifecyclePhaseService,
  ) {
    this.connOptions = { retryMs: config.retryMs, queueMax: config.clientQueueMax, overflow: config.overflow };
  }

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
    if (options.resumable) {
      const last = Number(lastEventIdOf(req));
      if (Number.isSafeInteger(last) && last > 0) seq = last;
    } else if (lastEventIdOf(req) !== undefined) conn.send(nextId(), 'reset', { reason: 'not_resumable' });
    const idOf = (m: SseMessage<T>): string => {
      if (!options.resumable || m.id === undefined) return nextId();
      const n = Number(m.id);
      if (Number.isSafeInteger(n) && n > seq) seq = n;
      return m.id;
    };
    const ended = (async () => {
      try {
        const src = typeof source === 'function' ? source(conn.signal) : source;
        if (isObservable(src)) await this.pushObservable(conn, src, nextId, idOf, req, options);
        else await this.pullIterable(conn, src, nextId, idOf, options);
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
    const conn = this.start(req, res, topic);
    if (conn === undefined) return { ended: Promise.resolve() };
    const last = lastEventIdOf(req);
    if (last !== undefined) {
      const replay = topic.since(last);
      if (replay.kind === 'reset') conn.send(String(replay.latestId), 'reset', { latestId: String(replay.latestId) });
      else for (const ev of replay.events) conn.sendFrame(String(ev.id), ev.frame);
    }
    // Left again by `released` when the stream ends.
    if (!conn.closed) topic.subscribers.add(conn);
    return new TopicStreamHandle(conn);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    // Streams stay open through the drain delay (load balancers are still moving traffic away),
    // whichever shutdown hook runs first.
    if (this.open.size > 0) await this.lifecycle?.whenDrained();
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
    for (const [conn, owner] of [...this.open]) conn.fail(terminalIdOf(owner), streamProblem(err, '', ''), 'shutdown');
  }

  private start(req: Request, res: Response, owner: StreamOwner): SseConnection | undefined {
    const conn = new SseConnection(res, this.connOptions, this.metrics, this.released);
    conn.open();
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    if (this.shuttingDown) {
      const err = new StreamShuttingDownError('This instance is shutting down; reconnect to resume');
      conn.fail(terminalIdOf(owner), streamProblem(err, this.instanceOf(req), this.requestIdOf(req)), 'shutdown');
      return undefined;
    }
    this.open.set(conn, owner);
    this.ticker ??= setInterval(() => this.tick(), this.config.heartbeatMs);
    // The stream reads the request again only for its id, URL and Last-Event-ID, which stay.
    releaseRequestState(req, res);
    return conn;
  }

  private tick(): void {
    for (const conn of this.open.keys()) conn.heartbeat();
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
    idOf: (m: SseMessage<T>) => string,
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
        conn.done(nextId(), doneDataOf(options));
        return;
      }
      conn.send(idOf(step.value), step.value.event ?? 'message', step.value.data);
    }
    // The client left: stop the source (a generator runs its finally blocks).
    void it.return?.()?.catch(() => undefined);
  }

  private pushObservable<T>(
    conn: SseConnection,
    src: Observable<SseMessage<T>>,
    nextId: () => string,
    idOf: (m: SseMessage<T>) => string,
    req: Request,
    options: SseStreamOptions,
  ): Promise<void> {
    return new Promise((resolve) => {
      const sub = src.subscribe({
        next: (m) => conn.send(idOf(m), m.event ?? 'message', m.data),
        error: (err: unknown) => {
          this.failStream(conn, nextId(), err, req);
          resolve();
        },
        complete: () => {
          conn.done(nextId(), doneDataOf(options));
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
    if (!(err instanceof SseTerminalProblem) && (!(err instanceof FennecError) || err.kind === 'internal')) {
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
