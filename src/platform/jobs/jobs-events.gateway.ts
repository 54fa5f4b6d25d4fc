import { Inject, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { type Caller, hasRole } from '../context';
import { CallerResolver } from '../security';
import { activeTracer, extractContext, type Span, SpanKind, startSpan } from '../tracing';
import { jobProblemOf } from './job-problem';
import type { JobEvent, JobStateEventData } from './job.types';
import { jobsConfig, type JobsConfig } from './jobs.config';
import { InvalidJobQueryError } from './jobs.errors';
import { endsJob, JobsService } from './jobs.service';
import { JobsMetrics } from './jobs.metrics';

type AuthedRequest = IncomingMessage & { caller?: Caller };
type VerifyInfo = { req: IncomingMessage };
type VerifyCallback = (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT_CACHE_MAX = 10_000;

/**
 * Job events over WebSocket at `/jobs/ws`: the same events as `GET /jobs/{id}/events`, for one job
 * or for every job of the caller's tenant (every tenant's for admins) on one socket.
 *
 * Authenticated at the upgrade with the same credentials as HTTP (`Authorization: Bearer` API key
 * or JWT, or `x-api-key`): bad or missing credentials get an HTTP 401 and no socket.
 *
 * Client → server: `{"type":"subscribe","job":"<id>","after":<seq>}`, `{"type":"subscribe","all":true}`,
 * `{"type":"unsubscribe","job":"<id>"}` / `{"type":"unsubscribe","all":true}`.
 * Server → client: `{"type":"subscribed","all":true}` once an all-jobs subscription is live,
 * `{"type":"event","job","seq","event":"state"|"progress","data"}`, then per job
 * `{"type":"done","job","data":{state,result}}` or `{"type":"error","job","problem"}`;
 * `{"type":"error","problem"}` for a bad message.
 */
@WebSocketGateway({ path: '/jobs/ws' })
export class JobsEventsGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly logger = new Logger('jobs');

  constructor(
    private readonly jobs: JobsService,
    private readonly moduleRef: ModuleRef,
    @Inject(jobsConfig.KEY) private readonly config: JobsConfig,
    private readonly metrics: JobsMetrics,
  ) {}

  afterInit(server: WebSocketServer): void {
    this.metrics.readWebSocketsFrom(() => server.clients.size);
    const resolver = this.moduleRef.get(CallerResolver, { strict: false });
    // ws reads `verifyClient` at every upgrade: authenticating there answers bad credentials with
    // a plain HTTP 401 before any socket exists (the gateway options are static, the resolver is not).
    (server.options as { verifyClient?: (info: VerifyInfo, cb: VerifyCallback) => void }).verifyClient = (info, cb) => {
      resolver.resolve(info.req as never).then(
        (r) => {
          if (r.status === 'ok') {
            (info.req as AuthedRequest).caller = r.caller;
            cb(true);
          } else cb(false, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer' });
        },
        () => cb(false, 500, 'Internal Server Error'),
      );
    };
  }

  handleConnection(client: WebSocket, req: IncomingMessage): void {
    const caller = (req as AuthedRequest).caller;
    if (!caller) {
      client.close(1008, 'unauthenticated');
      return;
    }
    // With tracing on, the connection is a span (continuing the upgrade's traceparent) that ends with it.
    const span =
      activeTracer() === undefined
        ? undefined
        : startSpan('websocket /jobs/ws', {
            kind: SpanKind.SERVER,
            parent: extractContext(req.headers),
            attributes: { 'fennec.stream.protocol': 'websocket', 'fennec.tenant': caller.tenant },
          });
    new JobsSocketSession(client, caller, this.jobs, this.config, this.logger, span).start();
  }
}

/** One client's subscriptions, heartbeat and send bound. */
class JobsSocketSession {
  private readonly followed = new Map<string, AbortController>();
  private unsubscribeAll?: () => void;
  private readonly tenantOf = new Map<string, boolean>();
  private alive = true;
  private heartbeat?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly caller: Caller,
    private readonly jobs: JobsService,
    private readonly config: JobsConfig,
    private readonly logger: Logger,
    private readonly span?: Span,
  ) {}

  start(): void {
    this.ws.on('pong', () => (this.alive = true));
    this.ws.on('message', (raw: Buffer) => this.onMessage(raw));
    this.ws.on('close', () => this.teardown());
    this.ws.on('error', () => this.teardown());
    this.heartbeat = setInterval(() => {
      if (!this.alive) {
        this.logger.warn({ caller: this.caller.id }, 'WebSocket client missed its heartbeat; dropped');
        this.ws.terminate();
        return;
      }
      this.alive = false;
      this.ws.ping();
    }, this.config.wsHeartbeatMs);
    this.heartbeat.unref();
  }

  private onMessage(raw: Buffer): void {
    let msg: { type?: unknown; job?: unknown; all?: unknown; after?: unknown };
    try {
      msg = JSON.parse(raw.toString('utf8')) as typeof msg;
      if (typeof msg !== 'object' || msg === null) throw new Error('not an object');
    } catch {
      return this.sendProblem(undefined, 'messages must be JSON objects');
    }
    const after = msg.after === undefined ? 0 : Number(msg.after);
    if (!Number.isSafeInteger(after) || after < 0)
      return this.sendProblem(undefined, 'after must be a non-negative integer');
    if (msg.type === 'subscribe' && msg.all === true) return this.followAll();
    if (msg.type === 'unsubscribe' && msg.all === true) {
      this.unsubscribeAll?.();
      this.unsubscribeAll = undefined;
      return;
    }
    if ((msg.type === 'subscribe' || msg.type === 'unsubscribe') && typeof msg.job === 'string' && UUID.test(msg.job)) {
      if (msg.type === 'subscribe') void this.followJob(msg.job, after);
      else this.followed.get(msg.job)?.abort();
      return;
    }
    this.sendProblem(undefined, 'expected {"type":"subscribe"|"unsubscribe","job":"<uuid>"} or {"type":…,"all":true}');
  }

  private async followJob(id: string, after: number): Promise<void> {
    if (this.followed.has(id)) return;
    const ctl = new AbortController();
    this.followed.set(id, ctl);
    try {
      let terminal: JobStateEventData | undefined;
      for await (const e of this.jobs.follow(id, this.caller, after, ctl.signal)) {
        this.sendEvent(e);
        if (endsJob(e)) terminal = e.data as JobStateEventData;
      }
      if (ctl.signal.aborted || this.closed) return;
      const end = terminal ?? (await this.jobs.get(id, this.caller));
      if (end.state === 'succeeded')
        this.send({ type: 'done', job: id, data: { state: 'succeeded', result: end.result ?? null } });
      else if (end.problem) this.send({ type: 'error', job: id, problem: end.problem });
    } catch (err) {
      if (!this.closed) this.send({ type: 'error', job: id, problem: jobProblemOf(err) });
    } finally {
      this.followed.delete(id);
    }
  }

  /** Live events of every visible job; `{"type":"subscribed","all":true}` once other instances' arrive too. */
  private followAll(): void {
    if (this.unsubscribeAll) return;
    let stop: (() => void) | undefined;
    let stopped = false;
    this.unsubscribeAll = () => {
      stopped = true;
      stop?.();
    };
    // Other instances send this one only the caller's tenant's events (every tenant's for admins).
    void this.jobs
      .onAnyJobEvent(
        (e) => void this.forwardIfVisible(e),
        hasRole(this.caller, 'admin') ? undefined : this.caller.tenant,
      )
      .then((unsubscribe) => {
        stop = unsubscribe;
        if (stopped) unsubscribe();
        else this.send({ type: 'subscribed', all: true });
      });
  }

  private async forwardIfVisible(e: JobEvent): Promise<void> {
    let visible = this.tenantOf.get(e.jobId);
    if (visible === undefined) {
      visible = await this.jobs.get(e.jobId, this.caller).then(
        () => true,
        () => false,
      );
      if (this.tenantOf.size >= TENANT_CACHE_MAX) this.tenantOf.clear();
      this.tenantOf.set(e.jobId, visible);
    }
    if (visible && this.unsubscribeAll) this.sendEvent(e);
  }

  private sendEvent(e: JobEvent): void {
    this.send({
      type: 'event',
      job: e.jobId,
      seq: e.seq,
      event: e.type,
      data: { ...e.data, at: new Date(e.at).toISOString() },
    });
  }

  private sendProblem(job: string | undefined, detail: string): void {
    this.send({ type: 'error', ...(job ? { job } : {}), problem: jobProblemOf(new InvalidJobQueryError(detail)) });
  }

  /** Drops a client that does not read rather than buffering for it without bound. */
  private send(msg: object): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.config.wsMaxBufferedBytes) {
      this.logger.warn(
        { caller: this.caller.id, buffered: this.ws.bufferedAmount },
        'WebSocket client does not read; dropped',
      );
      this.ws.terminate();
      this.teardown();
      return;
    }
    this.ws.send(JSON.stringify(msg));
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const ctl of this.followed.values()) ctl.abort();
    this.unsubscribeAll?.();
    this.span?.end();
  }
}
