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
    private readonly stream: ReadableStream<Uint8Array>,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The raw body as a web stream (single use). */
  get body(): ReadableStream<Uint8Array> {
    return this.stream;
  }

  /** Body chunks as they arrive. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    for await (const chunk of this.stream) yield chunk;
  }

  /** Body split on `\n` as it arrives (blank lines skipped). */
  async *lines(): AsyncGenerator<string> {
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of this.stream) {
      pending += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        if (line.length > 0) yield line;
      }
    }
    pending += decoder.decode();
    if (pending.trim().length > 0) yield pending;
  }

  /** Newline-delimited JSON objects as they arrive (Ollama's streaming format). */
  async *ndjson<T = unknown>(): AsyncGenerator<T> {
    for await (const line of this.lines()) yield JSON.parse(line) as T;
  }

  async text(): Promise<string> {
    const decoder = new TextDecoder();
    let out = '';
    for await (const chunk of this.stream) out += decoder.decode(chunk, { stream: true });
    return out + decoder.decode();
  }

  async json<T = unknown>(): Promise<T> {
    return JSON.parse(await this.text()) as T;
  }

  /** Stops reading and frees the connection. */
  async cancel(): Promise<void> {
    await this.stream.cancel();
  }
}
