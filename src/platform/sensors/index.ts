export * from './event-loop-monitor.service';
export * from './event-loop-watchdog.service';
export * from './sensors.config';
export * from './in-flight-requests';
export * from './sensors.module';
