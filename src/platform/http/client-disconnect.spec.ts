import type { Request } from 'express';
import { EventEmitter } from 'node:events';
import { abortOnDisconnect, waitForDrain } from './client-disconnect';

/** A response with the writable state and events the helpers read. */
class FakeResponse extends EventEmitter {
  writableFinished = false;
}

describe(abortOnDisconnect.name, () => {
  const requestWith = (res: FakeResponse) => ({ res }) as unknown as Request;

  it('should abort when the client goes away before the answer is complete', () => {
    const res = new FakeResponse();
    const signal = abortOnDisconnect(requestWith(res));
    expect(signal.aborted).toBe(false);
    res.emit('close');
    expect(signal.aborted).toBe(true);
  });

  it('should not abort when the connection closes after a complete answer', () => {
    const res = new FakeResponse();
    const signal = abortOnDisconnect(requestWith(res));
    res.writableFinished = true;
    res.emit('close');
    expect(signal.aborted).toBe(false);
  });
});

describe(waitForDrain.name, () => {
  it.each(['drain', 'close'] as const)('should resolve on %s and remove both listeners', async (event) => {
    const res = new FakeResponse();
    let resolved = false;
    const waiting = waitForDrain(res).then(() => (resolved = true));
    await Promise.resolve();
    expect(resolved).toBe(false);
    res.emit(event);
    await waiting;
    expect(resolved).toBe(true);
    expect(res.listenerCount('drain') + res.listenerCount('close')).toBe(0);
  });
});
