import type { ServerResponse } from 'node:http';
import type { ProblemDetails } from '../errors/problem-details';
import { type Span, startSpan } from '../tracing';
import { formatSseFrame } from './sse-frame';
import type { SseOverflowPolicy } from './streaming.config';
import type { StreamEndReason, StreamingMetrics } from './streaming.metrics';

export interface SseConnectionOptions {
  retryMs: number;
  queueMax: number;
  overflow: SseOverflowPolicy;
}

interface Queued {
  id: string;
  frame: string | Buffer;
  events: number;
}

const HEARTBEAT = ': ping\n\n';

/** Runs one cleanup of a stream that ended. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // A failing cleanup must not stop the others.
  }
}

/**
 * One client's SSE response. Writes go straight to the socket while it keeps up; once
 * `res.write` reports a full buffer, events wait in a bounded queue until `drain`. A full queue
 * either drops its oldest events (and the client later gets one `gap` event naming what it
 * missed) or closes the connection, per the overflow policy. `close` fires once, whatever ends
 * the stream, and runs every cleanup registered with {@link onClose}.
 */
export class SseConnection {
  // Built on first use, like the queue, the cleanup list and the drain listener: a topic follower
  // needs none of them, and with thousands of open streams every object kept per stream counts
  // (bench:sse).
  private controller?: AbortController;
  private endedPromise?: Promise<void>;
  private resolveEnded?: () => void;
  private queue?: Queued[];
  private blocked = false;
  private ended = false;
  private dropped = 0;
  private droppedFrom?: string;
  private droppedTo?: string;
  private cleanups?: (() => void)[];
  private writableWaiters?: (() => void)[];
  private readonly openedAt = performance.now();
  private endReason: StreamEndReason = 'disconnect';
  /** The stream's span (tracing on): from `open` until the stream ends. */
  private span?: Span;

  /**
   * `onEnd` (optional) runs first when the stream ends; the owner of many connections passes one
   * shared function for its bookkeeping instead of a cleanup closure per connection.
   */
  constructor(
    private readonly res: ServerResponse,
    private readonly options: SseConnectionOptions,
    private readonly metrics: StreamingMetrics,
    private readonly onEnd?: (conn: SseConnection) => void,
  ) {}

  /** Fires when the stream ends for any reason; sources stop on it. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.ended) this.controller.abort();
    }
    return this.controller.signal;
  }

  /** Settles when the stream has ended, however it ended. */
  whenEnded(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return (this.endedPromise ??= new Promise<void>((resolve) => (this.resolveEnded = resolve)));
  }

  /** Sends the headers and the `retry:` hint, and watches for the client going away. */
  open(): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies buffer responses unless told not to.
      'x-accel-buffering': 'no',
    });
    this.res.on('close', () => this.finish());
    this.metrics.open.inc();
    this.span = startSpan('sse stream', { attributes: { 'fennec.stream.protocol': 'sse' } });
    this.write(`retry: ${this.options.retryMs}\n\n`, 0);
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Registers cleanup (unsubscribe, clear timers, abort upstream) run once when the stream ends. */
  onClose(fn: () => void): void {
    if (this.ended) fn();
    else (this.cleanups ??= []).push(fn);
  }

  /** Sends one event; returns false when the stream is closed. */
  send(id: string, event: string, data: unknown): boolean {
    return this.sendFrame(id, formatSseFrame(id, event, data));
  }

  /**
   * Sends an already formatted frame (a topic formats each event once for all its clients).
   * `counted: false` leaves the sent-events metric to the caller, which counts a broadcast once.
   */
  sendFrame(id: string, frame: string | Buffer, counted = true): boolean {
    if (this.ended) return false;
    if (!this.blocked && !this.queue?.length) {
      if (this.res.destroyed) return false;
      if (!this.res.write(frame)) this.block();
      if (counted) this.metrics.sent(1, Buffer.byteLength(frame));
      return true;
    }
    const queue = (this.queue ??= []);
    if (queue.length >= this.options.queueMax) {
      if (this.options.overflow === 'disconnect') {
        this.metrics.drop(queue.length + 1);
        this.endReason = 'overflow';
        this.res.destroy();
        return false;
      }
      const oldest = queue.shift() as Queued;
      this.dropped += oldest.events;
      this.droppedFrom ??= oldest.id;
      this.droppedTo = oldest.id;
      this.metrics.drop(oldest.events);
    }
    queue.push({ id, frame, events: 1 });
    return true;
  }

  /**
   * Resolves once the socket takes writes again (or the stream closed). Pull sources await this
   * before pulling the next event, so a slow client slows its source instead of filling a queue.
   */
  whenWritable(): Promise<void> {
    if (!this.blocked || this.ended) return Promise.resolve();
    return new Promise((resolve) => (this.writableWaiters ??= []).push(resolve));
  }

  /** A heartbeat comment, skipped while the client is behind (it has data waiting anyway). */
  heartbeat(): void {
    if (!this.ended && !this.blocked) this.write(HEARTBEAT, 0);
  }

  /** Ends with `done` (optionally with a payload). */
  done(id: string, data: unknown = {}): void {
    this.terminate(id, 'done', data, 'done');
  }

  /** Ends with `error` carrying a problem object. */
  fail(id: string, problem: ProblemDetails, reason: StreamEndReason = 'error'): void {
    this.terminate(id, 'error', problem, reason);
  }

  private terminate(id: string, event: string, data: unknown, reason: StreamEndReason): void {
    if (this.ended) return;
    this.endReason = reason;
    // Whatever is queued, then the terminal event, even past the queue bound: `end()` delivers it.
    for (const q of this.queue?.splice(0) ?? []) this.write(q.frame, q.events);
    this.write(formatSseFrame(id, event, data), 1);
    this.res.end();
    this.finish();
  }

  private flush(): void {
    this.blocked = false;
    if (this.dropped > 0) {
      const gap = formatSseFrame(this.droppedTo as string, 'gap', {
        dropped: this.dropped,
        firstId: this.droppedFrom,
        lastId: this.droppedTo,
      });
      this.dropped = 0;
      this.droppedFrom = this.droppedTo = undefined;
      this.write(gap, 1);
    }
    while (this.queue?.length && !this.blocked) {
      const next = this.queue.shift() as Queued;
      this.write(next.frame, next.events);
    }
    if (!this.blocked) this.wakeWriters();
  }

  private wakeWriters(): void {
    const waiters = this.writableWaiters;
    this.writableWaiters = undefined;
    for (const w of waiters ?? []) w();
  }

  /** The socket's buffer is full: queue until it drains. */
  private block(): void {
    if (this.blocked) return;
    this.blocked = true;
    this.res.once('drain', () => this.flush());
  }

  private write(chunk: string | Buffer, events: number): void {
    if (this.res.destroyed) return;
    if (!this.res.write(chunk)) this.block();
    this.metrics.sent(events, Buffer.byteLength(chunk));
  }

  /** Runs once: cleanups, abort sources, metrics. Does not write. */
  private finish(): void {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this.controller?.abort();
    this.resolveEnded?.();
    this.wakeWriters();
    const cleanups = this.cleanups ?? [];
    this.cleanups = undefined;
    if (this.onEnd) safely(() => this.onEnd?.(this));
    for (const fn of cleanups) safely(fn);
    this.metrics.open.dec();
    this.metrics.ended(this.endReason, (performance.now() - this.openedAt) / 1000);
    if (this.span) {
      this.span.setAttribute('fennec.stream.end_reason', this.endReason);
      if (this.dropped > 0) this.span.setAttribute('fennec.stream.dropped_events', this.dropped);
      this.span.end();
    }
  }
}
