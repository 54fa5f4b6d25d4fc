// e2e tests build the real app in-process; keep its logs quiet unless a test captures them.
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL ??= 'silent';
// Adaptive rate limits scale configured limits down while the event loop lags, which on a loaded
// CI machine turns "2 per minute" into 1 at random. E2e files test the configured limits; the
// adaptive algorithm has its own unit specs (adaptive-limits, adaptive-limiter.service).
process.env.THROTTLE_ADAPTIVE ??= 'false';
