// e2e tests build the real app in-process; keep its logs quiet unless a test captures them.
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL ??= 'silent';
