import { Global, Module } from '@nestjs/common';
import { EventLoopMonitor } from './event-loop-monitor.service';
import { InFlightRequests } from './in-flight-requests';

/**
 * Runtime sensors: event-loop delay and requests in flight. Written by the request edge and the
 * event loop, read by health (readiness, DEGRADED) and throttling (adaptive limits).
 */
@Global()
@Module({ providers: [EventLoopMonitor, InFlightRequests], exports: [EventLoopMonitor, InFlightRequests] })
export class SensorsModule {}
