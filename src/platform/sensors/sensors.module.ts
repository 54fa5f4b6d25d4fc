import { Global, Module } from '@nestjs/common';
import { EventLoopMonitor } from './event-loop-monitor.service';
import { EventLoopWatchdog } from './event-loop-watchdog.service';
import { InFlightRequests } from './in-flight-requests';

/**
 * Runtime sensors: event-loop delay, the wedged-loop watchdog and requests in flight. Written by the request edge and the
 * event loop, read by health (readiness, DEGRADED) and throttling (adaptive limits).
 */
@Global()
@Module({
  providers: [EventLoopMonitor, EventLoopWatchdog, InFlightRequests],
  exports: [EventLoopMonitor, EventLoopWatchdog, InFlightRequests],
})
export class SensorsModule {}
