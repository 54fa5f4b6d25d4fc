import { Inject, Injectable } from '@nestjs/common';
import { Piscina } from 'piscina';
import { basename, isAbsolute } from 'node:path';
import { withSpan } from '../tracing';
import { jobsConfig, type JobsConfig } from './jobs.config';
import { JobCancelledError } from './jobs.errors';

/**
 * Worker threads for CPU-heavy job handlers (piscina), so the event loop keeps serving HTTP while
 * a UMAP projection or an image resize runs. One pool per worker file, JOBS_WORKER_THREADS threads
 * each, created on first use.
 *
 * ```ts
 * async run(payload: Corpus, ctx: JobContext) {
 *   return this.workers.run<Projection>(join(__dirname, 'umap.worker.js'), payload, ctx.signal);
 * }
 * // umap.worker.js: module.exports = (input) => project(input);   (sync or async)
 * ```
 *
 * The worker file must be loadable by plain Node in a thread (compiled JavaScript). Aborting the
 * signal (cancel, timeout, shutdown) terminates the thread running the task; the promise rejects
 * with JOBS.CANCELLED (or the signal's reason when it is a domain error, e.g. JOBS.TIMEOUT).
 */
@Injectable()
export class JobWorkerPool {
  private readonly pools = new Map<string, Piscina>();

  constructor(@Inject(jobsConfig.KEY) private readonly config: JobsConfig) {}

  /** Runs the default export of `filename` with `input` in a worker thread. */
  async run<R = unknown>(filename: string, input: unknown, signal?: AbortSignal): Promise<R> {
    if (!isAbsolute(filename)) throw new TypeError(`worker filename must be absolute: ${filename}`);
    try {
      // The thread's task as a span of the job's trace (the worker thread itself runs no SDK).
      return (await withSpan(`job.worker ${basename(filename)}`, {}, () =>
        this.pool(filename).run(input, { signal }),
      )) as R;
    } catch (err) {
      if (signal?.aborted)
        throw signal.reason instanceof Error ? signal.reason : new JobCancelledError('The job was cancelled');
      throw err;
    }
  }

  /** Threads busy or idle, per worker file (for tests and diagnostics). */
  describe(): { filename: string; threads: number; queued: number }[] {
    return [...this.pools].map(([filename, p]) => ({ filename, threads: p.threads.length, queued: p.queueSize }));
  }

  /**
   * Ends every thread. Called by the `jobs` service when it stops, after running jobs were drained
   * or handed back (an application hook could run before that drain and fail those jobs).
   */
  async destroy(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
    this.pools.clear();
  }

  private pool(filename: string): Piscina {
    let p = this.pools.get(filename);
    if (!p) {
      p = new Piscina({ filename, maxThreads: this.config.workerThreads, minThreads: 0, idleTimeout: 30_000 });
      this.pools.set(filename, p);
    }
    return p;
  }
}
