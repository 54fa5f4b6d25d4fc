import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { LifecyclePhaseService } from './lifecycle-phase.service';

type WriteHead = ServerResponse['writeHead'];

/**
 * While draining, every response (including those of requests that began before the drain) says
 * `Connection: close`, so keep-alive sockets end after their in-flight request instead of idling:
 * `server.close()` then neither waits on them nor resets a request a client sends on a socket it
 * believed open. The check runs when headers are written, not when the request arrives.
 *
 * Installed once on the Express app's response prototype (`app.response`, which Express gives
 * every response of this app) instead of wrapping `writeHead` per request: no closure and no
 * middleware layer on the request path.
 */
@Injectable()
export class DrainConnections implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly lifecycle: LifecyclePhaseService,
  ) {}

  onModuleInit(): void {
    const app = this.adapterHost.httpAdapter?.getInstance<{ response?: ServerResponse }>();
    const proto = app?.response;
    if (!proto || typeof proto.writeHead !== 'function') return; // not an Express app (e.g. a script)
    const lifecycle = this.lifecycle;
    const writeHead = proto.writeHead;
    proto.writeHead = function (this: ServerResponse, ...args: Parameters<WriteHead>) {
      if (lifecycle.phase === 'draining' && !this.headersSent) this.setHeader('Connection', 'close');
      return writeHead.apply(this, args);
    } as WriteHead;
  }
}
