import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type StreamEndReason = 'done' | 'error' | 'disconnect' | 'overflow' | 'shutdown';

/** SSE metrics: open streams, events, bytes, drops and stream durations. */
export class StreamingMetrics {
  readonly open: Gauge;
  private readonly events: Counter;
  private readonly bytes: Counter;
  private readonly dropped: Counter;
  private readonly duration: Histogram<'reason'>;

  constructor(registry: Registry, name: (base: string) => string) {
    const registers = [registry];
    this.open = new Gauge({ name: name('sse_open_streams'), help: 'SSE streams open now', registers });
    this.events = new Counter({
      name: name('sse_events_sent_total'),
      help: 'SSE events written to clients (heartbeats excluded)',
      registers,
    });
    this.bytes = new Counter({
      name: name('sse_sent_bytes_total'),
      help: 'Bytes written on SSE streams, heartbeats included',
      registers,
    });
    this.dropped = new Counter({
      name: name('sse_dropped_events_total'),
      help: 'Events dropped for clients that fell behind (bounded queue overflow)',
      registers,
    });
    this.duration = new Histogram({
      name: name('sse_stream_duration_seconds'),
      help: 'How long SSE streams stayed open, by how they ended',
      labelNames: ['reason'],
      buckets: [0.1, 1, 5, 15, 60, 300, 900, 3600, 14400],
      registers,
    });
  }

  sent(events: number, bytes: number): void {
    if (events > 0) this.events.inc(events);
    this.bytes.inc(bytes);
  }

  drop(n = 1): void {
    this.dropped.inc(n);
  }

  ended(reason: StreamEndReason, seconds: number): void {
    this.duration.observe({ reason }, seconds);
  }
}
