import { PassThrough } from 'node:stream';
import { UpstreamResponse } from './upstream-response';
import { UpstreamBadResponseError } from './upstream.errors';

/** A response whose body the test writes chunk by chunk. */
function responseWith(errorOf?: (err: unknown) => Error) {
  const body = new PassThrough();
  return { body, res: new UpstreamResponse(200, new Headers(), 'i1', 1, body, errorOf) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe(UpstreamResponse.name, () => {
  describe('forEachLine', () => {
    it('should deliver lines split across and within chunks, without line ends, skipping blank lines', async () => {
      const { body, res } = responseWith();
      const lines: string[] = [];
      const terminated: string[] = [];
      const reading = res.forEachLine((line, withEnd) => {
        lines.push(line.toString());
        terminated.push(withEnd.toString());
      });
      body.write('{"a":1}\n{"b"');
      body.write(':2}\r\n\n{"c":3}\n');
      body.end('{"d":4}');
      await reading;
      expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}']);
      expect(terminated).toEqual(['{"a":1}\n', '{"b":2}\r\n', '{"c":3}\n', '{"d":4}\n']);
    });

    it('should pause reading while the handler’s promise is pending, then go on in order', async () => {
      const { body, res } = responseWith();
      const seen: string[] = [];
      let release!: () => void;
      const reading = res.forEachLine((line) => {
        seen.push(line.toString());
        if (seen.length === 1) return new Promise<void>((r) => (release = r));
      });
      body.write('one\ntwo\n');
      body.write('three\n');
      await tick();
      expect(seen).toEqual(['one']);
      expect(body.isPaused()).toBe(true);
      release();
      body.end();
      await reading;
      expect(seen).toEqual(['one', 'two', 'three']);
    });

    it('should stop reading and destroy the body when the handler returns false', async () => {
      const { body, res } = responseWith();
      const seen: string[] = [];
      const reading = res.forEachLine((line) => {
        seen.push(line.toString());
        return false;
      });
      body.write('one\ntwo\n');
      await reading;
      expect(seen).toEqual(['one']);
      expect(body.destroyed).toBe(true);
    });

    it('should reject with what the handler threw and release the body', async () => {
      const { body, res } = responseWith();
      const reading = res.forEachLine(() => {
        throw new Error('bad line');
      });
      body.write('x\n');
      await expect(reading).rejects.toThrow('bad line');
      expect(body.destroyed).toBe(true);
    });

    it("should reject with the pool's error when the body breaks off", async () => {
      const mapped = new UpstreamBadResponseError('Upstream "p" broke off its response');
      const { body, res } = responseWith(() => mapped);
      const reading = res.forEachLine(() => undefined);
      body.write('x\n');
      await tick();
      body.destroy(new Error('socket hang up'));
      await expect(reading).rejects.toBe(mapped);
    });
  });

  it('should split lines() and read text() across chunks', async () => {
    const a = responseWith();
    a.body.end('é1\n\né2\r\nlast');
    const lines: string[] = [];
    for await (const l of a.res.lines()) lines.push(l);
    expect(lines).toEqual(['é1', 'é2', 'last']);

    const b = responseWith();
    const euro = Buffer.from('€');
    b.body.write(euro.subarray(0, 1));
    b.body.end(euro.subarray(1));
    expect(await b.res.text()).toBe('€');
  });
});
