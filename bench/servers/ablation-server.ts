import 'reflect-metadata';
import {
  Controller,
  Get,
  Injectable,
  type MiddlewareConsumer,
  Module,
  type NestMiddleware,
  type NestModule,
  Query,
  RequestMethod,
  ValidationPipe,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import { PingQuery } from './bench.controller';

/**
 * Bare NestJS plus the features named in ABLATION (comma-separated: helmet, log, validation,
 * als, middleware), each as a typical app would add it, so bench/http-ablation.bench.ts can
 * price them one at a time.
 */
const features = new Set((process.env.ABLATION ?? '').split(',').filter(Boolean));
const ALL = { path: '{/*splat}', method: RequestMethod.ALL };

@Controller('bench')
class AblationController {
  @Get('ping')
  ping(@Query() query: PingQuery) {
    return { ok: true, name: query.name ?? 'world' };
  }
}

@Injectable()
class NoopMiddleware implements NestMiddleware {
  use(_req: unknown, _res: unknown, next: () => void): void {
    next();
  }
}

const storage = new AsyncLocalStorage<object>();

@Module({ controllers: [AblationController], providers: [NoopMiddleware] })
class AblationModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    if (features.has('middleware'))
      consumer.apply(...Array<typeof NoopMiddleware>(6).fill(NoopMiddleware)).forRoutes(ALL);
    if (features.has('als'))
      consumer.apply((_q: unknown, _s: unknown, next: () => void) => storage.run({}, next)).forRoutes(ALL);
  }
}

async function main(): Promise<void> {
  const app = await NestFactory.create(AblationModule, { logger: false });
  if (features.has('helmet')) app.use(helmet());
  if (features.has('leanlog')) {
    const logger = pino({ level: 'info' }, pino.destination({ dest: 1, sync: false }));
    app.use(
      (
        req: { method: string; url: string; headers: Record<string, unknown> },
        res: { once(e: string, f: () => void): void; statusCode: number; setHeader(k: string, v: string): void },
        next: () => void,
      ) => {
        const started = performance.now();
        const id = randomUUID();
        res.setHeader('x-request-id', id);
        res.once('finish', () =>
          logger.info(
            {
              requestId: id,
              req: { method: req.method, url: req.url },
              res: { statusCode: res.statusCode },
              responseTime: Math.round(performance.now() - started),
            },
            'request completed',
          ),
        );
        next();
      },
    );
  }
  if (features.has('logbuf'))
    app.use(pinoHttp({ quietReqLogger: true }, pino.destination({ dest: 1, sync: false, minLength: 4096 })));
  if (features.has('log')) app.use(pinoHttp({ quietReqLogger: true }, pino.destination({ dest: 1, sync: false })));
  if (features.has('validation'))
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`READY ${(app.getHttpServer().address() as { port: number }).port}\n`);
}
void main();
