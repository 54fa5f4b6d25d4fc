import pino from 'pino';
import { RequestContext, runInContext } from '../context/request-context';
import { PlatformLogger } from './platform-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const root = pino({ level: 'trace' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { lines, logger: new PlatformLogger(root), root };
}

describe(PlatformLogger.name, () => {
  it('should write the message at the mapped level with the last argument as context', () => {
    const { lines, logger } = capture();
    logger.log('started', 'Boot');
    logger.verbose('detail');
    logger.warn('careful with %s', 'this', 'Ctx');
    expect(lines[0]).toMatchObject({ level: 30, msg: 'started', context: 'Boot' });
    expect(lines[1]).toMatchObject({ level: 10, msg: 'detail' });
    expect(lines[1]).not.toHaveProperty('context');
    expect(lines[2]).toMatchObject({ level: 40, msg: 'careful with this', context: 'Ctx' });
  });

  it('should merge an object message and log an Error as err', () => {
    const { lines, logger } = capture();
    logger.debug({ port: 3000 }, 'listening', 'Boot');
    logger.error(new Error('boom'), 'Svc');
    expect(lines[0]).toMatchObject({ level: 20, port: 3000, msg: 'listening', context: 'Boot' });
    expect(lines[1]).toMatchObject({ level: 50, context: 'Svc', err: { message: 'boom', type: 'Error' } });
  });

  it("should keep the stack of Nest's error(message, stack, context) calls", () => {
    const { lines, logger } = capture();
    logger.error('handler failed', 'Error: handler failed\n    at Object.<anonymous> (x.ts:1:1)', 'ExceptionsHandler');
    expect(lines[0]).toMatchObject({ level: 50, context: 'ExceptionsHandler', err: { message: 'handler failed' } });
    expect((lines[0].err as { stack: string }).stack).toContain('at Object.<anonymous>');
  });

  it("should log through the current request's logger, carrying its request id", () => {
    const { lines, logger, root } = capture();
    runInContext(new RequestContext('req-1', root), () => logger.fatal('inside'));
    logger.log('outside');
    expect(lines[0]).toMatchObject({ level: 60, msg: 'inside', requestId: 'req-1' });
    expect(lines[1]).not.toHaveProperty('requestId');
  });

  it('should skip lines below the level without building them', () => {
    const lines: unknown[] = [];
    const logger = new PlatformLogger(pino({ level: 'warn' }, { write: (s: string) => lines.push(s) }));
    logger.log({ huge: true }, 'ignored');
    logger.warn('kept');
    expect(lines).toHaveLength(1);
  });
});
