export * from './event-loop-monitor.service';
export * from './in-flight-requests';
export * from './sensors.module';
