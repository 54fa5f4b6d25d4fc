import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { get, Agent } from 'node:http';
import v8 from 'node:v8';
import { APP_INFO } from '../src/app.info';
import { AppModule } from '../src/app.module';
import { configurePlatformApp } from '../src/platform/http/configure-app';
import { SseBenchController } from './servers/sse-bench.controller';

@Module({})
class M {
  static forRoot(): DynamicModule {
    return { module: M, imports: [AppModule.forRoot()], controllers: [SseBenchController] };
  }
}

async function main() {
  const app = await NestFactory.create<NestExpressApplication>(M.forRoot(), { bufferLogs: true, bodyParser: false });
  configurePlatformApp(app, APP_INFO);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as { port: number }).port;
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const connect = (n: number) =>
    Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<void>((r) =>
            get({ host: '127.0.0.1', port, path: '/bench/sse/follow', agent }, (res) => {
              res.once('data', () => r());
            }),
          ),
      ),
    );
  await connect(20);
  (global as any).gc();
  (global as any).gc();
  const h0 = process.memoryUsage();
  await connect(2000);
  await new Promise((r) => setTimeout(r, 500));
  (global as any).gc();
  (global as any).gc();
  const h1 = process.memoryUsage();
  console.log(
    'heapUsed/stream KB',
    ((h1.heapUsed - h0.heapUsed) / 1024 / 2000).toFixed(2),
    'external/stream',
    ((h1.external - h0.external) / 1024 / 2000).toFixed(2),
    'rss/stream',
    ((h1.rss - h0.rss) / 1024 / 2000).toFixed(2),
  );
  if (process.env.SNAP) v8.writeHeapSnapshot('/tmp/sse.heapsnapshot');
  process.exit(0);
}
void main();
