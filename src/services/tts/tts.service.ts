import { Inject, Injectable, Logger } from '@nestjs/common';
import { join } from 'node:path';
import { RequestValidationError } from '../../platform/errors';
import { MetricsService } from '../../platform/metrics';
import { DataDirService } from '../../platform/storage';
import type { SynthesisDto } from './dto/synthesis.dto';
import type { SpeechFile, SpeechPlan } from './speech-plan';
import { TtsStore } from './tts-store';

export type { SpeechFile, SpeechPlan } from './speech-plan';
import { ManagedService, type ManagedLifecycle, type ServiceHealthReport } from '../../platform/registry';
import { RuntimeConfigService } from '../../platform/runtime-config';
import { UpstreamPools } from '../../platform/upstream';
import {
  FORMAT_SPECS,
  IN_PROCESS_FORMATS,
  SPEECH_FORMATS,
  type SpeechFormat,
  PCM_SAMPLE_RATE,
} from './audio/audio-formats';
import { inspectAudio, type AudioFacts } from './audio/audio-inspector';
import { measureQuality, type AudioQualityReport } from './audio/audio-quality';
import { probeCommand } from './audio/child-process';
import { FfmpegEncoder } from './audio/ffmpeg-encoder';
import { concatSamples, type Pcm, PcmJoiner, pcmBytes, resampleLinear, wavFile } from './audio/pcm';
import { BACKEND_KINDS, type BackendKind, type BackendVoice, type SpeechBackend } from './backends/speech-backend';
import { createBackends } from './backends/create-backends';
import { speechChunks } from './speech-chunks';
import type { SpeechRequest } from './speech-request';
import { ttsConfig, type TtsConfig } from './tts.config';
import {
  TtsBadAudioError,
  TtsFormatUnavailableError,
  TtsTextTooLongError,
  TtsUnavailableError,
  TtsUnknownModelError,
  TtsUnknownVoiceError,
} from './tts.errors';
import { TtsMetrics } from './tts.metrics';
import { TtsSettings } from './tts.settings';

export const TTS_SERVICE = 'tts';

/** The body of `POST /v1/tts`, checked by its DTO. */
export interface NativeSpeechRequest {
  text: string;
  voice: string;
  model?: string;
  format?: SpeechFormat;
  speed?: number;
}

/** What a request carries besides its body. */
export type SpeechContext = Pick<SpeechPlan, 'signal' | 'requestId' | 'onChunk'>;

/** One voice of `GET /v1/audio/voices`. */
export interface VoiceEntry extends BackendVoice {
  backend: BackendKind;
  /** OpenAI voice names that map to it. */
  aliases: string[];
}

/**
 * Text to speech over three kinds of backend chosen per model by TTS_MODELS: servers speaking
 * OpenAI's `/v1/audio/speech`, Piper's HTTP server, and espeak-ng run locally. Every backend's
 * answer is parsed and checked, long text is spoken by sentence chunks in parallel, joined with
 * a crossfade, and every answer gets a quality report measured from its samples. Without any
 * backend the service runs DOWN and its routes answer 503.
 */
@ManagedService({
  name: TTS_SERVICE,
  critical: false,
  // Jobs only for long native text: without them the rest of speech still works.
  dependsOn: ['upstreams', 'data-dir', { name: 'jobs', optional: true }],
  config: TtsSettings,
  description: 'Text to speech: OpenAI-compatible servers, Piper, espeak-ng; audio checked and measured',
  healthTtlMs: 1_000,
})
@Injectable()
export class TtsService implements ManagedLifecycle {
  private readonly logger = new Logger('tts');
  readonly metrics: TtsMetrics;
  private readonly backends: Record<BackendKind, SpeechBackend>;
  private ffmpeg?: FfmpegEncoder;
  private readonly files: TtsStore;
  private ffmpegVersion?: string;

  constructor(
    @Inject(ttsConfig.KEY) readonly config: TtsConfig,
    pools: UpstreamPools,
    private readonly runtimeConfig: RuntimeConfigService,
    metrics: MetricsService,
    dataDir: DataDirService,
  ) {
    this.files = new TtsStore(join(dataDir.path, 'tts'));
    this.metrics = new TtsMetrics(metrics);
    this.backends = createBackends(config, pools);
  }

  async start(): Promise<void> {
    await Promise.all(Object.values(this.backends).map((b) => b.start()));
    if (this.config.ffmpeg.enabled) {
      this.ffmpegVersion = await probeCommand(this.config.ffmpeg.command, '-version');
      if (this.ffmpegVersion)
        this.ffmpeg = new FfmpegEncoder(this.config.ffmpeg.command, this.config.espeak.concurrency);
    }
    const up = this.availableBackends();
    if (up.length === 0) this.logger.warn({ reason: this.downReason() }, 'no speech backend; speech routes answer 503');
    else this.logger.log({ backends: up, ffmpeg: this.ffmpegVersion ?? 'absent' }, 'speech backends ready');
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.backends).map((b) => b.stop()));
  }

  checkHealth(): Promise<ServiceHealthReport> {
    const details = {
      backends: Object.fromEntries(
        BACKEND_KINDS.map((k) => [k, { available: this.backends[k].available(), ...this.backends[k].details() }]),
      ),
      formats: this.formats(),
      ffmpeg: this.ffmpegVersion ?? 'absent',
    };
    const up = this.availableBackends();
    if (up.length === 0) return Promise.resolve({ status: 'DOWN', reason: this.downReason(), details });
    const configuredDown = (['openai', 'piper'] as const).filter(
      (k) => this.config[k].urls.length > 0 && !this.backends[k].available(),
    );
    if (configuredDown.length > 0) {
      return Promise.resolve({
        status: 'DEGRADED',
        reason: configuredDown.map((k) => this.backends[k].unavailableReason()).join('; '),
        details,
      });
    }
    return Promise.resolve({ status: 'UP', details });
  }

  /** Response formats this server can produce now. */
  formats(): SpeechFormat[] {
    return this.ffmpeg ? [...SPEECH_FORMATS] : [...IN_PROCESS_FORMATS];
  }

  settings(): TtsSettings {
    return this.runtimeConfig.get<TtsSettings>(TTS_SERVICE);
  }

  private availableBackends(): BackendKind[] {
    return BACKEND_KINDS.filter((k) => this.backends[k].available());
  }

  private downReason(): string {
    return `no speech backend: ${BACKEND_KINDS.map((k) => this.backends[k].unavailableReason()).join('; ')}`;
  }

  /** The backend a model uses now (`auto`: the first available of openai, piper, espeak). */
  private backendFor(model: string): SpeechBackend {
    const route = this.config.models[model];
    const allowed = this.settings().allowedModels;
    if (route === undefined || (allowed.length > 0 && !allowed.includes(model))) {
      const models = Object.keys(this.config.models).filter((m) => allowed.length === 0 || allowed.includes(m));
      throw new TtsUnknownModelError(`Model "${model}" is not available; models: ${models.join(', ')}`, {
        fieldErrors: [{ field: 'model', message: `must be one of ${models.join(', ')}` }],
      });
    }
    if (route === 'auto') {
      const kind = this.availableBackends()[0];
      if (kind === undefined)
        throw new TtsUnavailableError(`Speech is unavailable: ${this.downReason()}`, { retryAfterSeconds: 5 });
      return this.backends[kind];
    }
    const backend = this.backends[route];
    if (!backend.available()) {
      throw new TtsUnavailableError(`Model "${model}" is unavailable: ${backend.unavailableReason()}`, {
        retryAfterSeconds: 5,
      });
    }
    return backend;
  }

  /** Checks a request and resolves its backend, voice, format and chunks (every 4xx is raised here, before any audio). */
  plan(req: Omit<SpeechRequest, 'streamFormat'>, ctx: SpeechContext = {}): SpeechPlan {
    if (this.availableBackends().length === 0) {
      throw new TtsUnavailableError(`Speech is unavailable: ${this.downReason()}`, { retryAfterSeconds: 5 });
    }
    const backend = this.backendFor(req.model);
    const allowedVoices = this.settings().allowedVoices;
    const voice = backend.aliases()[req.voice] ?? req.voice;
    if ((allowedVoices.length > 0 && !allowedVoices.includes(req.voice)) || !backend.hasVoice(voice)) {
      const names = [...Object.keys(backend.aliases()), ...backend.voices().map((v) => v.id)]
        .filter((v) => allowedVoices.length === 0 || allowedVoices.includes(v))
        .slice(0, 40);
      throw new TtsUnknownVoiceError(
        `Voice "${req.voice}" is not available for model "${req.model}" (${backend.kind}); voices include: ${names.join(', ')} (GET /v1/audio/voices lists all)`,
        { fieldErrors: [{ field: 'voice', message: 'is not a voice of this model' }] },
      );
    }
    backend.checkOptions({ speed: req.speed });
    const format = req.format ?? (this.ffmpeg ? 'mp3' : 'wav');
    if (!this.formats().includes(format)) {
      throw new TtsFormatUnavailableError(
        `response_format ${format} needs ffmpeg, which this server does not have; it can produce: ${this.formats().join(', ')}`,
        { fieldErrors: [{ field: 'response_format', message: `must be one of ${this.formats().join(', ')}` }] },
      );
    }
    const chunks = speechChunks(
      req.input,
      this.config.firstChunkChars,
      this.config.chunkChars,
      this.config.parallelChunks,
    );
    if (chunks.length === 0) {
      throw new RequestValidationError('input has nothing to speak', {
        fieldErrors: [{ field: 'input', message: 'has nothing to speak' }],
      });
    }
    return {
      model: req.model,
      backend,
      requestedVoice: req.voice,
      voice,
      format,
      speed: req.speed,
      text: req.input,
      chunks,
      ...ctx,
    };
  }

  /** Every voice of every available backend, with the OpenAI names that map to it. */
  voices(): VoiceEntry[] {
    return this.availableBackends().flatMap((kind) => {
      const b = this.backends[kind];
      const aliasesOf = new Map<string, string[]>();
      for (const [alias, target] of Object.entries(b.aliases()))
        aliasesOf.set(target, [...(aliasesOf.get(target) ?? []), alias]);
      const voices = b.voices();
      // espeak-ng variants (`en-us+f3`) are voices of their own only through an alias.
      const extra = [...aliasesOf.keys()]
        .filter((id) => !voices.some((v) => v.id === id) && b.hasVoice(id))
        .map((id) => ({ id }));
      return [...voices, ...extra].map((v) => ({ ...v, backend: kind, aliases: aliasesOf.get(v.id) ?? [] }));
    });
  }

  /**
   * The plan's audio as joined PCM pieces, in order, as soon as each is final: chunks are
   * synthesised up to TTS_PARALLEL_CHUNKS at a time and crossfaded at the joins.
   */
  async *pcmPieces(plan: SpeechPlan): AsyncGenerator<Pcm> {
    const started: Promise<Pcm>[] = [];
    const begin = (i: number) => {
      const t0 = process.hrtime.bigint();
      const p = plan.backend
        .synthesize({
          text: plan.chunks[i],
          voice: plan.voice,
          speed: plan.speed,
          signal: plan.signal,
          requestId: plan.requestId,
        })
        .then((pcm) => {
          this.metrics.synthesis.observe({ backend: plan.backend.kind }, Number(process.hrtime.bigint() - t0) / 1e9);
          return pcm;
        });
      // Awaited in order below; this keeps a failure of a chunk not yet awaited from being "unhandled".
      p.catch(() => undefined);
      started.push(p);
    };
    let joiner: PcmJoiner | undefined;
    let rate = 0;
    try {
      for (let i = 0; i < plan.chunks.length; i++) {
        while (started.length < Math.min(plan.chunks.length, i + this.config.parallelChunks)) begin(started.length);
        const pcm = await started[i];
        plan.onChunk?.(i + 1, plan.chunks.length);
        if (joiner === undefined) {
          rate = pcm.sampleRate;
          joiner = PcmJoiner.forRate(rate, this.config.crossfadeMs);
        } else if (pcm.sampleRate !== rate) {
          throw new TtsBadAudioError(
            `${plan.backend.kind} changed sample rate mid-text (${rate} → ${pcm.sampleRate} Hz)`,
          );
        }
        const ready = joiner.push(pcm.samples);
        if (ready.length > 0) yield { samples: ready, sampleRate: rate };
      }
      if (joiner) yield { samples: joiner.finish(), sampleRate: rate };
    } catch (err) {
      if (err instanceof TtsBadAudioError) this.metrics.rejectedAudio.inc({ backend: plan.backend.kind });
      throw err;
    }
  }

  /** Quality of the whole answer; recorded in metrics. */
  measure(plan: SpeechPlan, pcm: Pcm): AudioQualityReport {
    return this.recordQuality(
      plan,
      measureQuality(pcm.samples, pcm.sampleRate, { text: plan.text, speed: plan.speed }),
    );
  }

  recordQuality(plan: SpeechPlan, report: AudioQualityReport): AudioQualityReport {
    this.metrics.quality(plan.backend.kind, report);
    return report;
  }

  /** The whole answer as one checked file. */
  async render(plan: SpeechPlan): Promise<SpeechFile> {
    const pieces: Int16Array[] = [];
    let rate = 0;
    for await (const piece of this.pcmPieces(plan)) {
      pieces.push(piece.samples);
      rate = piece.sampleRate;
    }
    const pcm = { samples: concatSamples(pieces), sampleRate: rate };
    const quality = this.measure(plan, pcm);
    const durationSeconds = pcm.samples.length / pcm.sampleRate;
    const contentType = FORMAT_SPECS[plan.format].contentType;
    if (plan.format === 'pcm') {
      const samples = resampleLinear(pcm.samples, pcm.sampleRate, PCM_SAMPLE_RATE);
      return {
        bytes: pcmBytes(samples),
        contentType,
        facts: {
          container: 'raw',
          codec: 'pcm_s16le',
          sampleRate: PCM_SAMPLE_RATE,
          channels: 1,
          durationSeconds: samples.length / PCM_SAMPLE_RATE,
        },
        quality,
      };
    }
    const bytes = plan.format === 'wav' ? wavFile(pcm) : await this.encoder().encode(pcm, plan.format, plan.signal);
    let facts: AudioFacts;
    try {
      facts = await inspectAudio(
        bytes,
        { format: plan.format, sampleRate: FfmpegEncoder.outputRate(plan.format, pcm), channels: 1, durationSeconds },
        plan.format === 'wav' ? 'The WAV writer' : 'ffmpeg',
      );
    } catch (err) {
      this.metrics.rejectedAudio.inc({ backend: 'encoder' });
      throw err;
    }
    return { bytes, contentType, facts, quality };
  }

  store(): TtsStore {
    return this.files;
  }

  /** Whether a native request is long enough to run as a job (over TTS_NATIVE_JOB_CHARS). */
  runsAsJob(text: string): boolean {
    return text.length > this.config.nativeJobChars;
  }

  /** Checks a native request (every 4xx) and resolves it, before anything is synthesised or queued. */
  planNative(req: NativeSpeechRequest, ctx: SpeechContext = {}): SpeechPlan {
    if (req.text.length > this.config.nativeMaxChars) {
      throw new TtsTextTooLongError(
        `The text is ${req.text.length} characters; this server speaks at most ${this.config.nativeMaxChars} in one request`,
      );
    }
    return this.plan(
      { model: req.model ?? 'tts-1', input: req.text, voice: req.voice, format: req.format, speed: req.speed ?? 1 },
      ctx,
    );
  }

  /** `POST /v1/tts` (directly, or in a job): synthesise, check, measure and store for `tenant`. */
  async synthesizeAndStore(tenant: string, req: NativeSpeechRequest, ctx: SpeechContext): Promise<SynthesisDto> {
    const plan = this.planNative(req, ctx);
    try {
      const file = await this.render(plan);
      const record = await this.files.save(tenant, plan, file);
      this.metrics.requests.inc({ backend: plan.backend.kind, format: plan.format, outcome: 'ok' });
      return record;
    } catch (err) {
      this.metrics.requests.inc({ backend: plan.backend.kind, format: plan.format, outcome: 'error' });
      throw err;
    }
  }

  /** The ffmpeg encoder, or TTS.FORMAT_UNAVAILABLE without ffmpeg. */
  encoder(): FfmpegEncoder {
    if (!this.ffmpeg) throw new TtsFormatUnavailableError(`This server can produce: ${this.formats().join(', ')}`);
    return this.ffmpeg;
  }
}
