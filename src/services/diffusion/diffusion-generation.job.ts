import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { FennecError } from '../../platform/errors';
import { type JobContext, JobKindRegistry } from '../../platform/jobs';
import type { UpstreamReservation } from '../../platform/upstream';
import { IMAGE_STORE, type ImageStore } from '../images';
import { A1111 } from './a1111-client';
import type { A1111GenerationRequest, A1111Info } from './a1111.types';
import { DiffusionGateway } from './diffusion.service';
import { DiffusionGenerationFailedError, DiffusionModelMismatchError, DiffusionTimeoutError } from './diffusion.errors';
import type { GenerationJobPayload, GenerationParams } from './generation-plan';

export const DIFFUSION_JOB_KIND = 'diffusion.generate';

/** One stored output image. */
export interface GeneratedImage {
  /** The image's id in the image store (`GET /v1/images/{id}/content`). */
  id: string;
  seed: number;
  width: number;
  height: number;
  /** False when the store already held these bytes (exact duplicate: `id` is the existing image). */
  created: boolean;
}

/** A job's result: per prompt, the model that ran and the stored images. */
export interface GenerationJobResult {
  instance: string;
  model: string | null;
  items: { prompt: string; seeds: number[]; images: GeneratedImage[] }[];
}

/**
 * The `diffusion.generate` job kind: reserves an idle instance, runs the job's prompts on it one
 * after another, turns `GET /sdapi/v1/progress` into job progress while each runs, interrupts
 * the instance on cancel or timeout (and waits until it is idle before giving it back), checks
 * that the model asked for is the one that ran, and puts every image in the image store.
 *
 * Registered in code rather than with `@JobKind`: it runs as many jobs at once as there are
 * instances (DIFFUSION_URLS), on this process and over the cluster, so the rest wait in the
 * platform queue with their position.
 */
@Injectable()
export class DiffusionGenerationJob implements OnModuleInit {
  private readonly logger = new Logger('diffusion');

  constructor(
    private readonly gateway: DiffusionGateway,
    private readonly kinds: JobKindRegistry,
    @Inject(IMAGE_STORE) private readonly images: ImageStore,
  ) {}

  onModuleInit(): void {
    const { generationTimeoutMs, maxPrompts } = this.gateway.config;
    this.kinds.register<GenerationJobPayload, GenerationJobResult>(
      {
        name: DIFFUSION_JOB_KIND,
        concurrency: this.gateway.slots,
        clusterConcurrency: this.gateway.slots,
        timeoutMs: Math.min(24 * 3_600_000, generationTimeoutMs * maxPrompts + 60_000),
        // Running a generation again after a crash is harmless (same seeds dedup in the store).
        idempotent: true,
        description: 'Image generation on an AUTOMATIC1111 / Forge instance',
      },
      (payload, ctx) => this.run(payload, ctx),
    );
  }

  async run(payload: GenerationJobPayload, ctx: JobContext): Promise<GenerationJobResult> {
    // Progress events are stored durably: report the wait only when there is one.
    const slot = await this.gateway.acquire(ctx.signal, () =>
      ctx.progress({ value: 0, max: 100, stage: 'waiting', message: 'waiting for an idle instance' }),
    );
    try {
      await this.untilIdle(slot, ctx);
      const init = await this.initImages(payload.params, ctx.tenant);
      const items: GenerationJobResult['items'] = [];
      let model: string | null = payload.params.model?.model_name ?? null;
      for (const [i, p] of payload.prompts.entries()) {
        const body: A1111GenerationRequest = {
          prompt: p.prompt,
          negative_prompt: p.negative_prompt,
          seed: p.seed,
          steps: payload.params.steps,
          cfg_scale: payload.params.cfg_scale,
          width: payload.params.width,
          height: payload.params.height,
          sampler_name: payload.params.sampler_name,
          ...(payload.params.scheduler ? { scheduler: payload.params.scheduler } : {}),
          batch_size: payload.params.batch_size,
          n_iter: payload.params.n_iter,
          ...(payload.params.model
            ? {
                override_settings: { sd_model_checkpoint: payload.params.model.title },
                override_settings_restore_afterwards: true,
              }
            : {}),
          send_images: true,
          save_images: false,
          ...init,
        };
        const share = { index: i, of: payload.prompts.length };
        const { images, info } = await this.generate(slot, payload.params, body, ctx, share);
        model = this.checkModel(payload.params, info) ?? model;
        if (share.of > 1)
          ctx.progress({
            value: Math.round(((i + 1) / share.of) * 100),
            max: 100,
            stage: 'storing',
            message: `storing ${images.length} image(s)`,
          });
        const seeds = info.all_seeds ?? images.map((_, k) => (info.seed ?? p.seed) + k);
        const stored: GeneratedImage[] = [];
        for (const [k, b64] of images.entries()) {
          const put = await this.images.put(ctx.tenant, Buffer.from(b64, 'base64'), {
            source: 'diffusion',
            filename: `${ctx.jobId}-${i}-${k}.png`,
          });
          stored.push({
            id: put.image.id,
            seed: seeds[k] ?? -1,
            width: put.image.width,
            height: put.image.height,
            created: put.created,
          });
        }
        items.push({ prompt: p.prompt, seeds, images: stored });
      }
      this.gateway.markUp(slot.instance);
      return { instance: slot.instance, model, items };
    } finally {
      slot.release();
    }
  }

  /** One generation with its progress polls; interrupts the instance when the job stops or times out. */
  private async generate(
    slot: UpstreamReservation,
    params: GenerationParams,
    body: A1111GenerationRequest,
    ctx: JobContext,
    share: { index: number; of: number },
  ): Promise<{ images: string[]; info: A1111Info }> {
    const { generationTimeoutMs, progressIntervalMs, previews } = this.gateway.config;
    const timeout = AbortSignal.timeout(generationTimeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const done = new AbortController();
    const polling = this.poll(slot, ctx, share, progressIntervalMs, previews, AbortSignal.any([signal, done.signal]));
    try {
      const res = await A1111.generate(slot, params.route, body, signal, generationTimeoutMs);
      let info: A1111Info = {};
      try {
        info = JSON.parse(res.info) as A1111Info;
      } catch {
        info = {};
      }
      return { images: res.images ?? [], info };
    } catch (err) {
      // Unless the server refused it outright, it may still be generating: stop it before the
      // slot is given back, so the next job finds the instance idle.
      if (!(err instanceof DiffusionGenerationFailedError)) await this.interrupt(slot);
      if (signal.aborted) {
        if (timeout.aborted && !ctx.signal.aborted) {
          throw new DiffusionTimeoutError(
            `The generation took longer than ${generationTimeoutMs} ms and was interrupted`,
          );
        }
      }
      throw err;
    } finally {
      done.abort();
      await polling;
    }
  }

  private async poll(
    slot: UpstreamReservation,
    ctx: JobContext,
    share: { index: number; of: number },
    everyMs: number,
    previews: boolean,
    stop: AbortSignal,
  ): Promise<void> {
    while (!stop.aborted) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, everyMs);
        stop.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      if (stop.aborted) return;
      try {
        const p = await A1111.progress(slot, previews, stop);
        if (stop.aborted || !p.state.job) continue;
        const overall = (share.index + Math.min(1, p.progress)) / share.of;
        const step = p.state.sampling_step ?? 0;
        const steps = p.state.sampling_steps ?? 0;
        const image = (p.state.job_no ?? 0) + 1;
        ctx.progress({
          value: Math.min(99, Math.round(overall * 100)),
          max: 100,
          stage: 'sampling',
          message: `prompt ${share.index + 1} of ${share.of}, batch ${image} of ${p.state.job_count ?? 1}, step ${step} of ${steps}, eta ${Math.max(0, p.eta_relative).toFixed(1)} s`,
          ...(previews && p.current_image ? { preview: `data:image/png;base64,${p.current_image}` } : {}),
        });
      } catch (err) {
        // A missed poll costs one progress event, not the job; the generation call decides that.
        if (!stop.aborted) this.logger.debug({ err, instance: slot.instance }, 'progress poll failed');
      }
    }
  }

  /**
   * The reservation keeps this process's jobs apart; work that reached the instance some other
   * way (its web UI, another Fennec process, a generation still finishing after an interrupt)
   * shows in its `/progress`. Wait for that to end rather than queue a second generation there.
   */
  private async untilIdle(slot: UpstreamReservation, ctx: JobContext): Promise<void> {
    for (let told = false; ; told = true) {
      const p = await A1111.progress(slot, false, ctx.signal);
      if (!p.state.job) return;
      if (!told)
        ctx.progress({ value: 0, max: 100, stage: 'waiting', message: 'the instance is busy with other work' });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.gateway.config.progressIntervalMs);
        ctx.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      ctx.signal.throwIfAborted();
    }
  }

  /** Interrupts the instance and waits (bounded) until it is idle, so the next job finds it free. */
  private async interrupt(slot: UpstreamReservation): Promise<void> {
    try {
      await A1111.interrupt(slot);
      const until = Date.now() + 30_000;
      while (Date.now() < until) {
        const p = await A1111.progress(slot, false);
        if (!p.state.job) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : err, instance: slot.instance }, 'interrupt failed');
    }
  }

  /**
   * A1111 silently ignores an `sd_model_checkpoint` it does not know and uses the loaded model:
   * the `info` says which model ran, and a mismatch fails the job instead of passing it off.
   */
  private checkModel(params: GenerationParams, info: A1111Info): string | undefined {
    const wanted = params.model;
    if (!wanted || info.sd_model_name === undefined) return info.sd_model_name;
    const same = info.sd_model_name === wanted.model_name || (!!wanted.hash && info.sd_model_hash === wanted.hash);
    if (!same) {
      throw new DiffusionModelMismatchError(
        `The instance ran model ${JSON.stringify(info.sd_model_name)} instead of ${JSON.stringify(wanted.model_name)}`,
      );
    }
    return info.sd_model_name;
  }

  private async initImages(params: GenerationParams, tenant: string): Promise<Partial<A1111GenerationRequest>> {
    if (params.route !== 'img2img' || !params.init_image_id) return {};
    const read = async (id: string) => (await readFile(await this.images.originalPath(tenant, id))).toString('base64');
    try {
      return {
        init_images: [await read(params.init_image_id)],
        ...(params.mask_image_id ? { mask: await read(params.mask_image_id) } : {}),
        denoising_strength: params.denoising_strength,
      };
    } catch (err) {
      if (err instanceof FennecError) throw err;
      throw new Error(`could not read the init image: ${String(err)}`, { cause: err });
    }
  }
}
