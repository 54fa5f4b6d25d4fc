import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { EventEmitter } from 'node:events';
import { currentContext, RequestContext, runInContext } from '../context/request-context';
import { PlatformContextManager } from './platform-context-manager';

describe('PlatformContextManager', () => {
  const KEY = createContextKey('test');
  const manager = new PlatformContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager);
  });
  afterAll(() => {
    context.disable();
  });

  it('should be the root context outside any', () => {
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('should keep the request context inside a trace context and the trace context inside a request context', async () => {
    const req = new RequestContext('r-1', undefined);
    const traced = ROOT_CONTEXT.setValue(KEY, 'outer');
    await runInContext(req, () =>
      context.with(traced, async () => {
        await Promise.resolve();
        expect(currentContext()).toBe(req);
        expect(context.active().getValue(KEY)).toBe('outer');
        const other = RequestContext.forCaller(undefined);
        await runInContext(other, async () => {
          await new Promise((r) => setImmediate(r));
          expect(currentContext()).toBe(other);
          expect(context.active().getValue(KEY)).toBe('outer');
        });
        await context.with(traced.setValue(KEY, 'inner'), async () => {
          await Promise.resolve();
          expect(context.active().getValue(KEY)).toBe('inner');
          expect(currentContext()).toBe(req);
        });
        expect(context.active().getValue(KEY)).toBe('outer');
      }),
    );
    expect(currentContext()).toBeUndefined();
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('should pass this and arguments through with()', () => {
    const self = { n: 2 };
    expect(
      context.with(
        ROOT_CONTEXT,
        function (this: typeof self, a: number) {
          return this.n + a;
        },
        self,
        3,
      ),
    ).toBe(5);
  });

  it('should bind functions and event emitters to a context (the SDK base class over active/with)', () => {
    const ctx = ROOT_CONTEXT.setValue(KEY, 'bound');
    const fn = context.bind(ctx, () => context.active().getValue(KEY));
    expect(fn()).toBe('bound');
    const emitter = context.bind(ctx, new EventEmitter());
    let seen: unknown;
    emitter.on('x', () => {
      seen = context.active().getValue(KEY);
    });
    emitter.emit('x');
    expect(seen).toBe('bound');
  });

  it('should attach and restore a context, keeping the request context', () => {
    const req = new RequestContext('r-2', undefined);
    runInContext(req, () => {
      const token = manager.attach(ROOT_CONTEXT.setValue(KEY, 'attached'));
      expect(context.active().getValue(KEY)).toBe('attached');
      expect(currentContext()).toBe(req);
      token.dispose();
      expect(context.active()).toBe(ROOT_CONTEXT);
      expect(currentContext()).toBe(req);
    });
  });
});
