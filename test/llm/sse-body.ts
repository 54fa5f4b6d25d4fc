import type request from 'supertest';

export interface SseEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** supertest parser that collects an SSE body as text. */
export const collectText = (res: request.Response, done: (err: Error | null, body: string) => void) => {
  const stream = res as unknown as NodeJS.ReadableStream;
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
  stream.on('end', () => done(null, text));
};

export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((f) => f.includes('event: '))
    .map((frame) => {
      const field = (name: string) => [...frame.matchAll(new RegExp(`^${name}: (.*)$`, 'gm'))][0]?.[1];
      return {
        id: field('id') ?? '',
        event: field('event') ?? '',
        data: JSON.parse(field('data') ?? 'null') as Record<string, unknown>,
      };
    });
}
