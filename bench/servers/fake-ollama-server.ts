import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { FakeOllama } from '../../test/fixtures/fake-ollama';

/**
 * The fake Ollama as its own process (bench:llm), recording when it writes each streamed chunk,
 * on a clock comparable across processes (timeOrigin + now). The bench asks for a stream's times
 * over IPC with the stream's id (sent as x-bench-id, or x-request-id through the gateway).
 */
async function main(): Promise<void> {
  // BENCH_REPLY_WORDS: answers of that many tokens (bench:llm:cpu), instead of the fake's short default.
  const words = Number(process.env.BENCH_REPLY_WORDS ?? 0);
  const fake = await FakeOllama.start({
    tokenLatencyMs: Number(process.env.BENCH_TOKEN_MS ?? 2),
    ...(words > 0 ? { reply: () => Array.from({ length: words }, (_, i) => `w${i % 100}`).join(' ') } : {}),
  });
  const sent = new Map<string, number[]>();
  const server = (fake as unknown as { server: Server }).server;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const id = (req.headers['x-bench-id'] ?? req.headers['x-request-id']) as string | undefined;
    if (id === undefined) return;
    const times: number[] = [];
    sent.set(id, times);
    const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      times.push(performance.timeOrigin + performance.now());
      return write(chunk, ...rest);
    }) as typeof res.write;
  });
  process.on('message', (id: string) => {
    process.send?.({ id, times: sent.get(id) ?? [] });
    sent.delete(id);
  });
  process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
  process.stdout.write(`READY ${fake.url}\n`);
}
void main();
