import type { Logger } from 'pino';
import type { MetricsService } from '../metrics/metrics.service';
import type { InFlightRequests } from '../sensors/in-flight-requests';

export interface RequestEdgeOptions {
  root: Logger;
  /** Write one line per completed request. */
  logCompletions: boolean;
  metrics: MetricsService;
  inFlight: InFlightRequests;
  /** OpenTelemetry is on: use the edge that also opens the HTTP server span. */
  tracing?: boolean;
}
