import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { LifecyclePhaseService } from './lifecycle-phase.service';

/**
 * While draining, every response (including those of requests that began before the drain) says
 * `Connection: close`, so keep-alive sockets end after their in-flight request instead of idling:
 * `server.close()` then neither waits on them nor resets a request a client sends on a socket it
 * believed open. The check runs when headers are written, not when the request arrives.
 */
@Injectable()
export class DrainConnectionsMiddleware implements NestMiddleware {
  constructor(private readonly lifecycle: LifecyclePhaseService) {}

  use(_req: Request, res: Response, next: NextFunction): void {
    const lifecycle = this.lifecycle;
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
      if (lifecycle.phase === 'draining' && !this.headersSent) this.setHeader('Connection', 'close');
      return writeHead.apply(this, args);
    } as Response['writeHead'];
    next();
  }
}
