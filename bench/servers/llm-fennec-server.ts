import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { APP_INFO } from '../../src/app.info';
import { AppModule } from '../../src/app.module';
import { configurePlatformApp } from '../../src/platform/configure-app';

/** The whole Fennec app (LLM gateway included), pointed at OLLAMA_URLS (bench:llm). */
async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bufferLogs: true,
    bodyParser: false,
  });
  configurePlatformApp(app, APP_INFO);
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`READY ${(app.getHttpServer().address() as { port: number }).port}\n`);
  // Exit normally on SIGTERM, so a --cpu-prof profile (BENCH_CPU_PROF) gets written.
  process.once('SIGTERM', () => process.exit(0));
}
void main();
// bench:llm:cpu asks for this process's CPU time over IPC (when started with an IPC channel).
process.on('message', () => process.send?.(process.cpuUsage()));
