import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

const WINDOW_MS = 5000;
/** Readings are reused this long: read() sits on the request path (adaptive throttling). */
const READING_TTL_MS = 100;
/**
 * The current window counts once it holds this many samples (two seconds of an idle loop at the
 * 20 ms resolution): a p99 over fewer than 100 samples is their max, so one long task just after
 * boot or a roll would read as saturation and take the instance out of readiness. A loop too busy
 * to gather them is caught by the previous full window instead.
 */
const MIN_SAMPLES = 100;

/** Event-loop delay over a rolling window (the previous full window, so a reading is never empty). */
@Injectable()
export class EventLoopMonitor implements OnModuleDestroy {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private lastP99Ms = 0;
  private lastMaxMs = 0;
  private reading = { p99Ms: 0, maxMs: 0 };
  private readingAt = -Infinity;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.histogram.enable();
    this.timer = setInterval(() => this.roll(), WINDOW_MS);
    this.timer.unref();
  }

  private roll(): void {
    this.lastP99Ms = this.histogram.percentile(99) / 1e6;
    this.lastMaxMs = this.histogram.max / 1e6;
    this.histogram.reset();
  }

  /** p99 and max event-loop delay in milliseconds (the worse of the current and last window). */
  read(): { p99Ms: number; maxMs: number } {
    const now = performance.now();
    if (now - this.readingAt < READING_TTL_MS) return this.reading;
    const counts = this.histogram.count >= MIN_SAMPLES;
    const p99 = counts ? this.histogram.percentile(99) / 1e6 : 0;
    const max = counts ? this.histogram.max / 1e6 : 0;
    this.reading = { p99Ms: Math.max(p99, this.lastP99Ms), maxMs: Math.max(max, this.lastMaxMs) };
    this.readingAt = now;
    return this.reading;
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
