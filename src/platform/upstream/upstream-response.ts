import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** What {@link UpstreamResponse.forEachLine} calls per line; see there. */
export type LineHandler = (line: Buffer, terminated: Buffer) => void | false | Promise<void | false>;

const NEWLINE = 0x0a;
const CR = 0x0d;
const LF_BUFFER = Buffer.from('\n');

/**
 * An upstream's answer whose body has not been read yet. Read it once, in one of the ways below;
 * a streamed body (NDJSON from Ollama, SSE) can be consumed as it arrives. Breaking out of a
 * `for await` loop, or `cancel()`, releases the connection and the instance's bulkhead slot.
 * Errors while reading are `UpstreamTimeoutError` (total timeout), `UpstreamBadResponseError`
 * (the upstream broke off) or `UpstreamCallAbortedError` (the caller aborted).
 */
export class UpstreamResponse {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    /** Id of the instance that answered (never its URL). */
    readonly instance: string,
    /** How many attempts it took (1 = no failover). */
    readonly attempts: number,
    private readonly stream: Readable,
    /** Maps an error of the body stream to the pool's error for it. */
    private readonly errorOf: (err: unknown) => Error = (err) => err as Error,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The raw body as a web stream (single use). */
  get body(): ReadableStream<Uint8Array> {
    return Readable.toWeb(this.stream) as ReadableStream<Uint8Array>;
  }

  /** Body chunks as they arrive. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of this.stream) yield chunk as Buffer;
    } catch (err) {
      throw this.errorOf(err);
    }
  }

  /** Body split on `\n` as it arrives (blank lines skipped). */
  async *lines(): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8');
    let pending = '';
    for await (const chunk of this.chunks()) {
      pending += decoder.write(chunk);
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        if (line.length > 0) yield line;
      }
    }
    pending += decoder.end();
    if (pending.trim().length > 0) yield pending;
  }

  /**
   * The body's lines as they arrive, straight from the socket's data events: no promise, no
   * decoding and no copy per line, for relays that forward many small lines (an LLM's tokens).
   * `onLine` gets the line (without `\n` or `\r\n`; blank lines skipped) and the same bytes with
   * their line end, both views of the received chunk, valid during the call. If it returns a
   * promise (waiting for a slow client), reading pauses until it settles; `false` stops reading
   * and releases the connection.
   *
   * Hand-written rather than a line-splitting stream: a Transform per response adds a stream
   * hop and an allocation per line to the path this exists to keep cheap.
   *
   * @returns resolves at the end of the body (or once stopped); rejects with the pool's error if
   *   the body breaks off, or with what `onLine` threw (the connection is then released).
   */
  forEachLine(onLine: LineHandler): Promise<void> {
    const stream = this.stream;
    return new Promise<void>((resolve, reject) => {
      let rest: Buffer | undefined;
      let settled = false;
      const done = (err?: unknown) => {
        if (settled) return;
        settled = true;
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.off('error', onError);
        stream.off('close', onClose);
        if (err !== undefined) {
          stream.destroy();
          reject(err instanceof Error ? err : new Error('Reading the upstream body failed', { cause: err }));
        } else resolve();
      };
      const stop = () => {
        stream.destroy();
        done();
      };
      /** Delivers the complete lines of `buf` from `from`; false when it paused or stopped. */
      const scan = (buf: Buffer, from: number): boolean => {
        for (let nl = buf.indexOf(NEWLINE, from); nl >= 0; nl = buf.indexOf(NEWLINE, from)) {
          const start = from;
          const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
          from = nl + 1;
          if (end === start) continue;
          if (!deliver(buf.subarray(start, end), buf.subarray(start, from), () => resumeAt(buf, from))) return false;
        }
        rest = from < buf.length ? buf.subarray(from) : undefined;
        return true;
      };
      /** Calls onLine; false when it stopped reading or returned a promise (then `next` follows). */
      const deliver = (line: Buffer, terminated: Buffer, next: () => void): boolean => {
        let out: ReturnType<LineHandler>;
        try {
          out = onLine(line, terminated);
        } catch (err) {
          done(err);
          return false;
        }
        if (out === false) {
          stop();
          return false;
        }
        if (out === undefined) return true;
        stream.pause();
        out.then((v) => (v === false ? stop() : next()), done);
        return false;
      };
      const resumeAt = (buf: Buffer, from: number) => {
        if (settled || !scan(buf, from)) return;
        if (stream.readableEnded) onEnd();
        else stream.resume();
      };
      const onData = (chunk: Buffer) => {
        const buf = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
        rest = undefined;
        scan(buf, 0);
      };
      const onEnd = () => {
        if (settled) return;
        const last = rest;
        rest = undefined;
        const tail = last?.toString().trim();
        if (last === undefined || tail === '') return done();
        const line = Buffer.from(tail!);
        if (deliver(line, Buffer.concat([line, LF_BUFFER]), () => done())) done();
      };
      const onError = (err: unknown) => done(this.errorOf(err));
      // Destroyed by someone else (cancel()) before its end: nothing more will come.
      const onClose = () => {
        if (!stream.readableEnded) done();
      };
      stream.on('data', onData);
      stream.on('end', onEnd);
      stream.on('error', onError);
      stream.on('close', onClose);
    });
  }

  /** Newline-delimited JSON objects as they arrive (Ollama's streaming format). */
  async *ndjson<T = unknown>(): AsyncGenerator<T> {
    for await (const line of this.lines()) yield JSON.parse(line) as T;
  }

  async text(): Promise<string> {
    const decoder = new StringDecoder('utf8');
    let out = '';
    for await (const chunk of this.chunks()) out += decoder.write(chunk);
    return out + decoder.end();
  }

  async json<T = unknown>(): Promise<T> {
    return JSON.parse(await this.text()) as T;
  }

  /** Stops reading and frees the connection. */
  cancel(): Promise<void> {
    this.stream.destroy();
    return Promise.resolve();
  }
}
