import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { RequestValidationError, FennecError } from '../../platform/errors';
import { MetricsService } from '../../platform/metrics';
import { ManagedService, type ManagedLifecycle, type ServiceHealthReport } from '../../platform/registry';
import { LLM_CLIENT, type LlmClient, LlmUnavailableError } from '../llm';
import { summariseAbstractive } from './abstractive-summarizer';
import type { SummaryMode, SummaryOptionsDto } from './dto/summary-options.dto';
import type { SummaryDto } from './dto/summary-response.dto';
import { summarizationConfig, type SummarizationConfig } from './summarization.config';
import { SummaryBatchTooLargeError, SummaryTextTooLargeError } from './summarization.errors';
import { detectContentType } from './text/content-detector';
import { countUnits, summariseExtractive, type SummaryLength } from './text/extractive-summarizer';
import { splitSentences } from './text/sentence-splitter';

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Summaries of prose, transcripts, code, markdown and lists. Extractive (TextRank) runs in-process
 * and always works; abstractive asks the LLM gateway, an optional dependency.
 *
 * Non-critical: a summarizer that cannot start must not stop the rest of the platform from serving.
 */
@ManagedService({
  name: 'summarization',
  // Optional `jobs`: batches run as jobs when it is up (and the registry stops this service before
  // it); single summaries and streamed batches do not need it.
  dependsOn: [
    { name: 'llm', optional: true },
    { name: 'jobs', optional: true },
  ],
  critical: false,
  description: 'Extractive (TextRank) and LLM-backed abstractive summaries',
})
@Injectable()
export class SummarizationService implements ManagedLifecycle {
  private readonly logger = new Logger('summarization');
  private readonly summaries: Counter<'method' | 'content_type'>;
  private readonly duration: Histogram<'method'>;

  constructor(
    @Inject(summarizationConfig.KEY) private readonly config: SummarizationConfig,
    metrics: MetricsService,
    @Optional() @Inject(LLM_CLIENT) private readonly llm?: LlmClient,
  ) {
    this.summaries = new Counter({
      name: metrics.name('summaries_total'),
      help: 'Summaries produced, by the method that ran and the detected content type',
      labelNames: ['method', 'content_type'],
      registers: [metrics.registry],
    });
    this.duration = new Histogram({
      name: metrics.name('summary_duration_seconds'),
      help: 'Time to produce one summary, by method',
      labelNames: ['method'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
      registers: [metrics.registry],
    });
  }

  async checkHealth(): Promise<ServiceHealthReport> {
    return { status: 'UP', details: { abstractive: this.llmAvailable() ? 'available' : 'unavailable' } };
  }

  /** Whether abstractive summaries can run now. */
  llmAvailable(): boolean {
    return this.llm?.isAvailable() ?? false;
  }

  /** Checks a request before any work: size and the maxSentences/ratio choice. */
  validate(text: string, options: SummaryOptionsDto, field = 'text'): void {
    if (text.length > this.config.maxTextChars) {
      throw new SummaryTextTooLargeError(
        `${field} is ${text.length} characters; the limit is ${this.config.maxTextChars}`,
      );
    }
    if (options.maxSentences !== undefined && options.ratio !== undefined) {
      throw new RequestValidationError('Give either maxSentences or ratio, not both', {
        fieldErrors: [{ field: 'ratio', message: 'ratio cannot be combined with maxSentences' }],
      });
    }
  }

  /** Checks a whole batch up front: its size, then every document. */
  validateBatch(texts: string[], options: SummaryOptionsDto): void {
    if (texts.length > this.config.batchMaxDocuments) {
      throw new SummaryBatchTooLargeError(
        `${texts.length} documents; a batch holds at most ${this.config.batchMaxDocuments}`,
      );
    }
    texts.forEach((text, i) => this.validate(text, options, `documents.${i}.text`));
  }

  async summarize(text: string, options: SummaryOptionsDto, signal?: AbortSignal): Promise<SummaryDto> {
    this.validate(text, options);
    const started = performance.now();
    const mode: SummaryMode = options.mode ?? 'auto';
    const detection = detectContentType(text);
    const length: SummaryLength =
      options.ratio !== undefined
        ? { ratio: options.ratio }
        : { maxSentences: options.maxSentences ?? this.config.defaultSentences };
    const base = { requestedMode: mode, contentType: { type: detection.type, confidence: detection.confidence } };

    let fallbackReason: string | undefined;
    if (mode !== 'extractive') {
      if (!this.llmAvailable()) {
        if (mode === 'abstractive')
          throw new LlmUnavailableError('Abstractive summaries need the LLM gateway, which is not available right now');
        fallbackReason = this.llm ? 'llm unavailable' : 'llm not configured';
      } else {
        try {
          const totalUnits = countUnits(text, detection.type);
          const sentences =
            'ratio' in length ? Math.max(1, Math.round(length.ratio * totalUnits)) : length.maxSentences;
          const out = await summariseAbstractive(
            this.llm!,
            {
              text,
              type: detection.type,
              sentences,
              model: this.config.llmModel,
              maxInputChars: this.config.llmMaxInputChars,
              signal,
            },
            totalUnits,
          );
          return this.finish(started, text, out.summary, totalUnits, splitSentences(out.summary).length, {
            ...base,
            method: 'abstractive',
            strategy: 'llm',
            model: out.model,
          });
        } catch (err) {
          if (mode === 'abstractive') throw err;
          const code = err instanceof FennecError ? err.code : 'INTERNAL.ERROR';
          this.logger.warn({ err, code }, 'abstractive summary failed; answering extractively');
          fallbackReason = `llm failed (${code})`;
        }
      }
    }
    const out = summariseExtractive(text, detection.type, length);
    return this.finish(started, text, out.summary, out.totalUnits, out.selected.length, {
      ...base,
      method: 'extractive',
      strategy: out.strategy,
      fallbackReason,
    });
  }

  private finish(
    started: number,
    text: string,
    summary: string,
    inputSentences: number,
    summarySentences: number,
    rest: Omit<SummaryDto, 'summary' | 'stats' | 'timingMs'>,
  ): SummaryDto {
    const ms = performance.now() - started;
    this.summaries.inc({ method: rest.method, content_type: rest.contentType.type });
    this.duration.observe({ method: rest.method }, ms / 1000);
    return {
      summary,
      ...rest,
      stats: {
        inputChars: text.length,
        summaryChars: summary.length,
        compressionRatio: round(summary.length / text.length, 4),
        inputSentences,
        summarySentences,
      },
      timingMs: round(ms, 2),
    };
  }
}
