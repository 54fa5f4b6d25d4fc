import { Writable } from 'node:stream';

/** A pino destination that keeps every JSON line, for asserting on logs. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  }

  /** Log lines that carry the given request id (as `requestId`: the completion line and every line of the request). */
  forRequest(id: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.requestId === id || (l.req as { id?: string } | undefined)?.id === id);
  }
}
