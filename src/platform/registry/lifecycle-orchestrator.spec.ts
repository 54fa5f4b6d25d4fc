import { LifecycleOrchestrator } from './lifecycle-orchestrator';
import type { DependencySpec, ManagedLifecycle } from './managed-service.types';
import { RegistryBootError, ServiceStartFailedError } from './registry.errors';
import { toServiceDefinition } from './service-definition';
import { ServiceGraph } from './service-graph';
import type { ServiceStateChange } from './service-snapshot';

interface Spec {
  deps?: DependencySpec[];
  critical?: boolean;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  start?: () => Promise<void>;
  stop?: () => Promise<void>;
}

/** Builds an orchestrator over fake services that record `start:x`, `up:x`, `stop:x`, `down:x`. */
function setup(specs: Record<string, Spec>) {
  const log: string[] = [];
  const changes: ServiceStateChange[] = [];
  const instances = new Map<string, ManagedLifecycle>();
  const defs = Object.entries(specs).map(([name, s]) => {
    instances.set(name, {
      start: async () => {
        log.push(`start:${name}`);
        await s.start?.();
        log.push(`up:${name}`);
      },
      stop: async () => {
        log.push(`stop:${name}`);
        await s.stop?.();
        log.push(`down:${name}`);
      },
    });
    return toServiceDefinition(
      {
        name,
        dependsOn: s.deps,
        critical: s.critical,
        startTimeoutMs: s.startTimeoutMs,
        stopTimeoutMs: s.stopTimeoutMs,
      },
      name,
    );
  });
  const orchestrator = new LifecycleOrchestrator(ServiceGraph.build(defs), instances, {
    onChange: (c) => changes.push(c),
  });
  const state = (name: string) => orchestrator.stateOf(name);
  return { orchestrator, log, changes, state };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const fail = (message: string) => () => Promise.reject(new Error(message));
const never = () => new Promise<void>(() => undefined);
const before = (log: string[], a: string, b: string) => log.indexOf(a) >= 0 && log.indexOf(a) < log.indexOf(b);

describe(LifecycleOrchestrator.name, () => {
  afterEach(() => jest.useRealTimers());

  describe('start', () => {
    it('should start services after their dependencies and independent ones in parallel', async () => {
      const db = deferred();
      const { orchestrator, log, state } = setup({
        db: { start: () => db.promise },
        cache: {},
        api: { deps: ['db', 'cache'] },
      });
      const done = orchestrator.startAll();
      await tick();
      // cache started while db is still starting; api waits for both.
      expect(log).toEqual(['start:db', 'start:cache', 'up:cache']);
      expect(state('db')).toBe('STARTING');
      expect(state('api')).toBe('REGISTERED');
      db.resolve();
      await done;
      expect(before(log, 'up:db', 'start:api')).toBe(true);
      expect(['db', 'cache', 'api'].map(state)).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
    });

    it('should start a service as soon as its own dependencies are up, not by levels', async () => {
      const slow = deferred();
      const { orchestrator, log } = setup({
        slow: { start: () => slow.promise },
        fast: {},
        'after-fast': { deps: ['fast'] },
        'after-both': { deps: ['slow', 'after-fast'] },
      });
      const done = orchestrator.startAll();
      await tick();
      expect(log).toContain('up:after-fast');
      expect(log).not.toContain('start:after-both');
      slow.resolve();
      await done;
      expect(log.at(-1)).toBe('up:after-both');
    });

    it('should abandon a start that hangs past its timeout and report a timeout', async () => {
      jest.useFakeTimers();
      const { orchestrator, state, changes } = setup({ hang: { start: never, startTimeoutMs: 1000, critical: false } });
      const done = orchestrator.startAll();
      await jest.advanceTimersByTimeAsync(999);
      expect(state('hang')).toBe('STARTING');
      await jest.advanceTimersByTimeAsync(1);
      await done;
      expect(state('hang')).toBe('FAILED');
      expect(changes.at(-1)).toMatchObject({ service: 'hang', from: 'STARTING', to: 'FAILED', durationMs: 1000 });
      expect(orchestrator.snapshot('hang')!.lastError).toMatchObject({
        phase: 'start',
        message: "start of 'hang' timed out after 1000 ms",
      });
    });

    it('should fail boot on a critical timeout with a one-line cause', async () => {
      jest.useFakeTimers();
      const { orchestrator } = setup({ base: {}, hang: { deps: ['base'], start: never, startTimeoutMs: 500 } });
      const done = orchestrator.startAll();
      const assertion = expect(done).rejects.toThrow(
        "critical service 'hang' failed to start: start of 'hang' timed out after 500 ms; rolled back 1 started service(s)",
      );
      await jest.advanceTimersByTimeAsync(500);
      await assertion;
    });
  });

  describe('critical failure', () => {
    it('should stop what started in reverse order, leave the rest unstarted and throw one line', async () => {
      const { orchestrator, log, state } = setup({
        db: {},
        cache: { deps: ['db'] },
        other: {},
        broken: { deps: ['cache'], start: fail('cannot open\nsocket') },
        api: { deps: ['broken'] },
      });
      const err = await orchestrator.startAll().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryBootError);
      expect((err as Error).message).toBe(
        "critical service 'broken' failed to start: cannot open socket; rolled back 3 started service(s)",
      );
      expect(before(log, 'down:cache', 'stop:db')).toBe(true);
      expect(log).toContain('down:other');
      expect(log).not.toContain('stop:broken');
      expect(log).not.toContain('start:api');
      expect(['db', 'cache', 'other', 'broken', 'api'].map(state)).toEqual([
        'STOPPED',
        'STOPPED',
        'STOPPED',
        'FAILED',
        'REGISTERED',
      ]);
    });

    it('should let in-flight starts settle before rolling them back', async () => {
      const slow = deferred();
      const { orchestrator, log, state } = setup({
        slow: { start: () => slow.promise },
        broken: { start: fail('no') },
      });
      const done = orchestrator.startAll().catch((e: unknown) => e);
      await tick();
      expect(log).not.toContain('stop:slow');
      slow.resolve();
      expect(await done).toBeInstanceOf(RegistryBootError);
      expect(before(log, 'up:slow', 'stop:slow')).toBe(true);
      expect(state('slow')).toBe('STOPPED');
    });
  });

  describe('non-critical failure', () => {
    it('should mark it FAILED, block required dependents and degrade optional ones', async () => {
      const { orchestrator, log, state, changes } = setup({
        llm: { critical: false, start: fail('model not found') },
        summarize: { deps: ['llm'] },
        digest: { deps: ['summarize'] },
        rag: {
          deps: [
            { name: 'llm', optional: true },
            { name: 'vectors', optional: true },
          ],
        },
      });
      await orchestrator.startAll();
      expect(['llm', 'summarize', 'digest', 'rag'].map(state)).toEqual(['FAILED', 'BLOCKED', 'BLOCKED', 'DEGRADED']);
      expect(log).not.toContain('start:summarize');
      expect(log).not.toContain('start:digest');
      expect(orchestrator.snapshot('summarize')!.reason).toBe("requires 'llm', not running");
      expect(orchestrator.snapshot('rag')!.reason).toBe("optional 'llm' not running");
      expect(changes.find((c) => c.service === 'llm' && c.to === 'FAILED')!.reason).toBe('model not found');
    });

    it('should run a service whose optional dependency is simply not registered', async () => {
      const { orchestrator, state } = setup({ rag: { deps: [{ name: 'llm', optional: true }] } });
      await orchestrator.startAll();
      expect(state('rag')).toBe('RUNNING');
    });
  });

  describe('stop', () => {
    it('should stop dependents first, independent ones in parallel', async () => {
      const apiStop = deferred();
      const { orchestrator, log } = setup({
        db: {},
        api: { deps: ['db'], stop: () => apiStop.promise },
        jobs: { deps: ['db'] },
        metrics: {},
      });
      await orchestrator.startAll();
      log.length = 0;
      const done = orchestrator.stopAll();
      await tick();
      expect(log).toEqual(
        expect.arrayContaining(['stop:api', 'stop:jobs', 'down:jobs', 'stop:metrics', 'down:metrics']),
      );
      expect(log).not.toContain('stop:db');
      apiStop.resolve();
      const summary = await done;
      expect(log.at(-1)).toBe('down:db');
      expect(summary.stopped.sort()).toEqual(['api', 'db', 'jobs', 'metrics']);
      expect(summary.failed).toEqual([]);
    });

    it('should attempt every stop even when some fail or hang', async () => {
      jest.useFakeTimers();
      const { orchestrator, log, state } = setup({
        db: { stop: fail('flush failed') },
        cache: { deps: ['db'], stop: never, stopTimeoutMs: 200 },
        api: { deps: ['cache'] },
        other: {},
      });
      await orchestrator.startAll();
      const done = orchestrator.stopAll();
      await jest.advanceTimersByTimeAsync(200);
      const summary = await done;
      expect(log.filter((l) => l.startsWith('stop:'))).toEqual(
        expect.arrayContaining(['stop:api', 'stop:cache', 'stop:db', 'stop:other']),
      );
      expect(before(log, 'down:api', 'stop:cache')).toBe(true);
      expect(before(log, 'stop:cache', 'stop:db')).toBe(true);
      expect(summary.stopped.sort()).toEqual(['api', 'other']);
      expect(summary.failed).toEqual([
        { service: 'cache', message: "stop of 'cache' timed out after 200 ms" },
        { service: 'db', message: 'flush failed' },
      ]);
      expect(state('db')).toBe('FAILED');
      expect(orchestrator.snapshot('db')!.lastError).toMatchObject({ phase: 'stop', message: 'flush failed' });
    });

    it('should skip services that never came up', async () => {
      const { orchestrator, log } = setup({
        broken: { critical: false, start: fail('x') },
        after: { deps: ['broken'] },
      });
      await orchestrator.startAll();
      const summary = await orchestrator.stopAll();
      expect(summary.stopped).toEqual([]);
      expect(log.filter((l) => l.startsWith('stop:'))).toEqual([]);
    });

    it('should stop a single service after its dependents at runtime', async () => {
      const { orchestrator, log, state } = setup({ db: {}, api: { deps: ['db'] }, other: {} });
      await orchestrator.startAll();
      log.length = 0;
      await orchestrator.stop('db');
      expect(log).toEqual(['stop:api', 'down:api', 'stop:db', 'down:db']);
      expect(state('other')).toBe('RUNNING');
    });
  });

  describe('restart', () => {
    it('should stop the service and its dependents in reverse order, then start them forward', async () => {
      const { orchestrator, log, state } = setup({
        db: {},
        cache: { deps: ['db'] },
        api: { deps: ['cache'] },
        search: { deps: [{ name: 'cache', optional: true }] },
        other: {},
      });
      await orchestrator.startAll();
      log.length = 0;
      const order = await orchestrator.restart('cache');
      expect(order).toEqual(['cache', 'api', 'search']);
      const stops = log.filter((l) => l.startsWith('down:'));
      expect(stops.at(-1)).toBe('down:cache');
      expect(stops.sort()).toEqual(['down:api', 'down:cache', 'down:search']);
      expect(log.indexOf('down:cache')).toBeLessThan(log.indexOf('start:cache'));
      expect(before(log, 'up:cache', 'start:api')).toBe(true);
      expect(before(log, 'up:cache', 'start:search')).toBe(true);
      expect(log.join()).not.toMatch(/db|other/);
      expect(['db', 'cache', 'api', 'search', 'other'].map(state)).toEqual(Array(5).fill('RUNNING'));
    });

    it('should bring a failed non-critical service back and unblock its dependents', async () => {
      let attempts = 0;
      const { orchestrator, state } = setup({
        llm: { critical: false, start: async () => void (attempts++ === 0 && (await fail('down')())) },
        summarize: { deps: ['llm'] },
        rag: { deps: [{ name: 'llm', optional: true }] },
      });
      await orchestrator.startAll();
      expect(['llm', 'summarize', 'rag'].map(state)).toEqual(['FAILED', 'BLOCKED', 'DEGRADED']);
      await orchestrator.restart('llm');
      expect(['llm', 'summarize', 'rag'].map(state)).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
    });

    it('should reject when the restarted service fails again, naming the cause', async () => {
      const { orchestrator, state } = setup({
        llm: { critical: false, start: fail('still down') },
        s: { deps: ['llm'] },
      });
      await orchestrator.startAll();
      await expect(orchestrator.restart('llm')).rejects.toThrow(ServiceStartFailedError);
      await expect(orchestrator.restart('llm')).rejects.toThrow(
        "Could not start 'llm': 'llm' is FAILED: still down; 's' is BLOCKED",
      );
      expect(state('s')).toBe('BLOCKED');
    });

    it('should start required dependencies first on start(name)', async () => {
      const { orchestrator, log, state } = setup({ db: {}, api: { deps: ['db'] } });
      await orchestrator.startAll();
      await orchestrator.stop('db');
      log.length = 0;
      await orchestrator.start('api');
      expect(log).toEqual(['start:db', 'up:db', 'start:api', 'up:api']);
      expect(state('api')).toBe('RUNNING');
    });
  });

  describe('commands', () => {
    it('should serialize concurrent lifecycle commands', async () => {
      const gate = deferred();
      let first = true;
      const { orchestrator, log } = setup({
        db: { stop: async () => void (first && ((first = false), await gate.promise)) },
        api: { deps: ['db'] },
      });
      await orchestrator.startAll();
      log.length = 0;
      const restart = orchestrator.restart('db');
      const stop = orchestrator.stop('api');
      await tick();
      expect(log).toEqual(['stop:api', 'down:api', 'stop:db']);
      gate.resolve();
      await Promise.all([restart, stop]);
      expect(log).toEqual([
        'stop:api',
        'down:api',
        'stop:db',
        'down:db', // restart: stop pass
        'start:db',
        'up:db',
        'start:api',
        'up:api', // restart: start pass
        'stop:api',
        'down:api', // then the queued stop
      ]);
    });

    it('should keep serving commands after one fails', async () => {
      const { orchestrator, state } = setup({ x: { critical: false, start: fail('no') }, y: {} });
      await orchestrator.startAll();
      const results = await Promise.allSettled([orchestrator.start('x'), orchestrator.restart('y')]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
      expect(state('y')).toBe('RUNNING');
    });

    it('should refuse to start anything once shutdown has begun, even a command queued before it', async () => {
      const gate = deferred();
      const { orchestrator, state } = setup({ a: { stop: () => gate.promise }, b: {} });
      await orchestrator.startAll();
      const stopB = orchestrator.stop('b');
      const restartA = orchestrator.restart('a');
      const shutdown = orchestrator.stopAll();
      gate.resolve();
      await stopB;
      await expect(restartA).rejects.toThrow("Could not start 'a': the application is shutting down");
      await shutdown;
      expect([state('a'), state('b')]).toEqual(['STOPPED', 'STOPPED']);
      await expect(orchestrator.start('b')).rejects.toThrow('shutting down');
    });

    it('should emit every transition with its duration', async () => {
      const { orchestrator, changes } = setup({ a: {} });
      await orchestrator.startAll();
      await orchestrator.stopAll();
      expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual([
        'REGISTERED>STARTING',
        'STARTING>RUNNING',
        'RUNNING>STOPPING',
        'STOPPING>STOPPED',
      ]);
      for (const c of changes) {
        expect(c.at).toBeInstanceOf(Date);
        expect(c.durationMs).toBeGreaterThanOrEqual(0);
      }
      expect(orchestrator.snapshot('a')).toMatchObject({
        startDurationMs: expect.any(Number),
        stopDurationMs: expect.any(Number),
      });
      expect(orchestrator.countByState()).toMatchObject({ STOPPED: 1, RUNNING: 0 });
    });
  });
});
