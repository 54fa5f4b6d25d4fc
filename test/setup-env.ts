// e2e tests build the real app in-process; keep its logs quiet unless a test captures them.
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL ??= 'silent';
// Adaptive rate limits scale configured limits down while the event loop lags, which on a loaded
// CI machine turns "2 per minute" into 1 at random. E2e files test the configured limits; the
// adaptive algorithm has its own unit specs (adaptive-limits, adaptive-limiter.service).
process.env.THROTTLE_ADAPTIVE ??= 'false';
// Readiness also fails on saturation: event-loop p99 over HEALTH_EVENT_LOOP_LAG_MS or V8 heap in
// use over HEALTH_HEAP_LIMIT_MB. An in-process e2e app shares its Jest worker's heap (which grows
// with every file the worker runs and with coverage) and a loaded CI machine's CPU, so those
// defaults made "ready is 200" assertions fail at random. E2e files test the configured behaviour
// with their own limits (health-liveness); these only raise the defaults.
process.env.HEALTH_EVENT_LOOP_LAG_MS ??= '30000';
process.env.HEALTH_HEAP_LIMIT_MB ??= '32768';
