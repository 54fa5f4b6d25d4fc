import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { RequestValidationError } from '../../platform/errors';
import { MetricsService } from '../../platform/metrics';
import { ManagedService, type ManagedLifecycle, type ServiceHealthReport } from '../../platform/registry';
import { RuntimeConfigService } from '../../platform/runtime-config';
import { type CaptionInfo, IMAGE_STORE, type ImageListFilter, ImageNotFoundError, type ImageStore } from '../images';
import { LLM_CLIENT, type LlmClient, LlmUnavailableError } from '../llm';
import {
  captionPrompt,
  type CaptionSpec,
  type CaptionStyle,
  STYLE_BOUNDS,
  stricterPrompt,
  TAGS_SCHEMA,
} from './caption-styles';
import { captionsConfig, type CaptionsConfig } from './captions.config';
import { CaptionBatchTooLargeError, CaptionModelNotAllowedError } from './captions.errors';
import { CaptionsSettings } from './captions.settings';
import { ModelLimiter } from './model-limiter';
import { checkCaption } from './quality/caption-checks';
import { normalizeTags, parseTags } from './quality/tag-normalizer';
import { visionImage } from './vision-image';

export const CAPTIONS_SERVICE = 'captions';

/** What a caller asks for; see {@link CaptionsService.resolve}. */
export interface CaptionRequest {
  style?: CaptionStyle;
  prompt?: string;
  maxWords?: number;
  language?: string;
  model?: string;
}

/** A caption as answered and stored: the text and its {@link CaptionInfo}. */
export interface CaptionResult extends CaptionInfo {
  imageId: string;
  caption: string;
}

const normalizeModel = (m: string) => (m.slice(m.lastIndexOf('/') + 1).includes(':') ? m : `${m}:latest`);

/**
 * Captions from the LLM gateway's vision models. Each image is converted to what the models read
 * (JPEG, bounded size), the answer is measured (length, refusal, boiler-plate, repetition,
 * language, tags), a failing one is asked again once with a stricter prompt, and the result is
 * stored on the image with its checks and score, flagged when it still fails.
 *
 * `llm` is optional: without it the service runs (DEGRADED) and caption requests answer 503,
 * while the images service keeps working. Calls are bounded per model (CAPTIONS_CONCURRENCY_PER_MODEL).
 */
@ManagedService({
  name: CAPTIONS_SERVICE,
  // images: the records captions are written to; jobs: batches; llm: the vision models.
  dependsOn: ['images', { name: 'llm', optional: true }, { name: 'jobs', optional: true }],
  critical: false,
  config: CaptionsSettings,
  description: 'Image captions from vision models, with measured quality checks',
})
@Injectable()
export class CaptionsService implements ManagedLifecycle {
  private readonly logger = new Logger('captions');
  private readonly limiter: ModelLimiter;
  private readonly produced: Counter<'style' | 'outcome'>;
  private readonly duration: Histogram<'style'>;
  private readonly scores: Histogram<'style'>;

  constructor(
    @Inject(captionsConfig.KEY) private readonly config: CaptionsConfig,
    @Inject(IMAGE_STORE) private readonly images: ImageStore,
    private readonly runtimeConfig: RuntimeConfigService,
    metrics: MetricsService,
    @Optional() @Inject(LLM_CLIENT) private readonly llm?: LlmClient,
  ) {
    this.limiter = new ModelLimiter(config.concurrencyPerModel);
    const registers = [metrics.registry];
    this.produced = new Counter({
      name: metrics.name('captions_total'),
      help: 'Captions stored, by style and outcome: passed (first answer), retried (passed after the stricter retry), flagged',
      labelNames: ['style', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: metrics.name('caption_duration_seconds'),
      help: 'Time to caption one image (preparation, model calls, checks), by style',
      labelNames: ['style'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.scores = new Histogram({
      name: metrics.name('caption_score'),
      help: 'Quality score of stored captions (weighted share of checks passed), by style',
      labelNames: ['style'],
      buckets: [0.2, 0.4, 0.6, 0.7, 0.8, 0.9, 1],
      registers,
    });
  }

  checkHealth(): Promise<ServiceHealthReport> {
    const available = this.available();
    return Promise.resolve({
      status: available ? 'UP' : 'DEGRADED',
      ...(available ? {} : { reason: 'the LLM gateway is not available: caption requests answer 503' }),
      details: { llm: available ? 'available' : 'unavailable', running: this.limiter.running() },
    });
  }

  settings(): CaptionsSettings {
    return this.runtimeConfig.get<CaptionsSettings>(CAPTIONS_SERVICE);
  }

  get limits(): CaptionsConfig {
    return this.config;
  }

  available(): boolean {
    return this.llm?.isAvailable() ?? false;
  }

  /** Throws LLM.UNAVAILABLE (503) unless captions can be made now. */
  requireLlm(): LlmClient {
    if (!this.llm || !this.llm.isAvailable()) {
      throw new LlmUnavailableError('Captions need the LLM gateway, which is not available right now');
    }
    return this.llm;
  }

  /** The request with defaults applied, checked: model allowed, custom prompt only with style custom. */
  resolve(req: CaptionRequest): CaptionSpec {
    const style = req.style ?? (req.prompt ? 'custom' : 'descriptive');
    if ((style === 'custom') !== (req.prompt !== undefined)) {
      throw new RequestValidationError('A prompt goes with style custom, and style custom needs a prompt', {
        fieldErrors: [{ field: 'prompt', message: 'required with style custom, and only then' }],
      });
    }
    const settings = this.settings();
    const model = req.model ?? settings.defaultModel;
    if (settings.models.length > 0 && !settings.models.some((m) => normalizeModel(m) === normalizeModel(model))) {
      throw new CaptionModelNotAllowedError(
        `Model "${model}" is not one of the caption models: ${settings.models.join(', ')}`,
      );
    }
    const bounds = STYLE_BOUNDS[style];
    const maxWords = req.maxWords ?? bounds.max;
    return {
      style,
      ...(req.prompt !== undefined ? { prompt: req.prompt } : {}),
      minWords: Math.min(bounds.min, maxWords),
      maxWords,
      ...(req.language ? { language: req.language } : {}),
      model,
    };
  }

  async hasCaption(tenant: string, id: string): Promise<boolean> {
    return ((await this.images.find(tenant, id))?.caption ?? null) !== null;
  }

  /**
   * The ids a batch captions: the given ones (each must be the tenant's image), or those the
   * filter matches, newest first; at most CAPTIONS_BATCH_MAX_IMAGES either way.
   */
  async batchIds(tenant: string, ids: string[] | undefined, filter: ImageListFilter | undefined): Promise<string[]> {
    if ((ids === undefined) === (filter === undefined)) {
      throw new RequestValidationError('Give exactly one of ids or filter', {
        fieldErrors: [{ field: 'ids', message: 'exactly one of ids or filter is required' }],
      });
    }
    const max = this.config.batchMaxImages;
    if (ids) {
      if (ids.length > max) {
        throw new CaptionBatchTooLargeError(
          `${ids.length} images in one batch; the limit is ${max} (CAPTIONS_BATCH_MAX_IMAGES)`,
        );
      }
      const found = await Promise.all(ids.map((id) => this.images.find(tenant, id)));
      const missing = ids.filter((_, i) => !found[i]);
      if (missing.length > 0) throw new ImageNotFoundError(missing.join("', '"));
      return ids;
    }
    const page = await this.images.list(tenant, filter!, { offset: 0, limit: max + 1 });
    if (page.total > max) {
      throw new CaptionBatchTooLargeError(
        `The filter matches ${page.total} images; the limit is ${max} (CAPTIONS_BATCH_MAX_IMAGES): narrow it`,
      );
    }
    return page.items.map((r) => r.id);
  }

  /** Captions one image of `tenant` and stores the caption on it; throws IMAGES.NOT_FOUND, LLM.* errors. */
  async caption(tenant: string, id: string, spec: CaptionSpec, signal?: AbortSignal): Promise<CaptionResult> {
    const llm = this.requireLlm();
    if (!(await this.images.find(tenant, id))) throw new ImageNotFoundError(id);
    const path = await this.images.originalPath(tenant, id);
    const started = performance.now();
    const outcome = await this.limiter.run(
      normalizeModel(spec.model),
      async () => {
        const image = await visionImage(path, this.config.maxImageSide);
        let answer = await this.ask(llm, spec, captionPrompt(spec), image.base64, signal, false);
        let checked = checkCaption(answer.text, spec, answer.tags);
        let attempts = 1;
        if (!checked.passed && this.settings().retryStricter) {
          const failed = checked.checks.filter((c) => !c.passed).map((c) => c.name);
          const retry = await this.ask(llm, spec, stricterPrompt(spec, failed), image.base64, signal, true);
          const rechecked = checkCaption(retry.text, spec, retry.tags);
          attempts = 2;
          if (rechecked.score >= checked.score) {
            answer = retry;
            checked = rechecked;
          }
        }
        return { answer, checked, attempts };
      },
      signal,
    );
    const { answer, checked, attempts } = outcome;
    const info: CaptionInfo = {
      style: spec.style,
      model: answer.model,
      language: spec.language ?? null,
      score: checked.score,
      flagged: !checked.passed,
      checks: checked.checks,
      ...(answer.tags ? { tags: answer.tags } : {}),
      attempts,
      createdAt: new Date().toISOString(),
    };
    await this.images.setCaption(tenant, id, answer.text, info);
    this.produced.inc({ style: spec.style, outcome: info.flagged ? 'flagged' : attempts > 1 ? 'retried' : 'passed' });
    this.duration.observe({ style: spec.style }, (performance.now() - started) / 1000);
    this.scores.observe({ style: spec.style }, info.score);
    if (info.flagged) {
      this.logger.warn(
        { image: id, model: info.model, failed: info.checks.filter((c) => !c.passed).map((c) => c.name) },
        'caption flagged',
      );
    }
    return { imageId: id, caption: answer.text, ...info };
  }

  private async ask(
    llm: LlmClient,
    spec: CaptionSpec,
    prompt: string,
    image: string,
    signal: AbortSignal | undefined,
    strict: boolean,
  ): Promise<{ text: string; tags?: string[]; model: string }> {
    const res = await llm.chat({
      model: spec.model,
      messages: [{ role: 'user', content: prompt, images: [image] }],
      ...(spec.style === 'tags' ? { format: TAGS_SCHEMA } : {}),
      // A budget of tokens stops a loop early; the stricter retry samples cooler and penalises repeats.
      options: {
        // Tags come as JSON objects with a confidence: about 12 tokens each.
        num_predict: spec.style === 'tags' ? spec.maxWords * 16 + 64 : spec.maxWords * 4 + 64,
        ...(strict ? { temperature: 0.2, repeat_penalty: 1.3 } : {}),
      },
      signal,
    });
    if (spec.style === 'tags') {
      const raw = parseTags(res.content);
      if (raw === undefined) return { text: res.content.trim(), model: res.model };
      const tags = normalizeTags(raw, spec.maxWords).map((t) => t.tag);
      return { text: tags.join(', '), tags, model: res.model };
    }
    return { text: res.content.trim().replace(/^"(.*)"$/s, '$1'), model: res.model };
  }
}
