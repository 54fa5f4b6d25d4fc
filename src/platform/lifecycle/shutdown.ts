import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { LifecyclePhaseService } from './lifecycle-phase.service';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Graceful shutdown on SIGTERM/SIGINT: `app.close(signal)` runs the platform's drain (readiness
 * off, drain delay), closes the listener, stops services in reverse order, then the process exits
 * 0 (1 if shutdown failed or overran `timeoutMs`).
 *
 * Nest's own `enableShutdownHooks()` re-raises the signal after closing, so the process dies *by*
 * the signal instead of exiting 0; orchestrators and the drain test want a clean exit code.
 */
export function installShutdownHandlers(app: INestApplication, timeoutMs: number): void {
  const logger = new Logger('shutdown');
  let closing = false;
  const onSignal = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log({ signal }, 'shutdown requested');
    app.get(LifecyclePhaseService, { strict: false }).beginDrain(signal);
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown overran its deadline; exiting');
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    // The implementation passes the signal on to the shutdown hooks; the interface type omits it.
    (app as INestApplication & { close(signal?: string): Promise<void> })
      .close(signal)
      .then(() => {
        logger.log('shutdown complete');
        process.exitCode = 0;
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exitCode = 1;
      })
      // Give asynchronous log writes a moment to drain, then exit even if a stray handle lingers.
      .finally(() => setTimeout(() => process.exit(), 100).unref());
  };
  for (const signal of SIGNALS) process.once(signal, onSignal);
}
