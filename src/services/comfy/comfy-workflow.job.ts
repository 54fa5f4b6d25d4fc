import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type JobContext, JobKind, type JobKindHandler } from '../../platform/jobs';
import { IMAGE_STORE, type ImageStore } from '../images';
import { ComfyGateway } from './comfy-gateway.service';
import { COMFY_JOB_KIND, type ComfyJobImage, type ComfyJobPayload, type ComfyJobResult } from './comfy-job.types';
import {
  ComfyBadResponseError,
  ComfyExecutionError,
  ComfyInstanceLostError,
  ComfyInterruptedError,
} from './comfy.errors';
import type { ApiWorkflow, ComfyFileRef } from './comfy.types';
import type { ComfyClient } from './instances/comfy-client';

/** Ends one prompt: it finished, or its server is gone (then it may be sent elsewhere). */
type Outcome = { kind: 'done' } | { kind: 'lost' };

/**
 * Runs one workflow on a ComfyUI server: uploads input images, submits the prompt, turns the
 * server's WebSocket messages into job progress, downloads the outputs from `/view` into the
 * image store, and answers the stored image ids. Every follow-up call goes to the server that
 * accepted the prompt. Cancel: a prompt still queued there is deleted from the queue (the one
 * running is left alone); the running one is interrupted by its prompt id.
 *
 * Concurrency 64: a running job mostly waits on ComfyUI's own queue, so many run per process.
 */
@JobKind({ name: COMFY_JOB_KIND, concurrency: 64, timeoutMs: 2 * 3_600_000, description: 'ComfyUI workflow' })
@Injectable()
export class ComfyWorkflowJob implements JobKindHandler<ComfyJobPayload, ComfyJobResult> {
  private readonly logger = new Logger('comfy');

  constructor(
    private readonly gateway: ComfyGateway,
    @Inject(IMAGE_STORE) private readonly images: ImageStore,
  ) {}

  async run(payload: ComfyJobPayload, ctx: JobContext): Promise<ComfyJobResult> {
    const client = this.gateway.client();
    const maxSubmissions = payload.idempotent ? 1 + Math.max(1, this.gateway.config.instances.length - 1) : 1;
    for (let submission = 1; ; submission++) {
      const promptId = randomUUID();
      const events = this.gateway.tracker.watch(promptId);
      try {
        const workflow = structuredClone(payload.workflow);
        const pinned = await this.uploadInputs(client, payload, workflow, ctx);
        const { instance } = await client.submit(workflow, this.gateway.clientId, promptId, {
          instance: pinned,
          signal: ctx.signal,
        });
        this.gateway.tracker.accepted(promptId, instance);
        ctx.progress({ value: 0, stage: 'queued', message: `queued on ${instance}` });
        const outcome = await this.follow(client, instance, promptId, payload.workflow, events, ctx);
        if (outcome.kind === 'lost') {
          if (submission < maxSubmissions) {
            this.logger.warn(
              { job: ctx.jobId, instance },
              'ComfyUI server lost mid-job; resubmitting (idempotent template)',
            );
            ctx.progress({
              value: 0,
              stage: 'resubmitting',
              message: `${instance} was lost; sending the prompt again`,
            });
            continue;
          }
          throw new ComfyInstanceLostError(
            `ComfyUI server ${instance} became unreachable while running the prompt${payload.idempotent ? ' and no other server could take it' : ''}`,
          );
        }
        const images = await this.ingest(client, instance, promptId, ctx);
        return { promptId, instance, submissions: submission, template: payload.template, images };
      } finally {
        this.gateway.tracker.unwatch(promptId);
      }
    }
  }

  /** Uploads image inputs (the first picks the server, the rest follow it); returns that server. */
  private async uploadInputs(
    client: ComfyClient,
    payload: ComfyJobPayload,
    workflow: ApiWorkflow,
    ctx: JobContext,
  ): Promise<string | undefined> {
    let instance: string | undefined;
    for (const input of payload.images) {
      const record = await this.images.find(ctx.tenant, input.imageId);
      const bytes = await readFile(await this.images.originalPath(ctx.tenant, input.imageId));
      const uploaded = await client.upload(bytes, `fennec-${input.imageId}.${record?.format ?? 'png'}`, {
        instance,
        signal: ctx.signal,
      });
      instance = uploaded.instance;
      for (const t of input.targets) workflow[t.node].inputs[t.input] = uploaded.name;
    }
    return instance;
  }

  private async follow(
    client: ComfyClient,
    instance: string,
    promptId: string,
    workflow: ApiWorkflow,
    events: ReturnType<ComfyGateway['tracker']['watch']>,
    ctx: JobContext,
  ): Promise<Outcome> {
    const classOf = (node?: string) => (node && workflow[node]?.class_type) || 'node';
    const total = Object.keys(workflow).length;
    const done = new Set<string>();
    // Node changes and previews are reported at most once per COMFY_PROGRESS_INTERVAL_MS each (every
    // event is stored with the job); sampling steps always are.
    const last = { node: 0, preview: 0 };
    const due = (what: keyof typeof last) => {
      const now = Date.now();
      if (now - last[what] < this.gateway.config.progressIntervalMs) return false;
      last[what] = now;
      return true;
    };
    // The server may have finished before this point if the socket was down: look once.
    if (!this.gateway.isConnected(instance)) void this.checkHistory(client, instance, promptId);
    for (;;) {
      let event;
      try {
        event = await events.next(ctx.signal);
      } catch (err) {
        await this.cancel(client, instance, promptId);
        throw err;
      }
      switch (event.kind) {
        case 'started':
          ctx.progress({ value: 0, max: total, stage: 'running', message: `running on ${instance}` });
          break;
        case 'cached':
          event.nodes.forEach((n) => done.add(n));
          break;
        case 'executing':
          done.add(event.node);
          if (!due('node')) break;
          ctx.progress({
            value: done.size - 1,
            max: total,
            stage: 'executing',
            message: `node ${event.node} (${classOf(event.node)})`,
          });
          break;
        case 'progress':
          ctx.progress({
            value: event.value,
            max: event.max,
            stage: classOf(event.node),
            message: `node ${event.node ?? '?'} (${classOf(event.node)}) step ${event.value}/${event.max}`,
          });
          break;
        case 'preview':
          if (
            this.gateway.config.previews &&
            event.image.length <= this.gateway.config.previewMaxBytes &&
            due('preview')
          ) {
            ctx.progress({
              value: done.size,
              max: total,
              stage: 'preview',
              preview: `data:${event.mime};base64,${event.image.toString('base64')}`,
            });
          }
          break;
        case 'executed':
          break;
        case 'done':
          return { kind: 'done' };
        case 'lost':
          return { kind: 'lost' };
        case 'failed':
          throw new ComfyExecutionError(
            `ComfyUI failed at node ${event.node ?? '?'} (${event.nodeType ?? 'unknown'}): ${event.message}`,
          );
        case 'interrupted':
          throw new ComfyInterruptedError('The prompt was interrupted on the ComfyUI server');
      }
    }
  }

  private async checkHistory(client: ComfyClient, instance: string, promptId: string): Promise<void> {
    try {
      const entry = await client.history(promptId, { instance });
      if (entry?.status?.completed) this.gateway.tracker.emit(promptId, { kind: 'done' });
    } catch {
      return; // the reconnect or the lost timer decides
    }
  }

  /**
   * Cancel on the server: interrupt the prompt if it is the one running, otherwise delete it from
   * the queue. Never a bare `/interrupt`: that would stop whichever prompt runs now.
   */
  private async cancel(client: ComfyClient, instance: string, promptId: string): Promise<void> {
    const signal = AbortSignal.timeout(this.gateway.config.requestTimeoutMs);
    try {
      const queue = await client.queue({ instance, signal });
      const running = (queue.queue_running ?? []).some((item) => item[1] === promptId);
      if (running) await client.interrupt(promptId, { instance, signal });
      else await client.deleteQueued([promptId], { instance, signal });
      this.logger.log(
        { instance, promptId, running },
        running ? 'interrupted the running prompt' : 'removed the queued prompt',
      );
    } catch (err) {
      this.logger.warn({ instance, promptId, err: (err as Error).message }, 'could not cancel the prompt on ComfyUI');
    }
  }

  /** Downloads every output image in the prompt's history and stores it (exact duplicates are found, not stored twice). */
  private async ingest(
    client: ComfyClient,
    instance: string,
    promptId: string,
    ctx: JobContext,
  ): Promise<ComfyJobImage[]> {
    const entry = await client.history(promptId, { instance, signal: ctx.signal });
    if (entry === undefined) throw new ComfyBadResponseError('ComfyUI has no history for the finished prompt');
    const refs: { node: string; ref: ComfyFileRef }[] = Object.entries(entry.outputs ?? {}).flatMap(([node, out]) =>
      (out.images ?? []).filter((r) => (r.type ?? 'output') === 'output').map((ref) => ({ node, ref })),
    );
    const images: ComfyJobImage[] = [];
    for (const [i, { node, ref }] of refs.entries()) {
      ctx.progress({ value: i, max: refs.length, stage: 'download', message: `storing ${ref.filename}` });
      const bytes = await client.view(ref, { instance, signal: ctx.signal });
      const stored = await this.images.put(ctx.tenant, bytes, { source: 'comfy', filename: ref.filename });
      images.push({
        id: stored.image.id,
        created: stored.created,
        nearDuplicates: stored.nearDuplicates,
        node,
        filename: ref.filename,
        width: stored.image.width,
        height: stored.image.height,
      });
    }
    return images;
  }
}
