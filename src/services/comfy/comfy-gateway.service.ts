import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ManagedService, type ManagedLifecycle, type ServiceHealthReport } from '../../platform/registry';
import { instanceIdOf, type UpstreamPool, UpstreamPools } from '../../platform/upstream';
import { comfyConfig, type ComfyConfig } from './comfy.config';
import { ComfyUnavailableError } from './comfy.errors';
import type { HistoryEntry, ObjectInfo } from './comfy.types';
import { ComfyClient } from './instances/comfy-client';
import { ComfySocket } from './instances/comfy-socket';
import type { PromptEvent } from './instances/prompt-events';
import { PromptTracker } from './instances/prompt-tracker';

export const COMFY_SERVICE = 'comfy';
export const COMFY_POOL = 'comfy';

interface InstanceState {
  id: string;
  socket: ComfySocket;
  /** When the socket last went down (undefined while connected). */
  downSince?: number;
  lostTimer?: NodeJS.Timeout;
  queueRemaining?: number;
}

/**
 * The ComfyUI servers as a managed service: the upstream pool (HTTP), one WebSocket per server
 * (progress), the prompt tracker that routes their messages to jobs, and `object_info` cached per
 * server. It starts without any server reachable (or configured) and reports DOWN; its routes then
 * answer 503 and the rest of Fennec is unaffected.
 */
@ManagedService({
  name: COMFY_SERVICE,
  critical: false,
  dependsOn: ['upstreams', 'jobs', 'images'],
  description:
    'ComfyUI: validated workflows and templates run as jobs on a pool of servers, outputs to the image store',
  healthTtlMs: 1_000,
})
@Injectable()
export class ComfyGateway implements ManagedLifecycle {
  private readonly logger = new Logger('comfy');
  /** ComfyUI sends progress only to the submitting client id: one per Fennec process, on every server. */
  readonly clientId = `fennec-${randomUUID()}`;
  readonly tracker = new PromptTracker();
  private readonly instances = new Map<string, InstanceState>();
  private readonly objectInfoCache = new Map<string, { info: ObjectInfo; expires: number }>();
  private readonly objectInfoLoads = new Map<string, Promise<ObjectInfo>>();
  private pool?: UpstreamPool;
  private comfyClient?: ComfyClient;
  private running = false;

  constructor(
    @Inject(comfyConfig.KEY) readonly config: ComfyConfig,
    private readonly pools: UpstreamPools,
  ) {}

  start(): Promise<void> {
    const { instances, strategy, requestTimeoutMs } = this.config;
    this.running = true;
    if (instances.length === 0) {
      this.logger.warn('COMFY_URLS is empty: the comfy routes answer 503');
      return Promise.resolve();
    }
    this.pool =
      this.pools.get(COMFY_POOL) ??
      this.pools.create(COMFY_POOL, {
        instances,
        strategy,
        timeouts: { firstByteMs: requestTimeoutMs },
        // Prompts are queued by ComfyUI itself: many calls in flight to one server are normal.
        maxConcurrentPerInstance: 256,
      });
    this.comfyClient = new ComfyClient(this.pool, requestTimeoutMs);
    for (const config of instances) {
      const id = instanceIdOf(config);
      const socket = new ComfySocket(
        id,
        config.url,
        this.clientId,
        { minMs: this.config.reconnectMinMs, maxMs: this.config.reconnectMaxMs },
        {
          message: (m) => {
            if (m.type === 'status') this.state(id).queueRemaining = m.data.status?.exec_info?.queue_remaining;
            this.tracker.onMessage(id, m);
          },
          preview: (image, mime) => this.tracker.onPreview(id, image, mime),
          connection: (up) => this.onConnection(id, up),
        },
      );
      this.instances.set(id, { id, socket, downSince: Date.now() });
      this.armLostTimer(this.state(id));
      socket.start();
    }
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const s of this.instances.values()) {
      if (s.lostTimer) clearTimeout(s.lostTimer);
      s.socket.stop();
    }
    this.instances.clear();
    this.pool = undefined;
    this.comfyClient = undefined;
    await this.pools.remove(COMFY_POOL);
  }

  checkHealth(): Promise<ServiceHealthReport> {
    const instances = [...this.instances.values()].map((s) => ({
      id: s.id,
      connected: s.socket.connected,
      queueRemaining: s.queueRemaining,
    }));
    const up = instances.filter((i) => i.connected).length;
    const details = { up, total: instances.length, instances };
    if (instances.length === 0)
      return Promise.resolve({ status: 'DOWN', reason: 'no ComfyUI server configured', details });
    if (up === 0) return Promise.resolve({ status: 'DOWN', reason: 'no ComfyUI server reachable', details });
    if (up < instances.length) {
      return Promise.resolve({
        status: 'DEGRADED',
        reason: `${instances.length - up} ComfyUI server(s) unreachable`,
        details,
      });
    }
    return Promise.resolve({ status: 'UP', details });
  }

  /**
   * The HTTP client, when some server can be used.
   *
   * @throws ComfyUnavailableError not running, no server configured, or none connected
   */
  client(): ComfyClient {
    if (!this.running || this.comfyClient === undefined) {
      throw new ComfyUnavailableError('No ComfyUI server is configured (COMFY_URLS)', { retryAfterSeconds: 30 });
    }
    if (![...this.instances.values()].some((s) => s.socket.connected)) {
      throw new ComfyUnavailableError('No ComfyUI server is reachable right now', { retryAfterSeconds: 5 });
    }
    return this.comfyClient;
  }

  /** Connected servers' ids, in configured order. */
  connectedInstances(): string[] {
    return [...this.instances.values()].filter((s) => s.socket.connected).map((s) => s.id);
  }

  isConnected(instance: string): boolean {
    return this.instances.get(instance)?.socket.connected ?? false;
  }

  /**
   * A server's `object_info`, cached for COMFY_OBJECT_INFO_TTL_MS (concurrent misses share one
   * load). Without `instance`: any connected server's, cached first.
   */
  async objectInfo(instance?: string, signal?: AbortSignal): Promise<{ instance: string; info: ObjectInfo }> {
    const client = this.client();
    const now = Date.now();
    const candidates = instance ? [instance] : this.connectedInstances();
    for (const id of candidates) {
      const hit = this.objectInfoCache.get(id);
      if (hit && hit.expires > now) return { instance: id, info: hit.info };
    }
    const id = candidates[0];
    if (id === undefined)
      throw new ComfyUnavailableError('No ComfyUI server is reachable right now', { retryAfterSeconds: 5 });
    let load = this.objectInfoLoads.get(id);
    if (load === undefined) {
      load = client
        .objectInfo({ instance: id, signal })
        .then(({ info }) => {
          this.objectInfoCache.set(id, { info, expires: Date.now() + this.config.objectInfoTtlMs });
          return info;
        })
        .finally(() => this.objectInfoLoads.delete(id));
      this.objectInfoLoads.set(id, load);
    }
    return { instance: id, info: await load };
  }

  private state(id: string): InstanceState {
    const s = this.instances.get(id);
    if (s === undefined) throw new Error(`unknown ComfyUI instance ${id}`);
    return s;
  }

  private onConnection(id: string, up: boolean): void {
    const s = this.instances.get(id);
    if (s === undefined) return;
    if (up) {
      if (s.lostTimer) clearTimeout(s.lostTimer);
      s.lostTimer = undefined;
      const wasDown = s.downSince !== undefined;
      s.downSince = undefined;
      this.logger.log({ instance: id }, 'ComfyUI WebSocket connected');
      if (wasDown) void this.recover(id);
    } else {
      s.downSince = Date.now();
      this.tracker.forget(id);
      this.logger.warn({ instance: id }, 'ComfyUI WebSocket lost; reconnecting');
      this.armLostTimer(s);
    }
  }

  /**
   * After a reconnect (or while the socket stays down but HTTP answers), messages sent meanwhile
   * are gone: each prompt followed on that server is looked up. Finished ones are completed from
   * the history; ones the server no longer knows (neither queued nor in its history: it
   * restarted) are lost. The queue is read first and only prompts accepted before it was read are
   * judged, so a prompt moving from queue to history in between is never taken for unknown.
   *
   * @returns false when the server did not answer
   */
  private async recover(id: string): Promise<boolean> {
    const client = this.comfyClient;
    if (client === undefined) return false;
    const prompts = this.tracker.promptsOn(id);
    if (prompts.length === 0) return true;
    const signal = () => AbortSignal.timeout(this.config.requestTimeoutMs);
    let queued: Set<string>;
    try {
      const q = await client.queue({ instance: id, signal: signal() });
      queued = new Set([...(q.queue_running ?? []), ...(q.queue_pending ?? [])].map((item) => String(item[1])));
    } catch {
      return false;
    }
    for (const promptId of prompts) {
      try {
        const entry = await client.history(promptId, { instance: id, signal: signal() });
        if (entry === undefined) {
          if (!queued.has(promptId)) this.tracker.emit(promptId, { kind: 'lost' });
        } else if (entry.status?.completed || entry.status?.status_str === 'success') {
          this.tracker.emit(promptId, { kind: 'done' });
        } else if (entry.status?.status_str === 'error') {
          this.tracker.emit(promptId, failureOf(entry));
        }
      } catch {
        return false;
      }
    }
    return true;
  }

  /**
   * A server whose socket stays down for COMFY_INSTANCE_LOST_MS is asked over HTTP: prompts it
   * finished are completed from its history, prompts still in its queue are waited for (another
   * period), and if it does not answer at all, its watched prompts are lost.
   */
  private armLostTimer(s: InstanceState): void {
    if (s.lostTimer) clearTimeout(s.lostTimer);
    s.lostTimer = setTimeout(() => void this.checkLost(s), this.config.instanceLostMs);
    s.lostTimer.unref();
  }

  private async checkLost(s: InstanceState): Promise<void> {
    s.lostTimer = undefined;
    if (s.downSince === undefined || !this.running) return;
    const answered = await this.recover(s.id);
    if (s.downSince === undefined) return; // reconnected meanwhile: its own recover() ran
    if (!answered) {
      const prompts = this.tracker.promptsOn(s.id);
      if (prompts.length > 0) this.logger.warn({ instance: s.id, prompts: prompts.length }, 'ComfyUI server lost');
      for (const promptId of prompts) this.tracker.emit(promptId, { kind: 'lost' });
    }
    this.armLostTimer(s);
  }
}

/** The `failed` or `interrupted` event a history entry with `status_str: error` stands for. */
function failureOf(entry: HistoryEntry): PromptEvent {
  const failure = entry.status?.messages.find(
    ([type]) => type === 'execution_error' || type === 'execution_interrupted',
  );
  if (failure?.[0] === 'execution_interrupted') return { kind: 'interrupted' };
  const data = (failure?.[1] ?? {}) as { node_id?: string; node_type?: string; exception_message?: string };
  return {
    kind: 'failed',
    node: data.node_id,
    nodeType: data.node_type,
    message: data.exception_message ?? 'execution failed',
  };
}
